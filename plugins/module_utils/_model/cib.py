"""Compile packages to Pacemaker CIB XML; merge them into a live CIB; summarise changes.

Every object this collection writes has an id starting with ``fc.<package>`` (package
names contain no dots, so ids of two packages never collide). The top resource (group or
clone) also carries the meta attributes ``failover-cluster=managed`` and
``failover-cluster-package=<name>``. Constraints carry no meta attributes in the CIB schema;
they are recognised by the ``fc.<package>.`` id prefix.

Compiling is deterministic: the same input gives byte-identical XML.
"""

import copy
import shlex
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from . import ids, monitoring
from . import sna as sna_kind
from .cluster import as_cluster
from .errors import CompileError
from .package import IP_START_TIMEOUT, Package, build_packages

ID_PREFIX = "fc."
MARK_NAME = "failover-cluster"
MARK_VALUE = "managed"
PACKAGE_ATTR = "failover-cluster-package"
OWNER_ATTR = "failover-cluster-owner"  # who declared the package: a purge removes only its own owner's
DEFAULT_OWNER = "packages"  # the packages role's (playbooks/provision.yml); sna_gateway passes its own
NOSWITCH_PREFIX = ids.NOSWITCH_PREFIX  # package_state's pin (cmmodpkg -d)
RUNBOOK_PREFIX = ids.RUNBOOK_PREFIX  # a runbook's temporary rule (_switch)
RUNTIME_META = ("target-role", "is-managed")  # owned by package_state once the package exists
SCRIPT_AGENT = ("ocf", "failover", "script")  # runs <script> start|stop; shipped by this collection
IP_AGENT = "ocf:failover:ip"  # IPaddr2 behind an ARP in-use check (and a release window without fencing)
STICKINESS_MANUAL = 10000  # above any location preference difference, below INFINITY (moves still work)
LOCATION_STEP = 10
INFINITY = "INFINITY"


def resource_id(package_name):
    """CIB id of the package's top resource (group for failover, clone for multi_node)."""
    return ID_PREFIX + package_name


@dataclass
class CompiledPackage:
    name: str
    resource: object  # ET.Element (group or clone)
    constraints: list = field(default_factory=list)  # [ET.Element]
    monitors: list = field(default_factory=list)  # [(clone, [constraints])] shared subnet monitors (monitoring.py)
    parts: list = field(default_factory=list)  # [ET.Element] top-level primitives next to the group (SNA link stations)

    @property
    def resources(self):
        """Every top-level resource element of the package: its group or clone, then its own primitives."""
        return [self.resource] + list(self.parts)

    def to_xml(self):
        return "".join(ET.tostring(e, encoding="unicode") for e in self.resources + self.constraints)


@dataclass
class Compiled:
    packages: dict  # name -> CompiledPackage, in input order
    warnings: list = field(default_factory=list)

    def to_xml(self):
        """``<configuration><resources/><constraints/></configuration>`` for these packages."""
        conf = ET.Element("configuration")
        resources = ET.SubElement(conf, "resources")
        constraints = ET.SubElement(conf, "constraints")
        for compiled in self.packages.values():
            resources.extend(compiled.resources)
            constraints.extend(compiled.constraints)
        monitors = _monitors(self.packages)
        for mid in sorted(monitors):
            resources.append(monitors[mid][0])
            constraints.extend(monitors[mid][1])
        return ET.tostring(conf, encoding="unicode")


def _monitors(packages):
    """{monitor id: (clone, [constraints])} of compiled packages (one copy per shared subnet monitor)."""
    result = {}
    for compiled in packages.values():
        for clone, constraints in getattr(compiled, "monitors", None) or []:
            result.setdefault(clone.get("id"), (clone, constraints))
    return result


# ---------------------------------------------------------------------------------------
# element helpers
def _nvset(parent, tag, set_id, pairs):
    if not pairs:
        return None
    block = ET.SubElement(parent, tag, {"id": set_id})
    for name, value in pairs:
        ET.SubElement(block, "nvpair", {"id": "{0}-{1}".format(set_id, name), "name": name, "value": str(value)})
    return block


def _seconds(value):
    return "{0}s".format(value)


def _primitive(parent, rid, agent, params, meta, ops):
    parts = agent.split(":")
    attrs = {"id": rid, "class": parts[0]}
    if parts[0] == "ocf":
        attrs["provider"] = parts[1]
        attrs["type"] = parts[2]
    else:
        attrs["type"] = ":".join(parts[1:])
    prim = ET.SubElement(parent, "primitive", attrs)
    _nvset(prim, "instance_attributes", rid + "-params", params)
    _nvset(prim, "meta_attributes", rid + "-meta", meta)
    operations = ET.SubElement(prim, "operations")
    for name, interval, timeout, on_fail in ops:
        op = {"id": "{0}-{1}-{2}".format(rid, name, interval), "name": name, "interval": interval,
              "timeout": timeout}
        if on_fail:
            op["on-fail"] = on_fail
        ET.SubElement(operations, "op", op)
    return prim


