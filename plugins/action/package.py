# Copyright: failover.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller side of failover.cluster.package: validate and compile, then let the node patch.

Every package and the cluster description are validated together here, before any host is
touched (a bad package fails every host's task with the same messages). The live CIB is read
from the task's host first (one fixed read-only command, ``READ_LIVE_CIB``; with
``validate_only`` too), so the packages are also checked against everything the cluster
already holds: IPs, ids, owners, dependencies on live packages and on packages this run
removes. The module on the node receives the compiled XML (option ``compiled``) and does not
need netaddr.
"""

from __future__ import annotations

from ansible.plugins.action import ActionBase

from ansible_collections.failover.cluster.plugins.module_utils._cib_apply import package_to_xml
from ansible_collections.failover.cluster.plugins.module_utils._model.errors import CompileError, SpecError
from ansible_collections.failover.cluster.plugins.module_utils._package_args import (
    ARGUMENT_SPEC,
    READ_LIVE_CIB,
    ArgumentProblem,
    check_options,
    compile_request,
    live_cluster,
    package_names,
    removal_problems,
)


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _supports_check_mode = True
    _supports_async = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        _validation, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        module_args = dict(self._task.args)
        warnings = []
        try:
            if args["compiled"] is not None:
                raise ArgumentProblem("compiled: set by the action plugin; give packages and cluster instead")
            check_options(args)
            live = self._live_cluster(task_vars or {})
            if args["state"] == "present":
                desired, warnings = compile_request(args, live=live)
                names = list(desired)
                module_args["compiled"] = [package_to_xml(p) for p in desired.values()]
                module_args.pop("cluster", None)  # the node only needs the compiled XML
            else:
                names = package_names(args["packages"], args["field_prefix"])
                removal_problems(names, live, args["field_prefix"])
        except SpecError as exc:
            result.update(failed=True, changed=False, errors=exc.errors,
                          msg="the package description is invalid; nothing was changed:\n" + str(exc))
            if exc.warnings:
                result["warnings"] = exc.warnings
            return result
        except (ArgumentProblem, CompileError) as exc:
            result.update(failed=True, changed=False, msg=str(exc))
            return result

        if args["validate_only"]:
            result.update(changed=False, packages=names,
                          msg="valid: {0} package(s); nothing was changed".format(len(names)))
            if warnings:
                result["warnings"] = warnings
            return result

        module_result = self._execute_module(module_name="failover.cluster.package", module_args=module_args,
                                             task_vars=task_vars)
        result.update(module_result)
        if warnings:
            result["warnings"] = warnings + list(module_result.get("warnings", []))
        return result

    def _live_cluster(self, task_vars):
        """The live cluster as the task's host sees it (an empty one when it has no CIB yet)."""
        res = self._low_level_execute_command(READ_LIVE_CIB, sudoable=True)
        if res.get("rc") != 0:
            host = self._task.delegate_to or task_vars.get("inventory_hostname") or "the node"
            raise ArgumentProblem("cannot read the live CIB on {0} to check the packages against the cluster "
                                  "(exit {1}): {2}; nothing was changed".format(
                                      host, res.get("rc"), (res.get("stderr") or res.get("stdout") or "").strip()))
        return live_cluster(res.get("stdout"))
