#!/usr/bin/python
# Copyright: failover.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: cluster_alerts
short_description: Event notification - the cluster's alerts as Pacemaker alerts (SNMP traps, scripts)
version_added: 0.1.0
description:
  - Compiles the cluster's C(alerts) description (Serviceguard's cmsnmpd, HA Monitor's JP1 events) to
    Pacemaker alerts in the CIB's C(alerts) section, one C(fc-alert-<name>) alert each, and applies them in
    one versioned CIB transaction (C(crm_diff) + C(cibadmin --patch)).
  - Only the collection's own alerts (ids C(fc-alert-*)) are written; those no longer described are removed;
    alerts of anyone else are left alone. Changes nothing when the live alerts are already as described.
  - The whole description is validated before the CIB is read; a problem fails the task naming the field
    and the rule.
  - Run it on one node (C(run_once)); the CIB is replicated to every node. The agents themselves (the SNMP
    sample agent, the operator's scripts) must exist on every node.
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
  alerts:
    description:
      - The alerts. Each item has C(name) (letters, digits, C(-), C(_); the alert id is C(fc-alert-<name>)) and
        C(kind), C(snmp) or C(script).
      - C(kind=snmp) sends SNMP traps through Pacemaker's sample SNMP agent, installed on the nodes as
        C(/usr/local/libexec/failover-cluster/alert_snmp.sh) by the cluster role; C(recipients) are the trap
        receivers' IP addresses (at least one); C(community) defaults to C(public).
      - C(kind=script) runs the operator's executable C(path) (absolute) once per recipient, with the event in
        C(CRM_alert_*) environment variables and the recipient in C(CRM_alert_recipient).
      - C(events) is a list of C(package) (a package's resources started, stopped or failed on a node),
        C(node) (a node joined or was lost) and C(fencing); all three by default.
      - C(timestamp_format) sets C(CRM_alert_timestamp) (strftime, C(%N) for fractions of a second);
        C(attributes) are extra instance attributes, given to the agent as environment variables.
      - An empty list removes every alert of the collection.
    type: list
    elements: dict
    required: true
  timeout:
    description: Seconds to keep re-planning when a concurrent configuration change makes the CIB refuse the patch.
    type: int
    default: 60
requirements:
  - pacemaker-cli-utils (cibadmin, crm_diff) on a running cluster node
"""

EXAMPLES = r"""
- name: Tell the operations centre about package, node and fencing events
  failover.cluster.cluster_alerts:
    alerts:
      - name: ops-snmp
        kind: snmp
        recipients: [198.51.100.50]
      - name: ticket
        kind: script
        path: /usr/local/bin/open-ticket
        recipients: [ops-queue]
        events: [package, fencing]
  run_once: true

- name: Remove the collection's alerts
  failover.cluster.cluster_alerts:
    alerts: []
  run_once: true
"""

RETURN = r"""
changes:
  description: Alert ids added, removed and changed (or that would be).
  returned: always
  type: dict
  sample: {"added": ["fc-alert-ops-snmp"], "removed": [], "changed": []}
alerts:
  description: The alerts as validated and normalized (the SNMP agent's path filled in, default events).
  returned: success
  type: list
  elements: dict
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

from ansible_collections.failover.cluster.plugins.module_utils._alerts import AlertPlan, apply_alerts
from ansible_collections.failover.cluster.plugins.module_utils._cib_apply import ApplyError, read_cib
from ansible_collections.failover.cluster.plugins.module_utils._model.alerts import compile_alerts, validate_alerts
from ansible_collections.failover.cluster.plugins.module_utils._model.errors import SpecError
from ansible_collections.failover.cluster.plugins.module_utils._runner import CommandError, Runner


def main():
    module = AnsibleModule(
        argument_spec={"alerts": {"type": "list", "elements": "dict", "required": True},
                       "timeout": {"type": "int", "default": 60}},
        supports_check_mode=True,
    )
    runner = Runner(module)
    empty = {"added": [], "removed": [], "changed": []}
    try:
        alerts = validate_alerts(module.params["alerts"], field="alerts")
    except SpecError as exc:
        module.fail_json(msg=str(exc), errors=exc.errors, changed=False, changes=empty, commands=[])
    desired = compile_alerts(alerts)
    try:
        live = read_cib(runner)
        plan = AlertPlan(live, desired)
        retries = 0
        if plan.changed and not module.check_mode:
            plan, retries = apply_alerts(runner, live, desired, timeout=module.params["timeout"])
    except (CommandError, ApplyError) as exc:
        module.fail_json(msg="cannot apply the alerts: {0}".format(exc), changed=False, changes=empty,
                         commands=runner.commands)
    result = {"changed": plan.changed, "changes": plan.changes, "alerts": alerts, "retries": retries,
              "commands": runner.commands}
    if module._diff:
        result["diff"] = plan.diff()
    module.exit_json(**result)


if __name__ == "__main__":
    main()
