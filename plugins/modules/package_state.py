#!/usr/bin/python
# Copyright: failover.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: package_state
short_description: Run, halt or move a package and enable or disable its switching (cmrunpkg, cmhaltpkg, cmmodpkg)
version_added: 0.1.0
description:
  - The day-2 operations on a package made by M(failover.cluster.package), in Serviceguard's
    terms - O(state=running) is C(cmrunpkg [-n node]), O(state=halted) is C(cmhaltpkg),
    O(state=moved) with O(node) is a planned move (C(cmhaltpkg) + C(cmrunpkg -n node)), and
    O(switching) is C(cmmodpkg -e) / C(cmmodpkg -d).
  - "Every precondition is checked BEFORE anything changes, and a failure names the option
    and the rule - the package must exist and be managed by the collection, the cluster
    partition must have quorum, and a target O(node) must be a cluster node, in the
    package's C(node_name) list, online and not in standby."
  - After the change the module waits until the cluster has settled (C(crm_resource
    --wait)) and reports where the package ended up, its state and the seconds it took.
  - "Halting and running set the package group's C(target-role) (Stopped / Started) in its
    own meta attributes. Running a halted package first clears its failure history
    (C(crm_resource --cleanup)), as Serviceguard resets the restart counts of a package it
    starts."
  - "An SNA gateway package whose link stations start in parallel is C(degraded) when one of
    them does not run (its start failed, for example the remote host refused the PU); O(state=running)
    then clears the failure of those link stations only (C(crm_resource --cleanup) on each), so
    the cluster starts them again without touching the rest of the package."
  - "Running on, or moving to, a given node with switching enabled uses C(crm_resource --move)
    (a temporary C(cli-prefer-) constraint), waits until the package runs there and then
    clears that constraint (C(crm_resource --clear)), so the package's C(failback_policy)
    applies again - with C(failback_policy=manual) (stickiness) it stays on the new node;
    with C(failback_policy=automatic) it goes back to a more preferred node that is up, as
    in Serviceguard; the module then warns and reports the node it ended on. Disable
    switching to keep it where you put it."
  - "Switching disabled is a location constraint C(fc-noswitch-<package>) that bans the
    package from every node but one (rule C(#uname ne <node>)); the package then does not
    fail over. M(failover.cluster.cluster_info) reports it as C(switching_enabled=false)."
author:
  - failover.cluster developers (@failover-cluster)
extends_documentation_fragment:
  - failover.cluster.attributes
attributes:
  check_mode:
    support: full
    details:
      - Reports the steps it would take; checks run as in a real run.
  diff_mode:
    support: full
    details:
      - Before and after are the package's state, node and switching; in check mode the after is
        the predicted state (for a start without a node, the first eligible node that is up).
options:
  name:
    description: The package name (C(package_name); the resource is C(fc.<name>)).
    type: str
    required: true
    aliases: [package]
  state:
    description:
      - C(running) (cmrunpkg), C(halted) (cmhaltpkg) or C(moved) (to O(node); the package
        must be running). Leave unset to change only O(switching).
    type: str
    choices: [running, halted, moved]
  node:
    description:
      - The node to run the package on (with O(state=running)), to move it to (required with
        O(state=moved)) or, with O(switching=disabled), to pin it to.
    type: str
  switching:
    description:
      - C(enabled) (cmmodpkg -e) lets the package fail over; C(disabled) (cmmodpkg -d) pins
        it to the node it runs on (or O(node)). Unset keeps the current setting.
    type: str
    choices: [enabled, disabled]
  timeout:
    description: Seconds to wait for the cluster to settle after each change.
    type: int
    default: 120
requirements:
  - pacemaker-cli-utils (crm_mon, cibadmin, crm_resource) on the node
notes:
  - Unlike C(cmhaltpkg), halting does not also disable switching - a halted package has
    C(target-role=Stopped), which already keeps Pacemaker from starting it anywhere. Pass
    O(switching=disabled) to get Serviceguard's behaviour.
  - On a one-node cluster there is no other node to ban, so a switching pin shows no ban in
    C(crm_mon) and M(failover.cluster.cluster_info) reports switching as enabled.
seealso:
  - module: failover.cluster.package
  - module: failover.cluster.cluster_info
"""

EXAMPLES = r"""
- name: cmhaltpkg web
  failover.cluster.package_state:
    name: web
    state: halted
  run_once: true

- name: cmrunpkg -n node2 web
  failover.cluster.package_state:
    name: web
    state: running
    node: node2
  run_once: true

- name: Planned move to node1, keeping the package there (cmmodpkg -d)
  failover.cluster.package_state:
    name: web
    state: moved
    node: node1
    switching: disabled
  run_once: true
  register: moved

- name: cmmodpkg -e web
  failover.cluster.package_state:
    name: web
    switching: enabled
  run_once: true
"""

RETURN = r"""
package:
  description: The package after the change (in check mode, before).
  returned: success
  type: dict
  contains:
    name:
      description: Package name.
      type: str
    resource:
      description: Its CIB resource id.
      type: str
    state:
      description: C(running), C(partial), C(halted) or C(failed).
      type: str
    node:
      description: The node it runs on, or null.
      type: str
    switching_enabled:
      description: False when the package is pinned to one node.
      type: bool
    eligible_nodes:
      description: Nodes of its C(node_name) list, most preferred first.
      type: list
      elements: str
  sample: {"name": "web", "resource": "fc.web", "state": "running", "node": "node2", "switching_enabled": true,
           "eligible_nodes": ["node1", "node2"]}
before:
  description: The same fields before the change.
  returned: success
  type: dict
steps:
  description: The steps taken (or that check mode would take), in order.
  returned: always
  type: list
  elements: list
  sample: [["cleanup"], ["move", "node2"], ["role", "Started"], ["clear"]]
elapsed:
  description: Seconds from the first change until the cluster settled.
  returned: success
  type: float
errors:
  description: Every precondition that failed, each naming the option and the rule.
  returned: when a precondition fails
  type: list
  elements: str
commands:
  description: Commands run, as argv lists.
  returned: always
  type: list
  elements: list
"""

import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.failover.cluster.plugins.module_utils._model import ids
from ansible_collections.failover.cluster.plugins.module_utils._package_state import (
    check,
    pin_id,
    pin_xml,
    plan,
    predict,
    read_package,
)
from ansible_collections.failover.cluster.plugins.module_utils._runner import CommandError, Runner
from ansible_collections.failover.cluster.plugins.module_utils._status import StatusParseError


def read_view(runner, name):
    crm_mon = [runner.which("crm_mon"), "--one-shot", "--output-as=xml", "--inactive", "--include=bans"]
    rc, out, err = runner.run(crm_mon, check=False)
    if not out.strip():
        raise CommandError(crm_mon, rc, out, err)
    _rc, cib, _err = runner.run([runner.which("cibadmin"), "--query"])
    return read_package(out, cib, name)


def settle(runner, timeout):
    runner.run([runner.which("crm_resource"), "--wait", "--timeout", "{0}s".format(timeout)])


def run_step(runner, view, step, timeout):
    rid = view.rid
    crm_resource = runner.which("crm_resource")
    kind = step[0]
    if kind == "pin":
        verb = "--replace" if view.pin_exists else "--create"
        runner.run([runner.which("cibadmin"), verb, "--scope", "constraints", "--xml-text",
                    pin_xml(view.name, step[1])])
        view.pin_exists = True
    elif kind == "unpin":
        runner.run([runner.which("cibadmin"), "--delete", "--xml-text",
                    '<rsc_location id="{0}"/>'.format(pin_id(view.name))])
    elif kind == "role":
        runner.run([crm_resource, "--resource", rid, "--meta", "--set-name", ids.meta_set_id(view.name),
                    "--set-parameter", "target-role", "--parameter-value", step[1]])
    elif kind == "cleanup":
        runner.run([crm_resource, "--cleanup", "--resource", step[1] if len(step) > 1 else rid])
    elif kind == "move":
        runner.run([crm_resource, "--move", "--resource", rid, "--node", step[1]])
    elif kind == "clear":
        settle(runner, timeout)  # the move must have happened before its constraint goes
        runner.run([crm_resource, "--clear", "--resource", rid])


def main():
    module = AnsibleModule(
        argument_spec={
            "name": {"type": "str", "required": True, "aliases": ["package"]},
            "state": {"type": "str", "choices": ["running", "halted", "moved"]},
            "node": {"type": "str"},
            "switching": {"type": "str", "choices": ["enabled", "disabled"]},
            "timeout": {"type": "int", "default": 120},
        },
        supports_check_mode=True,
    )
    params = module.params
    runner = Runner(module)
    result = {"changed": False, "steps": [], "commands": runner.commands}
    try:
        view = read_view(runner, params["name"])
    except (CommandError, StatusParseError) as exc:
        module.fail_json(msg="cannot read the cluster state on this node: {0}".format(exc), **result)

    before = view.as_dict()
    result["before"] = before
    errors = check(view, params["state"], params["node"], params["switching"])
    if errors:
        module.fail_json(msg="package {0}: nothing was changed:\n{1}".format(params["name"], "\n".join(errors)),
                         errors=errors, package=before, **result)
    steps = plan(view, params["state"], params["node"], params["switching"])
    result.update(steps=[list(s) for s in steps], changed=bool(steps), package=before, elapsed=0.0)
    if not steps or module.check_mode:
        if module._diff:
            up = [n for n in view.eligible if view.nodes.get(n) == "up"]
            result["diff"] = {"before": before, "after": predict(before, steps, up) if steps else before}
        module.exit_json(**result)

    begin = time.monotonic()
    try:
        for step in steps:
            run_step(runner, view, step, params["timeout"])
        settle(runner, params["timeout"])
        result["elapsed"] = round(time.monotonic() - begin, 3)
        after = read_view(runner, params["name"]).as_dict()
    except (CommandError, StatusParseError) as exc:
        result["elapsed"] = round(time.monotonic() - begin, 3)
        module.fail_json(msg="package {0}: {1}".format(params["name"], exc), **result)
    result["package"] = after
    if module._diff:
        result["diff"] = {"before": before, "after": after}
    wanted_node = params["node"] if params["state"] in ("running", "moved") else None
    if wanted_node and after["node"] != wanted_node:
        module.warn("package {0} ended on {1}, not {2}: with switching enabled its failback_policy applies once "
                    "the move constraint is cleared (automatic failback returns it to a preferred node); use "
                    "switching=disabled to keep it on {2}".format(params["name"], after["node"], wanted_node))
    if params["state"] in ("running", "moved") and after["state"] != "running":
        module.fail_json(msg="package {0} is {1} after the cluster settled (see cluster_info failed_actions)".format(
            params["name"], after["state"]), **result)
    if params["state"] == "halted" and after["state"] != "halted":
        module.fail_json(msg="package {0} is {1} after the cluster settled".format(params["name"], after["state"]),
                         **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
