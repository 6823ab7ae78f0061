"""The switch state machine and its temporary rule, driven by sequences of crm_mon XML.

Each sequence is a list of crm_mon outputs in the format crm_mon --output-as=xml prints (built by
``crm_mon_xml`` below, or recorded on the lab under fixtures/switch/), parsed by the same parser
the module uses; the machine's actions are asserted after each look.
"""

from __future__ import annotations

import gzip
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from ansible_collections.failover.cluster.plugins.module_utils import _switch
from ansible_collections.failover.cluster.plugins.module_utils._status import parse_crm_mon_xml

FIXTURES = Path(__file__).parent / "fixtures" / "switch"
MEMBERS = ("fc.p.ip0", "fc.p.res.svc")


def crm_mon_xml(where, nodes=("n1", "n2", "n3"), down=(), quorate=True, pending=None, failed=()):
    """crm_mon XML of package fc.p (members ip0, svc): ``where`` = node the members run on (None:
    stopped), or a dict member -> node; ``pending`` = {member: "Starting"|"Stopping"};
    ``failed`` = [(member, node, reason)] failed starts."""
    placement = where if isinstance(where, dict) else dict.fromkeys(MEMBERS, where)
    pending = pending or {}
    root = ET.Element("pacemaker-result", {"api-version": "2.29", "request": "crm_mon --output-as=xml"})
    summary = ET.SubElement(root, "summary")
    ET.SubElement(summary, "stack", {"type": "corosync"})
    ET.SubElement(summary, "current_dc", {"present": "true", "name": nodes[0], "with_quorum": str(quorate).lower(),
                                          "version": "2.1.5"})
    xnodes = ET.SubElement(root, "nodes")
    for node in nodes:
        online = node not in down
        ET.SubElement(xnodes, "node", {"name": node, "id": str(nodes.index(node) + 1), "online": str(online).lower(),
                                       "standby": "false", "maintenance": "false", "pending": "false",
                                       "unclean": "false", "type": "member", "is_dc": str(node == nodes[0]).lower(),
                                       "resources_running": "0"})
    resources = ET.SubElement(root, "resources")
    group = ET.SubElement(resources, "group", {"id": "fc.p", "number_resources": str(len(MEMBERS))})
    for member in MEMBERS:
        node = placement.get(member)
        attrs = {"id": member, "resource_agent": "ocf:heartbeat:Dummy", "role": "Started" if node else "Stopped",
                 "active": str(bool(node)).lower(), "orphaned": "false", "blocked": "false", "managed": "true",
                 "failed": "false", "failure_ignored": "false", "nodes_running_on": "1" if node else "0"}
        if member in pending:
            attrs["pending"] = pending[member]
        res = ET.SubElement(group, "resource", attrs)
        if node:
            ET.SubElement(res, "node", {"name": node, "id": str(nodes.index(node) + 1), "cached": "true"})
    if failed:
        failures = ET.SubElement(root, "failures")
        for member, node, reason in failed:
            ET.SubElement(failures, "failure", {"op_key": f"{member}_start_0", "node": node, "exitstatus": "error",
                                                "exitreason": reason, "exitcode": "1", "call": "9",
                                                "status": "complete", "task": "start", "interval": "0",
                                                "last-rc-change": "2026-11-30 20:00:00Z"})
    ET.SubElement(root, "status", {"code": "0", "message": "OK"})
    return ET.tostring(root, encoding="unicode")


def views(*texts):
    return [parse_crm_mon_xml(t) for t in texts]


def run(machine, sequence, t0=1000.0, step=1.0):
    """Feed the views one second apart; return [(time, actions)] and the machine."""
    log = [(t0, machine.start(t0))]
    now = t0
    for view in sequence:
        now += step
        log.append((now, machine.step(view, now)))
        if machine.done:
            break
    return log


def verbs(log):
    return [a[0] for _t, actions in log for a in actions]


# ---------------------------------------------------------------------------------------
def test_clean_switch_pins_renews_and_unpins():
    machine = _switch.SwitchMachine({"p": "n1"}, "n2", lease=6.0)
    seq = views(crm_mon_xml("n1"), crm_mon_xml("n1", pending={"fc.p.res.svc": "Stopping"}),
                crm_mon_xml({"fc.p.ip0": "n2"}, pending={"fc.p.ip0": "Starting"}), crm_mon_xml("n2"))
    log = run(machine, seq)
    assert log[0][1][0][:3] == ("pin", "p", "n2")
    assert log[0][1][0][3] == 1006.0  # the lease
    assert "renew" in verbs(log)  # renewed every lease / 3 = 2 s
    assert verbs(log)[-1] == "unpin"
    assert machine.done
    assert machine.results()[0]["result"] == "switched"
    assert machine.results()[0]["final_node"] == "n2"