def _threshold(restart):
    """service_restart none -> 1, N -> N+1 failures before moving, unlimited -> INFINITY."""
    if restart == "unlimited":
        return INFINITY
    return str(int(restart) + 1)


def _ops(start, stop, interval, monitor_timeout, fence):
    return [
        ("start", "0s", _seconds(start), None),
        ("stop", "0s", _seconds(stop), None),
        ("monitor", _seconds(interval), _seconds(monitor_timeout), "fence" if fence else None),
    ]


# ---------------------------------------------------------------------------------------
def _fencing(cluster):
    value = cluster.derived_properties().get("stonith-enabled", "false").lower()
    return value in ("true", "yes", "1", "on")


def compile_package(pkg, cluster):
    """One validated :class:`Package` -> :class:`CompiledPackage`."""
    cluster = as_cluster(cluster)
    fence_ok = _fencing(cluster)
    top = resource_id(pkg.name)
    run, halt = pkg.run_timeout, pkg.halt_timeout
    node_fence = pkg.node_fail_fast and fence_ok

    if pkg.type == "multi_node":
        root = ET.Element("clone", {"id": top})
        group = ET.SubElement(root, "group", {"id": top + ".group"})
    else:
        root = group = ET.Element("group", {"id": top})
    if pkg.description:
        root.set("description", pkg.description)

    meta = [(MARK_NAME, MARK_VALUE), (PACKAGE_ATTR, pkg.name)]
    meta.append(("priority", pkg.pacemaker_priority))
    if pkg.type == "failover":
        meta.append(("resource-stickiness", STICKINESS_MANUAL if pkg.failback_policy == "manual" else 0))
    else:
        meta.append(("interleave", "true"))
    if not pkg.auto_run:
        meta.append(("target-role", "Stopped"))
    # meta_attributes must precede the members in a group (schema order)
    meta_block = _nvset(root, "meta_attributes", top + "-meta", meta)
    if pkg.type == "multi_node":
        root.remove(meta_block)
        root.insert(0, meta_block)

    def script(rid, path):
        _primitive(group, rid, ":".join(SCRIPT_AGENT), [("script", path)], [("migration-threshold", 1)],
                   _ops(run or 300, halt or 300, 10, 20, node_fence))

    def extra(stage):
        for res in pkg.resources:
            if res.stage != stage:
                continue
            _primitive(group, "{0}.res.{1}".format(top, res.name), res.agent, list(res.params),
                       [("migration-threshold", _threshold(res.restart))],
                       _ops(res.start_timeout or run or 60, res.stop_timeout or halt or 60, res.monitor_interval,
                            res.monitor_timeout, fence_ok and (res.fail_fast or pkg.node_fail_fast)))

    if pkg.pre_script:
        script(top + ".pre", pkg.pre_script)
    for k, ip in enumerate(pkg.ips):
        params = [("ip", ip.address), ("cidr_netmask", ip.prefixlen)]
        if not fence_ok and pkg.ip_release_window:
            params.append(("release_window", pkg.ip_release_window))
        _primitive(group, "{0}.ip{1}".format(top, k), IP_AGENT, params, [("migration-threshold", 1)],
                   _ops(run or IP_START_TIMEOUT, halt or 20, 10, 20, node_fence))
    extra("after_ips")
    for svc in pkg.services:
        rid = "{0}.svc.{1}".format(top, svc.name)
        fence = fence_ok and (svc.fail_fast or pkg.node_fail_fast)
        meta_svc = [("migration-threshold", _threshold(svc.restart))]
        if svc.unit:
            _primitive(group, rid, "systemd:" + svc.unit, [], meta_svc,
                       _ops(run or 100, svc.halt_timeout, 10, 100, fence))
        else:
            params = [("binfile", svc.cmd[0])]
            if len(svc.cmd) > 1:
                params.append(("cmdline_options", " ".join(shlex.quote(a) for a in svc.cmd[1:])))
            _primitive(group, rid, "ocf:heartbeat:anything", params, meta_svc,
                       _ops(run or 60, svc.halt_timeout, 10, 20, fence))
    extra("after_services")
    if pkg.script:
        script(top + ".ext", pkg.script)

    guard = monitoring.fail_fast_guard(pkg, cluster)  # node_fail_fast_enabled on a subnet failure: last member
    if guard:
        _primitive(group, *guard)
    parts, part_constraints = [], []
    if pkg.sna is not None and pkg.sna.parallel:
        parts, part_constraints = _link_stations(pkg)
    return CompiledPackage(name=pkg.name, resource=root, constraints=_constraints(pkg, cluster, top) + part_constraints,
                           monitors=monitoring.subnet_monitors(pkg, cluster), parts=parts)


