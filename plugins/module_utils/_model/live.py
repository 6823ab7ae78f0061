# Copyright: failover.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""New packages checked against the live cluster: pure, from the CIB's XML.

``read_live(cib_xml)`` summarises what a cluster already holds, whoever wrote it: every
collection package (its owner, relocatable IPs, the packages it depends on), every IP
resource (``ocf:heartbeat:IPaddr2``, ``ocf:heartbeat:IPaddr``, ``ocf:failover:ip``) inside or
outside packages, and every id of the configuration. ``check_live(packages, live, ...)``
then gives one ``<field>: <rule>`` message per problem:

* a relocatable IP already held by an IP resource of the cluster - except by a package this
  same task replaces (same name) or removes;
* a dependency on a package this same run removes (state=absent, or purge);
* a package whose ids (``fc.<name>``, ``fc.<name>-meta``, ``fc.<name>.*``) would take the id
  of a live object that is not that package's (an operator's resource, another package's
  meta attributes) or of a collection-internal object (the lock LUN's fencing resource);
* removing a package that a live package, which stays, depends on;
* an SNA gateway package (an entry with ``sna``) whose candidates include a candidate of a live
  SNA gateway package (a group with an ``ocf:failover:sna_node`` member) of another name: a host
  runs one SNA node.

A dependency on a live package is allowed (:func:`live_names` feeds ``known_packages``).
"""

import ipaddress
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from . import fields as f
from .cib import MARK_NAME, MARK_VALUE, OWNER_ATTR, PACKAGE_ATTR
from .errors import CompileError, Problems
from .ids import FENCING_ID, PACKAGE_PREFIX, classify, package_of_resource, reserved_name_problem, resource_id

IP_AGENTS = (("ocf", "heartbeat", "IPaddr2"), ("ocf", "heartbeat", "IPaddr"), ("ocf", "failover", "ip"))
SNA_NODE_AGENT = ("ocf", "failover", "sna_node")
REFERENCE_ATTRS = ("rsc", "with-rsc", "first", "then")


@dataclass
class LivePackage:
    name: str
    rid: str
    owner: object = None  # None: written before owners existed
    depends_on: set = field(default_factory=set)
    sna: bool = False  # an SNA gateway package (it has an ocf:failover:sna_node member)
    preferred: set = field(default_factory=set)  # nodes of its positive location constraints (candidates)
    banned: set = field(default_factory=set)  # nodes of its -INFINITY location constraints

    def may_run_on(self, node):
        """Whether ``node`` is a candidate (no positive location constraint: every node not banned)."""
        return node in self.preferred if self.preferred else node not in self.banned


@dataclass
class LiveIp:
    address: str
    rid: str  # the primitive
    package: object = None  # name of the collection package it belongs to, or None


@dataclass
class LiveCluster:
    packages: dict = field(default_factory=dict)  # name -> LivePackage
    ips: list = field(default_factory=list)  # [LiveIp]
    ids: dict = field(default_factory=dict)  # id -> owning package name, or None


EMPTY = LiveCluster()


def _meta(element):
    return {p.get("name"): p.get("value") for block in element.findall("meta_attributes")
            for p in block.findall("nvpair")}


def _normal(address):
    try:
        return str(ipaddress.ip_address(str(address).strip()))
    except ValueError:
        return str(address).strip()


def _ip_of(primitive):
    agent = (primitive.get("class"), primitive.get("provider"), primitive.get("type"))
    if agent not in IP_AGENTS:
        return None
    for block in primitive.findall("instance_attributes"):
        for pair in block.findall("nvpair"):
            if pair.get("name") == "ip" and pair.get("value"):
                return _normal(pair.get("value"))
    return None


def read_live(cib_xml):
    """:class:`LiveCluster` of a CIB (XML text or element); an empty CIB text means no cluster."""
    if cib_xml is None or (isinstance(cib_xml, str) and not cib_xml.strip()):
        return LiveCluster()
    try:
        root = ET.fromstring(cib_xml) if isinstance(cib_xml, str) else cib_xml
    except ET.ParseError as exc:
        raise CompileError("the live CIB is not valid XML: {0}".format(exc)) from None
    conf = root.find("configuration")
    live = LiveCluster()
    if conf is None:
        return live
    resources = conf.find("resources")
    for top in resources if resources is not None else []:
        meta = _meta(top)
        name = meta.get(PACKAGE_ATTR) if meta.get(MARK_NAME) == MARK_VALUE else None
        part = name and classify(top.get("id"))[0] == "package_part"  # its own primitive (SNA link station)
        if name and not part:
            old = live.packages.get(name)
            live.packages[name] = LivePackage(name=name, rid=top.get("id"), owner=meta.get(OWNER_ATTR),
                                              sna=bool(old and old.sna))
        elif name and name not in live.packages:
            live.packages[name] = LivePackage(name=name, rid=resource_id(name), owner=meta.get(OWNER_ATTR))
        for element in top.iter():
            if element.get("id"):
                live.ids[element.get("id")] = name
            if element.tag == "primitive" and name and (
                    element.get("class"), element.get("provider"), element.get("type")) == SNA_NODE_AGENT:
                live.packages[name].sna = True
            if element.tag == "primitive":
                address = _ip_of(element)
                if address:
                    live.ips.append(LiveIp(address=address, rid=element.get("id"), package=name))
    for element in conf.iter():
        if element.get("id") and element.get("id") not in live.ids:
            live.ids[element.get("id")] = None
    constraints = conf.find("constraints")
    for element in constraints if constraints is not None else []:
        kind, owner = classify(element.get("id"))
        if kind != "package_part" or not owner:
            continue
        for sub in element.iter():
            if sub.get("id"):
                live.ids[sub.get("id")] = owner
        if owner not in live.packages:
            continue
        if element.tag == "rsc_location" and element.get("node") and element.get("rsc") == resource_id(owner):
            target = live.packages[owner].banned if element.get("score") == "-INFINITY" else \
                live.packages[owner].preferred
            target.add(element.get("node"))
        for attr in REFERENCE_ATTRS:
            other = package_of_resource(element.get(attr))
            if other and other != owner:
                live.packages[owner].depends_on.add(other)
    return live


@dataclass(frozen=True)
class _Ip:
    address: str


@dataclass(frozen=True)
class CompiledView:
    """What :func:`check_live` needs of a package, read back from its compiled XML (on the node)."""

    name: str
    ips: tuple = ()
    dependencies: tuple = ()


def view_of_compiled(compiled_package):
    """A :class:`CompiledView` of a CompiledPackage: its name and its IPs in ``ip[k]`` order.

    Dependencies are left out: on the node, a dependency on a missing or removed package is
    caught by the plan (dangling constraint) already.
    """
    prefix = resource_id(compiled_package.name) + ".ip"
    ips = {}
    for element in compiled_package.resource.iter("primitive"):
        rid = element.get("id") or ""
        address = _ip_of(element)
        if address and rid.startswith(prefix) and rid[len(prefix):].isdigit():
            ips[int(rid[len(prefix):])] = _Ip(address)
    return CompiledView(name=compiled_package.name, ips=tuple(ips[k] for k in sorted(ips)))


def live_names(live):
    """Names of the collection packages in the cluster (valid dependency targets)."""
    return sorted(live.packages)


def purge_names(live, keep, owner):
    """Packages a purge by ``owner`` removes: those of that owner not in ``keep``.

    A package with another owner (the SNA gateway role's, another inventory's) or with no owner
    (written before owners existed) is never purged.
    """
    return sorted(n for n, p in live.packages.items() if n not in set(keep) and p.owner == owner)


def _package_ids(name):
    """The top id of a package and the id of its meta attributes (the rest is ``<top>.*``)."""
    top = resource_id(name)
    return top, top + "-meta"


def _describe(live, oid):
    holder = live.ids.get(oid)
    if oid == FENCING_ID or oid.startswith(FENCING_ID + "-"):
        return "the lock LUN's fencing resource {0}".format(FENCING_ID)
    if holder:
        return "{0}, part of package {1}".format(oid, holder)
    return "{0}, which failover.cluster does not manage".format(oid)


def check_live(packages, live, prefix="packages", removing=None, owner=None):
    """Problems of ``packages`` (validated :class:`~.package.Package` objects, in input order)
    against ``live``. ``removing``: {name: the field that removes it} for the packages this same
    run removes (``purge``, or ``packages[j]`` with state=absent).

    Returns ``(errors, warnings)``, each a list of ``<field>: <rule>`` texts.
    """
    removing = dict(removing or {})
    problems = Problems()
    names = {pkg.name for pkg in packages}
    by_root = {}  # "web" -> the live ids fc.web and fc.web.* (one pass, not one per package)
    for oid in live.ids:
        if oid.startswith(PACKAGE_PREFIX):
            by_root.setdefault(oid[len(PACKAGE_PREFIX):].split(".", 1)[0], []).append(oid)
    held_by = {}  # address -> the live IP resources that hold it
    for held in live.ips:
        held_by.setdefault(held.address, []).append(held)
    for i, pkg in enumerate(packages):
        path = f.index(prefix, i)
        reserved = reserved_name_problem(pkg.name)
        if reserved:
            problems.error(f.join(path, "package_name"), reserved)
            continue
        top, meta_id = _package_ids(pkg.name)
        space = by_root.get(pkg.name, []) + ([meta_id] if meta_id in live.ids else [])
        clashes = sorted(oid for oid in space if live.ids[oid] != pkg.name and live.ids[oid] not in removing)
        if clashes:
            problems.error(f.join(path, "package_name"), "{0} would take the id of {1} in the cluster: a package's "
                           "ids ({2}, {2}.*) must not name another object; choose another name".format(
                               pkg.name, _describe(live, clashes[0]), top))
        current = live.packages.get(pkg.name)
        if current is not None and owner is not None and current.owner not in (None, owner):
            problems.warn(f.join(path, "package_name"), "package {0} was declared by owner {1}; this task takes it "
                          "over as owner {2} (a purge by {1} will no longer remove it)".format(
                              pkg.name, current.owner, owner))
        for k, ip in enumerate(pkg.ips):
            for held in held_by.get(_normal(ip.address), []):
                if held.package in names or held.package in removing:
                    continue
                holder = "package {0} (resource {1})".format(held.package, held.rid) if held.package else \
                    "resource {0}, which failover.cluster does not manage".format(held.rid)
                problems.error(f.join(f.index(f.join(path, "ip"), k), "ip_address"),
                               "{0} is already used by {1} in the cluster: relocatable IPs must be unique across "
                               "every package and IP resource of the cluster".format(ip.address, holder))
                break
        if getattr(pkg, "sna", None) is not None:
            for other in sorted(live.packages.values(), key=lambda lp: lp.name):
                if not other.sna or other.name in names or other.name in removing:
                    continue
                shared = [node for node in pkg.nodes if other.may_run_on(node)]
                if shared:
                    problems.error(f.join(path, "node_name"), "{0} is already a candidate of the SNA gateway package "
                                   "{1} in the cluster: a host runs one SNA node, so two SNA gateway packages cannot "
                                   "share a node".format(", ".join(shared), other.name))
        for k, dep in enumerate(pkg.dependencies):
            if dep.name in removing and dep.name not in names:
                problems.error(f.join(f.index(f.join(path, "dependencies"), k), "dependency_name"),
                               "package {0} is removed by this run ({1}: it is a package of owner {2} that is not "
                               "in the list); a package cannot depend on a package that is being removed".format(
                                   dep.name, removing[dep.name], owner))
    for gone in sorted(removing):
        for other in sorted(live.packages.values(), key=lambda p: p.name):
            if gone in other.depends_on and other.name not in removing and other.name not in names:
                problems.error(removing[gone], "removes package {0}, which package {1} in the cluster depends on; "
                               "remove or change {1} too".format(gone, other.name))
    return problems.errors, problems.warnings
