#!/usr/bin/python
# Copyright: failover.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: fencing
short_description: The lock LUN's fencing resource (stonith fence_sbd) in the CIB
version_added: 0.1.0
description:
  - Serviceguard's cluster lock LUN is SBD on Linux; Pacemaker fences a node through it with one
    C(stonith:fence_sbd) resource that names the lock disks. This module keeps that resource, id
    C(fc.sbd-fencing), as described - created, its disk list updated, or removed.
  - The resource is compiled by the collection's model and written by the same apply engine as the
    packages - one versioned CIB transaction (C(crm_diff) + C(cibadmin --patch)) whose version check is
    the configuration's epoch; a concurrent configuration change makes it re-read and re-plan until
    O(timeout). Nothing else in the CIB is touched; meta attributes an operator set on the resource
    (for example C(target-role)) are kept.
  - The C(failover.cluster.lock_lun) role (entry point C(fencing)) calls it once the cluster runs, with the
    disks of C(cluster_lock_lun); the C(failover.cluster.cluster) role then sets C(stonith-enabled=true).
    Removing the resource while C(stonith-enabled) is true leaves the cluster without a way to fence; set the
    property first.
  - Run it on one node (C(run_once)); the CIB is replicated to every node.
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
  state:
    description:
      - C(present) creates the resource or updates its disks; C(absent) removes it.
    type: str
    choices: [present, absent]
    default: present
  devices:
    description:
      - The lock disks, absolute paths as every node sees them (C(cluster_lock_lun.devices)), in order.
        Required with O(state=present).
    type: list
    elements: str
  timeout:
    description: Seconds to keep re-planning when a concurrent configuration change makes the CIB refuse the patch.
    type: int
    default: 60
requirements:
  - pacemaker-cli-utils (cibadmin, crm_diff) on a running cluster node, and fence_sbd (fence-agents-sbd)
seealso:
  - module: failover.cluster.sbd_device
  - module: failover.cluster.cluster_info
"""

EXAMPLES = r"""
- name: Fence through the lock LUN
  failover.cluster.fencing:
    devices: [/dev/disk/by-id/wwn-0x6001405a1b2c3d4e]
  run_once: true

- name: Remove the fencing resource (after stonith-enabled was set to false)
  failover.cluster.fencing:
    state: absent
  run_once: true
"""

RETURN = r"""
id:
  description: The resource's id.
  returned: always
  type: str
  sample: fc.sbd-fencing
devices:
  description: The disks the resource names after this task (empty when it is absent).
  returned: success
  type: list
  elements: str
  sample: [/dev/disk/by-id/wwn-0x6001405a1b2c3d4e]
changes:
  description: CIB objects added, removed and changed (or that would be), as C(resources/<id>).
  returned: always
  type: dict
  sample: {"added": ["resources/fc.sbd-fencing"], "removed": [], "changed": []}
retries:
  description: How many times the patch was refused because the configuration changed meanwhile, and re-planned.
  returned: success
  type: int
commands:
  description: Commands run (in check mode, the read-only ones), as argv lists.
  returned: always
  type: list
  elements: list
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.failover.cluster.plugins.module_utils._cib_apply import (
    ApplyError,
    FencingPlan,
    apply_planned,
    read_cib,
)
from ansible_collections.failover.cluster.plugins.module_utils._model import ids
from ansible_collections.failover.cluster.plugins.module_utils._model.errors import CompileError
from ansible_collections.failover.cluster.plugins.module_utils._model.fencing import compile_fencing, fencing_from_cib
from ansible_collections.failover.cluster.plugins.module_utils._runner import CommandError, Runner


def main():
    module = AnsibleModule(
        argument_spec={
            "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
            "devices": {"type": "list", "elements": "str"},
            "timeout": {"type": "int", "default": 60},
        },
        required_if=[("state", "present", ("devices",))],
        supports_check_mode=True,
    )
    runner = Runner(module)
    empty = {"added": [], "removed": [], "changed": []}
    rid = ids.fencing_id()
    desired = None
    if module.params["state"] == "present":
        try:
            desired = compile_fencing(module.params["devices"])
        except CompileError as exc:
            module.fail_json(msg="{0}; nothing was changed".format(exc), id=rid, changed=False, changes=empty,
                             commands=[])
    try:
        live = read_cib(runner)
        plan = FencingPlan(live, desired)
        retries = 0
        if plan.changed and not module.check_mode:
            plan, retries = apply_planned(runner, live, lambda cib: FencingPlan(cib, desired),
                                          timeout=module.params["timeout"])
    except (CommandError, ApplyError, CompileError) as exc:
        module.fail_json(msg="cannot apply the fencing resource: {0}".format(exc), id=rid, changed=False,
                         changes=empty, commands=runner.commands)
    result = {"changed": plan.changed, "id": rid, "devices": fencing_from_cib(plan.new_xml)["devices"],
              "changes": plan.changes, "retries": retries, "commands": runner.commands}
    if module._diff:
        result["diff"] = plan.diff()
    module.exit_json(**result)


if __name__ == "__main__":
    main()
