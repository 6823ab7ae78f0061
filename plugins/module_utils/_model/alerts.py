# Copyright: failover.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Event notification: the cluster's ``alerts`` description compiled to Pacemaker alerts. Pure.

Serviceguard tells operations through its SNMP agent (cmsnmpd), HA Monitor through JP1 events;
Pacemaker calls *alert agents* (executables) for node, fencing and resource events, with the
event in ``CRM_alert_*`` environment variables. Each described alert becomes one
``<alert id="fc-alert-<name>">`` of the CIB's ``<alerts>`` section:

* ``kind: snmp`` - Pacemaker's own sample SNMP agent (Debian's pacemaker ships it as
  ``/usr/share/pacemaker/alerts/alert_snmp.sh.sample``; the cluster role installs it as
  :data:`SNMP_AGENT`) sends an SNMP trap (``snmptrap`` of the ``snmp`` package) to every
  recipient, which must be an IP address;
* ``kind: script`` - the operator's executable ``path``; Pacemaker runs it once per recipient
  with the recipient in ``CRM_alert_recipient`` (once without a recipient when none is given).

``events`` selects what an operator cares about: ``package`` (resource operations: a package
started, stopped or failed on a node), ``node`` (a node joined or was lost) and ``fencing``.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from . import ids
from .errors import Problems
from .fields import check_mapping, index, join, read_choice, read_list, read_name, read_path
from .net import AddressError, parse_address

SNMP_AGENT = "/usr/local/libexec/failover-cluster/alert_snmp.sh"
SNMP_AGENT_SAMPLE = "/usr/share/pacemaker/alerts/alert_snmp.sh.sample"
KINDS = ("snmp", "script")
EVENTS = {"package": "select_resources", "node": "select_nodes", "fencing": "select_fencing"}
DEFAULT_EVENTS = ("package", "node", "fencing")
# the SNMP sample agent's filter: which resource operations become a trap (failed monitors are
# the package failures; successful monitors never trap, trap_monitor_success stays false)
SNMP_RESOURCE_TASKS = "start,stop,monitor"
# the format the SNMP sample agent documents; scripts get microseconds
TIMESTAMP_FORMAT = {"snmp": "%Y-%m-%d,%H:%M:%S.%01N", "script": "%Y-%m-%d %H:%M:%S.%06N"}
NAME_MAX = 40
# Debian 12 has no IETF MIBs (SNMPv2-SMI is in the non-free snmp-mibs-downloader), so snmptrap cannot
# resolve the sample agent's PACEMAKER-MIB names; the installed agent names the objects by number
# (the OIDs of /usr/share/snmp/mibs/PCMK-MIB.txt, enterprise 32723) and needs no MIB file.
PCMK_OID = ".1.3.6.1.4.1.32723"
SNMP_OIDS = {
    '"${PREFIX}Trap"': PCMK_OID + ".2.1",
    '"${PREFIX}Node"': PCMK_OID + ".1.1",
    '"${PREFIX}Resource"': PCMK_OID + ".1.2",
    '"${PREFIX}Operation"': PCMK_OID + ".1.3",
    '"${PREFIX}Description"': PCMK_OID + ".1.4",
    '"${PREFIX}Status"': PCMK_OID + ".1.5",
    '"${PREFIX}ReturnCode"': PCMK_OID + ".1.6",
    '"${PREFIX}TargetReturnCode"': PCMK_OID + ".1.7",
    '"${PREFIX}AttributeName"': PCMK_OID + ".1.8",
    '"${PREFIX}AttributeValue"': PCMK_OID + ".1.9",
    "HOST-RESOURCES-MIB::hrSystemDate": ".1.3.6.1.2.1.25.1.2.0",
}
FIELDS = ("name", "kind", "path", "recipients", "events", "timestamp_format", "community", "attributes")
SHELL_META = set(";&|$`<>(){}[]*?!~'\"\\#%^ \t\r\n")
ATTRIBUTE_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
COMMUNITY_RE = re.compile(r"^[A-Za-z0-9._-]{1,32}$")
RESERVED_ATTRIBUTES = ("trap_resource_tasks", "trap_community", "trap_monitor_success")


def snmp_agent(sample):
    """The text of the SNMP agent the role installs: Pacemaker's sample with the MIB names as numeric OIDs.

    Raises ValueError when the sample does not hold every name (another Pacemaker release changed it).
    """
    missing = [name for name in SNMP_OIDS if name not in sample]
    if missing:
        raise ValueError("{0} does not look like Pacemaker's SNMP sample agent (missing {1})".format(
            SNMP_AGENT_SAMPLE, ", ".join(missing)))
    text = sample
    for name, oid in SNMP_OIDS.items():
        text = text.replace(name, oid if name.startswith("HOST") else '"{0}"'.format(oid))
    first, _sep, rest = text.partition("\n")
    note = ("# Installed by failover.cluster from {0}: the PACEMAKER-MIB and HOST-RESOURCES-MIB names are\n"
            "# numeric OIDs, so snmptrap needs no MIB file. Changes here are overwritten.\n").format(SNMP_AGENT_SAMPLE)
    return first + "\n" + note + rest


