"""The IP monitor (cluster field ip_monitor, Serviceguard's IP_MONITOR / POLLING_TARGET): validation,
the shared ping clone per polled subnet, the IP-level part of a package's subnet rule, ownership."""

import xml.etree.ElementTree as ET

import pytest

from ansible_collections.failover.cluster.plugins.module_utils import _cib_apply as apply
from ansible_collections.failover.cluster.plugins.module_utils._model import ids
from ansible_collections.failover.cluster.plugins.module_utils._model import monitoring as mon
from ansible_collections.failover.cluster.plugins.module_utils._model.cib import compile_packages, merge
from ansible_collections.failover.cluster.plugins.module_utils._model.cluster import build_cluster, validate_cluster
from ansible_collections.failover.cluster.plugins.module_utils._model.errors import SpecError

DATA = "203.0.113.0/24"
PING = "fc-ping-203-0-113-0-24"
NODES = [{"name": "node1", "addresses": ["198.51.100.11/24"], "stationary_addresses": ["203.0.113.11/24"]},
         {"name": "node2", "addresses": ["198.51.100.12/24"], "stationary_addresses": ["203.0.113.12/24"]},
         {"name": "node3", "addresses": ["198.51.100.13/24"]}]
LIVE = ('<cib epoch="1" num_updates="0" admin_epoch="0"><configuration><crm_config/><nodes/><resources/>'
        '<constraints/></configuration><status/></cib>')


def cluster(ip_monitor):
    return build_cluster({"name": "lab", "nodes": NODES, "ip_monitor": ip_monitor})[0]


def errors_of(ip_monitor):
    with pytest.raises(SpecError) as info:
        cluster(ip_monitor)
    return info.value.errors


def pkg(name="web", **over):
    data = {"package_name": name, "node_name": ["node1", "node2"], "monitored_subnet": [DATA],
            "services": [{"service_name": "main", "service_cmd": "/bin/sleep infinity"}]}
    data.update(over)
    return data


def test_defaults_and_normal_form():
    c = cluster([{"subnet": DATA, "polling_targets": ["203.0.113.1"]}])
    assert c.ip_monitor == (mon.IpMonitor(DATA, ("203.0.113.1",), 2000, 6000),)
    assert c.ip_monitor[0].dampen_ms == 2600  # 6000 - 2000 (interval) - 200 (answered poll) - 1200 (silent poll)
    normal, _w = validate_cluster({"name": "lab", "nodes": NODES,
                                   "ip_monitor": [{"subnet": DATA, "polling_targets": ["203.0.113.1"]}]})
    assert normal["ip_monitor"] == [{"subnet": DATA, "polling_targets": ["203.0.113.1"], "polling_interval": 2000,
                                     "detection_time": 6000}]
    assert validate_cluster(normal)[0] == normal  # the normal form is valid input
    assert build_cluster({"name": "lab", "nodes": NODES})[0].ip_monitor == ()


