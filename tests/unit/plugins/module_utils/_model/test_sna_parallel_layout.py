"""Issue 16: the link stations of an SNA package started in parallel (``sna.link_station_start``).

``parallel`` compiles each link station to a primitive of its own next to the
package's group, an order constraint (the group, then a non-sequential set of the link stations)
and a colocation of that set with the group; ``sequential`` keeps them as group members. Both are
owned by the package: listed, replaced by a re-apply and removed with it.
"""

from __future__ import annotations

import copy
import shutil
import subprocess
import xml.etree.ElementTree as ET

import pytest

from ansible_collections.failover.cluster.plugins.module_utils._cib_apply import package_from_xml, package_to_xml
from ansible_collections.failover.cluster.plugins.module_utils._model import ids
from ansible_collections.failover.cluster.plugins.module_utils._model.cib import (
    compile_packages,
    managed_packages,
    merge,
    package_owners,
    package_parts,
    set_owner,
)
from ansible_collections.failover.cluster.plugins.module_utils._model.live import read_live

CLUSTER = {"name": "gw", "nodes": [{"name": "node1", "addresses": ["198.51.100.11/24"]},
                                   {"name": "node2", "addresses": ["198.51.100.12/24"]}],
           "quorum_server": {"host": "qs", "address": "198.51.100.13"}}
SNA = {
    "node": {"fqcp_name": "APPN.GWNODE"},
    "port": {"port_name": "HAPORT", "udp_port": 12000},
    "link_stations": [{"ls_name": "LS%d" % i, "remote_ip_host": "198.51.100.14", "pu_name": "PU%d" % i}
                      for i in range(1, 4)],
    "link_station_start": "parallel",  # sequential is the default
}
ENTRY = {"package_name": "gw", "ip": [{"ip_address": "198.51.100.50"}], "sna": SNA}
LS_IDS = ["fc.gw.ls.LS1", "fc.gw.ls.LS2", "fc.gw.ls.LS3"]
BASE_CIB = ('<cib epoch="5" num_updates="3" admin_epoch="0" validate-with="pacemaker-3.9"><configuration>'
            '<crm_config/><nodes/><resources/><constraints/></configuration><status/></cib>')


def entry(**sna):
    result = copy.deepcopy(ENTRY)
    result["sna"].update(sna)
    return result


def compiled(spec, owner=None):
    package = compile_packages([spec], CLUSTER).packages[spec["package_name"]]
    return set_owner(package, owner) if owner else package


def conf(spec):
    return ET.fromstring(compile_packages([spec], CLUSTER).to_xml())


def meta(element):
    return {nv.get("name"): nv.get("value") for nv in element.find("meta_attributes")}


def test_ids_of_link_stations_are_parts_of_their_package():
    assert ids.link_station_id("gw", "LS1") == "fc.gw.ls.LS1"
    assert ids.link_station_of("fc.gw.ls.LS1") == ("gw", "LS1")
    assert ids.link_station_of("fc.gw.res.ls_LS1") is None and ids.link_station_of("fc.gw") is None
    assert ids.classify(ids.link_station_order_id("gw")) == ("package_part", "gw")
    assert ids.classify(ids.link_station_colocation_id("gw")) == ("package_part", "gw")


def test_parallel_link_stations_are_primitives_next_to_the_group():
    root = conf(ENTRY)
    resources = root.find("resources")
    assert [e.get("id") for e in resources] == ["fc.gw"] + LS_IDS
    group = resources[0]
    assert [p.get("id") for p in group.findall("primitive")] == ["fc.gw.ip0", "fc.gw.res.node", "fc.gw.res.port"]
    for rid, element in zip(LS_IDS, resources[1:], strict=True):
        assert element.tag == "primitive" and element.get("type") == "sna_link_station"
        params = {nv.get("name"): nv.get("value") for nv in element.find("instance_attributes")}
        assert params["ls_name"] == rid.rsplit(".", 1)[1] and params["stop_timeout"] == "10"
        # marked with the package like its group; not critical (cannot pull the group away); restarted in place
        assert meta(element) == {"failover-cluster": "managed", "failover-cluster-package": "gw",
                                 "critical": "false", "migration-threshold": "INFINITY"}
        ops = {op.get("name"): (op.get("interval"), op.get("timeout")) for op in element.iter("op")}
        assert ops == {"start": ("0s", "60s"), "stop": ("0s", "60s"), "monitor": ("10s", "20s")}


