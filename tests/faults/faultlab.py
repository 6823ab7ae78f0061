"""Shared machinery of the fault and split-brain tests: a provisioned lab, the probe, the cluster's view.

Each test module brings up ONE lab (prefix f8q... / f8s...), provisions the cluster
(playbooks/provision.yml) and the SNA gateway package (playbooks/sna_gateway.yml) with the
description of inventories/lab, and tears it down at the end of the module whatever happens.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
LABCTL = [sys.executable, str(ROOT / "lab" / "labctl")]
VENV_BIN = Path(sys.executable).parent
ADDRESS = "198.51.100.50"
PUS = ("HAPU1", "HAPU2", "HAPU3", "HAPU4")
NODES = ("node1", "node2")
ROUNDS = int(os.environ.get("FAULT_ROUNDS", "10"))


PYTESTMARK = [pytest.mark.faults, pytest.mark.lab,
              pytest.mark.skipif(os.geteuid() != 0, reason="the namespace lab needs root")]


class DualActiveError(AssertionError):
    """Two nodes answered for the relocatable IP (or held PUs) at the same probe."""


class NoSurvivorError(AssertionError):
    """A partition round in which neither side ran the package until the partition healed."""


def log(text):
    """Progress and figures, shown with pytest -s and kept in the report's captured output."""
    print(f"[faults {time.strftime('%H:%M:%S')}] {text}", flush=True)


class Lab:
    nodes = NODES  # the cluster members of the lab (the 3-node runbook lab has three)

    def __init__(self, prefix, work, pus=PUS):
        self.prefix = prefix
        self.work = work
        self.pus = tuple(pus)  # the package's PUs at the remote host (one per link station)
        self.macs = {}

    def ctl(self, *args, check=True, timeout=180):
        return subprocess.run([*LABCTL, "--prefix", self.prefix, *args], capture_output=True, text=True,
                              check=check, timeout=timeout)

    def sh(self, host, script, check=False, timeout=120):
        proc = self.ctl("exec", host, "--", "sh", "-c", script, check=False, timeout=timeout)
        if check and proc.returncode != 0:
            raise AssertionError(f"{host}: {script!r} exited {proc.returncode}: {proc.stdout} {proc.stderr}")
        return proc

    def playbook(self, path, *extra):
        env = dict(os.environ, PATH=f"{VENV_BIN}:{os.environ['PATH']}", ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"),
                   ANSIBLE_FORCE_COLOR="0")
        argv = [str(VENV_BIN / "ansible-playbook"), "-i", str(self.work / "lab.yml"), "-i",
                str(ROOT / "inventories" / "lab")]
        for item in extra:
            argv += ["-e", f"@{item}"]
        proc = subprocess.run([*argv, str(path)], capture_output=True, text=True, cwd=ROOT, env=env, timeout=900,
                              check=False)
        assert proc.returncode == 0, proc.stdout[-5000:] + proc.stderr[-2000:]
        return proc

    # -- the cluster's own view --------------------------------------------------------
    def view(self, host):
        """crm_mon as seen from ``host``: quorum, online nodes, where the package's members run, failures."""
        proc = self.sh(host, "crm_mon --one-shot --inactive --output-as=xml 2>/dev/null", timeout=30)
        view = {"host": host, "ok": False, "quorate": False, "online": [], "started": {}, "failures": []}
        try:
            root = ET.fromstring(proc.stdout)
        except ET.ParseError:
            return view  # pacemaker not running (a node fenced and booting)
        view["ok"] = True
        dc = root.find("./summary/current_dc")
        view["quorate"] = dc is not None and dc.get("with_quorum") == "true"
        view["online"] = sorted(n.get("name") for n in root.iter("node")
                                if n.get("online") == "true" and n.get("type") == "member")
        for res in root.iter("resource"):
            rid = res.get("id", "")
            if rid.startswith("fc.sna.") and res.get("role") == "Started":
                for node in res.iter("node"):
                    view["started"].setdefault(node.get("name"), []).append(rid)
        for failure in root.iter("failure"):
            view["failures"].append({k: failure.get(k) for k in ("op_key", "node", "exitreason", "exitstatus")})
        return view

    def package_node(self, view):
        """The node where every member of the package runs, per ``view`` (None if not exactly one)."""
        full = [n for n, members in view["started"].items() if len(members) == 2 + len(self.pus) + 1]
        return full[0] if len(full) == 1 and len(view["started"]) == 1 else None

    def addresses(self, host):
        return self.sh(host, "ip -4 -o addr show", timeout=30).stdout

    def holds_ip(self, host):
        return f" {ADDRESS}/" in self.addresses(host)

    def learn_macs(self):
        for host in self.nodes:
            mac = self.sh(host, "cat /sys/class/net/eth0/address", check=True).stdout.strip()
            self.macs[mac] = host

    def snahost_query(self, host="mainframe"):
        return self.sh(host, "snahost query", check=True).stdout

    def settled(self, timeout=240):
        """Every node online in a quorate cluster, the package whole on one node, the probe's view too."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            views = [self.view(n) for n in self.nodes]
            if all(v["ok"] and v["quorate"] and v["online"] == list(self.nodes) for v in views):
                where = {self.package_node(v) for v in views}
                if len(where) == 1 and None not in where:
                    node = where.pop()
                    if self.holds_ip(node) and pus_owned_by(self.snahost_query(), node, self.pus):
                        return node
            time.sleep(1)
        raise AssertionError(f"cluster not settled after {timeout}s: {[self.view(n) for n in self.nodes]}")

    def move(self, node):
        """Planned move of the package (crm_resource --move, then --clear so the policy applies again)."""
        if self.settled() == node:
            return node
        self.sh("node1", f"crm_resource --move --resource fc.sna --node {node}", check=True)
        try:
            deadline = time.monotonic() + 180
            while time.monotonic() < deadline:
                if self.package_node(self.view(node)) == node and self.holds_ip(node):
                    break
                time.sleep(1)
        finally:
            self.sh("node1", "crm_resource --clear --resource fc.sna", check=True)
        return self.settled()


def pus_owned_by(query_text, node, pus=PUS):
    """Every PU of ``pus`` ACTIVE for ``node`` in ``snahost query``'s output."""
    table, name = {}, None
    for line in query_text.splitlines():
        key, _sep, value = (part.strip() for part in line.partition("="))
        if key == "pu_name":
            name = value
        elif name and key in ("pu_state", "owner_hostname"):
            table.setdefault(name, {})[key] = value
    return all(table.get(pu, {}).get("pu_state") == "ACTIVE" and table[pu].get("owner_hostname") == node
               for pu in pus)


