# Copyright: failover.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every id the collection writes into the CIB, built and parsed in one place.

The objects and their ids:

==============================  =====================================  ==========================
object                          id                                     owner
==============================  =====================================  ==========================
a package's top resource        ``fc.<package>``                       the package
its members and constraints     ``fc.<package>.<part>``                the package
an SNA link station (parallel)  ``fc.<package>.ls.<ls_name>``          the package
switching pin (cmmodpkg -d)     ``fc-noswitch-<package>``              the package (package_state)
runbook rule (temporary)        ``fc-runbook-<package>``               the package (a runbook)
lock LUN fencing resource       ``fc.sbd-fencing``                     the cluster (lock_lun)
event notification (an alert)   ``fc-alert-<name>``                    the cluster (cluster_alerts)
crm_resource --move / --ban     ``cli-prefer-<rid>`` / ``cli-ban-<rid>-on-<node>``  an operator
==============================  =====================================  ==========================

``classify(cid)`` tells which of these a constraint or resource id is and which package owns
it, so modules, filters and roles never match id strings themselves.
"""

from __future__ import annotations

PACKAGE_PREFIX = "fc."
NOSWITCH_PREFIX = "fc-noswitch-"
RUNBOOK_PREFIX = "fc-runbook-"
ALERT_PREFIX = "fc-alert-"
FENCING_ID = "fc.sbd-fencing"
CLI_PREFER_PREFIX = "cli-prefer-"
CLI_BAN_PREFIX = "cli-ban-"

# Names a package may not take: its top resource id would be a collection-internal object.
RESERVED_PACKAGE_NAMES = frozenset({FENCING_ID[len(PACKAGE_PREFIX):]})


def resource_id(package):
    """The CIB id of a package's top resource (its group, or the clone of a multi-node package)."""
    return PACKAGE_PREFIX + package


def package_of_resource(rid):
    """The package name of a top resource id ``fc.<package>`` (None for another id)."""
    if not rid or not rid.startswith(PACKAGE_PREFIX) or rid == FENCING_ID:
        return None
    rest = rid[len(PACKAGE_PREFIX):]
    return rest or None


def fencing_id():
    """The lock LUN's fencing resource (one per cluster, owned by the cluster, not by a package)."""
    return FENCING_ID


def fencing_part_id(part):
    """Ids inside the fencing resource (its attribute sets and operations): ``fc.sbd-fencing-<part>``."""
    return "{0}-{1}".format(FENCING_ID, part)


def member_id(package, part):
    """Ids of a package's members and constraints: ``fc.<package>.<part>``."""
    return "{0}.{1}".format(resource_id(package), part)


# --- SNA link stations started in parallel (issue 16) ------------------------------------
# With ``sna.link_station_start: parallel`` each link station is a primitive of its own next to
# the package's group (marked with the package like the group), ordered after the group by one
# set constraint and colocated with it by another.
LINK_STATION_PART = "ls."


def link_station_id(package, ls_name):
    """The primitive of one link station of a parallel SNA package: ``fc.<package>.ls.<ls_name>``."""
    return member_id(package, LINK_STATION_PART + ls_name)


def link_station_of(rid):
    """``(package, ls_name)`` of a link station primitive id, or None for another id."""
    kind, package = classify(rid)
    prefix = member_id(package, LINK_STATION_PART) if kind == "package_part" else None
    if not prefix or not rid.startswith(prefix) or len(rid) == len(prefix):
        return None
    return package, rid[len(prefix):]


def link_station_order_id(package):
    """The order constraint: the package's group, then every link station (a set, not sequential)."""
    return member_id(package, "ls-order")


def link_station_colocation_id(package):
    """The colocation: every link station with the package's group."""
    return member_id(package, "ls-with")


def meta_set_id(package):
    """The package's own meta attributes block (target-role lives there: one block, so a halt and a
    run by different tools never leave two target-role values)."""
    return resource_id(package) + "-meta"


def pin_id(package):
    """The switching pin of cmmodpkg -d."""
    return NOSWITCH_PREFIX + package


def runbook_rule_id(package):
    """The temporary rule a runbook holds while it switches ``package``."""
    return RUNBOOK_PREFIX + package


def alert_id(name):
    """An alert of the cluster's ``alerts`` description (the CIB's ``<alerts>`` section)."""
    return ALERT_PREFIX + name


def lifetime_id(constraint_id):
    """The date expression that bounds a temporary rule's life."""
    return constraint_id + "-lifetime"


def classify(cid, rsc=None):
    """``(kind, package)`` of a CIB id: kind is ``package``, ``package_part``, ``pin``, ``runbook``,
    ``fencing``, ``alert`` (package None), ``move`` (crm_resource --move/--ban; package from ``rsc`` when
    given) or ``foreign``."""
    cid = cid or ""
    if cid == FENCING_ID:
        return "fencing", None
    if cid.startswith(NOSWITCH_PREFIX):
        return "pin", cid[len(NOSWITCH_PREFIX):] or None
    if cid.startswith(RUNBOOK_PREFIX):
        return "runbook", cid[len(RUNBOOK_PREFIX):] or None
    if cid.startswith(ALERT_PREFIX):
        return "alert", None
    if cid.startswith((CLI_PREFER_PREFIX, CLI_BAN_PREFIX)):
        return "move", package_of_resource(rsc) if rsc else None
    if cid.startswith(PACKAGE_PREFIX):
        rest = cid[len(PACKAGE_PREFIX):]
        if "." in rest:
            return "package_part", rest.split(".", 1)[0]
        return "package", rest or None
    return "foreign", None


