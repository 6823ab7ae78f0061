# Copyright: failover.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parsers that turn the cluster's own status output into a cmviewcl -v style view.

Pure functions, no I/O: the callers hand in the text that ``crm_mon --output-as=xml``
and ``corosync-quorumtool -s`` printed. Everything here is private to the collection.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from ansible_collections.failover.cluster.plugins.module_utils import _switch
from ansible_collections.failover.cluster.plugins.module_utils._model import ids, monitoring
from ansible_collections.failover.cluster.plugins.module_utils._model.fencing import fencing_from_cib

# Location constraints whose id starts with this prefix are how the collection pins a
# package to its node when an operator disables switching (cmmodpkg -d).
SWITCHING_BAN_PREFIX = ids.NOSWITCH_PREFIX


class StatusParseError(ValueError):
    """Raised when status output is not what the cluster tools print."""


def _bool(value):
    return str(value).lower() == "true"


def _node_state(attrs):
    """Serviceguard-like state of one node from crm_mon's node attributes."""
    if _bool(attrs.get("unclean")):
        return "unclean"
    if not _bool(attrs.get("online")):
        return "pending" if _bool(attrs.get("pending")) else "down"
    if _bool(attrs.get("maintenance")):
        return "maintenance"
    if _bool(attrs.get("standby")) or _bool(attrs.get("standby_onfail")):
        return "standby"
    return "up"


def _parse_resource(elem):
    nodes = [n.get("name") for n in elem.findall("node")]
    return {
        "id": elem.get("id"),
        "agent": elem.get("resource_agent"),
        "role": elem.get("role"),
        "target_role": elem.get("target_role"),
        "active": _bool(elem.get("active")),
        "failed": _bool(elem.get("failed")),
        "managed": _bool(elem.get("managed", "true")),
        "blocked": _bool(elem.get("blocked")),
        "pending": elem.get("pending"),
        "nodes": nodes,
    }


def _package_state(resources):
    """Summarise member resources the way cmviewcl reports a package."""
    if not resources:
        return "halted"
    if any(r["failed"] or r["blocked"] for r in resources):
        return "failed"
    active = [r["active"] for r in resources]
    if all(active):
        return "running"
    if any(active):
        return "partial"
    return "halted"


def _package(kind, name, members, attrs, bans):
    nodes = []
    for res in members:
        for node in res["nodes"]:
            if node not in nodes:
                nodes.append(node)
    pinned = [b for b in bans if b["resource"] == name and b["id"].startswith(SWITCHING_BAN_PREFIX)]
    return {
        "name": name,
        "kind": kind,
        "state": _package_state(members),
        "node": nodes[0] if len(nodes) == 1 else None,
        "nodes": nodes,
        "managed": _bool(attrs.get("managed", "true")),
        "disabled": _bool(attrs.get("disabled")),
        "switching_enabled": not pinned,
        "resources": members,
    }


def _parse_bans(root):
    bans = []
    for ban in root.findall("./bans/ban"):
        bans.append(
            {
                "id": ban.get("id"),
                "resource": ban.get("resource"),
                "node": ban.get("node"),
                "weight": ban.get("weight"),
            }
        )
    return bans


