#!/usr/bin/env python3
"""Downtime of the standard SNA package as the remote SNA host sees it, against the bare engine.

Brings up its own namespace lab (lab/specs/demo.yml: node1, node2, qs, mainframe; prefix
``bnfo``), provisions the cluster (playbooks/provision.yml) and the SNA gateway package
(playbooks/sna_gateway.yml: relocatable IP 198.51.100.50, SNA node, port HAPORT, link stations
HALS1-4 to PUs HAPU1-4 on the mainframe), adds a bare-engine group made with ``cibadmin``
(IPaddr2 198.51.100.60 + 4 ocf:pacemaker:Dummy, no SNA), and starts ONE probe process on the
mainframe (benchmarks/failover_probe.py, every 50 ms: the PUs as ``snahost query`` reports
them, and a broadcast ARP request for each relocatable IP).

The SNA service is UP in a sample when all 4 PUs are ACTIVE, all owned by the same gateway
node, and 198.51.100.50 answers ARP with that node's MAC (after a crash the mainframe keeps
the PUs ACTIVE for the dead node until the backup forces them out: ACTIVE alone is not up).
The bare group is UP when 198.51.100.60 answers ARP. Downtime = from the last UP sample
before the event to the first UP sample on the other node. A run whose service does not end
up on the other node (PUs owned by it, group Started there in crm_mon) is marked failed and
left out of the figures.

Scenarios (each --runs times, default 5; each with its bare counterpart in the same run):

* ``planned/collection``: ``failover.cluster.package_state state=moved node=OTHER`` through
  ``ansible`` (or playbooks/planned_failover.yml when it exists and --planned-via allows it);
* ``planned/bare``: ``crm_resource --move`` + ``crm_resource --wait`` + ``--clear`` of the
  same package, interleaved with the collection's runs;
* ``crash/<profile>/sna`` and ``crash/<profile>/bare``: ``labctl crash`` of the holder (links
  pulled, PID 1 SIGKILLed), for the timing profiles low_latency (the lab inventory's) and
  default (re-provisioned with ``-e cluster_timing_profile=default``); the crashed node is
  booted again and rejoins before the next run.

Besides the downtime table it prints, from the survivor's journal, the phases of each crash
(new Corosync membership, votequorum sync done, first start...) and where the time went (the
agents' stop/start operations added up, the engine's time between them).

Run as root from the checkout (after scripts/setup):
  .venv/bin/python benchmarks/bench_failover.py [--runs 5] [--json out.json] [--plots DIR]
      [--scenarios planned,crash_low_latency,crash_default] [--planned-via auto|module|runbook]
  .venv/bin/python benchmarks/bench_failover.py --from-json out.json [--plots DIR]   # no lab: reprint
Figures only: nothing is asserted about timing. The lab is torn down at the end, whatever
happens (--keep-lab leaves it up for inspection).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LABCTL = [sys.executable, str(ROOT / "lab" / "labctl")]
VENV_BIN = Path(sys.executable).parent
NODES = ("node1", "node2")
SNA_IP = "198.51.100.50"
BARE_IP = "198.51.100.60"
MAINFRAME_IP = "198.51.100.14"
PUS = ("HAPU1", "HAPU2", "HAPU3", "HAPU4")
SNA_RSC = "fc.sna"
BARE_RSC = "bare"
PERIOD = 0.05
LOG_DIR = ROOT / ".cache" / "bench" / "logs"
RECAP = re.compile(r"^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)

BARE_GROUP = f"""<group id="{BARE_RSC}">
  <meta_attributes id="bare-meta">
    <nvpair id="bare-meta-stickiness" name="resource-stickiness" value="10000"/>
    <nvpair id="bare-meta-target-role" name="target-role" value="Stopped"/>
  </meta_attributes>
  <primitive id="bare.ip" class="ocf" provider="heartbeat" type="IPaddr2">
    <instance_attributes id="bare.ip-params">
      <nvpair id="bare.ip-ip" name="ip" value="{BARE_IP}"/>
      <nvpair id="bare.ip-cidr" name="cidr_netmask" value="24"/>
    </instance_attributes>
    <operations><op id="bare.ip-monitor-10s" name="monitor" interval="10s" timeout="20s"/></operations>
  </primitive>
  {"".join(f'''<primitive id="bare.d{i}" class="ocf" provider="pacemaker" type="Dummy">
    <operations><op id="bare.d{i}-monitor-10s" name="monitor" interval="10s" timeout="20s"/></operations>
  </primitive>''' for i in range(1, 5))}
