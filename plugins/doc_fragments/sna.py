# Copyright: failover.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Options shared by the SNA modules (sna_node, sna_port, sna_link_station)."""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  flavour:
    description:
      - The SNA product's command-line flavour. C(snaplus2) runs C(snap) and C(snapadmin)
        (SNAplus2, and the project's emulator); C(cslinux) runs C(sna) and C(snaadmin) (IBM
        Communications Server for Linux).
    type: str
    choices: [snaplus2, cslinux]
    default: snaplus2
  daemon_path:
    description:
      - Path of the start/stop command (C(snap) / C(sna)); overrides the flavour's name, which
        is otherwise looked up on the remote user's E(PATH).
    type: path
  admin_path:
    description:
      - Path of the admin command (C(snapadmin) / C(snaadmin)); overrides the flavour's name.
    type: path
  timeout:
    description:
      - Seconds to wait for the object to reach the wanted state (a node or link station ACTIVE
        after it was started, a link station NOT_ACTIVE after it was stopped).
    type: int
    default: 60
attributes:
  action_group:
    description: Use C(group/failover.cluster.sna) in C(module_defaults) to set defaults for this module.
    support: full
    membership:
      - failover.cluster.sna
notes:
  - Every command is an argv list run with C(LC_ALL=C); values are checked against the product's
    rules for names and values before any command runs.
  - A failing verb is reported with the product's return codes in RV(ignore:primary_rc) and
    RV(ignore:secondary_rc) (for example C(STATE_CHECK) / C(PORT_NOT_STARTED)) and its message in
    C(msg).
  - See the SNA gateway guide (docs/sna-gateway.md in the collection) for the order of the steps
    and how to point the modules at the real product.
"""
