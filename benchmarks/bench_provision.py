#!/usr/bin/env python3
"""Provisioning figures on a fresh namespace lab (2 nodes + quorum server).

Prints, and writes as JSON with --json:
  - cold provisioning time of playbooks/provision.yml, and its changed-task count;
  - idempotent rerun time and changed-task count (target: 0);
  - from starting the daemons on both nodes to a quorate cluster, and to an elected DC.

Run as root from the checkout (after scripts/setup):
  .venv/bin/python benchmarks/bench_provision.py [--json out.json] [--runs 3]
The lab it brings up (prefix bench-prov, or --prefix) is torn down at the end, whatever happens.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LABCTL = [sys.executable, str(ROOT / "lab" / "labctl")]
VENV_BIN = Path(sys.executable).parent
PREFIX = "bench-prov"
RECAP = re.compile(r"^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)


def lab(*args, check=True):
    return subprocess.run([*LABCTL, "--prefix", PREFIX, *args], capture_output=True, text=True, check=check)


def playbook(inventory, name):
    env = dict(
        os.environ,
        PATH=f"{VENV_BIN}:{os.environ['PATH']}",
        ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"),
        ANSIBLE_FORCE_COLOR="0",
    )
    start = time.monotonic()
    proc = subprocess.run(
        [str(VENV_BIN / "ansible-playbook"), "-i", inventory, "-i", str(ROOT / "inventories" / "lab"), name],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        check=False,
    )
    elapsed = time.monotonic() - start
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-4000:])
        raise SystemExit(f"{name} failed (rc {proc.returncode})")
    changed = sum(int(m.group(3)) for m in RECAP.finditer(proc.stdout))
    return elapsed, changed


def poll(host, argv, pattern, timeout=120):
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        out = lab("exec", host, "--", *argv, check=False).stdout
        if re.search(pattern, out):
            return time.monotonic() - start
        time.sleep(0.1)
    raise SystemExit(f"timed out waiting for {pattern!r} from {' '.join(argv)} on {host}")


def start_to_quorate_and_dc():
    """Stop the stack on both nodes, start it on both at once, time quorum and DC."""
    for host in ("node1", "node2"):
        lab("exec", host, "--", "systemctl", "stop", "pacemaker", "corosync-qdevice", "corosync")
    procs = [
        subprocess.Popen(
            [*LABCTL, "--prefix", PREFIX, "exec", host, "--", "systemctl", "start", "--no-block",
             "corosync", "corosync-qdevice", "pacemaker"]
        )
        for host in ("node1", "node2")
    ]
    start = time.monotonic()
    for proc in procs:
        proc.wait()
    poll("node1", ["corosync-quorumtool", "-s"], r"Quorate:\s+Yes")
    quorate = time.monotonic() - start
    poll("node1", ["crm_mon", "--one-shot", "--output-as=xml"], r'current_dc present="true"[^>]*with_quorum="true"')
    dc = time.monotonic() - start
    return quorate, dc


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", help="write the figures to this file")
    parser.add_argument("--runs", type=int, default=3, help="start-to-quorate repetitions")
    parser.add_argument("--prefix", default="bench-prov", help="lab prefix (default bench-prov)")
    args = parser.parse_args()
    global PREFIX  # noqa: PLW0603 - lab() reads it
    PREFIX = args.prefix
    results = {}
    try:
        lab("up", "--replace", "--spec", str(ROOT / "lab" / "specs" / "demo.yml"))
        inventory = str(ROOT / ".cache" / f"{PREFIX}-inventory.yml")
        Path(inventory).parent.mkdir(parents=True, exist_ok=True)
        lab("inventory", "-o", inventory)
        results["cold_provision_s"], results["cold_changed"] = playbook(inventory, "playbooks/provision.yml")
        results["rerun_s"], results["rerun_changed"] = playbook(inventory, "playbooks/provision.yml")
        starts = [start_to_quorate_and_dc() for _ in range(args.runs)]
        results["start_to_quorate_s"] = sorted(q for q, _ in starts)
        results["start_to_dc_s"] = sorted(d for _, d in starts)
    finally:
        lab("down", check=False)
    print(f"{'figure':<38}{'value':>12}")
    print(f"{'cold provisioning (2 nodes + qnetd)':<38}{results['cold_provision_s']:>11.1f}s")
    print(f"{'  changed tasks':<38}{results['cold_changed']:>12}")
    print(f"{'idempotent rerun':<38}{results['rerun_s']:>11.1f}s")
    print(f"{'  changed tasks (target 0)':<38}{results['rerun_changed']:>12}")
    labels = (("start_to_quorate_s", "daemon start -> quorate"), ("start_to_dc_s", "daemon start -> DC elected"))
    for key, label in labels:
        values = results[key]
        print(f"{label + ' (median of ' + str(len(values)) + ')':<38}{values[len(values) // 2]:>11.2f}s")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")
    return 0 if results["rerun_changed"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