</group>"""

# Survivor's journal lines that mark the phases of a crash failover (first match after the crash).
PHASES = (
    ("membership", re.compile(r"\[TOTEM \] A new membership")),
    ("quorate", re.compile(r"\[MAIN  \] Completed service synchronization")),
    ("peer_lost", re.compile(r"pacemaker-controld.*Node (node\d) state is now lost")),
    ("first_start", re.compile(r"Requesting local execution of start operation")),
    ("ip_started", re.compile(r"Result of start operation for (fc\.sna\.ip0|bare\.ip) on \S+: ok")),
    ("last_started",
     re.compile(r"Result of start operation for (fc\.sna\.(?:res\.ls_|ls\.)HALS4|bare\.d4) on \S+: ok")),
)


HIGH_LOAD = re.compile(r"pacemaker-controld.*(High CPU load|[Tt]hrottl)")
OP_LINE = re.compile(r"(Requesting local execution of|Result of) (start|stop) operation for (\S+) on")


class BenchError(Exception):
    pass


class Lab:
    def __init__(self, prefix):
        self.prefix = prefix

    def run(self, *args, check=True, timeout=300):
        proc = subprocess.run([*LABCTL, "--prefix", self.prefix, *args], capture_output=True, text=True,
                              check=False, timeout=timeout)
        if check and proc.returncode != 0:
            raise BenchError(f"labctl {' '.join(args)} failed (rc {proc.returncode}): {proc.stderr.strip()[-2000:]}")
        return proc

    def exec(self, host, *argv, check=True, timeout=300):
        return self.run("exec", host, "--", *argv, check=check, timeout=timeout)


class Probe:
    """The one probe process (failover_probe.py) on a lab host, by default the mainframe with the SNA
    host's socket; its samples, read by a thread. ``ips``: the addresses it asks for by ARP."""

    def __init__(self, lab, host="mainframe", iface="eth0", source_ip=MAINFRAME_IP,
                 snahost_socket="/var/lib/snahost/snahost.sock", ips=(SNA_IP, BARE_IP)):
        source = (ROOT / "benchmarks" / "failover_probe.py").read_text()
        self.proc = subprocess.Popen(
            [*LABCTL, "--prefix", lab.prefix, "exec", host, "--", "python3", "-u", "-c", source,
             iface, source_ip, snahost_socket, str(PERIOD), *ips],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )
        self.samples = []
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        for line in self.proc.stdout:
            try:
                sample = json.loads(line)
            except ValueError:
                continue
            with self.lock:
                self.samples.append(sample)

    def since(self, t):
        with self.lock:
            return [s for s in self.samples if s["t"] >= t]

    def last(self):
        with self.lock:
            return self.samples[-1] if self.samples else None

    def first(self, ip, mac, since, timeout):
        """monotonic time of the first sample after ``since`` where ``ip`` answers with ``mac`` (None)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for sample in self.since(since):
                if sample["arp"].get(ip) == mac:
                    return sample["t"]
            time.sleep(0.1)
        return None

    def wait(self, predicate, since, timeout, what):
        deadline = time.monotonic() + timeout
        seen = since
        while time.monotonic() < deadline:
            for s in self.since(seen):
                seen = s["t"] + 1e-6
                if predicate(s):
                    return s
            if self.proc.poll() is not None:
                raise BenchError("the probe on the mainframe ended")
            time.sleep(0.05)
        raise BenchError(f"timed out after {timeout} s waiting for {what}")

    def stop(self):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.close()  # the probe ends at EOF on its stdin
                self.proc.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()  # our own labctl process, by its Popen handle
                self.proc.wait(timeout=10)
        self.thread.join(timeout=5)


class Bench:
    def __init__(self, args):
        self.args = args
        self.lab = Lab(args.prefix)
        self.inventory = str(ROOT / ".cache" / f"{args.prefix}-inventory.yml")
        self.macs = {}
        self.probe = None
        self.runs = []
        self.setup = {}

    # ------------------------------------------------------------------ ansible
    def ansible_env(self):
        return dict(os.environ, PATH=f"{VENV_BIN}:{os.environ['PATH']}", ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"),
                    ANSIBLE_FORCE_COLOR="0", ANSIBLE_STDOUT_CALLBACK="default")

    def playbook(self, name, *extra):
        start = time.monotonic()
        proc = subprocess.run(
            [str(VENV_BIN / "ansible-playbook"), "-i", self.inventory, "-i", str(ROOT / "inventories" / "lab"),
             name, *extra],
            capture_output=True, text=True, env=self.ansible_env(), cwd=ROOT, check=False,
        )
        elapsed = time.monotonic() - start
        if proc.returncode != 0:
            log = LOG_DIR / f"failed-{Path(name).stem}-{time.strftime('%Y%m%dT%H%M%S')}.log"
            log.parent.mkdir(parents=True, exist_ok=True)
            log.write_text(proc.stdout + proc.stderr)
            tail = "\n".join(line for line in proc.stdout.splitlines() if "fatal:" in line or "ERROR" in line)
            raise BenchError(f"{name} {' '.join(extra)} failed (rc {proc.returncode}), output in {log}: {tail[-1500:]}")
        return elapsed, sum(int(m.group(3)) for m in RECAP.finditer(proc.stdout))

    def module(self, host, name, module_args):
        proc = subprocess.run(
            [str(VENV_BIN / "ansible"), "-i", self.inventory, "-i", str(ROOT / "inventories" / "lab"), host,
             "-m", name, "-a", json.dumps(module_args), "-o"],
            capture_output=True, text=True, env=self.ansible_env(), cwd=ROOT, check=False,
        )
        if proc.returncode != 0:
            raise BenchError(f"{name} on {host} failed (rc {proc.returncode}): {proc.stdout[-2000:]}")
        match = re.search(r"=>\s*(\{.*\})\s*$", proc.stdout.strip(), re.S)
        return json.loads(match.group(1)) if match else {}

    # ------------------------------------------------------------------ cluster helpers
    def crm_mon(self, host):
        out = self.lab.exec(host, "crm_mon", "--one-shot", "--output-as=xml", "--inactive").stdout
        return ET.fromstring(out)

    def dc(self, host):
        """The cluster's DC as ``host`` sees it (crm_mon's current_dc), or None."""
        found = self.crm_mon(host).find("./summary/current_dc")
        return found.get("name") if found is not None and found.get("present") == "true" else None

    def crash_victim(self, kind):
        """The node a crash run crashes: the service's holder."""
        return self.current_holder(kind)

    def placement(self, host, rsc):
        """{member id: [nodes where Started]} for a group, from host's crm_mon."""
        root = self.crm_mon(host)
        placed = {}
        for group in root.iter("group"):
            if group.get("id") != rsc:
                continue
            for res in group.iter("resource"):
                nodes = [n.get("name") for n in res.iter("node")] if res.get("role") == "Started" else []
                placed[res.get("id")] = nodes
        return placed

    def online(self, host):
        root = self.crm_mon(host)
        return {n.get("name") for n in root.iter("node") if n.get("online") == "true"}

    def settle(self, host, timeout=180):
        self.lab.exec(host, "crm_resource", "--wait", "--timeout", f"{timeout}s", timeout=timeout + 30)

    def wait_online(self, host, nodes, timeout=180):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if set(nodes) <= self.online(host):
                    return
            except (BenchError, ET.ParseError):
                pass
            time.sleep(0.5)
        raise BenchError(f"{nodes} not online in {host}'s view after {timeout} s")

    def set_role(self, rsc, role):
        self.lab.exec("node1", "crm_resource", "--resource", rsc, "--meta", "--set-parameter", "target-role",
                      "--parameter-value", role)

    # ------------------------------------------------------------------ service state from a sample
    def sna_owner(self, sample):
        """The node the SNA service is fully up on in this sample, or None."""
        pus = sample.get("pus")
        if not pus or any(pus.get(p, ["", ""])[0] != "ACTIVE" for p in PUS):
            return None
        owners = {pus[p][1] for p in PUS}
        if len(owners) != 1:
            return None
        owner = owners.pop()
        return owner if self.macs.get(owner) == sample["arp"].get(SNA_IP) else None

    def ip_owner(self, sample, ip):
        mac = sample["arp"].get(ip)
        return next((n for n, m in self.macs.items() if m == mac), None) if mac else None

    def owner(self, kind, sample):
        return self.sna_owner(sample) if kind == "sna" else self.ip_owner(sample, BARE_IP)

    def current_holder(self, kind):
        s = self.probe.wait(lambda s: self.owner(kind, s) is not None, time.monotonic() - 0.2, 120,
                            f"the {kind} service up before the run")
        return self.owner(kind, s)

    # ------------------------------------------------------------------ analysis
    def analyze(self, kind, t0, old, new, t_end):
        samples = self.probe.since(t0 - 3.0)
        samples = [s for s in samples if s["t"] <= t_end]
        # A sample whose snahost query got no answer says nothing about the service: skip it
        # (counting it as down once turned an 8.7 s switch into "23.6 s" on a loaded machine).
        unanswered = sum(1 for s in samples if kind == "sna" and s.get("pus") is None)
        samples = [s for s in samples if kind != "sna" or s.get("pus") is not None]
        ip = SNA_IP if kind == "sna" else BARE_IP
        result = {"ok": False}
        before = [s for s in samples if s["t"] < t0]
        if not before or self.owner(kind, before[-1]) != old:
            result["reason"] = f"service not up on {old} just before the event"
            return result
        after = [s for s in samples if s["t"] >= t0]
        idx_down = next((i for i, s in enumerate(after) if self.owner(kind, s) != old), None)
        if idx_down is None:
            result["reason"] = f"service never left {old}"
            return result
        last_up = after[idx_down - 1]["t"] if idx_down > 0 else before[-1]["t"]
        back = next((s for s in after[idx_down:] if self.owner(kind, s) == new), None)
        if back is None:
            result["reason"] = f"service never came up on {new}"
            return result
        flaps = sum(1 for s in after if s["t"] > back["t"] and self.owner(kind, s) != new)
        # IP gap: last sample the old node answered ARP -> first sample the new node answered.
        ip_old = [s["t"] for s in samples if self.ip_owner(s, ip) == old]
        ip_new = [s["t"] for s in after if self.ip_owner(s, ip) == new]
        window = [s["t"] for s in samples if last_up - 0.2 <= s["t"] <= back["t"] + 0.2]
        gaps = [b - a for a, b in zip(window, window[1:], strict=False)]
        first_new = min(ip_new) if ip_new else None
        last_old = max((t for t in ip_old if first_new is not None and t < first_new), default=None)
        result.update(
            ok=True,
            downtime_s=round(back["t"] - last_up, 3),
            last_up_after_event_s=round(last_up - t0, 3),
            back_after_event_s=round(back["t"] - t0, 3),
            ip_gap_s=round(first_new - last_old, 3) if last_old is not None else None,
            ip_back_after_event_s=round(first_new - t0, 3) if first_new is not None else None,
            flaps_after=flaps,
            probe_unanswered=unanswered,
            probe_max_interval_s=round(max(gaps), 3) if gaps else None,
        )
        return result

    def timeline(self, kind, t0, t_end):
        """A compact per-sample record of a run, for the timeline plot."""
        rows, last = [], None
        samples = [s for s in self.probe.since(t0 - 1.0) if s["t"] <= t_end]
        for i, s in enumerate(samples):
            pus = s.get("pus") or {}
            row = {
                "t": round(s["t"] - t0, 3),
                "pus": {p: (pus.get(p) or ["NO_ANSWER", ""]) for p in PUS},
                "ip_owner": self.ip_owner(s, SNA_IP if kind == "sna" else BARE_IP),
                "up_on": self.owner(kind, s),
            }
            key = (row["pus"], row["ip_owner"])
            if key != last or i == len(samples) - 1:
                rows.append(row)
                last = key
        return rows

    def journal(self, host, rt0):
        out = self.lab.exec(host, "journalctl", "-o", "short-unix", "--no-pager", "--since", f"@{int(rt0) - 1}",
                            check=False).stdout
        for line in out.splitlines():
            try:
                ts = float(line.split(" ", 1)[0])
            except ValueError:
                continue
            if ts >= rt0:
                yield round(ts - rt0, 3), line

    def journal_phases(self, host, rt0, kind):
        phases = {}
        for rel, line in self.journal(host, rt0):
            for name, pattern in PHASES:
                if name in phases:
                    continue
                m = pattern.search(line)
                if not m:
                    continue
                if name in ("ip_started", "last_started") and (m.group(1).startswith("fc.") != (kind == "sna")):
                    continue
                phases[name] = rel
        return phases

    def high_load(self, hosts, rt0):
        """Pacemaker's own load notices during the run: above load-threshold (80 % of the cores by
        default) the controller throttles, running fewer operations at once."""
        return sum(1 for h in hosts for _, line in self.journal(h, rt0) if HIGH_LOAD.search(line))

    def journal_ops(self, hosts, rt0, kind):
        """Each start/stop the agents ran on these hosts after rt0: [op, resource, host, begin, end] (s)."""
        prefix = "fc.sna." if kind == "sna" else "bare."
        ops = []
        for host in hosts:
            begun = {}
            for rel, line in self.journal(host, rt0):
                m = OP_LINE.search(line)
                if not m or not m.group(3).startswith(prefix):
                    continue
                key = (m.group(2), m.group(3))
                if m.group(1) == "Requesting local execution of":
                    begun[key] = rel
                elif key in begun:
                    ops.append([m.group(2), m.group(3), host, begun.pop(key), rel])
        return sorted(ops, key=lambda o: o[3])

    # ------------------------------------------------------------------ scenarios
    def record(self, scenario, method, kind, t0, old, new, t_end, extra):
        res = self.analyze(kind, t0, old, new, t_end)
        res.update(scenario=scenario, method=method, kind=kind, source=old, target=new,
                   loadavg_1m=round(os.getloadavg()[0], 2), **extra)
        res["timeline"] = self.timeline(kind, t0, t_end)
        self.runs.append(res)
        shown = f"{res['downtime_s']:.3f} s" if res.get("ok") else f"FAILED ({res.get('reason')})"
        dc = " (the DC crashed)" if res.get("crashed_dc") else ""
        print(f"  {scenario:<24} {method:<11} {old}->{new}  downtime {shown}  load {res['loadavg_1m']}{dc}", flush=True)
        return res

    def verify_moved(self, kind, new, extra):
        rsc = SNA_RSC if kind == "sna" else BARE_RSC
        placed = self.placement(new, rsc)
        wrong = {r: n for r, n in placed.items() if n != [new]}
        if wrong or not placed:
            extra["verify"] = f"not all Started on {new} in crm_mon: {wrong or 'no members'}"
            return False
        if kind == "sna":
            s = self.probe.last()
            owners = {(s["pus"] or {}).get(p, ["", ""])[1] for p in PUS}
            if owners != {new}:
                extra["verify"] = f"PUs owned by {owners}, not {new}"
                return False
        return True

    def planned(self, runs, via):
        self.set_role(BARE_RSC, "Started")
        self.settle("node1")
        # Alternate the order in each cycle, so that each method moves the package both ways.
        order = [m for cycle in range(runs)
                 for m in (("collection", "bare") if cycle % 2 == 0 else ("bare", "collection")) + ("bare_group",)]
        for method in order:
            if method == "bare_group":
                self.planned_bare_group()
                continue
            old = self.current_holder("sna")
            new = next(n for n in NODES if n != old)
            self.settle(new)
            time.sleep(1.0)
            extra = {}
            rt0, t0 = time.time(), time.monotonic()
            try:
                if method == "bare":
                    self.lab.exec(new, "sh", "-c",
                                  f"crm_resource --move --resource {SNA_RSC} --node {new} && "
                                  f"crm_resource --wait --timeout 120s && crm_resource --clear --resource {SNA_RSC}")
                elif via == "runbook":
                    extra["playbook_s"], extra["changed"] = self.playbook(
                        "playbooks/planned_failover.yml", *self.runbook_vars(new))
                    extra["runbook_phases"] = self.runbook_phases()
                else:
                    out = self.module(new, "failover.cluster.package_state",
                                      {"name": "sna", "state": "moved", "node": new, "timeout": 120})
                    extra["module_elapsed_s"] = out.get("elapsed")
            except BenchError as exc:
                extra["verify"] = f"the switch command failed: {str(exc)[-600:]}"
            extra["command_s"] = round(time.monotonic() - t0, 3)
            if "verify" not in extra:
                try:
                    self.probe.wait(lambda s, n=new: self.owner("sna", s) == n, t0, 60, f"SNA up on {new}")
                except BenchError as exc:
                    extra["verify"] = str(exc)
            time.sleep(1.0)
            moved = "verify" not in extra and self.verify_moved("sna", new, extra)
            extra["ops"] = self.journal_ops([old, new], rt0, "sna")
            extra["high_load_notices"] = self.high_load([old, new], rt0)
            res = self.record("planned", method, "sna", t0, old, new, time.monotonic(), extra)
            if not moved:
                res.update(ok=False, reason=extra.get("verify"))

    def planned_bare_group(self):
        """crm_resource --move of the bare IPaddr2 + 4 Dummy group: the engine's own move cost."""
        old = self.current_holder("bare")
        new = next(n for n in NODES if n != old)
        self.settle(new)
        time.sleep(1.0)
        extra = {}
        rt0, t0 = time.time(), time.monotonic()
        self.lab.exec(new, "sh", "-c", f"crm_resource --move --resource {BARE_RSC} --node {new} && "
                      f"crm_resource --wait --timeout 120s && crm_resource --clear --resource {BARE_RSC}")
        extra["command_s"] = round(time.monotonic() - t0, 3)
        try:
            self.probe.wait(lambda s, n=new: self.owner("bare", s) == n, t0, 60, f"bare group up on {new}")
        except BenchError as exc:
            extra["verify"] = str(exc)
        time.sleep(1.0)
        moved = "verify" not in extra and self.verify_moved("bare", new, extra)
        extra["ops"] = self.journal_ops([old, new], rt0, "bare")
        res = self.record("planned", "bare_group", "bare", t0, old, new, time.monotonic(), extra)
        if not moved:
            res.update(ok=False, reason=extra.get("verify"))

    def runbook_phases(self):
        """The newest runbook report's phases (preflight, switch, verification) in seconds."""
        reports = sorted((ROOT / ".cache" / "bench" / "reports").glob("*.json"), key=lambda p: p.stat().st_mtime)
        if not reports:
            return {}
        phases = json.loads(reports[-1].read_text()).get("phases") or []
        names = {"preflight": "preflight", "verification": "verification"}
        return {names.get(ph["name"], "switch"): float(ph["seconds"]) for ph in phases}

    def runbook_vars(self, node):
        out = []
        for word in self.args.runbook_vars.split():
            out += ["-e", word.format(package="sna", node=node, report_dir=ROOT / ".cache" / "bench" / "reports")]
        return out

    def crash(self, profile, kind, runs):
        other_rsc, rsc = (BARE_RSC, SNA_RSC) if kind == "sna" else (SNA_RSC, BARE_RSC)
        self.set_role(other_rsc, "Stopped")
        self.set_role(rsc, "Started")
        self.settle("node1")
        for _ in range(runs):
            old = self.crash_victim(kind)
            new = next(n for n in NODES if n != old)
            self.wait_online(new, NODES)
            self.settle(new)
            time.sleep(1.5)
            # losing the DC adds an election and a join before the survivor schedules anything
            extra = {"profile": profile, "crashed_dc": self.dc(new) == old}
            rt0, t0 = time.time(), time.monotonic()
            self.lab.run("crash", old)
            try:
                self.probe.wait(lambda s, n=new: self.owner(kind, s) == n, t0, 120, f"{kind} up on {new}")
            except BenchError as exc:
                extra["verify"] = str(exc)
            time.sleep(1.0)
            moved = "verify" not in extra and self.verify_moved(kind, new, extra)
            t_end = time.monotonic()
            extra["phases"] = self.journal_phases(new, rt0, kind)
            extra["ops"] = self.journal_ops([new], rt0, kind)
            extra["high_load_notices"] = self.high_load([new], rt0)
            res = self.record(f"crash/{profile}", kind, kind, t0, old, new, t_end, extra)
            if not moved:
                res.update(ok=False, reason=extra.get("verify"))
            self.lab.run("start", old)
            self.wait_online(new, NODES)
            self.settle(new)
        self.set_role(rsc, "Stopped")
        self.set_role(SNA_RSC, "Started")
        self.settle("node1")

    def set_profile(self, profile):
        elapsed, changed = self.playbook("playbooks/provision.yml", "-e", f"cluster_timing_profile={profile}")
        self.wait_online("node1", NODES)
        self.settle("node1")
        token = self.lab.exec("node1", "corosync-cmapctl", "-g", "totem.token").stdout.strip()
        qd = self.lab.exec("node1", "corosync-cmapctl", "-g", "quorum.device.timeout", check=False).stdout.strip()
        self.setup[f"profile_{profile}"] = {"provision_s": round(elapsed, 1), "changed": changed,
                                            "totem.token": token, "quorum.device.timeout": qd or "(default)"}
        print(f"timing profile {profile}: {token}; {qd or 'quorum.device.timeout default'}", flush=True)

    # ------------------------------------------------------------------ main flow
    def run(self):
        a = self.args
        t = time.monotonic()
        if not a.reuse_lab:
            self.lab.run("up", "--replace", "--spec", str(ROOT / "lab" / "specs" / "demo.yml"))
        Path(self.inventory).parent.mkdir(parents=True, exist_ok=True)
        self.lab.run("inventory", "-o", self.inventory)
        if not a.reuse_lab:
            self.setup["provision_s"] = round(self.playbook("playbooks/provision.yml")[0], 1)
            extra = [arg for var in a.sna_var for arg in ("-e", var)]
            self.setup["sna_gateway_s"] = round(self.playbook("playbooks/sna_gateway.yml", *extra)[0], 1)
            self.setup["sna_vars"] = a.sna_var
        if BARE_RSC not in self.lab.exec("node1", "cibadmin", "--query", "--scope", "resources").stdout:
            self.lab.exec("node1", "cibadmin", "--create", "--scope", "resources", "--xml-text", BARE_GROUP)
        self.settle("node1")
        self.setup["lab_ready_s"] = round(time.monotonic() - t, 1)
        for node in NODES:
            self.macs[node] = self.lab.exec(node, "cat", "/sys/class/net/eth0/address").stdout.strip()
        self.probe = Probe(self.lab)
        print(f"lab ready in {self.setup['lab_ready_s']} s; probe running on the mainframe every "
              f"{int(PERIOD * 1000)} ms", flush=True)
        scenarios = a.scenarios.split(",")
        if "planned" in scenarios:
            via = a.planned_via
            if via == "auto":
                via = "runbook" if (ROOT / "playbooks" / "planned_failover.yml").exists() else "module"
            self.setup["planned_via"] = via
            how = "playbooks/planned_failover.yml" if via == "runbook" else "module failover.cluster.package_state"
            print(f"planned switchover through the collection: {how}", flush=True)
            self.planned(a.runs, via)
            self.set_role(BARE_RSC, "Stopped")
            self.settle("node1")
        current = "low_latency"
        for profile in ("low_latency", "default"):
            if f"crash_{profile}" not in scenarios:
                continue
            if profile != current:
                self.set_profile(profile)
                current = profile
            else:
                self.setup.setdefault(f"profile_{profile}", {
                    "totem.token": self.lab.exec("node1", "corosync-cmapctl", "-g", "totem.token").stdout.strip()})
            for kind in ("sna", "bare"):
                self.crash(profile, kind, a.runs)


