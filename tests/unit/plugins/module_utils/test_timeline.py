"""The switch timeline: observing crm_mon views, probe gaps, the report page."""

from __future__ import annotations

import json

from ansible_collections.failover.cluster.plugins.filter.timeline import probe_downtime
from ansible_collections.failover.cluster.plugins.module_utils._timeline import (
    Observer,
    downtime,
    parse_probe,
    render_markdown,
)


def view(states, failures=()):
    """A parsed crm_mon view of package fc.p with members a, b: states = {id: (role, node, pending)}."""
    resources = [
        {"id": rid, "role": role, "nodes": [node] if node else [], "pending": pending, "active": bool(node)}
        for rid, (role, node, pending) in states.items()
    ]
    return {"packages": [{"name": "fc.p", "resources": resources}], "failed_actions": list(failures)}


def test_observer_records_stops_in_reverse_and_starts_in_order():
    obs = Observer("fc.p", "n1", "n2")
    obs.feed(0.0, view({"a": ("Started", "n1", None), "b": ("Started", "n1", None)}))
    obs.feed(0.5, view({"a": ("Started", "n1", None), "b": ("Started", "n1", "Stopping")}))
    obs.feed(1.0, view({"a": ("Started", "n1", "Stopping"), "b": ("Stopped", None, None)}))
    obs.feed(1.5, view({"a": ("Started", "n2", "Starting"), "b": ("Stopped", None, None)}))
    obs.feed(2.0, view({"a": ("Started", "n2", None), "b": ("Started", "n2", "Starting")}))
    obs.feed(3.0, view({"a": ("Started", "n2", None), "b": ("Started", "n2", None)}))
    steps = [(s["action"], s["resource"], s["node"], s["started_at"], s["ended_at"]) for s in obs.steps()]
    assert steps == [
        ("stop", "b", "n1", 0.5, 1.0),
        ("stop", "a", "n1", 1.0, 1.5),
        ("start", "a", "n2", 1.5, 2.0),
        ("start", "b", "n2", 2.0, 3.0),
    ]
    assert obs.steps()[3]["duration"] == 1.0


def test_observer_reports_a_failed_start_with_its_reason():
    obs = Observer("fc.p", "n1", "n2")
    obs.feed(0.0, view({"a": ("Started", "n1", None), "b": ("Started", "n1", None)}))
    failure = {
        "resource": "b",
        "node": "n2",
        "task": "start",
        "exitreason": "NODE_ACTIVE_ELSEWHERE",
        "exitstatus": "error",
    }
    obs.feed(1.0, view({"a": ("Started", "n2", None), "b": ("Stopped", None, None)}, [failure]))
    last = obs.steps()[-1]
    assert last["resource"] == "b"
    assert last["failed"] is True
    assert last["reason"] == "NODE_ACTIVE_ELSEWHERE"
    assert last["ended_at"] is None


def test_downtime_gaps():
    samples = [(0.0, True), (0.1, True), (0.2, False), (0.3, False), (0.4, True), (0.5, False), (0.6, True)]
    assert downtime(samples) == [
        {"from": 0.1, "to": 0.4, "seconds": 0.3},
        {"from": 0.4, "to": 0.6, "seconds": 0.2},
    ]
    assert downtime(samples, window=(0.45, 1.0)) == [{"from": 0.4, "to": 0.6, "seconds": 0.2}]
    assert downtime([(0.0, True), (1.0, False)]) == [{"from": 0.0, "to": None, "seconds": None}]
    assert downtime([(0.0, True), (1.0, True)]) == []


def test_parse_probe_skips_noise_and_sorts():
    text = '{"t": 2, "up": false}\nnot json\n{"t": 1, "up": true, "pus": 4}\n\n'
    assert parse_probe(text) == [(1.0, True), (2.0, False)]


def test_probe_downtime_relative_to_the_switch():
    lines = [json.dumps({"t": 100 + i / 10, "up": not 5 <= i <= 14}) for i in range(30)]
    result = probe_downtime("\n".join(lines), 100.2, 102.5)
    assert result["seconds"] == 1.1
    assert result["gaps"] == [{"from": 0.2, "to": 1.3, "seconds": 1.1}]
    assert result["samples"] == 30
    never_back = probe_downtime('{"t": 1, "up": true}\n{"t": 2, "up": false}', 1.5)
    assert never_back["seconds"] is None


