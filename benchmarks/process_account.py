"""CPU seconds by command name over a stretch of time, for every process on the machine: the
long-lived ones (Pacemaker's daemons, Corosync) from /proc, the short-lived ones (each agent
action, each product command, crm_mon, the runbook's modules) from the kernel's process
accounting (acct(2), version 3 records), which also sees the processes of the lab's PID
namespaces. The cgroup account (bench_sna_parallel.cpu_usage) stops at the systemd unit; this
one says which program inside it used the time.

Needs root and ``accton`` (Debian's acct package). While it runs, the kernel writes one 64-byte
record per exiting process into a file of this module's own; it is switched off and the file
removed at the end, whatever happens.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import tempfile
from pathlib import Path

# struct acct_v3 (linux/acct.h): flag, version, tty, exitcode, uid, gid, pid, ppid, btime, etime
# (float), then the comp_t utime, stime, mem, io, rw, minflt, majflt, swaps, and a 16-byte comm.
ACCT_V3 = struct.Struct("<BBHIIIIIIf8H16s")
ACCT_HZ = 100  # comp_t times are in AHZ ticks; Linux writes v3 records at USER_HZ (100)


def comp_t(value):
    """A comp_t (13-bit mantissa, 3-bit base-8 exponent) as an integer."""
    return (value & 0x1FFF) << (3 * (value >> 13))


def parse_acct_v3(data):
    """[(pid, comm, cpu seconds)] from the bytes of an accounting file (version-3 records only)."""
    out = []
    for offset in range(0, len(data) - ACCT_V3.size + 1, ACCT_V3.size):
        rec = ACCT_V3.unpack_from(data, offset)
        if rec[1] != 3:
            continue
        pid, utime, stime, comm = rec[6], rec[10], rec[11], rec[18]
        name = comm.split(b"\0", 1)[0].decode("utf-8", "replace")
        out.append((pid, name, (comp_t(utime) + comp_t(stime)) / ACCT_HZ))
    return out


def proc_snapshot(proc="/proc"):
    """{pid: (comm, cpu seconds so far)} of every live process."""
    ticks = os.sysconf("SC_CLK_TCK")
    snap = {}
    for entry in os.listdir(proc):
        if not entry.isdigit():
            continue
        try:
            text = Path(proc, entry, "stat").read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        comm = text[text.index("(") + 1:text.rindex(")")]
        fields = text[text.rindex(")") + 2:].split()
        snap[int(entry)] = (comm, (int(fields[11]) + int(fields[12])) / ticks)
    return snap


def by_command(before, after, exited):
    """{comm: [CPU seconds, processes]} used between two proc_snapshot()s, with the accounting
    records of the processes that exited in between (their whole life's CPU, less what they had
    already used at ``before``). A pid reused within the stretch counts as a new process."""
    used = {}

    def add(comm, seconds):
        if seconds > 0:
            entry = used.setdefault(comm, [0.0, 0])
            entry[0] += seconds
            entry[1] += 1

    exited_pids = set()
    for pid, comm, seconds in exited:
        prior = before.get(pid)
        spent = seconds - prior[1] if prior and prior[0] == comm and pid not in exited_pids else seconds
        exited_pids.add(pid)
        add(comm, spent)
    for pid, (comm, seconds) in after.items():
        prior = before.get(pid)
        if pid in exited_pids:
            add(comm, seconds)  # a new process with a pid that exited in the stretch
        elif prior and prior[0] == comm:
            add(comm, seconds - prior[1])
        else:
            add(comm, seconds)
    return {k: [round(v[0], 2), v[1]] for k, v in used.items()}


class ProcessAccount:
    """``with ProcessAccount() as acc: ...`` then ``acc.result`` = by_command(); ``None`` when
    accton is missing or the machine refuses process accounting."""

    def __init__(self):
        self.result = None
        self._dir = None
        self._file = None
        self._before = None

    @staticmethod
    def available():
        return shutil.which("accton") is not None and os.geteuid() == 0

    def __enter__(self):
        if not self.available():
            return self
        self._dir = tempfile.mkdtemp(prefix="fc-acct-")
        self._file = os.path.join(self._dir, "pacct")
        Path(self._file).touch(mode=0o600)
        self._before = proc_snapshot()
        if subprocess.run(["accton", self._file], capture_output=True, check=False).returncode != 0:
            self._before = None
        return self

    def __exit__(self, *exc):
        try:
            if self._before is not None:
                subprocess.run(["accton", "off"], capture_output=True, check=False)
                after = proc_snapshot()
                self.result = by_command(self._before, after, parse_acct_v3(Path(self._file).read_bytes()))
        finally:
            if self._dir:
                shutil.rmtree(self._dir, ignore_errors=True)
        return False


def top(result, count=12):
    """The ``count`` commands that used most CPU, as [(comm, seconds, processes)]."""
    return sorted(((k, v[0], v[1]) for k, v in (result or {}).items()), key=lambda t: -t[1])[:count]
