import copy

import pytest

from ansible_collections.failover.cluster.plugins.module_utils._model import package as pk
from ansible_collections.failover.cluster.plugins.module_utils._model.cluster import build_cluster
from ansible_collections.failover.cluster.plugins.module_utils._model.errors import SpecError

CLUSTER_SPEC = {
    "name": "lab",
    "nodes": [
        {"name": "node1", "addresses": ["198.51.100.11/24"], "stationary_addresses": ["192.0.2.11/24"]},
        {"name": "node2", "addresses": ["198.51.100.12/24"], "stationary_addresses": ["192.0.2.12/24"]},
        {"name": "node3", "addresses": ["198.51.100.13/24"]},
    ],
    "lock_lun": {"devices": ["/dev/sdb"]},
}
CLUSTER = build_cluster(CLUSTER_SPEC)[0]
NOFENCE = build_cluster(dict(CLUSTER_SPEC, lock_lun=None))[0]


def pkg(**over):
    data = {"package_name": "web", "ip": [{"ip_address": "198.51.100.50"}]}
    data.update(over)
    return data


def build(specs, cluster=CLUSTER, **kw):
    return pk.build_packages(specs, cluster, **kw)


def errors_of(specs, cluster=CLUSTER, **kw):
    with pytest.raises(SpecError) as info:
        build(specs, cluster, **kw)
    return info.value.errors


def one_error(specs, cluster=CLUSTER, **kw):
    errors = errors_of(specs, cluster, **kw)
    assert len(errors) == 1, errors
    return errors[0]


def test_defaults():
    (p,), warnings = build([pkg()])
    assert warnings == []
    assert p.type == "failover" and p.nodes == ("node1", "node2", "node3") and p.all_nodes
    assert p.auto_run is True and p.failover_policy == "configured_node" and p.failback_policy == "manual"
    assert p.priority is None and p.pacemaker_priority == 1
    assert p.ips == (pk.Ip("198.51.100.50", "198.51.100.0/24", 24),)
    assert p.run_timeout is None and p.halt_timeout is None


def test_accepts_raw_cluster_spec():
    packages, _ignored = pk.validate_packages([pkg()], CLUSTER_SPEC)
    assert packages[0].name == "web"


def test_packages_must_be_a_list_and_mappings():
    assert one_error("web") == "packages: must be a list, got a string"
    assert one_error([5]) == "packages[0]: must be a mapping, got an integer"


def test_unknown_and_required_fields():
    errors = errors_of([{"ip_address": "x"}])
    assert errors[0].startswith("packages[0].ip_address: unknown field (allowed: auto_run, dependencies, ")
    assert errors[1] == "packages[0].package_name: is required"


def test_package_name_rules_and_uniqueness():
    assert one_error([pkg(package_name="a.b")]) == (
        "packages[0].package_name: 'a.b' is not a valid package name: use letters, digits, '-' and '_', starting "
        "with a letter or digit")
    assert one_error([pkg(package_name="p" * 40)]) == (
        "packages[0].package_name: '" + "p" * 40 + "' is longer than 39 characters")
    assert one_error([pkg(), pkg(ip=[{"ip_address": "198.51.100.60"}])]) == (
        "packages[1].package_name: web is already used by packages[0]")


def test_prefix_parameter():
    assert one_error([pkg(package_name="a b")], prefix="pkgs")[:23] == "pkgs[0].package_name: '"


def test_nothing_to_run():
    assert one_error([{"package_name": "empty"}]) == (
        "packages[0]: package empty has nothing to run: give at least one ip, service, resource or external script")