def summarize(runs):
    groups = {}
    for r in runs:
        key = (r["scenario"], r["method"])
        groups.setdefault(key, {"ok": [], "failed": 0, "ip_gap": [], "load": []})
        g = groups[key]
        if r.get("ok"):
            g["ok"].append(r["downtime_s"])
            if r.get("ip_gap_s") is not None:
                g["ip_gap"].append(r["ip_gap_s"])
        else:
            g["failed"] += 1
        g["load"].append(r["loadavg_1m"])
    summary = []
    for (scenario, method), g in groups.items():
        row = {"scenario": scenario, "method": method, "runs_ok": len(g["ok"]), "runs_failed": g["failed"],
               "load_1m_min": min(g["load"]), "load_1m_max": max(g["load"])}
        if g["ok"]:
            row.update(median_s=round(statistics.median(g["ok"]), 3), min_s=min(g["ok"]), max_s=max(g["ok"]))
        if g["ip_gap"]:
            row["ip_gap_median_s"] = round(statistics.median(g["ip_gap"]), 3)
        phases = {}
        for r in runs:
            if r["scenario"] == scenario and r["method"] == method and r.get("ok"):
                for k, v in (r.get("phases") or {}).items():
                    phases.setdefault(k, []).append(v)
        if phases:
            row["phases_median_s"] = {k: round(statistics.median(v), 3) for k, v in phases.items()}
        parts = {}
        for r in runs:
            if r["scenario"] == scenario and r["method"] == method and r.get("ok") and r.get("ops"):
                for k, v in breakdown(r).items():
                    parts.setdefault(k, []).append(v)
        if parts:
            row["breakdown_median_s"] = {k: round(statistics.median(v), 3) for k, v in parts.items()}
        wall = [(r["playbook_s"], r["runbook_phases"]) for r in runs if r["scenario"] == scenario
                and r["method"] == method and r.get("ok") and r.get("runbook_phases")]
        if wall:
            row["runbook_median_s"] = {
                "wall": round(statistics.median(w for w, _ in wall), 3),
                **{k: round(statistics.median(ph.get(k, 0.0) for _, ph in wall), 3)
                   for k in ("preflight", "switch", "verification")}}
        summary.append(row)
    return summary


