#!/usr/bin/python
# Copyright: failover.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: sna_port
short_description: An SNA port (IP, Enterprise Extender style) of an SNA gateway
version_added: 0.1.0
description:
  - Defines an IP port (C(define_ip_port)) and starts or stops it (C(start_port) / C(stop_port)),
    or deletes it.
  - A port must be defined before its link stations, and started before they can start.
  - A started port cannot be redefined. The module fails when its definition differs, unless
    O(allow_restart=true) lets it stop the port (which stops its link stations), redefine it
    and start it again; the link stations are not restarted.
  - Needs the control daemon and, to start, an initialised node (M(failover.cluster.sna_node));
    starting binds O(local_ip), which must be on the host (normally the package's relocatable IP).
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
  port_name:
    description: Name of the port (1-8 characters A-Z 0-9 @ # $).
    type: str
    required: true
  state:
    description:
      - C(defined) - the port is defined as given (a port restarted to change it is started again).
      - C(started) - defined and started. C(stopped) - defined and stopped. C(absent) - stopped and deleted.
    type: str
    choices: [defined, started, stopped, absent]
    default: started
  local_ip:
    description: Local address of the port (the relocatable IP). Required to define a new port.
    type: str
  udp_port:
    description: UDP port (Enterprise Extender uses 12000).
    type: int
  description:
    description: Free text (up to 31 characters).
    type: str
  stop_type:
    description: How the port is stopped - C(orderly) (ORDERLY_STOP) or C(immediate) (IMMEDIATE_STOP).
    type: str
    choices: [orderly, immediate]
    default: orderly
  allow_restart:
    description: Let the module stop a started port to change its definition, then start it again.
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Define and start the HA port on the relocatable IP
  failover.cluster.sna_port:
    port_name: HAPORT
    local_ip: 10.20.0.50
    udp_port: 12000

- name: Only write the definition (on every candidate gateway)
  failover.cluster.sna_port:
    port_name: HAPORT
    local_ip: 10.20.0.50
    state: defined

- name: Stop it
  failover.cluster.sna_port:
    port_name: HAPORT
    state: stopped
"""

RETURN = r"""
port:
  description:
    - The port as C(query_port) shows it after the task (C(port_name), C(local_ip), C(udp_port),
      C(description), C(port_state), C(ls_count), ...); empty when absent. In check mode, the prediction.
  returned: always
  type: dict
commands:
  description: Commands run (queries included) and, in check mode, those that would run, as argv lists.
  returned: always
  type: list
  elements: list
primary_rc:
  description: The product's primary return code of the verb that failed (for example C(UNSUCCESSFUL)).
  returned: failure of an SNA command
  type: str
secondary_rc:
  description: The product's secondary return code (for example C(LOCAL_ADDRESS_NOT_AVAILABLE)), if any.
  returned: failure of an SNA command
  type: str
rc:
  description: Exit status of the command that failed.
  returned: failure of an SNA command
  type: int
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.failover.cluster.plugins.module_utils._runner import Runner
from ansible_collections.failover.cluster.plugins.module_utils._sna_ops import COMMON_ARGS, ensure_port, finish


def main():
    module = AnsibleModule(
        argument_spec=dict(
            COMMON_ARGS,
            port_name={"type": "str", "required": True},
            state={"type": "str", "default": "started", "choices": ["defined", "started", "stopped", "absent"]},
            local_ip={"type": "str"},
            udp_port={"type": "int"},
            description={"type": "str"},
            stop_type={"type": "str", "default": "orderly", "choices": ["orderly", "immediate"]},
            allow_restart={"type": "bool", "default": False},
        ),
        supports_check_mode=True,
    )
    finish(module, Runner(module), ensure_port)


if __name__ == "__main__":
    main()
