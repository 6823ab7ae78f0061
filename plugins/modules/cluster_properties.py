#!/usr/bin/python
# Copyright: failover.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: cluster_properties
short_description: Set Pacemaker cluster properties (the cluster-wide options)
version_added: 0.1.0
description:
  - Sets the given properties in Pacemaker's C(cib-bootstrap-options) set and leaves every
    other property alone. Reads the live values first and changes only those that differ.
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
  properties:
    description:
      - Property names and values, for example C(stonith-enabled), C(no-quorum-policy),
        C(dc-deadtime). Booleans are stored as C(true)/C(false).
    type: dict
    required: true
requirements:
  - pacemaker-cli-utils (cibadmin, crm_attribute) on a running cluster node
"""

EXAMPLES = r"""
- name: Apply the properties the cluster description compiles to
  failover.cluster.cluster_properties:
    properties: "{{ spec.properties }}"
  run_once: true

- name: Put the whole cluster in maintenance mode
  failover.cluster.cluster_properties:
    properties:
      maintenance-mode: true
  run_once: true
"""

RETURN = r"""
changes:
  description: Every property that changed (or would change), with its old and new value.
  returned: always
  type: list
  elements: dict
  sample: [{"name": "dc-deadtime", "before": null, "after": "5s"}]
commands:
  description: Commands run (in check mode, the read-only ones), as argv lists.
  returned: always
  type: list
  elements: list
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.failover.cluster.plugins.module_utils._properties import (
    parse_crm_config,
    property_changes,
)
from ansible_collections.failover.cluster.plugins.module_utils._runner import CommandError, Runner


def main():
    module = AnsibleModule(
        argument_spec={"properties": {"type": "dict", "required": True}},
        supports_check_mode=True,
    )
    runner = Runner(module)
    try:
        _rc, out, _err = runner.run([runner.which("cibadmin"), "--query", "--scope", "crm_config"])
        current = parse_crm_config(out)
        changes = property_changes(current, module.params["properties"])
        result = {
            "changed": bool(changes),
            "changes": [{"name": n, "before": old, "after": new} for n, old, new in changes],
            "commands": runner.commands,
        }
        if module._diff:
            result["diff"] = {
                "before": "".join(f"{n}={old}\n" for n, old, _new in changes if old is not None),
                "after": "".join(f"{n}={new}\n" for n, _old, new in changes),
            }
        if changes and not module.check_mode:
            tool = runner.which("crm_attribute")
            for name, _old, new in changes:
                runner.run([tool, "--type", "crm_config", "--name", name, "--update", new])
    except CommandError as exc:
        module.fail_json(msg=f"cannot set the cluster properties: {exc}", changed=False, commands=runner.commands)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
