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
    node it is being switched to, so a failed start is retried there instead of the cluster
    picking another node on its own. The rule can never leave the package less available than
    the cluster alone would. It carries a lifetime (a date expression) that the module renews
    every third of O(rule_lease) while it runs, so a runbook killed at any instant leaves a rule
    that lapses by itself within O(rule_lease) seconds. It restricts the package to the target
    only while the target is a member - when the target leaves the cluster (or goes into standby
    or maintenance), or the partition loses quorum, the module removes the rule at once, lets
    the cluster place the package, and reports where it went (C(recovered_elsewhere)). The rule
    is removed at the end, whatever happened; the package's failback policy applies again then.
  - Run it on a cluster member that is not the target (the runbooks pick a third node, else the
    source), so it keeps watching when the target dies; run it with C(async) so it also outlives
    the controller.
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
      - Least seconds between two looks at the cluster's status. Each look runs C(crm_mon); polling much
        faster competes with the switch itself for CPU on small nodes.
      - While switching, the pause is also at least twice what the last look took (at most a quarter
        of O(rule_lease)), so that on a big package or a busy node the watcher keeps to about a third
        of one core.
    type: float
    default: 0.25
  rule_lease:
    description:
      - Seconds the temporary rule stays in force without being renewed (at least 3). A runbook that
        dies leaves the package restricted for at most this long.
    type: float
    default: 15
  expect_source:
    description:
      - Where the preflight saw each package (package name -> node). When the cluster has moved a
        package since (its node left the cluster, an operator moved it), nothing is changed and
        the result is C(recovered_elsewhere) with what happened, instead of a switch from a stale
        picture.
    type: dict
  release:
    description:
      - Only remove the runbook rules of O(packages) (a runbook that could not finish leaves them to
        lapse; this removes them now) and report where each package runs. O(node) is not used.
    type: bool
    default: false
  settle_timeout:
    description:
      - With O(release), how long to wait (seconds) for the cluster to finish what it is doing
        (C(crm_resource --wait)) before saying where each package runs, so that a package the
        cluster is still recovering is reported where it ends up, not as stopped. Read-only; runs in
        check mode too. V(0) reads at once.
    type: int
    default: 60
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
    expect_source: {sna: node1}
  delegate_to: node3          # a member that is not the target keeps watching if node2 dies
  run_once: true
  async: 900                  # keeps running (and cleans up) if the controller dies
  poll: 1
  register: switch

- name: Show the steps
  ansible.builtin.debug:
    msg: "{{ switch.steps }}"
"""

RETURN = r"""
result:
  description:
    - C(switched) (every package runs on O(node)), C(unchanged) (they already did),
      C(recovered_elsewhere) (the target or the source left the cluster, or the package became
      active elsewhere, and the cluster placed it - see RV(packages) for where), C(rolled_back),
      C(halted), C(moved_to_standby), C(failed) or C(mixed). The node each package runs on is
      read from the cluster's status after the switch, never assumed.
  returned: always
  type: str
summary:
  description: One sentence per package - what happened and the node it runs on now.
  returned: always
  type: list
  elements: str
events:
  description: What happened to the cluster during the switch (a node left it, quorum was lost).
  returned: always
  type: list
  elements: str
watcher:
  description: The node the module ran on (it watched the switch from there).
  returned: always
  type: str
nodes:
  description: The cluster's nodes - C(name), C(state), C(online) - as the module saw them first.
  returned: when the cluster could be read
  type: list
  elements: dict
quorate:
  description: Whether the module's partition had quorum.
  returned: when the cluster could be read
  type: bool
node_addresses:
  description: Each node's first heartbeat address (Corosync's nodelist), for asking who answers ARP.
  returned: when the cluster could be read
  type: dict
