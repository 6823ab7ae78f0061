"""The lab as a Molecule driver, used the way another project uses it.

A project directory outside this repository (pytest's tmp_path) holds one scenario whose
molecule.yml names the driver and three platforms, nothing else: no create/destroy
playbooks, no ssh settings, no collection. ``molecule test`` must create a 3-host lab,
converge and verify on it (real state read from the hosts) and leave nothing behind.
The lab's prefix is the scenario's name, as for any scenario that sets none.
A second scenario uses every lab option (prefix, networks, disks, per-host networks and
addresses) and a side effect that crashes and restarts a host with labctl.
Run: .venv/bin/pytest -m lab tests/lab/test_molecule_driver.py  (about 26 s + 20 s + 3 s)
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


def _molecule_test(work: Path, scenario_name: str, files: dict[str, str]) -> str:
    """Write the scenario into a project under WORK (outside this repository), run
    ``molecule test -s SCENARIO`` there and return its output; fail with its tail."""
    project = work / "my_ha_role"
    assert ROOT not in project.parents
    scenario = project / "molecule" / scenario_name
    scenario.mkdir(parents=True)
    for name, text in files.items():
        (scenario / name).write_text(text)
    log = work / "molecule.log"
    with open(log, "w", encoding="utf-8") as out:
        proc = subprocess.run(
            [str(Path(sys.executable).parent / "molecule"), "test", "-s", scenario_name],
            cwd=project,
            env=_molecule_env(work),
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            timeout=600,
            check=False,
        )
    text = log.read_text(encoding="utf-8", errors="replace")
    assert proc.returncode == 0, f"molecule test exited {proc.returncode}:\n" + "".join(text.splitlines(True)[-80:])
    # the driver needed nothing in the scenario beyond the project's own files
    assert sorted(p.name for p in scenario.iterdir()) == sorted(files)
    return text


def test_another_project_runs_molecule_test_on_a_3_host_lab(tmp_path):
    scenario_name = f"drv{os.getpid()}"  # also the lab's prefix: unique on this machine
    try:
        text = _molecule_test(
            tmp_path,
            scenario_name,
            {"molecule.yml": MOLECULE_YML, "converge.yml": CONVERGE_YML, "verify.yml": VERIFY_YML},
        )
        for step in ("create", "converge", "idempotence", "verify", "destroy"):
            assert f"{scenario_name} > {step}: Executed: Successful" in text, f"step {step} did not succeed:\n{text}"
        assert leftovers(scenario_name) == {}
    finally:
        labctl(scenario_name, "down", check=False)


# The lab-wide options and the per-platform ones, and a side effect that drives the lab with
# labctl (as docs/lab.md shows): gamma is crashed and started again before verify.
OPTIONS_MOLECULE_YML = """\
---
driver:
  name: molecule-failover-lab
  lab:
    prefix: {prefix}
    networks: [net0, net1]
    disks: [{{name: lock0, size: 16M}}]
platforms:
  - {{name: alpha, groups: [cluster]}}
  - {{name: beta, groups: [cluster], lab_addresses: {{net1: 203.0.113.40}}}}
  - {{name: gamma, lab_networks: [net0]}}
scenario:
  test_sequence: [destroy, create, converge, side_effect, verify, destroy]
"""

OPTIONS_CONVERGE_YML = """\
---
- name: Converge
  hosts: all
  gather_facts: false
  tasks:
    - name: Leave a mark in /run (a tmpfs of the host's own, empty again after a reboot)
      ansible.builtin.copy:
        content: "converged\n"
        dest: /run/converged
        mode: "0644"
"""

OPTIONS_SIDE_EFFECT_YML = """\
---
- name: Crash gamma and boot it again
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Crash gamma (labctl on PATH)
      ansible.builtin.command:
        argv: [labctl, --prefix, "{{ hostvars['gamma']['failover_lab_prefix'] }}", crash, gamma]
      changed_when: true

    - name: Start gamma (python -m failover_lab)
      ansible.builtin.command:
        argv: ["{{ ansible_playbook_python }}", -m, failover_lab, --prefix, "{{ failover_lab_prefix }}", start, gamma]
      vars:
        failover_lab_prefix: "{{ hostvars['gamma']['failover_lab_prefix'] }}"
      changed_when: true
"""

OPTIONS_VERIFY_YML = """\
---
- name: Verify
  hosts: all
  gather_facts: false
  tasks:
    - name: Stat the shared disk
      ansible.builtin.stat:
        path: /dev/lab/lock0
        follow: true
      register: opt_disk

    - name: Read the addresses
      ansible.builtin.command:
        argv: [ip, -4, -o, addr, show, scope, global]
      register: opt_addrs
      changed_when: false

    - name: Look for the mark converge left
      ansible.builtin.stat:
        path: /run/converged
      register: opt_mark

    - name: Check disks, networks, addresses and the restart
      ansible.builtin.assert:
        that:
          - opt_disk.stat.exists and opt_disk.stat.isblk
          - failover_lab_prefix == 'PREFIX'
          - inventory_hostname != 'alpha' or '203.0.113.11/24' in opt_addrs.stdout
          - inventory_hostname != 'beta' or '203.0.113.40/24' in opt_addrs.stdout
          - inventory_hostname != 'gamma' or 'eth1' not in opt_addrs.stdout
          - inventory_hostname != 'gamma' or failover_lab_addresses == dict(net0='198.51.100.13')
          # only gamma booted again since converge
          - opt_mark.stat.exists == (inventory_hostname != 'gamma')
"""


def test_driver_options_and_a_side_effect_that_drives_the_lab(tmp_path):
    prefix = f"dro{os.getpid()}"  # driver.lab.prefix, not the scenario name
    try:
        text = _molecule_test(
            tmp_path,
            "options",
            {
                "molecule.yml": OPTIONS_MOLECULE_YML.format(prefix=prefix),
                "converge.yml": OPTIONS_CONVERGE_YML,
                "side_effect.yml": OPTIONS_SIDE_EFFECT_YML,
                "verify.yml": OPTIONS_VERIFY_YML.replace("PREFIX", prefix),
            },
        )
        assert "options > verify: Executed: Successful" in text
        assert leftovers(prefix) == {}
    finally:
        labctl(prefix, "down", check=False)


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
