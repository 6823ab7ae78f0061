"""Molecule driver for the namespace lab.

A scenario says ``driver: {name: molecule-failover-lab}`` and lists its hosts as
platforms; Molecule finds this class through the ``molecule.driver`` entry point of
the ``failover-lab`` distribution (lab/pyproject.toml) and runs the create/destroy
playbooks next to this file (``playbooks/``), so no scenario carries copies of them.

- ``create`` brings one lab host per platform up (``labctl up --replace --owner
  <scenario directory>``) and writes Molecule's instance config from ``labctl status``.
- ``destroy`` tears the lab down, checks that nothing is left, and empties the
  instance config.
- Ansible reaches hosts by ssh through the lab's own ssh_config (relay ProxyCommand,
  exact known_hosts, strict host key checking, a per-lab ControlPath): the inventory
  Molecule writes carries that per host, from the instance config.

Options (molecule.yml): ``driver.lab`` holds the lab-wide ones (``prefix``, ``networks``,
``disks``, ``mask_units``, ``on_reboot``); a platform may give ``groups``, ``children``,
``lab_networks`` and ``lab_addresses``.  ``schema.json`` states them; Molecule checks a
scenario against it before running anything.  See docs/lab.md.

This module is the only part of failover_lab that imports Molecule; ``labctl`` does not.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from molecule.api import Driver

from failover_lab import LabError, system
from failover_lab.lab import TOOLS
from molecule import util

NAME = "molecule-failover-lab"
# Interpreter on the lab hosts: the distribution's own (hosts get a fresh /root, so a
# virtualenv or pyenv living there is not visible in them).
HOST_PYTHON = "/usr/bin/python3"


class FailoverLab(Driver):
    """The namespace lab as a Molecule driver (``driver: {name: molecule-failover-lab}``)."""

    title = "Multi-node lab of Linux namespaces: real systemd, sshd, lab networks and shared disks."

    def __init__(self, config: Any = None) -> None:
        super().__init__(config)
        self._name = NAME

    @property
    def name(self) -> str:
        return self._name

    @name.setter
    def name(self, value: str) -> None:
        self._name = value

    # ------------------------------------------------------------------ login / ssh
    @property
    def login_cmd_template(self) -> str:
        # The lab's ssh_config names every host and holds key, known_hosts and ProxyCommand.
        return "ssh -F {ssh_config} -o ControlPath={control_path} {instance}"

    @property
    def default_ssh_connection_options(self) -> list[str]:
        # Everything the connection needs is per lab (see ansible_connection_options);
        # driver.ssh_connection_options in molecule.yml, when given, is appended there.
        return []

    @property
    def default_safe_files(self) -> list[str]:
        return []

    def login_options(self, instance_name: str) -> dict[str, str]:
        options = {"instance": instance_name}
        entry = self._instance(instance_name)
        if entry:
            options.update({k: str(v) for k, v in entry.items() if not isinstance(v, dict | list)})
        return options

    def ansible_connection_options(self, instance_name: str) -> dict[str, Any]:
        entry = self._instance(instance_name)
        if not entry:
            return {}  # not created yet (or destroyed): Molecule writes an inventory without it
        common = [f"-F {entry['ssh_config']}", f"-o ControlPath={entry['control_path']}"]
        common += self._config.config_data["driver"].get("ssh_connection_options") or []
        options = {
            "ansible_connection": "ssh",
            "ansible_host": entry["address"],
            "ansible_user": entry.get("user", "root"),
            "ansible_port": entry.get("port", 22),
            "ansible_private_key_file": entry["identity_file"],
            "ansible_ssh_common_args": " ".join(common),
            # Molecule's ansible.cfg turns host key checking off; the lab has exact known_hosts.
            "ansible_host_key_checking": True,
            "ansible_ssh_pipelining": True,
            "ansible_python_interpreter": HOST_PYTHON,
            # For playbooks that drive the lab (crash, partition, ...): labctl --prefix ...
            "failover_lab_prefix": entry["lab_prefix"],
            "failover_lab_addresses": entry.get("lab_addresses", {}),
        }
        return options

    def _instance(self, instance_name: str) -> dict[str, Any] | None:
        try:
            entries = util.safe_load_file(self.instance_config) or []
        except OSError:
            return None
        for entry in entries:
            if isinstance(entry, dict) and entry.get("instance") == instance_name and "ssh_config" in entry:
                return entry
        return None

    # ------------------------------------------------------------------ checks
    def sanity_checks(self) -> None:
        """The lab needs Linux, root, and the tools of lab/packages.txt."""
        problems = []
        if not sys.platform.startswith("linux"):
            problems.append(f"the lab runs on Linux only (this is {sys.platform})")
        elif os.geteuid() != 0:
            problems.append("the lab creates namespaces, bridges and mounts: run Molecule as root")
        else:
            try:
                system.require_tools(TOOLS)
            except LabError as exc:
                problems.append(str(exc))
            if not Path("/lib/systemd/systemd").exists():
                problems.append("systemd is not installed (/lib/systemd/systemd): lab hosts boot it as PID 1")
            if not Path(HOST_PYTHON).exists():
                problems.append(f"{HOST_PYTHON} is missing: lab hosts run the distribution's Python")
        if problems:
            util.sysexit_with_message(f"driver {NAME}: " + "; ".join(problems), code=1)

    def schema_file(self) -> str:
        return str(Path(self._path) / "schema.json")