def test_target_lost_mid_switch_releases_at_once_and_reports_where_the_cluster_put_it():
    """The fault of issue 14: the target crashed after its IP started, before the service."""
    machine = _switch.SwitchMachine({"p": "n2"}, "n3", retries=2, watcher="n1")
    seq = views(
        crm_mon_xml({"fc.p.ip0": "n3"}, pending={"fc.p.res.svc": "Starting"}),
        crm_mon_xml({"fc.p.ip0": "n3"}, down=("n3",)),  # n3 gone: the rule must go now
        crm_mon_xml(None, down=("n3",)),
        crm_mon_xml("n1", down=("n3",)),
    )
    log = run(machine, seq)
    assert log[2][1] == [("unpin", "p")], log
    result = machine.results()[0]
    assert result["result"] == "recovered_elsewhere"
    assert result["final_node"] == "n1"
    assert "n3 left the cluster during the switch" in result["events"]
    assert "the cluster started p on n1" in result["events"]
    assert _switch.summary_text(machine.results(), "n3") == [
        "p: recovered elsewhere by the cluster (n3 left the cluster during the switch; the cluster started p on n1);"
        " now runs on n1"]


def test_source_lost_mid_switch_is_noted_and_the_switch_completes():
    machine = _switch.SwitchMachine({"p": "n1"}, "n2")
    seq = views(crm_mon_xml({"fc.p.ip0": "n1"}, pending={"fc.p.ip0": "Stopping"}),
                crm_mon_xml(None, down=("n1",)), crm_mon_xml("n2", down=("n1",)))
    run(machine, seq)
    result = machine.results()[0]
    assert result["result"] == "switched"
    assert result["final_node"] == "n2"
    assert result["events"] == ["n1 left the cluster during the switch"]


def test_quorum_lost_stops_changing_things():
    machine = _switch.SwitchMachine({"p": "n1"}, "n2", watcher="n1")
    log = run(machine, views(crm_mon_xml(None, quorate=False)))
    assert verbs(log) == ["pin", "unpin"]
    assert machine.results()[0]["result"] == "halted"


def test_failed_start_is_retried_on_the_target_after_the_delay_then_succeeds():
    machine = _switch.SwitchMachine({"p": "n1"}, "n2", retries=1, retry_delay=2.0, lease=60)
    failed = crm_mon_xml({"fc.p.ip0": "n2"}, failed=[("fc.p.res.svc", "n2", "remote PU refused")])
    seq = views(failed, failed, failed, crm_mon_xml("n2"))
    log = run(machine, seq)
    assert verbs(log) == ["pin", "cleanup", "unpin"]
    cleanup_time = next(t for t, actions in log if actions and actions[0][0] == "cleanup")
    assert cleanup_time == 1003.0  # failure seen at 1001, retry_delay 2 s
    assert machine.results()[0]["result"] == "switched"
    assert machine.results()[0]["attempts"] == 2
    assert machine.attempt_log[0]["reasons"] == {"p": ["fc.p.res.svc: remote PU refused"]}


def test_retries_exhausted_roll_back_to_the_source():
    machine = _switch.SwitchMachine({"p": "n1"}, "n2", retries=0, error_action="rollback", lease=60)
    failed = crm_mon_xml(None, failed=[("fc.p.ip0", "n2", "address in use")])
    seq = views(failed, crm_mon_xml("n1"))
    log = run(machine, seq)
    assert [a[:3] for a in log[1][1]] == [("pin", "p", "n1"), ("cleanup", "p", "n2")]
    assert machine.results()[0]["result"] == "rolled_back"
    assert machine.results()[0]["final_node"] == "n1"


def test_rollback_waits_while_the_package_is_still_seen_on_the_failed_target():
    """The molecule scenario's case: after the retries, the package is still partly up on the target
    while it stops there; that is the rollback under way, not an operator's move elsewhere."""
    machine = _switch.SwitchMachine({"p": "n1"}, "n2", retries=0, error_action="rollback", lease=60)
    failed = crm_mon_xml({"fc.p.ip0": "n2"}, failed=[("fc.p.res.svc", "n2", "x")])
    stopping = crm_mon_xml({"fc.p.ip0": "n2"})
    run(machine, views(failed, stopping, stopping, crm_mon_xml("n1")))
    assert machine.results()[0]["result"] == "rolled_back"
    assert machine.results()[0]["final_node"] == "n1"


def test_rollback_to_a_lost_source_halts_instead():
    machine = _switch.SwitchMachine({"p": "n1"}, "n2", retries=0, error_action="rollback")
    log = run(machine, views(crm_mon_xml(None, down=("n1",), failed=[("fc.p.ip0", "n2", "x")])))
    assert [a[:2] for a in log[1][1]] == [("stop", "p"), ("cleanup", "p"), ("unpin", "p")]
    assert machine.results()[0]["result"] == "halted"