def parse_crm_mon_xml(text):
    """Parse ``crm_mon -1 --output-as=xml`` into nodes, packages and failures.

    Groups, clones and stand-alone primitives are all reported as packages, since that
    is what an operator moves; each carries its member resources.
    """
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise StatusParseError(f"crm_mon output is not XML: {exc}") from exc
    if root.tag != "pacemaker-result":
        raise StatusParseError(f"crm_mon output has root <{root.tag}>, expected <pacemaker-result>")
    status = root.find("status")
    if status is not None and status.get("code") not in (None, "0"):
        errors = "; ".join(e.text.strip() for e in status.iter("error") if e.text)
        detail = f": {errors}" if errors else ""
        raise StatusParseError(f"crm_mon failed: {status.get('message')} (code {status.get('code')}){detail}")

    summary = root.find("summary")
    if summary is None:
        raise StatusParseError("crm_mon output has no <summary>: is the cluster running?")
    dc = summary.find("current_dc")
    options = summary.find("cluster_options")
    pacemakerd = root.find("pacemakerd")
    cluster = {
        "stack": (summary.find("stack").get("type") if summary.find("stack") is not None else None),
        "dc": dc.get("name") if dc is not None and _bool(dc.get("present")) else None,
        "quorate": bool(dc is not None and _bool(dc.get("with_quorum"))),
        "pacemaker_version": dc.get("version") if dc is not None else None,
        "pacemakerd_state": pacemakerd.get("state") if pacemakerd is not None else None,
        "stonith_enabled": _bool(options.get("stonith-enabled")) if options is not None else None,
        "maintenance_mode": _bool(options.get("maintenance-mode")) if options is not None else None,
        "no_quorum_policy": options.get("no-quorum-policy") if options is not None else None,
    }

    nodes = []
    for node in root.findall("./nodes/node"):
        attrs = node.attrib
        nodes.append(
            {
                "name": attrs.get("name"),
                "id": attrs.get("id"),
                "state": _node_state(attrs),
                "online": _bool(attrs.get("online")),
                "is_dc": _bool(attrs.get("is_dc")),
                "type": attrs.get("type"),
                "resources_running": int(attrs.get("resources_running", "0")),
            }
        )

    bans = _parse_bans(root)
    packages = []
    resources_elem = root.find("resources")
    for child in list(resources_elem) if resources_elem is not None else []:
        if child.tag == "group":
            members = [_parse_resource(r) for r in child.findall("resource")]
            packages.append(_package("group", child.get("id"), members, child.attrib, bans))
        elif child.tag == "clone":
            members = [_parse_resource(r) for r in child.iter("resource")]
            packages.append(_package("clone", child.get("id"), members, child.attrib, bans))
        elif child.tag == "resource":
            member = _parse_resource(child)
            packages.append(_package("primitive", child.get("id"), [member], child.attrib, bans))
        elif child.tag == "bundle":
            members = [_parse_resource(r) for r in child.iter("resource")]
            packages.append(_package("bundle", child.get("id"), members, child.attrib, bans))

    failures = []
    for failure in root.findall("./failures/failure"):
        attrs = failure.attrib
        op_key = attrs.get("op_key", "")
        task = attrs.get("task", "")
        interval = attrs.get("interval", "0")
        suffix = f"_{task}_{interval}"
        resource = op_key[: -len(suffix)] if op_key.endswith(suffix) else op_key
        failures.append(
            {
                "resource": resource,
                "node": attrs.get("node"),
                "task": task,
                "exitstatus": attrs.get("exitstatus"),
                "exitreason": attrs.get("exitreason"),
                "exitcode": int(attrs.get("exitcode", "0")),
                "last_rc_change": attrs.get("last-rc-change"),
            }
        )
    packages = _fold_link_stations(packages, failures)
    return {"cluster": cluster, "nodes": nodes, "packages": packages, "failed_actions": failures, "bans": bans}


def _link_station_entry(name, res, failures):
    """One link station of a parallel SNA package: ``name``, ``id``, ``node``, ``state`` (running,
    stopped, failed) and ``failure``: the failed action that says most (one with the agent's reason -
    which carries the SNA product's own code -, else any; the latest, a start before a monitor at
    the same second) - node, task, exitstatus, exitreason, last_rc_change -, or None."""
    mine = [f for f in failures if f["resource"] == res["id"]]
    failure = None
    if mine:
        told = [f for f in mine if f["exitreason"]] or mine
        best = max(told, key=lambda f: (f["last_rc_change"] or "", f["task"] == "start"))
        failure = {k: best[k] for k in ("node", "task", "exitstatus", "exitreason", "last_rc_change")}
    if res["active"] and not res["failed"]:
        state = "running"
    elif res["failed"] or res["blocked"] or mine:
        state = "failed"
    else:
        state = "stopped"
    return {"name": name, "id": res["id"], "node": res["nodes"][0] if len(res["nodes"]) == 1 else None,
            "state": state, "failure": failure}


