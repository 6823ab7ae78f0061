#!/usr/bin/python
# Copyright: failover.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: sna_link_station
short_description: An SNA link station (IP, to a remote SNA host) of an SNA gateway
version_added: 0.1.0
description:
  - Defines a link station (C(define_ip_ls)), starts it (C(start_ls), then waits until it is
    ACTIVE) or stops it (C(stop_ls), then waits until it is NOT_ACTIVE), or deletes it, and returns
    its state as C(query_ls) shows it.
  - A link station can only be changed while stopped. When its definition differs and it is not
    NOT_ACTIVE, the module fails, unless O(allow_restart=true) lets it stop the link station,
    redefine it and start it again.
  - C(start_ls) needs the control daemon, an initialised node and a started port; each failure
    comes back with the product's return codes (C(COMM_SUBSYSTEM_NOT_LOADED),
    C(STATE_CHECK)/C(PORT_NOT_STARTED), C(UNSUCCESSFUL)/C(NODE_ACTIVE_ELSEWHERE) when a stale node
    still holds the PU - see M(failover.cluster.sna_node) O(failover.cluster.sna_node#module:forced_stop)).
author:
  - failover.cluster developers (@failover-cluster)
extends_documentation_fragment:
  - failover.cluster.attributes
  - failover.cluster.sna
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
options:
  ls_name:
    description: Name of the link station (1-8 characters A-Z 0-9 @ # $).
    type: str
    required: true
  state:
    description:
      - C(defined) - defined as given (a link station restarted to change it is started again).
      - C(started) - defined and ACTIVE. C(stopped) - defined and NOT_ACTIVE. C(absent) - stopped and deleted.
    type: str
    choices: [defined, started, stopped, absent]
    default: started
  port_name:
    description: The port the link station uses (defined first). Required to define a new link station.
    type: str
  remote_ip_host:
    description: Address or name of the remote SNA host. Required to define a new link station.
    type: str
  remote_udp_port:
    description: UDP port of the remote SNA host.
    type: int
  pu_name:
    description: The PU the remote host activates for this link station. Required to define a new link station.
    type: str
  adj_cp_name:
    description: Fully qualified CP name of the adjacent node (C(NETID.NAME)).
    type: str
  description:
    description: Free text (up to 31 characters).
    type: str
  stop_type:
    description: C(orderly) (ORDERLY_STOP, waits for the remote host) or C(immediate) (IMMEDIATE_STOP).
    type: str
    choices: [orderly, immediate]
    default: orderly
  allow_restart:
    description: Let the module stop an active link station to change its definition, then start it again.
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Define the HA link station and bring it up
  failover.cluster.sna_link_station:
    ls_name: HALS
    port_name: HAPORT
    remote_ip_host: 10.20.0.5
    pu_name: HAPU
    timeout: 30
  register: hals

- name: Show its state
  ansible.builtin.debug:
    msg: "{{ hals.link_station.state }} since {{ hals.link_station.active_since }}"

- name: Stop it at once
  failover.cluster.sna_link_station:
    ls_name: HALS
    state: stopped
    stop_type: immediate
"""

RETURN = r"""
link_station:
  description:
    - The link station as C(query_ls) shows it after the task (C(ls_name), C(port_name),
      C(remote_ip_host), C(remote_udp_port), C(pu_name), C(adj_cp_name), C(description), C(state) -
      ACTIVE, NOT_ACTIVE, PENDING_ACTIVE or PENDING_INACTIVE -, C(session_id), C(active_since),
      C(last_error), ...); empty when absent. In check mode, the prediction.
  returned: always
  type: dict
commands:
  description: Commands run (queries included) and, in check mode, those that would run, as argv lists.
  returned: always
  type: list
  elements: list
primary_rc:
  description: The product's primary return code of the verb that failed (for example C(STATE_CHECK)).
  returned: failure of an SNA command
  type: str
secondary_rc:
  description: The product's secondary return code (for example C(PORT_NOT_STARTED)), if any.
  returned: failure of an SNA command
  type: str
rc:
  description:
    - Exit status of the command that failed (0 when the command succeeded but the state was not
      reached in time).
  returned: failure of an SNA command
  type: int
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.failover.cluster.plugins.module_utils._runner import Runner
from ansible_collections.failover.cluster.plugins.module_utils._sna_ops import COMMON_ARGS, ensure_ls, finish


def main():
    module = AnsibleModule(
        argument_spec=dict(
            COMMON_ARGS,
            ls_name={"type": "str", "required": True},
            state={"type": "str", "default": "started", "choices": ["defined", "started", "stopped", "absent"]},
            port_name={"type": "str"},
            remote_ip_host={"type": "str"},
            remote_udp_port={"type": "int"},
            pu_name={"type": "str"},
            adj_cp_name={"type": "str"},
            description={"type": "str"},
            stop_type={"type": "str", "default": "orderly", "choices": ["orderly", "immediate"]},
            allow_restart={"type": "bool", "default": False},
        ),
        supports_check_mode=True,
    )
    finish(module, Runner(module), ensure_ls, module.params["timeout"])


if __name__ == "__main__":
    main()
