"""A 32-link-station SNA gateway package whose link stations start in parallel (issue 16).

One 3-node lab with a quorum server (tests/faults/specs/runbook_3node.yml: node1, node2, node3,
qs, mainframe), the emulated remote host on the mainframe with 32 PUs, and one run of
playbooks/provision.yml with a package ``sna`` of 32 link stations (candidates node1 and node2;
``sna.link_station_start: parallel``). Then, on the same lab:

1. **planned failover** (the package_switch module) to the other candidate: every PU ACTIVE for
   the new owner at the remote host; the remote host, sampled during the switch, never shows
   ACTIVE PUs owned by two nodes at once;
2. **crash failover** of the holder (labctl crash): the same on the survivor (the forced
   stale-node stop frees the crashed node's PUs before the link stations start);
3. **one PU refused**: the remote host refuses HAPU7 (``snahost refuse``) and drops its session
   (``snahost release``); the link station's monitor fails, its restart is refused, and it stays
   stopped while the other 31 keep running - their activation counters at the remote host do not
   move. cluster_info says ``degraded`` and names HALS7 with the product's code
   (UNSUCCESSFUL/PU_NOT_AVAILABLE);
4. **recovery of that one**: the remote host accepts HAPU7 again and package_state state=running
   clears HALS7's failure only: HAPU7 ACTIVE again, the 31 others' counters still unchanged.

    sudo .venv/bin/pytest -m lab tests/integration/test_sna_parallel_link_stations.py   # ~4.5 min (258 s)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
LABCTL = [sys.executable, str(ROOT / "lab" / "labctl")]
PREFIX = os.environ.get("SNA_PAR_PREFIX", "hp")
VENV_BIN = Path(sys.executable).parent
SPEC = ROOT / "tests" / "faults" / "specs" / "runbook_3node.yml"
THIRD_NODE = ROOT / "tests" / "faults" / "specs" / "runbook_3node_vars.yml"
NODES = ("node1", "node2", "node3")
COUNT = 32
REFUSED = 7
LS = [f"HALS{k}" for k in range(1, COUNT + 1)]
PUS = [f"HAPU{k}" for k in range(1, COUNT + 1)]
REMOTE = "198.51.100.14"

pytestmark = [pytest.mark.lab, pytest.mark.slow,
              pytest.mark.skipif(os.geteuid() != 0, reason="the namespace lab needs root")]

PACKAGE = {
    "package_name": "sna", "node_name": ["node1", "node2"],
    "ip": [{"ip_address": "198.51.100.50", "ip_subnet": "198.51.100.0/24"}],
    "sna": {"node": {"fqcp_name": "APPN.GWNODE"}, "port": {"port_name": "HAPORT", "udp_port": 12000},
            "link_stations": [{"ls_name": ls, "remote_ip_host": REMOTE, "pu_name": pu, "remote_udp_port": 12000}
                              for ls, pu in zip(LS, PUS, strict=True)],
            "force_stale": "cluster", "link_station_start": "parallel"},
}
EXTRA = {"packages_list": [PACKAGE],
         "sna_gateway_emulated_pus": [{"name": pu, "allowed_addresses": ["198.51.100.50"]} for pu in PUS]}


def lab(*args, check=True, timeout=180):
    return subprocess.run([*LABCTL, "--prefix", PREFIX, *args], capture_output=True, text=True, check=check,
                          timeout=timeout)


def env():
    return dict(os.environ, PATH=f"{VENV_BIN}:{os.environ['PATH']}", ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"),
                ANSIBLE_FORCE_COLOR="0")


def inventories(work):
    return ["-i", str(work / "lab.yml"), "-i", str(ROOT / "inventories" / "lab"), "-e", f"@{THIRD_NODE}",
            "-e", f"@{work / 'extra.yml'}"]


def playbook(work, name, *options):
    argv = [str(VENV_BIN / "ansible-playbook"), *inventories(work), *options, str(ROOT / "playbooks" / name)]
    return subprocess.run(argv, capture_output=True, text=True, cwd=ROOT, env=env(), timeout=900, check=False)


def module(work, host, name, args):
    """One module run on ``host`` (ansible ad hoc); its result as a dict."""
    argv = [str(VENV_BIN / "ansible"), *inventories(work), host, "-m", f"failover.cluster.{name}", "-a",
            json.dumps(args), "-o"]
    proc = subprocess.run(argv, capture_output=True, text=True, cwd=ROOT, env=env(), timeout=600, check=False)
    text = proc.stdout.strip()
    assert "=> {" in text and "FAILED!" not in text.split("=>", 1)[0], proc.stdout[-3000:] + proc.stderr[-2000:]
    return json.loads(text.split("=>", 1)[1])


def started(node):
    """{resource id: node} of every started resource (crm_mon XML seen from ``node``)."""
    root = ET.fromstring(lab("exec", node, "--", "crm_mon", "-1", "--output-as=xml", "--inactive").stdout)
    return {r.get("id"): r.find("node").get("name") for r in root.iter("resource")
            if r.get("role") == "Started" and r.find("node") is not None}


def remote_pus():
    """{pu_name: query block} as the emulated mainframe sees them."""
    text = lab("exec", "mainframe", "--", "snahost", "query").stdout
    result, block = {}, {}
    for line in text.splitlines() + [""]:
        if "=" in line:
            key, value = (part.strip() for part in line.split("=", 1))
            block[key] = value
        elif block:
            result[block.get("pu_name")] = block
            block = {}
    return result


def owners(pus):
    return {pu: (b.get("pu_state"), b.get("owner_hostname")) for pu, b in pus.items()}


def wait_for(check, timeout, what):
    end = time.monotonic() + timeout
    last = None
    while time.monotonic() < end:
        last = check()
        if last:
            return last
        time.sleep(1)
    raise AssertionError(f"{what}: not reached in {timeout} s (last {last})")


def all_active_on(node):
    def check():
        pus = owners(remote_pus())
        return pus if pus == {pu: ("ACTIVE", node) for pu in PUS} else None
    return check


class Sampler:
    """Samples the remote host's PU table in a thread: which nodes own ACTIVE PUs at each moment."""

    def __init__(self):
        self.samples = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        while not self.stop.is_set():
            try:
                pus = owners(remote_pus())
            except (subprocess.SubprocessError, OSError):
                continue
            self.samples.append({owner for state, owner in pus.values() if state == "ACTIVE"})

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(timeout=60)

    def dual(self):
        return [s for s in self.samples if len(s) > 1]