def _fold_link_stations(packages, failures):
    """The link stations of an SNA package started in parallel are primitives of their own next to the
    package's group (``fc.<package>.ls.<name>``): fold them into that package. Its ``resources`` then
    list them after the group's members (so whoever waits for every member waits for them too), its
    ``link_stations`` describe each, and its ``state`` is ``degraded`` when the group runs but a link
    station does not (``failed_link_stations`` name them with the reason)."""
    tops = {pkg["name"]: pkg for pkg in packages}
    kept = []
    for pkg in packages:
        owner = ids.link_station_of(pkg["name"]) if pkg["kind"] == "primitive" else None
        top = tops.get(ids.resource_id(owner[0])) if owner else None
        if top is None or top["kind"] != "group":
            kept.append(pkg)
            continue
        res = dict(pkg["resources"][0], link_station=owner[1])
        top.setdefault("link_stations", []).append(_link_station_entry(owner[1], res, failures))
        top.setdefault("_ls_resources", []).append(res)
    for pkg in kept:
        extra = pkg.pop("_ls_resources", [])
        if not extra:
            continue
        group_state = pkg["state"]
        pkg["resources"] = pkg["resources"] + extra
        for res in extra:
            for node in res["nodes"]:
                if node not in pkg["nodes"]:
                    pkg["nodes"].append(node)
        pkg["node"] = pkg["nodes"][0] if len(pkg["nodes"]) == 1 else None
        failed = [ls for ls in pkg["link_stations"] if ls["state"] != "running"]
        pkg["failed_link_stations"] = [ls for ls in failed if ls["state"] == "failed"]
        if group_state == "running" and failed:
            pkg["state"] = "degraded"
        elif group_state == "halted" and any(r["active"] for r in extra):
            pkg["state"] = "partial"
    return kept


_KV = re.compile(r"^(?P<key>[A-Za-z][A-Za-z ]*?):\s*(?P<value>.*?)\s*$")
_MEMBER = re.compile(
    r"^\s*(?P<nodeid>\d+)\s+(?P<votes>\d+)\s+(?:(?P<qdevice>[A-Z,]+)\s+)?(?P<name>\S+)(?P<local> \(local\))?\s*$"
)


def parse_quorumtool(text):
    """Parse ``corosync-quorumtool -s`` into votes, flags, qdevice and members."""
    fields = {}
    members = []
    section = None
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or set(stripped) == {"-"}:
            continue
        if stripped.endswith("information"):
            section = stripped
            continue
        if section == "Membership information":
            if stripped.startswith("Nodeid"):
                continue
            match = _MEMBER.match(line)
            if match:
                members.append(
                    {
                        "nodeid": int(match.group("nodeid")),
                        "votes": int(match.group("votes")),
                        "qdevice": match.group("qdevice").split(",") if match.group("qdevice") else [],
                        "name": match.group("name"),
                        "local": bool(match.group("local")),
                    }
                )
            continue
        match = _KV.match(stripped)
        if match:
            fields[match.group("key").strip().lower().replace(" ", "_")] = match.group("value")
    if "quorate" not in fields:
        raise StatusParseError("corosync-quorumtool output has no 'Quorate:' line: is corosync running?")

    def _int(key):
        value = fields.get(key)
        return int(value.split()[0]) if value and value.split()[0].isdigit() else None

    flags = fields.get("flags", "").split()
    qdevice_members = [m for m in members if m["name"] == "Qdevice"]
    nodes = [m for m in members if m["name"] != "Qdevice"]
    return {
        "quorate": fields["quorate"].lower() == "yes",
        "provider": fields.get("quorum_provider"),
        "ring_id": fields.get("ring_id"),
        "expected_votes": _int("expected_votes"),
        "total_votes": _int("total_votes"),
        "quorum": _int("quorum"),
        "flags": flags,
        "qdevice": {
            "configured": "Qdevice" in flags or bool(qdevice_members),
            "votes": qdevice_members[0]["votes"] if qdevice_members else 0,
        },
        "members": nodes,
    }


