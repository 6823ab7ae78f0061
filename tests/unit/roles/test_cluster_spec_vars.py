"""failover.cluster.cluster_spec without ``spec`` reads the cluster role's public variables.

Runs a real ansible-playbook against localhost (controller only: the action plugin touches no
host): the variables are templated like any other, unset ones take the cluster role's defaults,
and a wrong one is named by its variable.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent
NODES = [{"name": "n1", "addresses": ["198.51.100.11/24"]}, {"name": "n2", "addresses": ["198.51.100.12/24"]}]


def _play(tmp_path, play_vars):
    playbook = tmp_path / "play.yml"
    playbook.write_text(yaml.safe_dump([{
        "hosts": "localhost", "gather_facts": False, "vars": play_vars,
        "tasks": [{"failover.cluster.cluster_spec": None, "register": "out", "ignore_errors": True},
                  {"ansible.builtin.copy": {"content": "{{ out | to_json }}", "dest": str(tmp_path / "out.json")},
                   "check_mode": False}],
    }]))
    env = dict(os.environ, ANSIBLE_FORCE_COLOR="0", ANSIBLE_NOCOLOR="1")
    proc = subprocess.run(
        [BIN / "ansible-playbook", "-i", "localhost,", "-c", "local",
         "-e", f"ansible_python_interpreter={sys.executable}", str(playbook)],
        capture_output=True, text=True, env=env, cwd=str(ROOT), timeout=300, check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return json.loads((tmp_path / "out.json").read_text())


def test_the_description_comes_from_the_templated_variables_with_the_roles_defaults(tmp_path):
    out = _play(tmp_path, {"site": "gw", "cluster_name": "{{ site }}", "cluster_nodes": NODES,
                           "cluster_quorum_server": {"host": "qs", "address": "198.51.100.10"},
                           "cluster_timing_profile": "low_latency"})
    assert not out.get("failed"), out
    assert out["spec_source"] == "variables"
    cluster = out["cluster"]
    assert cluster["name"] == "gw" and [n["name"] for n in cluster["nodes"]] == ["n1", "n2"]
    assert cluster["timing_profile"] == "low_latency" and cluster["transport"] == "knet"
    assert cluster["quorum_server"]["host"] == "qs" and cluster["lock_lun"] is None
    assert "cluster_name: gw" in out["corosync_conf"]


def test_a_wrong_variable_is_named(tmp_path):
    out = _play(tmp_path, {"cluster_name": "gw", "cluster_nodes": NODES, "cluster_transport": "carrier-pigeon"})
    assert out["failed"] and any(e.startswith("cluster_transport: ") for e in out["errors"]), out


def test_missing_variables_are_named(tmp_path):
    out = _play(tmp_path, {"cluster_nodes": NODES})
    assert out["failed"] and out["errors"] == ["cluster_name: is required"]
    assert "cluster_name must be set" in out["msg"]
