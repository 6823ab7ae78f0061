#!/usr/bin/python
# Copyright: failover.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: package
short_description: Create, update or remove Serviceguard-style failover packages in the Pacemaker CIB
version_added: 0.1.0
description:
  - Takes failover packages written in Serviceguard's vocabulary (C(package_name),
    C(node_name), C(failover_policy), C(failback_policy), C(auto_run), C(ip),
    C(services), C(dependencies), ...) and makes the Pacemaker CIB hold exactly them - a
    group per package in Serviceguard's run order plus the location, colocation and order
    constraints, stickiness and failure thresholds that reproduce each policy.
    The field rules are in C(docs/spec-reference.md), the mapping in C(docs/packages.md).
  - "On the controller (action plugin): the cluster description and every package are
    validated together and compiled to CIB XML. Any violation fails the task before any
    host is touched, with one message per problem, each naming the field and the rule
    (for example C(packages[0].ip[0].ip_address: 198.51.100.0 is the network address of
    198.51.100.0/24))."
  - "Validation also sees the whole live cluster: the action plugin first reads the CIB on the
    task's host (C(cibadmin --query); the copy on disk when the daemons are down; nothing when
    the node has no cluster yet) and checks the packages against every package and IP resource
    already there, whoever created them - a relocatable IP already held by another package or IP
    resource, a name whose ids would take a live object's (or a collection-internal one's, such
    as the lock LUN's C(fc.sbd-fencing)), a dependency on a package this same run removes,
    removing a package a live package depends on, and an SNA gateway package on a candidate node
    of a live SNA gateway package of another name are refused. Dependencies may name live
    packages."
  - "On the node: the live CIB is read once (C(cibadmin --query)), the package objects are
    merged into it, and every change is written in ONE transaction - C(crm_diff) against the
    live CIB, then one versioned C(cibadmin --patch). The patch's version check covers the
    configuration only (C(admin_epoch) and C(epoch)), so status updates (operation results,
    node attributes - constant on a busy cluster) never make it fail. If the configuration
    changed in between, the CIB manager refuses the whole patch and the module re-reads,
    re-plans and retries until O(apply_timeout), so a concurrent change is never
    overwritten and the CIB never holds half of the change."
  - Only objects the collection manages are touched - the package's top group or clone
    (marked with the meta attributes C(failover-cluster=managed) and
    C(failover-cluster-package=<name>)) and the constraints whose ids begin
    C(fc.<package>.). Every other resource, constraint and property stays as it is. The
    runtime state of an existing package (C(target-role), C(is-managed), moves and
    switching pins) is left to M(failover.cluster.package_state).
  - Run it on one cluster node (C(run_once)); Pacemaker replicates the CIB.
author:
  - failover.cluster developers (@failover-cluster)
extends_documentation_fragment:
  - failover.cluster.attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
    details:
      - The diff shows the XML of each resource and constraint that is added, removed or changed.
  action:
    support: full
    description: Validates and compiles on the controller (action plugin); the node only merges and patches.
