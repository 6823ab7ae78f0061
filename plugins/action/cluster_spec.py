# Copyright: failover.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller side of failover.cluster.cluster_spec: validate and compile, touch no host."""

from __future__ import annotations

from ansible.plugins.action import ActionBase

from ansible_collections.failover.cluster.plugins.module_utils._cluster_vars import spec_from_vars
from ansible_collections.failover.cluster.plugins.module_utils._model.cluster import build_cluster
from ansible_collections.failover.cluster.plugins.module_utils._model.corosync import render_corosync_conf
from ansible_collections.failover.cluster.plugins.module_utils._model.errors import SpecError

ARGUMENT_SPEC = {
    "spec": {"type": "dict"},
    "field_prefix": {"type": "str", "default": "cluster_"},
}


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False
    _supports_check_mode = True

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        _validation, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        spec = args["spec"]
        if spec is None:
            spec, missing = spec_from_vars(lambda name: self._lookup(task_vars or {}, name))
            if missing:
                result.update(failed=True, changed=False, errors=["{0}: is required".format(m) for m in missing],
                              msg="the cluster description is incomplete; nothing was changed: {0} must be set "
                                  "(the cluster role's variables, see docs/spec-reference.md)".format(
                                      ", ".join(missing)))
                return result
        try:
            cluster, warnings = build_cluster(spec, prefix=args["field_prefix"])
        except SpecError as exc:
            result.update(
                failed=True,
                changed=False,
                msg="the cluster description is invalid; nothing was changed:\n" + str(exc),
                errors=exc.errors,
            )
            if exc.warnings:
                result["warnings"] = exc.warnings
            return result
        normalized = cluster.to_dict()
        result.update(
            changed=False,
            cluster=normalized,
            corosync_conf=render_corosync_conf(cluster),
            properties=normalized["derived"]["cluster_properties"],
            spec_source="spec" if args["spec"] is not None else "variables",
        )
        if warnings:
            result["warnings"] = warnings
        return result

    def _lookup(self, task_vars, name):
        """(found, templated value) of an inventory variable; an undefined one is not found."""
        if name not in task_vars:
            return False, None
        return True, self._templar.template(task_vars[name])
