# Copyright: failover.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters for the roles' preflight checks (controller side)."""

from __future__ import annotations

DOCUMENTATION = r"""
name: subnet_interface
short_description: The interface of a host that has an IPv4 address in a subnet
version_added: 0.1.0
description:
  - Looks through a host's gathered network facts for the interface with an IPv4 address
    (primary or secondary) inside O(subnet), and returns its name, that address and its MAC
    address - what a relocatable IP in that subnet would be added to, and the MAC the
    neighbours will see it from. Returns C(none) when no interface qualifies.
positional: subnet
options:
  _input:
    description: The host's facts (C(hostvars[host].ansible_facts) after gathering C(network)).
    type: dict
    required: true
  subnet:
    description: The subnet, for example C(198.51.100.0/24).
    type: str
    required: true
author:
  - failover.cluster developers (@failover-cluster)
"""

EXAMPLES = r"""
- name: Where would the relocatable IP go on this node?
  ansible.builtin.debug:
    msg: "{{ ansible_facts | failover.cluster.subnet_interface('198.51.100.0/24') }}"
"""

RETURN = r"""
_value:
  description: C(interface), C(address) and C(mac), or C(none).
  type: dict
"""

import ipaddress

from ansible.errors import AnsibleFilterError


def subnet_interface(facts, subnet):
    try:
        network = ipaddress.ip_network(str(subnet), strict=False)
    except ValueError as exc:
        raise AnsibleFilterError(f"subnet_interface: {subnet!r} is not a subnet: {exc}") from exc
    if not isinstance(facts, dict):
        raise AnsibleFilterError("subnet_interface: the input must be a host's ansible_facts")
    for name in sorted(facts.get("interfaces", [])):
        iface = facts.get(name.replace("-", "_")) or facts.get(name) or {}
        if not isinstance(iface, dict):
            continue
        candidates = []
        if isinstance(iface.get("ipv4"), dict):
            candidates.append(iface["ipv4"])
        candidates.extend(a for a in iface.get("ipv4_secondaries", []) if isinstance(a, dict))
        for entry in candidates:
            try:
                address = ipaddress.ip_address(entry.get("address", ""))
            except ValueError:
                continue
            if address in network:
                return {"interface": name, "address": str(address), "mac": iface.get("macaddress")}
    return None


class FilterModule:
    def filters(self):
        return {"subnet_interface": subnet_interface}
