"""Ownership makes purge safe, and provision.yml validates against the live cluster (issue 12).

One lab (lab/specs/demo.yml: node1, node2, qs, mainframe), provisioned with the good description
of inventories/lab: the cluster, then the SNA gateway package ``sna`` (playbooks/sna_gateway.yml,
owner ``sna_gateway``). Then, through playbooks/provision.yml only:

1. packages ``pkgB`` (IP), ``app`` (depends on ``sna``, same node) and ``pkgC`` - a dependency on
   the live SNA package that provision.yml's validation used to refuse (``package sna does not
   exist``);
2. ``--check --diff`` with ``packages_purge: true`` and ``pkgC`` left out: only ``pkgC`` would go;
3. the same for real: ``pkgC`` is gone; ``sna`` (all its members), its dependent ``app`` (on the
   same node) and ``pkgB`` still run, and the CIB still holds ``sna`` with its owner mark.

Every assertion is on the cluster's real state (``cibadmin --query``, ``crm_mon``).

    sudo .venv/bin/pytest -m lab tests/integration/test_package_ownership.py   # ~6 min
"""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
LABCTL = [sys.executable, str(ROOT / "lab" / "labctl")]
PREFIX = os.environ.get("OWNERSHIP_PREFIX", "a12own")
VENV_BIN = Path(sys.executable).parent

pytestmark = [pytest.mark.lab, pytest.mark.slow,
              pytest.mark.skipif(os.geteuid() != 0, reason="the namespace lab needs root")]

PKGB = {"package_name": "pkgB", "node_name": ["node2", "node1"], "ip": [{"ip_address": "198.51.100.60"}],
        "services": [{"service_name": "main", "service_cmd": "/bin/sleep infinity"}]}
APP = {"package_name": "app", "services": [{"service_name": "main", "service_cmd": "/bin/sleep infinity"}],
       "dependencies": [{"dependency_name": "sna", "dependency_condition": "up", "dependency_location": "same_node"}]}
PKGC = {"package_name": "pkgC", "services": [{"service_name": "main", "service_cmd": "/bin/sleep infinity"}]}


def lab(*args, check=True, timeout=180):
    return subprocess.run([*LABCTL, "--prefix", PREFIX, *args], capture_output=True, text=True, check=check,
                          timeout=timeout)


def playbook(work, name, extra=None, *options):
    argv = [str(VENV_BIN / "ansible-playbook"), "-i", str(work / "lab.yml"), "-i", str(ROOT / "inventories" / "lab")]
    if extra is not None:
        path = work / "extra.yml"
        path.write_text(yaml.safe_dump(extra))
        argv += ["-e", f"@{path}"]
    argv += [*options, str(ROOT / "playbooks" / name)]
    env = dict(os.environ, PATH=f"{VENV_BIN}:{os.environ['PATH']}", ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"),
               ANSIBLE_FORCE_COLOR="0")
    return subprocess.run(argv, capture_output=True, text=True, cwd=ROOT, env=env, timeout=900, check=False)


def node_cmd(*argv):
    return lab("exec", "node1", "--", *argv).stdout


def owners():
    root = ET.fromstring(node_cmd("cibadmin", "--query", "--scope", "resources"))
    result = {}
    for top in root:
        meta = {p.get("name"): p.get("value") for block in top.findall("meta_attributes") for p in block}
        if meta.get("failover-cluster-package"):
            result[meta["failover-cluster-package"]] = meta.get("failover-cluster-owner")
    return result


def running():
    """{resource id: node} of every started resource (crm_mon)."""
    root = ET.fromstring(node_cmd("crm_mon", "-1", "--output-as=xml", "--inactive"))
    return {r.get("id"): r.find("node").get("name") for r in root.iter("resource")
            if r.get("role") == "Started" and r.find("node") is not None}


@pytest.fixture(scope="module")
def provisioned(tmp_path_factory):
    work = tmp_path_factory.mktemp("ownership")
    lab("up", "--replace", "--spec", str(ROOT / "lab" / "specs" / "demo.yml"))
    try:
        lab("inventory", "-o", str(work / "lab.yml"))
        for node in ("node1", "node2"):
            # a lab node's /etc starts as the machine's: never let a corosync.conf/authkey that something wrote
            # there pass for an existing cluster (seen on 2026-11-30: one written by a test run with -c local)
            lab("exec", node, "--", "sh", "-c", "systemctl stop pacemaker corosync corosync-qdevice 2>/dev/null; "
                "rm -f /etc/corosync/corosync.conf /etc/corosync/authkey", check=False)
        for name in ("provision.yml", "sna_gateway.yml"):
            proc = playbook(work, name)
            assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
        yield work
    finally:
        lab("down", check=False)


def test_purge_from_provision_leaves_the_sna_package_and_its_dependents_running(provisioned):
    assert owners() == {"sna": "sna_gateway"}

    # 1. a package in packages_list depends on the live SNA package: validated and applied
    first = playbook(provisioned, "provision.yml", {"packages_list": [PKGB, APP, PKGC]})
    assert first.returncode == 0, first.stdout[-4000:]
    assert owners() == {"sna": "sna_gateway", "pkgB": "packages", "app": "packages", "pkgC": "packages"}
    state = running()
    assert state["fc.app.svc.main"] == state["fc.sna.ip0"]  # same_node
    assert "fc.pkgC.svc.main" in state

    # 2. check mode: only pkgC would be purged; nothing of sna appears in the diff
    check = playbook(provisioned, "provision.yml", {"packages_list": [PKGB, APP], "packages_purge": True},
                     "--check", "--diff")
    assert check.returncode == 0, check.stdout[-4000:]
    assert "fc.pkgC" in check.stdout and "fc.sna" not in check.stdout, check.stdout[-4000:]
    assert "fc.pkgC" in node_cmd("cibadmin", "--query", "--scope", "resources")  # check mode changed nothing

    # 3. the purge for real
    sna_members = sorted(r for r in running() if r.startswith("fc.sna."))
    purge = playbook(provisioned, "provision.yml", {"packages_list": [PKGB, APP], "packages_purge": True})
    assert purge.returncode == 0, purge.stdout[-4000:]
    assert owners() == {"sna": "sna_gateway", "pkgB": "packages", "app": "packages"}
    state = running()
    assert sorted(r for r in state if r.startswith("fc.sna.")) == sna_members and len(sna_members) >= 4
    assert state["fc.app.svc.main"] == state["fc.sna.ip0"]
    assert "fc.pkgB.ip0" in state and not any(r.startswith("fc.pkgC") for r in state)
    constraints = node_cmd("cibadmin", "--query", "--scope", "constraints")
    assert 'id="fc.app.dep.sna.col"' in constraints and "fc.pkgC" not in constraints
