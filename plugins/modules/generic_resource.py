#!/usr/bin/python
# Copyright: failover.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: generic_resource
short_description: Set or read a generic resource on a node (cmsetresource / cmgetresource)
version_added: 0.1.0
description:
  - A generic resource is a named status per node that a site's own monitor keeps up to date;
    packages that name it in C(generic_resources) (module M(failover.cluster.package)) may run only
    on nodes where it is up. This module is Serviceguard's C(cmsetresource) (with O(status) or
    O(value)) and C(cmgetresource) (with neither).
  - The value is the node attribute C(fc-gr-<name>). A simple resource holds C(up), C(down) or
    C(unknown); an extended one (a package gives C(generic_resource_up_criteria)) holds an integer.
    The module reads the packages' rules from the CIB and refuses a value of the wrong kind before
    anything changes.
  - Setting a value in one O(lifetime) removes a value in the other, so exactly one value counts.
  - Runs on any cluster member; O(node) says which node's value it is.
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
  name:
    description: The generic resource's name, as in the packages' C(generic_resource_name).
    type: str
    required: true
    aliases: [generic_resource_name]
  node:
    description: The cluster node whose value is set or read. By default the node the module runs on.
    type: str
  status:
    description: Status of a simple generic resource (C(cmsetresource -s)). Mutually exclusive with O(value).
    type: str
    choices: [up, down, unknown]
  value:
    description: Value of an extended generic resource (C(cmsetresource -v)), a 32-bit integer.
    type: int
  state:
    description: C(present) sets O(status) or O(value) (or only reads when neither is given); C(absent) removes
      the value in both lifetimes (a package with C(before_package_start) then cannot start on the node).
    type: str
    choices: [present, absent]
    default: present
  lifetime:
    description:
      - C(reboot) keeps the value until the node's cluster stack restarts (a transient node attribute);
        C(forever) keeps it in the CIB.
    type: str
    choices: [reboot, forever]
    default: reboot
requirements:
  - pacemaker-cli-utils (crm_attribute, crm_node, cibadmin) on the node
seealso:
  - module: failover.cluster.package
  - module: failover.cluster.cluster_info
"""

EXAMPLES = r"""
- name: A site monitor reports that the database on node1 is down (the packages that need it move)
  failover.cluster.generic_resource:
    name: dbmon
    node: node1
    status: down

- name: Report 12 free CPU cores on this node (extended resource, packages compare with their up criteria)
  failover.cluster.generic_resource:
    name: cpu_free
    value: 12

- name: Read the value (cmgetresource)
  failover.cluster.generic_resource:
    name: dbmon
    node: node2
  register: dbmon
"""

RETURN = r"""
name:
  description: The generic resource.
  returned: always
  type: str
node:
  description: The node whose value this is.
  returned: success
  type: str
attribute:
  description: The node attribute that holds the value.
  returned: always
  type: str
  sample: fc-gr-dbmon
value:
  description: The value that counts on the node after the task (null when none is set).
  returned: success
  type: str
  sample: up
previous:
  description: The value that counted before the task.
  returned: success
  type: str
up:
  description:
    - Whether the value means up for the packages that use the resource (null when no value is set, or
      when packages use it with different up criteria).
  returned: success
  type: bool
kind:
  description: C(simple), C(extended) (from the packages that use the resource) or null (no package uses it).
  returned: success
  type: str
packages:
  description: Packages whose placement depends on this resource.
  returned: success
  type: list
  elements: str
commands:
  description: Commands run, as argv lists (in check mode, the changing ones are left out).
  returned: always
  type: list
  elements: list
