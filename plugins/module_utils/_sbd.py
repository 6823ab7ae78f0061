# Copyright: failover.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""SBD lock disks: parse ``sbd dump`` / ``sbd list`` and decide what may be done to a disk.

Pure functions. An SBD header does not record a cluster name, so a disk's owner is known by
the node names in its allocated slots: the collection allocates a slot for every member
when it creates a header, and a disk whose slots name other nodes belongs to another cluster.
"""

from __future__ import annotations

import re

_HEADER_LINE = re.compile(r"^(?P<key>[A-Za-z][A-Za-z ()]*?)\s*:\s*(?P<value>.*?)\s*$")
_HEADER_KEYS = {
    "Header version": "version",
    "UUID": "uuid",
    "Number of slots": "slots",
    "Sector size": "sector_size",
    "Timeout (watchdog)": "watchdog_timeout",
    "Timeout (allocate)": "allocate_timeout",
    "Timeout (loop)": "loop_timeout",
    "Timeout (msgwait)": "msgwait_timeout",
}
_INT_KEYS = {"slots", "sector_size", "watchdog_timeout", "allocate_timeout", "loop_timeout", "msgwait_timeout"}


def parse_dump(text):
    """Header fields of ``sbd -d DEV dump``; None when the output holds no header."""
    header = {}
    for line in text.splitlines():
        match = _HEADER_LINE.match(line.strip())
        if not match or match.group("key") not in _HEADER_KEYS:
            continue
        key = _HEADER_KEYS[match.group("key")]
        value = match.group("value")
        header[key] = int(value) if key in _INT_KEYS and value.isdigit() else value
    return header or None


def parse_list(text):
    """Allocated slots of ``sbd -d DEV list``: ``[{slot, node, message, sender}]``."""
    slots = []
    for line in text.splitlines():
        parts = line.rstrip("\n").split("\t")
        if len(parts) < 3 or not parts[0].strip().isdigit():
            continue
        slots.append(
            {
                "slot": int(parts[0]),
                "node": parts[1].strip(),
                "message": parts[2].strip(),
                "sender": parts[3].strip() if len(parts) > 3 else "",
            }
        )
    return slots


def decide(device, header, slots, nodes, blank, force=False):
    """What to do with one disk: ``(action, reason)``.

    action is ``keep`` (our header), ``create`` (write a new header) or ``refuse``.
    ``blank`` says whether the disk's first sectors are all zero (no file system, no
    partition table, no other header).
    """
    members = set(nodes)
    if header is None:
        if blank or force:
            return "create", f"{device} has no SBD header"
        return "refuse", (
            f"{device} has no SBD header but is not empty (its first sectors hold data: a file system, "
            "a partition table or another product's metadata); set force to overwrite it"
        )
    foreign = sorted({s["node"] for s in slots} - members)
    if foreign:
        if force:
            return "create", f"{device} holds another cluster's SBD header (slots of {', '.join(foreign)}); forced"
        return "refuse", (
            f"{device} holds an SBD header with slots of nodes that are not members of this cluster "
            f"({', '.join(foreign)}): it is another cluster's lock disk; set force to overwrite it"
        )
    return "keep", f"{device} holds this cluster's SBD header"


def header_mismatch(header, watchdog_timeout, msgwait_timeout):
    """Timeouts of an existing header that differ from the wanted ones: ``{field: (have, want)}``."""
    wanted = {"watchdog_timeout": watchdog_timeout, "msgwait_timeout": msgwait_timeout}
    return {k: (header.get(k), v) for k, v in wanted.items() if v is not None and header.get(k) != v}
