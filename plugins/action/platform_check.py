# Copyright: failover.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller side of failover.cluster.platform_check: the first task of every role."""

from __future__ import annotations

import os

from ansible.plugins.action import ActionBase

from ansible_collections.failover.cluster.plugins.module_utils._platform import (
    PlatformTableError,
    check_message,
    platform_table,
)

ARGUMENT_SPEC = {
    "vars_dir": {"type": "path"},
    "name": {"type": "str"},
}
# The facts the check needs; gathered (minimal subset) only when the play has not gathered them.
FACTS = ("distribution", "distribution_version", "distribution_major_version", "os_family")


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _supports_check_mode = True

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        task_vars = task_vars or {}
        _validation, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        role = self._task._role
        vars_dir = args["vars_dir"] or (os.path.join(role._role_path, "vars") if role else None)
        if not vars_dir:
            result.update(failed=True, msg="platform_check: give vars_dir when the task is not part of a role")
            return result
        name = args["name"] or (role.get_name() if role else vars_dir)

        try:
            table = platform_table(self._family_files(vars_dir))
        except PlatformTableError as exc:
            result.update(failed=True, msg="{0}: {1}".format(name, exc))
            return result

        facts = dict(task_vars.get("ansible_facts") or {})
        if not all(facts.get(key) for key in ("distribution", "os_family")):
            gathered = self._execute_module(
                module_name="ansible.builtin.setup",
                module_args={"gather_subset": ["!all"], "filter": ["ansible_" + key for key in FACTS]},
                task_vars=task_vars,
            )
            if gathered.get("failed"):
                problem = gathered.get("msg")
                result.update(failed=True, msg="{0}: cannot read the host's platform: {1}".format(name, problem))
                return result
            result["ansible_facts"] = gathered.get("ansible_facts", {})
            facts.update({key.removeprefix("ansible_"): value for key, value in result["ansible_facts"].items()})

        host = task_vars.get("inventory_hostname", "the host")
        message = check_message(name, host, facts, table)
        result["platform"] = {key: facts.get(key) for key in FACTS}
        result["changed"] = False
        if message:
            result.update(failed=True, msg=message)
        return result

    def _family_files(self, vars_dir):
        files = {}
        if os.path.isdir(vars_dir):
            for entry in sorted(os.listdir(vars_dir)):
                stem, ext = os.path.splitext(entry)
                if ext in (".yml", ".yaml") and stem != "main":
                    files[stem] = self._loader.load_from_file(os.path.join(vars_dir, entry))
        return files
