"""The package spec (Serviceguard names), validated against a cluster.

``build_packages(specs, cluster)`` returns ``([Package], warnings)`` or raises SpecError
naming every violation as ``packages[i].field: rule``. Package durations are seconds
(Serviceguard's unit for run/halt/service timeouts).
"""

import re
import shlex
from dataclasses import dataclass

from . import fields as f
from . import ids, monitoring
from . import sna as sna_kind
from .cluster import as_cluster
from .errors import Problems
from .net import AddressError, in_network, parse_address, parse_subnet, reserved_reason

PACKAGE_NAME_MAX = 39  # Serviceguard's limit; also keeps CIB ids short
TIMEOUT_MAX = 86400
SG_PRIORITY_MAX = 3000
DEFAULT_SERVICE_HALT_TIMEOUT = 300  # Serviceguard's default
RESTART_MAX = 1000

TYPES = ("failover", "multi_node")
FAILOVER_POLICIES = ("configured_node", "min_package_node")
FAILBACK_POLICIES = ("manual", "automatic")
CONDITIONS = ("up", "down")
LOCATIONS = ("same_node", "different_node", "any_node")
STAGES = ("after_ips", "after_services")

PKG_KEYS = (
    "package_name", "package_type", "node_name", "auto_run", "failover_policy", "failback_policy", "priority",
    "node_fail_fast_enabled", "ip", "services", "dependencies", "run_script_timeout", "halt_script_timeout",
    "external_pre_script", "external_script", "resources", "description", "ip_release_window", "sna",
) + monitoring.PKG_KEYS
IP_RELEASE_WINDOW = 3  # s; the SNA package's orderly halt on a cut-off node took 0.8-2.9 s on the lab
IP_RELEASE_WINDOW_MAX = 300
IP_START_TIMEOUT = 20  # s, the IP's start operation when run_script_timeout is no_timeout (cib.py)
IP_CHECK_TIME = 10  # s kept for the ARP check and IPaddr2 within the start timeout
IP_KEYS = ("ip_subnet", "ip_address")
SERVICE_KEYS = ("service_name", "service_cmd", "service_unit", "service_restart", "service_fail_fast_enabled",
                "service_halt_timeout")
DEP_KEYS = ("dependency_name", "dependency_condition", "dependency_location")
RESOURCE_KEYS = ("name", "agent", "params", "stage", "restart", "fail_fast", "start_timeout", "stop_timeout",
                 "monitor_interval", "monitor_timeout")
UNIT_RE = re.compile(r"^[A-Za-z0-9@._:-]+$")
AGENT_RE = re.compile(r"^(ocf:[A-Za-z0-9_.-]+:[A-Za-z0-9_.-]+|(systemd|lsb|service):[A-Za-z0-9@._:-]+)$")
PARAM_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


@dataclass(frozen=True)
class Ip:
    address: str
    subnet: str  # cidr
    prefixlen: int


@dataclass(frozen=True)
class Service:
    name: str
    cmd: object  # argv tuple or None
    unit: object  # systemd unit or None
    restart: object  # int N (0 = none) or "unlimited"
    fail_fast: bool
    halt_timeout: int


@dataclass(frozen=True)
class Dependency:
    name: str
    condition: str
    location: str


@dataclass(frozen=True)
class Resource:
    """An extra ordered step (extension point, e.g. the SNA node/port/link station agents)."""

    name: str
    agent: str  # "ocf:provider:type" | "systemd:unit" | "lsb:script"
    params: tuple  # ((name, value), ...) in given order
    stage: str
    restart: object
    fail_fast: bool
    start_timeout: object
    stop_timeout: object
    monitor_interval: int
    monitor_timeout: int


