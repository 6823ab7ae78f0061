# Copyright: failover.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller side of failover.cluster.cluster_spec: validate and compile, touch no host."""

from __future__ import annotations

from ansible.plugins.action import ActionBase

from ansible_collections.failover.cluster.plugins.module_utils._model.cluster import build_cluster
from ansible_collections.failover.cluster.plugins.module_utils._model.corosync import render_corosync_conf
from ansible_collections.failover.cluster.plugins.module_utils._model.errors import SpecError

ARGUMENT_SPEC = {
    "spec": {"type": "dict", "required": True},
    "field_prefix": {"type": "str", "default": "cluster_"},
}


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False
    _supports_check_mode = True

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        _validation, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        try:
            cluster, warnings = build_cluster(args["spec"], prefix=args["field_prefix"])
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
        )
        if warnings:
            result["warnings"] = warnings
        return result
