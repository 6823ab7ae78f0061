"""Thin wrappers over the machine: commands, namespaces, cgroups, processes.

Every command is an argv list; nothing is passed through a shell.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

from failover_lab import LabError

PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
NETNS_DIR = Path("/run/netns")


def helper_python() -> str:
    """The interpreter for scripts that run in hosts: the distribution's own.

    A host gets a fresh /root, so an interpreter living there (pyenv, a
    virtualenv) would vanish under a running script.
    """
    return "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else shutil.which("python3") or "python3"


def run(
    argv: list[str],
    *,
    check: bool = True,
    input: str | None = None,
    timeout: float = 120,  # noqa: A002
    capture: bool = True,
) -> subprocess.CompletedProcess:
    env = dict(os.environ, LC_ALL="C", PATH=os.environ.get("PATH", PATH) + ":" + PATH)
    try:
        proc = subprocess.run(
            argv,
            input=input,
            text=True,
            timeout=timeout,
            env=env,
            stdout=subprocess.PIPE if capture else None,
            stderr=subprocess.PIPE if capture else None,
            check=False,
        )
    except FileNotFoundError:
        raise LabError(f"command not found: {argv[0]} (see lab/packages.txt)") from None
    except subprocess.TimeoutExpired:
        raise LabError(f"command timed out after {timeout:.0f}s: {' '.join(argv)}") from None
    if check and proc.returncode != 0:
        err = (proc.stderr or "").strip() or (proc.stdout or "").strip()
        raise LabError(f"command failed (rc={proc.returncode}): {' '.join(argv)}: {err}")
    return proc


def require_root() -> None:
    if os.geteuid() != 0:
        raise LabError("the lab needs root (namespaces, mounts, bridges)")


def require_tools(tools: list[str]) -> None:
    missing = [t for t in tools if not shutil.which(t, path=os.environ.get("PATH", "") + ":" + PATH)]
    if missing:
        raise LabError(f"missing commands: {', '.join(missing)} (install the packages in lab/packages.txt)")


# ---- network namespaces --------------------------------------------------
def netns_list() -> list[str]:
    if not NETNS_DIR.is_dir():
        return []
    return sorted(p.name for p in NETNS_DIR.iterdir())


def netns_pids(ns: str) -> list[int]:
    proc = run(["ip", "netns", "pids", ns], check=False)
    return [int(x) for x in proc.stdout.split()] if proc.returncode == 0 else []


def netns_delete(ns: str) -> None:
    if ns in netns_list():
        run(["ip", "netns", "delete", ns], check=False)


# ---- cgroup2 ---------------------------------------------------------------
def cgroup2_mount() -> Path:
    """Where this machine mounts cgroup2 (hybrid: /sys/fs/cgroup/unified)."""
    with open("/proc/self/mountinfo") as f:
        mounts = [line.split(" - ")[0].split()[4] for line in f if " - cgroup2 " in line]
    for cand in ("/sys/fs/cgroup/unified", "/sys/fs/cgroup"):
        if cand in mounts:
            return Path(cand)
    if mounts:
        return Path(mounts[0])
    raise LabError("no cgroup2 hierarchy is mounted on this machine (systemd in hosts needs one)")


def cgroup_procs(path: Path) -> list[int]:
    """PIDs in a cgroup subtree."""
    pids: list[int] = []
    if not path.is_dir():
        return pids
    for d, _dirs, files in os.walk(path):
        if "cgroup.procs" in files:
            try:
                pids += [int(x) for x in Path(d, "cgroup.procs").read_text().split()]
            except OSError:
                pass
    return pids


def cgroup_kill(path: Path) -> None:
    if (path / "cgroup.kill").exists():
        try:
            (path / "cgroup.kill").write_text("1")
            return
        except OSError:
            pass
    for pid in cgroup_procs(path):
        kill(pid, signal.SIGKILL)


def cgroup_remove(path: Path) -> list[str]:
    """rmdir a cgroup subtree deepest-first; returns what could not be removed."""
    left: list[str] = []
    if not path.is_dir():
        return left
    dirs = [Path(d) for d, _sub, _files in os.walk(path)]
    for d in sorted(dirs, key=lambda p: len(p.parts), reverse=True):
        for _ in range(50):
            try:
                d.rmdir()
                break
            except FileNotFoundError:
                break
            except OSError:
                time.sleep(0.05)
        else:
            left.append(str(d))
    return left


# ---- processes ---------------------------------------------------------------
def kill(pid: int, sig: int) -> bool:
    try:
        os.kill(pid, sig)
        return True
    except ProcessLookupError:
        return False


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def wait_gone(pids: list[int], timeout: float) -> list[int]:
    deadline = time.monotonic() + timeout
    left = [p for p in pids if alive(p)]
    while left and time.monotonic() < deadline:
        time.sleep(0.05)
        left = [p for p in left if alive(p)]
    return left


def read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def proc_cgroup(pid: int) -> str:
    try:
        for line in Path(f"/proc/{pid}/cgroup").read_text().splitlines():
            if line.startswith("0::"):
                return line[3:]
    except OSError:
        pass
    return ""


def children(pid: int) -> list[int]:
    try:
        return [int(x) for x in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def ppid(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return 0


def pids_referencing(path: str) -> list[int]:
    """Processes whose command line mentions a path (e.g. the lab state dir)."""
    out = []
    needle = path.encode()
    me = os.getpid()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == me:
            continue
        try:
            if needle in (entry / "cmdline").read_bytes():
                out.append(int(entry.name))
        except OSError:
            pass
    return out


# ---- mounts and loop devices ---------------------------------------------------
def mounts_under(path: str) -> list[str]:
    out = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            mnt = line.split()[4].replace("\\040", " ")
            if mnt == path or mnt.startswith(path.rstrip("/") + "/"):
                out.append(mnt)
    return out


def loops_backed_by(path: str) -> list[str]:
    """Loop devices whose backing file lives under path."""
    out = []
    base = Path("/sys/block")
    if not base.is_dir():
        return out
    prefix = path.rstrip("/") + "/"
    for dev in sorted(base.glob("loop*")):
        try:
            back = (dev / "loop" / "backing_file").read_text().strip()
        except OSError:
            continue
        if back.startswith(prefix):
            out.append(f"/dev/{dev.name}")
    return out


def dev_numbers(dev: str) -> tuple[int, int]:
    st = os.stat(dev)
    return os.major(st.st_rdev), os.minor(st.st_rdev)
