#!/usr/bin/env python3
"""Memory (PSS) of the cluster daemons per node, on a fresh lab running the SNA gateway package.

Brings up its own namespace lab (lab/specs/demo.yml, prefix ``bnmem``), provisions the cluster
(playbooks/provision.yml: Corosync, Pacemaker, corosync-qdevice on node1/node2,
corosync-qnetd on qs) and the SNA gateway package (playbooks/sna_gateway.yml), waits until the
cluster has settled, then reads ``Pss`` from ``/proc/<pid>/smaps_rollup`` inside every lab host
(each host has its own PID namespace and /proc): corosync, pacemakerd and its six daemons,
corosync-qdevice, corosync-qnetd, sbd when present, the SNA control daemon (snapd, on the node
running the package) and snahost (the emulated mainframe). Each host's total (every process in
it, systemd and sshd included) is printed too. Several samples (--samples, 1 s apart) are taken
and the median is reported.

PSS counts each shared page divided by the number of processes mapping it, so the per-daemon
figures add up to a host's real footprint. The kernel counts those processes machine-wide, and
the lab hosts share the machine's /usr (overlayfs lower layer, one page cache): the libraries of
node1's and node2's daemons are shared between the two hosts, so each host's PSS is somewhat
below what the same daemons use on a server of their own (the private, anonymous memory - most
of it - is unaffected).

The other figures of issue 8 are separate scripts:
  * converge time for 1, 50, 200 packages against one CLI call per resource:
    benchmarks/bench_cib_apply.py
  * idempotent rerun of the provisioning playbook: benchmarks/bench_provision.py

Run as root from the checkout (after scripts/setup):
  .venv/bin/python benchmarks/bench_memory.py [--json out.json] [--samples 5]
The lab is torn down at the end, whatever happens.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LABCTL = [sys.executable, str(ROOT / "lab" / "labctl")]
VENV_BIN = Path(sys.executable).parent
HOSTS = ("node1", "node2", "qs", "mainframe")
DAEMONS = (
    "corosync", "corosync-qdevice", "corosync-qnetd", "pacemakerd", "pacemaker-based", "pacemaker-fenced",
    "pacemaker-execd", "pacemaker-attrd", "pacemaker-schedulerd", "pacemaker-controld", "sbd", "snapd", "snahost",
)

# Runs inside a host: {name: pss_kib} for the daemons, and the host's total. Standard library only.
READER = r"""
import json, os
DAEMONS = %r
def pss(pid):
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None
def pidfile(path):
    try:
        return int(open(path).read().split()[0])
    except (OSError, ValueError, IndexError):
        return None
snapd = pidfile("/var/lib/snaemu/snapd.pid")
me = {os.getpid(), os.getppid()}  # this reader (and the nsenter'd env) are not counted
out, total, nprocs, every = {}, 0, 0, []
for entry in os.listdir("/proc"):
    if not entry.isdigit() or int(entry) in me:
        continue
    pid = int(entry)
    kib = pss(pid)
    if kib is None:
        continue
    total += kib
    nprocs += 1
    try:
        comm = open(f"/proc/{pid}/comm").read().strip()
        cmd = open(f"/proc/{pid}/cmdline", "rb").read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        continue
    every.append([kib, comm])
    name = None
    if pid == snapd:
        name = "snapd"
    elif "snahost" in cmd and " run" in cmd:
        name = "snahost"
    elif comm in DAEMONS:
        name = comm
    elif comm.startswith("pacemaker-") or comm.startswith("corosync-q"):
        name = next((d for d in DAEMONS if d.startswith(comm)), None)  # comm is cut at 15 characters
    if name:
        out[name] = out.get(name, 0) + kib