"""

import xml.etree.ElementTree as ET

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.failover.cluster.plugins.module_utils import _generic_resource as gr
from ansible_collections.failover.cluster.plugins.module_utils._model import fields as f
from ansible_collections.failover.cluster.plugins.module_utils._model import ids, monitoring
from ansible_collections.failover.cluster.plugins.module_utils._runner import CommandError, Runner


def declared(runner):
    """How the packages in the CIB use generic resources (see monitoring.generic_resources_of_cib)."""
    _rc, out, _err = runner.run([runner.which("cibadmin"), "--query", "--scope", "constraints"])
    conf = ET.Element("configuration")
    conf.append(ET.fromstring(out))
    root = ET.Element("cib")
    root.append(conf)
    return monitoring.generic_resources_of_cib(root)


def main():
    module = AnsibleModule(
        argument_spec={
            "name": {"type": "str", "required": True, "aliases": ["generic_resource_name"]},
            "node": {"type": "str"},
            "status": {"type": "str", "choices": ["up", "down", "unknown"]},
            "value": {"type": "int"},
            "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
            "lifetime": {"type": "str", "choices": list(gr.LIFETIMES), "default": "reboot"},
        },
        mutually_exclusive=[("status", "value")],
        supports_check_mode=True,
    )
    params = module.params
    runner = Runner(module)
    name = params["name"]
    result = {"changed": False, "name": name, "attribute": ids.generic_resource_attribute(name),
              "commands": runner.commands}
    if not isinstance(name, str) or not f.NAME_RE.match(name) or len(name) > monitoring.GR_NAME_MAX:
        module.fail_json(msg="name: {0!r} is not a generic resource name (letters, digits, '-' and '_', starting "
                             "with a letter or digit, at most {1})".format(name, monitoring.GR_NAME_MAX), **result)
    if params["node"] is not None and not f.HOST_RE.match(params["node"]):
        module.fail_json(msg="node: {0!r} is not a node name".format(params["node"]), **result)
    if params["state"] == "absent" and (params["status"] or params["value"] is not None):
        module.fail_json(msg="status/value: not with state=absent (it removes the value)", **result)
    wanted = params["status"] if params["status"] is not None else params["value"]

    try:
        use = declared(runner).get(name)
        criteria_set = None
        kind = None
        if use is not None:
            kind = "simple" if use["up_criteria"] is None else "extended"
            criteria_set = use["up_criteria"]
        if wanted is not None:
            if kind == "simple" and params["value"] is not None:
                module.fail_json(msg="value: {0} is a simple generic resource in package(s) {1}; give status "
                                     "(up, down or unknown)".format(name, ", ".join(use["packages"])), **result)
            if kind == "extended" and params["status"] is not None:
                module.fail_json(msg="status: {0} is an extended generic resource in package(s) {1} (up criteria "
                                     "{2}); give value (an integer)".format(name, ", ".join(use["packages"]),
                                                                            criteria_set), **result)
            try:
                wanted = monitoring.check_value(wanted, None if params["status"] is not None else
                                                monitoring.UpCriteria(">=", 0))
            except ValueError as exc:
                module.fail_json(msg="{0}: {1}".format("status" if params["status"] is not None else "value", exc),
                                 **result)
        crm_attribute = runner.which("crm_attribute")
        node = params["node"]
        if node is None:
            node = runner.run([runner.which("crm_node"), "--name"])[1].strip()
        current = {}
        for life in gr.LIFETIMES:
            rc, out, err = runner.run(gr.argv(crm_attribute, node, name, life, "query"), check=False)
            current[life] = gr.read_result(rc, out, err)
        steps = gr.plan(current, params["lifetime"], wanted, remove=params["state"] == "absent")
        final = gr.after(current, steps)
        if steps and not module.check_mode:
            for op, life, value in steps:
                runner.run(gr.argv(crm_attribute, node, name, life, op, value))
    except (CommandError, gr.QueryError, ET.ParseError) as exc:
        module.fail_json(msg="cannot {0} generic resource {1}: {2}".format(
            "set" if steps_wanted(params) else "read", name, exc), **result)

    value = gr.effective(final)
    up = None
    if use is not None and value is not None and len(use["criteria"]) <= 1:
        up = monitoring.is_up(value, criteria_set)
    result.update(changed=bool(steps), node=node, value=value, previous=gr.effective(current), up=up, kind=kind,
                  packages=list(use["packages"]) if use else [])
    if use is None and wanted is not None:
        module.warn("no package in the cluster uses generic resource {0} yet".format(name))
    if module._diff:
        result["diff"] = {"before": _show(current), "after": _show(final),
                          "before_header": "{0} on {1}".format(result["attribute"], node),
                          "after_header": "{0} on {1}".format(result["attribute"], node)}
    module.exit_json(**result)


def steps_wanted(params):
    return params["state"] == "absent" or params["status"] is not None or params["value"] is not None


def _show(values):
    return "".join("{0}: {1}\n".format(life, values.get(life)) for life in gr.LIFETIMES if values.get(life) is not None)


if __name__ == "__main__":
    main()
