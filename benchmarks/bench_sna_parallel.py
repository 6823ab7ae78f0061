#!/usr/bin/env python3
"""The SNA gateway package at 4, 16 and 64 link stations: PU downtime as the remote host sees it,
link stations started one after another (``link_station_start: sequential``) against all at
once (``parallel``, the default), in the same run.

Brings up its own namespace lab (lab/specs/demo.yml: node1, node2, qs, mainframe; prefix
``bnpar``), provisions the cluster (playbooks/provision.yml), gives the emulated mainframe 64
PUs (HAPU1-64, admitted only from the relocatable IP 198.51.100.50) and starts ONE probe on it
(benchmarks/failover_probe.py, every 50 ms: every PU as ``snahost query`` reports it, and a
broadcast ARP request for the relocatable IP and the bare group's IP).

For every link-station count and start mode it declares the package with
playbooks/sna_gateway.yml (HALS1-N to HAPU1-N) and runs ``--runs`` planned failovers through
the runbook (playbooks/planned_failover.yml), alternating the direction. The service is UP in a
sample when all N PUs are ACTIVE, all for the same gateway node, and the relocatable IP answers
ARP with that node's MAC; downtime = last UP sample before the switch to the first UP sample on
the other node (the same verdict as benchmarks/bench_failover.py).

Then crash failovers (``labctl crash`` of the holder, the lab's low_latency timing profile) of
the package at ``--crash-counts`` link stations (parallel) and of a bare-engine group
(IPaddr2 + 4 ocf:pacemaker:Dummy, made with cibadmin) in the same run.

For each run it also keeps the staircase: when each PU became ACTIVE for the new owner, seconds
after the event; and, from the journals, where the package's start went (the IP with its release
window, the SNA node, the port, the link stations, the engine between them; the SNA node agent's
own account of its start). ``--plots DIR`` draws the staircases: the planned failover of the
largest count, sequential against parallel, and the crash failover of each crash count.

The lab's cluster sets ``node-action-limit`` to 16 (unset, Pacemaker runs twice the cores' worth
of actions at once on a node - 4 here) and ``load-threshold`` to 400 %: Pacemaker's throttle reads
/proc/loadavg, which on the lab is the whole machine's, and would otherwise run one action at a
time whenever the lab is busy. The planned runs set the IP's release window to 0 (it applies only
when a node leaves unexpectedly); the crash runs keep the default of 3 s.

Run as root from the checkout (after scripts/setup), under the lab lock on a shared machine:
  flock /tmp/fc-lab.lock .venv/bin/python benchmarks/bench_sna_parallel.py [--counts 4,16,64]
      [--runs 3] [--crash-counts 4,64] [--json out.json] [--plots docs/img] [--process-account]
  .venv/bin/python benchmarks/bench_sna_parallel.py --from-json out.json [--plots DIR]   # no lab
Figures only: nothing is asserted about timing. The lab is torn down at the end, whatever happens.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_failover as bf  # noqa: E402 - the lab, the probe and the verdicts are that benchmark's
import process_account as pacct  # noqa: E402

ROOT = bf.ROOT
MAX_PUS = 64
MODES = ("sequential", "parallel")
# The IP's release window matters only when a node leaves unexpectedly: the planned runs set it to 0,
# the crash runs keep the default of 3 s.
PLANNED_WINDOW = 0
CRASH_WINDOW = 3
# Pacemaker runs at most node-action-limit actions at once on a node (unset: twice the cores, so 4 on
# the lab's 2 cores), and fewer under load: its throttle reads /proc/loadavg, which in the lab is the
# whole machine's (every lab node, the controller and ansible), and at a load above 1.6 per core
# (80 % load-threshold x 2) allows one action at a time - parallel then runs like sequential (the
# first run: 16 link stations 13.9 s parallel, 14.8 s sequential, load 3.7). The lab's cluster
# allows 16 actions and sets load-threshold to 400 %, so that the layouts are compared and not the
# machine's shared load; both modes run on that cluster.
CLUSTER_PROPERTIES = {"node-action-limit": 16, "load-threshold": "400%"}
NODE_START = re.compile(r"SNA node started in ([0-9.]+) s \((.*)\)")  # ocf:failover:sna_node's line
NODE_PART = re.compile(r"([A-Za-z_ ]+?) ([0-9.]+) s")
VARS_DIR = ROOT / ".cache" / "bench" / "sna-parallel"
QUIET_LOAD = 2.0  # the crash runs wait (at most QUIET_WAIT s) for the 1-min load to fall below this
QUIET_WAIT = 180


def cgroup2_root():
    """Where the machine mounts cgroup2 (the lab's hosts are cgroups under failover-lab/<prefix>)."""
    with open("/proc/self/mounts", encoding="utf-8") as mounts:
        for line in mounts:
            words = line.split()
            if len(words) > 2 and words[2] == "cgroup2":
                return Path(words[1])
    return None


def cpu_usage(prefix, hosts):
    """{label: CPU seconds so far} of each lab host: the Pacemaker unit (the daemons and every agent
    and product command they run), Corosync, the user sessions (the runbook's modules and probes,
    labctl exec) and the rest; {} when the cgroups cannot be read."""
    root = cgroup2_root()
    if root is None:
        return {}

    def usage(*parts):
        try:
            with open(root.joinpath("failover-lab", prefix, *parts, "cpu.stat"), encoding="utf-8") as stat:
                return int(stat.readline().split()[1]) / 1e6
        except (OSError, ValueError, IndexError):
            return 0.0

    out = {}
    for host in hosts:
        total = usage(host)
        parts = {"pacemaker": usage(host, "system.slice", "pacemaker.service"),
                 "corosync": usage(host, "system.slice", "corosync.service"),
                 "sessions": usage(host, "user.slice")}
        parts["other"] = max(0.0, total - sum(parts.values()))
        out.update({f"{host} {k}": v for k, v in parts.items()})
    return out


def cores_used(before, after, seconds):
    """{label: cores} between two cpu_usage() readings ``seconds`` apart (labels under 0.02 left out)."""
    if not before or not after or seconds <= 0:
        return {}
    cores = {k: round((after[k] - before.get(k, 0.0)) / seconds, 2) for k in after}
    return {k: v for k, v in cores.items() if v >= 0.02}


def link_stations(count):
    return [{"ls_name": f"HALS{i}", "remote_ip_host": bf.MAINFRAME_IP, "pu_name": f"HAPU{i}",
             "remote_udp_port": 12000} for i in range(1, count + 1)]


def gateway_vars(count, mode, release_window):
    """Extra vars for playbooks/sna_gateway.yml and the runbook: the package with ``count`` link
    stations started ``mode``, the IP's release window, the mainframe's 64 PUs (always all 64,
    so snahost is configured once), and the runbook's probe of the package's PUs."""
    pus = [f"HAPU{i}" for i in range(1, count + 1)]
    return {
        "sna_gateway_link_stations": link_stations(count),
        "sna_gateway_link_station_start": mode,
        "sna_gateway_ip_release_window": release_window,
        "cluster_properties": CLUSTER_PROPERTIES,
        "sna_gateway_emulated_pus": [{"name": f"HAPU{i}", "allowed_addresses": [bf.SNA_IP]}
                                     for i in range(1, MAX_PUS + 1)],
        "planned_failover_probe_pus": pus,
        # the runbook's own probe every 0.5 s, not 50 ms: this script's probe (one process, the PUs over
        # snahost's socket) takes the 50 ms figures; the runbook's runs a `snahost query` process per
        # sample, on a "third host" that here shares the 2 cores with the nodes (0.55 of a core at 50 ms)
        "planned_failover_probe_interval": 0.5,
        "takeover_probe_pus": pus,
    }


class ScaleBench(bf.Bench):
    def __init__(self, args):
        super().__init__(args)
        self.pus = ()
        self.config = {}
        self.vars_file = None

    # ------------------------------------------------------------------ verdicts for N PUs
    def sna_owner(self, sample):
        pus = sample.get("pus")
        if not pus or any(pus.get(p, ["", ""])[0] != "ACTIVE" for p in self.pus):
            return None
        owners = {pus[p][1] for p in self.pus}
        if len(owners) != 1:
            return None
        owner = owners.pop()
        return owner if self.macs.get(owner) == sample["arp"].get(bf.SNA_IP) else None

    def verify_moved(self, kind, new, extra):
        rsc = bf.SNA_RSC if kind == "sna" else bf.BARE_RSC
        started = self.started_on(new, rsc)
        if not started or any(nodes != [new] for nodes in started.values()):
            extra["verify"] = f"not all of {rsc} Started on {new} in crm_mon"
            return False
        if kind == "sna":
            s = self.probe.last()
            owners = {(s["pus"] or {}).get(p, ["", ""])[1] for p in self.pus}
            if owners != {new}:
                extra["verify"] = f"PUs owned by {sorted(owners)}, not {new}"
                return False
        return True

    def started_on(self, host, rsc):
        """{resource id: [nodes where Started]} for every resource of the package (its group and,
        in the parallel layout, the link stations outside it: ids that start with ``rsc.``)."""
        placed = {}
        for res in self.crm_mon(host).iter("resource"):
            rid = res.get("id") or ""
            if rid == rsc or rid.startswith(rsc + "."):
                placed[rid] = [n.get("name") for n in res.iter("node")] if res.get("role") == "Started" else []
        return placed

    def timeline(self, kind, t0, t_end):
        """The staircase instead of every sample (64 PUs x hundreds of samples would be large):
        when each PU was last ACTIVE for the old owner and first ACTIVE for the new one."""
        if kind != "sna":
            return super().timeline(kind, t0, t_end)
        samples = [s for s in self.probe.since(t0 - 1.0) if s["t"] <= t_end and s.get("pus")]
        if not samples:
            return {}
        before = samples[0]["pus"]
        old = {p: (before.get(p) or ["", ""])[1] for p in self.pus}
        first_new, last_old = {}, {}
        for s in samples:
            for p in self.pus:
                state, owner = s["pus"].get(p) or ["", ""]
                if state == "ACTIVE" and owner == old.get(p):
                    last_old[p] = round(s["t"] - t0, 3)
                elif state == "ACTIVE" and owner and p not in first_new and s["t"] >= t0:
                    first_new[p] = round(s["t"] - t0, 3)
        return {"first_active_new": first_new, "last_active_old": last_old}

    def journal_phases(self, host, rt0, kind):
        """bench_failover's crash phases, plus the SNA node agent's own account of its start."""
        phases = super().journal_phases(host, rt0, kind)
        if kind == "sna":
            for _rel, line in self.journal(host, rt0):
                m = NODE_START.search(line)
                if m:
                    self.node_start = {"total": float(m.group(1)),
                                       **{k.strip(", "): float(v) for k, v in NODE_PART.findall(m.group(2))}}
                    break
        return phases

    def record(self, scenario, method, kind, t0, old, new, t_end, extra):
        extra = dict(extra, **({"link_stations": self.config["link_stations"], "mode": self.config["mode"]}
                               if kind == "sna" else {"link_stations": 0, "mode": "bare"}))
        if getattr(self, "node_start", None):
            extra["node_start"], self.node_start = self.node_start, None
        extra["steps"] = steps(extra.get("ops") or [], kind)
        return super().record(scenario, method, kind, t0, old, new, t_end, extra)

    # ------------------------------------------------------------------ configurations
    def configure(self, count, mode, release_window):
        self.pus = tuple(f"HAPU{i}" for i in range(1, count + 1))
        VARS_DIR.mkdir(parents=True, exist_ok=True)
        self.vars_file = VARS_DIR / f"vars-{count}-{mode}.json"
        self.vars_file.write_text(json.dumps(gateway_vars(count, mode, release_window)))
        # A new layout (or count) restarts every link station inside the apply's settle wait (120 s):
        # 64 of them outlasted it once. Halt the package first; the apply keeps it halted (the live
        # target-role is carried over), then start it and wait as long as it takes.
        halted = bool(self.config) and (self.config["mode"], self.config["link_stations"]) != (mode, count)
        if halted:
            self.set_role(bf.SNA_RSC, "Stopped")
            self.settle("node1", timeout=600)
        elapsed, changed = self.playbook("playbooks/sna_gateway.yml", "-e", f"@{self.vars_file}")
        if halted:
            self.set_role(bf.SNA_RSC, "Started")
        self.settle("node1", timeout=600)
        self.config = {"link_stations": count, "mode": mode}
        self.setup.setdefault("configure_s", []).append({"link_stations": count, "mode": mode,
                                                         "seconds": round(elapsed, 1), "changed": changed})
        print(f"package: {count} link stations, {mode}: declared in {elapsed:.1f} s ({changed} changed)", flush=True)

    def runbook_vars(self, node):
        return super().runbook_vars(node) + ["-e", f"@{self.vars_file}"]

    def planned_runs(self, runs):
        for _ in range(runs):
            old = self.current_holder("sna")
            new = next(n for n in bf.NODES if n != old)
            self.settle(new)
            time.sleep(1.0)
            extra = {}
            hosts = (*bf.NODES, "qs", "mainframe")
            cpu0 = cpu_usage(self.args.prefix, hosts)
            rt0, t0 = time.time(), time.monotonic()
            account = pacct.ProcessAccount() if self.args.process_account else contextlib.nullcontext()
            with account:
                try:
                    extra["playbook_s"], extra["changed"] = self.playbook("playbooks/planned_failover.yml",
                                                                          *self.runbook_vars(new))
                    extra["runbook_phases"] = self.runbook_phases()
                except bf.BenchError as exc:
                    extra["verify"] = f"the runbook failed: {str(exc)[-600:]}"
                if "verify" not in extra:
                    try:
                        self.probe.wait(lambda s, n=new: self.owner("sna", s) == n, t0, 120, f"SNA up on {new}")
                    except bf.BenchError as exc:
                        extra["verify"] = str(exc)
                time.sleep(1.0)
            extra["cpu_cores"] = cores_used(cpu0, cpu_usage(self.args.prefix, hosts), time.monotonic() - t0)
            if getattr(account, "result", None):
                extra["cpu_by_command"] = {k: v[0] for k, v in account.result.items() if v[0] >= 0.05}
                extra["processes_by_command"] = {k: v[1] for k, v in account.result.items() if v[0] >= 0.05}
                print(f"  CPU by command, {len(self.pus)} LS {self.config['mode']}, {time.monotonic() - t0:.1f} s: "
                      + ", ".join(f"{c} {sec:.1f} s/{n}" for c, sec, n in pacct.top(account.result)), flush=True)
            moved = "verify" not in extra and self.verify_moved("sna", new, extra)
            extra["ops"] = self.journal_ops([old, new], rt0, "sna")
            res = self.record("planned", f"{len(self.pus)}LS/{self.config['mode']}", "sna", t0, old, new,
                              time.monotonic(), extra)
            if not moved:
                res.update(ok=False, reason=extra.get("verify"))

    def run(self):
        a = self.args
        t = time.monotonic()
        self.lab.run("up", "--replace", "--spec", str(ROOT / "lab" / "specs" / "demo.yml"))
        Path(self.inventory).parent.mkdir(parents=True, exist_ok=True)
        self.lab.run("inventory", "-o", self.inventory)
        VARS_DIR.mkdir(parents=True, exist_ok=True)
        cluster_vars = VARS_DIR / "cluster.json"
        cluster_vars.write_text(json.dumps({"cluster_properties": CLUSTER_PROPERTIES}))
        self.setup["provision_s"] = round(self.playbook("playbooks/provision.yml", "-e", f"@{cluster_vars}")[0], 1)
        self.setup["cluster_properties"] = CLUSTER_PROPERTIES
        counts = [int(c) for c in a.counts.split(",") if c]
        self.configure(counts[0], MODES[0], PLANNED_WINDOW)
        if bf.BARE_RSC not in self.lab.exec("node1", "cibadmin", "--query", "--scope", "resources").stdout:
            self.lab.exec("node1", "cibadmin", "--create", "--scope", "resources", "--xml-text", bf.BARE_GROUP)
        self.settle("node1")
        for node in bf.NODES:
            self.macs[node] = self.lab.exec(node, "cat", "/sys/class/net/eth0/address").stdout.strip()
        self.probe = bf.Probe(self.lab)
        self.setup["lab_ready_s"] = round(time.monotonic() - t, 1)
        print(f"lab ready in {self.setup['lab_ready_s']} s; probe on the mainframe every {int(bf.PERIOD * 1000)} ms",
              flush=True)
        for count in counts:
            for mode in MODES:
                if (count, mode) != (counts[0], MODES[0]):
                    self.configure(count, mode, PLANNED_WINDOW)
                self.planned_runs(a.runs)
        for count in [int(c) for c in a.crash_counts.split(",") if c]:
            self.configure(count, "parallel", CRASH_WINDOW)
            self.wait_quiet()
            self.crash("low_latency", "sna", a.runs)
        if a.crash_counts:
            self.wait_quiet()
            self.crash("low_latency", "bare", a.runs)

    def wait_quiet(self):
        """Let the load of the runs before settle (the machine-wide 1-min average, which the crash
        runs read as their load): the crash figures are compared with each other and the bare group."""
        deadline = time.monotonic() + QUIET_WAIT
        while os.getloadavg()[0] >= QUIET_LOAD and time.monotonic() < deadline:
            time.sleep(5)

    def crash_victim(self, kind):
        """The holder, after moving the service off the DC if it ran there. Losing the DC adds an
        election and a join before the survivor schedules anything, and which node is the DC
        depends on the runs before (the first crash's survivor stays DC): the package and the bare
        group are compared with the same kind of node crashed, one that is not the DC."""
        holder = self.current_holder(kind)
        if self.dc(holder) != holder:
            return holder
        other = next(n for n in bf.NODES if n != holder)
        rsc = bf.SNA_RSC if kind == "sna" else bf.BARE_RSC
        self.lab.exec(other, "crm_resource", "--resource", rsc, "--move", "--node", other)
        self.settle(other, timeout=600)
        self.lab.exec(other, "crm_resource", "--resource", rsc, "--clear")
        self.settle(other, timeout=600)
        self.probe.wait(lambda s: self.owner(kind, s) == other, time.monotonic() - 0.2, 300,
                        f"the {kind} service up on {other} before the crash")
        return other

    def crash(self, profile, kind, runs):
        super().crash(profile, kind, runs)
        for r in self.runs[-runs:]:
            if kind == "sna":
                r["method"] = f"{len(self.pus)}LS/parallel"


def steps(ops, kind):
    """The package's start steps on the new owner from the agents' operations (s after the event):
    the IP (its release window included after a crash), the SNA node, the port, and the link
    stations from the first start to the last one's end."""
    starts = [o for o in ops if o[0] == "start"]
    if not starts or kind != "sna":
        return {}

    def span(match):
        chosen = [o for o in starts if match(o[1])]
        return round(max(o[4] for o in chosen) - min(o[3] for o in chosen), 3) if chosen else None

    out = {"ip": span(lambda r: ".ip" in r), "node": span(lambda r: r.endswith("node")),
           "port": span(lambda r: r.endswith("port")), "link_stations": span(lambda r: ".ls." in r or ".ls_" in r)}
    first, last = min(o[3] for o in starts), max(o[4] for o in starts)
    out["first_start"], out["last_end"] = round(first, 3), round(last, 3)
    out["engine_between"] = round((last - first) - sum(v for k, v in out.items() if k in
                                                       ("ip", "node", "port", "link_stations") and v), 3)
    return out


def summarize(runs):
    groups = {}
    for r in runs:
        g = groups.setdefault((r["scenario"], r["method"]), {"ok": [], "failed": 0, "last_pu": [], "load": []})
        g["load"].append(r["loadavg_1m"])
        if not r.get("ok"):
            g["failed"] += 1
            continue
        g["ok"].append(r["downtime_s"])
        stairs = (r.get("timeline") or {}).get("first_active_new") if isinstance(r.get("timeline"), dict) else None
        if stairs:
            g["last_pu"].append(max(stairs.values()) - min(stairs.values()))
    rows = []
    for (scenario, method), g in groups.items():
        row = {"scenario": scenario, "method": method, "runs_ok": len(g["ok"]), "runs_failed": g["failed"],
               "load_1m_max": max(g["load"])}
        if g["ok"]:
            row.update(median_s=round(statistics.median(g["ok"]), 3), min_s=min(g["ok"]), max_s=max(g["ok"]))
        if g["last_pu"]:
            row["staircase_median_s"] = round(statistics.median(g["last_pu"]), 3)
        for key in ("steps", "node_start", "cpu_cores", "cpu_by_command", "processes_by_command"):
            parts = {}
            for r in runs:
                if r["scenario"] == scenario and r["method"] == method and r.get("ok"):
                    for k, v in (r.get(key) or {}).items():
                        if v is not None:
                            parts.setdefault(k, []).append(v)
            if parts:
                row[key + "_median_s"] = {k: round(statistics.median(v), 3) for k, v in parts.items()}
        rows.append(row)
    return rows


def targets(summary):
    by = {(r["scenario"], r["method"]): r for r in summary if "median_s" in r}
    out = {}
    small, large = by.get(("planned", "4LS/parallel")), by.get(("planned", "64LS/parallel"))
    if small and large:
        ratio = large["median_s"] / small["median_s"]
        out["planned_64_over_4"] = {"value": round(ratio, 2), "target": "<= 2.0", "met": ratio <= 2.0}
    crash4, bare = by.get(("crash/low_latency", "4LS/parallel")), by.get(("crash/low_latency", "bare"))
    if crash4 and bare:
        limit = bare["median_s"] + 3.0 + 0.5
        out["crash_4LS_vs_bare_plus_window"] = {"value": crash4["median_s"],
                                                "target": f"<= {limit:.2f} (bare {bare['median_s']:.2f} + 3 + 0.5)",
                                                "met": crash4["median_s"] <= limit}
    return out


def print_table(summary, goal):
    print()
    print(f"{'scenario':<19}{'package':<16}{'runs':>6}{'median':>9}{'min':>8}{'max':>8}{'staircase':>11}  load")
    for r in summary:
        runs = f"{r['runs_ok']}" + (f"+{r['runs_failed']}F" if r["runs_failed"] else "")
        figs = (f"{r['median_s']:>8.2f}s{r['min_s']:>7.2f}s{r['max_s']:>7.2f}s" if "median_s" in r
                else f"{'-':>9}{'-':>8}{'-':>8}")
        stairs = f"{r['staircase_median_s']:>10.2f}s" if "staircase_median_s" in r else f"{'-':>11}"
        print(f"{r['scenario']:<19}{r['method']:<16}{runs:>6}{figs}{stairs}  {r['load_1m_max']:.1f}")
    print("\nstaircase = first PU ACTIVE for the new owner -> last PU ACTIVE for it (median)")
    names = ("first_start", "ip", "node", "port", "link_stations", "engine_between", "last_end")
    stepped = [r for r in summary if "steps_median_s" in r]
    if stepped:
        print("\nthe package's start on the new owner (median s, from the journals): first_start / last_end = "
              "seconds after the\nevent; ip (with its release window after a crash), node, port = each agent's "
              "start; link_stations = first\nlink-station start to the last one's end; engine_between = the rest "
              "of first_start..last_end")
        print(f"{'scenario':<19}{'package':<16}" + "".join(f"{n:>15}" for n in names))
        for r in stepped:
            st = r["steps_median_s"]
            print(f"{r['scenario']:<19}{r['method']:<16}" + "".join(
                f"{st[n]:>14.2f}s" if n in st else f"{'-':>15}" for n in names))
    started = [r for r in summary if "node_start_median_s" in r]
    if started:
        print("\nthe SNA node's start, as its agent accounts for it (median s)")
        keys = sorted({k for r in started for k in r["node_start_median_s"]} - {"total"}) + ["total"]
        print(f"{'scenario':<19}{'package':<16}" + "".join(f"{k:>15}" for k in keys))
        for r in started:
            ns = r["node_start_median_s"]
            print(f"{r['scenario']:<19}{r['method']:<16}" + "".join(
                f"{ns[k]:>14.2f}s" if k in ns else f"{'-':>15}" for k in keys))
    used = [r for r in summary if "cpu_cores_median_s" in r]
    if used:
        print("\nwhere the lab's cores went during each planned failover, the whole runbook run (median cores =\n"
              "CPU seconds / wall seconds, from each lab host's cgroup: pacemaker = the daemons and every agent and\n"
              "product command they run; sessions = the runbook's modules and probes; the machine has 2)")
        top = {}
        for r in used:
            for k, v in r["cpu_cores_median_s"].items():
                top[k] = max(top.get(k, 0.0), v)
        keys = sorted(top, key=lambda k: -top[k])[:8]
        print(f"{'scenario':<19}{'package':<16}" + "".join(f"{k:>20}" for k in keys))
        for r in used:
            cc = r["cpu_cores_median_s"]
            print(f"{r['scenario']:<19}{r['method']:<16}" + "".join(
                f"{cc[k]:>20.2f}" if k in cc else f"{'-':>20}" for k in keys))
    by_command = [r for r in summary if "cpu_by_command_median_s" in r]
    if by_command:
        print("\nCPU seconds by program during each planned failover (median; --process-account: acct(2) for the\n"
              "processes that ended, /proc for the daemons; every lab host and the controller together)")
        for r in by_command:
            cpu, count = r["cpu_by_command_median_s"], r.get("processes_by_command_median_s", {})
            ranked = sorted(cpu, key=lambda k: -cpu[k])[:12]
            print(f"{r['scenario']:<19}{r['method']:<16}" + ", ".join(
                f"{k} {cpu[k]:.1f} s" + (f" ({count[k]:.0f})" if k in count else "") for k in ranked))
    for name, t in goal.items():
        print(f"target {name}: {t['value']} (target {t['target']}) -> {'met' if t['met'] else 'MISSED'}")


def plot(results, out_dir):
    import matplotlib  # noqa: PLC0415 - optional, only for --plots

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    runs = [r for r in results["runs"] if r.get("ok") and r["kind"] == "sna" and isinstance(r.get("timeline"), dict)]
    if not runs:
        return []
    largest = max(r["link_stations"] for r in runs if r["scenario"] == "planned") if any(
        r["scenario"] == "planned" for r in runs) else 0
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.4), dpi=110, sharey=True)

    def median_run(cands):
        return sorted(cands, key=lambda r: r["downtime_s"])[len(cands) // 2] if cands else None

    def stairs(ax, run, colour, label):
        times = sorted(run["timeline"]["first_active_new"].values())
        ax.step([0.0, *times], range(len(times) + 1), where="post", color=colour,
                label=f"{label}: all up {run['back_after_event_s']:.1f} s after the event")

    # left: the planned failover of the largest package, one after another against all at once
    for mode, colour in (("sequential", "tab:red"), ("parallel", "tab:blue")):
        run = median_run([r for r in runs if r["scenario"] == "planned" and r["link_stations"] == largest
                          and r["mode"] == mode])
        if run:
            stairs(axes[0], run, colour, f"{largest} link stations, {mode}")
    axes[0].set_title("planned failover through the runbook", fontsize=10)
    axes[0].set_xlabel("seconds after the runbook started")
    # right: crash failovers of each crash count (parallel)
    counts = sorted({r["link_stations"] for r in runs if r["scenario"].startswith("crash")})
    for count, colour in zip(counts, ("tab:green", "tab:blue", "tab:purple", "tab:orange"), strict=False):
        run = median_run([r for r in runs if r["scenario"].startswith("crash") and r["link_stations"] == count])
        if run:
            stairs(axes[1], run, colour, f"{count} link stations, parallel")
    axes[1].set_title("crash of the holder (low_latency profile)", fontsize=10)
    axes[1].set_xlabel("seconds after the crash")
    for ax in axes:
        ax.grid(alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8, loc="upper left")
    axes[0].set_ylabel("PUs ACTIVE for the new owner (remote host's view)")
    m = results["machine"]
    fig.suptitle(f"Link stations coming up: one after another vs all at once ({m['nproc']} cores, {m['date'][:10]})",
                 fontsize=10)
    fig.tight_layout()
    path = out_dir / "sna_parallel_staircase.png"
    fig.savefig(path)
    plt.close(fig)
    return [path]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counts", default="4,16,64", help="link-station counts (default 4,16,64; at most 64)")
    parser.add_argument("--crash-counts", default="4,64", help="counts for the crash failovers ('' for none)")
    parser.add_argument("--runs", type=int, default=3, help="runs per scenario (default 3)")
    parser.add_argument("--runbook-vars",
                        default="package={package} target={node} planned_failover_report_dir={report_dir}")
    parser.add_argument("--json", help="write the figures (and every run's staircase) to this file")
    parser.add_argument("--plots", help="write the staircase plot into this directory")
    parser.add_argument("--prefix", default="bnpar", help="lab prefix (default bnpar)")
    parser.add_argument("--keep-lab", action="store_true", help="leave the lab up at the end")
    parser.add_argument("--process-account", action="store_true",
                        help="also account CPU by program during each planned failover (acct(2): needs accton, "
                             "Debian's acct package)")
    parser.add_argument("--from-json", metavar="FILE", help="no lab: reprint (and --plots) an earlier run")
    args = parser.parse_args()
    args.reuse_lab = False
    if args.from_json:
        results = json.loads(Path(args.from_json).read_text())
    else:
        if args.process_account and not pacct.ProcessAccount.available():
            parser.error("--process-account: needs root and accton (apt-get install acct)")
        if any(int(c) > MAX_PUS for c in args.counts.split(",") + args.crash_counts.split(",") if c):
            parser.error(f"--counts, --crash-counts: at most {MAX_PUS} link stations (the mainframe's PUs)")
        bench = ScaleBench(args)
        results = {"machine": bf.machine(), "runs_per_scenario": args.runs,
                   "command": " ".join([Path(sys.executable).name, *sys.argv])}
        error = None
        try:
            bench.run()
        except (bf.BenchError, subprocess.SubprocessError) as exc:
            error = str(exc)
            print(f"bench_sna_parallel: stopped early: {error}", file=sys.stderr)
        finally:
            if bench.probe:
                bench.probe.stop()
            if not args.keep_lab:
                bench.lab.run("down", check=False)
        results.update(setup=bench.setup, error=error, runs=bench.runs, loadavg_end=os.getloadavg())
    results["summary"] = summarize(results["runs"])
    results["targets"] = targets(results["summary"])
    m = results["machine"]
    print(f"{results['command']}\n{m['date']}: {m['nproc']} cores, load at start "
          f"{' '.join(f'{x:.2f}' for x in m['loadavg_start'])}")
    print_table(results["summary"], results["targets"])
    if args.json and not args.from_json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(results, indent=1) + "\n")
    if args.plots:
        for path in plot(results, args.plots):
            print(f"plot: {path}")
    return 1 if results.get("error") or not results["runs"] else 0


if __name__ == "__main__":
    sys.exit(main())
