#!/usr/bin/python
# Copyright: failover.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: node_addresses
short_description: Read a host's interfaces and their addresses (one C(ip -j addr show))
version_added: 0.1.0
description:
  - Runs C(ip -j addr show) once and returns every interface with its MAC address, whether it is
    up, and its addresses with their prefix lengths.
  - The C(cluster) role reads every node with it before it writes anything, and the filter
    P(failover.cluster.node_address_problems#filter) compares what the nodes hold with the
    heartbeat and stationary addresses of the cluster description.
  - Changes nothing.
author:
  - failover.cluster developers (@failover-cluster)
extends_documentation_fragment:
  - failover.cluster.attributes
  - failover.cluster.attributes.INFO_MODULE
requirements:
  - iproute2 (C(ip)) on the host
"""

EXAMPLES = r"""
- name: Read the node's addresses
  failover.cluster.node_addresses:
  register: node_addresses

- name: Show them
  ansible.builtin.debug:
    msg: "{{ node_addresses.interfaces | map(attribute='addresses') | flatten | map(attribute='address') }}"
"""

RETURN = r"""
interfaces:
  description: Every interface, in the order C(ip) lists them.
  returned: always
  type: list
  elements: dict
  contains:
    ifname:
      description: The interface name.
      type: str
    mac:
      description: Its MAC address (lower case), or null.
      type: str
    up:
      description: Whether the interface is administratively up (flag C(UP)).
      type: bool
    lower_up:
      description: Whether it has a carrier (flag C(LOWER_UP)).
      type: bool
    addresses:
      description: Its addresses - C(address), C(prefixlen), C(family) (C(inet), C(inet6)), C(label), C(flags).
      type: list
      elements: dict
  sample:
    - ifname: eth0
      mac: "02:00:5e:00:53:11"
      up: true
      lower_up: true
      addresses: [{address: 198.51.100.11, prefixlen: 24, family: inet, label: eth0, flags: []}]
commands:
  description: The commands the module ran, as argv lists.
  returned: always
  type: list
  elements: list
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.failover.cluster.plugins.module_utils._ipaddr import parse_ip_json
from ansible_collections.failover.cluster.plugins.module_utils._runner import CommandError, Runner


def main():
    module = AnsibleModule(argument_spec={}, supports_check_mode=True)
    runner = Runner(module)
    try:
        _rc, out, _err = runner.run([runner.which("ip"), "-j", "addr", "show"])
        interfaces = parse_ip_json(out)
    except (CommandError, ValueError) as exc:
        module.fail_json(msg=str(exc), changed=False, commands=runner.commands)
    module.exit_json(changed=False, interfaces=interfaces, commands=runner.commands)


if __name__ == "__main__":
    main()
