# Copyright: failover.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A runbook report as a page a person reads."""

from __future__ import annotations

DOCUMENTATION = r"""
name: timeline_markdown
short_description: A runbook report as a Markdown page
version_added: 0.1.0
description:
  - Renders the report a runbook writes (result, attempts, phases, steps with their durations
    as a bar chart, the downtime a probe measured) as a Markdown page a person can read.
options:
  _input:
    description: The report (the JSON the runbook writes).
    type: dict
    required: true
author:
  - failover.cluster developers (@failover-cluster)
"""

EXAMPLES = r"""
- name: Print a report
  ansible.builtin.debug:
    msg: "{{ report | failover.cluster.timeline_markdown }}"
"""

RETURN = r"""
_value:
  description: The page.
  type: str
"""

from ansible_collections.failover.cluster.plugins.module_utils._timeline import render_markdown


def timeline_markdown(report):
    return render_markdown(report)


class FilterModule:
    def filters(self):
        return {"timeline_markdown": timeline_markdown}
