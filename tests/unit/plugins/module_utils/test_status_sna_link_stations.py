"""Issue 16: cluster_info's view of an SNA package whose link stations are primitives of their own.

The fixtures are crm_mon's XML (Pacemaker 2.1.5, ``CIB_file=... crm_mon -1 --output-as=xml``) of a
compiled 4-link-station package after crm_simulate ran it on node1: all running, and with LS2's
start failed on node1 (its exit reason set to what the link-station agent says when the remote host
refuses the PU). The simulation has no DC: its ``current_dc`` line is node1 with quorum, as on a
live cluster.
"""

from __future__ import annotations

from pathlib import Path

from ansible_collections.failover.cluster.plugins.module_utils import _switch, _timeline
from ansible_collections.failover.cluster.plugins.module_utils._status import parse_crm_mon_xml

FIXTURES = Path(__file__).parent / "fixtures"
LS = ["fc.gw.ls.LS1", "fc.gw.ls.LS2", "fc.gw.ls.LS3", "fc.gw.ls.LS4"]


def view(name):
    return parse_crm_mon_xml((FIXTURES / name).read_text())


def test_the_link_stations_belong_to_their_package():
    status = view("crm_mon_sna_parallel.xml")
    assert [p["name"] for p in status["packages"]] == ["fc.gw"]
    pkg = status["packages"][0]
    assert pkg["state"] == "running" and pkg["node"] == "node1"
    assert [r["id"] for r in pkg["resources"]] == ["fc.gw.ip0", "fc.gw.res.node", "fc.gw.res.port"] + LS
    assert [(ls["name"], ls["node"], ls["state"], ls["failure"]) for ls in pkg["link_stations"]] == [
        ("LS%d" % i, "node1", "running", None) for i in range(1, 5)]
    assert pkg["failed_link_stations"] == []
    # the runbooks' observation sees the package whole on node1 only with every link station
    assert _switch.running_on(status, "fc.gw") == "node1"
    assert [m[0] for m in _timeline.members(status, "fc.gw")][-4:] == LS


def test_a_refused_link_station_makes_the_package_degraded_and_is_named_with_the_reason():
    status = view("crm_mon_sna_parallel_degraded.xml")
    pkg = status["packages"][0]
    assert [p["name"] for p in status["packages"]] == ["fc.gw"]
    assert pkg["state"] == "degraded" and pkg["node"] == "node1"
    failed = pkg["failed_link_stations"]
    assert [(ls["name"], ls["state"], ls["node"]) for ls in failed] == [("LS2", "failed", None)]
    assert failed[0]["failure"]["node"] == "node1" and failed[0]["failure"]["task"] == "start"
    assert "UNSUCCESSFUL/PU_NOT_AVAILABLE" in failed[0]["failure"]["exitreason"]
    # the monitor that saw it leave ACTIVE failed too (no reason): the start's failure is the one named
    monitor = ('<failure op_key="fc.gw.ls.LS2_monitor_10000" node="node1" exitstatus="not running" exitreason="" '
               'exitcode="7" call="9" status="complete" last-rc-change="2026-12-01 02:59:21Z" queued="0" exec="0" '
               'interval="10000" task="monitor"/>')
    text = (FIXTURES / "crm_mon_sna_parallel_degraded.xml").read_text().replace("<failures>", "<failures>" + monitor)
    both = parse_crm_mon_xml(text)["packages"][0]["failed_link_stations"][0]["failure"]
    assert both["task"] == "start" and "PU_NOT_AVAILABLE" in both["exitreason"]
    others = [ls for ls in pkg["link_stations"] if ls["name"] != "LS2"]
    assert {ls["state"] for ls in others} == {"running"}
    # not whole on node1: a switch's observation keeps waiting (or reports the failed start)
    assert _switch.running_on(status, "fc.gw") is None
    state, why = _switch.outcome(status, "fc.gw", "node1")
    assert state == "failed" and "fc.gw.ls.LS2: start_ls failed: UNSUCCESSFUL/PU_NOT_AVAILABLE" in why[0]


def test_running_a_degraded_package_clears_only_its_failed_link_stations():
    from ansible_collections.failover.cluster.plugins.module_utils._package_state import check, plan, read_package

    cib = (FIXTURES / "cib_sna_parallel.xml").read_text()
    degraded = read_package((FIXTURES / "crm_mon_sna_parallel_degraded.xml").read_text(), cib, "gw")
    assert (degraded.state, degraded.node, degraded.running) == ("degraded", "node1", True)
    assert degraded.as_dict()["down_link_stations"] == ["fc.gw.ls.LS2"]
    assert check(degraded, "running", None, None) == []
    assert plan(degraded, "running", None, None) == [("cleanup", "fc.gw.ls.LS2")]
    assert plan(degraded, "running", "node1", None) == [("cleanup", "fc.gw.ls.LS2")]
    assert plan(degraded, "halted", None, None) == [("role", "Stopped")]
    whole = read_package((FIXTURES / "crm_mon_sna_parallel.xml").read_text(), cib, "gw")
    assert whole.state == "running" and plan(whole, "running", None, None) == []
