# Copyright: failover.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller side of failover.cluster.package: validate and compile, then let the node patch.

Every package and the cluster description are validated together here, before any host is
touched (a bad package fails every host's task with the same messages). The module on the
node receives the compiled XML (option ``compiled``) and does not need netaddr.
"""

from __future__ import annotations

from ansible.plugins.action import ActionBase

from ansible_collections.failover.cluster.plugins.module_utils._cib_apply import package_to_xml
from ansible_collections.failover.cluster.plugins.module_utils._model.errors import CompileError, SpecError
from ansible_collections.failover.cluster.plugins.module_utils._package_args import (
    ARGUMENT_SPEC,
    ArgumentProblem,
    compile_request,
    package_names,
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
            if args["state"] == "present":
                desired, warnings = compile_request(args)
                names = list(desired)
                module_args["compiled"] = [package_to_xml(p) for p in desired.values()]
                module_args.pop("cluster", None)  # the node only needs the compiled XML
            else:
                names = package_names(args["packages"], args["field_prefix"])
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