@dataclass(frozen=True)
class Package:
    name: str
    type: str
    nodes: tuple  # ordered candidate nodes (resolved '*')
    all_nodes: bool  # node_name was '*'
    auto_run: bool
    failover_policy: str
    failback_policy: str
    priority: object  # None (no_priority) or 1..3000 (1 = highest)
    node_fail_fast: bool
    ips: tuple
    services: tuple
    dependencies: tuple
    run_timeout: object  # seconds or None (no_timeout)
    halt_timeout: object
    pre_script: object
    script: object
    resources: tuple
    description: object = None
    ip_release_window: int = IP_RELEASE_WINDOW
    generic_resources: tuple = ()  # monitoring.GenericResource, in spec order
    monitored_subnets: tuple = ()  # monitoring.MonitoredSubnet, in spec order
    sna: object = None  # an SNA gateway package: its validated ``sna`` mapping (_model/sna.Sna)

    @property
    def pacemaker_priority(self):
        """Serviceguard: 1 is the highest priority; Pacemaker: higher wins.

        Serviceguard 1..3000 -> Pacemaker 3001..2; no_priority -> 1 (below every numbered package,
        as in Serviceguard, but never 0: a node's fencing priority is the sum of the priorities of
        what it runs, and ``priority-fencing-delay`` only protects a node whose packages count).
        """
        return 1 if self.priority is None else SG_PRIORITY_MAX + 2 - self.priority


def build_packages(specs, cluster, prefix="packages", known_packages=()):
    """Validate a list of package specs against ``cluster`` (Cluster or raw cluster spec).

    ``known_packages``: names of packages that exist outside this list (dependency targets).
    Returns ``([Package], warnings)``; raises SpecError with every problem.
    """
    cluster = as_cluster(cluster)
    problems = Problems()
    items = f.read_list(problems, prefix, specs)
    packages = []
    if items is not None:
        for i, spec in enumerate(items):
            pkg = _read_package(problems, f.index(prefix, i), spec, cluster)
            packages.append(pkg)
        _cross_checks(problems, prefix, packages, cluster, set(known_packages))
    problems.raise_if_any()
    return [p for p in packages if p is not None], list(problems.warnings)


def validate_packages(specs, cluster, prefix="packages", known_packages=()):
    packages, warnings = build_packages(specs, cluster, prefix, known_packages)
    return packages, warnings


# ---------------------------------------------------------------------------------------
def _timeout(problems, path, value, default=None):
    if value is None or (isinstance(value, str) and value.strip().lower() == "no_timeout"):
        return default
    return f.read_int(problems, path, value, default, 1, TIMEOUT_MAX, "s")


def _restart(problems, path, value):
    if value is None:
        return 0
    if isinstance(value, str) and value.strip().lower() in ("none", "unlimited"):
        return 0 if value.strip().lower() == "none" else "unlimited"
    if isinstance(value, bool) or not (isinstance(value, int) or (isinstance(value, str) and value.isdigit())):
        problems.error(path, "{0!r} is not none, unlimited or a number of restarts".format(value))
        return None
    return f.read_int(problems, path, value, 0, 0, RESTART_MAX)


