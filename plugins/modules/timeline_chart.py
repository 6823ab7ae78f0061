#!/usr/bin/python
# Copyright: failover.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: timeline_chart
short_description: Draw a runbook report's steps as a Gantt chart (PNG) on the controller
version_added: 0.1.0
description:
  - Draws one bar per step of a runbook report (the C(steps) the switch returned, numbered as
    in the report's Markdown table) - stops on the source in blue, starts on the target in
    green, a failed start in red - on a time axis in seconds from the start of the switch, with
    the downtime the probe measured as a grey band across the top.
  - Runs on the controller as an action plugin and writes the PNG with the Python standard
    library only (no plotting library needed).
author:
  - failover.cluster developers (@failover-cluster)
extends_documentation_fragment:
  - failover.cluster.attributes
attributes:
  action:
    support: full
    description: Runs on the controller as an action plugin.
  check_mode:
    support: full
    details:
      - Reports whether the file would change and writes nothing.
  diff_mode:
    support: none
options:
  report:
    description: The runbook report (its C(steps) and, when measured, C(downtime.gaps)).
    type: dict
    required: true
  dest:
    description: Path of the PNG on the controller.
    type: path
    required: true
"""

EXAMPLES = r"""
- name: Draw the steps next to the report
  failover.cluster.timeline_chart:
    report: "{{ report }}"
    dest: "{{ report_base }}.png"
  delegate_to: localhost
  run_once: true
"""

RETURN = r"""
dest:
  description: The path written.
  returned: always
  type: str
bytes:
  description: Size of the PNG.
  returned: always
  type: int
"""

from ansible.module_utils.basic import AnsibleModule


def main():
    module = AnsibleModule(
        argument_spec={"report": {"type": "dict", "required": True}, "dest": {"type": "path", "required": True}},
        supports_check_mode=True,
    )
    module.fail_json(msg="failover.cluster.timeline_chart runs on the controller as an action plugin")


if __name__ == "__main__":
    main()
