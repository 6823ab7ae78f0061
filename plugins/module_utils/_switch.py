# Copyright: failover.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The switch of a runbook as a pure state machine, and the temporary rule it holds.

The temporary rule
------------------
While a runbook switches a package to a node, a location rule ``fc-runbook-<package>`` keeps
the cluster from starting the package anywhere else (so a failed start is retried on the same
node, as HA Monitor does, instead of the cluster picking another node on its own). A ban like
that must never make the package less available than the cluster alone would make it, so it is
built to disappear by itself:

* **a lease**: the rule holds a date expression (``date lt <end>``) and is in force only until
  ``end``. The module renews ``end`` every ``lease / 3`` seconds while it runs; a runbook killed
  at any instant (controller SIGKILL, the watching node crashing) leaves a rule that lapses at
  most ``lease`` seconds later. Pacemaker re-evaluates the placement when a date expression of a
  location rule passes (no need to wait for cluster-recheck-interval);
* **membership**: the rule restricts the package to the target only while the target is a
  member. The module watches from a node that is not the target; when the target leaves the
  cluster (or goes into standby or maintenance), or the watching partition loses quorum, the
  module removes the rule at once and lets the cluster place the package, and reports where the
  cluster put it (``recovered_elsewhere``) instead of waiting for a node that is gone.

The state machine
-----------------
``SwitchMachine.step(view, now)`` takes one parsed ``crm_mon`` view (``_status.parse_crm_mon_xml``)
and the time, and returns the actions the module then carries out: ``("pin", package, node,
end)``, ``("renew", package, end)``, ``("unpin", package)``, ``("cleanup", package, node)``,
``("stop", package)``. It never runs a command itself, so it is tested with recorded
sequences of ``crm_mon`` XML (tests/unit/plugins/module_utils/test_switch.py).