def cluster_view(crm_mon, quorum=None):
    """Merge the parsed crm_mon and quorumtool results into one view."""
    view = dict(crm_mon)
    view["quorum"] = quorum
    if quorum is not None:
        votes = {m["name"]: m for m in quorum["members"]}
        for node in view["nodes"]:
            member = votes.get(node["name"])
            node["votes"] = member["votes"] if member else 0
            node["qdevice"] = member["qdevice"] if member else []
    return view


def render_table(view):
    """Render a view as text in the spirit of ``cmviewcl -v``."""
    cluster = view["cluster"]
    quorum = view.get("quorum") or {}
    lines = []
    state = "up" if cluster.get("dc") else "down"
    lines.append(f"{'CLUSTER':<20}{'STATUS':<12}{'QUORATE':<10}{'DC':<16}")
    quorate = "yes" if cluster.get("quorate") else "no"
    lines.append(f"{view.get('name') or '-':<20}{state:<12}{quorate:<10}{cluster.get('dc') or '-':<16}")
    if quorum:
        qd = quorum.get("qdevice") or {}
        lines.append(
            f"  votes {quorum.get('total_votes')}/{quorum.get('expected_votes')} quorum {quorum.get('quorum')}"
            f"  flags {' '.join(quorum.get('flags', [])) or '-'}"
            f"  qdevice {'configured, votes ' + str(qd.get('votes')) if qd.get('configured') else 'none'}"
        )
    lines.append("")
    lines.append(f"  {'NODE':<18}{'STATUS':<14}{'DC':<5}{'RUNNING':<8}")
    for node in view["nodes"]:
        lines.append(
            f"  {node['name']:<18}{node['state']:<14}{'*' if node['is_dc'] else '':<5}{node['resources_running']:<8}"
        )
    lines.append("")
    lines.append(f"  {'PACKAGE':<18}{'STATUS':<10}{'NODE':<16}{'SWITCHING':<10}")
    for pkg in view["packages"]:
        where = pkg["node"] or (",".join(pkg["nodes"]) if pkg["nodes"] else "-")
        switching = pkg.get("switching") or ("enabled" if pkg["switching_enabled"] else "disabled")
        lines.append(f"  {pkg['name']:<18}{pkg['state']:<10}{where:<16}{switching:<10}")
        for rule in pkg.get("restrictions") or []:
            until = f" until {rule['expires']}" if rule.get("expires") else ""
            to = f", to {rule['node']}" if rule.get("node") else ""
            lines.append(f"    restricted by {rule['id']} ({rule['kind']}{to}{until})")
        for res in pkg["resources"] if pkg["kind"] != "primitive" else []:
            lines.append(f"    {res['id']:<24}{res['role'] or '-':<10}{','.join(res['nodes']) or '-'}")
    fence = view.get("fencing")
    if fence and fence.get("present"):
        lines.append("")
        where = f" on {fence['node']}" if fence.get("node") else ""
        devices = ",".join(fence["devices"])
        lines.append(f"  FENCING {fence['id']} ({fence['agent']}) {fence['state']}{where}: {devices}")
    if view["failed_actions"]:
        lines.append("")
        lines.append("  FAILED ACTIONS")
        for fail in view["failed_actions"]:
            reason = f" ({fail['exitreason']})" if fail["exitreason"] else ""
            lines.append(f"    {fail['resource']} {fail['task']} on {fail['node']}: {fail['exitstatus']}{reason}")
    extra = "\n".join(part.lstrip("\n") for part in (render_subnets(view), render_generic_resources(view)) if part)
    return "\n".join(lines) + ("\n" + extra if extra else "")


