"""The SNA gateway package kind: the ``sna`` mapping of a package entry (issue 12).

The compile must give exactly what roles/sna_gateway built in Jinja before the package kind
existed: the fixture ``sna_role_resources.json`` holds that Jinja's output for inventories/lab's
variables (rendered with ansible-playbook from the old roles/sna_gateway/tasks/package.yml), and
both are compiled to CIB XML and compared byte for byte.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import yaml

from ansible_collections.failover.cluster.plugins.module_utils._model.cib import compile_packages
from ansible_collections.failover.cluster.plugins.module_utils._model.errors import SpecError
from ansible_collections.failover.cluster.plugins.module_utils._model.package import build_packages
from ansible_collections.failover.cluster.plugins.module_utils._sna_gateway import (
    DESCRIPTION,
    gateway_definitions,
    gateway_entry,
)

ROOT = Path(__file__).resolve().parents[5]
FIXTURE = json.loads((ROOT / "tests/unit/plugins/module_utils/fixtures/sna_role_resources.json").read_text())
LAB = yaml.safe_load((ROOT / "inventories/lab/group_vars/all.yml").read_text())
DEFAULTS = yaml.safe_load((ROOT / "roles/sna_gateway/defaults/main.yml").read_text())
CLUSTER = {"name": "gw", "nodes": LAB["cluster_nodes"], "quorum_server": {"host": "qs", "address": "198.51.100.13"}}


def role_vars(**extra):
    values = {**DEFAULTS, **LAB, **extra}
    return {key[len("sna_gateway_"):]: value for key, value in values.items() if key.startswith("sna_gateway_")}


def role_entry(**extra):
    v = role_vars(**extra)
    options = {k: v[k] for k in ("flavour", "daemon_path", "admin_path", "force_stale", "force_stop_command",
                                 "environment", "timeouts", "link_station_start", "failback_policy", "auto_run",
                                 "ip_release_window")}
    return gateway_entry(v["package_name"], v["nodes"], v["ip"], v["node"], v["port"], v["link_stations"], options)


def old_role_package(resources, **extra):
    """The package the role handed failover.cluster.package before: its Jinja resources."""
    v = role_vars(**extra)
    return {"package_name": v["package_name"], "description": DESCRIPTION, "node_name": "*",
            "failover_policy": "configured_node", "failback_policy": v["failback_policy"], "auto_run": v["auto_run"],
            "ip_release_window": v["ip_release_window"],
            "ip": [{"ip_address": v["ip"]["ip_address"], "ip_subnet": v["ip"]["ip_subnet"]}], "resources": resources}


def xml(spec):
    packages, _warnings = build_packages([spec], CLUSTER)
    return compile_packages(packages, CLUSTER).to_xml()


@pytest.mark.parametrize("variant", ["lab", "all_options"])
def test_the_sna_entry_compiles_to_what_the_role_built_in_jinja(variant):
    extra = FIXTURE["all_options_vars"] if variant == "all_options" else {}
    old = xml(old_role_package(FIXTURE[variant], **extra))
    new = xml(role_entry(sna_gateway_link_station_start="sequential", **extra))
    assert new == old
    members = [m.split('"')[0] for m in new.split('<primitive id="')[1:]]
    assert members == ["fc.sna.ip0", "fc.sna.res.node", "fc.sna.res.port", "fc.sna.res.ls_HALS1",
                       "fc.sna.res.ls_HALS2", "fc.sna.res.ls_HALS3", "fc.sna.res.ls_HALS4"]


SNA = {
    "node": {"fqcp_name": "APPN.GWNODE"},
    "port": {"port_name": "HAPORT", "udp_port": 12000},
    "link_stations": [
        {"ls_name": "HALS1", "remote_ip_host": "198.51.100.14", "pu_name": "HAPU1", "remote_udp_port": 12000},
        {"ls_name": "HALS2", "remote_ip_host": "198.51.100.14", "pu_name": "HAPU2"},
    ],
}
ENTRY = {"package_name": "pkgA", "ip": [{"ip_address": "198.51.100.50"}], "sna": SNA}
APP = {"package_name": "app", "services": [{"service_name": "main", "service_cmd": "/bin/sleep infinity"}],
       "dependencies": [{"dependency_name": "pkgA", "dependency_location": "same_node"}]}


def errors(*specs):
    with pytest.raises(SpecError) as exc:
        build_packages(list(specs), CLUSTER)
    return exc.value.errors


def with_sna(**change):
    entry = copy.deepcopy(ENTRY)
    entry["sna"].update(change)
    return entry


def test_an_sna_entry_and_a_package_that_depends_on_it_in_one_list():
    packages, _warnings = build_packages([with_sna(link_station_start="sequential"), APP], CLUSTER)
    sna = packages[0]
    assert [r.name for r in sna.resources] == ["node", "port", "ls_HALS1", "ls_HALS2"]
    assert {r.stage for r in sna.resources} == {"after_ips"}
    node = dict(sna.resources[0].params)
    assert node["force_ls"] == "HALS1 HALS2" and node["force_stale"] == "cluster"
    assert (sna.resources[0].start_timeout, sna.resources[0].stop_timeout) == (120, 120)
    assert (sna.resources[2].start_timeout, dict(sna.resources[2].params)["stop_timeout"]) == (60, 10)
    conf = compile_packages(packages, CLUSTER).to_xml()
    assert 'id="fc.app.dep.pkgA.col"' in conf


def test_own_resources_come_after_the_sna_steps():
    own = [{"name": "mq", "agent": "systemd:mq.service", "stage": "after_ips"}]
    packages, _warnings = build_packages([dict(with_sna(link_station_start="sequential"), resources=own)], CLUSTER)
    assert [r.name for r in packages[0].resources] == ["node", "port", "ls_HALS1", "ls_HALS2", "mq"]
    # parallel: the link stations are not group members; their step names stay taken
    packages, _warnings = build_packages([dict(with_sna(link_station_start="parallel"), resources=own)], CLUSTER)
    assert [r.name for r in packages[0].resources] == ["node", "port", "mq"]
    taken = dict(ENTRY, resources=[dict(own[0], name="ls_HALS1")])
    assert errors(taken) == ["packages[0].resources[0].name: ls_HALS1 is the name of a step of the SNA gateway "
                             "(sna); choose another name"]


@pytest.mark.parametrize(
    ("specs", "expected"),
    [
        ([with_sna(link_stations=[dict(SNA["link_stations"][0], ls_name="HALS1;rm")])],
         "packages[0].sna.link_stations[0].ls_name: 'HALS1;rm' is not allowed: expected 1-8 characters A-Z 0-9 @ # $, "
         "not starting with a digit"),
        ([with_sna(link_stations=[SNA["link_stations"][0], dict(SNA["link_stations"][1], ls_name="HALS1")])],
         "packages[0].sna.link_stations[1].ls_name: HALS1 is already used by packages[0].sna.link_stations[0]"),
        ([with_sna(link_stations=[SNA["link_stations"][0], dict(SNA["link_stations"][1], pu_name="HAPU1")])],
         "packages[0].sna.link_stations[1].pu_name: PU HAPU1 on 198.51.100.14 is already used by "
         "packages[0].sna.link_stations[0]; the remote host admits one link station per PU"),
        ([with_sna(link_stations=[])], "packages[0].sna.link_stations: at least one link station is needed"),
        ([with_sna(link_stations=[{"ls_name": "HALS1", "remote_ip_host": "198.51.100.14"}])],
         "packages[0].sna.link_stations[0].pu_name: is required"),
        ([with_sna(node={"fqcp_name": "gwnode"})],
         "packages[0].sna.node.fqcp_name: 'gwnode' is not allowed: expected NETID.NAME, each part 1-8 characters "
         "A-Z 0-9 @ # $"),
        ([with_sna(node={"fqcp_name": "APPN.GW", "node_id": "12"})],
         "packages[0].sna.node.node_id: '12' is not allowed: expected 8 hexadecimal digits (upper case)"),
        ([with_sna(port={"port_name": "HAPORT", "udp_port": 99999})],
         "packages[0].sna.port.udp_port: '99999' is not allowed: expected a UDP port number 1-65535"),
        ([with_sna(port={"udp_port": 12000})], "packages[0].sna.port.port_name: is required"),
        ([with_sna(flavour="vtam")], "packages[0].sna.flavour: 'vtam' is not one of snaplus2, cslinux"),
        ([with_sna(force_stale="sometimes")],
         "packages[0].sna.force_stale: 'sometimes' is not one of cluster, fenced, always, never"),
        ([with_sna(force_stop_command=["/opt/sna/force", "a b"])],
         "packages[0].sna.force_stop_command[1]: 'a b' must be one word (no spaces, quotes or newlines)"),
        ([with_sna(environment=["DELAY"])], "packages[0].sna.environment[0]: 'DELAY' is not NAME=VALUE"),
        ([with_sna(daemon_path="snap; reboot")],
         "packages[0].sna.daemon_path: 'snap; reboot' is not a valid absolute program path (no spaces, quotes or "
         "shell characters)"),
        ([with_sna(timeouts={"start": 0})], "packages[0].sna.timeouts.start: 0 s is below the minimum 1 s"),
        ([with_sna(timeouts={"begin": 5})], "packages[0].sna.timeouts.begin: unknown field (allowed: start, stop)"),
        ([with_sna(lu_name="X")],
         "packages[0].sna.lu_name: unknown field (allowed: admin_path, daemon_path, environment, flavour, "
         "force_stale, force_stop_command, link_station_start, link_stations, node, port, timeouts)"),
        ([with_sna(link_station_start="wave")],
         "packages[0].sna.link_station_start: 'wave' is not one of parallel, sequential"),
        ([{"package_name": "pkgA", "ip": [{"ip_address": "198.51.100.50"}], "sna": {"node": SNA["node"]}}],
         "packages[0].sna.port: is required"),
        ([dict(ENTRY, ip=[])],
         "packages[0].ip: an SNA gateway package needs exactly one relocatable IP (the address the remote SNA system "
         "knows the gateway by; its port binds it), got 0"),
        ([dict(ENTRY, ip=[{"ip_address": "198.51.100.50"}, {"ip_address": "198.51.100.51"}])],
         "packages[0].ip: an SNA gateway package needs exactly one relocatable IP (the address the remote SNA system "
         "knows the gateway by; its port binds it), got 2"),
        ([dict(ENTRY, package_type="multi_node", ip=None)],
         "packages[0].sna: an SNA gateway package must be a failover package: it runs on one node at a time (one "
         "SNA node per host)"),
        ([dict(ENTRY, resources=[{"name": "port", "agent": "systemd:x.service"}])],
         "packages[0].resources[0].name: port is the name of a step of the SNA gateway (sna); choose another name"),
        ([ENTRY, {"package_name": "x", "ip": [{"ip_address": "198.51.100.50"}],
                  "services": [{"service_name": "m", "service_cmd": "/bin/true"}]}],
         "packages[1].ip[0].ip_address: 198.51.100.50 is already used by packages[0].ip[0].ip_address"),
        ([ENTRY, dict(ENTRY, package_name="pkgB", ip=[{"ip_address": "198.51.100.51"}])],
         "packages[1].node_name: node1 is already a candidate of the SNA gateway package pkgA: a host runs one SNA "
         "node, so two SNA gateway packages cannot share a node"),
    ],
)
def test_each_problem_names_the_field_and_the_rule(specs, expected):
    assert expected in errors(*specs)


def test_the_role_variables_become_one_entry():
    entry = role_entry()
    assert entry["sna"]["link_stations"] == LAB["sna_gateway_link_stations"]
    assert "daemon_path" not in entry["sna"] and "force_stop_command" not in entry["sna"]
    assert entry["node_name"] == "*" and entry["ip"] == [LAB["sna_gateway_ip"]]


def test_definitions_of_an_entry_are_what_the_role_stamped_before():
    defs = gateway_definitions(role_entry(), CLUSTER)
    assert defs["candidates"] == ["node1", "node2"] and defs["flavour"] == "snaplus2"
    old = {"node": LAB["sna_gateway_node"], "port": dict(LAB["sna_gateway_port"], local_ip="198.51.100.50"),
           "link_stations": LAB["sna_gateway_link_stations"]}
    # the stamp is the sha256 of to_json: same content and the same key order
    assert json.dumps(defs["definitions"]) == json.dumps(old)
    assert gateway_definitions(dict(ENTRY, node_name=["node2"]), CLUSTER)["candidates"] == ["node2"]


# ---------------------------------------------------------------------------------------
# against the live cluster
BASE_CIB = """<cib epoch="5" num_updates="3" admin_epoch="0" validate-with="pacemaker-3.9">
  <configuration><crm_config/><nodes/><resources/><constraints/></configuration><status/>
