"""cmrunpkg/cmhaltpkg/cmmodpkg planning, on crm_mon and CIB output captured from a real node."""

from __future__ import annotations

from pathlib import Path

import pytest

from ansible_collections.failover.cluster.plugins.module_utils._model import cib as cibmodel
from ansible_collections.failover.cluster.plugins.module_utils._package_state import (
    NOSWITCH_PREFIX,
    check,
    pin_xml,
    plan,
    read_package,
)
from ansible_collections.failover.cluster.plugins.module_utils._status import SWITCHING_BAN_PREFIX, parse_crm_mon_xml

FIX = Path(__file__).parent / "fixtures" / "package_state"


def view(kind="running", name="web"):
    crm_mon = (FIX / "crm_mon_{0}.xml".format(kind)).read_text()
    return read_package(crm_mon, (FIX / "cib_{0}.xml".format(kind)).read_text(), name)


def test_one_prefix_for_the_pin_everywhere():
    assert NOSWITCH_PREFIX == SWITCHING_BAN_PREFIX == cibmodel.NOSWITCH_PREFIX == "fc-noswitch-"


def test_read_running_package():
    v = view()
    assert (v.exists, v.managed_by_us, v.state, v.node, v.quorate) == (True, True, "running", "node1", True)
    assert v.eligible == ["node1", "node2"] and v.nodes == {"node1": "up", "node2": "down"}
    assert (v.pin, v.pin_exists, v.target_role) == (None, False, None)
    db = view(name="db")
    assert (db.state, db.target_role, db.eligible) == ("halted", "Stopped", ["node1"])


def test_read_pinned_package_on_standby_node():
    v = view("pinned_standby")
    assert (v.pin, v.pin_exists, v.state) == ("node1", True, "halted")
    assert v.nodes["node1"] == "standby"
    assert v.as_dict()["switching_enabled"] is False
    # cluster_info sees the same pin through crm_mon's bans
    status = parse_crm_mon_xml((FIX / "crm_mon_pinned_standby.xml").read_text())
    assert next(p for p in status["packages"] if p["name"] == "fc.web")["switching_enabled"] is False
    assert next(p for p in status["packages"] if p["name"] == "fc.db")["switching_enabled"] is True


@pytest.mark.parametrize("state, node, switching, steps", [
    ("running", None, None, []),
    ("running", "node1", None, []),
    ("halted", None, None, [("role", "Stopped")]),
    ("moved", "node1", None, []),
    (None, None, "disabled", [("pin", "node1")]),
    (None, None, "enabled", []),
    ("halted", None, "disabled", [("pin", "node1"), ("role", "Stopped")]),
])
def test_plan_running_package(state, node, switching, steps):
    v = view()
    assert check(v, state, node, switching) == []
    assert plan(v, state, node, switching) == steps


def test_plan_halted_package():
    v = view(name="db")
    assert plan(v, "running", None, None) == [("cleanup",), ("role", "Started")]
    assert plan(v, "running", "node1", None) == [("cleanup",), ("move", "node1"), ("role", "Started"), ("clear",)]
    assert plan(v, "running", "node1", "disabled") == [("pin", "node1"), ("cleanup",), ("role", "Started")]
    assert plan(v, "halted", None, None) == []


def test_plan_move_with_switching_enabled_and_disabled():
    v = view()
    v.nodes["node2"] = "up"
    assert check(v, "moved", "node2", None) == []
    assert plan(v, "moved", "node2", None) == [("move", "node2"), ("clear",)]
    assert plan(v, "moved", "node2", "disabled") == [("pin", "node2")]  # the pin moves it; no cli-prefer
    v.pin, v.pin_exists = "node1", True
    assert plan(v, "moved", "node2", None) == [("pin", "node2")]  # switching stays disabled
    assert plan(v, None, None, "enabled") == [("unpin",)]


def test_checks_name_the_option_and_the_rule():
    v = view()
    assert check(v, "moved", "node2", None) == ["node: node2 is not online (state down)"]
    assert check(v, "moved", None, None) == ["node: required with state=moved (the node to move the package to)"]
    assert check(v, "running", "node7", None) == ["node: node7 is not a node of this cluster (nodes: node1, node2)"]
    db = view(name="db")
    assert check(db, "running", "node2", None) == ["node: node2 is not in the node_name list of package db (node1)"]
    assert check(db, "moved", "node1", None) == [
        "state: package db is halted, so it cannot be moved; use state=running with node to run it there"]
    assert check(db, None, None, "disabled") == [
        "switching: disabling switching pins package db to one node, but it is halted: give node (the node it may "
        "run on)"]
    v.quorate = False
    assert check(v, "halted", None, None) == [
        "the cluster partition of this node has no quorum: Pacemaker would not run or move packages; nothing was "
        "changed"]


def test_checks_on_standby_node_and_no_node_online():
    v = view("pinned_standby")
    assert check(v, "running", "node1", None) == ["node: node1 is in standby; it does not run packages"]
    assert check(v, "running", None, None) == [
        "state: package web has no eligible node online (eligible: node1 standby, node2 down)"]


def test_unknown_and_foreign_resources():
    assert check(view(name="nope"), "running", None, None) == [
        "name: nope is not a package of this cluster (no resource fc.nope in the CIB)"]
    v = view()
    v.managed_by_us = False
    assert check(v, "halted", None, None) == [
        "name: resource fc.web is not managed by failover.cluster (no failover-cluster=managed meta attribute); "
        "use crm_resource for it"]


def test_pin_xml():
    assert pin_xml("web", "node2") == (
        '<rsc_location id="fc-noswitch-web" rsc="fc.web"><rule id="fc-noswitch-web-rule" score="-INFINITY">'
        '<expression id="fc-noswitch-web-expr" attribute="#uname" operation="ne" value="node2" /></rule>'
        '</rsc_location>')


def test_predict_shows_the_change_check_mode_would_make():
    from ansible_collections.failover.cluster.plugins.module_utils._package_state import predict

    running = {"name": "web", "resource": "fc.web", "state": "running", "node": "n1", "switching_enabled": True,
               "eligible_nodes": ["n1", "n2"]}
    assert predict(running, [("move", "n2"), ("clear",)])["node"] == "n2"
    assert predict(running, [("role", "Stopped")]) == dict(running, state="halted", node=None)
    pinned = predict(running, [("pin", "n1")])
    assert pinned["switching_enabled"] is False and pinned["node"] == "n1"
    halted = dict(running, state="halted", node=None)
    started = predict(halted, [("cleanup",), ("role", "Started")], ["n2"])
    assert started["state"] == "running" and started["node"] == "n2"
    assert predict(dict(running, switching_enabled=False), [("unpin",)])["switching_enabled"] is True
