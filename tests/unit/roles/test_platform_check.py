"""Every role stops at its first task on a platform it does not support, naming the platform.

The roles run against localhost with facts set by a stand-in facts module, so the host "is" Rocky
Linux 9 or Ubuntu without being it; nothing after the check runs. The sna_gateway role's other
early guard is here too: on a real site (sna_gateway_install none) the product's forced stop
command is required.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent
CHECK_TASK = "Check that the host runs a platform this role supports (vars/<os_family>.yml)"

ROCKY = {"distribution": "Rocky", "distribution_version": "9.3", "distribution_major_version": "9",
         "os_family": "RedHat"}
DEBIAN = {"distribution": "Debian", "distribution_version": "12.8", "distribution_major_version": "12",
          "os_family": "Debian"}
UBUNTU = {"distribution": "Ubuntu", "distribution_version": "24.04", "distribution_major_version": "24",
          "os_family": "Debian"}
DEBIAN11 = dict(DEBIAN, distribution_version="11.9", distribution_major_version="11")

# (role, tasks_from, the role's required variables)
ENTRY_POINTS = [
    ("cluster", "main", {"cluster_name": "lab",
                         "cluster_nodes": [{"name": "localhost", "addresses": ["192.0.2.1/24"]}]}),
    ("quorum_server", "main", {}),
    ("quorum_server", "member", {}),
    ("lock_lun", "main", {}),
    ("lock_lun", "fencing", {}),
    ("ocf_agents", "main", {}),
    ("sna_gateway", "main", {"sna_gateway_ip": {"ip_address": "192.0.2.50", "ip_subnet": "192.0.2.0/24"}}),
    ("sna_gateway", "emulated_host", {"sna_gateway_emulated_pus": [{"name": "PU1"}]}),
    ("sna_gateway", "package_definitions", {"sna_gateway_package_entry": {"package_name": "sna"}}),
    ("packages", "main", {}),
    ("planned_failover", "main", {}),
    ("takeover", "main", {}),
    ("node_maintenance", "main", {}),
]


# A module that only returns facts, as any *_facts module does: Ansible merges them into the
# host's ansible_facts, so the play sees the platform the test wants.
FAKE_FACTS = """#!/usr/bin/python
from ansible.module_utils.basic import AnsibleModule
module = AnsibleModule(argument_spec={"facts": {"type": "dict", "required": True}}, supports_check_mode=True)
module.exit_json(changed=False, ansible_facts=module.params["facts"])
"""


def _play(tmp_path, facts, tasks):
    library = tmp_path / "library"
    library.mkdir(exist_ok=True)
    (library / "fake_facts.py").write_text(FAKE_FACTS)
    if facts is not None:
        tasks = [{"name": "fake facts", "fake_facts": {"facts": facts}}, *tasks]
    playbook = tmp_path / "play.yml"
    playbook.write_text(yaml.safe_dump([{"hosts": "localhost", "gather_facts": False, "tasks": tasks}]))
    env = dict(
        os.environ,
        ANSIBLE_LIBRARY=str(library),
        ANSIBLE_FORCE_COLOR="0",
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_STDOUT_CALLBACK="default",
        ANSIBLE_CALLBACK_RESULT_FORMAT="json",
    )
    return subprocess.run(
        # --check: these plays run against the machine itself; nothing they reach may change it
        [BIN / "ansible-playbook", "--check", "-i", "localhost,", "-c", "local",
         "-e", f"ansible_python_interpreter={sys.executable}", str(playbook)],
        capture_output=True, text=True, env=env, cwd=str(ROOT), timeout=300, check=False,
    )


IDS = [f"{point[0]}-{point[1]}" for point in ENTRY_POINTS]


@pytest.mark.parametrize(("role", "entry", "required"), ENTRY_POINTS, ids=IDS)
def test_role_stops_at_its_first_task_on_an_unsupported_platform(tmp_path, role, entry, required):
    proc = _play(tmp_path, ROCKY, [{
        "ansible.builtin.include_role": {"name": f"failover.cluster.{role}", "tasks_from": entry},
        "vars": required,
    }])
    out = proc.stdout
    assert proc.returncode == 2, out + proc.stderr
    tasks = re.findall(r"^TASK \[(.*?)\]", out, re.M)
    # the role's argument validation, then the check - and nothing after it
    ran = [t.split(" : ", 1)[1] for t in tasks if t.startswith(f"failover.cluster.{role} : ")]
    assert len(ran) == 2 and ran[0].startswith(f"Validating arguments against arg spec '{entry}'"), tasks
    assert ran[1] == CHECK_TASK, tasks
    assert (
        f"failover.cluster.{role}: localhost runs Rocky 9.3 (os_family RedHat), which this role does not support "
        f"(no vars/RedHat.yml declares it). Supported and tested: Debian 12. Nothing was changed on localhost."
    ) in out


@pytest.mark.parametrize(("facts", "reason"), [
    (UBUNTU, "vars/Debian.yml declares Debian only"),
    (DEBIAN11, "vars/Debian.yml declares Debian 12 only"),
])
def test_other_members_of_the_family_are_refused(tmp_path, facts, reason):
    check = {"vars_dir": str(ROOT / "roles/cluster/vars"), "name": "cluster"}
    proc = _play(tmp_path, facts, [{"failover.cluster.platform_check": check}])
    assert proc.returncode == 2
    assert f"({reason})" in proc.stdout


def test_debian_12_passes_and_the_family_file_is_read(tmp_path):
    proc = _play(tmp_path, DEBIAN, [
        {"failover.cluster.platform_check": {"vars_dir": str(ROOT / "roles/cluster/vars")}, "register": "check"},
        {"ansible.builtin.include_vars": str(ROOT / "roles/cluster/vars/Debian.yml")},
        {"ansible.builtin.assert": {"that": ["check.platform.distribution_major_version == '12'",
                                             "'pacemaker' in __cluster_packages_base"]}},
    ])
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_facts_are_gathered_when_the_play_has_none(tmp_path):
    """The machine the tests run on is Debian 12 (see README): the check gathers its facts itself."""
    proc = _play(tmp_path, None, [
        {"failover.cluster.platform_check": {"vars_dir": str(ROOT / "roles/cluster/vars")}, "register": "check"},
        {"ansible.builtin.assert": {"that": ["ansible_facts['os_family'] == check.platform.os_family"]}},
    ])
    assert proc.returncode == 0, proc.stdout + proc.stderr


SNA_IP = {"sna_gateway_ip": {"ip_address": "192.0.2.50", "ip_subnet": "192.0.2.0/24"}}


def _sna_gateway(tmp_path, **role_vars):
    return _play(tmp_path, DEBIAN, [{
        "ansible.builtin.include_role": {"name": "failover.cluster.sna_gateway"},
        "vars": {**SNA_IP, **role_vars},
    }])


def test_sna_gateway_on_a_real_site_requires_the_products_force_stop(tmp_path):
    proc = _sna_gateway(tmp_path, sna_gateway_install="none")
    assert proc.returncode == 2
    tasks = re.findall(r"^TASK \[(.*?)\]", proc.stdout, re.M)
    assert tasks[-1] == "failover.cluster.sna_gateway : Require the SNA product's forced stale-node stop on a real site"
    assert "sna_gateway_force_stop_command is required with sna_gateway_install: none" in proc.stdout


@pytest.mark.parametrize("role_vars", [
    {"sna_gateway_install": "none", "sna_gateway_force_stop_command": ["/opt/sna/bin/inact-pu", "{ls_name}"]},
    {"sna_gateway_install": "none", "sna_gateway_force_stale": "never"},
    {"sna_gateway_install": "emulator"},
])
def test_sna_gateway_force_stop_check_passes(tmp_path, role_vars):
    """Past the check the role compiles the cluster description from the cluster_* variables, which
    this play lacks: it stops at that next task, which shows the check passed."""
    proc = _sna_gateway(tmp_path, **role_vars)
    tasks = re.findall(r"^TASK \[(.*?)\]", proc.stdout, re.M)
    assert tasks[-1] == ("failover.cluster.sna_gateway : Validate and compile the cluster description from the "
                         "cluster_* variables (controller)")
    assert "cluster_name, cluster_nodes must be set" in proc.stdout
    assert "sna_gateway_force_stop_command is required" not in proc.stdout


CODENAMES = {("Debian", "12"): "bookworm"}


@pytest.mark.parametrize("role", sorted({point[0] for point in ENTRY_POINTS}))
def test_role_meta_declares_what_the_platform_check_enforces(role):
    """meta/main.yml's platforms (what Galaxy shows) and vars/<os_family>.yml (what the check
    enforces) name the same distributions and releases."""
    meta = yaml.safe_load((ROOT / "roles" / role / "meta" / "main.yml").read_text())["galaxy_info"]
    declared = {(p["name"], str(v)) for p in meta["platforms"] for v in p["versions"]}
    enforced = set()
    for path in (ROOT / "roles" / role / "vars").glob("*.yml"):
        for key, table in (yaml.safe_load(path.read_text()) or {}).items():
            if key == f"__{role}_platform":
                enforced |= {(dist, CODENAMES[(dist, v)]) for dist, versions in table.items() for v in versions}
    assert declared == enforced == {("Debian", "bookworm")}
    assert "debian" in yaml.safe_load((ROOT / "galaxy.yml").read_text())["tags"]
