#!/usr/bin/python
# Copyright: failover.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: sna_definitions
short_description: All SNA definitions of a gateway node (node, port, link stations) checked and repaired in one call
version_added: 0.1.0
description:
  - Reads the node, the port and every link station with one query each (C(query_node),
    C(query_port), C(query_ls)), compares them with the wanted definitions and writes only what
    is missing or differs (C(define_node), C(define_ip_port), C(define_ip_ls)). A link station
    deleted by hand, or changed, is defined again; on a node whose definitions match, the module
    runs the three queries and nothing else, whatever the number of link stations.
  - Defining needs the control daemon. Where it is not running (a candidate the package does not
    run on), the module starts it for the run (C(snap start)) and stops it again (C(snap stop));
    nothing is initialised or started. Where it runs (the package is active here), the
    definitions are repaired in place and the runtime state is left to the cluster.
  - The product changes a node, port or link station only while it is stopped. One that runs
    with a different definition is not touched; it is listed in RV(blocked) with a warning (stop
    it through the cluster, for example a planned failover, and run the module again).
  - Use it to write an SNA gateway's definitions on every candidate node; the per-object modules
    M(failover.cluster.sna_node), M(failover.cluster.sna_port) and M(failover.cluster.sna_link_station)
    also start and stop.
author:
  - failover.cluster developers (@failover-cluster)
extends_documentation_fragment:
  - failover.cluster.attributes
  - failover.cluster.sna
attributes:
  check_mode:
    support: full
    details:
      - With the control daemon running, check mode reads the definitions and reports exactly the
        C(define_*) commands a run would send.
      - With the control daemon not running, the definitions cannot be read without starting it;
        check mode then predicts that every definition is written, and says so in a warning.
  diff_mode:
    support: full
options:
  node:
    description: The node's definition (C(define_node)).
    type: dict
    required: true
    suboptions:
      fqcp_name:
        description: Fully qualified control point name, C(NETID.NAME).
        type: str
        required: true
      cp_alias:
        description: Local alias of the control point.
        type: str
      node_type:
        description: The node's APPN type.
        type: str
        choices: [END_NODE, NETWORK_NODE, LEN_NODE]
      node_id:
        description: Node identifier, 8 hexadecimal digits (upper case).
        type: str
      description:
        description: Free text (up to 31 characters).
        type: str
  port:
    description: The IP port the link stations use (C(define_ip_port)).
    type: dict
    required: true
    suboptions:
      port_name:
        description: Name of the port (1-8 characters A-Z 0-9 @ # $).
        type: str
        required: true
      local_ip:
        description: The port's local address (the package's relocatable IP).
        type: str
        required: true
      udp_port:
        description: Local UDP port.
        type: int
      description:
        description: Free text (up to 31 characters).
        type: str
  link_stations:
    description:
      - The link stations (C(define_ip_ls)), all on O(port). Names must be unique.
    type: list
    elements: dict
    default: []
    suboptions:
      ls_name:
        description: Name of the link station.
        type: str
        required: true
      port_name:
        description: Must be O(port.port_name) when given.
        type: str
      remote_ip_host:
        description: Address or name of the remote SNA host.
        type: str
        required: true
      remote_udp_port:
        description: UDP port of the remote SNA host.
        type: int
      pu_name:
        description: The PU the remote host activates for this link station.
        type: str
        required: true
      adj_cp_name:
        description: Fully qualified CP name of the adjacent node.
        type: str
      description:
        description: Free text (up to 31 characters).
        type: str
  prune:
    description:
      - Also delete link stations of O(port) that are not in O(link_stations) (C(delete_ls)); one
        that is not NOT_ACTIVE is left and listed in RV(blocked).
    type: bool
    default: false
notes:
  - The O(timeout) option is not used by this module (it starts and stops nothing but the daemon).
"""

EXAMPLES = r"""
- name: Write the gateway's definitions on every candidate and repair what drifted
  failover.cluster.sna_definitions:
    node:
      fqcp_name: APPN.GWNODE
      node_id: 05D12345
    port:
      port_name: HAPORT
      local_ip: 198.51.100.50
    link_stations:
      - {ls_name: LS001, remote_ip_host: 198.51.100.14, pu_name: PU001}
      - {ls_name: LS002, remote_ip_host: 198.51.100.14, pu_name: PU002}
      # ... as many as the gateway carries: still one module call per node
  register: defs

- name: Show what had drifted
  ansible.builtin.debug:
    var: defs.drift
"""

RETURN = r"""
drift:
  description:
    - Objects whose definition differed before the task, by C(node), C(port NAME) or C(ls NAME), each
      with the keys that differed, or C([missing]) (not defined), or C([extra]) (with O(prune)).
      Empty when everything matched.
  returned: always
  type: dict
  sample: {"ls LS007": ["missing"], "ls LS012": ["remote_ip_host"]}
blocked:
  description: Objects that differ but run, so the product cannot change them now (left as they are).
  returned: always
  type: list
  elements: str
daemon:
  description: C(running) when the control daemon ran before the task (left running), else C(stopped).
  returned: always
  type: str
link_station_count:
  description: How many link stations were asked for.
  returned: always
  type: int
commands:
  description: Commands run (queries included) and, in check mode, those that would run, as argv lists.
  returned: always
  type: list
  elements: list
primary_rc:
  description: The product's primary return code of the verb that failed.
  returned: failure of an SNA command
  type: str
secondary_rc:
  description: The product's secondary return code, if any.
  returned: failure of an SNA command
  type: str
rc:
  description: Exit status of the command that failed.
  returned: failure of an SNA command
  type: int
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.failover.cluster.plugins.module_utils._runner import Runner
from ansible_collections.failover.cluster.plugins.module_utils._sna_definitions import ensure_definitions
from ansible_collections.failover.cluster.plugins.module_utils._sna_ops import COMMON_ARGS, finish

NODE_OPTIONS = {
    "fqcp_name": {"type": "str", "required": True},
    "cp_alias": {"type": "str"},
    "node_type": {"type": "str", "choices": ["END_NODE", "NETWORK_NODE", "LEN_NODE"]},
    "node_id": {"type": "str"},
    "description": {"type": "str"},
}
PORT_OPTIONS = {
    "port_name": {"type": "str", "required": True},
    "local_ip": {"type": "str", "required": True},
    "udp_port": {"type": "int"},
    "description": {"type": "str"},
}
LS_OPTIONS = {
    "ls_name": {"type": "str", "required": True},
    "port_name": {"type": "str"},
    "remote_ip_host": {"type": "str", "required": True},
    "remote_udp_port": {"type": "int"},
    "pu_name": {"type": "str", "required": True},
    "adj_cp_name": {"type": "str"},
    "description": {"type": "str"},
}


def main():
    module = AnsibleModule(
        argument_spec=dict(
            COMMON_ARGS,
            node={"type": "dict", "required": True, "options": NODE_OPTIONS},
            port={"type": "dict", "required": True, "options": PORT_OPTIONS},
            link_stations={"type": "list", "elements": "dict", "default": [], "options": LS_OPTIONS},
            prune={"type": "bool", "default": False},
        ),
        supports_check_mode=True,
    )
    finish(module, Runner(module), ensure_definitions)


if __name__ == "__main__":
    main()