def _read_package(p, path, spec, cluster):
    if not f.check_mapping(p, path, spec, PKG_KEYS, ("package_name",)):
        return None
    start_errors = len(p.errors)
    name = None
    if spec.get("package_name") is not None:
        name = f.read_name(p, f.join(path, "package_name"), spec["package_name"], PACKAGE_NAME_MAX, "package name")
        reserved = ids.reserved_name_problem(name) if name else None
        if reserved:
            p.error(f.join(path, "package_name"), reserved)
            name = None
    ptype = f.read_choice(p, f.join(path, "package_type"), spec.get("package_type"), TYPES, "failover")
    nodes, all_nodes = _read_nodes(p, f.join(path, "node_name"), spec.get("node_name"), cluster)
    auto_run = f.read_bool(p, f.join(path, "auto_run"), spec.get("auto_run"), True)
    fo = f.read_choice(p, f.join(path, "failover_policy"), spec.get("failover_policy"), FAILOVER_POLICIES,
                       "configured_node")
    fb = f.read_choice(p, f.join(path, "failback_policy"), spec.get("failback_policy"), FAILBACK_POLICIES, "manual")
    if ptype == "multi_node":
        for key in ("failover_policy", "failback_policy"):
            if spec.get(key) is not None:
                p.error(f.join(path, key), "does not apply to a multi_node package (it runs on every eligible node)")
        if spec.get("ip"):
            p.error(f.join(path, "ip"), "a multi_node package cannot have relocatable IP addresses")
    priority = None
    raw_priority = spec.get("priority")
    if raw_priority is not None and not (isinstance(raw_priority, str) and raw_priority.lower() == "no_priority"):
        priority = f.read_int(p, f.join(path, "priority"), raw_priority, None, 1, SG_PRIORITY_MAX)
    nff = f.read_bool(p, f.join(path, "node_fail_fast_enabled"), spec.get("node_fail_fast_enabled"), False)
    run_timeout = _timeout(p, f.join(path, "run_script_timeout"), spec.get("run_script_timeout"))
    halt_timeout = _timeout(p, f.join(path, "halt_script_timeout"), spec.get("halt_script_timeout"))
    pre = spec.get("external_pre_script")
    if pre is not None:
        pre = f.read_path(p, f.join(path, "external_pre_script"), pre, "script path")
    script = spec.get("external_script")
    if script is not None:
        script = f.read_path(p, f.join(path, "external_script"), script, "script path")
    ips = _read_ips(p, f.join(path, "ip"), spec.get("ip"), cluster, nodes)
    services = _read_services(p, f.join(path, "services"), spec.get("services"))
    deps = _read_dependencies(p, f.join(path, "dependencies"), spec.get("dependencies"))
    resources = _read_resources(p, f.join(path, "resources"), spec.get("resources"))
    sna = None
    if spec.get("sna") is not None:
        sna = _read_sna(p, path, spec, ptype, resources)
        if sna is not None:
            resources = _sna_resources(sna) + resources
    release = f.read_int(p, f.join(path, "ip_release_window"), spec.get("ip_release_window"), IP_RELEASE_WINDOW, 0,
                         IP_RELEASE_WINDOW_MAX)
    ip_start = run_timeout or IP_START_TIMEOUT
    if release is not None and release > ip_start - IP_CHECK_TIME:
        p.error(f.join(path, "ip_release_window"), "{0} s leaves no time for the address check: at most the IP's "
                "start timeout ({1} s, run_script_timeout) minus {2} s".format(release, ip_start, IP_CHECK_TIME))
    monitors = monitoring.read_package_fields(p, path, spec, cluster, nodes)
    description = spec.get("description")
    if description is not None and (not isinstance(description, str) or "\n" in description):
        p.error(f.join(path, "description"), "must be a one-line string")
    if not (ips or services or resources or pre or script) and len(p.errors) == start_errors:
        p.error(path, "package {0} has nothing to run: give at least one ip, service, resource or external "
                      "script".format(name))
    if len(p.errors) != start_errors:
        return None
    return Package(
        name=name, type=ptype, nodes=nodes, all_nodes=all_nodes, auto_run=auto_run, failover_policy=fo,
        failback_policy=fb, priority=priority, node_fail_fast=nff, ips=tuple(ips), services=tuple(services),
        dependencies=tuple(deps), run_timeout=run_timeout, halt_timeout=halt_timeout, pre_script=pre, script=script,
        resources=tuple(resources), description=description, ip_release_window=release, sna=sna, **monitors
    )


def _read_sna(p, path, spec, ptype, resources):
    """The ``sna`` mapping: an SNA gateway package (one IP, then node, port, link stations)."""
    sna = sna_kind.read_sna(p, f.join(path, "sna"), spec["sna"])
    if ptype == "multi_node":
        p.error(f.join(path, "sna"), "an SNA gateway package must be a failover package: it runs on one node at a "
                                     "time (one SNA node per host)")
    raw_ips = spec.get("ip")
    count = len(raw_ips) if isinstance(raw_ips, (list, tuple)) else 0 if raw_ips is None else None
    if count is not None and count != 1:
        p.error(f.join(path, "ip"), "an SNA gateway package needs exactly one relocatable IP (the address the "
                                    "remote SNA system knows the gateway by; its port binds it), got {0}".format(count))
    if sna is not None:
        taken = set(sna_kind.step_names(sna))
        for k, res in enumerate(resources):
            if res.name in taken:
                p.error(f.join(f.index(f.join(path, "resources"), k), "name"),
                        "{0} is the name of a step of the SNA gateway (sna); choose another name".format(res.name))
    return sna


