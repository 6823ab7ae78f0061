# Copyright: failover.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lock LUN's fencing resource: compiled, merged into a live CIB, read back.

Serviceguard's cluster lock LUN becomes SBD on Linux (``roles/lock_lun``). Pacemaker fences
through it with one ``stonith:fence_sbd`` resource that names the lock disks. The resource
belongs to the cluster, not to a package; its id comes from :mod:`.ids` (``fc.sbd-fencing``,
which is why ``sbd-fencing`` may not be a package name).

Pure functions, no I/O: :func:`compile_fencing` builds the element, :func:`merge_fencing` puts
it into (or takes it out of) a live CIB for the apply engine, :func:`fencing_from_cib` reads
what the cluster has.
"""

from __future__ import annotations

import copy
import xml.etree.ElementTree as ET

from . import ids
from .errors import CompileError

AGENT_CLASS = "stonith"
AGENT_TYPE = "fence_sbd"
DESCRIPTION = "managed by failover.cluster: fencing through the lock LUN"
MONITOR_INTERVAL = "60s"
MONITOR_TIMEOUT = "30s"
DEVICE_SEPARATOR = ","  # fence_sbd's devices parameter: a comma-separated list


def _devices(devices):
    if isinstance(devices, str) or not devices:
        raise CompileError("fencing: devices must be a non-empty list of disk paths")
    result = []
    for device in devices:
        if not isinstance(device, str) or not device.startswith("/") or DEVICE_SEPARATOR in device \
                or any(c.isspace() for c in device):
            raise CompileError("fencing: devices: {0!r} is not an absolute disk path without commas or "
                               "spaces".format(device))
        if device not in result:
            result.append(device)
    return result


def compile_fencing(devices):
    """The ``<primitive>`` of the fencing resource for the lock disks ``devices`` (a list of paths)."""
    rid = ids.fencing_id()
    prim = ET.Element("primitive", {"id": rid, "class": AGENT_CLASS, "type": AGENT_TYPE, "description": DESCRIPTION})
    params = ET.SubElement(prim, "instance_attributes", {"id": ids.fencing_part_id("ia")})
    ET.SubElement(params, "nvpair", {"id": ids.fencing_part_id("ia-devices"), "name": "devices",
                                     "value": DEVICE_SEPARATOR.join(_devices(devices))})
    operations = ET.SubElement(prim, "operations")
    ET.SubElement(operations, "op", {"id": ids.fencing_part_id("monitor"), "name": "monitor",
                                     "interval": MONITOR_INTERVAL, "timeout": MONITOR_TIMEOUT})
    return prim


def _parse(cib_xml):
    if not isinstance(cib_xml, str):
        return cib_xml
    try:
        return ET.fromstring(cib_xml)
    except ET.ParseError as exc:
        raise CompileError("the live CIB is not valid XML: {0}".format(exc)) from None


def _resources(root):
    conf = root.find("configuration")
    if conf is None:
        raise CompileError("the live CIB has no <configuration> element")
    node = conf.find("resources")
    if node is None:
        node = ET.SubElement(conf, "resources")
    return node


def merge_fencing(live_cib_xml, desired):
    """The live CIB with the fencing resource replaced by ``desired`` (an element from
    :func:`compile_fencing`), or removed when ``desired`` is None. Everything else stays as it was;
    a live resource with the fencing id keeps its place and its meta attributes (target-role, ...)."""
    root = _parse(live_cib_xml)
    resources = _resources(root)
    rid = ids.fencing_id()
    live = None
    for element in resources:
        if element.get("id") == rid:
            live = element
            break
    if live is not None and live.tag != "primitive":
        raise CompileError("the CIB has a {0} {1} that is not the fencing resource; rename or remove it".format(
            live.tag, rid))
    if desired is None:
        if live is not None:
            resources.remove(live)
        return ET.tostring(root, encoding="unicode")
    new = copy.deepcopy(desired)
    if live is None:
        resources.append(new)
    else:
        for block in live.findall("meta_attributes"):  # an operator's (or a tool's) runtime settings
            new.append(copy.deepcopy(block))
        new.tail = live.tail
        position = list(resources).index(live)
        resources.remove(live)
        resources.insert(position, new)
    return ET.tostring(root, encoding="unicode")


def fencing_from_cib(cib_xml):
    """What the CIB holds for the fencing resource: ``{"id", "present", "agent", "devices"}``."""
    root = _parse(cib_xml)
    rid = ids.fencing_id()
    found = None
    for element in root.iter("primitive"):
        if element.get("id") == rid:
            found = element
            break
    if found is None:
        return {"id": rid, "present": False, "agent": None, "devices": []}
    devices = []
    for pair in found.iter("nvpair"):
        if pair.get("name") == "devices" and pair.get("value"):
            devices = [d for d in pair.get("value").split(DEVICE_SEPARATOR) if d]
    return {"id": rid, "present": True, "agent": "{0}:{1}".format(found.get("class"), found.get("type")),
            "devices": devices}