def test_next_standby_follows_the_standby_order_and_skips_nodes_that_are_down():
    machine = _switch.SwitchMachine({"p": "n1"}, "n2", retries=0, error_action="next_standby",
                                    standby_order=["n2", "n4", "n3"])
    failed = crm_mon_xml(None, nodes=("n1", "n2", "n3", "n4"), down=("n4",), failed=[("fc.p.ip0", "n2", "x")])
    log = run(machine, [parse_crm_mon_xml(failed), parse_crm_mon_xml(crm_mon_xml("n3", nodes=("n1", "n2", "n3",
                                                                                              "n4")))])
    assert log[1][1][0][:3] == ("pin", "p", "n3")
    assert machine.results()[0]["result"] == "moved_to_standby"


def test_halt_error_action_stops_the_package():
    machine = _switch.SwitchMachine({"p": "n1"}, "n2", error_action="halt")
    log = run(machine, views(crm_mon_xml(None, failed=[("fc.p.ip0", "n2", "x")])))
    assert verbs(log) == ["pin", "stop", "cleanup", "unpin"]
    assert machine.results()[0]["result"] == "halted"


def test_attempt_timeout_counts_as_a_failed_start():
    machine = _switch.SwitchMachine({"p": "n1"}, "n2", attempt_timeout=2.5, error_action="halt", lease=60)
    stuck = crm_mon_xml({"fc.p.ip0": "n2"}, pending={"fc.p.res.svc": "Starting"})
    run(machine, views(stuck, stuck, stuck))
    assert machine.results()[0]["result"] == "halted"
    assert machine.attempt_log[0]["reasons"] == {"p": ["no start within 2 s"]}


def test_active_elsewhere_is_reported_with_the_node():
    machine = _switch.SwitchMachine({"p": "n1"}, "n2")
    run(machine, views(crm_mon_xml("n3")))
    assert machine.results()[0]["result"] == "recovered_elsewhere"
    assert machine.results()[0]["final_node"] == "n3"


def test_finish_all_reports_the_truth_and_removes_every_rule():
    machine = _switch.SwitchMachine({"p": "n1"}, "n2")
    machine.start(0.0)
    actions = machine.finish_all(parse_crm_mon_xml(crm_mon_xml("n1")))
    assert actions == [("unpin", "p")]
    assert machine.results()[0]["result"] == "recovered_elsewhere"
    assert machine.results()[0]["final_node"] == "n1"


# ---------------------------------------------------------------------------------------
def test_temporary_rule_has_the_ban_and_the_lifetime():
    xml = _switch.temporary_rule_xml("p", "n2", 1796084103)
    loc = ET.fromstring(xml)
    assert loc.get("id") == "fc-runbook-p" and loc.get("rsc") == "fc.p"
    rule = loc.find("rule")
    assert rule.get("score") == "-INFINITY" and rule.get("boolean-op") == "and"
    assert rule.find("expression").attrib == {"id": "fc-runbook-p-expr", "attribute": "#uname", "operation": "ne",
                                              "value": "n2"}
    assert rule.find("date_expression").attrib == {"id": "fc-runbook-p-lifetime", "operation": "lt",
                                                   "end": "2026-12-01T00:15:03Z"}


@pytest.mark.parametrize("text", ["2026-12-01T00:15:03Z", "2026-12-01 00:15:03Z", "2026-12-01 00:15:03 +00:00"])
def test_expiry_parses_what_pacemaker_and_crm_resource_write(text):
    assert _switch.parse_expiry(text) == 1796084103


def test_restrictions_lists_pins_runbook_rules_and_moves_with_expiry():
    cib = f"""<cib><configuration><constraints>
      {_switch.temporary_rule_xml("p", "n2", 2000)}
      <rsc_location id="fc-noswitch-q" rsc="fc.q"><rule id="fc-noswitch-q-rule" score="-INFINITY">
        <expression id="e" attribute="#uname" operation="ne" value="n1"/></rule></rsc_location>
      <rsc_location id="cli-prefer-fc.r" rsc="fc.r" node="n3" score="INFINITY"/>
      <rsc_location id="cli-ban-fc.r-on-n1" rsc="fc.r" node="n1" score="-INFINITY"/>
      <rsc_location id="fc.p.loc.n1" rsc="fc.p" node="n1" score="100"/>
    </constraints></configuration></cib>"""
    found = {r["id"]: r for r in _switch.restrictions(cib, now=1990)}
    assert set(found) == {"fc-runbook-p", "fc-noswitch-q", "cli-prefer-fc.r", "cli-ban-fc.r-on-n1"}
    assert found["fc-runbook-p"]["kind"] == "runbook" and found["fc-runbook-p"]["node"] == "n2"
    assert found["fc-runbook-p"]["expires_in"] == 10.0 and found["fc-runbook-p"]["in_force"]
    assert found["fc-noswitch-q"]["kind"] == "pin" and found["fc-noswitch-q"]["expires"] is None
    assert found["cli-prefer-fc.r"]["package"] == "r" and found["cli-prefer-fc.r"]["node"] == "n3"
    lapsed = {r["id"]: r for r in _switch.restrictions(cib, now=2001)}
    assert not lapsed["fc-runbook-p"]["in_force"]