def _sna_resources(sna):
    """The SNA gateway's steps as package resources, in run order (all after the IP)."""
    return [Resource(name=step["name"], agent=step["agent"], params=tuple(step["params"]), stage=sna_kind.STAGE,
                     restart=0, fail_fast=False, start_timeout=step["start_timeout"],
                     stop_timeout=step["stop_timeout"], monitor_interval=10, monitor_timeout=20)
            for step in sna_kind.sna_steps(sna)]


def _read_nodes(p, path, raw, cluster):
    if raw is None or raw in ("*", ["*"]):
        return cluster.node_names, True
    items = f.read_list(p, path, raw, allow_empty=False)
    if not items:
        return (), False
    known = set(cluster.node_names)
    result = []
    for k, name in enumerate(items):
        if name == "*":
            p.error(f.index(path, k), "'*' must be the only entry (it means every cluster node)")
        elif not isinstance(name, str) or name not in known:
            p.error(f.index(path, k), "{0!r} is not a node of cluster {1} (nodes: {2})".format(
                name, cluster.name, ", ".join(cluster.node_names)))
        elif name in result:
            p.error(f.index(path, k), "{0} is listed twice".format(name))
        else:
            result.append(name)
    return tuple(result), False


def _read_ips(p, path, raw, cluster, nodes):
    items = f.read_list(p, path, raw)
    result = []
    networks = cluster.networks
    for k, item in enumerate(items or []):
        ipath = f.index(path, k)
        if not f.check_mapping(p, ipath, item, IP_KEYS, ("ip_address",)):
            continue
        if item.get("ip_address") is None:
            continue
        try:
            address = parse_address(item["ip_address"])
        except AddressError as exc:
            p.error(f.join(ipath, "ip_address"), str(exc))
            continue
        subnet = None
        raw_subnet = item.get("ip_subnet")
        if raw_subnet is None:
            matches = [n for n in networks if in_network(address, parse_subnet(n))]
            if len(matches) != 1:
                p.error(f.join(ipath, "ip_address"), "{0} is not in any subnet the cluster nodes have an address on; "
                                                     "set ip_subnet".format(address))
                continue
            subnet = parse_subnet(matches[0])
        else:
            text = str(raw_subnet)
            try:
                if "/" in text:
                    subnet = parse_subnet(text)
                else:
                    base = parse_address(text)
                    found = [parse_subnet(n) for n in networks if parse_subnet(n).ip == base]
                    if not found:
                        raise AddressError("{0} is not a subnet the cluster nodes have an address on (known: {1})"
                                           .format(text, ", ".join(sorted(networks)) or "none"))
                    subnet = found[0]
            except AddressError as exc:
                p.error(f.join(ipath, "ip_subnet"), str(exc))
                continue
        if not in_network(address, subnet):
            p.error(f.join(ipath, "ip_address"), "{0} is not inside ip_subnet {1}".format(address, subnet))
            continue
        reason = reserved_reason(address, subnet)
        if reason:
            p.error(f.join(ipath, "ip_address"), "{0} {1}".format(address, reason))
            continue
        holders = networks.get(str(subnet))
        if holders is None:
            p.error(f.join(ipath, "ip_subnet"), "no cluster node has an address on {0} (add a heartbeat or "
                                                "stationary address)".format(subnet))
            continue
        missing = [n for n in nodes if n not in holders]
        if missing:
            p.error(f.join(ipath, "ip_subnet"), "{0} has no address on {1}; every node in node_name needs an "
                                                "interface on the subnet (add a stationary address)".format(
                                                    ", ".join(missing), subnet))
            continue
        for node in cluster.nodes:
            if any(t.split("/")[0] == str(address) for t in node.addresses + node.stationary_addresses):
                p.error(f.join(ipath, "ip_address"), "{0} is a fixed address of node {1}".format(address, node.name))
                break
        else:
            result.append(Ip(address=str(address), subnet=str(subnet), prefixlen=subnet.prefixlen))
    return result