def test_render_markdown():
    page = render_markdown(
        {
            "title": "Planned failover of p",
            "packages": ["p"],
            "source": "n1",
            "target": "n2",
            "result": "switched",
            "final_node": "n2",
            "attempts": 2,
            "downtime": {"seconds": 1.25, "probe_host": "mf", "what": "IPs"},
            "phases": [{"name": "preflight", "seconds": 3.0}],
            "steps": [
                {"action": "stop", "resource": "b", "node": "n1", "started_at": 0.0, "ended_at": 0.5, "duration": 0.5},
                {
                    "action": "start",
                    "resource": "b",
                    "node": "n2",
                    "started_at": 0.5,
                    "ended_at": None,
                    "duration": None,
                    "failed": True,
                    "reason": "boom",
                },
            ],
        }
    )
    assert "- from n1 to n2; result: **switched**" in page
    assert "**1.250 s**" in page
    assert "| 1 | stop b | n1 | 0.000 | 0.500 | 0.500 | " + "█" * 30 + " |" in page
    assert "FAILED: boom" in page
    assert "| preflight | 3.0 |" in page


STATUS = """<cib><status>
 <node_state id="1" uname="n1"><lrm id="1"><lrm_resources>
  <lrm_resource id="a"><lrm_rsc_op id="a_last_0" operation="stop" call-id="20" rc-code="0" last-rc-change="1000"
     exec-time="120" queue-time="0"/></lrm_resource>
  <lrm_resource id="b"><lrm_rsc_op id="b_last_0" operation="stop" call-id="19" rc-code="0" last-rc-change="999"
     exec-time="310" queue-time="5"/><lrm_rsc_op id="b_monitor_10000" operation="monitor" call-id="7" rc-code="0"
     last-rc-change="900" exec-time="12" queue-time="0"/></lrm_resource>
 </lrm_resources></lrm></node_state>
 <node_state id="2" uname="n2"><lrm id="2"><lrm_resources>
  <lrm_resource id="a"><lrm_rsc_op id="a_last_0" operation="start" call-id="30" rc-code="0" last-rc-change="1001"
     exec-time="40" queue-time="0"/></lrm_resource>
  <lrm_resource id="b"><lrm_rsc_op id="b_last_0" operation="start" call-id="31" rc-code="0" last-rc-change="1001"
     exec-time="2" queue-time="0"/></lrm_resource>
  <lrm_resource id="old"><lrm_rsc_op id="old_last_0" operation="start" call-id="3" rc-code="0" last-rc-change="500"
     exec-time="2" queue-time="0"/></lrm_resource>
 </lrm_resources></lrm></node_state></status></cib>"""


def test_engine_operations_reads_the_executors_records_since_the_switch():
    from ansible_collections.failover.cluster.plugins.module_utils._timeline import engine_operations

    ops = engine_operations(STATUS, since=999.5)
    assert set(ops) == {("a", "n1", "stop"), ("b", "n1", "stop"), ("a", "n2", "start"), ("b", "n2", "start")}
    assert ops[("b", "n1", "stop")] == {"exec_s": 0.31, "queue_s": 0.005, "rc": 0, "completed": 999.0, "call_id": 19}


def test_engine_times_replace_a_duration_that_fell_between_two_polls():
    from ansible_collections.failover.cluster.plugins.module_utils._timeline import engine_operations, with_engine_times

    steps = [{"action": "start", "resource": "b", "node": "n2", "started_at": 2.0, "ended_at": 2.0, "duration": 0.0},
             {"action": "start", "resource": "c", "node": "n2", "started_at": 2.0, "ended_at": 2.5, "duration": 0.5}]
    out = with_engine_times(steps, engine_operations(STATUS, since=999.5))
    assert out[0]["duration"] == 0.002 and out[0]["ended_at"] == 2.002 and out[0]["source"] == "engine"
    assert out[1]["duration"] == 0.5 and out[1]["source"] == "observed"


def test_observer_keeps_the_stop_when_the_package_later_comes_back_to_the_source():
    """The target died and the cluster restarted the package on the source: the stop steps keep their times."""
    obs = Observer("fc.p", "n1", "n2")
    obs.feed(0.0, view({"a": ("Started", "n1", None), "b": ("Started", "n1", None)}))
    obs.feed(1.0, view({"a": ("Started", "n1", None), "b": ("Stopped", None, None)}))
    obs.feed(2.0, view({"a": ("Stopped", None, None), "b": ("Stopped", None, None)}))
    obs.feed(9.0, view({"a": ("Started", "n1", None), "b": ("Started", "n1", None)}))
    stops = [(s["resource"], s["started_at"], s["ended_at"]) for s in obs.steps() if s["action"] == "stop"]
    assert stops == [("b", 0.0, 1.0), ("a", 1.0, 2.0)]
