"""One provision.yml run: the cluster, the SNA gateway package and a package that depends on it (issue 12).

The SNA gateway is a package kind: an entry of ``packages_list`` with an ``sna`` mapping
(inventories/lab's ``lab_sna_package``). On a fresh 3-node lab with a quorum server
(tests/faults/specs/runbook_3node.yml: node1, node2, node3, qs, mainframe; the cluster of
inventories/lab with node3 added by runbook_3node_vars.yml) whose only preparation is the
emulated remote SNA host on the mainframe (the system
the gateway talks to, not part of the cluster), ONE run of playbooks/provision.yml with
``packages_list: [lab_sna_package, app]`` (app depends on sna, same_node) must

* form the cluster with its quorum server,
* write the SNA definitions on both candidates, node1 and node2 (the sna_gateway role's package_definitions
  entry point, included by the packages role),
* apply both packages: crm_mon shows the SNA package's IP, node, port and 4 link stations and
  app's service Started, all on the same node; the mainframe sees the 4 PUs ACTIVE, owned by
  that node;

and a second identical run reports 0 changed on every host.

    sudo .venv/bin/pytest -m lab tests/integration/test_sna_package_kind.py   # ~6 min
    sudo SNA_KIND_LS_START=sequential .venv/bin/pytest -m lab tests/integration/test_sna_package_kind.py
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
LABCTL = [sys.executable, str(ROOT / "lab" / "labctl")]
PREFIX = os.environ.get("SNA_KIND_PREFIX", "ha")
VENV_BIN = Path(sys.executable).parent

pytestmark = [pytest.mark.lab, pytest.mark.slow,
              pytest.mark.skipif(os.geteuid() != 0, reason="the namespace lab needs root")]

APP = {"package_name": "app", "services": [{"service_name": "main", "service_cmd": "/bin/sleep infinity"}],
       "dependencies": [{"dependency_name": "sna", "dependency_condition": "up", "dependency_location": "same_node"}]}
# SNA_KIND_LS_START=parallel runs the same test with the link stations as resources of their own
LS_START = os.environ.get("SNA_KIND_LS_START", "sequential")
EXTRA = {"packages_list": ["{{ lab_sna_package | combine({'sna': {'link_station_start': '%s'}}, recursive=True) }}"
                           % LS_START, APP]}
# sequential (sna.link_station_start's default): the link stations are members of the group
LS_IDS = {"parallel": "fc.sna.ls.HALS{0}", "sequential": "fc.sna.res.ls_HALS{0}"}[LS_START]
SNA_MEMBERS = ["fc.sna.ip0", "fc.sna.res.node", "fc.sna.res.port"] + [LS_IDS.format(k) for k in (1, 2, 3, 4)]


def lab(*args, check=True, timeout=180):
    return subprocess.run([*LABCTL, "--prefix", PREFIX, *args], capture_output=True, text=True, check=check,
                          timeout=timeout)


SPEC = ROOT / "tests" / "faults" / "specs" / "runbook_3node.yml"
THIRD_NODE = ROOT / "tests" / "faults" / "specs" / "runbook_3node_vars.yml"
NODES = ("node1", "node2", "node3")


def playbook(work, name, *options):
    path = work / "extra.yml"
    path.write_text(yaml.safe_dump(EXTRA))
    argv = [str(VENV_BIN / "ansible-playbook"), "-i", str(work / "lab.yml"), "-i", str(ROOT / "inventories" / "lab"),
            "-e", f"@{THIRD_NODE}", "-e", f"@{path}", *options, str(ROOT / "playbooks" / name)]
    env = dict(os.environ, PATH=f"{VENV_BIN}:{os.environ['PATH']}", ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"),
               ANSIBLE_FORCE_COLOR="0")
    return subprocess.run(argv, capture_output=True, text=True, cwd=ROOT, env=env, timeout=900, check=False)


def recap(output):
    """{host: {"ok": n, "changed": n, "failed": n, ...}} from the PLAY RECAP."""
    result = {}
    for match in re.finditer(r"^(\S+)\s+:\s+((?:\w+=\d+\s*)+)$", output, re.MULTILINE):
        result[match.group(1)] = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", match.group(2))}
    return result


def started():
    """{resource id: node} of every started resource (crm_mon XML)."""
    root = ET.fromstring(lab("exec", "node1", "--", "crm_mon", "-1", "--output-as=xml", "--inactive").stdout)
    return {r.get("id"): r.find("node").get("name") for r in root.iter("resource")
            if r.get("role") == "Started" and r.find("node") is not None}


def pus():
    """{pu_name: (pu_state, owner_hostname)} as the emulated mainframe sees them."""
    text = lab("exec", "mainframe", "--", "snahost", "query").stdout
    result, block = {}, {}
    for line in text.splitlines() + [""]:
        if "=" in line:
            key, value = (part.strip() for part in line.split("=", 1))
            block[key] = value
        elif block:
            result[block.get("pu_name")] = (block.get("pu_state"), block.get("owner_hostname"))
            block = {}
    return result


@pytest.fixture(scope="module")
def fresh_lab(tmp_path_factory):
    work = tmp_path_factory.mktemp("sna-kind")
    lab("up", "--replace", "--spec", str(SPEC))
    try:
        lab("inventory", "-o", str(work / "lab.yml"))
        for node in NODES:  # see test_package_ownership.py: never inherit a corosync.conf
            lab("exec", node, "--", "sh", "-c", "systemctl stop pacemaker corosync corosync-qdevice 2>/dev/null; "
                "rm -f /etc/corosync/corosync.conf /etc/corosync/authkey", check=False)
        # the remote SNA host only (sna_gateway.yml's first play): the system the gateway talks to
        proc = playbook(work, "sna_gateway.yml", "--limit", "sna_hosts")
        assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
        yield work
    finally:
        lab("down", check=False)


def test_one_provision_run_gives_the_cluster_the_sna_package_and_its_dependent(fresh_lab):
    first = playbook(fresh_lab, "provision.yml")
    assert first.returncode == 0, first.stdout[-6000:] + first.stderr[-2000:]

    state = started()
    holder = state.get("fc.sna.ip0")
    assert holder in ("node1", "node2"), state
    assert {rid: state.get(rid) for rid in SNA_MEMBERS} == dict.fromkeys(SNA_MEMBERS, holder)
    assert state.get("fc.app.svc.main") == holder  # same_node
    assert pus() == {f"HAPU{k}": ("ACTIVE", holder) for k in (1, 2, 3, 4)}
    for node in ("node1", "node2"):  # the definitions are on both candidates, not only on the holder
        cfg = lab("exec", node, "--", "cat", "/var/lib/snaemu/sna_node.cfg").stdout
        assert all(f"HALS{k}" in cfg for k in (1, 2, 3, 4)) and "HAPORT" in cfg and "APPN.GWNODE" in cfg, (node, cfg)
    resources = lab("exec", "node1", "--", "cibadmin", "--query", "--scope", "resources").stdout
    assert 'name="failover-cluster-owner" value="packages"' in resources

    again = playbook(fresh_lab, "provision.yml")
    assert again.returncode == 0, again.stdout[-6000:]
    counts = recap(again.stdout)
    assert set(counts) >= {*NODES, "qs"}, again.stdout[-3000:]
    assert {host: c["changed"] for host, c in counts.items()} == dict.fromkeys(counts, 0), again.stdout[-6000:]
    assert started() == state
