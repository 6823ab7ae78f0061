"""Monitored subnets: validation against the nodes' addresses, package rules, and the shared monitor
that the engine keeps while a package rule names it."""

import xml.etree.ElementTree as ET

import pytest

from ansible_collections.failover.cluster.plugins.module_utils import _cib_apply as apply
from ansible_collections.failover.cluster.plugins.module_utils._model import ids
from ansible_collections.failover.cluster.plugins.module_utils._model import monitoring as mon
from ansible_collections.failover.cluster.plugins.module_utils._model import package as pk
from ansible_collections.failover.cluster.plugins.module_utils._model.cib import compile_packages, merge
from ansible_collections.failover.cluster.plugins.module_utils._model.cluster import build_cluster
from ansible_collections.failover.cluster.plugins.module_utils._model.errors import SpecError

CLUSTER = build_cluster({
    "name": "lab",
    "nodes": [{"name": "node1", "addresses": ["198.51.100.11/24"], "stationary_addresses": ["203.0.113.11/24"]},
              {"name": "node2", "addresses": ["198.51.100.12/24"], "stationary_addresses": ["203.0.113.12/24"]},
              {"name": "node3", "addresses": ["198.51.100.13/24"]}],
})[0]
DATA = "203.0.113.0/24"
LIVE = ('<cib epoch="1" num_updates="0" admin_epoch="0"><configuration><crm_config/><nodes/><resources/>'
        '<constraints/></configuration><status/></cib>')


def pkg(name="web", **over):
    data = {"package_name": name, "node_name": ["node1", "node2"],
            "services": [{"service_name": "main", "service_cmd": "/bin/sleep infinity"}]}
    data.update(over)
    return data


def errors_of(specs):
    with pytest.raises(SpecError) as info:
        pk.build_packages(specs, CLUSTER)
    return info.value.errors


def test_fields():
    (p,), _w = pk.build_packages([pkg(monitored_subnet=[DATA])], CLUSTER)
    assert p.monitored_subnets == (mon.MonitoredSubnet(DATA, "full", ("node1", "node2")),)
    assert p.monitored_subnets[0].attribute == "fc-subnet-203-0-113-0-24"
    (p,), _w = pk.build_packages([pkg(monitored_subnet=["203.0.113.0"])], CLUSTER)  # Serviceguard's bare form
    assert p.monitored_subnets[0].subnet == DATA


def test_full_access_needs_an_address_on_every_node():
    assert errors_of([pkg(node_name=["node1", "node3"], monitored_subnet=[DATA])]) == [
        "packages[0].monitored_subnet[0]: node3 has no address on 203.0.113.0/24; with monitored_subnet_access full "
        "every node in node_name needs one (add a stationary address, or set monitored_subnet_access partial)"]


@pytest.mark.parametrize("subnets, message", [
    (["192.0.2.0/24"], "packages[0].monitored_subnet[0]: no node in node_name has an address on 192.0.2.0/24; a "
     "monitored subnet must be one the package's nodes have a heartbeat or stationary address on"),
    (["10.1.0.0"], "packages[0].monitored_subnet[0]: 10.1.0.0 is not a subnet the cluster nodes have an address on "
     "(known: 198.51.100.0/24, 203.0.113.0/24)"),
    ([DATA, "203.0.113.0/24"], "packages[0].monitored_subnet[1]: 203.0.113.0/24 is listed twice"),
    ([24], "packages[0].monitored_subnet[0]: must be a subnet like 203.0.113.0/24, got an integer"),
])
def test_bad_subnets(subnets, message):
    assert errors_of([pkg(monitored_subnet=subnets)]) == [message]


def test_bad_access():
    assert errors_of([pkg(monitored_subnet=[DATA], monitored_subnet_access="some")]) == [
        "packages[0].monitored_subnet_access: 'some' is not one of full, partial"]


def rule_of(spec):
    compiled = compile_packages([spec], CLUSTER).packages[spec["package_name"]]
    return [c for c in compiled.constraints if ".net." in c.get("id")], compiled


def test_rule_full():
    (rule,), compiled = rule_of(pkg(monitored_subnet=[DATA]))
    assert ET.tostring(rule, encoding="unicode") == (
        '<rsc_location id="fc.web.net.203-0-113-0-24" rsc="fc.web">'
        '<rule id="fc.web.net.203-0-113-0-24-down" score="-INFINITY" boolean-op="or">'
        '<expression id="fc.web.net.203-0-113-0-24-unset" attribute="fc-subnet-203-0-113-0-24" '
        'operation="not_defined" />'
        '<expression id="fc.web.net.203-0-113-0-24-zero" attribute="fc-subnet-203-0-113-0-24" operation="lt" '
        'value="1" type="number" /></rule></rsc_location>')
    ((clone, constraints),) = compiled.monitors
    assert clone.get("id") == "fc-subnet-203-0-113-0-24"
    prim = clone.find("primitive")
    assert (prim.get("class"), prim.get("provider"), prim.get("type")) == ("ocf", "failover", "subnet")
    params = {nv.get("name"): nv.get("value") for nv in prim.find("instance_attributes")}
    assert params == {"subnet": DATA, "name": "fc-subnet-203-0-113-0-24", "link_status_only": "true",
                      "repeat_count": "1", "repeat_interval": "1"}
    # the monitor runs only where a node has an address on the subnet
    assert [(c.get("id"), c.get("node"), c.get("score")) for c in constraints] == [
        ("fc-subnet-203-0-113-0-24-not-node3", "node3", "-INFINITY")]