@pytest.mark.parametrize("name", ["target-crash", "source-crash"])
def test_recorded_sequences(name):
    """crm_mon XML recorded on the lab every ~0.2 s during a runbook (tests/faults/test_runbook.py with
    FAULT_RECORD_DIR set; reduced to the sections the parser reads), replayed through the machine: it
    concludes what the cluster really did."""
    case = json.loads(gzip.decompress((FIXTURES / f"{name}.json.gz").read_bytes()))
    machine = _switch.SwitchMachine(case["packages"], case["target"], retries=case.get("retries", 0))
    machine.start(case["t0"])
    actions = []
    for sample in case["samples"]:
        actions += machine.step(parse_crm_mon_xml(sample["xml"]), sample["t"])
        if machine.done:
            break
    got = {r["name"]: [r["result"], r["final_node"]] for r in machine.results()}
    assert got == case["expect"], case["what"]
    assert ("unpin", "sna") in actions, "the rule is removed"
    lost = "node2" if name == "target-crash" else "node1"
    assert f"{lost} left the cluster during the switch" in machine.results()[0]["events"]


def _truth(**where):
    return {"packages": [{"name": name, "final_node": node} for name, node in where.items()]}


def test_preflight_outcome_names_the_node_the_cluster_moved_the_package_to():
    """Issue 14: the source crashed during the preflight and the cluster restarted the package on
    node2; the report says so (not 'another host holds the address')."""
    out = _switch.runbook_outcome({}, _truth(sna="node2"), "node3", ["sna"],
                                  preflight_error="the relocatable IP(s) 198.51.100.50 are answered by node2",
                                  sources={"sna": "node1"})
    assert out["result"] == "recovered_elsewhere"
    assert out["final_nodes"] == {"sna": "node2"}
    assert out["summary"][0].startswith("sna: recovered elsewhere by the cluster (the package left node1 during "
                                        "the preflight; the cluster started sna on node2")
    assert out["summary"][0].endswith("now runs on node2")
    truth = dict(_truth(sna="node2"), node_states={"node1": "unclean", "node2": "up"})
    lost = _switch.preflight_outcome(truth, "node3", ["sna"], "x", {"sna": "node1"})
    assert lost["packages"][0]["events"][0] == "node1 left the cluster during the preflight; the cluster started " \
                                               "sna on node2"


def test_preflight_outcome_refused_changes_nothing_and_keeps_the_source():
    out = _switch.runbook_outcome({}, _truth(sna="node1"), "node3", ["sna"], preflight_error="node3 is in standby",
                                  sources={"sna": "node1"})
    assert out["result"] == "refused"
    assert out["summary"] == ["sna: refused by the preflight, nothing changed (node3 is in standby); now runs on node1"]


def test_preflight_outcome_halted_and_unknown():
    halted = _switch.preflight_outcome(_truth(sna=None), "node3", ["sna"], "quorum lost", {"sna": "node1"})
    assert halted["result"] == "halted" and halted["final_nodes"] == {"sna": None}
    unknown = _switch.preflight_outcome({}, "node3", ["sna"], "unreachable", {"sna": "node1"})
    assert unknown["result"] == "refused"
    assert unknown["summary"][0].endswith("now runs on an unknown node (no member answered)")
    both = _switch.preflight_outcome(_truth(a="node2", b="node1"), "node3", ["a", "b"], "x",
                                     {"a": "node1", "b": "node1"})
    assert both["result"] == "recovered_elsewhere"
    assert [p["result"] for p in both["packages"]] == ["recovered_elsewhere", "refused"]


def test_poll_pause_follows_the_cost_of_a_look():
    from ansible_collections.failover.cluster.plugins.module_utils._switch import poll_pause

    assert poll_pause(0.25, 0.05, 15) == 0.25  # a quick look: poll_interval
    assert poll_pause(0.25, 0.4, 15) == pytest.approx(0.8)  # a slow look: twice its time
    assert poll_pause(0.25, 3.0, 15) == pytest.approx(3.75)  # never beyond a quarter of the lease
    assert poll_pause(2.0, 3.0, 4) == 2.0  # poll_interval still wins