def test_the_link_stations_start_at_once_after_the_group_and_stay_with_it():
    constraints = {c.get("id"): c for c in conf(ENTRY).find("constraints")}
    order = constraints["fc.gw.ls-order"]
    assert order.tag == "rsc_order" and order.get("kind") == "Mandatory"
    sets = order.findall("resource_set")
    assert [(s.get("sequential"), [r.get("id") for r in s]) for s in sets] == [("true", ["fc.gw"]),
                                                                               ("false", LS_IDS)]
    colocation = constraints["fc.gw.ls-with"]
    assert colocation.tag == "rsc_colocation" and colocation.get("score") == "INFINITY"
    sets = colocation.findall("resource_set")
    # the last set is placed first: every link station with the group, none with each other
    assert [(s.get("sequential"), [r.get("id") for r in s]) for s in sets] == [("false", LS_IDS),
                                                                               ("true", ["fc.gw"])]


def test_sequential_keeps_the_link_stations_in_the_group():
    root = conf(entry(link_station_start="sequential"))
    resources = root.find("resources")
    assert [e.get("id") for e in resources] == ["fc.gw"]
    assert [p.get("id") for p in resources[0].findall("primitive")][-3:] == [
        "fc.gw.res.ls_LS1", "fc.gw.res.ls_LS2", "fc.gw.res.ls_LS3"]
    assert not [c for c in root.find("constraints") if ".ls-" in c.get("id")]


def test_compiling_is_deterministic():
    assert compile_packages([ENTRY], CLUSTER).to_xml() == compile_packages([copy.deepcopy(ENTRY)], CLUSTER).to_xml()


def test_the_owner_marks_every_resource_of_the_package():
    package = compiled(ENTRY, owner="sna_gateway")
    assert [meta(e).get("failover-cluster-owner") for e in package.resources] == ["sna_gateway"] * 4


def test_transport_to_the_node_keeps_the_link_stations():
    package = compiled(ENTRY, owner="sna_gateway")
    text = package_to_xml(package)
    back = package_from_xml(text)
    assert [p.get("id") for p in back.parts] == LS_IDS
    assert package_to_xml(back) == text


def test_a_package_with_its_link_stations_is_listed_once_replaced_and_removed():
    live = merge(BASE_CIB, {"gw": compiled(ENTRY, owner="sna_gateway")})
    assert managed_packages(live) == {"gw": "fc.gw"}
    assert package_owners(live) == {"gw": "sna_gateway"}
    assert package_parts(live) == {"gw": LS_IDS}
    seen = read_live(live)
    assert list(seen.packages) == ["gw"] and seen.packages["gw"].rid == "fc.gw" and seen.packages["gw"].sna
    assert seen.ids["fc.gw.ls.LS2"] == "gw" and seen.ids["fc.gw.ls-order"] == "gw"
    # one link station fewer: the re-apply drops its primitive and its references
    fewer = entry(link_stations=SNA["link_stations"][:2])
    again = merge(live, {"gw": compiled(fewer, owner="sna_gateway")})
    assert package_parts(again) == {"gw": LS_IDS[:2]}
    assert "fc.gw.ls.LS3" not in again
    # sequential: the link stations move back into the group, their own primitives and constraints go
    sequential = merge(live, {"gw": compiled(entry(link_station_start="sequential"), owner="sna_gateway")})
    assert package_parts(sequential) == {} and "fc.gw.ls." not in sequential and "fc.gw.res.ls_LS1" in sequential
    # removed with the package
    gone = merge(live, {}, managed_names=[], remove_names=["gw"])
    assert "fc.gw" not in gone and managed_packages(gone) == {}


def test_the_live_target_role_is_kept_on_the_group():
    live = merge(BASE_CIB, {"gw": compiled(ENTRY)})
    root = ET.fromstring(live)
    group = root.find("configuration/resources/group")
    ET.SubElement(group.find("meta_attributes"), "nvpair", {"id": "x-target-role", "name": "target-role",
                                                            "value": "Stopped"})
    again = ET.fromstring(merge(ET.tostring(root, encoding="unicode"), {"gw": compiled(ENTRY)}))
    resources = again.find("configuration/resources")
    assert [e.get("id") for e in resources] == ["fc.gw"] + LS_IDS
    assert meta(resources[0]).get("target-role") == "Stopped"
    assert all("target-role" not in meta(e) for e in resources[1:])


