# Copyright: failover.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter: what the SNA definitions step writes for an SNA gateway package entry."""

from __future__ import annotations

DOCUMENTATION = r"""
name: sna_definitions
short_description: The SNA definitions of an SNA gateway package entry, and its candidate nodes
version_added: 0.1.0
description:
  - Validates a package entry that carries an C(sna) mapping with the package model (against the validated
    cluster description) and returns what must be defined on every candidate before the package first runs
    there - the SNA node, the port bound to the package's relocatable IP, the link stations - with the
    candidates, the CLI flavour and the program paths.
  - "Fails with every problem (C(package[0].<field>: <rule>)) when the entry is invalid or has no C(sna) mapping."
positional: cluster
options:
  _input:
    description: One package entry with an C(sna) mapping (C(docs/spec-reference.md)).
    type: dict
    required: true
  cluster:
    description: The validated cluster description (the C(cluster) of M(failover.cluster.cluster_spec)'s result).
    type: dict
    required: true
author:
  - failover.cluster developers (@failover-cluster)
"""

EXAMPLES = r"""
- name: Candidates and definitions of the SNA package
  ansible.builtin.debug:
    msg: >-
      {{ (packages_list | selectattr('sna', 'defined') | first)
         | failover.cluster.sna_definitions(cluster_description.cluster) }}
"""

RETURN = r"""
_value:
  description:
    - C(package_name), C(candidates) (node names in priority order), C(flavour), C(daemon_path), C(admin_path)
      and C(definitions) - C(node), C(port) (with C(local_ip)), C(link_stations) as given in the entry.
  type: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.failover.cluster.plugins.module_utils._model.errors import SpecError
from ansible_collections.failover.cluster.plugins.module_utils._sna_gateway import gateway_definitions


def sna_definitions(entry, cluster):
    try:
        return gateway_definitions(entry, cluster)
    except (SpecError, ValueError) as exc:
        raise AnsibleFilterError("the SNA gateway package is invalid; nothing was changed: {0}".format(
            "; ".join(getattr(exc, "errors", None) or [str(exc)]))) from None


class FilterModule:
    def filters(self):
        return {"sna_definitions": sna_definitions}
