#!/usr/bin/python
# Copyright: failover.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: sna_node
short_description: The SNA control daemon and node of an SNA gateway (SNAplus2, CS/Linux)
version_added: 0.1.0
description:
  - Starts or stops the SNA software's control daemon (C(snap start) / C(snap stop), run from
    C(/)), defines the node (C(define_node)) and initialises it (C(init_node)).
  - A server runs one node only. Initialising a node that already runs is not an error for this
    module (an active node is the wanted state), but asking for a different node while one runs
    fails with a clear message.
  - A running node cannot be redefined; the module fails rather than stop it (stop it first with
    O(state=stopped)).
  - With O(forced_stop=true) it forces a stale node out before the node is initialised - the
    remote SNA systems drop the link stations' PUs whichever node still holds them, as needed
    after a primary gateway crashed without C(snap stop). Because it takes the PUs from a live
    node just as well, it is refused unless O(stale_owner_confirmed_down=true).
author:
  - failover.cluster developers (@failover-cluster)
extends_documentation_fragment:
  - failover.cluster.attributes
  - failover.cluster.sna
attributes:
  check_mode:
    support: full
    details:
      - With the control daemon not running, the node's current definition cannot be read; check
        mode then predicts a C(define_node) when O(fqcp_name) is set.
      - The forced stop cannot be predicted (only the remote SNA system knows whether a PU is held);
        in check mode it is reported as a change that would run.
  diff_mode:
    support: full
options:
  state:
    description:
      - C(started) - the daemon runs and the node is defined and initialised (ACTIVE).
      - C(defined) - the daemon runs and the node is defined; it is not initialised by this module
        (a node already active stays so). Use it to write definitions.
      - C(stopped) - the daemon is stopped (C(snap stop), which stops link stations, ports and the
        node and tells the remote SNA systems).
    type: str
    choices: [started, defined, stopped]
    default: started
  fqcp_name:
    description:
      - Fully qualified control point name of the node, C(NETID.NAME). Required unless the node
        is already defined.
    type: str
  cp_alias:
    description: Local alias of the control point (1-8 characters A-Z 0-9 @ # $).
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
  forced_stop:
    description:
      - Force a stale node out - run O(force_stop_command) for the link stations in
        O(forced_stop_ls) - after the daemon started and before C(init_node). A link station that is
        not NOT_ACTIVE on this server is never forced (that would end its own session); when none is
        left, nothing runs.
      - The result is a change only when a PU was in fact taken (C(FORCED)); C(NOT_ACTIVE) means
        there was nothing stale.
      - Requires O(stale_owner_confirmed_down=true).
    type: bool
    default: false
  forced_stop_ls:
    description:
      - Link stations whose PUs are forced out. Empty - every link station defined on this server.
    type: list
    elements: str
    default: []
  stale_owner_confirmed_down:
    description:
      - The caller's statement that the node which held the PUs before (the old primary) has been
        fenced or is otherwise confirmed down. O(forced_stop) is refused without it.
    type: bool
    default: false
  force_stop_command:
    description:
      - The forced stale-node stop of the site's product, as an argv list (never run through a
        shell). C({daemon}) and C({admin}) are replaced with the commands' paths, and a word holding
        C({ls_name}) is repeated for each link station of O(forced_stop_ls).
      - Default - the emulator's C({daemon} force_stop --ls NAME ...).
      - The command must exit 0 only when every PU is free; output in C(key = value) blocks with a
        C(result) key (C(FORCED), C(NOT_ACTIVE), ...) is parsed into RV(forced).
    type: list
    elements: str
"""

EXAMPLES = r"""
- name: Start the SNA software and its node
  failover.cluster.sna_node:
    fqcp_name: APPN.GWNODE
    node_id: 05D12345

- name: Write the node definition only (for example on every candidate gateway)
  failover.cluster.sna_node:
    state: defined
    fqcp_name: APPN.GWNODE

- name: Take over on the backup after the primary was fenced
  failover.cluster.sna_node:
    fqcp_name: APPN.GWNODE
    forced_stop: true
    forced_stop_ls: [HALS]
    stale_owner_confirmed_down: "{{ primary_fenced | bool }}"

- name: Same on IBM Communications Server for Linux with a site script for the forced stop
  failover.cluster.sna_node:
    flavour: cslinux
    daemon_path: /opt/ibm/sna/bin/sna
    admin_path: /opt/ibm/sna/bin/snaadmin
    fqcp_name: APPN.GWNODE
    forced_stop: true
    stale_owner_confirmed_down: true
    force_stop_command: [/usr/local/sbin/vtam-inact-pu, --ls, "{ls_name}"]

- name: Stop the SNA software (the package's halt command)
  failover.cluster.sna_node:
    state: stopped
"""

RETURN = r"""
daemon:
  description: C(running) or C(stopped) after the task (predicted in check mode).
  returned: always
  type: str
node:
  description:
    - The node as C(query_node) shows it after the task (C(fqcp_name), C(cp_alias), C(node_type),
      C(node_id), C(description), C(node_status), ...); empty when none is defined or the daemon
      is stopped. In check mode, the prediction.
  returned: always
  type: dict
forced:
  description: Per link station, the forced stop's result (C(ls_name), C(pu_name), C(result), C(sense), ...).
  returned: always
  type: list
  elements: dict
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
  description: The product's secondary return code (for example C(NODE_ALREADY_STARTED)), if any.
  returned: failure of an SNA command
  type: str
rc:
  description: Exit status of the command that failed.
  returned: failure of an SNA command
  type: int
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.failover.cluster.plugins.module_utils._runner import Runner
from ansible_collections.failover.cluster.plugins.module_utils._sna_ops import COMMON_ARGS, ensure_node, finish


def node_outcome(cli, params, check_mode, timeout):
    outcome = ensure_node(cli, params, check_mode, timeout)
    outcome.extra["daemon"] = outcome.after["daemon"]
    return outcome


def main():
    module = AnsibleModule(
        argument_spec=dict(
            COMMON_ARGS,
            state={"type": "str", "default": "started", "choices": ["started", "defined", "stopped"]},
            fqcp_name={"type": "str"},
            cp_alias={"type": "str"},
            node_type={"type": "str", "choices": ["END_NODE", "NETWORK_NODE", "LEN_NODE"]},
            node_id={"type": "str"},
            description={"type": "str"},
            forced_stop={"type": "bool", "default": False},
            forced_stop_ls={"type": "list", "elements": "str", "default": []},
            stale_owner_confirmed_down={"type": "bool", "default": False},
            force_stop_command={"type": "list", "elements": "str"},
        ),
        supports_check_mode=True,
    )
    finish(module, Runner(module), node_outcome, module.params["timeout"])


if __name__ == "__main__":
    main()
