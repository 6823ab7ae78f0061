#!/usr/bin/python
# Copyright: failover.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: cluster_info
short_description: Report the cluster, its quorum, nodes and packages (like cmviewcl -v)
version_added: 0.1.0
description:
  - Reads the live state of a Corosync/Pacemaker cluster from one of its nodes and returns
    it as data, in the shape a Serviceguard operator knows from C(cmviewcl -v) - the cluster
    and its quorum, every node with its state, every package (Pacemaker group, clone or
    stand-alone resource) with where it runs, its state and whether switching is enabled,
    and the failed actions.
  - Runs C(crm_mon --output-as=xml), C(cibadmin --query) and, unless O(quorum=false),
    C(corosync-quorumtool -s) and C(corosync-cmapctl); changes nothing.
author:
  - failover.cluster developers (@failover-cluster)
extends_documentation_fragment:
  - failover.cluster.attributes
  - failover.cluster.attributes.INFO_MODULE
options:
  quorum:
    description:
      - Also read Corosync's vote counts, flags and quorum device state.
    type: bool
    default: true
  inactive:
    description:
      - Include packages that are not running (halted or disabled).
    type: bool
    default: true
requirements:
  - pacemaker-cli-utils (crm_mon) and corosync on the node
notes:
  - Package C(state) is C(running) when every member resource is active, C(partial) when
    some are, C(halted) when none are and C(failed) when a member failed or is blocked. An SNA
    gateway package whose link stations start in parallel is C(degraded) when its group runs but
    not every link station does (C(failed_link_stations) names them with the agent's reason).
  - C(switching_enabled) is false when anything limits where the package may run - a switching
    pin of the C(failover.cluster.package_state) module (the equivalent of C(cmmodpkg -d)), a
    runbook's temporary rule while it is in force, or a C(crm_resource --move/--ban) constraint.
seealso:
  - name: crm_mon(8)
    description: Pacemaker's status tool, whose XML output this module parses.
    link: https://clusterlabs.org/pacemaker/doc/
"""

EXAMPLES = r"""
- name: Read the cluster state
  failover.cluster.cluster_info:
  register: cluster

- name: Show it the cmviewcl way
  ansible.builtin.debug:
    msg: "{{ cluster.table.splitlines() }}"

- name: Fail unless the cluster has quorum
  ansible.builtin.assert:
    that: cluster.cluster.quorate
    fail_msg: "cluster {{ cluster.name }} has no quorum"

- name: Where does package sna run?
  ansible.builtin.debug:
    msg: "{{ (cluster.packages | selectattr('name', 'eq', 'sna') | first).node }}"
"""

RETURN = r"""
name:
  description: The cluster name (Corosync's C(totem.cluster_name)); null when O(quorum=false).
  returned: success
  type: str
  sample: gw
cluster:
  description: Cluster-wide state.
  returned: success
  type: dict
  contains:
    stack:
      description: Cluster stack Pacemaker runs on.
      type: str
      sample: corosync
    dc:
      description: Name of the Designated Controller node, null when none is elected.
      type: str
      sample: node1
    quorate:
      description: Whether the partition this node belongs to has quorum.
      type: bool
    pacemaker_version:
      description: Version of the DC's Pacemaker.
      type: str
    pacemakerd_state:
      description: State of pacemakerd on this node (for example C(running)).
      type: str
    stonith_enabled:
      description: Whether fencing is enabled.
      type: bool
    maintenance_mode:
      description: Whether the whole cluster is in maintenance mode.
      type: bool
    no_quorum_policy:
      description: What Pacemaker does without quorum.
      type: str
quorum:
  description: Corosync's votequorum view; null when O(quorum=false).
  returned: success
  type: dict
  contains:
    quorate:
      description: Whether Corosync reports quorum.
      type: bool
    expected_votes:
      description: Expected votes.
      type: int
    total_votes:
      description: Votes present.
      type: int
    quorum:
      description: Votes needed for quorum.
      type: int
    flags:
      description: Votequorum flags (C(Quorate), C(Qdevice), C(2Node), C(WaitForAll), ...).
      type: list
      elements: str
    qdevice:
      description: Whether a quorum device is configured and the votes it casts.
      type: dict
    members:
      description: Membership with votes and the quorum device state per node.
      type: list
      elements: dict
nodes:
  description: Every configured node.
  returned: success
  type: list
  elements: dict
  contains:
    name:
      description: Node name.
      type: str
    id:
      description: Node id.
      type: str
    state:
      description: One of C(up), C(down), C(standby), C(maintenance), C(pending), C(unclean).
      type: str
    online:
      description: Whether the node is a member of the cluster.
      type: bool
    is_dc:
      description: Whether the node is the Designated Controller.
      type: bool
    resources_running:
      description: Number of resources active on the node.
      type: int
    subnets:
      description: "The node's monitored subnets, C({subnet: up}) (up null when the monitor does not run there)."
      type: dict
    generic_resources:
      description: "The node's generic resource values, C({name: value}) (module M(failover.cluster.generic_resource))."
      type: dict
packages:
  description: Every top-level resource (group, clone, primitive) as a package.
  returned: success
  type: list
  elements: dict
  contains:
    name:
      description: Package (resource) id.
      type: str
    kind:
      description: C(group), C(clone), C(primitive) or C(bundle).
      type: str
    state:
      description:
        - C(running), C(partial), C(halted), C(failed), or C(degraded) (an SNA package whose group runs
          without all its link stations).
      type: str
    node:
      description: The node it runs on when it runs on exactly one.
      type: str
    nodes:
      description: Every node where a member resource is active.
      type: list
      elements: str
    package:
      description: The package name the user declared (the resource id without C(fc.) for packages of this collection).
      type: str
    ips:
      description: Its relocatable IPs (from the CIB).
      type: list
      elements: str
    dependents:
      description: The packages that depend on it (their dependency constraints name it).
      type: list
      elements: str
    switching:
      description:
        - C(enabled); C(disabled) when a switching pin (cmmodpkg -d) holds it on its node;
          C(restricted) while a runbook rule or a C(crm_resource --move/--ban) constraint limits
          where it may run.
      type: str
    switching_enabled:
      description: True only when nothing limits where it may run (no pin, runbook rule or move constraint in force).
      type: bool
    restrictions:
      description:
        - Every constraint in force that limits where it may run - C(id), C(kind) (C(pin), C(runbook),
          C(move)), C(node), C(score), C(expires) (ISO 8601, for a runbook rule's lifetime) and C(expires_in).
      type: list
      elements: dict
    managed:
      description: Whether Pacemaker manages it (false in maintenance).
      type: bool
    resources:
      description:
        - Member resources with agent, role and nodes; for an SNA package with parallel link stations,
          the link-station resources follow the group's members (each with C(link_station), its name).
      type: list
      elements: dict
    link_stations:
      description:
        - Only for an SNA package whose link stations start in parallel - one entry per link station
          with C(name), C(id), C(node), C(state) (C(running), C(stopped), C(failed)) and C(failure)
          (the failed action that says most - the latest with the agent's reason, a start before a
          monitor - with C(node), C(task), C(exitstatus), C(exitreason), C(last_rc_change), or null);
          the exit reason carries the SNA product's own code, for example
          C(start_ls failed - UNSUCCESSFUL/PU_NOT_AVAILABLE ...).
      type: list
      elements: dict
      returned: for an SNA package whose link stations start in parallel
    failed_link_stations:
      description: The entries of C(link_stations) whose state is C(failed).
      type: list
      elements: dict
      returned: for an SNA package with parallel link stations
failed_actions:
  description: Failed operations the cluster remembers.
  returned: success
  type: list
  elements: dict
  sample: [{"resource": "broken", "node": "node1", "task": "start", "exitstatus": "not configured",
            "exitreason": "[findif] failed", "exitcode": 6, "last_rc_change": "2026-11-22 00:21:46Z"}]
restrictions:
  description:
    - Every constraint that limits where a package may run, whoever added it (also the lapsed ones,
      with C(in_force=false)) - switching pins, runbook rules with their expiry, move constraints.
  returned: success
  type: list
  elements: dict
fencing:
  description:
    - The lock LUN's fencing resource (C(stonith:fence_sbd), written by M(failover.cluster.fencing)). It is
      also among RV(packages) as a C(primitive) whose C(package) is null.
  returned: success
  type: dict
  contains:
    id:
      description: Its resource id.
      type: str
      sample: fc.sbd-fencing
    present:
      description: Whether the CIB holds it.
      type: bool
    agent:
      description: Its agent (C(stonith:fence_sbd)); null when absent.
      type: str
    devices:
      description: The lock disks it fences through.
      type: list
      elements: str
    state:
      description: C(running), C(halted), C(failed) (as a package's state), or C(absent).
      type: str
    node:
      description: The node its monitor runs on; null when not running.
      type: str
generic_resources:
  description:
    - Every generic resource a package names or a node holds (Serviceguard's C(cmviewcl -v) generic resource
      lines) - C(name), C(kind) (C(simple), C(extended), null when no package names it), C(up_criteria) (the
      packages' criteria), C(evaluation), C(packages), and C(nodes), a list of C(node), C(value) and C(up)
      (null when no value is set or the packages' criteria differ).
  returned: success
  type: list
  elements: dict
  sample: [{"name": "dbmon", "kind": "simple", "up_criteria": [], "evaluation": "during_package_start",
            "packages": ["web"], "nodes": [{"node": "node1", "value": "down", "up": false},
                                           {"node": "node2", "value": null, "up": null}]}]
subnets:
  description:
    - Every monitored subnet (package field C(monitored_subnet)) - C(subnet), C(packages) whose rules name it,
      C(polling_targets) (the IP monitor's targets, cluster field C(ip_monitor); empty without one) and C(nodes), a
      list of C(node), C(value) (the link monitor's node attribute, 1 or 0), C(up), C(targets_answering) (the IP
      monitor's node attribute - how many targets answer; null without an IP monitor) and C(ip_up).
  returned: success
  type: list
  elements: dict
  sample: [{"subnet": "203.0.113.0/24", "packages": ["web"], "polling_targets": ["203.0.113.1"],
            "nodes": [{"node": "node1", "value": "1", "up": true, "targets_answering": "0", "ip_up": false},
                      {"node": "node2", "value": "1", "up": true, "targets_answering": "1", "ip_up": true}]}]
table:
  description: The same information as text in the spirit of C(cmviewcl -v).
  returned: success
  type: str
commands:
  description: The commands the module ran, as argv lists.
  returned: always
  type: list
  elements: list
"""

import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.failover.cluster.plugins.module_utils._runner import CommandError, Runner
from ansible_collections.failover.cluster.plugins.module_utils._status import (
    StatusParseError,
    annotate_generic_resources,
    annotate_subnets,
    annotate_with_cib,
    cluster_view,
    parse_crm_mon_xml,
    parse_quorumtool,
    render_table,
)


def read_view(runner, quorum=True, inactive=True):
    crm_mon = runner.which("crm_mon")
    argv = [crm_mon, "--one-shot", "--output-as=xml", "--include=bans"]
    if inactive:
        argv.append("--inactive")
    rc, out, err = runner.run(argv, check=False)
    if not out.strip():
        raise CommandError(argv, rc, out, err)
    view = parse_crm_mon_xml(out)
    name = None
    quorum_view = None
    if quorum:
        tool = runner.which("corosync-quorumtool")
        # corosync-quorumtool exits non-zero when the partition is not quorate, with full output.
        rc, out, err = runner.run([tool, "-s"], check=False)
        if "Quorate:" not in out:
            raise CommandError([tool, "-s"], rc, out, err)
        quorum_view = parse_quorumtool(out)
        cmap = runner.which("corosync-cmapctl")
        rc, out, _err = runner.run([cmap, "-g", "totem.cluster_name"], check=False)
        if rc == 0 and "=" in out:
            name = out.split("=", 1)[1].strip()
    merged = cluster_view(view, quorum_view)
    merged["name"] = name
    rc, out, err = runner.run([runner.which("cibadmin"), "--query"], check=False)
    if rc != 0 or not out.strip():
        raise CommandError(["cibadmin", "--query"], rc, out, err)
    return annotate_subnets(annotate_generic_resources(annotate_with_cib(merged, out, time.time()), out), out)


def main():
    module = AnsibleModule(
        argument_spec={
            "quorum": {"type": "bool", "default": True},
            "inactive": {"type": "bool", "default": True},
        },
        supports_check_mode=True,
    )
    runner = Runner(module)
    try:
        view = read_view(runner, quorum=module.params["quorum"], inactive=module.params["inactive"])
    except (CommandError, StatusParseError) as exc:
        module.fail_json(
            msg=f"cannot read the cluster state on this node: {exc}", changed=False, commands=runner.commands
        )
    module.exit_json(
        changed=False,
        name=view["name"],
        cluster=view["cluster"],
        quorum=view["quorum"],
        nodes=view["nodes"],
        packages=view["packages"],
        failed_actions=view["failed_actions"],
        restrictions=view["restrictions"],
        fencing=view["fencing"],
        generic_resources=view["generic_resources"],
        subnets=view["subnets"],
        table=render_table(view),
        commands=runner.commands,
    )


if __name__ == "__main__":
    main()
