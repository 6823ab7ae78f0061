#!/usr/bin/python
# Copyright: failover.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: package_switch
short_description: Switch packages to a node, step by step, with start retries and an error action
version_added: 0.1.0
description:
  - The switch of a planned failover (and of a takeover). The package's own order does the work
    - on the source its members stop in reverse (link stations, port, SNA node, IPs), on the
    target they start in order (IPs, SNA node with the forced stop of a stale node, port, link
    stations) - and this module watches it. It polls the cluster's status every O(poll_interval)
    seconds and records when each step started and ended, as the cluster's status showed it.
  - While it runs, a location rule (C(fc-runbook-<package>)) lets the package run only on the
    node it is being switched to, so the cluster does not start it elsewhere on its own. The rule
    is removed at the end, whatever happened; the package's failback policy applies again then.
  - "Start retries in the HA Monitor manner: when a start step fails on the target, the module
    clears the failure and the cluster starts the package there again, up to O(retries) times,
    O(retry_delay) seconds apart. When the retries run out, O(error_action) applies - C(rollback)
    (back to the node it ran on), C(halt) (leave it down) or C(next_standby) (the next node of
    O(standby_order) that is online). If the package becomes active on another node meanwhile,
    retrying stops."
  - Several packages switch one after another in the order given (the runbook orders them by
    their dependencies), or together with O(group=true) - then, as HA Monitor does for a group,
    once one member has started on the target the retries of the others are cancelled and the
    error action applies to them.
  - Every check is made before anything changes - quorum, the package exists and is managed by
    the collection, the target is a node of the package's node list, online, not in standby or
    maintenance.
author:
  - failover.cluster developers (@failover-cluster)
extends_documentation_fragment:
  - failover.cluster.attributes
attributes:
  check_mode:
    support: full
    details:
      - Returns the plan - the ordered steps per node - and changes nothing.
  diff_mode:
    support: none
options:
  packages:
    description: Names of the packages to switch.
    type: list
    elements: str
    required: true
  node:
    description: The node to switch them to.
    type: str
    required: true
  group:
    description: Switch the packages together, as a group (see above).
    type: bool
    default: false
  retries:
    description: How many times a failed start on the target is retried.
    type: int
    default: 0
  retry_delay:
    description: Seconds between a failed start and its retry.
    type: float
    default: 5
  error_action:
    description: What happens when the retries run out.
    type: str
    choices: [rollback, halt, next_standby]
    default: rollback
  standby_order:
    description:
      - Standby nodes by priority, for O(error_action=next_standby). Default - the package's
        node list order.
    type: list
    elements: str
    default: []
  attempt_timeout:
    description: Seconds one start attempt may take before it counts as failed.
    type: float
    default: 120
  poll_interval:
    description:
      - Seconds between two looks at the cluster's status. Each look runs C(crm_mon); polling much
        faster competes with the switch itself for CPU on small nodes.
    type: float
    default: 0.25
requirements:
  - pacemaker-cli-utils on the node it runs on (a cluster member that stays up)
"""

EXAMPLES = r"""
- name: Switch the SNA package to node2, retrying a failed start twice, else back to node1
  failover.cluster.package_switch:
    packages: [sna]
    node: node2
    retries: 2
    retry_delay: 5
    error_action: rollback
  delegate_to: node2
  run_once: true
  register: switch

- name: Show the steps
  ansible.builtin.debug:
    msg: "{{ switch.steps }}"
"""

RETURN = r"""
result:
  description:
    - C(switched) (every package runs on O(node)), C(unchanged) (they already did),
      C(rolled_back), C(halted), C(moved_to_standby), C(active_elsewhere) or C(failed).
  returned: always
  type: str
packages:
  description: Per package - C(name), C(source), C(final_node), C(result), C(attempts).
  returned: always
  type: list
  elements: dict