# --- the engine's own reading of the compiled constraints (crm_simulate, when installed) -----------
CRM_SIMULATE = shutil.which("crm_simulate")
SIM_CIB = ('<cib epoch="5" num_updates="0" admin_epoch="0" validate-with="pacemaker-3.9" have-quorum="1">'
           '<configuration><crm_config><cluster_property_set id="o"><nvpair id="o-s" name="stonith-enabled" '
           'value="false"/></cluster_property_set></crm_config><nodes><node id="1" uname="node1"/>'
           '<node id="2" uname="node2"/></nodes><resources/><constraints/></configuration><status/></cib>')


def simulate(tmp_path, cib, *args):
    path = tmp_path / "cib.xml"
    path.write_text(cib)
    out = tmp_path / "out.xml"
    proc = subprocess.run([CRM_SIMULATE, "-x", str(path), "-S", "-O", str(out), *args], capture_output=True,
                          text=True, check=True, timeout=60)
    summary = proc.stdout.split("Transition Summary:", 1)[1].split("Executing Cluster Transition:", 1)[0]
    return [line.strip() for line in summary.splitlines() if line.strip()], out.read_text()


@pytest.mark.skipif(CRM_SIMULATE is None, reason="crm_simulate (pacemaker-cli-utils) is not installed")
def test_the_engine_starts_them_after_the_group_and_keeps_the_package_when_one_cannot_run(tmp_path):
    spec = dict(entry(), node_name=["node1", "node2"], failover_policy="configured_node")
    cib = merge(SIM_CIB, {"gw": compiled(spec)})
    actions, running = simulate(tmp_path, cib, "--node-up", "node1", "--node-up", "node2")
    assert [a.split()[2] for a in actions] == ["fc.gw.ip0", "fc.gw.res.node", "fc.gw.res.port"] + LS_IDS
    assert all(a.startswith("* Start") and a.endswith("( node1 )") for a in actions)
    # LS2 can no longer run on node1 (what a refused start's INFINITY fail count does): it stops, the
    # package and the other link stations stay - critical=false keeps it from pulling the group away
    banned = running.replace("<constraints>", '<constraints><rsc_location id="x" rsc="fc.gw.ls.LS2" node="node1" '
                                              'score="-INFINITY"/>', 1)
    actions, _after = simulate(tmp_path, banned)
    assert [" ".join(a.split()) for a in actions] == ["* Stop fc.gw.ls.LS2 ( node1 ) due to node availability"]
    critical = banned.replace('name="critical" value="false"', 'name="critical" value="true"')
    actions, _after = simulate(tmp_path, critical)
    assert any(a.split()[:2] == ["*", "Move"] and "fc.gw.ip0" in a for a in actions), actions
    # the group stopped: every link station stops first, at once (nothing orders them among themselves)
    stopped = running.replace('<nvpair id="fc.gw-meta-priority"',
                              '<nvpair id="x" name="target-role" value="Stopped"/><nvpair id="fc.gw-meta-priority"', 1)
    actions, _after = simulate(tmp_path, stopped, "-G", str(tmp_path / "graph.xml"))
    assert sorted(a.split()[2] for a in actions) == sorted(["fc.gw.ip0", "fc.gw.res.node", "fc.gw.res.port"] + LS_IDS)
    waits = {}
    for synapse in ET.parse(tmp_path / "graph.xml").getroot().iter("synapse"):
        action = synapse.find("action_set")[0]
        waits[action.get("operation_key")] = {i[0].get("operation_key") for i in synapse.find("inputs")}
    assert all(not waits[rid + "_stop_0"] for rid in LS_IDS)  # nothing before a link station's stop
    assert waits["fc.gw_stop_0"] == {rid + "_stop_0" for rid in LS_IDS}  # the group's stop waits for all of them
    assert "fc.gw_stop_0" in waits["fc.gw.res.port_stop_0"]