</cib>"""
GW2 = {"package_name": "gw2", "ip": [{"ip_address": "198.51.100.52"}],
       "sna": {"node": {"fqcp_name": "APPN.GW2"}, "port": {"port_name": "GW2PORT"},
               "link_stations": [{"ls_name": "GW2LS", "remote_ip_host": "198.51.100.14", "pu_name": "GW2PU"}]}}


def live_with(*specs, owner="sna_gateway"):
    from ansible_collections.failover.cluster.plugins.module_utils._cib_apply import Plan
    from ansible_collections.failover.cluster.plugins.module_utils._model.live import read_live
    from ansible_collections.failover.cluster.plugins.module_utils._package_args import compile_request

    desired, _warnings = compile_request({"cluster": CLUSTER, "packages": list(specs), "owner": owner},
                                         live=read_live(BASE_CIB))
    return read_live(Plan(BASE_CIB, desired).new_xml)


def live_errors(specs, live):
    from ansible_collections.failover.cluster.plugins.module_utils._package_args import compile_request

    with pytest.raises(SpecError) as exc:
        compile_request({"cluster": CLUSTER, "packages": specs}, live=live)
    return exc.value.errors


def test_a_live_sna_package_is_seen_with_its_candidates():
    live = live_with(role_entry(sna_gateway_nodes=["node1"]))
    assert live.packages["sna"].sna and live.packages["sna"].preferred == {"node1"}
    assert live.packages["sna"].banned == {"node2"}


def test_a_second_sna_package_on_a_node_of_a_live_one_is_refused():
    live = live_with(role_entry())
    assert live_errors([GW2], live) == [
        "packages[0].node_name: node1, node2 is already a candidate of the SNA gateway package sna in the cluster: a "
        "host runs one SNA node, so two SNA gateway packages cannot share a node"]
    # the IP of the live SNA package, by an SNA entry of another name
    assert ("packages[0].ip[0].ip_address: 198.51.100.50 is already used by package sna (resource fc.sna.ip0) in the "
            "cluster: relocatable IPs must be unique across every package and IP resource of the cluster"
            in live_errors([dict(GW2, ip=[{"ip_address": "198.51.100.50"}])], live))


def test_sna_packages_on_different_nodes_and_the_same_package_again_are_fine():
    from ansible_collections.failover.cluster.plugins.module_utils._package_args import compile_request

    live = live_with(role_entry(sna_gateway_nodes=["node1"]))
    compile_request({"cluster": CLUSTER, "packages": [dict(GW2, node_name=["node2"])]}, live=live)
    compile_request({"cluster": CLUSTER, "packages": [role_entry(sna_gateway_nodes=["node1"])]}, live=live)


def test_a_real_site_needs_the_products_forced_stop():
    from ansible_collections.failover.cluster.plugins.filter.sna_force_stop_problems import sna_force_stop_problems

    app = {"package_name": "app", "services": []}
    assert sna_force_stop_problems([app, ENTRY], "emulator") == []
    assert sna_force_stop_problems([app, ENTRY], "none") == [
        "packages[1].sna.force_stop_command: is required with packages_sna_install: none - give the argv of your SNA "
        "product's forced stop of a stale node's PUs (placeholders {daemon}, {admin}, {ls_name}; it must exit 0 only "
        "when every PU is free), or set sna.force_stale: never"]
    assert sna_force_stop_problems([with_sna(force_stale="never"), with_sna(force_stop_command=["/x"])], "none") == []


def many_link_stations(count):
    entry = copy.deepcopy(ENTRY)
    entry["sna"]["link_stations"] = [{"ls_name": "LS%d" % i, "remote_ip_host": "198.51.100.14",
                                      "pu_name": "PU%d" % i} for i in range(count)]
    return entry


def test_the_package_size_no_longer_limits_the_release_window():
    """Issue 16: the IP agent's quorum guard releases a cut-off holder's address the moment it loses
    quorum, so the package's halt path (64 link stations, one after another or in parallel) is not
    held against the window any more: nothing is refused or warned about it."""
    def layout(count, how):
        entry = many_link_stations(count)
        return dict(entry, sna=dict(entry["sna"], link_station_start=how))

    for spec in (with_sna(link_station_start="sequential"), layout(16, "sequential"), layout(64, "sequential"),
                 layout(64, "parallel")):
        _packages, warnings = build_packages([spec], CLUSTER)
        assert not [w for w in warnings if "ip_release_window" in w], warnings


def test_a_policy_that_keeps_resources_without_quorum_is_warned_about():
    """The guard leaves the address where no-quorum-policy keeps resources running (freeze, ignore):
    without fencing the address would answer from two nodes; with fencing, or a window of 0, nothing."""
    for policy in ("freeze", "ignore"):
        _packages, warnings = build_packages([many_link_stations(4)], dict(CLUSTER, properties={
            "no-quorum-policy": policy}))
        window = [w for w in warnings if w.startswith("packages[0].ip_release_window:")]
        assert len(window) == 1 and "no-quorum-policy=%s without fencing" % policy in window[0], warnings
    _packages, warnings = build_packages([dict(many_link_stations(4), ip_release_window=0)], dict(
        CLUSTER, properties={"no-quorum-policy": "freeze"}))
    assert not [w for w in warnings if "ip_release_window" in w], warnings


def errors_in(cluster, *specs):
    with pytest.raises(SpecError) as exc:
        build_packages(list(specs), cluster)
    return exc.value.errors


def test_with_fencing_the_release_window_does_not_apply():
    fenced = {k: v for k, v in CLUSTER.items() if k != "quorum_server"}
    fenced["lock_lun"] = {"devices": ["/dev/disk/by-id/lock0"]}
    _packages, warnings = build_packages([many_link_stations(16)], fenced)
    assert not [w for w in warnings if "ip_release_window" in w], warnings