def _meta(text):
    return sorted(set(ch for ch in text if ch in SHELL_META or ord(ch) < 32), key=text.index)


def _read_recipient(problems, path, value, kind):
    if not isinstance(value, str) or not value:
        problems.error(path, "a recipient must be a non-empty string")
        return None
    bad = _meta(value)
    if bad:
        problems.error(path, "{0!r} contains shell metacharacters or spaces ({1}); a recipient is passed to the "
                             "alert agent and must not".format(value, " ".join(repr(c) for c in bad)))
        return None
    if kind == "snmp":
        try:
            return str(parse_address(value))
        except AddressError as exc:
            problems.error(path, "{0} (an SNMP trap recipient must be the receiver's IP address)".format(exc))
            return None
    return value


def _read_one(problems, path, item):
    if not check_mapping(problems, path, item, FIELDS, required=("name", "kind")):
        return None
    name = read_name(problems, join(path, "name"), item.get("name"), NAME_MAX, what="alert name")
    kind = read_choice(problems, join(path, "kind"), item.get("kind"), KINDS, None) if item.get("kind") else None
    alert = {"name": name, "kind": kind}
    agent = item.get("path")
    if kind == "script":
        if agent is None:
            problems.error(join(path, "path"), "is required for kind script (the operator's executable)")
        elif not isinstance(agent, str) or not agent.startswith("/"):
            problems.error(join(path, "path"), "{0!r} is not an absolute path (a script target must be named by its "
                                               "absolute path)".format(agent))
        else:
            agent = read_path(problems, join(path, "path"), agent, what="script path")
    elif kind == "snmp" and agent is not None:
        problems.error(join(path, "path"), "is only for kind script (kind snmp uses Pacemaker's SNMP sample agent, "
                                           "installed as {0})".format(SNMP_AGENT))
    alert["path"] = SNMP_AGENT if kind == "snmp" else agent
    recipients = read_list(problems, join(path, "recipients"), item.get("recipients"), allow_empty=kind != "snmp")
    alert["recipients"] = []
    for i, value in enumerate(recipients or []):
        got = _read_recipient(problems, index(join(path, "recipients"), i), value, kind)
        if got is not None and got in alert["recipients"]:
            problems.error(index(join(path, "recipients"), i), "{0} is listed twice".format(got))
        elif got is not None:
            alert["recipients"].append(got)
    events = read_list(problems, join(path, "events"), item.get("events"), allow_empty=False) \
        if item.get("events") is not None else list(DEFAULT_EVENTS)
    alert["events"] = []
    for i, event in enumerate(events or []):
        if event not in EVENTS:
            problems.error(index(join(path, "events"), i), "{0!r} is not an event name (allowed: {1})".format(
                event, ", ".join(DEFAULT_EVENTS)))
        elif event not in alert["events"]:
            alert["events"].append(event)
    alert["events"] = [e for e in DEFAULT_EVENTS if e in alert["events"]]
    fmt = item.get("timestamp_format")
    if fmt is not None and (not isinstance(fmt, str) or not fmt or any(ord(ch) < 32 for ch in fmt)):
        problems.error(join(path, "timestamp_format"), "must be a non-empty one-line string (a strftime format; "
                                                       "%N is Pacemaker's fraction of a second)")
    alert["timestamp_format"] = fmt if fmt is not None else TIMESTAMP_FORMAT.get(kind)
    community = item.get("community")
    if community is not None and kind != "snmp":
        problems.error(join(path, "community"), "is only for kind snmp")
    elif community is not None and (not isinstance(community, str) or not COMMUNITY_RE.match(community)):
        problems.error(join(path, "community"), "{0!r} is not a valid SNMP community (letters, digits, '.', '_' "
                                                "and '-', at most 32)".format(community))
    alert["community"] = (community or "public") if kind == "snmp" else None
    attributes = item.get("attributes") or {}
    alert["attributes"] = {}
    if not isinstance(attributes, dict):
        problems.error(join(path, "attributes"), "must be a mapping of names to values")
        attributes = {}
    for key in sorted(attributes, key=str):
        value = attributes[key]
        apath = join(join(path, "attributes"), str(key))
        if not isinstance(key, str) or not ATTRIBUTE_RE.match(key):
            problems.error(apath, "is not a valid attribute name (letters, digits and '_', not starting with a "
                                  "digit: it becomes an environment variable of the agent)")
        elif kind == "snmp" and key in RESERVED_ATTRIBUTES:
            problems.error(apath, "is set by the collection (use {0})".format(
                "community" if key == "trap_community" else "events"))
        elif not isinstance(value, (str, int, float, bool)) or any(ord(ch) < 32 for ch in str(value)):
            problems.error(apath, "must be a one-line string or number")
        else:
            alert["attributes"][key] = (str(value).lower() if isinstance(value, bool) else str(value))
    return alert


