"""New packages checked against the live cluster (every package and IP resource, whoever wrote them)."""

from __future__ import annotations

import os
import shutil
import subprocess
import xml.etree.ElementTree as ET

import pytest

from ansible_collections.failover.cluster.plugins.module_utils._cib_apply import Plan
from ansible_collections.failover.cluster.plugins.module_utils._model import live as livemod
from ansible_collections.failover.cluster.plugins.module_utils._model.errors import SpecError
from ansible_collections.failover.cluster.plugins.module_utils._package_args import (
    NO_CIB,
    ArgumentProblem,
    check_options,
    compile_request,
    live_cluster,
    removal_problems,
)

CLUSTER = {
    "name": "gw",
    "nodes": [{"name": "node1", "addresses": ["198.51.100.11/24"]},
              {"name": "node2", "addresses": ["198.51.100.12/24"]}],
    "quorum_server": {"host": "qs", "address": "198.51.100.13"},
}
BASE = """<cib epoch="5" num_updates="3" admin_epoch="0" validate-with="pacemaker-3.9">
  <configuration>
    <crm_config><cluster_property_set id="cib-bootstrap-options"/></crm_config>
    <nodes/>
    <resources>
      <primitive id="fc.sbd-fencing" class="stonith" type="fence_sbd">
        <instance_attributes id="fc.sbd-fencing-ia"><nvpair id="fc.sbd-fencing-ia-devices" name="devices"
          value="/dev/loop0"/></instance_attributes>
      </primitive>
      <primitive id="vip" class="ocf" provider="heartbeat" type="IPaddr2">
        <instance_attributes id="vip-ia"><nvpair id="vip-ia-ip" name="ip" value="198.51.100.70"/></instance_attributes>
      </primitive>
      <primitive id="fc.legacy" class="ocf" provider="heartbeat" type="Dummy"/>
    </resources>
    <constraints/>
  </configuration>
  <status/>
</cib>"""
SNA = {"package_name": "sna", "ip": [{"ip_address": "198.51.100.50"}],
       "resources": [{"name": "node", "agent": "ocf:failover:sna_node", "params": {"fqcp_name": "APPN.GW"}}]}
PKGB = {"package_name": "pkgB", "ip": [{"ip_address": "198.51.100.60"}],
        "services": [{"service_name": "d", "service_cmd": "/usr/bin/sleep 1000"}]}
APP = {"package_name": "app", "services": [{"service_name": "a", "service_cmd": "/usr/bin/sleep 2000"}],
       "dependencies": [{"dependency_name": "sna"}]}


def request(*specs, live=None, **params):
    return compile_request(dict({"cluster": CLUSTER, "packages": list(specs)}, **params), live=live)


def apply(cib_xml, *specs, **params):
    """The CIB after applying ``specs`` (as the module would), checked against what is live."""
    desired, _warnings = request(*specs, live=livemod.read_live(cib_xml), **params)
    return Plan(cib_xml, desired).new_xml


@pytest.fixture(name="cluster_cib")
def cluster_cib_fixture():
    """sna (owner sna_gateway), pkgB and app -> sna (owner packages), next to a foreign IPaddr2 and the fencing."""
    cib = apply(BASE, SNA, owner="sna_gateway")
    return apply(cib, PKGB, APP)


def errors_of(*specs, live, **params):
    with pytest.raises(SpecError) as info:
        request(*specs, live=live, **params)
    return info.value.errors


# ---------------------------------------------------------------------------------------
def test_read_live_sees_packages_owners_ips_dependencies_and_ids(cluster_cib):
    live = livemod.read_live(cluster_cib)
    assert {n: (p.rid, p.owner, sorted(p.depends_on)) for n, p in live.packages.items()} == {
        "sna": ("fc.sna", "sna_gateway", []), "pkgB": ("fc.pkgB", "packages", []),
        "app": ("fc.app", "packages", ["sna"])}
    assert sorted((ip.address, ip.rid, ip.package) for ip in live.ips) == [
        ("198.51.100.50", "fc.sna.ip0", "sna"), ("198.51.100.60", "fc.pkgB.ip0", "pkgB"),
        ("198.51.100.70", "vip", None)]
    assert live.ids["fc.sna.res.node"] == "sna" and live.ids["fc.app.dep.sna.ord"] == "app"
    assert live.ids["vip"] is None and live.ids["fc.sbd-fencing-ia-devices"] is None
    assert livemod.live_names(live) == ["app", "pkgB", "sna"]


def test_no_cib_means_nothing_live():
    for text in (None, "", NO_CIB + "\n"):
        live = live_cluster(text)
        assert (live.packages, live.ips, live.ids) == ({}, [], {})


def test_dependency_on_a_live_package_is_allowed(cluster_cib):
    other = {"package_name": "other", "services": [{"service_name": "o", "service_cmd": "/usr/bin/true"}],
             "dependencies": [{"dependency_name": "sna", "dependency_location": "same_node"}]}
    desired, _warnings = request(other, live=livemod.read_live(cluster_cib))
    assert list(desired) == ["other"]
    # without the live cluster it is what provision.yml used to refuse
    assert errors_of(other, live=None) == ["packages[0].dependencies[0].dependency_name: package sna does not exist"]