def breakdown(run):
    """Where a run's downtime went, from the agents' operations in the journals (seconds)."""
    ops = run["ops"]
    stops = sum(end - begin for op, _, _, begin, end in ops if op == "stop")
    starts = sum(end - begin for op, _, _, begin, end in ops if op == "start")
    first, last = min(o[3] for o in ops), max(o[4] for o in ops)
    out = {"stop_agents": stops, "start_agents": starts, "between_ops": (last - first) - stops - starts}
    phases = run.get("phases") or {}
    if "membership" in phases:  # a crash: before the first operation the cluster had to notice
        out["detect_membership"] = phases["membership"]
        if "quorate" in phases:
            out["quorum_sync"] = phases["quorate"] - phases["membership"]
            out["engine_reaction"] = first - phases["quorate"]
    out["probe_after_last_op"] = run["back_after_event_s"] - last
    return {k: round(v, 3) for k, v in out.items()}


def targets(summary):
    by = {(r["scenario"], r["method"]): r for r in summary}
    out = {}
    pc, pb = by.get(("planned", "collection")), by.get(("planned", "bare"))
    if pc and pb and "median_s" in pc and "median_s" in pb:
        ratio = pc["median_s"] / pb["median_s"] if pb["median_s"] else float("inf")
        out["planned_ratio_to_bare"] = {"value": round(ratio, 2), "target": "<= 1.2", "met": ratio <= 1.2}
    if pc and "runbook_median_s" in pc:
        extra = pc["runbook_median_s"]["wall"] - pc["runbook_median_s"]["switch"]
        out["runbook_wall_minus_switch_s"] = {"value": round(extra, 2), "target": "<= 5.0", "met": extra <= 5.0}
    tuned = by.get(("crash/low_latency", "sna"))
    if tuned and "median_s" in tuned:
        out["unplanned_low_latency_median_s"] = {"value": tuned["median_s"], "target": "<= 4.0",
                                                 "met": tuned["median_s"] <= 4.0}
        out["unplanned_low_latency_max_s"] = {"value": tuned["max_s"], "target": "<= 4.0", "met": tuned["max_s"] <= 4.0}
    return out


