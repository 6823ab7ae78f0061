"""The lab as a Molecule driver, used the way another project uses it.

A project directory outside this repository (pytest's tmp_path) holds one scenario whose
molecule.yml names the driver and three platforms, nothing else: no create/destroy
playbooks, no ssh settings, no collection. ``molecule test`` must create a 3-host lab,
converge and verify on it (real state read from the hosts) and leave nothing behind.
The lab's prefix is the scenario's name, as for any scenario that sets none.
Run: .venv/bin/pytest -m lab tests/lab/test_molecule_driver.py  (about 30 s)
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from lab_helpers import ROOT, LabHandle, labctl, leftovers

pytestmark = pytest.mark.lab

MOLECULE_YML = """\
---
driver: {name: molecule-failover-lab}
platforms: [{name: alpha}, {name: beta}, {name: gamma}]
"""

CONVERGE_YML = """\
---
- name: Converge
  hosts: all
  gather_facts: false
  tasks:
    - name: Write which host this is
      ansible.builtin.copy:
        content: "{{ inventory_hostname }}\\n"
        dest: /etc/driver-test
        mode: "0644"
"""

# Real state on each host: its own hostname, the file converge wrote, its lab address on
# eth0, and every other host reachable on the lab network by address and by name.
VERIFY_YML = """\
---
- name: Verify
  hosts: all
  gather_facts: false
  tasks:
    - name: Read the hostname
      ansible.builtin.command:
        argv: [hostname]
      register: drv_hostname
      changed_when: false

    - name: Read the file converge wrote
      ansible.builtin.slurp:
        src: /etc/driver-test
      register: drv_marker

    - name: Read the addresses of eth0
      ansible.builtin.command:
        argv: [ip, -4, -o, addr, show, dev, eth0]
      register: drv_addr
      changed_when: false

    - name: Check this host
      ansible.builtin.assert:
        that:
          - drv_hostname.stdout == inventory_hostname
          - (drv_marker.content | b64decode | trim) == inventory_hostname
          - (ansible_host ~ '/24') in drv_addr.stdout
          - ansible_host is match('198[.]51[.]100[.]')
          - failover_lab_prefix == lookup('ansible.builtin.env', 'MOLECULE_SCENARIO_NAME')

    - name: Ping every other host by its lab address
      ansible.builtin.command:
        argv: [ping, -c1, -W2, "{{ hostvars[item]['failover_lab_addresses']['net0'] }}"]
      loop: "{{ groups['all'] | difference([inventory_hostname]) }}"
      changed_when: false

    - name: Ping every other host by name
      ansible.builtin.command:
        argv: [ping, -c1, -W2, "{{ item }}"]
      loop: "{{ groups['all'] | difference([inventory_hostname]) }}"
      changed_when: false

    - name: Check the three hosts are distinct machines
      ansible.builtin.assert:
        that:
          - groups['all'] | sort == ['alpha', 'beta', 'gamma']
          - groups['all'] | map('extract', hostvars, ['drv_hostname', 'stdout']) | unique | length == 3
      run_once: true
"""


def _molecule_env(work: Path) -> dict[str, str]:
    """What a user of another project has: Molecule and the lab package on PATH, nothing of
    this repository's configuration (no ANSIBLE_CONFIG, collections path or lab prefix)."""
    venv_bin = str(Path(sys.executable).parent)
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("ANSIBLE_", "MOLECULE_", "FAILOVER_LAB_")) and k not in ("PYTHONPATH", "VIRTUAL_ENV")
    }
    env.update(
        PATH=f"{venv_bin}:{os.environ.get('PATH', '/usr/bin:/bin')}",
        HOME=os.environ.get("HOME", "/root"),
        ANSIBLE_HOME=str(work / "ansible-home"),
        XDG_CACHE_HOME=str(work / "cache"),  # Molecule's ephemeral directory
        ANSIBLE_FORCE_COLOR="0",
        NO_COLOR="1",
    )
    return env


def test_another_project_runs_molecule_test_on_a_3_host_lab(tmp_path):
    project = tmp_path / "my_ha_role"
    assert ROOT not in project.parents
    scenario_name = f"drv{os.getpid()}"  # also the lab's prefix: unique on this machine
    scenario = project / "molecule" / scenario_name
    scenario.mkdir(parents=True)
    (scenario / "molecule.yml").write_text(MOLECULE_YML)
    (scenario / "converge.yml").write_text(CONVERGE_YML)
    (scenario / "verify.yml").write_text(VERIFY_YML)
    log = tmp_path / "molecule.log"
    molecule = str(Path(sys.executable).parent / "molecule")
    try:
        with open(log, "w", encoding="utf-8") as out:
            proc = subprocess.run(
                [molecule, "test", "-s", scenario_name],
                cwd=project,
                env=_molecule_env(tmp_path),
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                timeout=600,
                check=False,
            )
        text = log.read_text(encoding="utf-8", errors="replace")
        assert proc.returncode == 0, f"molecule test exited {proc.returncode}:\n" + "".join(text.splitlines(True)[-80:])
        for step in ("create", "converge", "idempotence", "verify", "destroy"):
            assert f"{scenario_name} > {step}: Executed: Successful" in text, f"step {step} did not succeed:\n{text}"
        # nothing of the project's files was needed beyond its three: no playbooks were copied in
        assert sorted(p.name for p in scenario.iterdir()) == ["converge.yml", "molecule.yml", "verify.yml"]
        assert leftovers(scenario_name) == {}
    finally:
        labctl(scenario_name, "down", check=False)


def test_a_lab_of_another_owner_is_neither_replaced_nor_torn_down(make_lab):
    """Two projects may have scenarios of the same name; the driver passes its scenario
    directory as the owner, and labctl refuses to replace or remove someone else's lab."""
    lab: LabHandle = make_lab("ow")
    lab.ctl("up", "--hosts", "o1", "--owner", "molecule:/project/a/molecule/default")
    assert lab.status()["owner"] == "molecule:/project/a/molecule/default"
    other = "molecule:/project/b/molecule/default"
    for args in (("up", "--hosts", "o1", "--replace", "--owner", other), ("down", "--owner", other)):
        refused = lab.ctl(*args, check=False)
        assert refused.returncode == 2, refused
        assert "lab tlow belongs to molecule:/project/a/molecule/default, not to " + other in refused.stderr
    assert lab.status()["hosts"]["o1"]["state"] == "running"
    # the owner itself replaces and removes it as before
    lab.ctl("up", "--hosts", "o1", "--replace", "--owner", "molecule:/project/a/molecule/default")
    assert "nothing left" in lab.ctl("down", "--owner", "molecule:/project/a/molecule/default").stdout
    assert leftovers(lab.prefix) == {}