@pytest.fixture(scope="module")
def gateway(tmp_path_factory):
    work = tmp_path_factory.mktemp("sna-par")
    (work / "extra.yml").write_text(yaml.safe_dump(EXTRA))
    lab("up", "--replace", "--spec", str(SPEC))
    try:
        lab("inventory", "-o", str(work / "lab.yml"))
        for node in NODES:  # see test_package_ownership.py: never inherit a corosync.conf
            lab("exec", node, "--", "sh", "-c", "systemctl stop pacemaker corosync corosync-qdevice 2>/dev/null; "
                "rm -f /etc/corosync/corosync.conf /etc/corosync/authkey", check=False)
        proc = playbook(work, "sna_gateway.yml", "--limit", "sna_hosts")  # the remote host, 32 PUs
        assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
        proc = playbook(work, "provision.yml")
        assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]
        yield work
    finally:
        lab("down", check=False)


def test_32_link_stations_switch_crash_refuse_and_recover(gateway):
    state = started("node3")
    holder = state.get("fc.sna.ip0")
    assert holder in ("node1", "node2"), state
    ls_ids = [f"fc.sna.ls.{ls}" for ls in LS]
    assert {rid: state.get(rid) for rid in ["fc.sna.res.port", *ls_ids]} == dict.fromkeys(["fc.sna.res.port", *ls_ids],
                                                                                          holder)
    assert owners(remote_pus()) == {pu: ("ACTIVE", holder) for pu in PUS}
    resources = lab("exec", "node3", "--", "cibadmin", "--query", "--scope", "resources").stdout
    root = ET.fromstring(resources)
    mark = ("failover-cluster-package", "sna")
    marked = [p.get("id") for p in root.findall("primitive")
              if any((nv.get("name"), nv.get("value")) == mark for nv in p.iter("nvpair"))]
    assert marked == ls_ids  # the package's own primitives next to its group

    # 1. planned failover to the other candidate
    target = "node2" if holder == "node1" else "node1"
    with Sampler() as sampler:
        result = module(gateway, "node3", "package_switch", {"packages": ["sna"], "node": target})
        wait_for(all_active_on(target), 120, f"every PU ACTIVE for {target}")
    assert result.get("result") == "switched", result
    assert len(sampler.samples) > 5 and sampler.dual() == [], sampler.dual()[:3]
    state = started("node3")
    assert {rid: state.get(rid) for rid in ls_ids} == dict.fromkeys(ls_ids, target)

    # 2. crash failover of the holder
    survivor = holder
    with Sampler() as sampler:
        lab("crash", target)
        wait_for(all_active_on(survivor), 240, f"every PU ACTIVE for {survivor} after {target} crashed")
    assert sampler.dual() == [], sampler.dual()[:3]
    def all_started_on_survivor():
        now = started("node3")
        return now if all(now.get(r) == survivor for r in ls_ids) else None

    wait_for(all_started_on_survivor, 120, "every link station started on the survivor")

    # 3. the remote host refuses one PU and drops its session: the others keep running
    before = remote_pus()
    refused_pu, refused_ls = f"HAPU{REFUSED}", f"HALS{REFUSED}"
    lab("exec", "mainframe", "--", "snahost", "refuse", f"pu_name={refused_pu}")
    lab("exec", "mainframe", "--", "snahost", "release", f"pu_name={refused_pu}")

    def degraded():
        info = module(gateway, "node3", "cluster_info", {"inactive": True})
        pkg = next(p for p in info["packages"] if p["name"] == "fc.sna")
        failed = pkg.get("failed_link_stations") or []
        # the monitor's failure comes first; wait for the refused restart
        return pkg if pkg["state"] == "degraded" and any(ls["failure"]["task"] == "start" for ls in failed) else None

    pkg = wait_for(degraded, 120, "cluster_info reports the package degraded")
    assert pkg["node"] == survivor
    assert [ls["name"] for ls in pkg["failed_link_stations"]] == [refused_ls]
    failure = pkg["failed_link_stations"][0]["failure"]
    assert failure["node"] == survivor and "UNSUCCESSFUL/PU_NOT_AVAILABLE" in (failure["exitreason"] or ""), failure
    assert {ls["name"] for ls in pkg["link_stations"] if ls["state"] == "running"} == set(LS) - {refused_ls}
    after = remote_pus()
    assert after[refused_pu]["pu_state"] == "INACTIVE"
    for pu in PUS:
        if pu != refused_pu:  # not restarted: same session, same activation count
            assert (after[pu]["pu_state"], after[pu]["owner_hostname"]) == ("ACTIVE", survivor), after[pu]
            assert (after[pu]["activations"], after[pu]["session_id"]) == (
                before[pu]["activations"], before[pu]["session_id"]), pu

    # 4. the remote host accepts it again; package_state clears that link station's failure only
    lab("exec", "mainframe", "--", "snahost", "accept", f"pu_name={refused_pu}")
    result = module(gateway, "node3", "package_state", {"name": "sna", "state": "running"})
    assert result.get("steps") == [["cleanup", f"fc.sna.ls.{refused_ls}"]], result
    wait_for(all_active_on(survivor), 120, f"{refused_pu} ACTIVE again")
    final = remote_pus()
    for pu in PUS:
        if pu != refused_pu:
            assert (final[pu]["activations"], final[pu]["session_id"]) == (
                before[pu]["activations"], before[pu]["session_id"]), pu
    info = module(gateway, "node3", "cluster_info", {"inactive": True})
    pkg = next(p for p in info["packages"] if p["name"] == "fc.sna")
    assert pkg["state"] == "running" and pkg["failed_link_stations"] == [], pkg