def _link_stations(pkg):
    """The link stations of an SNA package with ``link_station_start: parallel`` (issue 16).

    One primitive each, next to the group and marked with the package like it (so the package owns,
    replaces and removes them); one order constraint - the group, then the set of link stations with
    ``sequential=false`` (started at once after the port, stopped at once before it) - and one
    colocation of that set with the group. In the set nothing orders or colocates the link stations
    with each other, so one that fails restarts alone, and one whose start fails stays stopped on its
    node while the rest of the package runs there: ``critical=false`` keeps a link station that cannot
    run from pulling the group to another node, ``migration-threshold=INFINITY`` restarts a failed one
    in place (a failed start is never retried on that node until its failure is cleared).
    """
    top = resource_id(pkg.name)
    holder = ET.Element("resources")
    refs = []
    for step in sna_kind.link_station_steps(pkg.sna):
        name = step["name"][len(sna_kind.LS_STEP_PREFIX):]
        rid = ids.link_station_id(pkg.name, name)
        meta = [(MARK_NAME, MARK_VALUE), (PACKAGE_ATTR, pkg.name), ("critical", "false"),
                ("migration-threshold", INFINITY)]
        _primitive(holder, rid, step["agent"], list(step["params"]), meta,
                   _ops(step["start_timeout"], step["stop_timeout"], 10, 20, False))
        refs.append(rid)

    def resource_set(set_id, members, sequential):
        block = ET.Element("resource_set", {"id": set_id, "sequential": "true" if sequential else "false"})
        for rid in members:
            ET.SubElement(block, "resource_ref", {"id": rid})
        return block

    order_id = ids.link_station_order_id(pkg.name)
    order = ET.Element("rsc_order", {"id": order_id, "kind": "Mandatory"})
    order.append(resource_set(order_id + "-group", [top], True))
    order.append(resource_set(order_id + "-ls", refs, False))
    with_id = ids.link_station_colocation_id(pkg.name)
    colocation = ET.Element("rsc_colocation", {"id": with_id, "score": INFINITY})
    colocation.append(resource_set(with_id + "-ls", refs, False))
    colocation.append(resource_set(with_id + "-group", [top], True))
    return list(holder), [order, colocation]


def _constraints(pkg, cluster, top):
    result = []

    def location(node, score):
        result.append(ET.Element("rsc_location", {"id": "{0}.loc.{1}".format(top, node), "rsc": top, "node": node,
                                                  "score": score}))

    if pkg.type == "failover" and pkg.failover_policy == "configured_node":
        count = len(pkg.nodes)
        for k, node in enumerate(pkg.nodes):
            location(node, str((count - k) * LOCATION_STEP))
    if not pkg.all_nodes:
        for node in cluster.node_names:
            if node not in pkg.nodes:
                location(node, "-" + INFINITY)
    for dep in pkg.dependencies:
        other = resource_id(dep.name)
        base = "{0}.dep.{1}".format(top, dep.name)
        score = None
        if dep.condition == "up":
            score = {"same_node": INFINITY, "different_node": "-" + INFINITY}.get(dep.location)
        elif dep.location in ("same_node", "any_node"):
            score = "-" + INFINITY
        if score is not None:
            result.append(ET.Element("rsc_colocation", {"id": base + ".col", "rsc": top, "with-rsc": other,
                                                        "score": score}))
        if dep.condition == "up":
            result.append(ET.Element("rsc_order", {"id": base + ".ord", "first": other, "then": top,
                                                   "kind": "Mandatory"}))
    result.extend(monitoring.constraints(pkg, top))
    result.extend(monitoring.subnet_constraints(pkg, top))
    return result


def compile_packages(packages, cluster, prefix="packages", known_packages=()):
    """Package specs (dicts) or Package objects -> :class:`Compiled` (with warnings)."""
    cluster = as_cluster(cluster)
    warnings = []
    if packages and not all(isinstance(p, Package) for p in packages):
        packages, warnings = build_packages(packages, cluster, prefix, known_packages)
    compiled = {}
    for pkg in packages:
        compiled[pkg.name] = compile_package(pkg, cluster)
    return Compiled(packages=compiled, warnings=warnings)