def test_rule_partial_leaves_nodes_without_the_subnet_alone():
    (rule,), _c = rule_of(pkg(node_name=["node1", "node3"], monitored_subnet=[DATA],
                              monitored_subnet_access="partial"))
    outer = rule.find("rule")
    assert (outer.get("score"), outer.get("boolean-op")) == ("-INFINITY", "and")
    inner = outer.find("rule")
    assert inner.get("score") is None and inner.get("boolean-op") == "or"
    assert [(e.get("attribute"), e.get("operation"), e.get("value")) for e in outer.findall("expression")] == [
        ("#uname", "ne", "node3")]


def test_ids():
    assert ids.subnet_tag(DATA) == "203-0-113-0-24"
    assert ids.subnet_of_tag("203-0-113-0-24") == DATA
    assert ids.subnet_of_tag("web") is None
    assert ids.subnet_rule_id("web", DATA) == "fc.web.net.203-0-113-0-24"
    assert ids.subnet_of_rule_id("fc.web.net.203-0-113-0-24") == DATA
    assert ids.subnet_of_rule_id("fc.web.gr.db") is None
    assert ids.subnet_monitor_of("fc-subnet-203-0-113-0-24-not-node3") == "fc-subnet-203-0-113-0-24"
    assert ids.subnet_monitor_of("fc-subnet-203-0-113-0-24-mon") == "fc-subnet-203-0-113-0-24"
    assert ids.subnet_monitor_of("fc-subnet-x") is None
    assert ids.subnet_monitor_of("fc.web") is None


def objects(cib):
    conf = ET.fromstring(cib).find("configuration")
    return ([e.get("id") for e in conf.find("resources")], [e.get("id") for e in conf.find("constraints")])


def test_the_monitor_is_shared_and_goes_with_the_last_package():
    compiled = compile_packages([pkg(monitored_subnet=[DATA]), pkg("db", monitored_subnet=[DATA])], CLUSTER)
    both = merge(LIVE, compiled)
    resources, constraints = objects(both)
    assert resources == ["fc.web", "fc.db", "fc-subnet-203-0-113-0-24"]
    assert constraints.count("fc-subnet-203-0-113-0-24-not-node3") == 1
    one = merge(both, {}, [], ["web"])
    assert objects(one)[0] == ["fc.db", "fc-subnet-203-0-113-0-24"]
    none = merge(one, {}, [], ["db"])
    resources, constraints = objects(none)
    assert resources == [] and not [c for c in constraints if c.startswith("fc-subnet-")]


def test_a_package_that_drops_its_subnet_drops_the_monitor_when_alone():
    first = merge(LIVE, compile_packages([pkg(monitored_subnet=[DATA])], CLUSTER))
    again = merge(first, compile_packages([pkg()], CLUSTER))
    assert objects(again) == (["fc.web"], ["fc.web.loc.node1", "fc.web.loc.node2", "fc.web.loc.node3"])


def test_other_packages_keep_the_live_monitor_when_one_is_re_declared():
    both = merge(LIVE, compile_packages([pkg(monitored_subnet=[DATA]), pkg("db", monitored_subnet=[DATA])],
                                        CLUSTER))
    redeclared = merge(both, compile_packages([pkg()], CLUSTER))  # web no longer monitors; db still does
    assert "fc-subnet-203-0-113-0-24" in objects(redeclared)[0]
    plan = apply.Plan(both, {"web": compile_packages([pkg()], CLUSTER).packages["web"]})
    assert plan.changes["removed"] == ["constraints/fc.web.net.203-0-113-0-24"]
    assert not [k for k in plan.changes["changed"] if "fc-subnet" in k]


def test_transport_keeps_the_monitor():
    compiled = compile_packages([pkg(monitored_subnet=[DATA])], CLUSTER).packages["web"]
    back = apply.package_from_xml(apply.package_to_xml(compiled))
    assert [c.get("id") for c in back.constraints] == [c.get("id") for c in compiled.constraints]
    ((clone, constraints),) = back.monitors
    assert clone.get("id") == "fc-subnet-203-0-113-0-24"
    assert [c.get("id") for c in constraints] == ["fc-subnet-203-0-113-0-24-not-node3"]
    plan = apply.Plan(LIVE, {"web": back})
    assert "resources/fc-subnet-203-0-113-0-24" in plan.changes["added"]
    assert "constraints/fc-subnet-203-0-113-0-24-not-node3" in plan.changes["added"]


def test_node_fail_fast_with_a_monitored_subnet_warns():
    _p, warnings = pk.build_packages([pkg(monitored_subnet=[DATA], node_fail_fast_enabled=True)], CLUSTER)
    assert "packages[0].node_fail_fast_enabled: the cluster has no fencing (no lock LUN): a monitored subnet " \
           "failure moves the package but cannot reset the node as Serviceguard does" in warnings
    group = ET.fromstring(compile_packages([pkg(monitored_subnet=[DATA], node_fail_fast_enabled=True)],
                                           CLUSTER).to_xml()).find("resources/group")
    assert group.find("primitive[@id='fc.web.netguard']") is None  # no fencing: the package only moves