def test_node_name_rules():
    (p,), _ignored = build([pkg(node_name=["node2", "node1"])])
    assert p.nodes == ("node2", "node1") and not p.all_nodes
    (p,), _ignored = build([pkg(node_name=["*"])])
    assert p.all_nodes
    assert one_error([pkg(node_name=["node9"])]) == (
        "packages[0].node_name[0]: 'node9' is not a node of cluster lab (nodes: node1, node2, node3)")
    assert one_error([pkg(node_name=["node1", "node1"])]) == "packages[0].node_name[1]: node1 is listed twice"
    assert one_error([pkg(node_name=["node1", "*"])]) == (
        "packages[0].node_name[1]: '*' must be the only entry (it means every cluster node)")
    assert one_error([pkg(node_name=[])]) == "packages[0].node_name: must not be empty"


def test_policies_and_choices():
    (p,), _ignored = build([pkg(failover_policy="min_package_node", failback_policy="automatic", auto_run="no")])
    assert (p.failover_policy, p.failback_policy, p.auto_run) == ("min_package_node", "automatic", False)
    assert one_error([pkg(failover_policy="site_preferred")]) == (
        "packages[0].failover_policy: 'site_preferred' is not one of configured_node, min_package_node")
    assert one_error([pkg(failback_policy="never")]) == (
        "packages[0].failback_policy: 'never' is not one of manual, automatic")
    assert one_error([pkg(package_type="system_multi_node")]) == (
        "packages[0].package_type: 'system_multi_node' is not one of failover, multi_node")


def test_min_package_node_warns():
    _ignored, warnings = build([pkg(failover_policy="min_package_node")])
    assert warnings == [
        "packages[0].failover_policy: min_package_node is approximated: Pacemaker gives every eligible node the same "
        "score and, on a tie, picks the node with the fewest allocated resources (it counts primitives, not "
        "packages)"]


def test_multi_node_rules():
    spec = {"package_name": "mon", "package_type": "multi_node", "services": [{"service_name": "a",
                                                                               "service_unit": "a.service"}]}
    (p,), _ignored = build([spec])
    assert p.type == "multi_node"
    errors = errors_of([dict(spec, failover_policy="configured_node", ip=[{"ip_address": "198.51.100.50"}])])
    assert errors == [
        "packages[0].failover_policy: does not apply to a multi_node package (it runs on every eligible node)",
        "packages[0].ip: a multi_node package cannot have relocatable IP addresses",
    ]


def test_priority():
    (p,), _ignored = build([pkg(priority=1)])
    assert p.pacemaker_priority == 3001
    (p,), _ignored = build([pkg(priority=3000)])
    assert p.pacemaker_priority == 2  # the lowest numbered priority still beats no_priority
    (p,), _ignored = build([pkg(priority="no_priority")])
    assert p.pacemaker_priority == 1
    assert one_error([pkg(priority=0)]) == "packages[0].priority: 0 is below the minimum 1"
    assert one_error([pkg(priority=3001)]) == "packages[0].priority: 3001 is above the maximum 3000"


def test_timeouts():
    (p,), _ignored = build([pkg(run_script_timeout=120, halt_script_timeout="no_timeout")])
    assert (p.run_timeout, p.halt_timeout) == (120, None)
    assert one_error([pkg(run_script_timeout=0)]) == "packages[0].run_script_timeout: 0 s is below the minimum 1 s"
    assert one_error([pkg(halt_script_timeout="soon")]) == (
        "packages[0].halt_script_timeout: must be an integer (s), got 'soon'")


def test_timeout_with_several_steps_warns():
    _ignored, warnings = build([pkg(run_script_timeout=60, services=[{"service_name": "s", "service_unit": "x"}])])
    assert warnings == [
        "packages[0]: run_script_timeout/halt_script_timeout bound each resource's start/stop, not the whole run or "
        "halt sequence"]


def test_scripts():
    (p,), _ignored = build([pkg(external_pre_script="/etc/pkg/pre.sh", external_script="/etc/pkg/web.sh")])
    assert (p.pre_script, p.script) == ("/etc/pkg/pre.sh", "/etc/pkg/web.sh")
    assert one_error([pkg(external_script="web.sh")]) == (
        "packages[0].external_script: 'web.sh' is not a valid absolute script path (no spaces, quotes or shell "
        "characters)")


