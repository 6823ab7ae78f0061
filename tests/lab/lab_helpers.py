"""Helpers for the lab's own tests: run labctl, and find anything a lab left behind."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LABCTL = ROOT / "lab" / "labctl"
if str(ROOT / "lab") not in sys.path:
    sys.path.insert(0, str(ROOT / "lab"))

from failover_lab import lab as lab_mod  # noqa: E402
from failover_lab import system  # noqa: E402


def lab_unusable_reason() -> str | None:
    if os.geteuid() != 0:
        return "the lab needs root"
    for tool in ("unshare", "nsenter", "ip", "sshd", "nft"):
        if not shutil.which(tool, path=os.environ.get("PATH", "") + ":" + system.PATH):
            return f"{tool} is not installed (see lab/packages.txt)"
    if not os.path.exists("/lib/systemd/systemd"):
        return "systemd is not installed"
    return None


def labctl(prefix: str, *args: str, check: bool = True, timeout: float = 180) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [str(LABCTL), "--prefix", prefix, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"labctl {' '.join(args)} failed rc={proc.returncode}\n{proc.stdout}\n{proc.stderr}")
    return proc


def leftovers(prefix: str) -> dict:
    """Everything of a lab that could outlive it, seen independently of labctl's own check."""
    state = lab_mod.lab_dir(prefix)
    cg = lab_mod.cgroup_dir(prefix)
    netns_mounts = (f"/run/netns/{prefix}ctl", f"/run/netns/{prefix}.")
    with open("/proc/self/mountinfo") as f:
        points = [line.split()[4] for line in f]
    mounts = [m for m in points if m.startswith(str(state)) or m.startswith(netns_mounts)]
    procs = [p for p in system.pids_referencing(str(state) + "/") if system.alive(p) and p != os.getpid()]
    found = {
        "namespaces": [n for n in system.netns_list() if n == f"{prefix}ctl" or n.startswith(f"{prefix}.")],
        "processes": procs + [p for p in system.cgroup_procs(cg) if system.alive(p)],
        "mounts": mounts,
        "loops": system.loops_backed_by(str(state)),
        "cgroups": [str(cg)] if cg.exists() else [],
        "state": [str(state)] if state.exists() else [],
    }
    return {k: v for k, v in found.items() if v}


class LabHandle:
    """One lab under test; torn down (and checked) at the end of the test."""

    def __init__(self, prefix: str):
        self.prefix = prefix

    def ctl(self, *args: str, check: bool = True, timeout: float = 180) -> subprocess.CompletedProcess:
        return labctl(self.prefix, *args, check=check, timeout=timeout)

    def sh(self, host: str, script: str, check: bool = True) -> subprocess.CompletedProcess:
        return self.ctl("exec", host, "--", "/bin/sh", "-c", script, check=check, timeout=60)

    def ping(self, host: str, target: str) -> bool:
        return self.ctl("exec", host, "--", "ping", "-c1", "-W1", target, check=False).returncode == 0

    def ssh(self, host: str, *argv: str) -> subprocess.CompletedProcess:
        return self.ctl("ssh", host, "--", "-o", "BatchMode=yes", *argv, check=False, timeout=60)

    def ipv4(self, host: str) -> list[str]:
        ns = f"{self.prefix}.{host}"
        out = subprocess.run(
            ["ip", "-n", ns, "-4", "-o", "addr", "show", "scope", "global"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        return [line.split()[3] for line in out.splitlines()]

    def status(self) -> dict:
        return json.loads(self.ctl("status", "--json").stdout)