options:
  state:
    description:
      - C(present) creates or updates the packages; C(absent) removes them (and the
        C(cli-prefer-)/C(cli-ban-) and C(fc-noswitch-) constraints of their resources).
    type: str
    choices: [present, absent]
    default: present
  packages:
    description:
      - The packages, each a mapping with the Serviceguard-named fields of
        C(docs/spec-reference.md) (C(package_name) required).
      - An entry with an C(sna) mapping (SNA node, port, link stations, ...) is an SNA gateway
        package - its one relocatable IP, then the SNA node, the port and the link stations, in
        that order. The SNA definitions must already exist on its candidates (role
        C(failover.cluster.sna_gateway), entry point C(package_definitions)).
      - With O(state=absent), package names (strings) or mappings with C(package_name).
    type: list
    elements: raw
    required: true
  cluster:
    description:
      - The cluster description (as for M(failover.cluster.cluster_spec)); the packages are
        validated against its nodes and subnets. Required with O(state=present).
    type: dict
  purge:
    description:
      - With O(state=present), also remove every package of the same O(owner) that is not in
        O(packages). Packages of another owner (the SNA gateway role's, another inventory's),
        packages written before owners existed (no owner mark) and objects the collection does not
        manage are never removed.
    type: bool
    default: false
  owner:
    description:
      - Who declares these packages. Each package's top resource carries it as the meta attribute
        C(failover-cluster-owner); O(purge) removes only packages of this owner. C(playbooks/provision.yml)
        (role C(packages)) uses C(packages) unless C(packages_owner) says otherwise; the C(sna_gateway)
        role uses C(sna_gateway). Give each inventory that shares a cluster its own owner.
      - Letters, digits, C(.), C(-) and C(_), at most 64 characters.
    type: str
    default: packages
  known_packages:
    description:
      - Names of packages that exist outside O(packages) that dependencies may name. Packages that
        are live in the cluster need not be listed (they are read from the CIB); this is for
        packages another task of the same play creates first. The node checks that they really
        exist in the CIB.
    type: list
    elements: str
    default: []
  field_prefix:
    description: Name of the package list in error messages (C(packages[2].ip[0]...)).
    type: str
    default: packages
  cluster_field_prefix:
    description: Prefix of the cluster fields in error messages (the roles pass C(cluster_)).
    type: str
    default: cluster_
  wait:
    description:
      - Seconds to wait after the change until the cluster has settled
        (C(crm_resource --wait)); C(0) does not wait.
    type: int
    default: 0
  apply_timeout:
    description:
      - Seconds the module keeps re-reading, re-planning and re-patching while concurrent
        configuration changes (or a CIB manager too busy to answer) refuse its patch. Each
        attempt is one whole transaction; when the time is up the task fails and the CIB holds
        all of the change or none of it.
    type: int
    default: 60
  validate_only:
    description:
      - Validate and compile on the controller, report the result and stop there - the node is only
        read (its live CIB, for the checks against the cluster), never changed.
        C(playbooks/provision.yml) uses it to refuse a wrong package before any host changes.
      - The result has C(changed=false) and the names of the valid packages in RV(packages).
    type: bool
    default: false
  compiled:
    description:
      - Set by the action plugin - the compiled XML of each package. Do not set it yourself.
      - When the module runs without the action plugin and this is not set, it validates and
        compiles on the node (which then needs the Python library C(netaddr)).
    type: list
    elements: str
requirements:
  - pacemaker-cli-utils (cibadmin, crm_diff, crm_resource) on the node
  - netaddr on the controller
notes:
  - Warnings tell where Pacemaker cannot express a Serviceguard rule exactly (see
    C(docs/concepts.md)); they never fail the task.
  - C(auto_run) only decides the role of a new package; after that the role belongs to
    M(failover.cluster.package_state), so re-running this module never starts or stops a
    package that an operator has halted or run.
seealso:
  - module: failover.cluster.package_state
  - module: failover.cluster.cluster_info
"""

EXAMPLES = r"""
- name: Packages in Serviceguard's vocabulary, applied in one CIB transaction
  failover.cluster.package:
    cluster: "{{ cluster_description }}"
    packages:
      - package_name: web
        node_name: [node1, node2]
        failover_policy: configured_node
        failback_policy: manual
        ip:
          - ip_subnet: 198.51.100.0/24
            ip_address: 198.51.100.50
        services:
          - service_name: httpd
            service_unit: nginx.service
            service_restart: 2
      - package_name: batch
        node_name: [node2, node1]
        auto_run: false
        services:
          - service_name: worker
            service_cmd: /usr/local/bin/worker --queue main
        dependencies:
          - dependency_name: web
            dependency_condition: up
            dependency_location: same_node
  run_once: true

- name: Remove a package (only its own objects)
  failover.cluster.package:
    state: absent
    packages: [batch]
  run_once: true
"""

RETURN = r"""
changes:
  description:
    - Top-level CIB objects that were (or in check mode would be) changed, as C(resources/<id>)
      or C(constraints/<id>).
  returned: always
  type: dict
  contains:
    added:
      description: New objects.
      type: list
      elements: str
    removed:
      description: Removed objects.
      type: list
      elements: str
    changed:
      description: Objects whose XML differs.
      type: list
      elements: str
  sample: {"added": ["constraints/fc.web.loc.node1", "resources/fc.web"], "removed": [], "changed": []}
packages:
  description: Names of the packages this task made present.
  returned: always
  type: list
  elements: str
removed:
  description: Names of the packages this task removed (O(state=absent) or O(purge)).
  returned: always
  type: list
  elements: str
cib_version:
  description: C(admin_epoch.epoch.num_updates) of the CIB the change was computed against.
  returned: success
  type: str
  sample: "0.12.4"
retries:
  description:
    - How often the patch was refused because the CIB configuration changed meanwhile (or the CIB manager
      timed out); each time the module re-read the CIB and re-planned.
  returned: success
  type: int
settle_seconds:
  description: Seconds waited for the cluster to settle (O(wait) > 0 and changed).
  returned: when waited
  type: float
warnings:
  description: Where Pacemaker cannot express a Serviceguard rule exactly.
  returned: when any
  type: list
  elements: str