# ---------------------------------------------------------------------------------------
# what the CIB adds to crm_mon's view: declared names, IPs, dependents, restrictions
IP_TYPES = ("IPaddr2", "ip")


def _configuration(root):
    conf = root.find("configuration")
    return conf if conf is not None else ET.Element("configuration")


def annotate_with_cib(view, cib_xml, now=None):
    """Add to each package of ``view`` what only the CIB knows: the name the user declared
    (``package``), its relocatable IPs (``ips``), the packages that depend on it (``dependents``)
    and every constraint that limits where it may run (``restrictions``: switching pins, runbook
    rules with their expiry, crm_resource --move/--ban). ``switching`` becomes ``enabled``,
    ``disabled`` (a switching pin) or ``restricted`` (a runbook rule or a move constraint in
    force), and ``switching_enabled`` is true only when nothing limits the package."""
    root = ET.fromstring(cib_xml) if isinstance(cib_xml, str) else cib_xml
    conf = _configuration(root)
    ips, declared = {}, {}
    resources = conf.find("resources")
    for top in list(resources) if resources is not None else []:
        rid = top.get("id")
        for nv in top.iter("nvpair"):
            if nv.get("name") == "failover-cluster-package":
                declared[rid] = nv.get("value")
        for prim in top.iter("primitive"):
            if prim.get("type") in IP_TYPES:
                for nv in prim.iter("nvpair"):
                    if nv.get("name") == "ip":
                        ips.setdefault(rid, []).append(nv.get("value"))
    dependents = {}
    constraints = conf.find("constraints")
    for element in list(constraints) if constraints is not None else []:
        kind, owner = ids.classify(element.get("id"))
        if kind != "package_part" or ".dep." not in element.get("id", ""):
            continue
        needed = element.get("with-rsc") or element.get("first")
        dependent = ids.resource_id(owner)
        if needed and needed != dependent:
            deps = dependents.setdefault(needed, [])
            if owner not in deps:
                deps.append(owner)
    restrictions = _switch.restrictions(root, now)
    for pkg in view["packages"]:
        rid = pkg["name"]
        pkg["package"] = declared.get(rid) or ids.package_of_resource(rid)
        pkg["ips"] = ips.get(rid, [])
        pkg["dependents"] = sorted(dependents.get(rid, []))
        mine = [r for r in restrictions if r["resource"] == rid and r["in_force"]]
        pkg["restrictions"] = mine
        if any(r["kind"] == "pin" for r in mine):
            pkg["switching"] = "disabled"
        elif mine:
            pkg["switching"] = "restricted"
        else:
            pkg["switching"] = "enabled"
        pkg["switching_enabled"] = not mine
    view["restrictions"] = restrictions
    view["fencing"] = fencing_view(view, root)
    return view


def fencing_view(view, cib_root):
    """The lock LUN's fencing resource: ``id``, ``present``, ``agent``, ``devices`` (from the CIB) and
    ``state`` / ``node`` (from crm_mon: ``running``, ``halted``, ``failed``; ``absent`` when the CIB has
    none)."""
    result = fencing_from_cib(cib_root)
    seen = [pkg for pkg in view["packages"] if pkg["name"] == result["id"]]
    if not result["present"]:
        result.update(state="absent", node=None)
    elif seen:
        result.update(state=seen[0]["state"], node=seen[0]["node"])
    else:
        result.update(state="halted", node=None)
    return result


def parse_cmap_nodelist(text):
    """``corosync-cmapctl -b nodelist.node`` -> {node name: its first heartbeat address (ring0_addr)}."""
    fields = {}
    for line in (text or "").splitlines():
        key, sep, value = line.partition("=")
        if not sep:
            continue
        path = key.split("(")[0].strip().split(".")
        if len(path) == 4 and path[:2] == ["nodelist", "node"]:
            fields.setdefault(path[2], {})[path[3]] = value.strip()
    return {f["name"]: f["ring0_addr"] for f in fields.values() if "name" in f and "ring0_addr" in f}


