# Copyright: failover.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure helpers of relocatable_ip: parse ``ip -j addr`` and iputils ``arping``, check addresses.

No I/O here; the module hands in the text the tools printed.
"""

from __future__ import annotations

import json
import re

_REPLY = re.compile(
    r"^(?P<kind>Unicast|Broadcast) (?P<what>reply|request) from (?P<ip>\S+) \[(?P<mac>[0-9A-Fa-f:]{17})\]"
)
_SENT = re.compile(r"^Sent (?P<n>\d+) probe")
_RECEIVED = re.compile(r"^Received (?P<n>\d+) (?:response|reply)")


class AddressProblem(ValueError):
    """A message ready to follow ``<option>: ``."""


def parse_ip_json(text):
    """``ip -j addr show`` -> [{"ifname", "mac", "up", "addresses": [{"address", "prefixlen", "family",
    "label", "flags"}]}]."""
    try:
        data = json.loads(text or "[]")
    except ValueError as exc:
        raise ValueError("ip -j addr printed no JSON: {0}".format(exc)) from None
    result = []
    for link in data:
        if not isinstance(link, dict) or "ifname" not in link:
            continue
        addresses = []
        for info in link.get("addr_info", []) or []:
            if "local" not in info:
                continue
            flags = [k for k in ("tentative", "dadfailed", "deprecated", "secondary", "dynamic") if info.get(k)]
            addresses.append({
                "address": info["local"],
                "prefixlen": int(info.get("prefixlen", 0)),
                "family": info.get("family"),
                "label": info.get("label"),
                "flags": flags,
            })
        flags = link.get("flags", []) or []
        result.append({
            "ifname": link["ifname"],
            "mac": (link.get("address") or "").lower() or None,
            "up": "UP" in flags,
            "lower_up": "LOWER_UP" in flags,
            "addresses": addresses,
        })
    return result


def find_address(links, address):
    """[(ifname, prefixlen)] of every interface holding ``address``."""
    found = []
    for link in links:
        for entry in link["addresses"]:
            if entry["address"] == address:
                found.append((link["ifname"], entry["prefixlen"]))
    return found


def parse_arping(text):
    """iputils arping output -> {"sent", "received", "replies": [{"ip", "mac"}], "macs": [...]}.

    MACs are lower case, each listed once, in the order they answered.
    """
    replies = []
    sent = received = 0
    for line in (text or "").splitlines():
        line = line.strip()
        match = _REPLY.match(line)
        if match:
            replies.append({"ip": match.group("ip"), "mac": match.group("mac").lower()})
            continue
        match = _SENT.match(line)
        if match:
            sent = int(match.group("n"))
            continue
        match = _RECEIVED.match(line)
        if match:
            received = int(match.group("n"))
    macs = []
    for reply in replies:
        if reply["mac"] not in macs:
            macs.append(reply["mac"])
    return {"sent": sent, "received": max(received, len(replies)), "replies": replies, "macs": macs}


def check_address(address, subnet):
    """Validate a relocatable IPv4 address against its subnet with the model's netaddr rules.

    Returns (address text, prefix length). Raises AddressProblem naming the option.
    """
    from ansible_collections.failover.cluster.plugins.module_utils._model.net import (
        AddressError,
        in_network,
        network_of,
        parse_address,
        parse_subnet,
        reserved_reason,
    )

    text = str(address)
    prefix_given = None
    if "/" in text:
        text, _sep, prefix_given = text.partition("/")
    try:
        ip = parse_address(text)
    except AddressError as exc:
        raise AddressProblem("address: {0}".format(exc)) from None
    if ip.version != 4:
        raise AddressProblem("address: {0} is IPv6; relocatable_ip handles IPv4 (ARP) addresses only".format(ip))
    if subnet is None:
        if prefix_given is None:
            raise AddressProblem("subnet: required (or give address as addr/prefix)")
        if not prefix_given.isdigit() or not 0 < int(prefix_given) <= 32:
            raise AddressProblem("address: /{0} is not an IPv4 prefix length (1-32)".format(prefix_given))
        net = network_of(ip, int(prefix_given))
    else:
        if "/" not in str(subnet):
            raise AddressProblem("subnet: {0!r} needs a prefix length (for example 198.51.100.0/24)".format(subnet))
        try:
            net = parse_subnet(str(subnet))
        except AddressError as exc:
            raise AddressProblem("subnet: {0}".format(exc)) from None
    if prefix_given is not None and str(net.prefixlen) != prefix_given:
        raise AddressProblem("address: prefix /{0} differs from subnet {1}".format(prefix_given, net))
    if not in_network(ip, net):
        raise AddressProblem("address: {0} is not inside subnet {1}".format(ip, net))
    reason = reserved_reason(ip, net)
    if reason:
        raise AddressProblem("address: {0} {1}".format(ip, reason))
    return str(ip), net.prefixlen
