# Copyright: failover.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Resource monitoring fields of a package: generic resources (Serviceguard's
``generic_resource_name``, ``generic_resource_evaluation_type``, ``generic_resource_up_criteria``).

A generic resource is a named status per node that a site's monitor sets (module
``generic_resource``, like ``cmsetresource``). It lives in the node attribute
``fc-gr-<name>`` (:func:`ids.generic_resource_attribute`):

* a *simple* resource (no up criteria) holds ``up`` or ``down`` (``unknown`` is accepted and
  counts as not up);
* an *extended* resource (with ``generic_resource_up_criteria`` such as ``>= 10``) holds an
  integer, and it is up where the value meets the criteria.

The package gets one location rule per generic resource, ``fc.<package>.gr.<name>``, with the
score ``-INFINITY`` on every node where the resource is not up, so Pacemaker stops the package
there and starts it on the next eligible node:

* ``before_package_start``: the resource must be known and up (a node where nothing set it yet
  is not eligible);
* ``during_package_start`` (Serviceguard's default): the monitor may start with the package,
  so a node where the resource was never set is eligible; only a value that is set and not up
  keeps the package away.

Pure: :func:`read_package_fields` validates, :func:`constraints` compiles.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from . import fields as f
from . import ids

PKG_KEYS = ("generic_resources", "monitored_subnet", "monitored_subnet_access")
SUBNET_ACCESS = ("full", "partial")
SUBNET_MONITOR_AGENT = ("ocf", "failover", "subnet")  # ethmonitor on the interface that carries the subnet
SUBNET_MONITOR_INTERVAL = 2  # s; Serviceguard's NETWORK_POLLING_INTERVAL default
SUBNET_MONITOR_TIMEOUT = 20
GR_KEYS = ("generic_resource_name", "generic_resource_evaluation_type", "generic_resource_up_criteria")
GR_NAME_MAX = 39  # Serviceguard's limit for generic resource names
EVALUATION_TYPES = ("during_package_start", "before_package_start")
SIMPLE_UP = "up"
SIMPLE_VALUES = ("up", "down", "unknown")
VALUE_MIN = -(2 ** 31)
VALUE_MAX = 2 ** 31 - 1
# Serviceguard's operators; each maps to the Pacemaker operation that says "NOT up".
OPERATORS = {">=": "lt", ">": "lte", "<=": "gt", "<": "gte", "==": "ne", "!=": "eq"}
CRITERIA_RE = re.compile(r"^\s*(>=|<=|==|!=|>|<)\s*(-?[0-9]+)\s*$")
INFINITY = "INFINITY"

# The IP monitor (cluster field ip_monitor, Serviceguard's IP_MONITOR / POLLING_TARGET).
IP_MONITOR_KEYS = ("subnet", "polling_targets", "polling_interval", "detection_time")
PING_AGENT = ("ocf", "pacemaker", "ping")
PING_ATTEMPTS = 2  # echo requests per target and poll: one lost echo is not a failure
PING_TIMEOUT = 1  # s, wait for the last reply
PING_GAP_MS = 200  # between the echo requests of one poll (ping -i 0.2, the agent's options)
PING_OK_MS = (PING_ATTEMPTS - 1) * PING_GAP_MS  # one poll of an answering target
PING_RUN_MS = PING_OK_MS + PING_TIMEOUT * 1000  # one poll of a silent target (ping -c 2 -i 0.2 -W 1)
# Pacemaker starts a recurring monitor's interval when the previous run ends: a target that falls
# silent right after an answered poll is seen after the interval, that poll and one silent poll.
PING_CYCLE_MS = PING_OK_MS + PING_RUN_MS
IP_POLLING_INTERVAL = 2000  # ms; Serviceguard's NETWORK_POLLING_INTERVAL default
IP_DETECTION_TIME = 6000  # ms; poll wait + silent poll + 2 s dampening (see docs/monitoring.md)
IP_DETECTION_MAX = 300000
IP_TARGETS_MAX = 8


@dataclass(frozen=True)
class UpCriteria:
    operator: str  # one of OPERATORS
    value: int

    def is_up(self, value):
        """Whether an integer value meets the criteria."""
        return {
            ">=": value >= self.value, ">": value > self.value, "<=": value <= self.value,
            "<": value < self.value, "==": value == self.value, "!=": value != self.value,
        }[self.operator]

    def __str__(self):
        return "{0} {1}".format(self.operator, self.value)


@dataclass(frozen=True)
class GenericResource:
    name: str
    evaluation: str  # during_package_start | before_package_start
    up_criteria: object = None  # UpCriteria or None (a simple resource)

    @property
    def attribute(self):
        return ids.generic_resource_attribute(self.name)


class CriteriaError(ValueError):
    """An up criteria text that does not parse (message says why)."""


def parse_up_criteria(text):
    """``">= 10"`` -> UpCriteria; raises CriteriaError naming the rule."""
    if isinstance(text, bool) or not isinstance(text, str):
        raise CriteriaError("must be a string like '>= 10', got {0}".format(f.type_name(text)))
    match = CRITERIA_RE.match(text)
    if not match:
        raise CriteriaError("{0!r} does not parse: give an operator ({1}) and an integer, like '>= 10'".format(
            text, ", ".join(sorted(OPERATORS))))
    value = int(match.group(2))
    if not VALUE_MIN <= value <= VALUE_MAX:
        raise CriteriaError("{0} is outside the 32-bit integer range of a resource value".format(value))
    return UpCriteria(operator=match.group(1), value=value)


def check_value(value, up_criteria):
    """A value for a generic resource, normalised to its text (``up``/``down``/``unknown`` for a simple
    resource, an integer for an extended one); raises ValueError naming the rule."""
    if up_criteria is None:
        text = str(value).strip().lower() if isinstance(value, str) else None
        if text not in SIMPLE_VALUES:
            raise ValueError("{0!r} is not a status of a simple generic resource (one of {1})".format(
                value, ", ".join(SIMPLE_VALUES)))
        return text
    if isinstance(value, bool) or not (isinstance(value, int) or (
            isinstance(value, str) and re.match(r"^\s*-?[0-9]+\s*$", value))):
        raise ValueError("{0!r} is not an integer (an extended generic resource holds a number)".format(value))
    number = int(value)
    if not VALUE_MIN <= number <= VALUE_MAX:
        raise ValueError("{0} is outside the 32-bit integer range of a resource value".format(number))
    return str(number)


def is_up(text, up_criteria):
    """Whether an attribute value means up (None: never set)."""
    if text is None:
        return None
    if up_criteria is None:
        return text == SIMPLE_UP
    try:
        return up_criteria.is_up(int(text))
    except ValueError:
        return False


# ---------------------------------------------------------------------------------------
def read_package_fields(p, path, spec, cluster=None, nodes=()):
    """Validate a package spec's monitoring fields; returns the Package fields they set
    (``generic_resources``, ``monitored_subnets``)."""
    result = {"generic_resources": tuple(_read_generic_resources(p, f.join(path, "generic_resources"),
                                                                 spec.get("generic_resources")))}
    access = f.read_choice(p, f.join(path, "monitored_subnet_access"), spec.get("monitored_subnet_access"),
                           SUBNET_ACCESS, "full")
    result["monitored_subnets"] = tuple(_read_subnets(p, f.join(path, "monitored_subnet"),
                                                      spec.get("monitored_subnet"), access, cluster, nodes))
    return result


@dataclass(frozen=True)
class MonitoredSubnet:
    subnet: str  # cidr
    access: str  # full | partial
    gated: tuple  # the package's nodes that have an address on the subnet (the rule applies there)
    ip_monitor: object = None  # the cluster's IpMonitor of the subnet (polling targets), or None

    @property
    def attribute(self):
        return ids.subnet_attribute(self.subnet)


@dataclass(frozen=True)
class IpMonitor:
    """One subnet of the cluster field ``ip_monitor``; durations in ms like the rest of the cluster spec."""
    subnet: str  # cidr
    polling_targets: tuple  # addresses inside the subnet
    polling_interval: int = IP_POLLING_INTERVAL
    detection_time: int = IP_DETECTION_TIME

    @property
    def attribute(self):
        return ids.ping_attribute(self.subnet)

    @property
    def dampen_ms(self):
        """What the ping agent's dampening adds so that the worst case (a target falls silent just after a
        poll: wait for the next poll, the silent poll itself, then the dampening) is the detection time."""
        return self.detection_time - self.polling_interval - PING_CYCLE_MS

    def to_dict(self):
        return {"subnet": self.subnet, "polling_targets": list(self.polling_targets),
                "polling_interval": self.polling_interval, "detection_time": self.detection_time}


def read_ip_monitor(p, path, raw, networks, node_addresses=None):
    """The cluster field ``ip_monitor`` -> tuple of IpMonitor (errors name the field and the rule).
    ``networks``: {cidr: set(node names)} of the cluster's addresses; ``node_addresses``: {address: node}
    (a node's own address always answers its own polls, so it cannot be a target)."""
    from .net import AddressError, in_network, parse_address, parse_subnet, reserved_reason

    items = f.read_list(p, path, raw)
    result, seen = [], set()
    for k, item in enumerate(items or []):
        ipath = f.index(path, k)
        if not f.check_mapping(p, ipath, item, IP_MONITOR_KEYS, ("subnet", "polling_targets")):
            continue
        before = len(p.errors)
        subnet = None
        if item.get("subnet") is not None:
            try:
                network = parse_subnet(str(item["subnet"]))
                subnet = str(network)
            except AddressError as exc:
                p.error(f.join(ipath, "subnet"), str(exc))
            if subnet is not None and subnet not in networks:
                p.error(f.join(ipath, "subnet"), "no cluster node has an address on {0}; the IP monitor polls from "
                                                 "the nodes' addresses on the subnet (known: {1})".format(
                                                     subnet, ", ".join(sorted(networks)) or "none"))
                subnet = None
            elif subnet in seen:
                p.error(f.join(ipath, "subnet"), "{0} is listed twice".format(subnet))
                subnet = None
            seen.add(subnet)
        targets = []
        tpath = f.join(ipath, "polling_targets")
        raw_targets = f.read_list(p, tpath, item.get("polling_targets"), allow_empty=False) or []
        if len(raw_targets) > IP_TARGETS_MAX:
            p.error(tpath, "{0} targets is more than {1} (the targets are polled one after the other within one "
                           "monitor operation)".format(len(raw_targets), IP_TARGETS_MAX))
        for t, text in enumerate(raw_targets):
            one = f.index(tpath, t)
            try:
                address = parse_address(text if isinstance(text, str) else repr(text))
            except AddressError as exc:
                p.error(one, str(exc))
                continue
            if subnet is None:
                continue
            network = parse_subnet(subnet)
            if not in_network(address, network):
                p.error(one, "{0} is outside the subnet {1}: a polling target must be on the subnet it checks "
                             "(Serviceguard's rule for POLLING_TARGET)".format(address, subnet))
                continue
            reason = reserved_reason(address, network)
            if reason:
                p.error(one, "{0} {1}".format(address, reason))
                continue
            if str(address) in (node_addresses or {}):
                p.error(one, "{0} is the address of cluster node {1}: a node always reaches its own address, so it "
                             "would never see the subnet fail (poll a router or another host)".format(
                                 address, node_addresses[str(address)]))
                continue
            if str(address) in targets:
                p.error(one, "{0} is listed twice".format(address))
                continue
            targets.append(str(address))
        interval = f.read_int(p, f.join(ipath, "polling_interval"), item.get("polling_interval"),
                              IP_POLLING_INTERVAL, 1000, 60000, "ms")
        detection = f.read_int(p, f.join(ipath, "detection_time"), item.get("detection_time"), IP_DETECTION_TIME,
                               1000, IP_DETECTION_MAX, "ms")
        if interval is not None and detection is not None and detection < interval + PING_CYCLE_MS:
            p.error(f.join(ipath, "detection_time"),
                    "{0} ms is shorter than polling_interval + one answered and one silent poll ({1} + {2} ms): a "
                    "failure cannot be seen that fast".format(detection, interval, PING_CYCLE_MS))
        if len(p.errors) == before and subnet is not None:
            result.append(IpMonitor(subnet=subnet, polling_targets=tuple(targets), polling_interval=interval,
                                    detection_time=detection))
    return tuple(result)


def _read_subnets(p, path, raw, access, cluster, nodes):
    from .net import AddressError, parse_address, parse_subnet  # netaddr: only when subnets are given

    items = f.read_list(p, path, raw)
    result = []
    if not items or cluster is None:
        return result
    networks = cluster.networks
    seen = set()
    for k, item in enumerate(items):
        spath = f.index(path, k)
        if isinstance(item, bool) or not isinstance(item, str):
            p.error(spath, "must be a subnet like 203.0.113.0/24, got {0}".format(f.type_name(item)))
            continue
        try:
            if "/" in item:
                subnet = str(parse_subnet(item))
            else:
                base = parse_address(item)
                found = [n for n in networks if parse_subnet(n).ip == base]
                if not found:
                    raise AddressError("{0} is not a subnet the cluster nodes have an address on (known: {1})".format(
                        item, ", ".join(sorted(networks)) or "none"))
                subnet = found[0]
        except AddressError as exc:
            p.error(spath, str(exc))
            continue
        if subnet in seen:
            p.error(spath, "{0} is listed twice".format(subnet))
            continue
        seen.add(subnet)
        holders = networks.get(subnet, set())
        gated = tuple(n for n in nodes if n in holders)
        missing = [n for n in nodes if n not in holders]
        if not gated:
            p.error(spath, "no node in node_name has an address on {0}; a monitored subnet must be one the package's "
                           "nodes have a heartbeat or stationary address on".format(subnet))
            continue
        if access == "full" and missing:
            p.error(spath, "{0} has no address on {1}; with monitored_subnet_access full every node in node_name "
                           "needs one (add a stationary address, or set monitored_subnet_access partial)".format(
                               ", ".join(missing), subnet))
            continue
        polled = [m for m in getattr(cluster, "ip_monitor", ()) if m.subnet == subnet]
        result.append(MonitoredSubnet(subnet=subnet, access=access, gated=gated,
                                      ip_monitor=polled[0] if polled else None))
    return result


def _read_generic_resources(p, path, raw):
    items = f.read_list(p, path, raw)
    result = []
    seen = set()
    for k, item in enumerate(items or []):
        gpath = f.index(path, k)
        if not f.check_mapping(p, gpath, item, GR_KEYS, ("generic_resource_name",)):
            continue
        before = len(p.errors)
        name = None
        if item.get("generic_resource_name") is not None:
            name = f.read_name(p, f.join(gpath, "generic_resource_name"), item["generic_resource_name"], GR_NAME_MAX,
                               "generic resource name")
            if name is not None and name in seen:
                p.error(f.join(gpath, "generic_resource_name"), "{0} is already used in this package".format(name))
            seen.add(name)
        evaluation = f.read_choice(p, f.join(gpath, "generic_resource_evaluation_type"),
                                   item.get("generic_resource_evaluation_type"), EVALUATION_TYPES,
                                   "during_package_start")
        criteria = None
        raw_criteria = item.get("generic_resource_up_criteria")
        if raw_criteria is not None:
            try:
                criteria = parse_up_criteria(raw_criteria)
            except CriteriaError as exc:
                p.error(f.join(gpath, "generic_resource_up_criteria"), str(exc))
        if len(p.errors) == before and name is not None:
            result.append(GenericResource(name=name, evaluation=evaluation, up_criteria=criteria))
    return result


def fencing_configured(cluster):
    """Whether the cluster can reset a node (stonith-enabled, i.e. a lock LUN with SBD)."""
    if cluster is None:
        return False
    value = cluster.derived_properties().get("stonith-enabled", "false").lower()
    return value in ("true", "yes", "1", "on")


def cross_check(p, prefix, packages, cluster=None):
    """One generic resource name is one attribute: every package that names it must agree on
    whether it is simple or extended (a value cannot be both ``up`` and a number). Also warns where
    node_fail_fast_enabled meets a monitored subnet in a cluster without fencing (the package moves,
    the node is not reset); with fencing the package gets a subnet guard (:func:`fail_fast_guard`)."""
    kinds = {}
    for i, pkg in enumerate(packages):
        if pkg is None:
            continue
        if pkg.node_fail_fast and pkg.monitored_subnets and not fencing_configured(cluster):
            p.warn(f.join(f.index(prefix, i), "node_fail_fast_enabled"),
                   "the cluster has no fencing (no lock LUN): a monitored subnet failure moves the package but cannot "
                   "reset the node as Serviceguard does")
        for k, res in enumerate(pkg.generic_resources):
            path = f.join(f.index(f.join(f.index(prefix, i), "generic_resources"), k), "generic_resource_up_criteria")
            kind = "simple" if res.up_criteria is None else "extended"
            first = kinds.setdefault(res.name, (kind, path))
            if first[0] != kind:
                p.error(path, "generic resource {0} is {1} here but {2} at {3}: a resource holds either up/down or "
                              "a number on every node".format(res.name, kind, first[0], first[1]))


# ---------------------------------------------------------------------------------------
def constraints(pkg, top):
    """The location rules of a package's generic resources (ET elements, in spec order)."""
    result = []
    for res in getattr(pkg, "generic_resources", ()):
        cid = ids.generic_resource_rule_id(pkg.name, res.name)
        location = ET.Element("rsc_location", {"id": cid, "rsc": top})
        attrs = {"id": cid + "-rule", "score": "-" + INFINITY}
        expressions = []
        if res.evaluation == "before_package_start":
            expressions.append(("unset", {"attribute": res.attribute, "operation": "not_defined"}))
        if res.up_criteria is None:
            if res.evaluation == "before_package_start":
                expressions.append(("notup", {"attribute": res.attribute, "operation": "ne", "value": SIMPLE_UP}))
            else:
                expressions.append(("down", {"attribute": res.attribute, "operation": "eq", "value": "down"}))
        else:
            expressions.append(("notup", {"attribute": res.attribute,
                                          "operation": OPERATORS[res.up_criteria.operator],
                                          "value": str(res.up_criteria.value), "type": "number"}))
        if len(expressions) > 1:
            attrs["boolean-op"] = "or"
        rule = ET.SubElement(location, "rule", attrs)
        for suffix, expression in expressions:
            ET.SubElement(rule, "expression", dict({"id": "{0}-{1}".format(cid, suffix)}, **expression))
        result.append(location)
    return result


def subnet_constraints(pkg, top):
    """The location rules of a package's monitored subnets: ``-INFINITY`` on a gated node where the
    subnet's attribute is not set or below 1 (the link is down) and, when the cluster's ``ip_monitor``
    has polling targets on the subnet, where the IP monitor's attribute is not set or below 1 (no
    target answers). With partial access the nodes without an address on the subnet are not gated by it."""
    result = []
    for net in getattr(pkg, "monitored_subnets", ()):
        cid = ids.subnet_rule_id(pkg.name, net.subnet)
        location = ET.Element("rsc_location", {"id": cid, "rsc": top})
        ungated = [n for n in pkg.nodes if n not in net.gated]
        down = {"id": cid + "-down", "score": "-" + INFINITY, "boolean-op": "or"}
        if ungated:
            outer = ET.SubElement(location, "rule", {"id": cid + "-rule", "score": "-" + INFINITY,
                                                     "boolean-op": "and"})
            down.pop("score")
            rule = ET.SubElement(outer, "rule", down)
        else:
            rule = ET.SubElement(location, "rule", down)
        ET.SubElement(rule, "expression", {"id": cid + "-unset", "attribute": net.attribute,
                                           "operation": "not_defined"})
        ET.SubElement(rule, "expression", {"id": cid + "-zero", "attribute": net.attribute, "operation": "lt",
                                           "value": "1", "type": "number"})
        if net.ip_monitor is not None:  # IP level: no polling target answers (or the IP monitor has not run yet)
            ET.SubElement(rule, "expression", {"id": cid + "-ip-unset", "attribute": net.ip_monitor.attribute,
                                               "operation": "not_defined"})
            ET.SubElement(rule, "expression", {"id": cid + "-ip-zero", "attribute": net.ip_monitor.attribute,
                                               "operation": "lt", "value": "1", "type": "number"})
        for node in ungated:
            ET.SubElement(outer, "expression", {"id": "{0}-not-{1}".format(cid, node), "attribute": "#uname",
                                                "operation": "ne", "value": node})
        result.append(location)
    return result


GUARD_AGENT = "ocf:failover:subnet_guard"


def fail_fast_guard(pkg, cluster):
    """node_fail_fast_enabled on a monitored subnet failure, when the cluster can fence: the package's
    last member ``fc.<package>.netguard`` (``ocf:failover:subnet_guard``) whose stop fails while one of
    the package's subnet monitor attributes is 0 on the node, with ``on-fail=fence`` on the stop. A subnet
    failure on the holder makes the location rule stop the package there; the guard is stopped first,
    fails, and the node is reset instead of the package being halted. ``(rid, agent, params, meta, ops)``
    for the compiler, or None."""
    if not (pkg.node_fail_fast and pkg.monitored_subnets and fencing_configured(cluster)):
        return None
    watched = []
    for net in pkg.monitored_subnets:
        watched.append(net.attribute)
        if net.ip_monitor is not None:
            watched.append(net.ip_monitor.attribute)
    ops = [("start", "0s", "20s", None), ("stop", "0s", "20s", "fence"), ("monitor", "10s", "20s", None)]
    return (ids.member_id(pkg.name, "netguard"), GUARD_AGENT, [("attributes", " ".join(watched))],
            [("migration-threshold", 1)], ops)


def subnet_monitors(pkg, cluster):
    """The shared monitor objects the package's subnets need: ``[(clone, [constraints])]``.

    One ``ocf:failover:subnet`` clone per subnet, id ``fc-subnet-<tag>``, kept off the cluster
    nodes without an address on the subnet. Every package that monitors the subnet compiles the
    same objects (they depend on the subnet and the cluster only); the engine keeps them while a
    package rule refers to them (:func:`reconcile_monitors`).
    """
    result = []
    holders_of = cluster.networks
    for net in getattr(pkg, "monitored_subnets", ()):
        cid = ids.subnet_monitor_id(net.subnet)
        clone = ET.Element("clone", {"id": cid})
        meta = ET.SubElement(clone, "meta_attributes", {"id": cid + "-meta"})
        for name, value in (("interleave", "true"), ("failover-cluster", "managed-monitor")):
            ET.SubElement(meta, "nvpair", {"id": "{0}-meta-{1}".format(cid, name), "name": name, "value": value})
        prim = ET.SubElement(clone, "primitive", {"id": cid + "-mon", "class": SUBNET_MONITOR_AGENT[0],
                                                  "provider": SUBNET_MONITOR_AGENT[1],
                                                  "type": SUBNET_MONITOR_AGENT[2]})
        params = ET.SubElement(prim, "instance_attributes", {"id": cid + "-mon-params"})
        for name, value in (("subnet", net.subnet), ("name", net.attribute), ("link_status_only", "true"),
                            ("repeat_count", "1"), ("repeat_interval", "1")):
            ET.SubElement(params, "nvpair", {"id": "{0}-mon-params-{1}".format(cid, name), "name": name,
                                             "value": value})
        ops = ET.SubElement(prim, "operations")
        for name, interval, timeout in (("start", "0s", "60s"), ("stop", "0s", "20s"),
                                        ("monitor", "{0}s".format(SUBNET_MONITOR_INTERVAL),
                                         "{0}s".format(SUBNET_MONITOR_TIMEOUT))):
            ET.SubElement(ops, "op", {"id": "{0}-mon-{1}-{2}".format(cid, name, interval), "name": name,
                                      "interval": interval, "timeout": timeout})
        constraints = []
        holders = holders_of.get(net.subnet, set())
        for node in cluster.node_names:
            if node not in holders:
                constraints.append(ET.Element("rsc_location", {"id": "{0}-not-{1}".format(cid, node), "rsc": cid,
                                                               "node": node, "score": "-" + INFINITY}))
        result.append((clone, constraints))
        if net.ip_monitor is not None:
            result.append(ip_monitor_clone(net.ip_monitor, cluster))
    return result


def ip_monitor_clone(mon, cluster):
    """``(clone, [constraints])``: the IP monitor of one subnet, a clone of ``ocf:pacemaker:ping`` id
    ``fc-ping-<tag>`` that polls the targets every ``polling_interval`` and writes how many answer to the
    node attribute ``fc-ping-<tag>``, dampened so that a silent target is seen within ``detection_time``;
    kept off the nodes without an address on the subnet (they cannot reach the targets there)."""
    cid = ids.ping_monitor_id(mon.subnet)
    clone = ET.Element("clone", {"id": cid})
    meta = ET.SubElement(clone, "meta_attributes", {"id": cid + "-meta"})
    for name, value in (("interleave", "true"), ("failover-cluster", "managed-monitor")):
        ET.SubElement(meta, "nvpair", {"id": "{0}-meta-{1}".format(cid, name), "name": name, "value": value})
    prim = ET.SubElement(clone, "primitive", {"id": cid + "-mon", "class": PING_AGENT[0], "provider": PING_AGENT[1],
                                              "type": PING_AGENT[2]})
    params = ET.SubElement(prim, "instance_attributes", {"id": cid + "-mon-params"})
    for name, value in (("name", mon.attribute), ("host_list", " ".join(mon.polling_targets)),
                        ("multiplier", "1"), ("attempts", str(PING_ATTEMPTS)), ("timeout", str(PING_TIMEOUT)),
                        ("dampen", "{0}ms".format(mon.dampen_ms)), ("use_fping", "0"),
                        ("options", "-i {0}".format(PING_GAP_MS / 1000.0))):
        ET.SubElement(params, "nvpair", {"id": "{0}-mon-params-{1}".format(cid, name), "name": name, "value": value})
    # the targets are polled one after the other: the monitor may take one silent poll per target
    timeout = len(mon.polling_targets) * 2 + 10
    ops = ET.SubElement(prim, "operations")
    for name, interval, op_timeout in (("start", "0s", "{0}s".format(timeout + 10)), ("stop", "0s", "20s"),
                                       ("monitor", "{0}ms".format(mon.polling_interval), "{0}s".format(timeout))):
        ET.SubElement(ops, "op", {"id": "{0}-mon-{1}-{2}".format(cid, name, interval), "name": name,
                                  "interval": interval, "timeout": op_timeout})
    holders = cluster.networks.get(mon.subnet, set())
    constraints = [ET.Element("rsc_location", {"id": "{0}-not-{1}".format(cid, node), "rsc": cid, "node": node,
                                               "score": "-" + INFINITY})
                   for node in cluster.node_names if node not in holders]
    return clone, constraints


def reconcile_monitors(resources, constraints, desired):
    """Keep exactly the subnet monitors that some package rule in ``constraints`` refers to (the link
    monitor ``fc-subnet-<tag>`` for every rule ``fc.<package>.net.<tag>``, the IP monitor
    ``fc-ping-<tag>`` for a rule that tests its attribute).

    ``resources``/``constraints``: the new CIB's top-level elements (lists, changed in place);
    ``desired``: {monitor id: (clone, [constraints])} compiled in this run (they replace the live
    ones). A monitor no package rule names any more is removed with its constraints: the last
    package that monitors a subnet takes the monitor with it.
    """
    needed = set()
    for element in constraints:
        kind, _package = ids.classify(element.get("id"))
        subnet = ids.subnet_of_rule_id(element.get("id")) if kind == "package_part" else None
        if subnet:
            needed.add(ids.subnet_monitor_id(subnet))
            if any(e.get("attribute") == ids.ping_attribute(subnet) for e in element.iter("expression")):
                needed.add(ids.ping_monitor_id(subnet))

    def owner(oid):
        return ids.monitor_of(oid)

    kept_resources, placed = [], set()
    for element in resources:
        mid = owner(element.get("id"))
        if mid is None:
            kept_resources.append(element)
        elif mid in needed and mid not in placed:
            kept_resources.append(desired[mid][0] if mid in desired else element)
            placed.add(mid)
    for mid in sorted(needed - placed):
        if mid in desired:
            kept_resources.append(desired[mid][0])
            placed.add(mid)
    kept_constraints, done = [], set()
    for element in constraints:
        mid = owner(element.get("id"))
        if mid is None:
            kept_constraints.append(element)
        elif mid in placed:
            if mid in desired:
                if mid not in done:
                    kept_constraints.extend(desired[mid][1])
                    done.add(mid)
            else:
                kept_constraints.append(element)
    for mid in sorted(placed):
        if mid in desired and mid not in done:
            kept_constraints.extend(desired[mid][1])
    resources[:] = kept_resources
    constraints[:] = kept_constraints


def generic_resources_of_cib(root):
    """{resource name: {"packages": [...], "up_criteria": UpCriteria|None, "evaluation": str, "criteria": [...]}}
    from the collection's ``fc.<package>.gr.<name>`` rules in a parsed CIB (for status and the
    generic_resource module). ``up_criteria`` and ``evaluation`` are the first package's; ``criteria``
    lists every distinct up criteria (packages may each have their own threshold)."""
    conf = root.find("configuration")
    section = conf.find("constraints") if conf is not None else None
    found = {}
    for element in section if section is not None else []:
        kind, package = ids.classify(element.get("id"), element.get("rsc"))
        if element.tag != "rsc_location" or kind != "package_part":
            continue
        prefix = ids.member_id(package, "gr.")
        if not element.get("id", "").startswith(prefix):
            continue
        name = element.get("id")[len(prefix):]
        criteria, evaluation = None, "during_package_start"
        for expression in element.iter("expression"):
            if expression.get("operation") == "not_defined":
                evaluation = "before_package_start"
            elif expression.get("type") == "number":
                inverse = {v: k for k, v in OPERATORS.items()}
                op = inverse.get(expression.get("operation"))
                try:
                    criteria = UpCriteria(op, int(expression.get("value"))) if op else None
                except (TypeError, ValueError):
                    criteria = None
        entry = found.setdefault(name, {"packages": [], "up_criteria": criteria, "evaluation": evaluation,
                                        "criteria": []})
        if package not in entry["packages"]:
            entry["packages"].append(package)
        if criteria is not None and criteria not in entry["criteria"]:
            entry["criteria"].append(criteria)
    return found