# ---------------------------------------------------------------------------------------
# generic resources (issue 13): the value of each fc-gr-<name> node attribute, as cmviewcl -v shows them
def node_attributes(root):
    """{node: {attribute: value}} from a parsed CIB: the permanent ones (nodes section), then the
    transient ones (status section), which win as they do in Pacemaker's rules."""
    result = {}
    conf = _configuration(root)
    for node in conf.findall("./nodes/node"):
        values = result.setdefault(node.get("uname"), {})
        for pair in node.findall("./instance_attributes/nvpair"):
            values[pair.get("name")] = pair.get("value")
    for name, values in transient_attributes(root).items():
        result.setdefault(name, {}).update(values)
    return result


def transient_attributes(root):
    """{node: {attribute: value}} of the transient node attributes, from a parsed CIB or its
    ``status`` section alone (``cibadmin --query --scope status``)."""
    status = root if root.tag == "status" else root.find("status")
    result = {}
    for state in status.findall("./node_state") if status is not None else ():
        values = result.setdefault(state.get("uname"), {})
        for pair in state.findall("./transient_attributes/instance_attributes/nvpair"):
            values[pair.get("name")] = pair.get("value")
    return result


def annotate_generic_resources(view, cib_xml):
    """Add ``generic_resources`` to ``view`` (one entry per resource that a package names or a node
    holds: ``name``, ``kind``, ``up_criteria``, ``evaluation``, ``packages`` and per node ``value`` and
    ``up``) and to each node ``generic_resources`` ({name: value})."""
    root = ET.fromstring(cib_xml) if isinstance(cib_xml, str) else cib_xml
    declared = monitoring.generic_resources_of_cib(root)
    attributes = node_attributes(root)
    values = {}
    for node, attrs in attributes.items():
        for attr, value in attrs.items():
            name = ids.generic_resource_of_attribute(attr)
            if name:
                values.setdefault(name, {})[node] = value
    entries = []
    for name in sorted(set(declared) | set(values)):
        use = declared.get(name) or {}
        criteria = use.get("up_criteria")
        one_criteria = len(use.get("criteria") or []) <= 1
        per_node = []
        for node in view.get("nodes", []):
            value = values.get(name, {}).get(node["name"])
            up = monitoring.is_up(value, criteria) if use and one_criteria else None
            per_node.append({"node": node["name"], "value": value, "up": up})
        entries.append({
            "name": name,
            "kind": None if not use else ("simple" if criteria is None else "extended"),
            "up_criteria": [str(c) for c in use.get("criteria") or []],
            "evaluation": use.get("evaluation"),
            "packages": list(use.get("packages") or []),
            "nodes": per_node,
        })
    for node in view.get("nodes", []):
        node["generic_resources"] = {e["name"]: v["value"] for e in entries for v in e["nodes"]
                                     if v["node"] == node["name"] and v["value"] is not None}
    view["generic_resources"] = entries
    return view


def render_generic_resources(view):
    """The generic resources section of the table (empty when there are none)."""
    entries = view.get("generic_resources") or []
    if not entries:
        return ""
    lines = ["", "  GENERIC RESOURCES", f"    {'NAME':<20}{'NODE':<16}{'VALUE':<10}{'UP':<6}PACKAGES"]
    for entry in entries:
        for value in entry["nodes"]:
            up = "-" if value["up"] is None else ("yes" if value["up"] else "no")
            lines.append(f"    {entry['name']:<20}{value['node']:<16}{value['value'] or '-':<10}{up:<6}"
                         f"{','.join(entry['packages']) or '-'}")
    return "\n".join(lines)