def print_table(summary, goal):
    print()
    print(f"{'scenario':<20}{'method':<12}{'runs':>6}{'median':>9}{'min':>8}{'max':>8}{'IP gap':>9}  load 1m")
    for r in summary:
        runs = f"{r['runs_ok']}" + (f"+{r['runs_failed']}F" if r["runs_failed"] else "")
        if "median_s" in r:
            figs = f"{r['median_s']:>8.2f}s{r['min_s']:>7.2f}s{r['max_s']:>7.2f}s"
        else:
            figs = f"{'-':>9}{'-':>8}{'-':>8}"
        gap = f"{r['ip_gap_median_s']:>8.2f}s" if "ip_gap_median_s" in r else f"{'-':>9}"
        load = f"{r['load_1m_min']:.1f}-{r['load_1m_max']:.1f}"
        print(f"{r['scenario']:<20}{r['method']:<12}{runs:>6}{figs}{gap}  {load}")
    phased = [r for r in summary if "phases_median_s" in r]
    if phased:
        print("\ncrash phases on the survivor (median s after the crash): "
              "membership = new corosync ring, quorate = votequorum sync done (qdevice vote), "
              "peer_lost = Pacemaker sees the node lost")
        names = [name for name, _ in PHASES]
        print(f"{'scenario':<20}{'method':<8}" + "".join(f"{n:>13}" for n in names))
        for r in phased:
            p = r["phases_median_s"]
            print(f"{r['scenario']:<20}{r['method']:<8}" + "".join(
                f"{p[n]:>12.2f}s" if n in p else f"{'-':>13}" for n in names))
    parts = [r for r in summary if "breakdown_median_s" in r]
    if parts:
        names = {"detect_membership": "detect", "quorum_sync": "quorum", "engine_reaction": "react",
                 "stop_agents": "stops", "start_agents": "starts", "between_ops": "between",
                 "probe_after_last_op": "probe-op"}
        print("\nwhere the time goes (median s, from the journals): detect = crash -> new corosync membership; "
              "quorum = -> votequorum\nsync done; react = -> first start; stops/starts = the agents' operations "
              "added up; between = the engine's\ntime between operations; probe-op = the remote host sees the "
              "service up, minus the last operation's end\n(negative: up before the agent returned)")
        print(f"{'scenario':<20}{'method':<12}" + "".join(f"{n:>10}" for n in names.values()))
        for r in parts:
            b = r["breakdown_median_s"]
            print(f"{r['scenario']:<20}{r['method']:<12}" + "".join(
                f"{b[n]:>9.2f}s" if n in b else f"{'-':>10}" for n in names))
    walled = [r for r in summary if "runbook_median_s" in r]
    if walled:
        print("\nthe runbook around the switch (median s): wall = ansible-playbook from start to end; the phases "
              "from its report")
        print(f"{'scenario':<20}{'method':<12}{'wall':>9}{'switch':>9}{'preflight':>11}{'verify':>9}{'wall-switch':>13}")
        for r in walled:
            w = r["runbook_median_s"]
            print(f"{r['scenario']:<20}{r['method']:<12}{w['wall']:>8.2f}s{w['switch']:>8.2f}s{w['preflight']:>10.2f}s"
                  f"{w['verification']:>8.2f}s{w['wall'] - w['switch']:>12.2f}s")
    if goal:
        print()
        for name, t in goal.items():
            print(f"target {name}: {t['value']} (target {t['target']}) -> {'met' if t['met'] else 'MISSED'}")