@pytest.mark.parametrize("entry, message", [
    ({"subnet": DATA, "polling_targets": ["192.0.2.1"]},
     "cluster_ip_monitor[0].polling_targets[0]: 192.0.2.1 is outside the subnet 203.0.113.0/24: a polling target "
     "must be on the subnet it checks (Serviceguard's rule for POLLING_TARGET)"),
    ({"subnet": "10.9.0.0/16", "polling_targets": ["10.9.0.1"]},
     "cluster_ip_monitor[0].subnet: no cluster node has an address on 10.9.0.0/16; the IP monitor polls from the "
     "nodes' addresses on the subnet (known: 198.51.100.0/24, 203.0.113.0/24)"),
    ({"subnet": DATA, "polling_targets": ["203.0.113.1"], "detection_time": 3000},
     "cluster_ip_monitor[0].detection_time: 3000 ms is shorter than polling_interval + one answered and one "
     "silent poll (2000 + 1400 ms): a failure cannot be seen that fast"),
    ({"subnet": DATA, "polling_targets": ["203.0.113.1"], "polling_interval": 500},
     "cluster_ip_monitor[0].polling_interval: 500 ms is below the minimum 1000 ms"),
    ({"subnet": DATA, "polling_targets": ["203.0.113.12"]},
     "cluster_ip_monitor[0].polling_targets[0]: 203.0.113.12 is the address of cluster node node2: a node always "
     "reaches its own address, so it would never see the subnet fail (poll a router or another host)"),
    ({"subnet": DATA, "polling_targets": ["203.0.113.255"]},
     "cluster_ip_monitor[0].polling_targets[0]: 203.0.113.255 is the broadcast address of 203.0.113.0/24"),
    ({"subnet": DATA, "polling_targets": []}, "cluster_ip_monitor[0].polling_targets: must not be empty"),
    ({"subnet": DATA}, "cluster_ip_monitor[0].polling_targets: is required"),
    ({"subnet": "203.0.113.1/24", "polling_targets": ["203.0.113.1"]},
     "cluster_ip_monitor[0].subnet: 203.0.113.1/24 is not a network address (did you mean 203.0.113.0/24?)"),
    ({"subnet": DATA, "polling_targets": ["203.0.113.1", "203.0.113.1"]},
     "cluster_ip_monitor[0].polling_targets[1]: 203.0.113.1 is listed twice"),
    ({"subnet": DATA, "polling_targets": ["203.0.113.1"], "ip_monitor": "on"},
     "cluster_ip_monitor[0].ip_monitor: unknown field (allowed: detection_time, polling_interval, polling_targets, "
     "subnet)"),
])
def test_bad_entries(entry, message):
    assert message in errors_of([entry])


def test_a_subnet_twice():
    entry = {"subnet": DATA, "polling_targets": ["203.0.113.1"]}
    assert errors_of([entry, entry]) == ["cluster_ip_monitor[1].subnet: 203.0.113.0/24 is listed twice"]


def clone_of(compiled):
    return {c.get("id"): (c, cons) for p in compiled.packages.values() for c, cons in p.monitors}


def test_the_ping_clone():
    c = cluster([{"subnet": DATA, "polling_targets": ["203.0.113.1", "203.0.113.2"], "polling_interval": 3000,
                  "detection_time": 10000}])
    clone, constraints = clone_of(compile_packages([pkg()], c))[PING]
    prim = clone.find("primitive")
    assert (prim.get("class"), prim.get("provider"), prim.get("type")) == ("ocf", "pacemaker", "ping")
    params = {n.get("name"): n.get("value") for n in prim.find("instance_attributes")}
    assert params == {"name": PING, "host_list": "203.0.113.1 203.0.113.2", "multiplier": "1", "attempts": "2",
                      "timeout": "1", "dampen": "5600ms", "use_fping": "0", "options": "-i 0.2"}  # 10000-3000-1400
    ops = {o.get("name"): (o.get("interval"), o.get("timeout")) for o in prim.find("operations")}
    assert ops == {"start": ("0s", "24s"), "stop": ("0s", "20s"), "monitor": ("3000ms", "14s")}
    assert [(e.get("id"), e.get("node"), e.get("score")) for e in constraints] == [
        (PING + "-not-node3", "node3", "-INFINITY")]
    assert ids.monitor_of(PING + "-not-node3") == PING and ids.monitor_of(PING + "-mon") == PING
    assert ids.ping_monitor_of("fc-ping-x") is None and ids.monitor_of("fc.web") is None


def test_the_package_rule_tests_link_and_ip_level():
    c = cluster([{"subnet": DATA, "polling_targets": ["203.0.113.1"]}])
    compiled = compile_packages([pkg()], c).packages["web"]
    rule = next(e for e in compiled.constraints if e.get("id") == "fc.web.net.203-0-113-0-24")
    expressions = [(e.get("attribute"), e.get("operation"), e.get("value")) for e in rule.iter("expression")]
    assert expressions == [("fc-subnet-203-0-113-0-24", "not_defined", None), ("fc-subnet-203-0-113-0-24", "lt", "1"),
                           (PING, "not_defined", None), (PING, "lt", "1")]
    assert rule.find("rule").get("boolean-op") == "or" and rule.find("rule").get("score") == "-INFINITY"
    # a subnet without polling targets: link level only, no ping clone
    plain = compile_packages([pkg()], build_cluster({"name": "lab", "nodes": NODES})[0])
    assert list(clone_of(plain)) == ["fc-subnet-203-0-113-0-24"]


