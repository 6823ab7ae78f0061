# Copyright: failover.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Validate the cluster's alerts description on the controller, before any host changes."""

from __future__ import annotations

DOCUMENTATION = r"""
name: alert_problems
short_description: Every problem of a cluster's alerts description (event notification)
version_added: 0.1.0
description:
  - Validates a C(cluster_alerts) description the way M(failover.cluster.cluster_alerts) does and returns
    one message per problem, each naming the field and the rule (recipients with shell metacharacters,
    unknown event names, a script path that is not absolute, an SNMP recipient that is not an IP address,
    unknown fields). Runs on the controller, so a role can refuse bad input before any host changes.
options:
  _input:
    description: The alerts description (a list of mappings).
    type: list
    elements: dict
    required: true
  field:
    description: The field name the messages start with.
    type: str
    default: cluster_alerts
author:
  - failover.cluster developers (@failover-cluster)
"""

EXAMPLES = r"""
- name: Refuse a bad alerts description before anything changes
  ansible.builtin.assert:
    that: problems | length == 0
    fail_msg: "{{ problems | join('; ') }}"
  vars:
    problems: "{{ cluster_alerts | failover.cluster.alert_problems }}"
"""

RETURN = r"""
_value:
  description: One message per problem; empty when the description is valid.
  type: list
  elements: str
"""

from ansible_collections.failover.cluster.plugins.module_utils._model.alerts import alert_problems as _problems


def alert_problems(alerts, field="cluster_alerts"):
    return _problems(alerts, field)


class FilterModule:
    def filters(self):
        return {"alert_problems": alert_problems}