def _read_services(p, path, raw):
    items = f.read_list(p, path, raw)
    result = []
    seen = set()
    for k, item in enumerate(items or []):
        spath = f.index(path, k)
        if not f.check_mapping(p, spath, item, SERVICE_KEYS, ("service_name",)):
            continue
        before = len(p.errors)
        name = None
        if item.get("service_name") is not None:
            name = f.read_name(p, f.join(spath, "service_name"), item["service_name"], 39, "service name")
            if name in seen:
                p.error(f.join(spath, "service_name"), "{0} is already used in this package".format(name))
            seen.add(name)
        cmd, unit = item.get("service_cmd"), item.get("service_unit")
        argv = None
        if (cmd is None) == (unit is None):
            p.error(spath, "give exactly one of service_cmd or service_unit")
        elif cmd is not None:
            argv = _read_cmd(p, f.join(spath, "service_cmd"), cmd)
        elif not isinstance(unit, str) or not UNIT_RE.match(unit):
            p.error(f.join(spath, "service_unit"), "{0!r} is not a valid systemd unit name".format(unit))
        restart = _restart(p, f.join(spath, "service_restart"), item.get("service_restart"))
        ff = f.read_bool(p, f.join(spath, "service_fail_fast_enabled"), item.get("service_fail_fast_enabled"), False)
        halt = _timeout(p, f.join(spath, "service_halt_timeout"), item.get("service_halt_timeout"),
                        DEFAULT_SERVICE_HALT_TIMEOUT)
        if len(p.errors) == before:
            result.append(Service(name=name, cmd=argv, unit=unit if cmd is None else None, restart=restart,
                                  fail_fast=ff, halt_timeout=halt))
    return result


def _read_cmd(p, path, cmd):
    if isinstance(cmd, (list, tuple)):
        argv = [str(a) for a in cmd]
    elif isinstance(cmd, str):
        try:
            argv = shlex.split(cmd)
        except ValueError as exc:
            p.error(path, "cannot be split into words: {0}".format(exc))
            return None
    else:
        p.error(path, "must be a command line string or a list, got {0}".format(f.type_name(cmd)))
        return None
    if not argv or not argv[0].startswith("/"):
        p.error(path, "must start with an absolute path to the program, got {0!r}".format(cmd))
        return None
    if any(("\n" in a or "\0" in a or '"' in a) for a in argv):
        p.error(path, "must not contain newlines or double quotes")
        return None
    return tuple(argv)


def _read_dependencies(p, path, raw):
    items = f.read_list(p, path, raw)
    result = []
    for k, item in enumerate(items or []):
        dpath = f.index(path, k)
        if not f.check_mapping(p, dpath, item, DEP_KEYS, ("dependency_name",)):
            continue
        name = item.get("dependency_name")
        if name is not None:
            name = f.read_name(p, f.join(dpath, "dependency_name"), name, PACKAGE_NAME_MAX, "package name")
        cond = f.read_choice(p, f.join(dpath, "dependency_condition"), item.get("dependency_condition"), CONDITIONS,
                             "up")
        loc = f.read_choice(p, f.join(dpath, "dependency_location"), item.get("dependency_location"), LOCATIONS,
                            "same_node")
        if None not in (name, cond, loc):
            result.append(Dependency(name=name, condition=cond, location=loc))
    return result


