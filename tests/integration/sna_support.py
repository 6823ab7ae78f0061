"""The SNA emulator for the module and OCF agent tests: installed into a temporary prefix the
way a lab host gets it (``python3 -m sna_emulator install``), gateways with private state
directories and short timers, a remote host (``snahost``) on 127.0.0.1 only.

Every process started here is ended by its PID: the gateways' control daemons (read from their
pid files) and the snahost children.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The emulator ships inside the sna_gateway role, which installs it on lab hosts.
EMULATOR_SRC = ROOT / "roles" / "sna_gateway" / "files"
PYTHON = "/usr/bin/python3" if Path("/usr/bin/python3").exists() else sys.executable

KA_INTERVAL = 0.2
KA_MISSES = 3
ACT_TIMEOUT = 1.0


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def install_emulator(prefix: Path) -> Path:
    """``python3 -m sna_emulator install --prefix PREFIX --no-systemd``; returns PREFIX/bin."""
    subprocess.run(
        [PYTHON, "-m", "sna_emulator", "install", "--prefix", str(prefix), "--python", PYTHON, "--no-systemd"],
        check=True,
        capture_output=True,
        text=True,
        env=dict(os.environ, PYTHONPATH=str(EMULATOR_SRC)),
        cwd=str(EMULATOR_SRC),
    )
    return prefix / "bin"


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie is not alive
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def end_pid(pid: int) -> None:
    """SIGKILL one process this test started, if it still runs."""
    if not pid_alive(pid):
        return
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + 5
    while pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.01)


class Gateway:
    """One gateway server: a private state dir and the env that points the commands at it."""

    def __init__(self, bindir: Path, state_dir: Path):
        self.bindir = bindir
        self.state_dir = state_dir
        state_dir.mkdir(parents=True, exist_ok=True)
        self.udp_port = free_udp_port()
        self.pids: set[int] = set()
        self.env = {
            "PATH": f"{bindir}:{os.environ.get('PATH', '/usr/bin:/bin')}",
            "SNAEMU_STATE_DIR": str(state_dir),
            "SNAEMU_KA_INTERVAL": str(KA_INTERVAL),
            "SNAEMU_KA_MISSES": str(KA_MISSES),
            "SNAEMU_ACT_TIMEOUT": str(ACT_TIMEOUT),
            "SNAEMU_STOP_TIMEOUT": "0.5",
        }

    def run(self, *argv: str, timeout: float = 60) -> subprocess.CompletedProcess:
        proc = subprocess.run(
            [str(self.bindir / argv[0]), *argv[1:]],
            capture_output=True,
            text=True,
            env=dict(os.environ, **self.env),
            timeout=timeout,
            check=False,
        )
        self.remember()
        return proc

    def admin(self, command: str) -> subprocess.CompletedProcess:
        return self.run("snapadmin", *command.split())

    @property
    def pid(self) -> int | None:
        try:
            pid = int((self.state_dir / "snapd.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None
        return pid if pid_alive(pid) else None

    def remember(self) -> None:
        pid = self.pid
        if pid:
            self.pids.add(pid)

    def query(self, verb: str, **params) -> dict:
        words = [verb + ("," if params else "")] + [f"{k}={v}," for k, v in params.items()]
        if params:
            words[-1] = words[-1].rstrip(",")
        proc = self.run("snapadmin", *words)
        if proc.returncode != 0:
            return {}
        return dict(pairs(proc.stdout))

    def crash(self) -> None:
        """The primary panics: its control daemon dies without telling anyone."""
        pid = self.pid
        assert pid
        end_pid(pid)

    def cleanup(self) -> None:
        self.remember()
        for pid in self.pids:
            end_pid(pid)


class SnaHost:
    """The remote SNA host in the foreground, a child of the test, on 127.0.0.1."""

    def __init__(self, bindir: Path, state_dir: Path, *args: str):
        self.bindir = bindir
        self.state_dir = state_dir
        state_dir.mkdir(parents=True, exist_ok=True)
        self.port = free_udp_port()
        self.env = dict(os.environ, SNAHOST_STATE_DIR=str(state_dir))
        self.log = open(state_dir / "run.log", "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [str(bindir / "snahost"), "--state-dir", str(state_dir), "run", "--listen", f"127.0.0.1:{self.port}",
             "--ka-interval", str(KA_INTERVAL), *args],
            env=self.env,
            stdout=self.log,
            stderr=self.log,
        )
        deadline = time.monotonic() + 10
        while self.cli("query").returncode != 0:
            assert self.proc.poll() is None, (state_dir / "run.log").read_text()
            assert time.monotonic() < deadline, "snahost did not come up"
            time.sleep(0.05)

    def cli(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(self.bindir / "snahost"), "--state-dir", str(self.state_dir), *args],
            capture_output=True,
            text=True,
            env=self.env,
            timeout=30,
            check=False,
        )

    def query(self, pu: str = "HAPU") -> dict:
        proc = self.cli("query", f"pu_name={pu}")
        assert proc.returncode == 0, proc
        return dict(pairs(proc.stdout))

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

    def pause(self) -> None:
        """The remote host (or the network to it) goes silent."""
        os.kill(self.proc.pid, signal.SIGSTOP)

    def resume(self) -> None:
        os.kill(self.proc.pid, signal.SIGCONT)


def pairs(text: str):
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


# ---------------------------------------------------------------- fixtures (import them in the test module)
import pytest  # noqa: E402 - fixtures below, helpers above work without pytest


@pytest.fixture(scope="session")
def emulator_bin(tmp_path_factory):
    return install_emulator(tmp_path_factory.mktemp("snaemu") / "prefix")


@pytest.fixture
def gateways(emulator_bin, tmp_path):
    made: list[Gateway] = []

    def make(name: str = "gw") -> Gateway:
        gw = Gateway(emulator_bin, tmp_path / name)
        made.append(gw)
        return gw

    yield make
    for gw in made:
        gw.cleanup()


@pytest.fixture
def snahost(emulator_bin, tmp_path):
    made: list[SnaHost] = []

    def make(*args: str, name: str = "host") -> SnaHost:
        host = SnaHost(emulator_bin, tmp_path / name, *args)
        made.append(host)
        return host

    yield make
    for host in made:
        host.stop()