def machine():
    mem = next((line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                if line.startswith("MemTotal")), "0")
    return {"nproc": os.cpu_count(), "mem_gib": round(int(mem) / 1048576, 1), "kernel": platform.release(),
            "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "loadavg_start": os.getloadavg()}


def plot(results, out_dir):
    import matplotlib  # noqa: PLC0415 - optional, only for --plots

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    groups = {}
    for r in results["runs"]:
        if r.get("ok"):
            groups.setdefault(f"{r['scenario']}\n{r['method']}", []).append(r["downtime_s"])
    paths = []
    if groups:
        fig, ax = plt.subplots(figsize=(9, 4.8), dpi=110)
        labels = list(groups)
        ax.boxplot([groups[k] for k in labels], tick_labels=labels, widths=0.5, showfliers=False)
        for i, k in enumerate(labels, 1):
            ax.scatter([i] * len(groups[k]), groups[k], s=18, zorder=3, alpha=0.7)
            ax.annotate(f"{statistics.median(groups[k]):.2f} s", (i, max(groups[k])), textcoords="offset points",
                        xytext=(0, 6), ha="center", fontsize=8)
        ax.axhline(4.0, color="tab:red", linestyle="--", linewidth=1)
        ax.text(0.55, 4.05, "target: tuned crash <= 4 s", color="tab:red", fontsize=8, va="bottom")
        ax.set_ylabel("downtime seen by the remote host (s)")
        m = results["machine"]
        ax.set_title(f"SNA package downtime per scenario ({m['nproc']} cores, {m['date'][:10]}, "
                     f"{results['runs_per_scenario']} runs each)", fontsize=10)
        ax.tick_params(axis="x", labelsize=8)
        ax.grid(axis="y", alpha=0.3)
        fig.tight_layout()
        path = out_dir / "failover_downtime.png"
        fig.savefig(path)
        plt.close(fig)
        paths.append(path)
    # One timeline of a tuned crash of the SNA package (else any SNA run): PU states over time.
    cands = [r for r in results["runs"] if r.get("ok") and r["kind"] == "sna" and r["scenario"] == "crash/low_latency"]
    cands = cands or [r for r in results["runs"] if r.get("ok") and r["kind"] == "sna"]
    if cands:
        run = sorted(cands, key=lambda r: r["downtime_s"])[len(cands) // 2]
        colours = {"INACTIVE": "tab:grey", "NO_ANSWER": "black"}
        src, dst = run["source"], run["target"]
        node_colour = {src: "tab:blue", dst: "tab:orange"}
        fig, ax = plt.subplots(figsize=(9, 3.8), dpi=110)
        rows = run["timeline"]
        lanes = [*PUS, f"ARP {SNA_IP}", "service up (verdict)"]
        for lane_i, lane in enumerate(lanes):
            for a, b in zip(rows, rows[1:], strict=False):
                hatch = None
                if lane.startswith("ARP"):
                    colour = node_colour.get(a["ip_owner"], "white")
                elif lane.startswith("service"):
                    colour = node_colour.get(a.get("up_on"), "white")
                else:
                    state, owner = a["pus"][lane]
                    colour = colours.get(state, "tab:purple")
                    if state == "ACTIVE":
                        colour = node_colour.get(owner, "tab:purple")
                        if a["ip_owner"] != owner:  # the mainframe still holds it for a node that is gone
                            colour, hatch = "lightsteelblue" if owner == src else "moccasin", "//"
                ax.barh(lane_i, b["t"] - a["t"], left=a["t"], color=colour, height=0.6, edgecolor="none",
                        hatch=hatch)
        ax.set_yticks(range(len(lanes)), lanes)
        ax.axvline(0, color="tab:red", linewidth=1)
        ax.axvline(run["last_up_after_event_s"], color="black", linestyle=":", linewidth=1)
        ax.axvline(run["back_after_event_s"], color="black", linestyle=":", linewidth=1)
        from matplotlib.patches import Patch  # noqa: PLC0415

        ax.legend(handles=[Patch(color="tab:blue", label=f"ACTIVE for / answered by / up on {src}"),
                           Patch(color="tab:orange", label=f"the same for {dst}"),
                           Patch(facecolor="lightsteelblue", hatch="//", label=f"ACTIVE for {src}, which is gone"),
                           Patch(color="tab:grey", label="INACTIVE"),
                           Patch(facecolor="white", edgecolor="grey", label="no answer / down")],
                  fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=3, frameon=False)
        event = "crash" if run["scenario"].startswith("crash") else "move command"
        ax.set_xlabel(f"seconds after the {event} of {run['source']} (red line)")
        ax.set_title(f"{run['scenario']} ({run['method']}), the mainframe's view: downtime "
                     f"{run['downtime_s']:.2f} s (dotted: last up / up again)", fontsize=10)
        fig.tight_layout()
        path = out_dir / "failover_timeline.png"
        fig.savefig(path)
        plt.close(fig)
        paths.append(path)
    return paths


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per scenario and method (default 5)")
    parser.add_argument("--scenarios", default="planned,crash_low_latency,crash_default",
                        help="comma list of planned, crash_low_latency, crash_default")
    parser.add_argument("--planned-via", choices=("auto", "module", "runbook"), default="auto",
                        help="auto: playbooks/planned_failover.yml when it exists, else package_state")
    parser.add_argument("--runbook-vars",
                        default="package={package} target={node} planned_failover_report_dir={report_dir}",
                        help="extra vars for the runbook ({package}, {node}, {report_dir} are filled in)")
    parser.add_argument("--sna-var", action="append", default=[], metavar="NAME=VALUE",
                        help="extra var for playbooks/sna_gateway.yml, e.g. sna_gateway_ip_release_window=0 "
                             "(repeatable)")
    parser.add_argument("--json", help="write the figures (and every run's timeline) to this file")
    parser.add_argument("--plots", help="write PNG plots into this directory")
    parser.add_argument("--prefix", default="bnfo", help="lab prefix (default bnfo)")
    parser.add_argument("--keep-lab", action="store_true", help="leave the lab up at the end")
    parser.add_argument("--reuse-lab", action="store_true",
                        help="use the running lab of --prefix as it is (no up, no provisioning; for development)")
    parser.add_argument("--from-json", metavar="FILE",
                        help="no lab: print the table (and --plots) of a JSON file an earlier run wrote")
    args = parser.parse_args()
    if args.from_json:
        results = json.loads(Path(args.from_json).read_text())
        results["summary"] = summarize(results["runs"])
        results["targets"] = targets(results["summary"])
        m = results["machine"]
        print(f"{results['command']}\n{m['date']}: {m['nproc']} cores, {m['mem_gib']} GiB, kernel {m['kernel']}, "
              f"load average at start {' '.join(f'{x:.2f}' for x in m['loadavg_start'])}")
        print_table(results["summary"], results["targets"])
        for path in plot(results, args.plots) if args.plots else []:
            print(f"plot: {path}")
        return 0
    bench = Bench(args)
    results = {"machine": machine(), "runs_per_scenario": args.runs,
               "command": " ".join([Path(sys.executable).name, *sys.argv])}
    error = None
    try:
        bench.run()
    except (BenchError, subprocess.SubprocessError) as exc:
        error = str(exc)
        print(f"bench_failover: stopped early: {error}", file=sys.stderr)
    finally:
        if bench.probe:
            bench.probe.stop()
        if not args.keep_lab:
            bench.lab.run("down", check=False)
    results.update(setup=bench.setup, error=error, runs=bench.runs, loadavg_end=os.getloadavg())
    if args.json:  # the raw runs first: a bug in the summary must not lose them
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(results, indent=1) + "\n")
    results["summary"] = summarize(bench.runs)
    results["targets"] = targets(results["summary"])
    print_table(results["summary"], results["targets"])
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(results, indent=1) + "\n")
    if args.plots and bench.runs:
        for path in plot(results, args.plots):
            print(f"plot: {path}")
    return 1 if error or not bench.runs else 0


if __name__ == "__main__":
    sys.exit(main())