# ---------------------------------------------------------------------------------------
# live CIB
def _parse(cib_xml):
    try:
        return ET.fromstring(cib_xml)
    except ET.ParseError as exc:
        raise CompileError("the live CIB is not valid XML: {0}".format(exc)) from None


def _section(root, name):
    conf = root.find("configuration")
    if conf is None:
        raise CompileError("the live CIB has no <configuration> element")
    node = conf.find(name)
    if node is None:
        node = ET.SubElement(conf, name)
    return node


def _meta(element):
    result = {}
    for block in element.findall("meta_attributes"):
        for pair in block.findall("nvpair"):
            result[pair.get("name")] = pair.get("value")
    return result


def managed_packages(cib_xml):
    """{package name: top resource id} of every collection-managed package in a CIB."""
    root = _parse(cib_xml)
    result = {}
    for element in _section(root, "resources"):
        meta = _meta(element)
        if meta.get(MARK_NAME) == MARK_VALUE and meta.get(PACKAGE_ATTR) and _is_top(element, meta):
            result[meta[PACKAGE_ATTR]] = element.get("id")
    return result


def _is_top(element, meta):
    """The package's top resource, not one of its own primitives next to it (link stations)."""
    return ids.classify(element.get("id"))[0] != "package_part" or element.get("id") == resource_id(meta[PACKAGE_ATTR])


def package_parts(cib_xml):
    """{package name: [ids of its top-level primitives next to the group]} (SNA link stations)."""
    root = _parse(cib_xml)
    result = {}
    for element in _section(root, "resources"):
        meta = _meta(element)
        if meta.get(MARK_NAME) == MARK_VALUE and meta.get(PACKAGE_ATTR) and not _is_top(element, meta):
            result.setdefault(meta[PACKAGE_ATTR], []).append(element.get("id"))
    return result


def set_owner(compiled_package, owner):
    """Mark a compiled package's top resource (and its own primitives) with
    ``failover-cluster-owner=<owner>`` (in place)."""
    for top in compiled_package.resources:
        block = top.find("meta_attributes")
        if block is None:
            raise CompileError("compiled package {0} has no meta attributes".format(compiled_package.name))
        for pair in block.findall("nvpair"):
            if pair.get("name") == OWNER_ATTR:
                block.remove(pair)
        names = [pair.get("name") for pair in block]
        at = names.index(PACKAGE_ATTR) + 1 if PACKAGE_ATTR in names else len(names)
        # next to the package mark: target-role stays last, where a re-apply carries the live one
        block.insert(at, ET.Element("nvpair", {"id": "{0}-{1}".format(block.get("id"), OWNER_ATTR),
                                               "name": OWNER_ATTR, "value": owner}))
    return compiled_package


def package_owners(cib_xml):
    """{package name: owner (None when the package carries none)} of every collection-managed package."""
    root = _parse(cib_xml)
    result = {}
    for element in _section(root, "resources"):
        meta = _meta(element)
        if meta.get(MARK_NAME) == MARK_VALUE and meta.get(PACKAGE_ATTR) and _is_top(element, meta):
            result[meta[PACKAGE_ATTR]] = meta.get(OWNER_ATTR)
    return result


def _carry_runtime_meta(live, new):
    """Keep target-role / is-managed as the cluster has them (package_state owns them).

    They are looked for in every meta_attributes block of the live element: crm_resource
    --meta (without --set-name) writes them into a block of its own, ``<id>-meta_attributes``.
    They are carried over into the compiled element's first block.
    """
    new_meta = new.find("meta_attributes")
    if new_meta is None:
        return
    for block in new.findall("meta_attributes"):
        for pair in list(block.findall("nvpair")):
            if pair.get("name") in RUNTIME_META:
                block.remove(pair)
    for block in live.findall("meta_attributes"):
        for pair in block.findall("nvpair"):
            if pair.get("name") in RUNTIME_META:
                new_meta.append(copy.deepcopy(pair))


