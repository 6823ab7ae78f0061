# Copyright: failover.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller side of failover.cluster.timeline_chart: the report's steps as a PNG Gantt chart."""

from __future__ import annotations

import os

from ansible.plugins.action import ActionBase

from ansible_collections.failover.cluster.plugins.module_utils._gantt import gantt_png


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _supports_check_mode = True
    _supports_async = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        _validation, args = self.validate_argument_spec(argument_spec={
            "report": {"type": "dict", "required": True},
            "dest": {"type": "path", "required": True},
        })
        report = args["report"]
        steps = report.get("steps") or []
        gaps = (report.get("downtime") or {}).get("gaps") or []
        try:
            data = gantt_png(steps, gaps)
        except (KeyError, TypeError, ValueError) as exc:
            result.update(failed=True, changed=False, msg="report: its steps cannot be drawn: {0}".format(exc))
            return result
        dest = args["dest"]
        old = None
        if os.path.exists(dest):
            with open(dest, "rb") as handle:
                old = handle.read()
        changed = old != data
        if changed and not self._task.check_mode:
            tmp_path = dest + ".tmp"
            with open(tmp_path, "wb") as handle:
                handle.write(data)
            os.chmod(tmp_path, 0o644)
            os.replace(tmp_path, dest)
        result.update(changed=changed, dest=dest, bytes=len(data))
        return result