Per package: ``switching`` (waiting for it to run on its goal) -> ``retry_wait`` (a start
failed; the failure is cleared after ``retry_delay``) -> ... -> the error action (``rollback``,
``next_standby``: a new goal; ``halt``) -> ``done``; from any phase, ``released`` when the goal
left the cluster or quorum was lost (the rule is gone; wait for the cluster to place it).
"""

from __future__ import annotations

import datetime
import xml.etree.ElementTree as ET

from ansible_collections.failover.cluster.plugins.module_utils._model import ids

INFINITY = "INFINITY"
UNAME = "#uname"

# Results of one package's switch.
SWITCHED = "switched"
UNCHANGED = "unchanged"
RECOVERED = "recovered_elsewhere"
ROLLED_BACK = "rolled_back"
MOVED_TO_STANDBY = "moved_to_standby"
HALTED = "halted"
FAILED = "failed"
REFUSED = "refused"  # the runbook's preflight stopped it: nothing was changed

GOOD_RESULTS = (SWITCHED, UNCHANGED)


# ---------------------------------------------------------------------------------------
# the temporary rule
def expiry_text(epoch):
    """An ISO 8601 UTC time Pacemaker's date expressions read, e.g. ``2026-11-30T20:15:03Z``."""
    moment = datetime.datetime.fromtimestamp(int(epoch), tz=datetime.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_expiry(text):
    """Epoch seconds of an ``end`` written by :func:`expiry_text` (or crm_resource --lifetime)."""
    if not text:
        return None
    value = text.strip()
    for suffix in ("Z", "+00:00"):
        if value.endswith(suffix):
            value = value[: -len(suffix)].strip()
            break
    value = value.replace(" ", "T", 1)
    try:
        moment = datetime.datetime.strptime(value, "%Y-%m-%dT%H:%M:%S")
    except ValueError:
        return None
    return moment.replace(tzinfo=datetime.timezone.utc).timestamp()


def temporary_rule_xml(package, node, end_epoch):
    """``fc-runbook-<package>``: while ``date < end``, the package may run only on ``node``."""
    cid = ids.runbook_rule_id(package)
    loc = ET.Element("rsc_location", {"id": cid, "rsc": ids.resource_id(package)})
    rule = ET.SubElement(loc, "rule", {"id": cid + "-rule", "score": "-" + INFINITY, "boolean-op": "and"})
    ET.SubElement(rule, "expression", {"id": cid + "-expr", "attribute": UNAME, "operation": "ne", "value": node})
    ET.SubElement(rule, "date_expression", {"id": ids.lifetime_id(cid), "operation": "lt",
                                            "end": expiry_text(end_epoch)})
    return ET.tostring(loc, encoding="unicode")


def _rule_shape(element):
    """(node it is restricted to, end epoch or None) of a location rule of the pin's shape."""
    node, end = None, None
    for rule in element.findall("rule"):
        for expr in rule.iter("expression"):
            if expr.get("attribute") == UNAME and expr.get("operation") == "ne":
                node = expr.get("value")
        for date in rule.iter("date_expression"):
            if date.get("operation") == "lt":
                end = parse_expiry(date.get("end"))
    if element.get("node") and element.get("score", "").startswith("-"):
        return None, end  # a plain ban of one node
    return node, end


def restrictions(cib_xml, now=None):
    """Every constraint that limits where a package may run, whoever added it:
    ``[{id, kind, package, resource, node, score, expires, expires_in, in_force}]``, kind one of
    ``pin`` (switching disabled), ``runbook`` (a runbook's temporary rule), ``move``
    (crm_resource --move/--ban). ``in_force`` is False for a rule whose lifetime has passed."""
    root = ET.fromstring(cib_xml) if isinstance(cib_xml, str) else cib_xml
    conf = root.find("configuration")
    section = conf.find("constraints") if conf is not None else None
    found = []
    for element in section if section is not None else []:
        if element.tag != "rsc_location":
            continue
        kind, package = ids.classify(element.get("id"), element.get("rsc"))
        if kind not in ("pin", "runbook", "move"):
            continue
        node, end = _rule_shape(element)
        if element.get("node"):
            node = element.get("node")
        entry = {
            "id": element.get("id"),
            "kind": kind,
            "package": package,
            "resource": element.get("rsc"),
            "node": node,
            "score": element.get("score") or _rule_score(element),
            "expires": expiry_text(end) if end is not None else None,
            "expires_in": None,
            "in_force": True,
        }
        if end is not None and now is not None:
            entry["expires_in"] = round(end - now, 1)
            entry["in_force"] = end > now
        found.append(entry)
    return found


def _rule_score(element):
    rule = element.find("rule")
    return rule.get("score") if rule is not None else None


# ---------------------------------------------------------------------------------------
# reading one crm_mon view
def package_view(view, rid):
    for pkg in view.get("packages", []):
        if pkg["name"] == rid:
            return pkg
    return None


def node_states(view):
    return {n["name"]: n["state"] for n in view.get("nodes", [])}


def running_on(view, rid):
    """The node where every member of the package is Started (None if not whole on one node)."""
    pkg = package_view(view, rid)
    if pkg is None or not pkg["resources"]:
        return None
    nodes = {tuple(r["nodes"]) for r in pkg["resources"]}
    if len(nodes) != 1:
        return None
    only = nodes.pop()
    if len(only) == 1 and all(r["role"] == "Started" and not r.get("pending") for r in pkg["resources"]):
        return only[0]
    return None


def outcome(view, rid, node, expected=()):
    """running (on node) | elsewhere (active on a node it is not moving from or to) | failed (a start
    failed on node) | pending. ``expected``: nodes it may still be seen on while the cluster acts."""
    pkg = package_view(view, rid)
    if pkg is None:
        return "failed", ["the package disappeared from the cluster's status"]
    ids_ = {r["id"] for r in pkg["resources"]}
    failures = [f for f in view.get("failed_actions", [])
                if f["node"] == node and f["resource"] in ids_ and f["task"] == "start"]
    res = pkg["resources"]
    if res and all(r["role"] == "Started" and r["nodes"] == [node] and not r.get("pending") for r in res):
        return "running", []
    others = [n for n in pkg["nodes"] if n != node and n not in expected]
    if any(r["active"] for r in res) and others:
        busy = any(r.get("pending") for r in res)
        if not busy and not failures:
            return "elsewhere", ["active on {0}".format(", ".join(others))]
    if failures and not any(r.get("pending") for r in res):
        return "failed", ["{0}: {1}".format(f["resource"], f["exitreason"] or f["exitstatus"]) for f in failures]
    return "pending", []


# ---------------------------------------------------------------------------------------
class PackageSwitch:
    """What the machine knows about one package."""

    def __init__(self, name, source, eligible):
        self.name = name
        self.rid = ids.resource_id(name)
        self.source = source
        self.eligible = list(eligible)
        self.goal = None
        self.left = []  # nodes it was switched to before (an error action moves it on): it may still be seen there
        self.success = SWITCHED
        self.phase = "waiting"
        self.attempts = 0
        self.deadline = None
        self.retry_at = None
        self.renew_at = None
        self.pinned = False
        self.result = None
        self.final_node = None
        self.reasons = []
        self.events = []

    def as_dict(self):
        return {"name": self.name, "source": self.source, "final_node": self.final_node,
                "result": self.result or "planned", "attempts": self.attempts, "events": list(self.events),
                "reasons": list(self.reasons)}


class SwitchMachine:
    """Switch ``packages`` (name -> source node) to ``target``, in batches (one package each, or
    all together with ``group``), with start retries and an error action."""

    def __init__(self, packages, target, eligible=None, retries=0, retry_delay=5.0, error_action="rollback",
                 standby_order=(), attempt_timeout=120.0, group=False, lease=15.0, watcher=None):
        eligible = eligible or {}
        self.target = target
        self.retries = retries
        self.retry_delay = retry_delay
        self.error_action = error_action
        self.standby_order = list(standby_order)
        self.attempt_timeout = attempt_timeout
        self.group = group
        self.lease = lease
        self.watcher = watcher
        self.packages = {n: PackageSwitch(n, s, eligible.get(n, ())) for n, s in packages.items()}
        names = list(packages)
        self.batches = [names] if group else [[n] for n in names]
        self.batch = -1
        self.attempt_log = []
        self.events = []
        self._noted = set()

    # -- helpers --------------------------------------------------------------------------
    @property
    def done(self):
        return all(p.result is not None for p in self.packages.values())

    def current(self):
        if 0 <= self.batch < len(self.batches):
            return [self.packages[n] for n in self.batches[self.batch]]
        return []

    def _event(self, pkg, text):
        if text not in pkg.events:
            pkg.events.append(text)
        if text not in self.events:
            self.events.append(text)

    def _pin(self, pkg, node, now, actions):
        pkg.goal = node
        pkg.pinned = True
        pkg.renew_at = now + self.lease / 3.0
        actions.append(("pin", pkg.name, node, now + self.lease))

    def _unpin(self, pkg, actions):
        if pkg.pinned:
            actions.append(("unpin", pkg.name))
        pkg.pinned = False

    def _finish(self, pkg, result, node, actions, reasons=()):
        pkg.result = result
        pkg.final_node = node
        pkg.phase = "done"
        if reasons:
            pkg.reasons = list(reasons)
        self._unpin(pkg, actions)

    def _begin_batch(self, now, actions):
        self.batch += 1
        for pkg in self.current():
            pkg.phase = "switching"
            pkg.attempts = 1
            pkg.deadline = now + self.attempt_timeout
            self._pin(pkg, self.target, now, actions)

    # -- the step -------------------------------------------------------------------------
    def start(self, now):
        actions = []
        self._begin_batch(now, actions)
        return actions

    def step(self, view, now):
        """One look at the cluster: returns the actions to carry out."""
        actions = []
        states = node_states(view)
        quorate = bool(view.get("cluster", {}).get("quorate"))
        batch = self.current()
        outcomes = {}
        for pkg in batch:
            if pkg.result is not None:
                continue
            self._membership(pkg, states, quorate, now, actions)
            if pkg.result is not None:
                continue
            if pkg.phase == "released":
                node = running_on(view, pkg.rid)
                if node is not None:
                    result = pkg.success if node == pkg.goal else RECOVERED
                    self._finish(pkg, result, node, actions)
                    if result == RECOVERED:
                        self._event(pkg, "the cluster started {0} on {1}".format(pkg.name, node))
                elif now > pkg.deadline:
                    self._finish(pkg, HALTED, None, actions,
                                 ["the cluster did not start {0} anywhere within {1:.0f} s after the rule was "
                                  "removed".format(pkg.name, self.attempt_timeout)])
                continue
            if pkg.phase == "retry_wait":
                if now >= pkg.retry_at:
                    pkg.attempts += 1
                    pkg.phase = "switching"
                    pkg.deadline = now + self.attempt_timeout
                    actions.append(("cleanup", pkg.name, pkg.goal))
                continue
            expected = tuple(n for n in [pkg.source, *pkg.left] if n and n != pkg.goal)
            state, why = outcome(view, pkg.rid, pkg.goal, expected)
            if state == "pending" and now > pkg.deadline:
                state, why = "failed", ["no start within {0:.0f} s".format(self.attempt_timeout)]
            outcomes[pkg.name] = (state, why)
        if outcomes:
            self._decide(batch, outcomes, view, states, now, actions)
        for pkg in batch:
            if pkg.result is None and pkg.pinned and now >= pkg.renew_at:
                pkg.renew_at = now + self.lease / 3.0
                actions.append(("renew", pkg.name, now + self.lease))
        if batch and all(p.result is not None for p in batch) and self.batch + 1 < len(self.batches):
            self._begin_batch(now, actions)
        return actions

    def _membership(self, pkg, states, quorate, now, actions):
        goal_state = states.get(pkg.goal, "down")
        if not quorate:
            text = "the partition seen from {0} lost quorum during the switch".format(self.watcher or "the watcher")
            self._event(pkg, text)
            self._unpin(pkg, actions)
            self._finish(pkg, HALTED, None, actions, [text + "; the runbook stopped changing things"])
            return
        if pkg.source and pkg.source != pkg.goal and states.get(pkg.source, "down") in ("down", "unclean", "pending"):
            self._event(pkg, "{0} left the cluster during the switch".format(pkg.source))
        if goal_state != "up" and pkg.phase != "released":
            left = goal_state in ("down", "unclean", "pending")
            self._event(pkg, "{0} {1} during the switch".format(
                pkg.goal, "left the cluster" if left else "went into " + goal_state))
            self._unpin(pkg, actions)
            pkg.phase = "released"
            pkg.deadline = now + self.attempt_timeout

    def _decide(self, batch, outcomes, view, states, now, actions):
        succeeded = False
        for pkg in batch:
            state, why = outcomes.get(pkg.name, (None, None))
            if state == "running":
                self._finish(pkg, pkg.success, pkg.goal, actions)
                succeeded = True
            elif state == "elsewhere":
                node = running_on(view, pkg.rid)
                self._event(pkg, "{0} became active elsewhere ({1}) while the runbook waited".format(
                    pkg.name, "; ".join(why)))
                self._finish(pkg, RECOVERED, node, actions, why)
        failed = [p for p in batch if outcomes.get(p.name, (None,))[0] == "failed" and p.result is None]
        if failed:
            self.attempt_log.append({"attempt": max(p.attempts for p in failed), "node": failed[0].goal,
                                     "outcome": {p.name: "failed" for p in failed},
                                     "reasons": {p.name: outcomes[p.name][1] for p in failed}})
        cancelled = self.group and (succeeded or any(p.result in GOOD_RESULTS for p in batch))
        for pkg in failed:
            pkg.reasons = list(outcomes[pkg.name][1])
            if pkg.phase == "switching" and pkg.success == SWITCHED and pkg.attempts <= self.retries and not cancelled:
                pkg.phase = "retry_wait"
                pkg.retry_at = now + self.retry_delay
                continue
            if pkg.success != SWITCHED:  # the error action's own attempt failed as well
                self._finish(pkg, FAILED, None, actions)
                continue
            self._error_action(pkg, states, now, actions)

    def _error_action(self, pkg, states, now, actions):
        failed_on = pkg.goal
        goal, success = None, HALTED
        if self.error_action == "rollback" and pkg.source and states.get(pkg.source) == "up":
            goal, success = pkg.source, ROLLED_BACK
        elif self.error_action == "next_standby":
            order = self.standby_order or pkg.eligible
            after = order[order.index(failed_on) + 1:] if failed_on in order else order
            nodes = [n for n in after if states.get(n) == "up" and n != failed_on]
            if nodes:
                goal, success = nodes[0], MOVED_TO_STANDBY
        if goal is None:
            actions.append(("stop", pkg.name))
            actions.append(("cleanup", pkg.name, failed_on))
            self._finish(pkg, HALTED, None, actions)
            return
        pkg.success = success
        pkg.phase = "switching"
        pkg.deadline = now + self.attempt_timeout
        pkg.left.append(failed_on)
        self._pin(pkg, goal, now, actions)
        actions.append(("cleanup", pkg.name, failed_on))

    def finish_all(self, view):
        """Close the packages that are still open (the module is stopping early): the truth from
        ``view``; the rules go."""
        actions = []
        for pkg in self.packages.values():
            if pkg.result is None:
                node = running_on(view, pkg.rid) if view else None
                self._finish(pkg, FAILED if node is None else (pkg.success if node == pkg.goal else RECOVERED),
                             node, actions)
            self._unpin(pkg, actions)
        return actions

    def results(self):
        return [p.as_dict() for p in self.packages.values()]


def overall(results):
    """One word for several packages' results."""
    values = {r["result"] for r in results}
    if len(values) == 1:
        return values.pop()
    if values <= set(GOOD_RESULTS):
        return SWITCHED
    return "mixed"


def summary_text(results, target):
    """One sentence per package for the report: what happened and where it runs now."""
    lines = []
    for r in results:
        where = r["final_node"] or "no node (stopped)"
        head = {SWITCHED: "switched to {0}".format(target), UNCHANGED: "already on {0}".format(target),
                RECOVERED: "recovered elsewhere by the cluster", ROLLED_BACK: "rolled back",
                MOVED_TO_STANDBY: "moved to the next standby", HALTED: "halted", FAILED: "failed",
                REFUSED: "refused by the preflight, nothing changed"}.get(r["result"], r["result"])
        events = "; ".join(r.get("events") or [])
        detail = " (" + events + ")" if events else ""
        if r.get("unknown"):
            where = "an unknown node (no member answered)"
        lines.append("{0}: {1}{2}; now runs on {3}".format(r["name"], head, detail, where))
    return lines


# ---------------------------------------------------------------------------------------
# the runbook around the switch (controller side, through filters)
def poll_pause(least, look_s, lease):
    """Seconds before the watcher's next look at the cluster: at least ``least`` (poll_interval),
    and twice what the last look (crm_mon and its parsing) took, so that watching keeps to about a
    third of one core however big the package or busy the node - a 64-link-station package on a
    loaded 2-core node made every look several times slower, and the watcher then competed with
    the switch it watched. Never more than a quarter of the temporary rule's lease, which the
    watcher renews."""
    return max(least, min(2.0 * look_s, lease / 4.0))


def pick_watcher(nodes, play_hosts, target, source):
    """The member the switch is watched from: online, a host of the play, preferably neither the
    target nor the source (it must outlive a crash of either), else the source, else the target.
    ``nodes`` is cluster_info's node list."""
    online = [n["name"] for n in nodes if n.get("online") and n["name"] in play_hosts]
    for candidates in ([n for n in online if n not in (target, source)], [n for n in online if n == source]):
        if candidates:
            return candidates[0]
    return target


def preflight_outcome(truth, target, packages, error, sources=None):
    """What the report says when the preflight stopped the runbook (before any change). ``truth``
    is package_switch's release read after the failure (empty when no member answered),
    ``sources`` the nodes the packages ran on when the preflight planned the switch. A package the
    cluster moved meanwhile (its node was lost, an operator moved it) is reported as recovered
    elsewhere, with the node it runs on now; otherwise the runbook refused and changed nothing."""
    truth = truth or {}
    sources = sources or {}
    now_on = {e["name"]: e.get("final_node") for e in truth.get("packages", [])}
    entries = []
    for name in packages:
        source = sources.get(name)
        entry = {"name": name, "source": source, "attempts": 0, "final_node": now_on.get(name)}
        if name not in now_on:
            entry.update(result=REFUSED, unknown=True, events=[
                "the preflight stopped the runbook ({0}); no member answered afterwards".format(error)])
        elif source and now_on[name] != source:
            node = now_on[name]
            lost = truth.get("node_states", {}).get(source) in ("down", "unclean", "pending")
            entry.update(result=RECOVERED if node else HALTED, events=[
                "{0} during the preflight; {1}".format(
                    "{0} left the cluster".format(source) if lost else "the package left {0}".format(source),
                    "the cluster started {0} on {1}".format(name, node) if node else "it runs on no node now"),
                "the runbook changed nothing ({0})".format(error)])
        else:
            entry.update(result=REFUSED, events=[error])
        entries.append(entry)
    result = overall(entries) if entries else REFUSED
    if result == "mixed" and {e["result"] for e in entries} <= {REFUSED, RECOVERED}:
        result = RECOVERED
    return {"result": result, "packages": entries, "summary": summary_text(entries, target),
            "final_nodes": {e["name"]: e.get("final_node") for e in entries}}


def runbook_outcome(switch, truth, target, packages, note=None, preflight_error=None, sources=None):
    """What the report says: the switch module's result when it finished; else (it died with its
    node or the controller) what the cluster shows now. ``truth`` is package_switch's release
    result read after the switch. The node a package runs on always comes from ``truth`` when
    there is one, never from the request. With ``preflight_error`` (the preflight stopped the
    runbook before any change) see ``preflight_outcome``."""
    if preflight_error:
        return preflight_outcome(truth, target, packages, preflight_error, sources)
    switch = switch or {}
    truth = truth or {}
    now_on = {e["name"]: e.get("final_node") for e in truth.get("packages", [])}
    entries = []
    finished = bool(switch.get("packages")) and switch.get("result") not in (None, "planned")
    by_name = {e["name"]: e for e in switch.get("packages", [])}
    for name in packages:
        entry = dict(by_name.get(name, {"name": name, "source": None, "attempts": 0, "events": []}))
        if name in now_on:
            entry["final_node"] = now_on[name]
        if not finished:
            node = entry.get("final_node")
            entry["result"] = SWITCHED if node == target else (RECOVERED if node else HALTED)
            entry.setdefault("events", [])
            entry["events"] = list(entry["events"]) + [note or (
                "the runbook lost contact with the switch ({0}); the result is the cluster's view".format(
                    switch.get("msg") or "no result").strip())]
        elif entry.get("result") in GOOD_RESULTS and entry.get("final_node") != target:
            entry["result"] = RECOVERED if entry.get("final_node") else HALTED
        entries.append(entry)
    result = overall(entries) if entries else FAILED
    return {"result": result, "packages": entries, "summary": summary_text(entries, target),
            "final_nodes": {e["name"]: e.get("final_node") for e in entries}}