def reserved_name_problem(name):
    """Why ``name`` may not be a package name (None when it may)."""
    if name in RESERVED_PACKAGE_NAMES:
        return "{0} is reserved: its resource id {1} is the collection's fencing resource".format(
            name, resource_id(name))
    return None


# --- generic resources (issue 13) -------------------------------------------------------
# A generic resource is a node attribute ``fc-gr-<name>`` that an operator's monitor sets
# (module generic_resource, Serviceguard's cmsetresource); a package that names it gets one
# location rule ``fc.<package>.gr.<name>`` (a package part: removed with the package). The
# attribute itself is node state, owned by whoever sets it, and is never removed by a package.
GENERIC_RESOURCE_ATTR_PREFIX = "fc-gr-"


def generic_resource_attribute(name):
    """The node attribute that holds generic resource ``name``'s status or value on each node."""
    return GENERIC_RESOURCE_ATTR_PREFIX + name


def generic_resource_of_attribute(attribute):
    """The generic resource name of a node attribute ``fc-gr-<name>`` (None for another attribute)."""
    if not attribute or not attribute.startswith(GENERIC_RESOURCE_ATTR_PREFIX):
        return None
    return attribute[len(GENERIC_RESOURCE_ATTR_PREFIX):] or None


def generic_resource_rule_id(package, name):
    """The location rule that keeps ``package`` off nodes where generic resource ``name`` is not up."""
    return member_id(package, "gr." + name)


# --- monitored subnets (issue 13) ---------------------------------------------------------
# One shared monitor per subnet, ``fc-subnet-<tag>`` (a clone of ocf:failover:subnet, with
# constraints ``fc-subnet-<tag>-not-<node>``), writing the node attribute ``fc-subnet-<tag>``;
# each package that monitors the subnet has a rule ``fc.<package>.net.<tag>``. The monitor is
# owned by the packages whose rules name it: the engine removes it with the last of them.
SUBNET_PREFIX = "fc-subnet-"


def subnet_tag(cidr):
    """``203.0.113.0/24`` -> ``203-0-113-0-24`` (dots and the slash are not id characters of ours)."""
    return str(cidr).replace(".", "-").replace("/", "-")


def subnet_of_tag(tag):
    parts = (tag or "").split("-")
    if len(parts) != 5 or not all(part.isdigit() for part in parts):
        return None
    return "{0}/{1}".format(".".join(parts[:4]), parts[4])


def subnet_monitor_id(cidr):
    return SUBNET_PREFIX + subnet_tag(cidr)


def subnet_attribute(cidr):
    """The node attribute the subnet's monitor writes (1 link up, 0 down)."""
    return SUBNET_PREFIX + subnet_tag(cidr)


def subnet_rule_id(package, cidr):
    return member_id(package, "net." + subnet_tag(cidr))


def subnet_of_rule_id(cid):
    """The subnet of a package rule ``fc.<package>.net.<tag>`` (None for another id)."""
    kind, package = classify(cid)
    prefix = member_id(package, "net.") if kind == "package_part" else None
    if not prefix or not cid.startswith(prefix):
        return None
    return subnet_of_tag(cid[len(prefix):])


def subnet_monitor_of(oid):
    """The monitor id ``fc-subnet-<tag>`` an object belongs to (the clone, its primitive, its
    constraints), or None."""
    return _monitor_with_prefix(oid, SUBNET_PREFIX)


def _monitor_with_prefix(oid, prefix):
    """``<prefix><tag>`` when ``oid`` is that or begins with it followed by ``-``, else None."""
    if not oid or not oid.startswith(prefix):
        return None
    rest = oid[len(prefix):].split("-")
    if len(rest) < 5 or subnet_of_tag("-".join(rest[:5])) is None:
        return None
    return prefix + "-".join(rest[:5])


# --- IP monitor (issue 13) ----------------------------------------------------------------
# One shared IP-level monitor per subnet with polling targets (the cluster field ip_monitor):
# ``fc-ping-<tag>``, a clone of ocf:pacemaker:ping (constraints ``fc-ping-<tag>-not-<node>``)
# writing the node attribute ``fc-ping-<tag>`` (how many targets answer). A package rule
# ``fc.<package>.net.<tag>`` that tests the attribute keeps it; the last such rule takes it away.
PING_PREFIX = "fc-ping-"


def ping_monitor_id(cidr):
    return PING_PREFIX + subnet_tag(cidr)


def ping_attribute(cidr):
    """The node attribute the subnet's IP monitor writes (the number of polling targets that answer)."""
    return PING_PREFIX + subnet_tag(cidr)


def ping_monitor_of(oid):
    """The IP monitor id ``fc-ping-<tag>`` an object belongs to (clone, primitive, constraints), or None."""
    return _monitor_with_prefix(oid, PING_PREFIX)


def monitor_of(oid):
    """The shared monitor (link level ``fc-subnet-<tag>`` or IP level ``fc-ping-<tag>``) an object
    belongs to, or None."""
    return subnet_monitor_of(oid) or ping_monitor_of(oid)