def objects(cib):
    conf = ET.fromstring(cib).find("configuration")
    return ([e.get("id") for e in conf.find("resources")], [e.get("id") for e in conf.find("constraints")])


def test_ownership_follows_the_package_rules():
    c = cluster([{"subnet": DATA, "polling_targets": ["203.0.113.1"]}])
    both = merge(LIVE, compile_packages([pkg(), pkg("db")], c))
    assert objects(both)[0] == ["fc.web", "fc.db", "fc-ping-203-0-113-0-24", "fc-subnet-203-0-113-0-24"]
    one = merge(both, {}, [], ["web"])
    assert PING in objects(one)[0]
    none = merge(one, {}, [], ["db"])
    assert objects(none) == ([], [])
    # the IP monitor taken out of the cluster description: re-declaring the packages drops the ping clone
    plain = build_cluster({"name": "lab", "nodes": NODES})[0]
    dropped = merge(both, compile_packages([pkg(), pkg("db")], plain))
    resources, constraints = objects(dropped)
    assert PING not in resources and "fc-subnet-203-0-113-0-24" in resources
    assert not [x for x in constraints if x.startswith("fc-ping-")]


def test_transport_keeps_the_ping_clone():
    c = cluster([{"subnet": DATA, "polling_targets": ["203.0.113.1"]}])
    compiled = compile_packages([pkg()], c).packages["web"]
    back = apply.package_from_xml(apply.package_to_xml(compiled))
    assert sorted(clone.get("id") for clone, _cons in back.monitors) == [PING, "fc-subnet-203-0-113-0-24"]
    plan = apply.Plan(LIVE, {"web": back})
    assert "resources/" + PING in plan.changes["added"]
    assert "constraints/" + PING + "-not-node3" in plan.changes["added"]


# --- node_fail_fast_enabled on a subnet failure --------------------------------------------
def fenced_cluster(ip_monitor=()):
    return build_cluster({"name": "lab", "nodes": NODES[:2], "ip_monitor": list(ip_monitor),
                          "lock_lun": {"devices": ["/dev/lab/lock0"], "watchdog": None,
                                       "allow_no_watchdog": True}})[0]


def group_of(specs, c):
    return ET.fromstring(compile_packages(specs, c).to_xml()).find("resources/group")


def test_with_fencing_a_fail_fast_package_gets_the_subnet_guard_last():
    c = fenced_cluster([{"subnet": DATA, "polling_targets": ["203.0.113.1"]}])
    _packages, warnings = pk_build([pkg(node_fail_fast_enabled=True)], c)
    assert not [w for w in warnings if "node_fail_fast_enabled" in w]
    group = group_of([pkg(node_fail_fast_enabled=True)], c)
    guard = list(group.iter("primitive"))[-1]  # the last member: stopped first
    assert guard.get("id") == "fc.web.netguard"
    assert (guard.get("class"), guard.get("provider"), guard.get("type")) == ("ocf", "failover", "subnet_guard")
    params = {n.get("name"): n.get("value") for n in guard.find("instance_attributes")}
    assert params == {"attributes": "fc-subnet-203-0-113-0-24 " + PING}
    ops = {o.get("name"): o.get("on-fail") for o in guard.find("operations")}
    assert ops == {"start": None, "stop": "fence", "monitor": None}


def test_no_guard_without_fail_fast_or_without_subnets():
    c = fenced_cluster()
    assert group_of([pkg()], c).find("primitive[@id='fc.web.netguard']") is None
    plain = pkg(node_fail_fast_enabled=True)
    plain.pop("monitored_subnet")
    assert group_of([plain], c).find("primitive[@id='fc.web.netguard']") is None
    # link level only: the guard watches the link monitor's attribute
    guard = group_of([pkg(node_fail_fast_enabled=True)], c).find("primitive[@id='fc.web.netguard']")
    assert {n.get("name"): n.get("value") for n in guard.find("instance_attributes")} == {
        "attributes": "fc-subnet-203-0-113-0-24"}


def pk_build(specs, c):
    from ansible_collections.failover.cluster.plugins.module_utils._model import package as pk

    return pk.build_packages(specs, c)