# -- relocatable IPs -------------------------------------------------------------------
def ip_error(entry, **kw):
    return one_error([pkg(ip=[entry], **kw)])


def test_ip_rules():
    assert ip_error({"ip_address": "198.51.100.300"}) == (
        "packages[0].ip[0].ip_address: 198.51.100.300 is not a valid IPv4/IPv6 address")
    assert ip_error({"ip_address": "10.9.9.9"}) == (
        "packages[0].ip[0].ip_address: 10.9.9.9 is not in any subnet the cluster nodes have an address on; set "
        "ip_subnet")
    assert ip_error({"ip_subnet": "198.51.100.0/24", "ip_address": "192.0.2.60"}) == (
        "packages[0].ip[0].ip_address: 192.0.2.60 is not inside ip_subnet 198.51.100.0/24")
    assert ip_error({"ip_subnet": "198.51.100.0/24", "ip_address": "198.51.100.255"}) == (
        "packages[0].ip[0].ip_address: 198.51.100.255 is the broadcast address of 198.51.100.0/24")
    assert ip_error({"ip_address": "198.51.100.0", "ip_subnet": "198.51.100.0/24"}) == (
        "packages[0].ip[0].ip_address: 198.51.100.0 is the network address of 198.51.100.0/24")
    assert ip_error({"ip_subnet": "198.51.100.5/24", "ip_address": "198.51.100.60"}) == (
        "packages[0].ip[0].ip_subnet: 198.51.100.5/24 is not a network address (did you mean 198.51.100.0/24?)")
    assert ip_error({"ip_subnet": "10.0.0.0/8", "ip_address": "10.0.0.5"}) == (
        "packages[0].ip[0].ip_subnet: no cluster node has an address on 10.0.0.0/8 (add a heartbeat or stationary "
        "address)")
    assert ip_error({"ip_subnet": "10.0.0.0", "ip_address": "10.0.0.5"}) == (
        "packages[0].ip[0].ip_subnet: 10.0.0.0 is not a subnet the cluster nodes have an address on (known: "
        "192.0.2.0/24, 198.51.100.0/24)")
    assert ip_error({"ip_address": "198.51.100.12"}) == (
        "packages[0].ip[0].ip_address: 198.51.100.12 is a fixed address of node node2")
    assert ip_error({"ip_subnet": "198.51.100.0/24"}) == "packages[0].ip[0].ip_address: is required"


def test_ip_subnet_every_candidate_node_needs_an_interface():
    assert ip_error({"ip_address": "192.0.2.60"}) == (
        "packages[0].ip[0].ip_subnet: node3 has no address on 192.0.2.0/24; every node in node_name needs an "
        "interface on the subnet (add a stationary address)")
    (p,), _ignored = build([pkg(ip=[{"ip_address": "192.0.2.60"}], node_name=["node1", "node2"])])
    assert p.ips[0].subnet == "192.0.2.0/24"


def test_ip_subnet_without_prefix_resolves_to_a_cluster_network():
    (p,), _ignored = build([pkg(ip=[{"ip_subnet": "198.51.100.0", "ip_address": "198.51.100.77"}])])
    assert p.ips[0].subnet == "198.51.100.0/24"


def test_ip_unique_across_packages():
    specs = [pkg(), pkg(package_name="db")]
    assert one_error(specs) == (
        "packages[1].ip[0].ip_address: 198.51.100.50 is already used by packages[0].ip[0].ip_address")


# -- services ---------------------------------------------------------------------------
def svc_error(entry):
    return one_error([pkg(services=[entry])])