steps:
  description:
    - The observed steps in order - C(action) (C(stop) on the source, C(start) on the target),
      C(resource), C(node), C(started_at), C(ended_at), C(duration) (seconds from the switch's
      start), and C(failed)/C(reason) for a failed start. In check mode, the plan.
  returned: always
  type: list
  elements: dict
attempts:
  description: Start attempts on the target, each with its outcome and the failure reasons.
  returned: always
  type: list
  elements: dict
started:
  description: Epoch time the switch started (to line up a probe's samples).
  returned: always
  type: float
elapsed:
  description: Seconds the switch took, retries and error action included.
  returned: always
  type: float
commands:
  description: Commands that changed the cluster, as argv lists (in check mode, those that would).
  returned: always
  type: list
  elements: list
"""

import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.failover.cluster.plugins.module_utils._model import cib as cibmodel
from ansible_collections.failover.cluster.plugins.module_utils._package_state import check, pin_xml, read_package
from ansible_collections.failover.cluster.plugins.module_utils._runner import CommandError, Runner
from ansible_collections.failover.cluster.plugins.module_utils._status import parse_crm_mon_xml
from ansible_collections.failover.cluster.plugins.module_utils._timeline import Observer, members

RUNBOOK_PREFIX = "fc-runbook-"


def runbook_rule(package, node):
    """A location rule that lets the package run only on ``node`` while the runbook works."""
    return pin_xml(package, node, cid=RUNBOOK_PREFIX + package)


class Cluster:
    def __init__(self, runner):
        self.runner = runner
        self.changes = []

    def status_xml(self):
        _rc, out, _err = self.runner.run(["crm_mon", "--one-shot", "--output-as=xml", "--inactive"], check=False)
        return out

    def status(self):
        # Not recorded in the command log: it runs every poll_interval.
        _rc, out, _err = self.runner.module.run_command(
            ["crm_mon", "--one-shot", "--output-as=xml", "--inactive"], environ_update={"LC_ALL": "C"}
        )
        return parse_crm_mon_xml(out)

    def cib(self):
        _rc, out, _err = self.runner.run(["cibadmin", "--query"])
        return out

    def change(self, argv, check=True):
        self.changes.append(argv)
        return self.runner.run(argv, check=check)

    def pin(self, package, node):
        self.unpin(package)
        self.change(["cibadmin", "--create", "--scope", "constraints", "--xml-text", runbook_rule(package, node)])

    def unpin(self, package):
        cid = RUNBOOK_PREFIX + package
        self.change(
            ["cibadmin", "--delete", "--scope", "constraints", "--xml-text", f'<rsc_location id="{cid}"/>'], check=False
        )

    def cleanup(self, package, node):
        self.change(["crm_resource", "--cleanup", "--resource", cibmodel.resource_id(package), "--node", node])

    def stop(self, package):
        self.change(
            [
                "crm_resource",
                "--resource",
                cibmodel.resource_id(package),
                "--meta",
                "--set-parameter",
                "target-role",
                "--parameter-value",
                "Stopped",
            ]
        )


def package_status(view, rid):
    for pkg in view["packages"]:
        if pkg["name"] == rid:
            return pkg
    return None


def outcome(view, rid, node, expected=()):
    """running (on node) | elsewhere (running on a node it is not moving from or to) | failed (a start
    failed on node) | pending. ``expected`` are the nodes it may still be seen on while the
    cluster acts (the source: the status may not show the move yet)."""
    pkg = package_status(view, rid)
    if pkg is None:
        return "failed", ["the package disappeared from the cluster's status"]
    ids = {r["id"] for r in pkg["resources"]}
    failures = [
        f for f in view["failed_actions"] if f["node"] == node and f["resource"] in ids and f["task"] == "start"
    ]
    res = pkg["resources"]
    if res and all(r["role"] == "Started" and r["nodes"] == [node] and not r.get("pending") for r in res):
        return "running", []
    others = [n for n in pkg["nodes"] if n != node and n not in expected]
    if any(r["active"] for r in res) and others:
        busy = any(r.get("pending") for r in res)
        if not busy and not failures:
            return "elsewhere", [f"active on {', '.join(others)}"]
    if failures and not any(r.get("pending") for r in res):
        reasons = [f"{f['resource']}: {f['exitreason'] or f['exitstatus']}" for f in failures]
        return "failed", reasons
    return "pending", []


def watch(module, cluster, observers, targets, started, deadline, expected=None):
    """Poll until every package is running on its target, failed there, or went elsewhere."""
    interval = module.params["poll_interval"]
    states = {}
    while True:
        view = cluster.status()
        now = time.monotonic() - started
        for obs in observers.values():
            obs.feed(now, view)
        states = {
            name: outcome(view, cibmodel.resource_id(name), targets[name], (expected or {}).get(name, ()))
            for name in targets
        }
        if all(state != "pending" for state, _ in states.values()) or time.monotonic() > deadline:
            break
        time.sleep(interval)
    return {
        name: (state if state != "pending" else "failed", why or (["timed out"] if state == "pending" else []))
        for name, (state, why) in states.items()
    }


def plan_steps(view, package, source, target):
    rid = cibmodel.resource_id(package)
    ids = [m[0] for m in members(view, rid)]
    steps = [{"action": "stop", "resource": r, "node": source} for r in reversed(ids)] if source else []
    steps += [{"action": "start", "resource": r, "node": target} for r in ids]
    return steps


def main():
    module = AnsibleModule(
        argument_spec={
            "packages": {"type": "list", "elements": "str", "required": True},
            "node": {"type": "str", "required": True},
            "group": {"type": "bool", "default": False},
            "retries": {"type": "int", "default": 0},
            "retry_delay": {"type": "float", "default": 5},
            "error_action": {"type": "str", "default": "rollback", "choices": ["rollback", "halt", "next_standby"]},
            "standby_order": {"type": "list", "elements": "str", "default": []},
            "attempt_timeout": {"type": "float", "default": 120},
            "poll_interval": {"type": "float", "default": 0.25},
        },
        supports_check_mode=True,
    )
    p = module.params
    if p["retries"] < 0:
        module.fail_json(msg=f"retries: {p['retries']} is negative; give 0 or more")
    if p["poll_interval"] <= 0 or p["retry_delay"] < 0:
        module.fail_json(msg="poll_interval must be above 0 and retry_delay 0 or more (seconds)")
    runner = Runner(module)
    cluster = Cluster(runner)
    started_epoch = time.time()
    result = {
        "changed": False,
        "result": "unchanged",
        "packages": [],
        "steps": [],
        "attempts": [],
        "started": started_epoch,
        "elapsed": 0.0,
        "commands": cluster.changes,
    }
    try:
        crm_xml, cib_xml = cluster.status_xml(), cluster.cib()
        views = {name: read_package(crm_xml, cib_xml, name) for name in p["packages"]}
        errors = []
        for name, view in views.items():
            errors += [
                f"packages: {name}: {e}" if not e.startswith("name:") else e
                for e in check(view, "moved", p["node"], None)
            ]
        if errors:
            module.fail_json(msg="cannot switch; nothing was changed:\n" + "\n".join(errors), errors=errors, **result)
        status = parse_crm_mon_xml(crm_xml)
        todo = [n for n in p["packages"] if views[n].node != p["node"] or views[n].state != "running"]
        for name in p["packages"]:
            result["packages"].append(
                {
                    "name": name,
                    "source": views[name].node,
                    "final_node": views[name].node,
                    "result": "unchanged" if name not in todo else "planned",
                    "attempts": 0,
                }
            )
        if not todo:
            module.exit_json(**result)
        result["changed"] = True
        if module.check_mode:
            for name in todo:
                result["steps"] += plan_steps(status, name, views[name].node, p["node"])
                cluster.changes.append(
                    ["cibadmin", "--create", "--scope", "constraints", "--xml-text", runbook_rule(name, p["node"])]
                )
            result["result"] = "planned"
            module.exit_json(**result)
        batches = [todo] if p["group"] else [[n] for n in todo]
        outcomes = {}
        started = time.monotonic()
        try:
            for batch in batches:
                outcomes.update(switch_batch(module, cluster, views, batch, started, result))
        finally:
            for name in todo:
                cluster.unpin(name)
        for entry in result["packages"]:
            if entry["name"] in outcomes:
                entry["result"], entry["final_node"] = outcomes[entry["name"]]
        results = {e["result"] for e in result["packages"] if e["name"] in todo}
        result["result"] = results.pop() if len(results) == 1 else "mixed"
        result["elapsed"] = round(time.monotonic() - started, 3)
    except CommandError as exc:
        module.fail_json(msg=f"the switch failed: {exc}", **result)
    if result["result"] not in ("switched", "unchanged"):
        module.fail_json(msg=f"the switch to {p['node']} did not succeed: {result['result']}", **result)
    module.exit_json(**result)


def switch_batch(module, cluster, views, batch, started, result):
    """Switch one batch (one package, or a group) with retries and the error action."""
    p = module.params
    target = p["node"]
    observers = {n: Observer(cibmodel.resource_id(n), views[n].node, target) for n in batch}
    for name in batch:
        cluster.pin(name, target)
    outcomes = {}
    remaining = list(batch)
    attempt = 0
    while remaining:
        attempt += 1
        states = watch(
            module,
            cluster,
            {n: observers[n] for n in remaining},
            {n: target for n in remaining},
            started,
            time.monotonic() + p["attempt_timeout"],
            expected={n: (views[n].node,) for n in remaining},
        )
        result["attempts"].append(
            {
                "attempt": attempt,
                "node": target,
                "outcome": {n: s for n, (s, _w) in states.items()},
                "reasons": {n: w for n, (_s, w) in states.items() if w},
            }
        )
        for entry in result["packages"]:
            if entry["name"] in states:
                entry["attempts"] = attempt
        succeeded = [n for n in remaining if states[n][0] == "running"]
        for name in succeeded:
            outcomes[name] = ("switched", target)
        for name in [n for n in remaining if states[n][0] == "elsewhere"]:
            outcomes[name] = ("active_elsewhere", views[name].node)
        remaining = [n for n in remaining if states[n][0] == "failed"]
        if not remaining:
            break
        cancelled = p["group"] and bool(succeeded)
        if attempt > p["retries"] or cancelled:
            for name in remaining:
                outcomes[name] = error_action(module, cluster, views[name], target, started, observers[name])
            break
        time.sleep(p["retry_delay"])
        for name in remaining:
            cluster.cleanup(name, target)
    for obs in observers.values():
        result["steps"] += obs.steps()
    return outcomes


def error_action(module, cluster, view, target, started, observer):
    p = module.params
    action = p["error_action"]
    name = view.name
    if action == "halt":
        cluster.stop(name)
        cluster.cleanup(name, target)
        return ("halted", None)
    if action == "next_standby":
        status = cluster.status()
        online = {n["name"] for n in status["nodes"] if n["state"] == "up"}
        order = p["standby_order"] or view.eligible
        after = order[order.index(target) + 1 :] if target in order else order
        nodes = [n for n in after if n in online and n != target]
        if not nodes:
            cluster.stop(name)
            cluster.cleanup(name, target)
            return ("halted", None)
        goal = nodes[0]
        outcome_name = "moved_to_standby"
    else:
        goal = view.node
        outcome_name = "rolled_back"
        if not goal:
            cluster.stop(name)
            return ("halted", None)
    cluster.pin(name, goal)
    cluster.cleanup(name, target)
    observer.target = goal
    states = watch(
        module,
        cluster,
        {name: observer},
        {name: goal},
        started,
        time.monotonic() + p["attempt_timeout"],
        expected={name: (target,)},
    )
    if states[name][0] == "running":
        return (outcome_name, goal)
    return ("failed", None)


if __name__ == "__main__":
    main()
