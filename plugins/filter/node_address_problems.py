# Copyright: failover.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter for the cluster role's host check (controller side)."""

from __future__ import annotations

DOCUMENTATION = r"""
name: node_address_problems
short_description: Every heartbeat or stationary address of the description that its node does not hold
version_added: 0.1.0
description:
  - Compares the heartbeat (C(addresses)) and stationary addresses (C(stationary_addresses)) of
    every node of the validated cluster description with the interfaces read from the nodes
    (M(failover.cluster.node_addresses)). An address is held when an interface of its own
    node that is up carries it with the configured prefix length.
  - "Returns one message per address that is not, each C(<field>: <address> <where it is instead>):
    on another node (two nodes' addresses swapped), on no node of the cluster (a typo), with another
    prefix length, or on an interface that is down. Empty when every node holds its addresses."
  - Nodes missing from O(interfaces) are not checked.
positional: interfaces, prefix
options:
  _input:
    description: The validated cluster description (the C(cluster) of M(failover.cluster.cluster_spec)'s result).
    type: dict
    required: true
  interfaces:
    description:
      - Node name to what M(failover.cluster.node_addresses) returned on it - the registered
        result or its C(interfaces). Skipped results and other hosts are left out.
    type: dict
    required: true
  prefix:
    description: What the field names start with.
    type: str
    default: cluster_
author:
  - failover.cluster developers (@failover-cluster)
"""

EXAMPLES = r"""
- name: Read every node's addresses
  failover.cluster.node_addresses:
  register: node_addresses

- name: Refuse a description the nodes do not match
  ansible.builtin.assert:
    that: problems | length == 0
    fail_msg: "{{ problems | join('; ') }}"
  run_once: true
  vars:
    problems: >-
      {{ cluster_description.cluster | failover.cluster.node_address_problems(
         dict(ansible_play_hosts | zip(ansible_play_hosts | map('extract', hostvars, 'node_addresses')))) }}
"""

RETURN = r"""
_value:
  description: One message per address its node does not hold; empty when all are held.
  type: list
  elements: str
  sample:
    - "cluster_nodes[1].addresses[0]: 198.51.100.11/24 is not an address of node2 (it is on node1)"
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.failover.cluster.plugins.module_utils._node_addresses import node_address_problems as _problems


def node_address_problems(cluster, interfaces, prefix="cluster_"):
    if not isinstance(cluster, dict) or not isinstance(interfaces, dict):
        raise AnsibleFilterError("node_address_problems: expects the cluster description and a dict of interfaces")
    links = {}
    for name, value in interfaces.items():
        if isinstance(value, dict):  # a registered result of node_addresses (skipped: no interfaces)
            value = value.get("interfaces")
        if isinstance(value, list):
            links[name] = value
    return _problems(cluster, links, prefix)


class FilterModule:
    def filters(self):
        return {"node_address_problems": node_address_problems}
