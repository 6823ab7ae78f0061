# Copyright: failover.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter of the runbooks (controller side): what a switch's outcome was."""

from __future__ import annotations

DOCUMENTATION = r"""
name: runbook_outcome
short_description: The outcome of a runbook's switch, from the switch's result and the cluster's view
version_added: 0.1.0
description:
  - Combines the result of M(failover.cluster.package_switch) with the cluster's view read after
    it (C(package_switch) with C(release=true)). When the switch finished, its result stands, with
    the node each package runs on taken from the cluster's view; when it did not (its node or the
    controller died), the outcome is what the cluster shows - C(switched) (on the target),
    C(recovered_elsewhere) (on another node) or C(halted) (on none).
  - Returns C(result), C(packages) (per package - C(name), C(result), C(final_node), C(events)),
    C(summary) (one sentence per package, ending with the node it runs on) and C(final_nodes).
  - With O(preflight_error) (the runbook's preflight stopped it before any change), the outcome is
    C(refused) for a package still where the preflight found it, C(recovered_elsewhere) (or
    C(halted)) for one the cluster moved meanwhile - the node it runs on now from the cluster's view.
positional: truth, target, packages, note, preflight_error, sources
options:
  _input:
    description: The registered result of the switch task.
    type: dict
    required: true
  truth:
    description: The registered result of C(package_switch) with C(release=true).
    type: dict
    required: true
  target:
    description: The node the packages were switched to.
    type: str
    required: true
  packages:
    description: The names of the packages.
    type: list
    elements: str
    required: true
  note:
    description:
      - The sentence that explains a result taken from the cluster's view (when there was no switch
        to report, as in a takeover). Default - the runbook lost contact with the switch.
    type: str
  preflight_error:
    description: The message of the preflight check that stopped the runbook; none when the switch ran.
    type: str
  sources:
    description: The node each package ran on when the preflight planned the switch (name to node).
    type: dict
author:
  - failover.cluster developers (@failover-cluster)
"""

EXAMPLES = r"""
- name: Say what happened
  ansible.builtin.debug:
    msg: "{{ (switch | failover.cluster.runbook_outcome(truth, 'node2', ['sna'])).summary }}"
"""

RETURN = r"""
_value:
  description: C(result), C(packages), C(summary), C(final_nodes).
  type: dict
"""

from ansible_collections.failover.cluster.plugins.module_utils._switch import runbook_outcome as _runbook_outcome


def runbook_outcome(switch, truth, target, packages, note=None, preflight_error=None, sources=None):
    return _runbook_outcome(switch, truth, target, packages, note, preflight_error, sources)


class FilterModule:
    def filters(self):
        return {"runbook_outcome": runbook_outcome}
