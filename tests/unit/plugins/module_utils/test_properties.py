from __future__ import annotations

from pathlib import Path

from ansible_collections.failover.cluster.plugins.module_utils._properties import (
    parse_crm_config,
    property_changes,
    property_text,
)

CIB = (Path(__file__).parent / "fixtures" / "cib_1node.xml").read_text()


def test_parse_real_cib_bootstrap_options():
    props = parse_crm_config(CIB)
    assert props["stonith-enabled"] == "false"
    assert props["dc-deadtime"] == "5s"
    assert props["maintenance-mode"] == "true"
    assert props["cluster-infrastructure"] == "corosync"


def test_only_differing_properties_change():
    current = {"stonith-enabled": "false", "dc-deadtime": "20s"}
    wanted = {"stonith-enabled": False, "dc-deadtime": "5s", "no-quorum-policy": "stop"}
    assert property_changes(current, wanted) == [("dc-deadtime", "20s", "5s"), ("no-quorum-policy", None, "stop")]


def test_no_change_when_equal():
    assert property_changes({"stonith-enabled": "true"}, {"stonith-enabled": True}) == []


def test_property_text():
    assert property_text(True) == "true"
    assert property_text(False) == "false"
    assert property_text(30) == "30"
