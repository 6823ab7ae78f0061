# Copyright: failover.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The timeline of a switchover: what each step did, when, and the downtime a probe saw.

Pure functions. The switch module polls ``crm_mon`` and hands each view here; a probe on a
third host records samples of the service; the runbook role renders the report.
"""

from __future__ import annotations

import json

SOURCE_STEP = "stop"
TARGET_STEP = "start"


def members(view, package_id):
    """Ordered member resources of a package in one parsed crm_mon view:
    ``[(id, role, nodes, pending)]``; empty when the package is not in the view."""
    for pkg in view.get("packages", []):
        if pkg["name"] == package_id:
            return [(r["id"], r.get("role"), tuple(r.get("nodes", ())), r.get("pending")) for r in pkg["resources"]]
    return []


class Observer:
    """Turns successive views of one package into per-resource step times.

    For each member it records, on the source, when it was last seen running there before it
    stopped (or first seen ``Stopping``) and when it was first seen stopped; on the target, when
    it was first seen ``Starting`` (else when the previous member finished) and when it was
    first seen ``Started`` there. Times are seconds since the observer started.
    """

    def __init__(self, package_id, source, target):
        self.package_id = package_id
        self.source = source
        self.target = target
        self.order = []
        self.seen = {}
        self.failed = {}

    def feed(self, t, view):
        for rid, role, nodes, pending in members(view, self.package_id):
            if rid not in self.order:
                self.order.append(rid)
            rec = self.seen.setdefault(rid, {})
            on_source = self.source in nodes
            on_target = self.target in nodes
            if on_source and role in ("Started", "Stopping") and pending != "Stopping" and "source_stopped" not in rec:
                rec["source_last_running"] = t  # not after it stopped: the cluster may bring it back here later
            if on_source and pending == "Stopping":
                rec.setdefault("source_stopping", t)
            if not on_source and "source_last_running" in rec:
                rec.setdefault("source_stopped", t)
            if on_target and pending == "Starting":
                rec.setdefault("target_starting", t)
            if on_target and role == "Started" and pending != "Starting":
                rec.setdefault("target_started", t)
        for failure in view.get("failed_actions", []):
            if failure["node"] == self.target and failure["resource"] in self.order:
                self.failed.setdefault(failure["resource"], failure)

    def steps(self):
        """The ordered steps: stops on the source (reverse group order), then starts on the target."""
        out = []
        previous_end = None
        for rid in reversed(self.order):
            rec = self.seen.get(rid, {})
            if "source_stopped" not in rec:
                continue
            start = rec.get("source_stopping", rec.get("source_last_running"))
            if previous_end is not None and start is not None:
                start = max(start, previous_end) if rec.get("source_stopping") is None else start
            out.append(_step(SOURCE_STEP, rid, self.source, start, rec["source_stopped"]))
            previous_end = rec["source_stopped"]
        for rid in self.order:
            rec = self.seen.get(rid, {})
            if "target_started" not in rec:
                if rid in self.failed:
                    fail = self.failed[rid]
                    out.append(
                        dict(
                            _step(TARGET_STEP, rid, self.target, previous_end, None),
                            failed=True,
                            reason=fail.get("exitreason") or fail.get("exitstatus"),
                        )
                    )
                continue
            start = rec.get("target_starting", previous_end)
            out.append(_step(TARGET_STEP, rid, self.target, start, rec["target_started"]))
            previous_end = rec["target_started"]
        return out


def _step(action, rid, node, start, end):
    duration = None if start is None or end is None else round(max(end - start, 0.0), 3)
    return {
        "action": action,
        "resource": rid,
        "node": node,
        "started_at": None if start is None else round(start, 3),
        "ended_at": None if end is None else round(end, 3),
        "duration": duration,
    }


def downtime(samples, window=None):
    """Gaps in probe samples ``[(t, up)]`` (t ascending): ``[{"from", "to", "seconds"}]``.

    A gap runs from the last up sample before a down run to the first up sample after it.
    With ``window=(t0, t1)`` only gaps that overlap it are returned. A run that is down at
    the end has ``to`` None.
    """
    gaps = []
    last_up = None
    down_since = None
    for t, up in samples:
        if up:
            if down_since is not None:
                start = last_up if last_up is not None else down_since
                gaps.append({"from": start, "to": t, "seconds": round(t - start, 3)})
                down_since = None
            last_up = t
        elif down_since is None:
            down_since = t
    if down_since is not None:
        gaps.append({"from": last_up if last_up is not None else down_since, "to": None, "seconds": None})
    if window is not None:
        t0, t1 = window
        gaps = [g for g in gaps if (g["to"] is None or g["to"] >= t0) and g["from"] <= t1]
    return gaps


def parse_probe(text):
    """Probe output: one JSON object per line ``{"t": epoch, "up": bool, ...}``."""
    samples = []
    for line in (text or "").splitlines():
        line = line.strip()
        if not line:
            continue
        try:
            obj = json.loads(line)
        except ValueError:
            continue
        if isinstance(obj, dict) and "t" in obj and "up" in obj:
            samples.append((float(obj["t"]), bool(obj["up"])))
    samples.sort()
    return samples


def duration_bar(seconds, scale, width=40):
    if seconds is None or scale <= 0:
        return ""
    cells = max(1, int(round(width * seconds / scale))) if seconds > 0 else 0
    return "█" * cells


def render_markdown(report):
    """A human-readable page of a runbook report (the JSON the role writes)."""
    lines = [f"# {report.get('title', 'Switchover report')}", ""]
    lines.append(f"- package(s): {', '.join(report.get('packages', []))}")
    lines.append(f"- from {report.get('source')} to {report.get('target')}; result: **{report.get('result')}**")
    finals = report.get("final_nodes") or ({} if not report.get("final_node") else {"": report["final_node"]})
    for name, node in finals.items():
        lines.append(f"- {name + ' ' if name else 'package '}now runs on: {node or 'no node (stopped)'}"
                     " (the cluster's view after the switch)")
    for sentence in report.get("summary") or []:
        lines.append(f"- {sentence}")
    for event in report.get("events") or []:
        lines.append(f"- during the switch: {event}")
    if report.get("attempts") is not None:
        lines.append(f"- start attempts on the target: {report['attempts']}")
    if report.get("error_action"):
        lines.append(f"- error action taken: {report['error_action']}")
    probe = report.get("downtime")
    if probe is not None:
        seconds = probe.get("seconds")
        shown = f"{seconds:.3f} s" if isinstance(seconds, (int, float)) else "not measured"
        lines.append(f"- downtime seen by the probe on {probe.get('probe_host')} ({probe.get('what')}): **{shown}**")
    lines.append("")
    phases = report.get("phases", [])
    if phases:
        lines += ["## Phases", "", "| phase | took (s) |", "|---|---|"]
        lines += [f"| {p['name']} | {p.get('seconds', '')} |" for p in phases]
        lines.append("")
    steps = report.get("steps", [])
    if steps:
        scale = max([s["duration"] or 0 for s in steps] + [0.001])
        lines += [
            "## Steps",
            "",
            "| # | step | node | start (s) | end (s) | took (s) | |",
            "|---|---|---|---|---|---|---|",
        ]
        for i, s in enumerate(steps, 1):
            mark = f"FAILED: {s.get('reason')}" if s.get("failed") else duration_bar(s["duration"], scale, 30)
            lines.append(
                f"| {i} | {s['action']} {s['resource']} | {s['node']} | {_fmt(s['started_at'])} | "
                f"{_fmt(s['ended_at'])} | {_fmt(s['duration'])} | {mark} |"
            )
        lines.append("")
        lines.append("Times are seconds from the start of the switch, as the cluster's status showed them; a duration "
                     "marked from the engine is the executor's own run time of the operation.")
        if report.get("chart"):
            lines += ["", f"![the steps as a Gantt chart]({report['chart']})"]
    return "\n".join(lines) + "\n"


def _fmt(value):
    return "" if value is None else f"{value:.3f}"


# ---------------------------------------------------------------------------------------
# the engine's own records: the CIB status section's operation history
def engine_operations(cib_xml, since=0.0):
    """The start and stop operations each node's executor recorded (``lrm_rsc_op`` in the CIB
    status section) that completed at or after ``since`` (epoch seconds):
    ``{(resource, node, operation): {"exec_s", "queue_s", "rc", "completed", "call_id"}}``.
    ``completed`` is ``last-rc-change`` (whole seconds); ``exec_s`` is the agent's own run time,
    measured by the executor in milliseconds - the step's duration, however short."""
    import xml.etree.ElementTree as ET  # noqa: PLC0415

    root = ET.fromstring(cib_xml) if isinstance(cib_xml, str) else cib_xml
    found = {}
    for node_state in root.iter("node_state"):
        node = node_state.get("uname")
        for resource in node_state.iter("lrm_resource"):
            rid = resource.get("id")
            for op in resource.iter("lrm_rsc_op"):
                operation = op.get("operation")
                if operation not in ("start", "stop"):
                    continue
                try:
                    completed = float(op.get("last-rc-change") or 0)
                    entry = {"exec_s": int(op.get("exec-time") or 0) / 1000.0,
                             "queue_s": int(op.get("queue-time") or 0) / 1000.0,
                             "rc": int(op.get("rc-code") or 0), "completed": completed,
                             "call_id": int(op.get("call-id") or 0)}
                except ValueError:
                    continue
                if completed + 1 < since:
                    continue
                key = (rid, node, operation)
                if key not in found or entry["call_id"] > found[key]["call_id"]:
                    found[key] = entry
    return found


def with_engine_times(steps, operations):
    """Steps observed by polling, with the duration the engine measured: ``duration`` becomes the
    executor's run time of the operation (``source: engine``) and ``ended_at`` the observed start
    plus it. Steps without a record keep the observed times (``source: observed``)."""
    out = []
    for step in steps:
        step = dict(step)
        record = operations.get((step["resource"], step["node"], step["action"]))
        if record is not None and not step.get("failed"):
            step["duration"] = round(record["exec_s"], 3)
            step["queue_s"] = round(record["queue_s"], 3)
            if step.get("started_at") is not None:
                step["ended_at"] = round(step["started_at"] + record["exec_s"], 3)
            step["source"] = "engine"
        else:
            step["source"] = "observed"
        out.append(step)
    return out
