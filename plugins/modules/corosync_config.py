#!/usr/bin/python
# Copyright: failover.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: corosync_config
short_description: Write corosync.conf and say whether Corosync can reload it or must restart
version_added: 0.1.0
description:
  - Compares the wanted C(corosync.conf) with the one on the node, key by key, and classifies
    the difference with the rules of Corosync 3.1 itself - C(none), C(reload) (the running
    daemon takes it with C(corosync-cfgtool -R) - timing, logging, nodes added or removed,
    the quorum device, crypto) or C(restart) (for example the cluster name, the transport or
    a node's address on an existing link).
  - Writes the file atomically when it differs. With O(reload=true) and a running Corosync
    it also reloads, when a reload is enough. It never restarts Corosync itself - a restart
    that keeps quorum has to go node by node, which the C(failover.cluster.cluster) role does.
author:
  - failover.cluster developers (@failover-cluster)
extends_documentation_fragment:
  - failover.cluster.attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
options:
  content:
    description:
      - The wanted C(corosync.conf) text, as compiled by M(failover.cluster.cluster_spec).
    type: str
    required: true
  path:
    description: Where Corosync reads its configuration.
    type: path
    default: /etc/corosync/corosync.conf
  reload:
    description:
      - Run C(corosync-cfgtool -R) after writing when Corosync runs on the node and the
        change is reloadable. C(corosync-cfgtool -R) makes every node of the cluster re-read
        its file, so with several nodes write the file everywhere first with O(reload=false)
        and reload once.
    type: bool
    default: false
requirements:
  - corosync 3
"""

EXAMPLES = r"""
- name: Write corosync.conf on every node, without reloading yet
  failover.cluster.corosync_config:
    content: "{{ spec.corosync_conf }}"
  register: corosync_conf

- name: Reload once, from one node, when some node's file changed and a reload is enough
  ansible.builtin.command:
    argv: [corosync-cfgtool, -R]
  run_once: true
  changed_when: true
  when: >-
    ansible_play_hosts | map('extract', hostvars, ['corosync_conf', 'action'])
    | select('eq', 'reload') | list | length > 0
"""

RETURN = r"""
action:
  description:
    - What the change needs - C(none) (no change), C(reload), C(restart) (a key that Corosync
      reads only at start changed), C(start) (no file before, or Corosync not running) or
      C(replace) (Corosync runs with the single-node loopback file a distribution package
      installs, which forms no cluster - restart it with the new file; no quorum to keep).
  returned: always
  type: str
  sample: reload
reloaded:
  description: Whether the module ran C(corosync-cfgtool -R).
  returned: always
  type: bool
running:
  description: Whether Corosync was running on the node.
  returned: always
  type: bool
changed_keys:
  description: Every key path whose value differs.
  returned: always
  type: list
  elements: str
  sample: ["totem.token", "totem.consensus"]
restart_keys:
  description: The key paths that force a restart, each with the reason.
  returned: always
  type: dict
rolling:
  description: Whether a needed restart can go node by node while the cluster keeps quorum.
  returned: always
  type: bool
qdevice_changed:
  description: Whether the quorum device section changed (corosync-qdevice must then restart).
  returned: always
  type: bool
nodes_added:
  description: Nodes the new file adds.
  returned: always
  type: list
  elements: str
nodes_removed:
  description: Nodes the new file removes.
  returned: always
  type: list
  elements: str
commands:
  description: Commands run (or, in check mode, that would run), as argv lists.
  returned: always
  type: list
  elements: list
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.failover.cluster.plugins.module_utils._model.corosync import (
    CorosyncParseError,
    diff_corosync,
    is_standalone_default,
    runtime_nodelist_is_standalone,
)
from ansible_collections.failover.cluster.plugins.module_utils._runner import CommandError, Runner


def corosync_running(runner):
    tool = runner.which("corosync-cfgtool", required=False)
    if not tool:
        return False
    rc, _out, _err = runner.run([tool, "-s"], check=False)
    return rc == 0


def runtime_is_standalone(runner):
    """Whether the running Corosync uses a single loopback node (the package's default file),
    whatever the file on disk says now (a run may have been interrupted after writing it)."""
    tool = runner.which("corosync-cmapctl", required=False)
    if not tool:
        return False
    rc, out, _err = runner.run([tool, "-b", "nodelist.node"], check=False)
    if rc != 0:
        return False
    return runtime_nodelist_is_standalone(out)


def main():
    module = AnsibleModule(
        argument_spec={
            "content": {"type": "str", "required": True},
            "path": {"type": "path", "default": "/etc/corosync/corosync.conf"},
            "reload": {"type": "bool", "default": False},
        },
        supports_check_mode=True,
    )
    path = module.params["path"]
    wanted = module.params["content"]
    runner = Runner(module)
    current = ""
    if os.path.exists(path):
        with open(path, encoding="utf-8") as handle:
            current = handle.read()
    try:
        report = diff_corosync(current, wanted)
    except CorosyncParseError as exc:
        module.fail_json(msg=f"cannot compare {path} with the wanted configuration: {exc}", changed=False)
    running = corosync_running(runner)
    stale = running and runtime_is_standalone(runner)
    changed = current != wanted
    if stale:
        action = "replace"
    elif not changed:
        action = "none"
    elif not current.strip() or not running:
        action = "start"
    elif is_standalone_default(current):
        action = "replace"
    else:
        action = report.kind if report.kind != "none" else "reload"
    result = {
        "changed": changed,
        "action": action,
        "reloaded": False,
        "running": running,
        "changed_keys": report.changed,
        "restart_keys": report.restart_keys,
        "rolling": report.rolling,
        "qdevice_changed": report.qdevice_changed,
        "nodes_added": report.nodes_added,
        "nodes_removed": report.nodes_removed,
        "commands": runner.commands,
    }
    if module._diff:
        result["diff"] = {"before": current, "after": wanted, "before_header": path, "after_header": path}
    if not changed:
        module.exit_json(**result)
    reload_cmd = ["corosync-cfgtool", "-R"]
    if module.check_mode:
        if module.params["reload"] and action == "reload":
            runner.commands.append(reload_cmd)
        module.exit_json(**result)

    directory = os.path.dirname(path)
    os.makedirs(directory, mode=0o755, exist_ok=True)
    tmp = os.path.join(directory, f".{os.path.basename(path)}.failover-cluster.tmp")
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(wanted)
    os.chmod(tmp, 0o644)
    module.atomic_move(tmp, path)
    if module.params["reload"] and action == "reload":
        try:
            runner.run([runner.which("corosync-cfgtool"), "-R"])
        except CommandError as exc:
            module.fail_json(msg=f"{path} was written but Corosync did not reload it: {exc}", **result)
        result["reloaded"] = True
    module.exit_json(**result)


if __name__ == "__main__":
    main()