def annotate_subnets(view, cib_xml):
    """Add ``subnets`` to ``view``: every monitored subnet (a ``fc-subnet-<tag>`` monitor or node
    attribute) with the packages whose rules name it, its IP monitor's ``polling_targets`` and per node
    ``value`` (1 up, 0 down, null when the monitor does not run there) and ``up``, and at IP level
    ``targets_answering`` (the ``fc-ping-<tag>`` attribute) and ``ip_up``; and to each node ``subnets``
    ({subnet: up})."""
    root = ET.fromstring(cib_xml) if isinstance(cib_xml, str) else cib_xml
    conf = _configuration(root)
    users = {}
    constraints = conf.find("constraints")
    for element in list(constraints) if constraints is not None else []:
        subnet = ids.subnet_of_rule_id(element.get("id"))
        if subnet:
            users.setdefault(subnet, []).append(ids.classify(element.get("id"))[1])
    values, polled = {}, {}
    for node, attrs in node_attributes(root).items():
        for attr, value in attrs.items():
            for prefix, found in ((ids.SUBNET_PREFIX, values), (ids.PING_PREFIX, polled)):
                if attr.startswith(prefix) and ids.monitor_of(attr) == attr:
                    found.setdefault(ids.subnet_of_tag(attr[len(prefix):]), {})[node] = value
    targets = _polling_targets(conf)
    entries = []
    for subnet in sorted(set(users) | set(values) | set(targets)):
        per_node = []
        for node in view.get("nodes", []):
            value = values.get(subnet, {}).get(node["name"])
            answering = polled.get(subnet, {}).get(node["name"])
            per_node.append({"node": node["name"], "value": value, "up": _count_up(value),
                             "targets_answering": answering, "ip_up": _count_up(answering)})
        entries.append({"subnet": subnet, "packages": sorted(users.get(subnet, [])),
                        "polling_targets": targets.get(subnet, []), "nodes": per_node})
    for node in view.get("nodes", []):
        node["subnets"] = {e["subnet"]: v["up"] for e in entries for v in e["nodes"] if v["node"] == node["name"]}
    view["subnets"] = entries
    return view


def _count_up(value):
    """A monitor attribute (link 1/0, IP monitor: targets answering) -> up (None when not set)."""
    return None if value is None else value.strip() not in ("", "0")


def _polling_targets(conf):
    """{subnet: [target, ...]} of the IP monitors (``fc-ping-<tag>`` clones) in the configuration."""
    result = {}
    resources = conf.find("resources")
    for clone in list(resources) if resources is not None else []:
        cid = clone.get("id") or ""
        if clone.tag != "clone" or not cid.startswith(ids.PING_PREFIX) or ids.monitor_of(cid) != cid:
            continue
        for pair in clone.iter("nvpair"):
            if pair.get("name") == "host_list":
                result[ids.subnet_of_tag(cid[len(ids.PING_PREFIX):])] = (pair.get("value") or "").split()
    return result


def render_subnets(view):
    """The monitored subnets section of the table (empty when there are none)."""
    entries = view.get("subnets") or []
    if not entries:
        return ""
    lines = ["", "  MONITORED SUBNETS", f"    {'SUBNET':<20}{'NODE':<16}{'STATUS':<10}{'IP LEVEL':<14}PACKAGES"]
    for entry in entries:
        targets = len(entry.get("polling_targets") or [])
        for value in entry["nodes"]:
            status = "-" if value["up"] is None else ("up" if value["up"] else "down")
            ip_level = "-"
            if value.get("ip_up") is not None:
                ip_level = "{0} {1}/{2}".format("up" if value["ip_up"] else "down", value["targets_answering"], targets)
            users = ",".join(entry["packages"]) or "-"
            lines.append(f"    {entry['subnet']:<20}{value['node']:<16}{status:<10}{ip_level:<14}{users}")
        if targets:
            lines.append(f"    {'':<20}POLLING_TARGET {' '.join(entry['polling_targets'])}")
    return "\n".join(lines)
