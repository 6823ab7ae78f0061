# Copyright: failover.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters for the SNA gateway role's preflight (controller side)."""

from __future__ import annotations

DOCUMENTATION = r"""
name: sna_pu_refusals
short_description: Why a remote SNA host would refuse the gateway's candidates
version_added: 0.1.0
description:
  - Reads a remote SNA host's PU query (C(key = value) blocks with C(allowed_addresses) and
    C(allowed_macs)) and lists every refusal the candidates would meet - the relocatable IP
    outside the allowed addresses, or a candidate's MAC outside the allowed MACs. The SNAplus2
    HA appendix requires that the remote system lets every candidate activate the PU.
positional: address, candidate_macs
options:
  _input:
    description: The query output.
    type: str
    required: true
  address:
    description: The relocatable IP the link stations come from.
    type: str
    required: true
  candidate_macs:
    description: Candidate node name to the MAC of its interface in the relocatable IP's subnet.
    type: dict
    required: true
author:
  - failover.cluster developers (@failover-cluster)
"""

EXAMPLES = r"""
- name: Refusals for one PU
  ansible.builtin.debug:
    msg: "{{ query.stdout | failover.cluster.sna_pu_refusals('198.51.100.50', {'node1': '02:00:00:00:00:11'}) }}"
"""

RETURN = r"""
_value:
  description: One message per refusal; empty when every candidate is admitted.
  type: list
  elements: str
"""

from ansible_collections.failover.cluster.plugins.module_utils._sna import pu_refusals


def sna_pu_refusals(query_text, address, candidate_macs):
    return pu_refusals(query_text, address, candidate_macs)


class FilterModule:
    def filters(self):
        return {"sna_pu_refusals": sna_pu_refusals}
