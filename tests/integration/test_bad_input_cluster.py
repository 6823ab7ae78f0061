"""Wrong cluster descriptions are refused before any host changes.

A real lab (2 nodes + a quorum server host) runs playbooks/provision.yml with a bad
description; each case asserts the exact message (field and rule) and that the hosts are
exactly as before: corosync.conf still the package's file, no authkey, no qnetd options, no
service started or stopped.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
LABCTL = [sys.executable, str(ROOT / "lab" / "labctl")]
PREFIX = "badin"
VENV_BIN = Path(sys.executable).parent

pytestmark = [pytest.mark.lab, pytest.mark.skipif(os.geteuid() != 0, reason="the namespace lab needs root")]

GOOD = {
    "cluster_name": "gw",
    "cluster_nodes": [
        {"name": "node1", "addresses": ["198.51.100.11/24"]},
        {"name": "node2", "addresses": ["198.51.100.12/24"]},
    ],
    "cluster_quorum_server": {"host": "qs", "address": "198.51.100.13"},
}

CASES = {
    "address not an address": (
        {
            "cluster_nodes": [
                {"name": "node1", "addresses": ["198.51.100.311/24"]},
                {"name": "node2", "addresses": ["198.51.100.12/24"]},
            ]
        },
        "cluster_nodes[0].addresses[0]: 198.51.100.311 is not a valid IPv4/IPv6 address",
    ),
    "two nodes without a tie-breaker": (
        {"cluster_quorum_server": None},
        "cluster_nodes: a 2-node cluster needs a tie-breaker: set cluster_quorum_server or cluster_lock_lun",
    ),
    "shell metacharacters in the name": (
        {"cluster_name": "gw;reboot"},
        "cluster_name: 'gw;reboot' is not a valid cluster name",
    ),
    "quorum server is a member": (
        {"cluster_quorum_server": {"host": "node1", "address": "198.51.100.11"}},
        "cluster_quorum_server.host: node1 is a cluster node; the quorum server must run on a host outside the cluster",
    ),
    "quorum server and lock LUN together": (
        {"cluster_lock_lun": {"devices": ["/dev/lab/lock0"], "watchdog": None, "allow_no_watchdog": True}},
        "cluster_quorum_server: cannot be combined with cluster_lock_lun: "
        "a cluster has one tie-breaker, a quorum server or a lock LUN",
    ),
    "member timeout out of range": (
        {"cluster_member_timeout": 400000},
        "cluster_member_timeout: 400000 ms is above the maximum 300000 ms",
    ),
    "addresses of one link in different subnets": (
        {
            "cluster_nodes": [
                {"name": "node1", "addresses": ["198.51.100.11/24"]},
                {"name": "node2", "addresses": ["203.0.113.12/24"]},
            ]
        },
        "cluster_nodes[1].addresses[0]: 203.0.113.12/24 is not in subnet 198.51.100.0/24 of heartbeat link 0",
    ),
    "duplicate node": (
        {
            "cluster_nodes": [
                {"name": "node1", "addresses": ["198.51.100.11/24"]},
                {"name": "node1", "addresses": ["198.51.100.12/24"]},
            ]
        },
        "cluster_nodes[1].name: node name 'node1' is already used by cluster_nodes[0]",
    ),
}


def lab(*args, check=True):
    return subprocess.run(
        [*LABCTL, "--prefix", PREFIX, *args], capture_output=True, text=True, check=check, timeout=180
    )


def fingerprint():
    """What a provisioning run would change on the hosts."""
    script = (
        "sha256sum /etc/corosync/corosync.conf; ls /etc/corosync/authkey 2>&1; "
        "cat /etc/default/corosync-qnetd; ls /etc/corosync/qdevice 2>&1; "
        "systemctl show -p MainPID --value corosync pacemaker corosync-qnetd"
    )
    state = {}
    for host in ("node1", "node2", "qs"):
        state[host] = lab("exec", host, "--", "sh", "-c", script, check=False).stdout
    return hashlib.sha256(repr(sorted(state.items())).encode()).hexdigest(), state


@pytest.fixture(scope="module")
def inventory(tmp_path_factory):
    work = tmp_path_factory.mktemp("badin")
    lab(
        "up",
        "--replace",
        "--hosts",
        "node1,node2,qs",
        "--group",
        "cluster_nodes=node1,node2",
        "--group",
        "quorum_servers=qs",
    )
    try:
        lab("inventory", "-o", str(work / "lab.yml"))
        yield work
    finally:
        lab("down", check=False)


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_description_is_refused_and_nothing_changes(inventory, case):
    change, message = CASES[case]
    description = {**GOOD, **change}
    extra = inventory / "description.yml"
    extra.write_text(yaml.safe_dump(description))
    before, state_before = fingerprint()
    env = dict(os.environ, PATH=f"{VENV_BIN}:{os.environ['PATH']}", ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"))
    env["ANSIBLE_FORCE_COLOR"] = "0"
    proc = subprocess.run(
        [
            str(VENV_BIN / "ansible-playbook"),
            "-i",
            str(inventory / "lab.yml"),
            "-e",
            f"@{extra}",
            "playbooks/provision.yml",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=300,
        check=False,
    )
    assert proc.returncode != 0
    output = proc.stdout + proc.stderr
    assert message in output, output[-3000:]
    assert "nothing was changed" in output
    assert not [line for line in output.splitlines() if line.startswith("changed:")]
    after, state_after = fingerprint()
    assert after == before, (state_before, state_after)