def _read_resources(p, path, raw):
    items = f.read_list(p, path, raw)
    result = []
    seen = set()
    for k, item in enumerate(items or []):
        rpath = f.index(path, k)
        if not f.check_mapping(p, rpath, item, RESOURCE_KEYS, ("name", "agent")):
            continue
        before = len(p.errors)
        name = None
        if item.get("name") is not None:
            name = f.read_name(p, f.join(rpath, "name"), item["name"], 39, "resource name")
            if name in seen:
                p.error(f.join(rpath, "name"), "{0} is already used in this package".format(name))
            seen.add(name)
        agent = item.get("agent")
        if agent is not None and (not isinstance(agent, str) or not AGENT_RE.match(agent)):
            p.error(f.join(rpath, "agent"), "{0!r} is not an agent like ocf:provider:type or systemd:unit".format(
                agent))
        params = []
        raw_params = item.get("params") or {}
        if not isinstance(raw_params, dict):
            p.error(f.join(rpath, "params"), "must be a mapping, got {0}".format(f.type_name(raw_params)))
        else:
            for key, value in raw_params.items():
                if not isinstance(key, str) or not PARAM_RE.match(key):
                    p.error(f.join(f.join(rpath, "params"), str(key)), "is not a valid parameter name")
                elif not isinstance(value, (str, int, float, bool)) or "\n" in str(value):
                    p.error(f.join(f.join(rpath, "params"), key), "must be a one-line scalar")
                else:
                    params.append((key, value if not isinstance(value, bool) else ("true" if value else "false")))
        stage = f.read_choice(p, f.join(rpath, "stage"), item.get("stage"), STAGES, "after_services")
        restart = _restart(p, f.join(rpath, "restart"), item.get("restart"))
        ff = f.read_bool(p, f.join(rpath, "fail_fast"), item.get("fail_fast"), False)
        start = _timeout(p, f.join(rpath, "start_timeout"), item.get("start_timeout"))
        stop = _timeout(p, f.join(rpath, "stop_timeout"), item.get("stop_timeout"))
        interval = f.read_int(p, f.join(rpath, "monitor_interval"), item.get("monitor_interval"), 10, 1, 3600, "s")
        mtimeout = f.read_int(p, f.join(rpath, "monitor_timeout"), item.get("monitor_timeout"), 20, 1, 3600, "s")
        if len(p.errors) == before:
            result.append(Resource(name=name, agent=agent, params=tuple(params), stage=stage, restart=restart,
                                   fail_fast=ff, start_timeout=start, stop_timeout=stop, monitor_interval=interval,
                                   monitor_timeout=mtimeout))
    return result


# ---------------------------------------------------------------------------------------
def _cross_checks(p, prefix, packages, cluster, known):
    names = {}
    for i, pkg in enumerate(packages):
        if pkg is None:
            continue
        if pkg.name in names:
            p.error(f.join(f.index(prefix, i), "package_name"), "{0} is already used by {1}".format(
                pkg.name, f.index(prefix, names[pkg.name])))
        else:
            names[pkg.name] = i
    # relocatable addresses unique across all packages
    owner = {}
    for i, pkg in enumerate(packages):
        if pkg is None:
            continue
        for k, ip in enumerate(pkg.ips):
            path = f.join(f.index(f.join(f.index(prefix, i), "ip"), k), "ip_address")
            if ip.address in owner:
                p.error(path, "{0} is already used by {1}".format(ip.address, owner[ip.address]))
            else:
                owner[ip.address] = path
    # one SNA node per host: two SNA gateway packages may not share a candidate
    sna_hosts = {}
    for i, pkg in enumerate(packages):
        if pkg is None or pkg.sna is None:
            continue
        for node in pkg.nodes:
            if node in sna_hosts:
                p.error(f.join(f.index(prefix, i), "node_name"), "{0} is already a candidate of the SNA gateway "
                        "package {1}: a host runs one SNA node, so two SNA gateway packages cannot share a "
                        "node".format(node, sna_hosts[node]))
                break
        else:
            for node in pkg.nodes:
                sna_hosts[node] = pkg.name
    # dependencies: targets exist, no self, no cycles
    by_name = {pkg.name: pkg for pkg in packages if pkg is not None}
    for i, pkg in enumerate(packages):
        if pkg is None:
            continue
        for k, dep in enumerate(pkg.dependencies):
            path = f.join(f.index(f.join(f.index(prefix, i), "dependencies"), k), "dependency_name")
            if dep.name == pkg.name:
                p.error(path, "package {0} cannot depend on itself".format(pkg.name))
            elif dep.name not in by_name and dep.name not in known:
                p.error(path, "package {0} does not exist".format(dep.name))
    monitoring.cross_check(p, prefix, packages, cluster)
    cycle = _find_cycle(by_name)
    if cycle:
        i = names[cycle[0]]
        p.error(f.join(f.index(prefix, i), "dependencies"), "dependency cycle: {0}".format(" -> ".join(cycle)))
    # checks that need to know whether the cluster fences: the address's release without fencing, and
    # warnings about what Pacemaker cannot express exactly
    props = cluster.derived_properties()
    fencing = props.get("stonith-enabled", "false").lower() in ("true", "yes", "1", "on")
    policy = str(props.get("no-quorum-policy", "stop")).strip().lower()
    for i, pkg in enumerate(packages):
        if pkg is None:
            continue
        path = f.index(prefix, i)
        _release_without_fencing(p, path, pkg, fencing, policy)
        _package_warnings(p, path, pkg, fencing)