errors:
  description: "Every validation problem, each C(<field>: <rule>)."
  returned: on validation failure
  type: list
  elements: str
commands:
  description: Commands run, as argv lists.
  returned: always
  type: list
  elements: list
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.failover.cluster.plugins.module_utils._cib_apply import (
    ApplyError,
    Plan,
    apply_desired,
    cib_version,
    package_from_xml,
    read_cib,
)
from ansible_collections.failover.cluster.plugins.module_utils._model.cib import managed_packages
from ansible_collections.failover.cluster.plugins.module_utils._model.errors import CompileError, SpecError
from ansible_collections.failover.cluster.plugins.module_utils._model.live import (
    check_live,
    purge_names,
    read_live,
    view_of_compiled,
)
from ansible_collections.failover.cluster.plugins.module_utils._package_args import (
    ARGUMENT_SPEC,
    ArgumentProblem,
    check_options,
    compile_request,
    package_names,
)
from ansible_collections.failover.cluster.plugins.module_utils._runner import CommandError, Runner


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    params = module.params
    runner = Runner(module)
    result = {"changed": False, "changes": {"added": [], "removed": [], "changed": []}, "packages": [],
              "removed": [], "commands": runner.commands}

    live = None
    try:
        check_options(params)
        if params["state"] == "present":
            if params["compiled"] is not None:
                desired = {}
                for text in params["compiled"]:
                    compiled = package_from_xml(text)
                    desired[compiled.name] = compiled
            else:  # no action plugin: validate against the live cluster here
                if not params["validate_only"]:
                    live = read_cib(runner)
                desired, warnings = compile_request(params, live=read_live(live))
                for warning in warnings:
                    module.warn(warning)
            remove = []
        else:
            desired, remove = {}, package_names(params["packages"], params["field_prefix"])
    except SpecError as exc:
        module.fail_json(msg="the package description is invalid; nothing was changed:\n" + str(exc),
                         errors=exc.errors, **result)
    except (ArgumentProblem, CompileError) as exc:
        module.fail_json(msg=str(exc), **result)
    except CommandError as exc:
        module.fail_json(msg="cannot read the CIB on this node: {0}".format(exc), **result)
    if params["validate_only"]:
        names = list(desired) if params["state"] == "present" else remove
        result["packages"] = names
        module.exit_json(msg="valid: {0} package(s); nothing was changed".format(len(names)), **result)

    try:
        if live is None:
            live = read_cib(runner)
        if params["state"] == "present" and params["purge"]:
            remove = purge_names(read_live(live), desired, params["owner"])
        if params["compiled"] is not None:  # checked by the action plugin; again against the CIB read now
            errors, _warnings = check_live([view_of_compiled(p) for p in desired.values()], read_live(live),
                                           params["field_prefix"], {n: "purge" for n in remove}, params["owner"])
            if errors:
                module.fail_json(msg="the package description is invalid; nothing was changed:\n" + "\n".join(errors),
                                 errors=errors, **result)
        plan = Plan(live, desired, remove)
    except CommandError as exc:
        module.fail_json(msg="cannot read the CIB on this node: {0}".format(exc), **result)
    except CompileError as exc:
        module.fail_json(msg=str(exc), **result)

    existing = set(managed_packages(live))
    result.update(packages=list(desired), removed=[n for n in remove if n in existing],
                  cib_version=cib_version(live), retries=0, changes=plan.changes, changed=plan.changed)
    if plan.problems:
        module.fail_json(msg="; ".join(plan.problems) + "; nothing was changed", **result)
    if module._diff:
        result["diff"] = plan.diff()
    if not plan.changed or module.check_mode:
        module.exit_json(**result)

    try:
        applied, retries = apply_desired(runner, live, desired, remove, timeout=params["apply_timeout"])
    except (ApplyError, CompileError) as exc:
        module.fail_json(msg=str(exc), **result)
    except CommandError as exc:
        module.fail_json(msg="cannot change the CIB: {0}".format(exc), **result)
    result.update(changes=applied.changes, changed=applied.changed, retries=retries)
    if module._diff:
        result["diff"] = applied.diff()
    if params["wait"] > 0:
        from time import monotonic

        begin = monotonic()
        try:
            runner.run([runner.which("crm_resource"), "--wait", "--timeout", "{0}s".format(params["wait"])])
        except CommandError as exc:
            module.fail_json(msg="the CIB was changed but the cluster did not settle within {0}s: {1}".format(
                params["wait"], exc), **result)
        result["settle_seconds"] = round(monotonic() - begin, 3)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