@pytest.mark.parametrize("address, holder", [
    ("198.51.100.50", "package sna (resource fc.sna.ip0)"),
    ("198.51.100.60", "package pkgB (resource fc.pkgB.ip0)"),
    ("198.51.100.70", "resource vip, which failover.cluster does not manage"),
])
def test_ip_held_by_any_live_package_or_ip_resource_is_refused(cluster_cib, address, holder):
    new = {"package_name": "x", "ip": [{"ip_address": address}]}
    assert errors_of(new, live=livemod.read_live(cluster_cib)) == [
        "packages[0].ip[0].ip_address: {0} is already used by {1} in the cluster: relocatable IPs must be unique "
        "across every package and IP resource of the cluster".format(address, holder)]


def test_ip_of_the_package_this_task_replaces_is_not_a_conflict(cluster_cib):
    moved = dict(PKGB, services=[{"service_name": "d2", "service_cmd": "/usr/bin/sleep 3000"}])
    desired, _warnings = request(moved, APP, live=livemod.read_live(cluster_cib))
    assert list(desired) == ["pkgB", "app"]
    swap = {"package_name": "app", "ip": [{"ip_address": "198.51.100.60"}],
            "services": [{"service_name": "a", "service_cmd": "/usr/bin/sleep 2000"}]}
    # pkgB is not in this task and stays: its IP may not be taken by app
    assert errors_of(swap, live=livemod.read_live(cluster_cib))[0].startswith(
        "packages[0].ip[0].ip_address: 198.51.100.60 is already used by package pkgB")


def test_ip_of_a_package_this_purge_removes_is_free(cluster_cib):
    new = {"package_name": "pkgC", "ip": [{"ip_address": "198.51.100.60"}]}
    desired, _warnings = request(APP, new, live=livemod.read_live(cluster_cib), purge=True)
    assert list(desired) == ["app", "pkgC"]


def test_dependency_on_a_package_this_purge_removes_is_refused(cluster_cib):
    needs_b = {"package_name": "pkgC", "services": [{"service_name": "c", "service_cmd": "/usr/bin/true"}],
               "dependencies": [{"dependency_name": "pkgB"}]}
    live = livemod.read_live(cluster_cib)
    assert errors_of(APP, needs_b, live=live, purge=True) == [
        "packages[1].dependencies[0].dependency_name: package pkgB is removed by this run (purge: it is a package of "
        "owner packages that is not in the list); a package cannot depend on a package that is being removed"]
    assert list(request(APP, needs_b, live=live)[0]) == ["app", "pkgC"]  # without purge pkgB stays: allowed


def test_purge_removes_only_the_same_owner(cluster_cib):
    live = livemod.read_live(cluster_cib)
    assert livemod.purge_names(live, [], "packages") == ["app", "pkgB"]
    assert livemod.purge_names(live, ["app"], "packages") == ["pkgB"]
    assert livemod.purge_names(live, [], "sna_gateway") == ["sna"]
    assert livemod.purge_names(live, [], "other-inventory") == []
    legacy = apply(BASE, PKGB).replace(
        '<nvpair id="fc.pkgB-meta-failover-cluster-owner" name="failover-cluster-owner" value="packages" />', "")
    assert livemod.read_live(legacy).packages["pkgB"].owner is None
    assert livemod.purge_names(livemod.read_live(legacy), [], "packages") == []  # no owner mark: never purged


def test_purge_that_would_strand_a_live_dependent_is_refused(cluster_cib):
    cib = apply(cluster_cib, {"package_name": "pkgD", "services": [{"service_name": "d", "service_cmd": "/bin/true"}],
                              "dependencies": [{"dependency_name": "pkgB"}]}, owner="team2")
    assert errors_of(APP, live=livemod.read_live(cib), purge=True) == [
        "purge: removes package pkgB, which package pkgD in the cluster depends on; remove or change pkgD too"]


def test_removing_a_package_a_live_package_depends_on_is_refused(cluster_cib):
    live = livemod.read_live(cluster_cib)
    with pytest.raises(SpecError) as info:
        removal_problems(["pkgB", "sna"], live)
    assert info.value.errors == [
        "packages[1]: removes package sna, which package app in the cluster depends on; remove or change app too"]
    removal_problems(["app", "sna"], live)  # together with its dependent: fine


@pytest.mark.parametrize("name, message", [
    ("sbd-fencing", "sbd-fencing is reserved: its resource id fc.sbd-fencing is the collection's fencing resource"),
    ("legacy", "legacy would take the id of fc.legacy, which failover.cluster does not manage in the cluster: a "
               "package's ids (fc.legacy, fc.legacy.*) must not name another object; choose another name"),
    ("pkgB-meta", "pkgB-meta would take the id of fc.pkgB-meta, part of package pkgB in the cluster: a package's "
                  "ids (fc.pkgB-meta, fc.pkgB-meta.*) must not name another object; choose another name"),
])
def test_name_colliding_with_a_live_or_internal_object_is_refused(cluster_cib, name, message):
    new = {"package_name": name, "services": [{"service_name": "s", "service_cmd": "/usr/bin/true"}]}
    assert errors_of(new, live=livemod.read_live(cluster_cib)) == ["packages[0].package_name: " + message]


