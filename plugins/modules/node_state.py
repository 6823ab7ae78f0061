#!/usr/bin/python
# Copyright: failover.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: node_state
short_description: Run or halt the cluster on one node (cmrunnode / cmhaltnode)
version_added: 0.1.0
description:
  - O(state=halted) is Serviceguard's C(cmhaltnode) - the node's packages move to other nodes
    first (the node is put in standby and the module waits until nothing runs on it), then
    Pacemaker, the quorum device client and Corosync stop on it. The rest of the cluster
    keeps running.
  - O(state=running) is C(cmrunnode) - Corosync, the quorum device client (when configured)
    and Pacemaker start on the node, the module waits until the node is an online member of
    a quorate cluster, and the node leaves standby so it can run packages again. Packages
    come back to it only as their failback policy says.
  - Runs on the node it acts on.
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
  state:
    description: C(running) (cmrunnode) or C(halted) (cmhaltnode).
    type: str
    required: true
    choices: [running, halted]
  timeout:
    description: Seconds to wait for packages to move away, or for the node to join.
    type: int
    default: 120
requirements:
  - systemd, corosync, pacemaker-cli-utils on the node
"""

EXAMPLES = r"""
- name: Halt the cluster on node2 for maintenance (its packages move away first)
  failover.cluster.node_state:
    state: halted
  delegate_to: node2

- name: Run the cluster on node2 again
  failover.cluster.node_state:
    state: running
  delegate_to: node2
"""

RETURN = r"""
moved:
  description: Packages that ran on the node and were moved away before the halt.
  returned: always
  type: list
  elements: str
elapsed:
  description: Seconds the change took, waiting included.
  returned: always
  type: float
commands:
  description: Commands run (in check mode, those that would change something are listed but not run).
  returned: always
  type: list
  elements: list
"""

import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.failover.cluster.plugins.module_utils._runner import CommandError, Runner
from ansible_collections.failover.cluster.plugins.module_utils._status import StatusParseError, parse_crm_mon_xml

QDEVICE_CONF_KEY = "device"


def unit_active(runner, unit):
    rc, _out, _err = runner.run(["systemctl", "is-active", "--quiet", unit], check=False)
    return rc == 0


def qdevice_configured():
    try:
        with open("/etc/corosync/corosync.conf", encoding="utf-8") as handle:
            text = handle.read()
    except OSError:
        return False
    return any(line.strip().startswith(QDEVICE_CONF_KEY) and "{" in line for line in text.splitlines())


def local_node_name(runner):
    _rc, out, _err = runner.run(["crm_node", "--name"])
    return out.strip()


def crm_view(runner):
    rc, out, err = runner.run(["crm_mon", "--one-shot", "--output-as=xml"], check=False)
    if not out.strip():
        raise CommandError(["crm_mon"], rc, out, err)
    return parse_crm_mon_xml(out)


def running_here(view, node):
    return [p["name"] for p in view["packages"] if node in p["nodes"]]


def wait(module, deadline, check, what):
    last = None
    while time.monotonic() < deadline:
        try:
            ok, last = check()
        except (CommandError, StatusParseError) as exc:
            ok, last = False, str(exc)
        if ok:
            return
        time.sleep(1)
    module.fail_json(msg=f"timed out after {module.params['timeout']} s waiting for {what}; last seen: {last}")


def halt(module, runner, result):
    if not unit_active(runner, "corosync") and not unit_active(runner, "pacemaker"):
        return
    result["changed"] = True
    node = local_node_name(runner)
    view = crm_view(runner)
    result["moved"] = running_here(view, node)
    standby = ["crm_attribute", "--type", "nodes", "--node", node, "--name", "standby", "--update", "on"]
    stops = [["systemctl", "stop", "pacemaker"]]
    if qdevice_configured():
        stops.append(["systemctl", "stop", "corosync-qdevice"])
    stops.append(["systemctl", "stop", "corosync"])
    if module.check_mode:
        runner.commands.extend([standby, *stops])
        return
    deadline = time.monotonic() + module.params["timeout"]
    runner.run(standby)

    def drained():
        here = running_here(crm_view(runner), node)
        return not here, f"still running here: {', '.join(here)}"

    wait(module, deadline, drained, f"the packages of {node} to move away")
    for argv in stops:
        runner.run(argv)


def run(module, runner, result):
    units = ["corosync"] + (["corosync-qdevice"] if qdevice_configured() else []) + ["pacemaker"]
    inactive = [u for u in units if not unit_active(runner, u)]
    if module.check_mode:
        if inactive:
            result["changed"] = True
            runner.commands.extend(["systemctl", "start", u] for u in inactive)
        return
    for unit in inactive:
        runner.run(["systemctl", "start", unit])
    deadline = time.monotonic() + module.params["timeout"]
    node = None

    def joined():
        nonlocal node
        node = node or local_node_name(runner)
        view = crm_view(runner)
        me = [n for n in view["nodes"] if n["name"] == node]
        ok = bool(me) and me[0]["online"] and view["cluster"]["quorate"] and view["cluster"]["dc"] is not None
        return ok, f"quorate={view['cluster']['quorate']}, dc={view['cluster']['dc']}, node={me}"

    wait(module, deadline, joined, "the node to join a quorate cluster")
    rc, out, _err = runner.run(
        ["crm_attribute", "--type", "nodes", "--node", node, "--name", "standby", "--query", "--quiet"], check=False
    )
    if rc == 0 and out.strip() == "on":
        runner.run(["crm_attribute", "--type", "nodes", "--node", node, "--name", "standby", "--update", "off"])
        result["changed"] = True
    if inactive:
        result["changed"] = True


def main():
    module = AnsibleModule(
        argument_spec={
            "state": {"type": "str", "required": True, "choices": ["running", "halted"]},
            "timeout": {"type": "int", "default": 120},
        },
        supports_check_mode=True,
    )
    runner = Runner(module)
    result = {"changed": False, "moved": [], "commands": runner.commands}
    started = time.monotonic()
    try:
        if module.params["state"] == "halted":
            halt(module, runner, result)
        else:
            run(module, runner, result)
    except (CommandError, StatusParseError) as exc:
        module.fail_json(msg=f"cannot change the node's cluster state: {exc}", **result)
    result["elapsed"] = round(time.monotonic() - started, 2)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
