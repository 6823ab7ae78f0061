# Copyright: failover.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The SNMP alert agent the cluster role installs, made from Pacemaker's own sample."""

from __future__ import annotations

DOCUMENTATION = r"""
name: snmp_alert_agent
short_description: Pacemaker's sample SNMP alert agent with numeric OIDs
version_added: 0.1.0
description:
  - Takes the text of Pacemaker's sample SNMP alert agent (Debian's pacemaker ships it as
    C(/usr/share/pacemaker/alerts/alert_snmp.sh.sample)) and returns it with the PACEMAKER-MIB and
    HOST-RESOURCES-MIB object names replaced by their numeric OIDs, so C(snmptrap) sends the trap without
    MIB files (Debian 12 has no IETF MIBs in main, so the names do not resolve). Nothing else changes.
  - Fails when the text does not hold every name the sample uses.
options:
  _input:
    description: The sample agent's text.
    type: str
    required: true
author:
  - failover.cluster developers (@failover-cluster)
"""

EXAMPLES = r"""
- name: Read the sample agent on the node
  ansible.builtin.slurp:
    src: /usr/share/pacemaker/alerts/alert_snmp.sh.sample
  register: sample

- name: Install it with numeric OIDs
  ansible.builtin.copy:
    content: "{{ sample.content | b64decode | failover.cluster.snmp_alert_agent }}"
    dest: /usr/local/libexec/failover-cluster/alert_snmp.sh
    mode: "0755"
"""

RETURN = r"""
_value:
  description: The agent's text.
  type: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.failover.cluster.plugins.module_utils._model.alerts import snmp_agent


def snmp_alert_agent(sample):
    try:
        return snmp_agent(sample)
    except ValueError as exc:
        raise AnsibleFilterError(str(exc)) from None


class FilterModule:
    def filters(self):
        return {"snmp_alert_agent": snmp_alert_agent}
