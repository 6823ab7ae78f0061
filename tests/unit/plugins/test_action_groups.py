"""meta/runtime.yml's action group failover.cluster.sna: module_defaults set the SNA options once."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent


def _modules_with_sna_options():
    return sorted(
        p.stem for p in (ROOT / "plugins" / "modules").glob("*.py") if "- failover.cluster.sna\n" in p.read_text()
    )


def test_the_sna_group_holds_every_module_with_the_sna_options():
    groups = yaml.safe_load((ROOT / "meta" / "runtime.yml").read_text())["action_groups"]
    assert sorted(groups["sna"]) == _modules_with_sna_options() == [
        "sna_definitions", "sna_link_station", "sna_node", "sna_port"]


def test_module_defaults_of_the_group_reach_the_module(tmp_path):
    playbook = tmp_path / "play.yml"
    playbook.write_text(yaml.safe_dump([{
        "hosts": "localhost",
        "gather_facts": False,
        "module_defaults": {"group/failover.cluster.sna": {"admin_path": str(tmp_path / "admin-from-the-group")}},
        "tasks": [{"failover.cluster.sna_node": {"state": "started", "fqcp_name": "APPN.GW"}, "check_mode": True}],
    }]))
    proc = subprocess.run(
        [BIN / "ansible-playbook", "-i", "localhost,", "-c", "local",
         "-e", f"ansible_python_interpreter={sys.executable}", str(playbook)],
        capture_output=True, text=True, timeout=120, check=False,
        env=dict(os.environ, ANSIBLE_CALLBACK_RESULT_FORMAT="json", ANSIBLE_NOCOLOR="1"),
    )
    # no SNA stack here: the module tried the admin command the group's defaults named
    assert proc.returncode == 2
    assert f"{tmp_path}/admin-from-the-group query_node" in proc.stdout + proc.stderr
