"""ocf:failover:ip's quorum guard, run as Pacemaker runs the agent, with stand-ins on PATH for
``ip`` (answers from a state file, records every call) and ``corosync-quorumtool`` (says what a
state file says), and at OCF_ROOT for IPaddr2. The guard is a real process: the start leaves it
running, a lost quorum makes it delete the address, and the stop ends it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
AGENT = ROOT / "roles" / "ocf_agents" / "files" / "resource.d" / "failover" / "ip"
IP = """#!/bin/sh
echo "ip $*" >> "$FAKE_DIR/calls"
case "$*" in
  "-o -4 addr show to 198.51.100.50/32")
    [ -e "$FAKE_DIR/has" ] && echo "2: eth0    inet 198.51.100.50/24 scope global secondary eth0";;
  "-4 addr del 198.51.100.50/24 dev eth0") rm -f "$FAKE_DIR/has";;
esac
exit 0
"""
QUORUMTOOL = """#!/bin/sh
[ -e "$FAKE_DIR/corosync-down" ] && { echo "Cannot initialize QUORUM service" >&2; exit 1; }
if [ -e "$FAKE_DIR/quorate" ]; then echo "Quorate:          Yes"; exit 0; fi
echo "Quorate:          No"; exit 2
"""
CRM_ATTRIBUTE = """#!/bin/sh
[ -e "$FAKE_DIR/policy" ] && cat "$FAKE_DIR/policy"
exit 0
"""
IPADDR2 = """#!/bin/sh
echo "IPaddr2 $1" >> "$FAKE_DIR/calls"
case "$1" in
  start) touch "$FAKE_DIR/has";;
  stop) rm -f "$FAKE_DIR/has";;
  monitor) [ -e "$FAKE_DIR/has" ] || exit 7;;
esac
exit 0
"""


@pytest.fixture
def agent(tmp_path):
    (tmp_path / "bin").mkdir()
    (tmp_path / "run").mkdir()
    (tmp_path / "resource.d" / "heartbeat").mkdir(parents=True)
    for path, text in ((tmp_path / "bin" / "ip", IP), (tmp_path / "bin" / "corosync-quorumtool", QUORUMTOOL),
                       (tmp_path / "bin" / "crm_attribute", CRM_ATTRIBUTE),
                       (tmp_path / "resource.d" / "heartbeat" / "IPaddr2", IPADDR2)):
        path.write_text(text)
        path.chmod(0o755)
    (tmp_path / "quorate").write_text("")
    (tmp_path / "has").write_text("")  # already local: the start skips the release window and the probes
    env = dict(os.environ, PATH="{0}:{1}".format(tmp_path / "bin", os.environ["PATH"]), OCF_ROOT=str(tmp_path),
               FAKE_DIR=str(tmp_path), OCF_FAILOVER_RUN_DIR=str(tmp_path / "run"),
               OCF_RESOURCE_INSTANCE="fc.sna.ip0", OCF_RESKEY_ip="198.51.100.50", OCF_RESKEY_cidr_netmask="24",
               OCF_RESKEY_release_window="3", OCF_RESKEY_CRM_meta_interval="10000")

    def call(action, **extra):
        proc = subprocess.run([sys.executable, str(AGENT), action], env=dict(env, **extra), capture_output=True,
                              text=True, timeout=30, check=False)
        return proc
    call.dir = tmp_path
    yield call
    pidfile = tmp_path / "run" / "ip-guard-fc.sna.ip0.pid"
    if pidfile.exists():  # never leave a guard behind, whatever the test did
        try:
            os.kill(int(pidfile.read_text()), 15)
        except (OSError, ValueError):
            pass


def guard_pid(folder):
    pidfile = folder / "run" / "ip-guard-fc.sna.ip0.pid"
    if not pidfile.exists():
        return None
    pid = int(pidfile.read_text())
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    return pid if b"quorum-guard" in cmdline else None


def wait(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_a_lost_quorum_makes_the_guard_delete_the_address(agent):
    assert agent("start").returncode == 0
    pid = guard_pid(agent.dir)
    assert pid, "the start left no guard running"
    time.sleep(0.6)  # a few looks while quorate: nothing happens
    assert (agent.dir / "has").exists()
    (agent.dir / "quorate").unlink()
    # the guard deletes the address, then writes its marker: wait for the marker, the last of the two
    assert wait((agent.dir / "run" / "ip-guard-fc.sna.ip0.released").exists), "the guard did not release"
    assert not (agent.dir / "has").exists()
    assert "ip -4 addr del 198.51.100.50/24 dev eth0" in (agent.dir / "calls").read_text()
    assert (agent.dir / "run" / "ip-guard-fc.sna.ip0.released").read_text().strip() == "this node lost quorum"
    assert wait(lambda: guard_pid(agent.dir) is None), "the guard did not end after releasing"
    # without quorum the monitor reports it running (the stop is coming), IPaddr2 not asked
    calls_before = (agent.dir / "calls").read_text()
    assert agent("monitor").returncode == 0
    assert (agent.dir / "calls").read_text() == calls_before
    # the stop succeeds and clears the marker
    assert agent("stop").returncode == 0
    assert not (agent.dir / "run" / "ip-guard-fc.sna.ip0.released").exists()


def test_released_then_quorate_again_is_not_running(agent):
    assert agent("start").returncode == 0
    (agent.dir / "quorate").unlink()
    assert wait((agent.dir / "run" / "ip-guard-fc.sna.ip0.released").exists)
    (agent.dir / "quorate").write_text("")
    proc = agent("monitor")
    assert proc.returncode == 7, proc.stderr
    assert "released by the quorum guard and this node has quorum again" in proc.stderr


def test_a_silent_corosync_counts_as_out_of_the_cluster(agent):
    assert agent("start").returncode == 0
    (agent.dir / "corosync-down").write_text("")
    assert wait((agent.dir / "run" / "ip-guard-fc.sna.ip0.released").exists, timeout=15)
    assert not (agent.dir / "has").exists()
    marker = (agent.dir / "run" / "ip-guard-fc.sna.ip0.released").read_text()
    assert marker.startswith("corosync has not answered for")


def test_the_stop_ends_the_guard_and_a_monitor_restarts_a_missing_one(agent):
    assert agent("start").returncode == 0
    first = guard_pid(agent.dir)
    assert first
    os.kill(first, 9)
    assert wait(lambda: guard_pid(agent.dir) is None)
    proc = agent("monitor")
    assert proc.returncode == 0 and "was not running; starting it again" in proc.stderr
    second = guard_pid(agent.dir)
    assert second and second != first
    assert agent("stop").returncode == 0
    assert wait(lambda: not Path(f"/proc/{second}").exists() or b"quorum-guard" not in
                Path(f"/proc/{second}/cmdline").read_bytes())
    assert not (agent.dir / "has").exists()


def test_no_guard_without_a_release_window(agent):
    assert agent("start", OCF_RESKEY_release_window="0").returncode == 0
    assert guard_pid(agent.dir) is None
    assert agent("monitor", OCF_RESKEY_release_window="0").returncode == 0
    assert guard_pid(agent.dir) is None


def test_no_quorum_policy_freeze_keeps_the_address(agent):
    (agent.dir / "policy").write_text("freeze\n")
    assert agent("start").returncode == 0
    (agent.dir / "quorate").unlink()
    assert wait(lambda: guard_pid(agent.dir) is None), "the guard did not end"
    assert (agent.dir / "has").exists()
    assert not (agent.dir / "run" / "ip-guard-fc.sna.ip0.released").exists()
