"""Parsers behind cluster_info, against output captured from the real daemons.

The fixtures were printed by Pacemaker 2.1.5 / Corosync 3.1.7 from Debian 12, by
tests/fixtures/capture-single-node.sh (single node) and the lab (two nodes + qnetd).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ansible_collections.failover.cluster.plugins.module_utils._status import (
    StatusParseError,
    cluster_view,
    parse_crm_mon_xml,
    parse_quorumtool,
    render_table,
)

FIXTURES = Path(__file__).parent / "fixtures"


def fixture(name):
    return (FIXTURES / name).read_text()


def test_single_node_running_cluster():
    view = parse_crm_mon_xml(fixture("crm_mon_1node.xml"))
    assert view["cluster"]["dc"] == "cap1"
    assert view["cluster"]["quorate"] is True
    assert view["cluster"]["stonith_enabled"] is False
    assert view["cluster"]["pacemaker_version"].startswith("2.1.5")
    assert [(n["name"], n["state"], n["is_dc"]) for n in view["nodes"]] == [("cap1", "up", True)]


def test_packages_groups_and_primitives():
    view = parse_crm_mon_xml(fixture("crm_mon_1node.xml"))
    pkgs = {p["name"]: p for p in view["packages"]}
    assert set(pkgs) == {"pkg1", "broken", "stopped1"}
    assert pkgs["pkg1"]["kind"] == "group"
    assert pkgs["pkg1"]["state"] == "running"
    assert pkgs["pkg1"]["node"] == "cap1"
    assert [r["id"] for r in pkgs["pkg1"]["resources"]] == ["pkg1_ip", "pkg1_svc"]
    assert pkgs["pkg1"]["resources"][0]["agent"] == "ocf:heartbeat:IPaddr2"
    assert pkgs["stopped1"]["state"] == "halted"
    assert pkgs["stopped1"]["resources"][0]["target_role"] == "Stopped"
    assert pkgs["broken"]["state"] == "halted"
    assert all(p["switching_enabled"] for p in pkgs.values())


def test_failed_actions():
    view = parse_crm_mon_xml(fixture("crm_mon_1node.xml"))
    assert view["failed_actions"] == [
        {
            "resource": "broken",
            "node": "cap1",
            "task": "start",
            "exitstatus": "not configured",
            "exitreason": "[findif] failed",
            "exitcode": 6,
            "last_rc_change": "2026-11-22 00:21:46Z",
        }
    ]


def test_standby_node_halts_packages():
    view = parse_crm_mon_xml(fixture("crm_mon_1node_standby.xml"))
    assert view["nodes"][0]["state"] == "standby"
    assert {p["name"]: p["state"] for p in view["packages"]}["pkg1"] == "halted"


def test_maintenance_mode():
    view = parse_crm_mon_xml(fixture("crm_mon_1node_maint.xml"))
    assert view["cluster"]["maintenance_mode"] is True


def test_switching_disabled_by_collection_ban():
    text = fixture("crm_mon_1node.xml").replace(
        "<status ",
        '<bans><ban id="fc-noswitch-pkg1-node2" resource="pkg1" node="node2" weight="-1000000"'
        ' promoted-only="false" master_only="false"/>'
        '<ban id="cli-ban-broken-on-cap1" resource="broken" node="cap1" weight="-1000000"'
        ' promoted-only="false" master_only="false"/></bans><status ',
    )
    pkgs = {p["name"]: p for p in parse_crm_mon_xml(text)["packages"]}
    assert pkgs["pkg1"]["switching_enabled"] is False
    # a ban an operator made by hand is not the collection's switching switch
    assert pkgs["broken"]["switching_enabled"] is True


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not xml", "crm_mon output is not XML"),
        ("<cib/>", "expected <pacemaker-result>"),
        (
            '<pacemaker-result><status code="102" message="Not connected"/></pacemaker-result>',
            "crm_mon failed: Not connected (code 102)",
        ),
        ("<pacemaker-result/>", "no <summary>"),
    ],
)
def test_crm_mon_errors(text, message):
    with pytest.raises(StatusParseError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_crm_mon_xml(text)


def test_quorumtool_single_node():
    q = parse_quorumtool(fixture("quorumtool_1node.txt"))
    assert q["quorate"] is True
    assert (q["expected_votes"], q["total_votes"], q["quorum"]) == (1, 1, 1)
    assert q["flags"] == ["Quorate"]
    assert q["qdevice"] == {"configured": False, "votes": 0}
    assert q["members"] == [{"nodeid": 1, "votes": 1, "qdevice": [], "name": "cap1", "local": True}]


def test_quorumtool_not_running():
    with pytest.raises(StatusParseError, match="no 'Quorate:' line"):
        parse_quorumtool("Cannot initialize QUORUM service\n")


def test_view_and_table():
    view = cluster_view(
        parse_crm_mon_xml(fixture("crm_mon_1node.xml")), parse_quorumtool(fixture("quorumtool_1node.txt"))
    )
    view["name"] = "capclu"
    assert view["nodes"][0]["votes"] == 1
    table = render_table(view)
    lines = table.splitlines()
    assert lines[1].split()[:4] == ["capclu", "up", "yes", "cap1"]
    assert any(line.split()[:4] == ["pkg1", "running", "cap1", "enabled"] for line in lines)
    assert "broken start on cap1: not configured ([findif] failed)" in table


def test_two_nodes_with_quorum_server():
    """Captured from the lab: 2 nodes + corosync-qnetd, provisioned by this collection."""
    view = cluster_view(
        parse_crm_mon_xml(fixture("crm_mon_2node_qdevice.xml")),
        parse_quorumtool(fixture("quorumtool_2node_qdevice.txt")),
    )
    assert [(n["name"], n["state"], n["votes"], n["qdevice"]) for n in view["nodes"]] == [
        ("node1", "up", 1, ["A", "V", "NMW"]),
        ("node2", "up", 1, ["A", "V", "NMW"]),
    ]
    quorum = view["quorum"]
    assert quorum["flags"] == ["Quorate", "WaitForAll", "Qdevice"]
    assert quorum["qdevice"] == {"configured": True, "votes": 1}
    assert (quorum["expected_votes"], quorum["total_votes"], quorum["quorum"]) == (3, 3, 2)
    assert view["cluster"]["dc"] == "node1"
    assert view["bans"] == []


def test_annotate_with_cib_reports_names_ips_dependents_and_restrictions():
    from ansible_collections.failover.cluster.plugins.module_utils import _switch
    from ansible_collections.failover.cluster.plugins.module_utils._status import annotate_with_cib, render_table

    view = {"cluster": {}, "nodes": [], "failed_actions": [], "packages": [
        {"name": "fc.sna", "kind": "group", "state": "running", "node": "n1", "nodes": ["n1"],
         "switching_enabled": True, "resources": []},
        {"name": "fc.app", "kind": "group", "state": "running", "node": "n1", "nodes": ["n1"],
         "switching_enabled": True, "resources": []},
    ]}
    cib = f"""<cib><configuration><resources>
      <group id="fc.sna"><meta_attributes id="m"><nvpair id="m1" name="failover-cluster-package" value="sna"/>
        </meta_attributes>
        <primitive id="fc.sna.ip0" class="ocf" provider="failover" type="ip"><instance_attributes id="i">
          <nvpair id="i1" name="ip" value="198.51.100.50"/></instance_attributes></primitive></group>
      <group id="fc.app"/></resources><constraints>
      <rsc_colocation id="fc.app.dep.sna.col" rsc="fc.app" with-rsc="fc.sna" score="INFINITY"/>
      <rsc_order id="fc.app.dep.sna.ord" first="fc.sna" then="fc.app" kind="Mandatory"/>
      {_switch.temporary_rule_xml("sna", "n2", 2000)}
      </constraints></configuration></cib>"""
    out = annotate_with_cib(view, cib, now=1990)
    sna, app = out["packages"]
    assert sna["package"] == "sna" and sna["ips"] == ["198.51.100.50"] and sna["dependents"] == ["app"]
    assert sna["switching"] == "restricted" and sna["switching_enabled"] is False
    assert sna["restrictions"][0]["id"] == "fc-runbook-sna" and sna["restrictions"][0]["expires_in"] == 10.0
    assert app["switching"] == "enabled" and app["switching_enabled"] is True and app["dependents"] == []
    assert "restricted by fc-runbook-sna (runbook, to n2 until" in render_table(out)
    lapsed = annotate_with_cib(view, cib, now=2001)["packages"][0]
    assert lapsed["switching"] == "enabled" and lapsed["restrictions"] == []


def test_parse_cmap_nodelist():
    from ansible_collections.failover.cluster.plugins.module_utils._status import parse_cmap_nodelist

    text = ("nodelist.node.0.name (str) = node1\nnodelist.node.0.nodeid (u32) = 1\n"
            "nodelist.node.0.ring0_addr (str) = 198.51.100.11\nnodelist.node.1.name (str) = node2\n"
            "nodelist.node.1.ring0_addr (str) = 198.51.100.12\nnodelist.node.1.ring1_addr (str) = 203.0.113.12\n")
    assert parse_cmap_nodelist(text) == {"node1": "198.51.100.11", "node2": "198.51.100.12"}


def test_address_holders_names_macs_after_their_hosts():
    from ansible_collections.failover.cluster.plugins.modules.address_holders import name_holders

    answers = {"198.51.100.50": {"interface": "eth0", "macs": ["aa:aa:aa:aa:aa:01", "aa:aa:aa:aa:aa:09"]}}
    holders = name_holders(answers, {"node1": "aa:aa:aa:aa:aa:01", "node3": None}, ["aa:aa:aa:aa:aa:02"], "node2")
    assert holders == {"198.51.100.50": ["node1", "aa:aa:aa:aa:aa:09"]}
    assert name_holders({"x": {"interface": "eth0", "macs": ["aa:aa:aa:aa:aa:02"]}}, {}, ["aa:aa:aa:aa:aa:02"],
                        "node2") == {"x": ["node2"]}


def test_annotate_reports_the_fencing_resource():
    from ansible_collections.failover.cluster.plugins.module_utils._model.fencing import compile_fencing, merge_fencing
    from ansible_collections.failover.cluster.plugins.module_utils._status import annotate_with_cib, render_table

    view = {"cluster": {}, "nodes": [], "failed_actions": [], "packages": [
        {"name": "fc.sbd-fencing", "kind": "primitive", "state": "running", "node": "n2", "nodes": ["n2"],
         "switching_enabled": True, "resources": []},
    ]}
    cib = merge_fencing("<cib><configuration><resources/><constraints/></configuration></cib>",
                        compile_fencing(["/dev/lab/lock0"]))
    out = annotate_with_cib(view, cib, now=0)
    assert out["fencing"] == {"id": "fc.sbd-fencing", "present": True, "agent": "stonith:fence_sbd",
                              "devices": ["/dev/lab/lock0"], "state": "running", "node": "n2"}
    assert out["packages"][0]["package"] is None  # not a package: node_maintenance leaves it alone
    assert "FENCING fc.sbd-fencing (stonith:fence_sbd) running on n2: /dev/lab/lock0" in render_table(out)
    halted = annotate_with_cib(dict(view, packages=[]), cib, now=0)["fencing"]
    assert halted["state"] == "halted" and halted["node"] is None
    none = annotate_with_cib(dict(view, packages=[]), "<cib><configuration/></cib>", now=0)["fencing"]
    assert none == {"id": "fc.sbd-fencing", "present": False, "agent": None, "devices": [], "state": "absent",
                    "node": None}
    assert "FENCING" not in render_table(dict(out, fencing=none))
