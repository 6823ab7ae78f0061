#!/usr/bin/python
# Copyright: failover.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: cluster_spec
short_description: Validate a cluster description and compile it, on the controller
version_added: 0.1.0
description:
  - Checks a whole cluster description (name, nodes and their heartbeat addresses, member
    timeout, timing profile, quorum server or lock LUN, crypto, cluster properties) against
    the rules of the Serviceguard manuals and of Corosync, and compiles it to the
    C(corosync.conf) text and the Pacemaker cluster properties the roles apply.
  - Runs on the controller only and touches no host. Every violation is reported at once,
    each naming the field and the rule, so that nothing is applied from a description that
    is partly wrong.
  - Without O(spec), it reads the description from the C(failover.cluster.cluster) role's public
    variables - C(cluster_name), C(cluster_nodes), C(cluster_member_timeout), C(cluster_timing_profile),
    C(cluster_autostart), C(cluster_quorum_server), C(cluster_lock_lun), C(cluster_transport),
    C(cluster_crypto), C(cluster_properties), C(cluster_ip_monitor) - with that role's defaults for those not set.
    This is how the roles C(cluster), C(packages), C(lock_lun), C(quorum_server) (member part) and C(sna_gateway)
    get the description; each calls it once, before any other task. Call it yourself to check an
    inventory in a pipeline.
author:
  - failover.cluster developers (@failover-cluster)
extends_documentation_fragment:
  - failover.cluster.attributes
  - failover.cluster.attributes.INFO_MODULE
attributes:
  action:
    support: full
    description: Runs on the controller as an action plugin.
options:
  spec:
    description:
      - The cluster description. Its keys and rules are listed in C(docs/spec-reference.md)
        - C(name), C(nodes), C(member_timeout), C(timing_profile), C(autostart),
        C(quorum_server), C(lock_lun), C(transport), C(crypto), C(properties), C(ip_monitor).
      - When omitted, the description is built from the C(cluster_*) variables of the host (see above);
        C(cluster_name) and C(cluster_nodes) must then be set.
    type: dict
  field_prefix:
    description:
      - Prefix of the field names in error messages, so that they name the variable the
        operator wrote (the C(cluster) role passes C(cluster_)).
    type: str
    default: cluster_
notes:
  - Warnings (for example an even number of nodes without a tie-breaker) are shown and do
    not fail the task.
"""

EXAMPLES = r"""
- name: Validate the description the inventory's cluster_* variables give
  failover.cluster.cluster_spec:
  run_once: true
  register: cluster

- name: Validate the cluster description before anything changes
  failover.cluster.cluster_spec:
    spec:
      name: gw
      nodes:
        - name: node1
          addresses: [198.51.100.11/24]
        - name: node2
          addresses: [198.51.100.12/24]
      timing_profile: low_latency
      quorum_server:
        host: qs
        address: 198.51.100.10
  run_once: true
  register: spec

- name: Show the corosync.conf it compiles to
  ansible.builtin.debug:
    msg: "{{ spec.corosync_conf.splitlines() }}"
"""

RETURN = r"""
cluster:
  description: The normalized description, with defaults filled in and the derived engine settings under C(derived).
  returned: success
  type: dict
corosync_conf:
  description: The C(corosync.conf) text the description compiles to.
  returned: success
  type: str
properties:
  description: Pacemaker cluster properties (derived ones, then the operator's).
  returned: success
  type: dict
  sample: {"dc-deadtime": "5s", "no-quorum-policy": "stop", "stonith-enabled": "false"}
spec_source:
  description: Where the description came from - C(spec) (the option) or C(variables) (the C(cluster_*) variables).
  returned: success
  type: str
  sample: variables
errors:
  description: "Every violation, each C(<field>: <rule>)."
  returned: failure
  type: list
  elements: str
  sample: ["cluster_nodes: a 2-node cluster needs a tie-breaker: set cluster_quorum_server or cluster_lock_lun"]
"""

from ansible.module_utils.basic import AnsibleModule


def main():
    module = AnsibleModule(
        argument_spec={
            "spec": {"type": "dict"},
            "field_prefix": {"type": "str", "default": "cluster_"},
        },
        supports_check_mode=True,
    )
    module.fail_json(msg="failover.cluster.cluster_spec runs on the controller as an action plugin")


if __name__ == "__main__":
    main()
