# Copyright: failover.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter of the runbooks (controller side): the member a switch is watched from."""

from __future__ import annotations

DOCUMENTATION = r"""
name: runbook_watcher
short_description: The cluster member a runbook's switch is watched from
version_added: 0.1.0
description:
  - Picks the member that runs M(failover.cluster.package_switch) - online, a host of the play,
    preferably neither the target nor the source, so the switch keeps being watched (and its
    temporary rule removed at once) when either of them crashes; else the source; else the target.
positional: play_hosts, target, source
options:
  _input:
    description: The C(nodes) list of M(failover.cluster.cluster_info).
    type: list
    elements: dict
    required: true
  play_hosts:
    description: The hosts of the play.
    type: list
    elements: str
    required: true
  target:
    description: The node the packages are switched to.
    type: str
    required: true
  source:
    description: The node they run on now (empty when they are halted).
    type: str
author:
  - failover.cluster developers (@failover-cluster)
"""

EXAMPLES = r"""
- name: Pick the watcher
  ansible.builtin.set_fact:
    watcher: "{{ state.nodes | failover.cluster.runbook_watcher(ansible_play_hosts_all, 'node2', 'node1') }}"
"""

RETURN = r"""
_value:
  description: The node name.
  type: str
"""

from ansible_collections.failover.cluster.plugins.module_utils._switch import pick_watcher


def runbook_watcher(nodes, play_hosts, target, source=None):
    return pick_watcher(nodes or [], play_hosts or [], target, source)


class FilterModule:
    def filters(self):
        return {"runbook_watcher": runbook_watcher}