def validate_alerts(spec, field="cluster_alerts"):
    """Validate the ``alerts`` description; return the normalized list or raise SpecError (every problem)."""
    problems = Problems()
    items = read_list(problems, field, spec)
    alerts = []
    seen = set()
    for i, item in enumerate(items or []):
        alert = _read_one(problems, index(field, i), item)
        if alert is None:
            continue
        if alert["name"] is not None and alert["name"] in seen:
            problems.error(join(index(field, i), "name"), "{0!r} is used by another alert".format(alert["name"]))
        seen.add(alert["name"])
        alerts.append(alert)
    problems.raise_if_any()
    return alerts


def alert_problems(spec, field="cluster_alerts"):
    """Every problem of the description as a list of messages (empty when valid)."""
    problems = Problems()
    try:
        validate_alerts(spec, field)
    except ValueError as exc:
        problems.errors.extend(getattr(exc, "errors", [str(exc)]))
    return problems.errors


def _nvset(parent, tag, set_id, values):
    if not values:
        return
    nvset = ET.SubElement(parent, tag, {"id": set_id})
    for name in sorted(values):
        ET.SubElement(nvset, "nvpair", {"id": "{0}-{1}".format(set_id, name.replace("_", "-")), "name": name,
                                        "value": values[name]})


def compile_alert(alert):
    """One normalized alert -> ``<alert id="fc-alert-<name>">`` (an ElementTree element)."""
    aid = ids.alert_id(alert["name"])
    element = ET.Element("alert", {"id": aid, "path": alert["path"]})
    _nvset(element, "meta_attributes", aid + "-meta", {"timestamp-format": alert["timestamp_format"]})
    instance = dict(alert["attributes"])
    if alert["kind"] == "snmp":
        instance.update({"trap_community": alert["community"], "trap_resource_tasks": SNMP_RESOURCE_TASKS})
    _nvset(element, "instance_attributes", aid + "-attributes", instance)
    select = ET.SubElement(element, "select")
    for event in alert["events"]:
        ET.SubElement(select, EVENTS[event])
    for i, recipient in enumerate(alert["recipients"]):
        ET.SubElement(element, "recipient", {"id": "{0}-recipient-{1}".format(aid, i + 1), "value": recipient})
    return element


def compile_alerts(alerts):
    """Normalized alerts -> ``{alert id: element}``."""
    return {ids.alert_id(a["name"]): compile_alert(a) for a in alerts}


def canonical(element):
    """A comparable form of an alert element (attribute order and whitespace do not matter)."""
    return (element.tag, tuple(sorted(element.attrib.items())),
            tuple(canonical(child) for child in element))


def merge_alerts(cib_root, desired):
    """Replace the collection's ``fc-alert-*`` alerts of ``cib_root`` (in place) by ``desired``.

    Foreign alerts stay as they are. Returns ``{"added": [...], "removed": [...], "changed": [...]}``
    (alert ids) and the before/after elements of what differs.
    """
    conf = cib_root.find("configuration")
    if conf is None:
        conf = ET.SubElement(cib_root, "configuration")
    section = conf.find("alerts")
    live = {}
    if section is not None:
        live = {el.get("id"): el for el in section.findall("alert") if ids.classify(el.get("id"))[0] == "alert"}
    changes = {"added": sorted(k for k in desired if k not in live),
               "removed": sorted(k for k in live if k not in desired),
               "changed": sorted(k for k in desired if k in live and canonical(desired[k]) != canonical(live[k]))}
    before = [live[k] for k in sorted(changes["removed"] + changes["changed"])]
    after = [desired[k] for k in sorted(changes["added"] + changes["changed"])]
    if any(changes.values()):
        if section is None:
            section = ET.SubElement(conf, "alerts")
        for key in changes["removed"] + changes["changed"]:
            section.remove(live[key])
        for key in changes["added"] + changes["changed"]:
            section.append(desired[key])
        if len(section) == 0:
            conf.remove(section)
    return changes, before, after
