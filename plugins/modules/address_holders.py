#!/usr/bin/python
# Copyright: failover.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: address_holders
short_description: Ask, from one host, which hosts answer ARP for some addresses
version_added: 0.1.0
description:
  - For each address of O(addresses), finds the interface this host would reach it through
    (C(ip route get)) and asks who answers for it (C(arping)); all addresses are asked at the
    same time. Each answering MAC is named after the peer it belongs to - the peers of
    O(peers) are resolved the same way, and this host's own MACs carry O(self_name).
  - What the runbooks ask before a switch (no host but the source answers for the package's
    relocatable IPs - another would make a duplicate) and after it (they answer from the new
    node only), in one task instead of one command per address and host.
  - Changes nothing.
author:
  - failover.cluster developers (@failover-cluster)
extends_documentation_fragment:
  - failover.cluster.attributes
  - failover.cluster.attributes.INFO_MODULE
options:
  addresses:
    description: The IPv4 addresses to ask about.
    type: list
    elements: str
    required: true
  peers:
    description: Hosts whose MACs name the answers - host name to one of its addresses on the same network.
    type: dict
    default: {}
  self_name:
    description: The name this host's own MACs are given.
    type: str
  count:
    description: ARP requests per address (C(arping -c)); it waits at most this plus one seconds.
    type: int
    default: 2
requirements:
  - iproute2 (C(ip)) and iputils-arping (C(arping)) on the host
"""

EXAMPLES = r"""
- name: Who answers for the package's IPs, seen from the target
  failover.cluster.address_holders:
    addresses: [198.51.100.50]
    peers: {node1: 198.51.100.11}
    self_name: node2
  delegate_to: node2
  register: holders

- name: Nobody but the source
  ansible.builtin.assert:
    that: holders.holders['198.51.100.50'] | difference(['node1']) | length == 0
"""

RETURN = r"""
holders:
  description: Per address, the names (peer, O(self_name)) or bare MACs of the hosts that answered.
  returned: always
  type: dict
  sample: {"198.51.100.50": ["node1"]}
answers:
  description: Per address - C(interface) and the answering C(macs).
  returned: always
  type: dict
peers:
  description: The MAC each peer answered from (null when it did not answer).
  returned: always
  type: dict
own_macs:
  description: This host's MAC addresses.
  returned: always
  type: list
  elements: str
commands:
  description: The commands the module ran, as argv lists.
  returned: always
  type: list
  elements: list
"""

import threading

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.failover.cluster.plugins.module_utils._ipaddr import parse_arping, parse_ip_json
from ansible_collections.failover.cluster.plugins.module_utils._runner import CommandError, Runner


def route_interface(runner, address):
    _rc, out, _err = runner.run([runner.which("ip"), "-o", "route", "get", address], check=False)
    words = out.split()
    return words[words.index("dev") + 1] if "dev" in words[:-1] else None


def ask_all(runner, arping, targets, count):
    """{address: [macs]} for (address, interface) pairs, asked in parallel threads."""
    results = {}

    def ask(address, interface):
        argv = [arping, "-c", str(count), "-w", str(count + 1), "-I", interface, address]
        _rc, out, _err = runner.run(argv, check=False)
        results[address] = parse_arping(out)["macs"]

    threads = [threading.Thread(target=ask, args=pair) for pair in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def name_holders(answers, peer_macs, own_macs, self_name):
    """Pure: per address, the answering MACs named after their host where it is known."""
    names = {mac: name for name, mac in peer_macs.items() if mac}
    for mac in own_macs:
        if self_name:
            names[mac] = self_name
    return {address: [names.get(mac, mac) for mac in entry["macs"]] for address, entry in answers.items()}


def main():
    module = AnsibleModule(
        argument_spec={
            "addresses": {"type": "list", "elements": "str", "required": True},
            "peers": {"type": "dict", "default": {}},
            "self_name": {"type": "str"},
            "count": {"type": "int", "default": 2},
        },
        supports_check_mode=True,
    )
    p = module.params
    runner = Runner(module)
    try:
        _rc, out, _err = runner.run([runner.which("ip"), "-j", "addr", "show"])
        own_macs = sorted({link["mac"] for link in parse_ip_json(out)
                           if link["mac"] and link["mac"] != "00:00:00:00:00:00"})
        arping = runner.which("arping")
        routes = {a: route_interface(runner, a) for a in list(p["addresses"]) + list(p["peers"].values())}
        missing = [a for a, dev in routes.items() if dev is None]
        if missing:
            module.fail_json(msg="addresses: no route from this host to {0}".format(", ".join(missing)), changed=False,
                             commands=runner.commands)
        asked = ask_all(runner, arping, sorted(routes.items()), p["count"])
    except CommandError as exc:
        module.fail_json(msg=str(exc), changed=False, commands=runner.commands)
    answers = {a: {"interface": routes[a], "macs": asked.get(a, [])} for a in p["addresses"]}
    peer_macs = {name: (asked.get(address) or [None])[0] for name, address in p["peers"].items()}
    module.exit_json(changed=False, answers=answers, peers=peer_macs, own_macs=own_macs,
                     holders=name_holders(answers, peer_macs, own_macs, p["self_name"]), commands=runner.commands)


if __name__ == "__main__":
    main()