def test_reserved_name_is_refused_without_a_cluster_too():
    new = {"package_name": "sbd-fencing", "services": [{"service_name": "s", "service_cmd": "/usr/bin/true"}]}
    assert errors_of(new, live=None) == ["packages[0].package_name: sbd-fencing is reserved: its resource id "
                                         "fc.sbd-fencing is the collection's fencing resource"]


def test_taking_over_another_owners_package_warns(cluster_cib):
    sna = dict(SNA, description="declared in packages_list now")
    desired, warnings = request(sna, live=livemod.read_live(cluster_cib))
    assert list(desired) == ["sna"]
    assert warnings == ["packages[0].package_name: package sna was declared by owner sna_gateway; this task takes it "
                        "over as owner packages (a purge by sna_gateway will no longer remove it)"]


def test_every_package_carries_its_owner():
    desired, _warnings = request(PKGB, APP | {"dependencies": []}, owner="inventory-b")
    for name, compiled in desired.items():
        meta = {p.get("name"): p.get("value") for p in compiled.resource.find("meta_attributes")}
        assert meta["failover-cluster-owner"] == "inventory-b" and meta["failover-cluster-package"] == name
    cib = ET.fromstring(apply(BASE, PKGB, owner="inventory-b"))
    assert cib.find(".//nvpair[@id='fc.pkgB-meta-failover-cluster-owner']").get("value") == "inventory-b"


@pytest.mark.parametrize("params, message", [
    ({"owner": "a b"}, "owner: 'a b' is not an owner name"),
    ({"owner": ""}, "owner: '' is not an owner name"),
    ({"owner": "x" * 65}, "is not an owner name"),
    ({"owner": "packages", "apply_timeout": -1}, "apply_timeout: -1 is below the minimum 0"),
])
def test_option_rules(params, message):
    with pytest.raises(ArgumentProblem, match=message):
        check_options(params)
    check_options({"owner": "sna_gateway", "apply_timeout": 0})


def test_reapplying_a_halted_package_with_its_owner_mark_changes_nothing():
    """The owner mark sits next to the package mark, so target-role (carried from the live CIB) stays last."""
    halted = dict(PKGB, auto_run=False)
    cib = apply(BASE, halted)
    desired, _warnings = request(halted, live=livemod.read_live(cib))
    assert Plan(cib, desired).changed is False
    meta = [p.get("name") for p in ET.fromstring(cib).find(".//group[@id='fc.pkgB']/meta_attributes")]
    assert meta[:3] == ["failover-cluster", "failover-cluster-package", "failover-cluster-owner"]
    assert meta[-1] == "target-role"


@pytest.mark.parametrize("stub, expected", [
    (None, NO_CIB),  # no cluster software on the node
    ("#!/bin/sh\necho '<cib epoch=\"3\"/>'\n", '<cib epoch="3"/>'),  # the CIB manager answers
    ("#!/bin/sh\nexit 102\n", NO_CIB),  # no daemons and no CIB on disk (this machine has none)
])
def test_the_read_the_action_plugin_runs_on_the_node(tmp_path, stub, expected):
    from ansible_collections.failover.cluster.plugins.module_utils._package_args import CIB_ON_DISK, READ_LIVE_CIB

    bindir = tmp_path  # the only PATH entry: no cibadmin unless the stub is there
    if stub is not None:
        (bindir / "cibadmin").write_text(stub)
        (bindir / "cibadmin").chmod(0o755)
    if stub is not None and "exit 102" in stub and os.path.exists(CIB_ON_DISK):
        pytest.skip("this machine has a CIB on disk")
    shell = shutil.which("sh")
    proc = subprocess.run([shell, "-c", READ_LIVE_CIB], capture_output=True, text=True, check=False,
                          env={"PATH": str(bindir)})
    assert proc.returncode == 0 and proc.stdout.strip() == expected


def test_the_node_checks_compiled_packages_against_the_cib_it_reads(cluster_cib):
    """The module re-checks the action plugin's compiled XML against the CIB it reads itself."""
    two_ips = {"package_name": "x", "ip": [{"ip_address": "198.51.100.80"}, {"ip_address": "198.51.100.70"}]}
    desired, _warnings = request(PKGB, two_ips)  # compiled without the live cluster
    views = [livemod.view_of_compiled(p) for p in desired.values()]
    assert [(v.name, [ip.address for ip in v.ips]) for v in views] == [
        ("pkgB", ["198.51.100.60"]), ("x", ["198.51.100.80", "198.51.100.70"])]
    errors, _warnings = livemod.check_live(views, livemod.read_live(cluster_cib), owner="packages")
    assert errors == ["packages[1].ip[1].ip_address: 198.51.100.70 is already used by resource vip, which "
                      "failover.cluster does not manage in the cluster: relocatable IPs must be unique across every "
                      "package and IP resource of the cluster"]
