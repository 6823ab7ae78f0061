#!/usr/bin/python
# Copyright: failover.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: sbd_device
short_description: Prepare a shared disk as the cluster's lock LUN (SBD header and slots)
version_added: 0.1.0
description:
  - Serviceguard's cluster lock LUN becomes an SBD disk on Linux - a small shared disk that
    every node watches and through which a node can be told to reset itself (poison-pill
    fencing).
  - Writes an SBD header only on an empty disk (first 64 KiB all zero) and allocates a slot
    for every member. A disk that already holds this cluster's header is kept as it is.
  - Refuses, unless O(force=true), a disk that holds another cluster's header (slots of
    nodes that are not members) or any other data. An SBD header records no cluster name, so
    the slots are how a disk's owner is known.
  - Run it on one node (C(run_once)); the disk is shared.
author:
  - failover.cluster developers (@failover-cluster)
extends_documentation_fragment:
  - failover.cluster.attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
options:
  device:
    description: Path of the shared disk, the same on every node (for example C(/dev/disk/by-id/...)).
    type: path
    required: true
  nodes:
    description: Names of all cluster members (each gets a slot).
    type: list
    elements: str
    required: true
  force:
    description: Overwrite a disk that holds data or another cluster's SBD header.
    type: bool
    default: false
  watchdog_timeout:
    description: Watchdog timeout in seconds written into a new header (C(sbd -1)).
    type: int
    default: 5
  msgwait_timeout:
    description:
      - Seconds a fencing node waits for the victim to have reset (C(sbd -4)); at least twice
        O(watchdog_timeout).
    type: int
    default: 10
requirements:
  - sbd
"""

EXAMPLES = r"""
- name: Prepare the lock LUN
  failover.cluster.sbd_device:
    device: /dev/disk/by-id/scsi-lock0
    nodes: [node1, node2]
  run_once: true
"""

RETURN = r"""
action:
  description: C(create) (a header was written), C(keep) (this cluster's header was there) or C(refuse).
  returned: always
  type: str
header:
  description: The header after the task (as C(sbd dump) shows it), null in check mode before a create.
  returned: always
  type: dict
slots:
  description: Allocated slots after the task.
  returned: always
  type: list
  elements: dict
allocated:
  description: Nodes that got a slot in this run.
  returned: always
  type: list
  elements: str
commands:
  description: Commands run (in check mode, also those that would run), as argv lists.
  returned: always
  type: list
  elements: list
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.failover.cluster.plugins.module_utils._runner import CommandError, Runner
from ansible_collections.failover.cluster.plugins.module_utils._sbd import (
    decide,
    header_mismatch,
    parse_dump,
    parse_list,
)

PROBE_BYTES = 64 * 1024


def is_blank(path):
    with open(path, "rb") as handle:
        data = handle.read(PROBE_BYTES)
    return not data.strip(b"\0")


def read_disk(runner, sbd, device):
    _rc, out, _err = runner.run([sbd, "-d", device, "dump"], check=False)
    header = parse_dump(out)
    slots = []
    if header is not None:
        _rc, out, _err = runner.run([sbd, "-d", device, "list"])
        slots = parse_list(out)
    return header, slots


def main():
    module = AnsibleModule(
        argument_spec={
            "device": {"type": "path", "required": True},
            "nodes": {"type": "list", "elements": "str", "required": True},
            "force": {"type": "bool", "default": False},
            "watchdog_timeout": {"type": "int", "default": 5},
            "msgwait_timeout": {"type": "int", "default": 10},
        },
        supports_check_mode=True,
    )
    p = module.params
    device = p["device"]
    if p["msgwait_timeout"] < 2 * p["watchdog_timeout"]:
        module.fail_json(
            msg=f"msgwait_timeout: {p['msgwait_timeout']} s is less than twice watchdog_timeout "
            f"({p['watchdog_timeout']} s); a fencing node could go on before the victim has reset"
        )
    runner = Runner(module)
    sbd = runner.which("sbd")
    try:
        blank = is_blank(device)
    except OSError as exc:
        module.fail_json(msg=f"device: cannot read {device}: {exc.strerror}", changed=False)
    try:
        header, slots = read_disk(runner, sbd, device)
        action, reason = decide(device, header, slots, p["nodes"], blank, p["force"])
        result = {"changed": False, "action": action, "header": header, "slots": slots, "allocated": []}
        if action == "refuse":
            module.fail_json(msg=reason, commands=runner.commands, **result)
        if action == "keep":
            mismatch = header_mismatch(header, p["watchdog_timeout"], p["msgwait_timeout"])
            for field, (have, want) in mismatch.items():
                module.warn(
                    f"{device}: the header has {field}={have}, the description wants {want}; an existing "
                    "header is not rewritten while the cluster may use it (set force to recreate it)"
                )
        create = [sbd, "-d", device, "-1", str(p["watchdog_timeout"]), "-4", str(p["msgwait_timeout"]), "create"]
        have = set() if action == "create" else {s["node"] for s in slots}
        missing = [n for n in p["nodes"] if n not in have]
        result["allocated"] = missing
        result["changed"] = action == "create" or bool(missing)
        if module.check_mode:
            if action == "create":
                runner.commands.append(create)
                result["header"] = None
            runner.commands.extend([sbd, "-d", device, "allocate", n] for n in missing)
        else:
            if action == "create":
                runner.run(create)
            for node in missing:
                runner.run([sbd, "-d", device, "allocate", node])
            if result["changed"]:
                result["header"], result["slots"] = read_disk(runner, sbd, device)
    except CommandError as exc:
        module.fail_json(msg=f"device: {device}: {exc}", changed=False, commands=runner.commands)
    module.exit_json(commands=runner.commands, **result)


if __name__ == "__main__":
    main()