packages:
  description:
    - Per package - C(name), C(source), C(final_node) (from the cluster's status at the end),
      C(result), C(attempts), C(events), C(reasons), C(ips) (its relocatable IPs) and
      C(dependents) (the packages that depend on it). With O(release), also C(state),
      C(eligible) (its node list, best first) and C(rule_removed).
  returned: always
  type: list
  elements: dict
steps:
  description:
    - The observed steps in order - C(action) (C(stop) on the source, C(start) on the target),
      C(resource), C(node), C(started_at), C(ended_at) (seconds from the switch's start),
      C(duration), C(source), C(package), C(dependent) (a package that depends on a switched one and
      moved or restarted with it) and C(failed)/C(reason) for a failed start. In check mode, the plan.
    - C(duration) is the run time the cluster's executor recorded for the operation (the CIB
      status section's C(exec-time); C(source=engine)), else the time between two looks at the
      status (C(source=observed)).
  returned: always
  type: list
  elements: dict
failed_attempts:
  description:
    - The start attempts that failed, each with its node and the failure reasons (not named
      C(attempts), which Ansible sets on a task retried with C(until)).
  returned: always
  type: list
  elements: dict
switch_started:
  description:
    - Epoch time the switch started (to line up a probe's samples). Not named C(started), which
      C(async_status) reads as "the job is still running".
  returned: always
  type: float
elapsed:
  description: Seconds the switch took, retries and error action included.
  returned: always
  type: float
settled:
  description:
    - With O(release) - whether the cluster had finished acting within O(settle_timeout) before
      the packages' nodes were read (null when O(settle_timeout=0)).
  returned: when O(release=true)
  type: bool
commands:
  description:
    - Commands that changed the cluster, as argv lists (in check mode, those that would). A change of
      the runbook rule is one versioned patch of the apply engine, listed as C(cibadmin --patch)
      followed by the rule's id and what changed.
  returned: always
  type: list
  elements: list
"""

import time
import xml.etree.ElementTree as ET

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.failover.cluster.plugins.module_utils import _switch
from ansible_collections.failover.cluster.plugins.module_utils._cib_apply import (
    ApplyError,
    ConstraintPlan,
    apply_planned,
)
from ansible_collections.failover.cluster.plugins.module_utils._model import ids
from ansible_collections.failover.cluster.plugins.module_utils._package_state import check, read_package
from ansible_collections.failover.cluster.plugins.module_utils._runner import CommandError, Runner
from ansible_collections.failover.cluster.plugins.module_utils._status import (
    StatusParseError,
    annotate_with_cib,
    parse_cmap_nodelist,
    parse_crm_mon_xml,
)
from ansible_collections.failover.cluster.plugins.module_utils._timeline import (
    Observer,
    engine_operations,
    members,
    with_engine_times,
)

# How long the apply engine may retry a runbook rule change on a busy CIB (seconds): the pin is on
# the switch's critical path, a renewal must land well within the lease, a removal may wait.
PIN_TIMEOUT = 30
RENEW_TIMEOUT = 4
UNPIN_TIMEOUT = 60


class Cluster:
    """The commands the state machine's actions turn into (argv lists)."""

    def __init__(self, runner):
        self.runner = runner
        self.changes = []
        self.pinned = {}

    def status_xml(self):
        _rc, out, _err = self.runner.run(["crm_mon", "--one-shot", "--output-as=xml", "--inactive"], check=False)
        return out

    def status(self):
        # Not recorded in the command log: it runs every poll_interval.
        _rc, out, _err = self.runner.module.run_command(
            ["crm_mon", "--one-shot", "--output-as=xml", "--inactive"], environ_update={"LC_ALL": "C"}
        )
        return parse_crm_mon_xml(out)

    def settle(self, timeout):
        """Wait up to ``timeout`` s for the cluster to have no action left to take (read-only)."""
        if timeout <= 0:
            return None
        rc, _out, _err = self.runner.run(["crm_resource", "--wait", f"--timeout={timeout}s"], check=False)
        return rc == 0

    def cib(self):
        _rc, out, _err = self.runner.run(["cibadmin", "--query"])
        return out

    def change(self, argv, check=True):
        self.changes.append(argv)
        return self.runner.run(argv, check=check)

    # The runbook rule goes through the collection's apply engine like every object it writes: one
    # versioned patch of that constraint only, re-read and re-planned when the configuration moved.
    def record(self, package, what):
        """The command log's entry for a change of the package's runbook rule (check mode too)."""
        self.changes.append(["cibadmin", "--patch", "{0}: {1}".format(ids.runbook_rule_id(package), what)])

    @staticmethod
    def pin_text(node, end):
        return "restrict to {0} until {1}".format(node, _switch.expiry_text(end))

    def _rule(self, package, element_xml, what, timeout, only_if_present=False):
        cid = ids.runbook_rule_id(package)
        self.record(package, what)
        plan, _retries = apply_planned(self.runner, self.cib(),
                                       lambda live: ConstraintPlan(live, cid, element_xml, only_if_present), timeout)
        return plan.changed

    def pin(self, package, node, end):
        self.pinned[package] = node
        self._rule(package, _switch.temporary_rule_xml(package, node, end),
                   self.pin_text(node, end), PIN_TIMEOUT)

    def renew(self, package, end):
        # A failed renewal is not fatal: the rule then lapses by itself, which is the safe side.
        node = self.pinned.get(package)
        if node is None:
            return
        try:
            self._rule(package, _switch.temporary_rule_xml(package, node, end),
                       "renew until {0}".format(_switch.expiry_text(end)), RENEW_TIMEOUT, only_if_present=True)
        except (ApplyError, CommandError):
            pass

    def unpin(self, package):
        # A failed removal is not fatal either: the rule lapses at its end.
        self.pinned.pop(package, None)
        try:
            self._rule(package, None, "remove", UNPIN_TIMEOUT)
        except (ApplyError, CommandError):
            pass

    def cleanup(self, package, node):
        self.change(["crm_resource", "--cleanup", "--resource", ids.resource_id(package), "--node", node], check=False)

    def stop(self, package):
        self.change(["crm_resource", "--resource", ids.resource_id(package), "--meta", "--set-name",
                     ids.meta_set_id(package), "--set-parameter",
                     "target-role", "--parameter-value", "Stopped"])

    def carry_out(self, actions):
        for action in actions:
            verb, args = action[0], action[1:]
            getattr(self, verb)(*args)


def plan_steps(view, package, source, target):
    rid = ids.resource_id(package)
    member_ids = [m[0] for m in members(view, rid)]
    steps = [{"action": "stop", "resource": r, "node": source} for r in reversed(member_ids)] if source else []
    steps += [{"action": "start", "resource": r, "node": target} for r in member_ids]
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
            "rule_lease": {"type": "float", "default": 15},
            "expect_source": {"type": "dict", "default": None},
            "release": {"type": "bool", "default": False},
            "settle_timeout": {"type": "int", "default": 60},
        },
        supports_check_mode=True,
    )
    p = module.params
    if p["retries"] < 0:
        module.fail_json(msg=f"retries: {p['retries']} is negative; give 0 or more")
    if p["poll_interval"] <= 0 or p["retry_delay"] < 0:
        module.fail_json(msg="poll_interval must be above 0 and retry_delay 0 or more (seconds)")
    if p["rule_lease"] < 3:
        module.fail_json(msg=f"rule_lease: {p['rule_lease']} s is too short; give 3 s or more (it is renewed every "
                             "third of it)")
    runner = Runner(module)
    cluster = Cluster(runner)
    started_epoch = time.time()
    result = {
        "changed": False,
        "result": "unchanged",
        "summary": [],
        "events": [],
        "packages": [],
        "steps": [],
        "failed_attempts": [],
        "switch_started": started_epoch,
        "elapsed": 0.0,
        "commands": cluster.changes,
        "watcher": None,
    }
    try:
        if p["release"]:
            module.exit_json(**release(module, cluster, result))
        crm_xml, cib_xml = cluster.status_xml(), cluster.cib()
        status = parse_crm_mon_xml(crm_xml)
        local = [n["name"] for n in status["nodes"] if n.get("is_dc")]
        result["watcher"] = _local_node(module) or (local[0] if local else None)
        views = {name: read_package(crm_xml, cib_xml, name) for name in p["packages"]}
        moved = _moved_since_preflight(views, p["expect_source"] or {})
        if moved:
            # The cluster is acting on its own (the source was lost, or an operator moved the package):
            # change nothing, let it finish (bounded), then say where every package runs.
            deadline = time.monotonic() + p["attempt_timeout"]
            truth = {}
            while True:
                view = cluster.status()
                truth = {n: _switch.running_on(view, ids.resource_id(n)) for n in p["packages"]}
                if all(truth.values()) or time.monotonic() > deadline:
                    break
                time.sleep(p["poll_interval"])
            result["events"] = moved
            for name in p["packages"]:
                result["packages"].append({"name": name, "source": (p["expect_source"] or {}).get(name),
                                           "final_node": truth[name],
                                           "result": _switch.RECOVERED if truth[name] else _switch.HALTED,
                                           "attempts": 0, "events": moved})
            result["result"] = _switch.overall(result["packages"])
            result["summary"] = _switch.summary_text(result["packages"], p["node"])
            module.fail_json(msg="the cluster changed since the preflight; the runbook changed nothing: "
                             + "; ".join(result["summary"]), **result)
        errors = []
        for name, view in views.items():
            errors += [
                f"packages: {name}: {e}" if not e.startswith("name:") else e
                for e in check(view, "moved", p["node"], None)
            ]
        if errors:
            for name in p["packages"]:
                result["packages"].append({"name": name, "source": views[name].node, "final_node": views[name].node,
                                           "result": "refused", "attempts": 0, "events": []})
            context(module, crm_xml, cib_xml, result)
            module.fail_json(msg="cannot switch; nothing was changed:\n" + "\n".join(errors), errors=errors, **result)
        todo = [n for n in p["packages"] if views[n].node != p["node"] or views[n].state != "running"]
        for name in p["packages"]:
            result["packages"].append({"name": name, "source": views[name].node, "final_node": views[name].node,
                                       "result": "unchanged" if name not in todo else "planned", "attempts": 0,
                                       "events": []})
        context(module, crm_xml, cib_xml, result)
        if not todo:
            module.exit_json(**result)
        result["changed"] = True
        if module.check_mode:
            for name in todo:
                result["steps"] += plan_steps(status, name, views[name].node, p["node"])
                cluster.record(name, cluster.pin_text(p["node"], started_epoch + p["rule_lease"]))
            result["result"] = "planned"
            module.exit_json(**result)
        machine = _switch.SwitchMachine(
            {n: views[n].node for n in todo}, p["node"], eligible={n: views[n].eligible for n in todo},
            retries=p["retries"], retry_delay=p["retry_delay"], error_action=p["error_action"],
            standby_order=p["standby_order"], attempt_timeout=p["attempt_timeout"], group=p["group"],
            lease=p["rule_lease"], watcher=result["watcher"])
        observers = {n: Observer(ids.resource_id(n), views[n].node, p["node"]) for n in todo}
        # the packages that depend on these move with them (same_node) or restart: watch them too
        status_now = parse_crm_mon_xml(crm_xml)
        for entry in result["packages"]:
            for dep in entry.get("dependents", []):
                if dep not in observers:
                    where = _switch.running_on(status_now, ids.resource_id(dep))
                    observers[dep] = Observer(ids.resource_id(dep), where, p["node"])
        started = time.monotonic()
        view = None
        pause = p["poll_interval"]
        try:
            cluster.carry_out(machine.start(time.time()))
            while not machine.done:
                time.sleep(pause)
                look = time.monotonic()
                try:
                    view = cluster.status()
                except StatusParseError:  # crm_mon unreadable for a moment (daemons busy): look again
                    continue
                finally:
                    pause = _switch.poll_pause(p["poll_interval"], time.monotonic() - look, p["rule_lease"])
                now = time.monotonic() - started
                for name, obs in observers.items():
                    pkg = machine.packages.get(name)
                    if pkg is not None and pkg.goal and obs.target != pkg.goal:
                        obs.target = pkg.goal
                    obs.feed(now, view)
                cluster.carry_out(machine.step(view, time.time()))
        finally:
            cluster.carry_out(machine.finish_all(view))
            for name in todo:
                cluster.unpin(name)
        final = cluster.status()
        truth = {n: _switch.running_on(final, ids.resource_id(n)) for n in p["packages"]}
        by_name = {r["name"]: r for r in machine.results()}
        for entry in result["packages"]:
            if entry["name"] in by_name:
                entry.update(by_name[entry["name"]])
            entry["final_node"] = truth[entry["name"]]
            if entry["result"] in _switch.GOOD_RESULTS and entry["final_node"] != p["node"]:
                entry["result"] = _switch.RECOVERED if entry["final_node"] else _switch.FAILED
        for name, obs in observers.items():
            result["steps"] += [dict(step, package=name, dependent=name not in todo) for step in obs.steps()]
        # durations from the engine's own records (the executor's run time of each operation)
        _rc, status_xml, _err = runner.run(["cibadmin", "--query", "--scope", "status"], check=False)
        if status_xml.strip():
            try:
                result["steps"] = with_engine_times(result["steps"], engine_operations(status_xml, started_epoch))
            except ET.ParseError:
                pass
        result["failed_attempts"] = machine.attempt_log
        result["events"] = machine.events
        result["result"] = _switch.overall([e for e in result["packages"] if e["name"] in todo])
        result["summary"] = _switch.summary_text(result["packages"], p["node"])
        result["elapsed"] = round(time.monotonic() - started, 3)
    except CommandError as exc:
        module.fail_json(msg=f"the switch failed: {exc}", **result)
    if result["result"] not in _switch.GOOD_RESULTS:
        module.fail_json(msg=f"the switch to {p['node']} ended {result['result']}: " + "; ".join(result["summary"]),
                         **result)
    module.exit_json(**result)


def release(module, cluster, result):
    """Remove the runbook rules of the packages (whoever left them) and report where each runs."""
    p = module.params
    cib_xml = cluster.cib()
    present = {r["package"] for r in _switch.restrictions(cib_xml) if r["kind"] == "runbook"}
    for name in p["packages"]:
        if name in present:
            if not module.check_mode:
                cluster.unpin(name)
            else:
                cluster.record(name, "remove")
            result["changed"] = True
    result["settled"] = cluster.settle(p["settle_timeout"])
    crm_xml = cluster.status_xml()
    view = parse_crm_mon_xml(crm_xml)
    result["watcher"] = _local_node(module)
    result["result"] = "released"
    result["packages"] = []
    for name in p["packages"]:
        pkg = read_package(crm_xml, cib_xml, name)
        result["packages"].append({"name": name, "final_node": _switch.running_on(view, ids.resource_id(name)),
                                   "state": pkg.state, "exists": pkg.exists, "eligible": pkg.eligible,
                                   "rule_removed": name in present})
    context(module, crm_xml, cib_xml, result)
    result["node_states"] = {n["name"]: n["state"] for n in view["nodes"]}
    result["summary"] = ["{0}: now runs on {1}".format(e["name"], e["final_node"] or "no node (stopped)")
                         for e in result["packages"]]
    return result


def context(module, crm_xml, cib_xml, result):
    """What the runbooks ask of the cluster besides the switch: nodes and their states, quorum,
    the nodes' heartbeat addresses, and per package its relocatable IPs and dependents."""
    view = annotate_with_cib(parse_crm_mon_xml(crm_xml), cib_xml, time.time())
    result["nodes"] = [{"name": n["name"], "state": n["state"], "online": n["online"]} for n in view["nodes"]]
    result["quorate"] = bool(view["cluster"]["quorate"])
    rc, out, _err = module.run_command(["corosync-cmapctl", "-b", "nodelist.node"], environ_update={"LC_ALL": "C"})
    result["node_addresses"] = parse_cmap_nodelist(out) if rc == 0 else {}
    by_rid = {pkg["name"]: pkg for pkg in view["packages"]}
    for entry in result["packages"]:
        pkg = by_rid.get(ids.resource_id(entry["name"]), {})
        entry["ips"] = pkg.get("ips", [])
        entry["dependents"] = pkg.get("dependents", [])
    return view


def _local_node(module):
    rc, out, _err = module.run_command(["crm_node", "--name"], environ_update={"LC_ALL": "C"})
    return out.strip() if rc == 0 and out.strip() else None


def _moved_since_preflight(views, expected):
    """Sentences for packages the cluster moved between the preflight and now."""
    lines = []
    for name, source in expected.items():
        view = views.get(name)
        if view is None or source in (None, ""):
            continue
        now_on = view.node if view.running else None
        if now_on != source:
            lost = view.nodes.get(source) not in ("up", "standby", "maintenance")
            lines.append("{0}: {1}the cluster {2}".format(
                name, f"{source} left the cluster after the preflight; " if lost else "",
                f"now runs it on {now_on}" if now_on else "has it stopped"))
    return lines


if __name__ == "__main__":
    main()