# -- the probe on the third host --------------------------------------------------------
@dataclass
class Sample:
    t: float
    macs: list
    pus: dict
    wanted: tuple = PUS  # the package's PUs: the service is up when all of them are ACTIVE

    def owners(self):
        """Nodes holding at least one PU (ACTIVE) at the remote host."""
        return sorted({owner for state, owner, _mac in (self.pus or {}).values() if state == "ACTIVE" and owner})

    def host(self, macs):
        """The node answering for the IP (``macs``: MAC -> node), when exactly one answers."""
        return macs.get(self.macs[0], self.macs[0]) if len(self.macs) == 1 else None

    def up(self, macs):
        """The service as a client sees it: one node answers for the IP and holds all PUs.

        PU ownership is compared by the owner's hostname: the remote's ``owner_mac`` is what its
        neighbour table said at activation, which can lag behind a moved IP (docs/reliability.md)."""
        pus = [v for k, v in (self.pus or {}).items() if k in self.wanted]
        return (len(self.macs) == 1 and len(pus) == len(self.wanted) and all(s == "ACTIVE" for s, _o, _m in pus)
                and self.owners() == [self.host(macs)])


@dataclass
class Probe:
    lab: Lab
    host: str = "mainframe"
    samples: list = field(default_factory=list)

    def __post_init__(self):
        self.stop_file = f"/run/f8-probe-{os.getpid()}.stop"
        self.lab.sh(self.host, f"rm -f {self.stop_file}")
        # the probe's source goes over, not its path: a checkout under /tmp is invisible in a lab
        # host (every host has a private /tmp)
        self.proc = subprocess.Popen(
            [*LABCTL, "--prefix", self.lab.prefix, "exec", self.host, "--", "python3", "-u", "-c",
             (HERE / "probe.py").read_text(), "--address", ADDRESS, "--stop-file", self.stop_file],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        deadline = time.monotonic() + 30
        while not self.samples:
            assert self.proc.poll() is None, self.proc.stderr.read()
            assert time.monotonic() < deadline, "the probe printed nothing"
            time.sleep(0.1)

    def _read(self):
        for line in self.proc.stdout:
            data = json.loads(line)
            self.samples.append(Sample(data["t"], data["macs"], data["pus"], self.lab.pus))

    def since(self, t0):
        return [s for s in self.samples if s.t >= t0]

    def up_now(self, node, hold=1.5):
        """The last ``hold`` seconds of samples all show the service up on ``node``."""
        now = time.monotonic()
        recent = [s for s in self.samples if s.t >= now - hold]
        mac = next(m for m, h in self.lab.macs.items() if h == node)
        return len(recent) >= 5 and all(s.up(self.lab.macs) and s.macs == [mac] for s in recent)

    def last(self, count=3):
        return [(s.t, s.macs, s.owners()) for s in self.samples[-count:]]

    def stop(self):
        self.lab.sh(self.host, f"touch {self.stop_file}")
        try:
            self.proc.wait(timeout=30)
        finally:
            self.reader.join(timeout=10)
            self.lab.sh(self.host, f"rm -f {self.stop_file}")
        return self.samples


def analyse(samples, macs, t0=None):
    """Dual-active checks and interruptions over ``samples`` (from ``t0`` on)."""
    samples = [s for s in samples if t0 is None or s.t >= t0]
    report = {"probes": len(samples), "ip_dual_active": 0, "pu_dual_active": 0, "split": 0, "max_macs": 0,
              "interruption_s": 0.0, "longest_interruption_s": 0.0, "violations": []}
    down_since = None
    for prev, s in zip([None, *samples], samples, strict=False):
        report["max_macs"] = max(report["max_macs"], len(s.macs))
        if len(s.macs) > 1:
            report["ip_dual_active"] += 1
            report["violations"].append({"t": s.t, "ip": [macs.get(m, m) for m in s.macs]})
        if len(s.owners()) > 1:
            report["pu_dual_active"] += 1
            report["violations"].append({"t": s.t, "pus": s.owners()})
        if len(s.macs) == 1 and s.owners() and s.owners() != [s.host(macs)]:
            report["split"] += 1  # IP on one node, PUs held for another: recorded, see docs/reliability.md
        if prev is not None and not prev.up(macs):
            report["interruption_s"] += s.t - prev.t
        if not s.up(macs) and down_since is None:
            down_since = s.t
        if s.up(macs) and down_since is not None:
            report["longest_interruption_s"] = max(report["longest_interruption_s"], s.t - down_since)
            down_since = None
    if down_since is not None and samples:
        report["longest_interruption_s"] = max(report["longest_interruption_s"], samples[-1].t - down_since)
    report["interruption_s"] = round(report["interruption_s"], 2)
    report["longest_interruption_s"] = round(report["longest_interruption_s"], 2)
    return report


def wait_for(predicate, timeout, interval=0.5, what="condition", detail=None):
    """(seconds, value) once ``predicate()`` is true; AssertionError with ``detail()`` after ``timeout``."""
    start = time.monotonic()
    while True:
        value = predicate()
        if value:
            return time.monotonic() - start, value
        if time.monotonic() - start > timeout:
            raise AssertionError(f"{what}: not reached after {timeout}s" + (f": {detail()}" if detail else ""))
        time.sleep(interval)


def provisioned_lab(prefix, work, spec, extra_vars=(), pus=PUS):
    lab = Lab(prefix, work, pus)
    started = time.monotonic()
    lab.ctl("up", "--replace", "--spec", str(spec))
    lab.ctl("inventory", "-o", str(work / "lab.yml"))
    lab.playbook(ROOT / "playbooks" / "provision.yml", *extra_vars)
    lab.playbook(ROOT / "playbooks" / "sna_gateway.yml", *extra_vars)
    lab.learn_macs()
    node = lab.settled()
    log(f"lab {prefix} up and provisioned in {time.monotonic() - started:.0f}s; package on {node}")
    return lab


def lab_for_module(prefix, work, spec, extra_vars=(), pus=PUS):
    """Generator for a module-scoped fixture: the provisioned lab, healed and torn down afterwards."""
    try:
        yield provisioned_lab(prefix, work, spec, extra_vars, pus)
    finally:
        teardown = Lab(prefix, work)
        teardown.ctl("heal", check=False)
        teardown.ctl("down", check=False)


def link_station_id(lab, ls_name, node="node1"):
    """The resource id of link station ``ls_name`` in the CIB, whatever the package's layout: a group
    member ``fc.<pkg>.res.ls_<name>`` (sequential starts) or a primitive ``fc.<pkg>.ls.<name>``
    (parallel)."""
    root = ET.fromstring(lab.sh(node, "cibadmin --query --scope resources", check=True).stdout)
    for prim in root.iter("primitive"):
        if prim.get("type") == "sna_link_station" and any(
                nv.get("name") == "ls_name" and nv.get("value") == ls_name for nv in prim.iter("nvpair")):
            return prim.get("id")
    raise AssertionError(f"no link station {ls_name} in the CIB")


def other(node):
    """The other cluster node of the 2-node fault labs."""
    return "node2" if node == "node1" else "node1"


def summary(name, rounds):
    """One line per round and the totals, printed for docs/reliability.md."""
    log(f"== {name}: {len(rounds)} rounds")
    for r in rounds:
        log("  " + json.dumps(r, sort_keys=True))
    keys = [k for k in ("failover_s", "heal_s") if any(k in r for r in rounds)]
    for key in keys:
        values = sorted(r[key] for r in rounds if r.get(key) is not None)
        if values:
            log(f"  {key}: min {values[0]:.1f} median {values[len(values) // 2]:.1f} max {values[-1]:.1f}")
    log(f"  probes {sum(r['probes'] for r in rounds)}, dual-active IP {sum(r['ip_dual_active'] for r in rounds)}, "
        f"dual-active PUs {sum(r['pu_dual_active'] for r in rounds)}, split {sum(r['split'] for r in rounds)}")


# -- a network partition between the two nodes, the quorum server reachable from both ----------
HOLD = 5  # seconds the partition is kept after the service recovered: late dual-active would show


def one_side_serves(lab, probe):
    """Exactly one partition is quorate, runs the whole package and serves; the other runs nothing."""

    def check():
        views = {n: lab.view(n) for n in NODES}
        quorate = [n for n, v in views.items() if v["quorate"]]
        if len(quorate) != 1:
            return None
        winner = quorate[0]
        if lab.package_node(views[winner]) != winner or views[other(winner)]["started"]:
            return None
        return winner if probe.up_now(winner) else None

    return check


def partition_rounds(lab, rounds):
    """``rounds`` partitions of node1 from node2 (the quorum server and the remote host still reach
    both): one side must serve the whole package, the other nothing; then heal. The package starts
    on the losing side half of the rounds. One report per round (:func:`analyse` + timings)."""
    results = []
    for i in range(rounds):
        holder = "node2" if i % 2 == 0 else "node1"  # half the rounds the package is on the losing side
        if lab.settled() != holder:
            lab.move(holder)
        probe = Probe(lab)
        entry = {"round": i + 1, "holder": holder}
        try:
            time.sleep(1)
            t0 = time.monotonic()
            lab.ctl("partition", "node1", "node2")
            entry["recovered_s"], winner = wait_for(one_side_serves(lab, probe), 180, what="one side serving",
                                     detail=lambda probe=probe: ([lab.view(n) for n in NODES], probe.last()))
            entry["winner"] = winner
            time.sleep(HOLD)
            loser = other(winner)
            assert not lab.holds_ip(loser), lab.addresses(loser)
            assert pus_owned_by(lab.snahost_query(), winner, lab.pus), lab.snahost_query()
            t_heal = time.monotonic()
            lab.ctl("heal")
            node = lab.settled()
            entry["heal_s"] = round(time.monotonic() - t_heal, 1)
            assert node == winner  # failback_policy manual: it stays where it recovered
            time.sleep(1)
        finally:
            samples = probe.stop()
            lab.ctl("heal", check=False)
        report = analyse(samples, lab.macs, t0)
        entry.update(report)
        entry["recovered_s"] = round(entry["recovered_s"], 1)
        entry["failover_s"] = report["longest_interruption_s"]  # service gap the probe saw
        # how long the cut-off side kept answering for the address (its halt, seen from outside)
        if winner != holder:
            mac = next(m for m, h in lab.macs.items() if h == holder)
            answered = [s.t for s in samples if s.t >= t0 and mac in s.macs]
            entry["loser_released_s"] = round(max(answered) - t0, 2) if answered else 0.0
        results.append(entry)
        log(f"partition round {i + 1}: {entry}")
    return results