def test_services():
    (p,), _ignored = build([pkg(services=[
        {"service_name": "a", "service_cmd": "/usr/bin/app --x 'y z'", "service_restart": 3},
        {"service_name": "b", "service_unit": "nginx.service", "service_restart": "unlimited",
         "service_fail_fast_enabled": True, "service_halt_timeout": 30},
        {"service_name": "c", "service_cmd": ["/bin/sleep", "inf"], "service_restart": "none"},
    ])])
    a, b, c = p.services
    assert a.cmd == ("/usr/bin/app", "--x", "y z") and a.restart == 3 and a.halt_timeout == 300
    assert b.unit == "nginx.service" and b.restart == "unlimited" and b.fail_fast and b.halt_timeout == 30
    assert c.cmd == ("/bin/sleep", "inf") and c.restart == 0


def test_service_rules():
    assert svc_error({"service_name": "a"}) == (
        "packages[0].services[0]: give exactly one of service_cmd or service_unit")
    assert svc_error({"service_name": "a", "service_cmd": "/x", "service_unit": "y"}) == (
        "packages[0].services[0]: give exactly one of service_cmd or service_unit")
    assert svc_error({"service_name": "a", "service_cmd": "app -x"}) == (
        "packages[0].services[0].service_cmd: must start with an absolute path to the program, got 'app -x'")
    assert svc_error({"service_name": "a", "service_cmd": "/x 'open"}) == (
        "packages[0].services[0].service_cmd: cannot be split into words: No closing quotation")
    assert svc_error({"service_name": "a", "service_unit": "bad unit"}) == (
        "packages[0].services[0].service_unit: 'bad unit' is not a valid systemd unit name")
    assert svc_error({"service_name": "a", "service_unit": "u", "service_restart": "often"}) == (
        "packages[0].services[0].service_restart: 'often' is not none, unlimited or a number of restarts")
    assert svc_error({"service_name": "a", "service_unit": "u", "service_restart": 1001}) == (
        "packages[0].services[0].service_restart: 1001 is above the maximum 1000")
    assert svc_error({"service_name": "a", "service_unit": "u", "service_halt_timeout": -1}) == (
        "packages[0].services[0].service_halt_timeout: -1 s is below the minimum 1 s")
    assert one_error([pkg(services=[{"service_name": "a", "service_unit": "u"},
                                    {"service_name": "a", "service_unit": "v"}])]) == (
        "packages[0].services[1].service_name: a is already used in this package")


def test_fail_fast_without_fencing_warns():
    _ignored, warnings = build([pkg(node_fail_fast_enabled=True)], NOFENCE)
    assert warnings == [
        "packages[0]: fail-fast requested but the cluster has no fencing (no lock LUN or stonith-enabled=false): a "
        "failure stops the package instead of resetting the node"]
    _ignored, warnings = build([pkg(node_fail_fast_enabled=True)], CLUSTER)
    assert warnings == []


# -- dependencies -----------------------------------------------------------------------
def dep(name, condition=None, location=None):
    entry = {"dependency_name": name}
    if condition:
        entry["dependency_condition"] = condition
    if location:
        entry["dependency_location"] = location
    return entry


def test_dependencies_defaults_and_targets():
    db = pkg(package_name="db", ip=[{"ip_address": "198.51.100.51"}])
    (web, _db), _ignored = build([pkg(dependencies=[dep("db")]), db])
    assert web.dependencies == (pk.Dependency("db", "up", "same_node"),)
    assert one_error([pkg(dependencies=[dep("nope")])]) == (
        "packages[0].dependencies[0].dependency_name: package nope does not exist")
    build([pkg(dependencies=[dep("elsewhere")])], known_packages=["elsewhere"])
    assert one_error([pkg(dependencies=[dep("web")])]) == (
        "packages[0].dependencies[0].dependency_name: package web cannot depend on itself")
    assert one_error([pkg(dependencies=[dep("db", "sideways")]), db]) == (
        "packages[0].dependencies[0].dependency_condition: 'sideways' is not one of up, down")
    assert one_error([pkg(dependencies=[dep("db", "up", "next_door")]), db]) == (
        "packages[0].dependencies[0].dependency_location: 'next_door' is not one of same_node, different_node, "
        "any_node")


