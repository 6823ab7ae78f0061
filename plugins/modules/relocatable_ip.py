#!/usr/bin/python
# Copyright: failover.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: relocatable_ip
short_description: Add or remove a relocatable IPv4 address, with duplicate detection and gratuitous ARP
version_added: 0.1.0
description:
  - For runbooks and manual operations outside the cluster engine (inside a package,
    Pacemaker's C(IPaddr2) agent does this). Serviceguard's C(cmmodnet -a / -r) with its
    checks.
  - "Checks with netaddr that O(address) is inside O(subnet) and is not its network or
    broadcast address."
  - "Before adding, runs duplicate address detection (C(arping -D) on O(interface)): if any
    host answers for the address the module fails, naming the MAC address that answered,
    and adds nothing. Check mode runs the detection as well (it only sends ARP probes with
    source 0.0.0.0, which change no neighbour's cache), so it predicts that failure."
  - After adding, sends gratuitous ARP (C(arping -U), or C(arping -A) with
    O(garp_mode=reply)) so that neighbours and switches learn the address's new MAC at once.
  - Idempotent - an address already on O(interface) with the same prefix is left alone
    (no detection, no ARP); removing an absent address changes nothing.
author:
  - failover.cluster developers (@failover-cluster)
extends_documentation_fragment:
  - failover.cluster.attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
    details:
      - Before and after are the interface's IPv4 addresses.
options:
  address:
    description:
      - The relocatable IPv4 address, without prefix length (or as C(addr/prefix) when
        O(subnet) is not given).
    type: str
    required: true
  subnet:
    description:
      - The subnet the address belongs to, as C(network/prefix), for example
        C(198.51.100.0/24); the address gets that prefix length. Serviceguard's C(ip_subnet).
    type: str
  interface:
    description:
      - The interface to put the address on (it must be up). With O(state=absent) it may be
        omitted - the address is removed from whichever interface holds it.
    type: str
  state:
    description: C(present) adds the address, C(absent) removes it.
    type: str
    choices: [present, absent]
    default: present
  duplicate_detection:
    description: Run C(arping -D) before adding and refuse the address if another host answers.
    type: bool
    default: true
  detection_count:
    description: Probes C(arping -D) sends (C(-c)); it waits at most O(detection_count) + 1 seconds (C(-w)).
    type: int
    default: 2
  gratuitous_arp:
    description: Send gratuitous ARP after adding.
    type: bool
    default: true
  garp_mode:
    description: C(request) sends unsolicited ARP requests (C(arping -U)), C(reply) sends ARP replies (C(arping -A)).
    type: str
    choices: [request, reply]
    default: request
  garp_count:
    description: How many gratuitous ARP packets to send.
    type: int
    default: 2
requirements:
  - iproute2 (C(ip)) and iputils-arping (C(arping)) on the node
  - netaddr (Debian C(python3-netaddr)) on the node
notes:
  - IPv4 only; IPv6 has no ARP (the kernel's own duplicate address detection applies there).
  - The detection can only see hosts that answer ARP on the same layer-2 segment.
seealso:
  - module: failover.cluster.package
"""

EXAMPLES = r"""
- name: Take over the service address on the survivor (cmmodnet -a)
  failover.cluster.relocatable_ip:
    address: 198.51.100.50
    subnet: 198.51.100.0/24
    interface: eth1

- name: Release it on the old holder (cmmodnet -r)
  failover.cluster.relocatable_ip:
    address: 198.51.100.50
    state: absent
"""

RETURN = r"""
address:
  description: The address, with its prefix length.
  returned: always
  type: str
  sample: 198.51.100.50/24
interface:
  description: The interface that holds (or held) the address.
  returned: always
  type: str
duplicate:
  description: Result of the duplicate address detection (null when not run).
  returned: always
  type: dict
  contains:
    sent:
      description: Probes sent.
      type: int
    received:
      description: Answers received.
      type: int
    macs:
      description: MAC addresses that answered for the address.
      type: list
      elements: str
garp_sent:
  description: How many gratuitous ARP packets were sent.
  returned: always
  type: int
commands:
  description: Commands run (in check mode also the detection), as argv lists.
  returned: always
  type: list
  elements: list
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.failover.cluster.plugins.module_utils._ipaddr import (
    AddressProblem,
    check_address,
    find_address,
    parse_arping,
    parse_ip_json,
)
from ansible_collections.failover.cluster.plugins.module_utils._runner import CommandError, Runner


def ipv4_of(links, ifname):
    for link in links:
        if link["ifname"] == ifname:
            return "\n".join("{0}/{1}".format(a["address"], a["prefixlen"]) for a in link["addresses"]
                             if a["family"] == "inet") + "\n"
    return ""


def main():
    module = AnsibleModule(
        argument_spec={
            "address": {"type": "str", "required": True},
            "subnet": {"type": "str"},
            "interface": {"type": "str"},
            "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
            "duplicate_detection": {"type": "bool", "default": True},
            "detection_count": {"type": "int", "default": 2},
            "gratuitous_arp": {"type": "bool", "default": True},
            "garp_mode": {"type": "str", "choices": ["request", "reply"], "default": "request"},
            "garp_count": {"type": "int", "default": 2},
        },
        required_if=[("state", "present", ("interface",))],
        supports_check_mode=True,
    )
    params = module.params
    runner = Runner(module)
    result = {"changed": False, "duplicate": None, "garp_sent": 0, "commands": runner.commands,
              "interface": params["interface"]}
    present = params["state"] == "present"
    try:
        if present or params["subnet"] or "/" in params["address"]:
            address, prefix = check_address(params["address"], params["subnet"])
        else:
            address, prefix = check_address(params["address"] + "/32", None)[0], None
    except AddressProblem as exc:
        module.fail_json(msg=str(exc), **result)
    except ImportError as exc:
        module.fail_json(msg=str(exc), **result)

    ip = runner.which("ip")
    try:
        _rc, out, _err = runner.run([ip, "-j", "addr", "show"])
        links = parse_ip_json(out)
    except (CommandError, ValueError) as exc:
        module.fail_json(msg="cannot read the interfaces: {0}".format(exc), **result)
    holders = find_address(links, address)
    result["address"] = "{0}/{1}".format(address, prefix if prefix is not None else (holders[0][1] if holders else 32))

    if not present:
        if params["interface"]:
            holders = [h for h in holders if h[0] == params["interface"]]
        if not holders:
            module.exit_json(**result)
        ifname, held_prefix = holders[0]
        result.update(interface=ifname, changed=True, address="{0}/{1}".format(address, held_prefix))
        if module._diff:
            before = ipv4_of(links, ifname)
            after = "".join(line + "\n" for line in before.splitlines() if line != result["address"])
            result["diff"] = {"before": before, "after": after, "before_header": ifname, "after_header": ifname}
        argv = [ip, "addr", "del", result["address"], "dev", ifname]
        if module.check_mode:
            runner.commands.append(argv)
            module.exit_json(**result)
        try:
            runner.run(argv)
        except CommandError as exc:
            module.fail_json(msg=str(exc), **result)
        module.exit_json(**result)

    ifname = params["interface"]
    link = next((entry for entry in links if entry["ifname"] == ifname), None)
    if link is None:
        module.fail_json(msg="interface: {0} does not exist on this host".format(ifname), **result)
    elsewhere = [h for h in holders if h[0] != ifname]
    if elsewhere:
        module.fail_json(msg="address: {0} is already on interface {1} of this host; remove it there first".format(
            address, elsewhere[0][0]), **result)
    here = [h for h in holders if h[0] == ifname]
    if here and here[0][1] == prefix:
        module.exit_json(**result)
    if here:
        module.fail_json(msg="address: {0} is already on {1} with prefix /{2}, not /{3}; remove it first".format(
            address, ifname, here[0][1], prefix), **result)
    if not link["up"]:
        module.fail_json(msg="interface: {0} is down; bring it up before adding {1}".format(ifname, address),
                         **result)

    arping = runner.which("arping") if params["duplicate_detection"] or params["gratuitous_arp"] else None
    if params["duplicate_detection"]:
        count = max(1, params["detection_count"])
        argv = [arping, "-D", "-c", str(count), "-w", str(count + 1), "-I", ifname, address]
        rc, out, err = runner.run(argv, check=False)
        found = parse_arping(out)
        result["duplicate"] = {"sent": found["sent"], "received": found["received"], "macs": found["macs"]}
        if found["macs"]:
            module.fail_json(msg="address: {0} is already in use on the network of {1}: answered by MAC {2}; "
                                 "nothing was added".format(address, ifname, ", ".join(found["macs"])), **result)
        if rc not in (0, 1) or (rc == 1 and not found["replies"]):
            module.fail_json(msg="duplicate address detection failed (arping exit {0}): {1}".format(
                rc, (err or out).strip()), **result)
    # Only now, with no other host answering for the address, is there a change to make.
    result["changed"] = True
    if module._diff:
        before = ipv4_of(links, ifname)
        result["diff"] = {"before": before, "after": before + result["address"] + "\n", "before_header": ifname,
                          "after_header": ifname}
    add = [ip, "addr", "add", result["address"], "dev", ifname]
    garp = None
    if params["gratuitous_arp"]:
        garp = [arping, "-U" if params["garp_mode"] == "request" else "-A", "-c", str(max(1, params["garp_count"])),
                "-I", ifname, address]
    if module.check_mode:
        runner.commands.append(add)
        if garp:
            runner.commands.append(garp)
        module.exit_json(**result)
    try:
        runner.run(add)
        if garp:
            rc, out, err = runner.run(garp, check=False)
            sent = parse_arping(out)["sent"]
            if rc != 0 and not sent:
                module.warn("the address was added but gratuitous ARP failed (arping exit {0}): {1}".format(
                    rc, (err or out).strip()))
            result["garp_sent"] = sent
    except CommandError as exc:
        module.fail_json(msg=str(exc), **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