def _find_cycle(by_name):
    state = {}

    def visit(name, trail):
        state[name] = 1
        for dep in by_name[name].dependencies:
            if dep.name not in by_name or dep.name == name:
                continue
            if state.get(dep.name) == 1:
                return trail[trail.index(dep.name):] + [dep.name] if dep.name in trail else [name, dep.name]
            if state.get(dep.name) is None:
                found = visit(dep.name, trail + [dep.name])
                if found:
                    return found
        state[name] = 2
        return None

    for name in sorted(by_name):
        if state.get(name) is None:
            found = visit(name, [name])
            if found:
                return found
    return None


def _release_without_fencing(p, path, pkg, fencing, policy):
    """Without fencing, a holder cut off from the cluster gives up the package's address through the IP
    agent's quorum guard, the moment it loses quorum, and the other side adds it after the release
    window (issue 16: the guard, not the package's halt, bounds the release, so the package's size
    does not matter). The guard leaves the address where the cluster keeps resources running
    without quorum: there the address would answer from two nodes."""
    if fencing or not pkg.ips or not pkg.ip_release_window or policy not in ("freeze", "ignore"):
        return
    p.warn(f.join(path, "ip_release_window"),
           "no-quorum-policy={0} without fencing: a node cut off from the cluster keeps the package and its address "
           "(the IP agent's quorum guard leaves them, as the policy asks) while the other side adds the address after "
           "{1} s; it would answer from two nodes - use no-quorum-policy=stop or a lock LUN".format(
               policy, pkg.ip_release_window))


def _package_warnings(p, path, pkg, fencing):
    if pkg.type == "failover" and pkg.failover_policy == "min_package_node":
        p.warn(f.join(path, "failover_policy"),
               "min_package_node is approximated: Pacemaker gives every eligible node the same score and, on a tie, "
               "picks the node with the fewest allocated resources (it counts primitives, not packages)")
    wants_fence = pkg.node_fail_fast or any(s.fail_fast for s in pkg.services) or any(
        r.fail_fast for r in pkg.resources)
    if wants_fence and not fencing:
        p.warn(path, "fail-fast requested but the cluster has no fencing (no lock LUN or stonith-enabled=false): "
                     "a failure stops the package instead of resetting the node")
    steps = len(pkg.ips) + len(pkg.services) + len(pkg.resources) + bool(pkg.pre_script) + bool(pkg.script)
    if (pkg.run_timeout is not None or pkg.halt_timeout is not None) and steps > 1:
        p.warn(path, "run_script_timeout/halt_script_timeout bound each resource's start/stop, not the whole run "
                     "or halt sequence")
    for k, dep in enumerate(pkg.dependencies):
        dpath = f.index(f.join(path, "dependencies"), k)
        if dep.condition == "down" and dep.location == "any_node":
            p.warn(dpath, "{0} down on any node cannot be expressed by Pacemaker: compiled as 'never on the same "
                          "node' only".format(dep.name))
        elif dep.condition == "down" and dep.location == "different_node":
            p.warn(dpath, "{0} down on a different node cannot be expressed by Pacemaker: not enforced".format(
                dep.name))