every.sort(reverse=True)
print(json.dumps({"daemons": out, "total_kib": total, "processes": nprocs, "top": every[:10]}))
""" % (DAEMONS,)


def lab(prefix, *args, check=True):
    proc = subprocess.run([*LABCTL, "--prefix", prefix, *args], capture_output=True, text=True, check=False)
    if check and proc.returncode != 0:
        raise SystemExit(f"labctl {' '.join(args)} failed: {proc.stderr.strip()[-2000:]}")
    return proc


def playbook(inventory, name):
    env = dict(os.environ, PATH=f"{VENV_BIN}:{os.environ['PATH']}", ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"),
               ANSIBLE_FORCE_COLOR="0")
    proc = subprocess.run(
        [str(VENV_BIN / "ansible-playbook"), "-i", inventory, "-i", str(ROOT / "inventories" / "lab"), name],
        capture_output=True, text=True, env=env, cwd=ROOT, check=False,
    )
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-4000:])
        raise SystemExit(f"{name} failed (rc {proc.returncode})")


def sample(prefix):
    return {host: json.loads(lab(prefix, "exec", host, "--", "python3", "-c", READER).stdout) for host in HOSTS}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", help="write the figures to this file")
    parser.add_argument("--samples", type=int, default=5, help="samples, 1 s apart (median reported)")
    parser.add_argument("--prefix", default="bnmem", help="lab prefix (default bnmem)")
    args = parser.parse_args()
    meminfo = Path("/proc/meminfo").read_text().splitlines()
    mem = next(line.split()[1] for line in meminfo if line.startswith("MemTotal"))
    results = {"machine": {"nproc": os.cpu_count(), "mem_gib": round(int(mem) / 1048576, 1),
                           "kernel": platform.release(), "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
                           "loadavg_start": os.getloadavg()}}
    samples = []
    try:
        lab(args.prefix, "up", "--replace", "--spec", str(ROOT / "lab" / "specs" / "demo.yml"))
        inventory = str(ROOT / ".cache" / f"{args.prefix}-inventory.yml")
        Path(inventory).parent.mkdir(parents=True, exist_ok=True)
        lab(args.prefix, "inventory", "-o", inventory)
        idle = sample(args.prefix)  # fresh hosts: systemd, sshd, Debian's default corosync/qnetd
        playbook(inventory, "playbooks/provision.yml")
        playbook(inventory, "playbooks/sna_gateway.yml")
        lab(args.prefix, "exec", "node1", "--", "crm_resource", "--wait", "--timeout", "180s")
        time.sleep(5)
        for _ in range(args.samples):
            samples.append(sample(args.prefix))
            time.sleep(1)
    finally:
        lab(args.prefix, "down", check=False)
    results["loadavg_end"] = os.getloadavg()
    per_host = {}
    for host in HOSTS:
        names = sorted({n for s in samples for n in s[host]["daemons"]}, key=DAEMONS.index)
        per_host[host] = {
            "daemons_mib": {n: round(statistics.median(s[host]["daemons"].get(n, 0) for s in samples) / 1024, 1)
                            for n in names},
            "total_mib": round(statistics.median(s[host]["total_kib"] for s in samples) / 1024, 1),
            "processes": int(statistics.median(s[host]["processes"] for s in samples)),
            "idle_total_mib": round(idle[host]["total_kib"] / 1024, 1),
            "idle_top_kib": idle[host]["top"],
            "top_kib": samples[-1][host]["top"],
        }
        per_host[host]["cluster_daemons_mib"] = round(sum(per_host[host]["daemons_mib"].values()), 1)
    results["hosts"] = per_host
    results["samples"] = len(samples)
    holder = next((h for h in ("node1", "node2") if "snapd" in per_host[h]["daemons_mib"]), None)
    print(f"PSS in MiB, median of {len(samples)} samples (SNA package running on {holder})")
    print(f"{'daemon':<22}" + "".join(f"{h:>11}" for h in HOSTS))
    for name in DAEMONS:
        if not any(name in per_host[h]["daemons_mib"] for h in HOSTS):
            continue
        cells = "".join(f"{per_host[h]['daemons_mib'][name]:>11.1f}" if name in per_host[h]["daemons_mib"]
                        else f"{'-':>11}" for h in HOSTS)
        print(f"{name:<22}{cells}")
    print(f"{'= these daemons':<22}" + "".join(f"{per_host[h]['cluster_daemons_mib']:>11.1f}" for h in HOSTS))
    print(f"{'host total (all)':<22}" + "".join(f"{per_host[h]['total_mib']:>11.1f}" for h in HOSTS))
    print(f"{'host total, fresh':<22}" + "".join(f"{per_host[h]['idle_total_mib']:>11.1f}" for h in HOSTS))
    print("(fresh = the same host right after labctl up, before provisioning)")
    if not any(name == "sbd" for h in HOSTS for name in per_host[h]["daemons_mib"]):
        print("sbd: not running (this cluster uses a quorum server, no lock LUN)")
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
