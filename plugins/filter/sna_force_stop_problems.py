# Copyright: failover.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter: SNA gateway packages of a list that lack the product's forced stale-node stop."""

from __future__ import annotations

DOCUMENTATION = r"""
name: sna_force_stop_problems
short_description: SNA gateway packages that lack the SNA product's forced stale-node stop
version_added: 0.1.0
description:
  - For a package list, one message per entry with an C(sna) mapping that gives no C(sna.force_stop_command)
    although the SNA stack is the site's own product (O(install=none)) and C(sna.force_stale) is not C(never).
    The emulator's forced-stop verb is never used on a real site.
  - "Each message is C(packages[i].sna.force_stop_command: <rule>); empty when nothing is missing or with
    O(install=emulator)."
positional: install
options:
  _input:
    description: The package list (C(packages_list)).
    type: list
    elements: dict
    required: true
  install:
    description: C(emulator) (lab, demo) or C(none) (the site installed the product).
    type: str
    default: none
author:
  - failover.cluster developers (@failover-cluster)
"""

EXAMPLES = r"""
- name: Refuse SNA gateway packages without the product's forced stop before anything changes
  ansible.builtin.assert:
    that: problems | length == 0
    fail_msg: "{{ problems | join('; ') }}; nothing was changed"
  vars:
    problems: "{{ packages_list | failover.cluster.sna_force_stop_problems(packages_sna_install) }}"
"""

RETURN = r"""
_value:
  description: One message per SNA gateway package that lacks the forced stop; empty otherwise.
  type: list
  elements: str
"""

from ansible_collections.failover.cluster.plugins.module_utils._sna_gateway import force_stop_problems


def sna_force_stop_problems(entries, install="none"):
    return force_stop_problems(entries, install)


class FilterModule:
    def filters(self):
        return {"sna_force_stop_problems": sna_force_stop_problems}
