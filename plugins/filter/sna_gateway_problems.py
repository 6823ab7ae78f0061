# Copyright: failover.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter for the SNA gateway role's preflight (controller side)."""

from __future__ import annotations

DOCUMENTATION = r"""
name: sna_gateway_problems
short_description: Every problem of an SNA gateway description, before any host changes
version_added: 0.1.0
description:
  - Checks the C(sna_gateway_*) variables of the C(failover.cluster.sna_gateway) role against the
    SNA stack's rules (node, port, link station and PU names, UDP ports, no link station or PU
    twice) and the relocatable IP and candidates against the package rules of the validated
    cluster description (address inside the subnet, not its network or broadcast address, the
    subnet on every candidate, candidates are cluster nodes).
  - "Returns one message per problem, each C(<variable path>: <rule>); empty when valid."
positional: package_name, nodes, ip, node, port, link_stations
options:
  _input:
    description: The validated cluster description (the C(cluster) of M(failover.cluster.cluster_spec)'s result).
    type: dict
    required: true
  package_name:
    description: C(sna_gateway_package_name).
    type: str
  nodes:
    description: C(sna_gateway_nodes) (empty means every cluster node).
    type: list
    elements: str
  ip:
    description: C(sna_gateway_ip).
    type: dict
  node:
    description: C(sna_gateway_node).
    type: dict
  port:
    description: C(sna_gateway_port).
    type: dict
  link_stations:
    description: C(sna_gateway_link_stations).
    type: list
    elements: dict
author:
  - failover.cluster developers (@failover-cluster)
"""

EXAMPLES = r"""
- name: Refuse a bad description before anything changes
  ansible.builtin.assert:
    that: problems | length == 0
    fail_msg: "{{ problems | join('; ') }}"
  vars:
    problems: >-
      {{ cluster_description.cluster | failover.cluster.sna_gateway_problems(sna_gateway_package_name,
         sna_gateway_nodes,
         sna_gateway_ip, sna_gateway_node, sna_gateway_port, sna_gateway_link_stations) }}
"""

RETURN = r"""
_value:
  description: One message per problem; empty when the description is valid.
  type: list
  elements: str
"""

from ansible_collections.failover.cluster.plugins.module_utils._sna_gateway import gateway_problems


def sna_gateway_problems(cluster, package_name=None, nodes=None, ip=None, node=None, port=None, link_stations=None):
    return gateway_problems(cluster, package_name, nodes or (), ip, node, port, link_stations)


class FilterModule:
    def filters(self):
        return {"sna_gateway_problems": sna_gateway_problems}
