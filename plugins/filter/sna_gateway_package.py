# Copyright: failover.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter: the sna_gateway role's variables as one package entry of the SNA kind."""

from __future__ import annotations

DOCUMENTATION = r"""
name: sna_gateway_package
short_description: The sna_gateway role's variables as one package entry with an sna mapping
version_added: 0.1.0
description:
  - Turns the C(sna_gateway_*) variables of the C(failover.cluster.sna_gateway) role into one entry of a
    package list - C(package_name), C(node_name), C(ip) and the C(sna) mapping (node, port, link stations,
    flavour, paths, forced stale-node stop, environment, timeouts) - the SNA gateway package kind of
    C(docs/spec-reference.md). The role hands that entry to M(failover.cluster.package).
  - Empty paths, an empty forced-stop command and an empty environment are left out (the package model's
    defaults apply). The entry is validated by the package model, not here.
positional: nodes, ip, node, port, link_stations, options
options:
  _input:
    description: C(sna_gateway_package_name).
    type: str
    required: true
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
  options:
    description:
      - The role's other variables without the C(sna_gateway_) prefix - C(flavour), C(daemon_path),
        C(admin_path), C(force_stale), C(force_stop_command), C(environment), C(timeouts), C(failback_policy),
        C(auto_run), C(ip_release_window).
    type: dict
author:
  - failover.cluster developers (@failover-cluster)
"""

EXAMPLES = r"""
- name: The SNA gateway package as a package list entry
  ansible.builtin.set_fact:
    sna_entry: >-
      {{ 'sna' | failover.cluster.sna_gateway_package([], {'ip_address': '198.51.100.50',
         'ip_subnet': '198.51.100.0/24'}, {'fqcp_name': 'APPN.GWNODE'}, {'port_name': 'HAPORT'},
         [{'ls_name': 'HALS1', 'remote_ip_host': '198.51.100.14', 'pu_name': 'HAPU1'}], {'flavour': 'snaplus2'}) }}
"""

RETURN = r"""
_value:
  description:
    - One package entry (C(package_name), C(description), C(node_name), C(failover_policy), C(ip), C(sna), ...).
  type: dict
"""

from ansible_collections.failover.cluster.plugins.module_utils._sna_gateway import gateway_entry


def sna_gateway_package(package_name, nodes=None, ip=None, node=None, port=None, link_stations=None, options=None):
    return gateway_entry(package_name, nodes or (), ip, node, port, link_stations, options)


class FilterModule:
    def filters(self):
        return {"sna_gateway_package": sna_gateway_package}
