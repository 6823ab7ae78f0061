"""Helpers that run the SNA stack emulator for real: daemons in temporary state directories,
UDP on 127.0.0.1 only, short timers, and every process started here ended by its PID."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
# The emulator ships inside the sna_gateway role, which installs it on lab hosts.
EMULATOR_SRC = ROOT / "roles" / "sna_gateway" / "files"
if str(EMULATOR_SRC) not in sys.path:
    sys.path.insert(0, str(EMULATOR_SRC))

from sna_emulator import admin, control  # noqa: E402 - needs EMULATOR_SRC on sys.path

KA_INTERVAL = 0.2
KA_MISSES = 3
ACT_TIMEOUT = 1.0


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _end(pid: int) -> None:
    """SIGKILL one process we started, if it still runs."""
    if control.pid_alive(pid):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + 5
        while control.pid_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.01)


class Result:
    def __init__(self, proc: subprocess.CompletedProcess):
        self.rc = proc.returncode
        self.out = proc.stdout
        self.err = proc.stderr

    def __repr__(self):
        return f"Result(rc={self.rc}, out={self.out!r}, err={self.err!r})"


def _env(**extra) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(EMULATOR_SRC)
    env.update({k: str(v) for k, v in extra.items()})
    return env


class Gateway:
    """One gateway server: its own state dir, its control daemon started with ``snap start``."""

    def __init__(self, state_dir: Path, name: str = "gw"):
        self.state_dir = state_dir
        self.name = name
        self.udp_port = free_udp_port()
        self.pids: set[int] = set()
        self.env = _env(
            SNAEMU_STATE_DIR=state_dir,
            SNAEMU_KA_INTERVAL=KA_INTERVAL,
            SNAEMU_KA_MISSES=KA_MISSES,
            SNAEMU_ACT_TIMEOUT=ACT_TIMEOUT,
            SNAEMU_STOP_TIMEOUT=0.5,
        )

    def run(self, tool: str, *args: str, timeout: float = 30) -> Result:
        proc = subprocess.run(
            [sys.executable, "-m", "sna_emulator", tool, *args],
            capture_output=True,
            text=True,
            env=self.env,
            timeout=timeout,
            check=False,
        )
        return Result(proc)

    def snap(self, *args: str) -> Result:
        result = self.run("snap", *args)
        pid = self.pid
        if pid:
            self.pids.add(pid)
        return result

    def admin(self, command: str) -> Result:
        """``snapadmin`` with the product's one-string syntax, split by the shell as usual.

        Runs the admin client in this process (against the real daemon, over its socket) to keep
        the tests fast; ``run("snapadmin", ...)`` runs it as its own process.
        """
        rc, out, err = admin.execute("snapadmin", command.split(), str(self.state_dir))
        return Result(subprocess.CompletedProcess(["snapadmin", command], rc, out, err))

    @property
    def pid(self) -> int | None:
        pid = control.read_pid(self.state_dir / "snapd.pid")
        return pid if pid and control.pid_alive(pid) else None

    def query_ls(self, ls_name: str = "HALS") -> dict:
        result = self.admin(f"query_ls, ls_name={ls_name}")
        assert result.rc == 0, result
        return dict(_pairs(result.out))

    def setup(self, remote_port: int, pu: str = "HAPU", local_ip: str = "127.0.0.1", start_ls: bool = True):
        """snap start, define node/port/ls, init_node, start_port (and start_ls)."""
        assert self.snap("start").rc == 0
        for command in (
            "define_node, fqcp_name=APPN.GWNODE, node_id=05D12345",
            f"define_ip_port, port_name=HAPORT, local_ip={local_ip}, udp_port={self.udp_port}",
            f"define_ip_ls, ls_name=HALS, port_name=HAPORT, remote_ip_host=127.0.0.1, "
            f"remote_udp_port={remote_port}, pu_name={pu}",
            "init_node",
            "start_port, port_name=HAPORT",
        ) + (("start_ls, ls_name=HALS",) if start_ls else ()):
            result = self.admin(command)
            assert result.rc == 0, (command, result)

    def cleanup(self) -> None:
        pid = self.pid
        if pid:
            self.pids.add(pid)
        for pid in self.pids:
            _end(pid)


class SnaHost:
    """The remote SNA host, run in the foreground as a child of the test."""

    def __init__(self, state_dir: Path, *args: str, stale_timeout: float = 0.0):
        self.state_dir = state_dir
        self.port = free_udp_port()
        self.env = _env(SNAHOST_STATE_DIR=state_dir)
        self.log = open(state_dir.parent / f"{state_dir.name}.log", "wb")  # noqa: SIM115 - closed in stop()
        state_dir.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "sna_emulator",
                "snahost",
                "--state-dir",
                str(state_dir),
                "run",
                "--listen",
                f"127.0.0.1:{self.port}",
                "--ka-interval",
                str(KA_INTERVAL),
                "--stale-timeout",
                str(stale_timeout),
                *args,
            ],
            env=self.env,
            stdout=self.log,
            stderr=self.log,
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                control.request(state_dir / "snahost.sock", {"op": "ping"}, timeout=1)
                break
            except (control.NotRunning, OSError):
                assert self.proc.poll() is None, (state_dir.parent / f"{state_dir.name}.log").read_text()
                assert time.monotonic() < deadline, "snahost did not come up"
                time.sleep(0.05)

    def query(self, pu: str = "HAPU") -> dict:
        answer = control.request(self.state_dir / "snahost.sock", {"op": "query", "params": {"pu_name": pu}})
        return {key: str(value) for key, value in answer["objects"][0].items()}

    def cli(self, *args: str) -> Result:
        proc = subprocess.run(
            [sys.executable, "-m", "sna_emulator", "snahost", "--state-dir", str(self.state_dir), *args],
            capture_output=True,
            text=True,
            env=self.env,
            timeout=30,
            check=False,
        )
        return Result(proc)

    def pause(self) -> None:
        """The remote host (or the network to it) goes silent."""
        os.kill(self.proc.pid, signal.SIGSTOP)

    def resume(self) -> None:
        os.kill(self.proc.pid, signal.SIGCONT)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGCONT)
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.log.close()


def _pairs(text: str):
    for line in text.splitlines():
        if "=" in line:
            key, value = line.split("=", 1)
            yield key.strip(), value.strip()


def wait_for(predicate, timeout: float = 5.0, step: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    return predicate()


def rcs(result):
    lines = dict(
        (key.strip(), value.strip()) for key, _sep, value in (line.partition("=") for line in result.err.splitlines())
    )
    return lines.get("primary_rc"), lines.get("secondary_rc")