def merge(live_cib_xml, desired, managed_names=None, remove_names=()):
    """Return the live CIB with the managed objects of ``managed_names`` replaced by
    ``desired`` and those of ``remove_names`` removed; everything else is left as it was.

    ``desired``: a :class:`Compiled` or {name: CompiledPackage}. ``managed_names`` defaults
    to the packages in ``desired``. An existing package keeps its live target-role and
    is-managed (so auto_run only decides the role of a new package). Removing a package also
    removes the cli-prefer/cli-ban constraints crm_resource made for it and the
    ``fc-noswitch-`` pin package_state made for it, and a runbook's ``fc-runbook-`` rule.
    """
    if isinstance(desired, Compiled):
        desired = desired.packages
    desired = desired or {}
    names = list(managed_names) if managed_names is not None else list(desired)
    targets = set(names) | set(remove_names)
    dropping = {n for n in targets if n in remove_names or n not in desired}
    root = _parse(live_cib_xml)
    resources = _section(root, "resources")
    constraints = _section(root, "constraints")

    # resources: replace each package's managed top element in place, append new ones
    placed = set()
    kept = []
    for element in list(resources):
        meta = _meta(element)
        owner = meta.get(PACKAGE_ATTR) if meta.get(MARK_NAME) == MARK_VALUE else None
        if owner is None:
            rid = element.get("id", "")
            if rid.startswith(ID_PREFIX) and rid[len(ID_PREFIX):] in targets:
                raise CompileError("the CIB already has a resource {0} that failover.cluster does not manage; "
                                   "rename or remove it".format(rid))
            kept.append(element)
            continue
        if owner not in targets:
            kept.append(element)
            continue
        if owner in placed or owner in dropping:
            continue
        live_top = _live_top(resources, owner, element)
        new = copy.deepcopy(desired[owner].resource)
        _carry_runtime_meta(live_top, new)
        new.tail = element.tail
        kept.append(new)
        kept.extend(copy.deepcopy(part) for part in desired[owner].parts)
        placed.add(owner)
    for name in names:
        if name not in placed and name not in dropping:
            kept.extend(copy.deepcopy(r) for r in desired[name].resources)
            placed.add(name)
    kept_resources = kept

    # constraints: ours are "fc.<package>.*"; a removed package also loses crm_resource's cli-* ones
    placed = set()
    kept = []
    for element in list(constraints):
        cid = element.get("id", "")
        owner = None
        if cid.startswith(ID_PREFIX):
            owner = cid[len(ID_PREFIX):].split(".", 1)[0]
            if "." not in cid[len(ID_PREFIX):]:
                owner = None
        elif cid.startswith(("cli-prefer-", "cli-ban-", NOSWITCH_PREFIX, RUNBOOK_PREFIX)):
            rsc = element.get("rsc", "")
            if rsc.startswith(ID_PREFIX) and rsc[len(ID_PREFIX):] in dropping:
                continue
        if owner is None or owner not in targets:
            kept.append(element)
            continue
        if owner in placed or owner in dropping:
            continue
        kept.extend(copy.deepcopy(c) for c in desired[owner].constraints)
        placed.add(owner)
    for name in names:
        if name not in placed and name not in dropping:
            kept.extend(copy.deepcopy(c) for c in desired[name].constraints)
    # shared subnet monitors: kept while a package rule names them, the compiled copy replaces the live one
    wanted = {mid: (copy.deepcopy(clone), [copy.deepcopy(c) for c in cons])
              for mid, (clone, cons) in _monitors({n: desired[n] for n in names if n in desired}).items()}
    monitoring.reconcile_monitors(kept_resources, kept, wanted)
    _replace_children(resources, kept_resources)
    _replace_children(constraints, kept)
    return ET.tostring(root, encoding="unicode")


def _live_top(resources, name, default):
    """The live top resource of package ``name`` (its runtime meta is carried over), else ``default``."""
    top = resource_id(name)
    for element in resources:
        if element.get("id") == top:
            return element
    return default


def _replace_children(parent, children):
    for child in list(parent):
        parent.remove(child)
    parent.extend(children)


def _canonical(element):
    return (
        element.tag,
        tuple(sorted(element.attrib.items())),
        tuple(_canonical(child) for child in element),
    )


def _objects(root):
    result = {}
    conf = root.find("configuration")
    if conf is None:
        return result
    for section in ("resources", "constraints"):
        node = conf.find(section)
        if node is None:
            continue
        for element in node:
            key = "{0}/{1}".format(section, element.get("id") or element.tag)
            result[key] = _canonical(element)
    return result


def changed_objects(live_cib_xml, new_cib_xml):
    """{"added": [...], "removed": [...], "changed": [...]} top-level resources and
    constraints (as ``resources/<id>`` / ``constraints/<id>``) that differ between two CIBs.
    Whitespace and attribute order do not count."""
    old = _objects(_parse(live_cib_xml))
    new = _objects(_parse(new_cib_xml))
    return {
        "added": sorted(k for k in new if k not in old),
        "removed": sorted(k for k in old if k not in new),
        "changed": sorted(k for k in new if k in old and new[k] != old[k]),
    }