def test_dependency_cycle():
    a = pkg(package_name="a", ip=[{"ip_address": "198.51.100.51"}], dependencies=[dep("b")])
    b = pkg(package_name="b", ip=[{"ip_address": "198.51.100.52"}], dependencies=[dep("c")])
    c = pkg(package_name="c", ip=[{"ip_address": "198.51.100.53"}], dependencies=[dep("a", "down", "any_node")])
    errors = errors_of([a, b, c])
    assert errors == ["packages[0].dependencies: dependency cycle: a -> b -> c -> a"]
    errors = errors_of([dict(a, dependencies=[dep("b")]), dict(b, dependencies=[dep("a")])])
    assert errors == ["packages[0].dependencies: dependency cycle: a -> b -> a"]


def test_down_dependency_warnings():
    db = pkg(package_name="db", ip=[{"ip_address": "198.51.100.51"}])
    _ignored, warnings = build([pkg(dependencies=[dep("db", "down", "any_node"), dep("db", "down", "different_node"),
                                                  dep("db", "down", "same_node")]), db])
    assert warnings == [
        "packages[0].dependencies[0]: db down on any node cannot be expressed by Pacemaker: compiled as 'never on "
        "the same node' only",
        "packages[0].dependencies[1]: db down on a different node cannot be expressed by Pacemaker: not enforced",
    ]


# -- extra resources ---------------------------------------------------------------------
def test_resources_extension():
    res = {"name": "sna_node", "agent": "ocf:failover:sna_node", "params": {"node_name": "NODE1", "debug": False},
           "stage": "after_ips", "restart": 2, "start_timeout": 90}
    (p,), _ignored = build([pkg(resources=[res])])
    r = p.resources[0]
    assert r.agent == "ocf:failover:sna_node" and r.params == (("node_name", "NODE1"), ("debug", "false"))
    got = (r.stage, r.restart, r.start_timeout, r.monitor_interval, r.monitor_timeout)
    assert got == ("after_ips", 2, 90, 10, 20)
    assert one_error([pkg(resources=[dict(res, agent="bash -c x")])]) == (
        "packages[0].resources[0].agent: 'bash -c x' is not an agent like ocf:provider:type or systemd:unit")
    assert one_error([pkg(resources=[dict(res, stage="first")])]) == (
        "packages[0].resources[0].stage: 'first' is not one of after_ips, after_services")
    assert one_error([pkg(resources=[dict(res, params={"bad name": 1})])]) == (
        "packages[0].resources[0].params.bad name: is not a valid parameter name")
    assert one_error([pkg(resources=[dict(res, params={"x": "a\nb"})])]) == (
        "packages[0].resources[0].params.x: must be a one-line scalar")
    assert one_error([pkg(resources=[res, copy.deepcopy(res)])]) == (
        "packages[0].resources[1].name: sna_node is already used in this package")


def test_all_errors_collected_across_packages():
    errors = errors_of([pkg(priority=0, failback_policy="x"), pkg(package_name="db", node_name=["zz"])])
    assert len(errors) == 3


def test_ip_release_window():
    (p,), _ignored = build([pkg()])
    assert p.ip_release_window == pk.IP_RELEASE_WINDOW == 3
    (p,), _ignored = build([pkg(ip_release_window=0)])
    assert p.ip_release_window == 0
    assert one_error([pkg(ip_release_window=301)]) == "packages[0].ip_release_window: 301 is above the maximum 300"
    assert one_error([pkg(ip_release_window=11)]) == (
        "packages[0].ip_release_window: 11 s leaves no time for the address check: at most the IP's start timeout "
        "(20 s, run_script_timeout) minus 10 s")
    (p,), _ignored = build([pkg(ip_release_window=50, run_script_timeout=60)])
    assert p.ip_release_window == 50
    assert one_error([pkg(ip_release_window="soon")]).startswith("packages[0].ip_release_window: ")
