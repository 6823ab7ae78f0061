"""ocf:failover:ip's stop when IPaddr2 leaves the address behind (the interface is down, so the
subnet's route is gone and IPaddr2's findif fails: it reports the address stopped and does not
delete it). Run as Pacemaker runs it, with stand-ins on PATH for ``ip`` (answers from a state file,
records every call) and at OCF_ROOT for IPaddr2."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
AGENT = ROOT / "roles" / "ocf_agents" / "files" / "resource.d" / "failover" / "ip"
IP = """#!/bin/sh
echo "ip $*" >> "$FAKE_DIR/calls"
case "$*" in
  "-o -4 addr show to 203.0.113.50/32")
    [ -e "$FAKE_DIR/has" ] && echo "3: eth1    inet 203.0.113.50/24 scope global secondary eth1";;
  "-4 addr del 203.0.113.50/24 dev eth1") rm -f "$FAKE_DIR/has";;
esac
exit 0
"""
IPADDR2 = """#!/bin/sh
echo "IPaddr2 $1" >> "$FAKE_DIR/calls"
[ "$FAKE_IPADDR2_DELETES" = 1 ] && rm -f "$FAKE_DIR/has"
exit 0
"""


@pytest.fixture
def agent(tmp_path):
    (tmp_path / "bin").mkdir()
    (tmp_path / "resource.d" / "heartbeat").mkdir(parents=True)
    for path, text in ((tmp_path / "bin" / "ip", IP), (tmp_path / "resource.d" / "heartbeat" / "IPaddr2", IPADDR2)):
        path.write_text(text)
        path.chmod(0o755)

    def call(action, has_address, ipaddr2_deletes):
        if has_address:
            (tmp_path / "has").write_text("")
        env = dict(os.environ, PATH="{0}:{1}".format(tmp_path / "bin", os.environ["PATH"]), OCF_ROOT=str(tmp_path),
                   FAKE_DIR=str(tmp_path), FAKE_IPADDR2_DELETES="1" if ipaddr2_deletes else "0",
                   OCF_RESOURCE_INSTANCE="fc.web.ip0", OCF_RESKEY_ip="203.0.113.50", OCF_RESKEY_cidr_netmask="24")
        proc = subprocess.run([sys.executable, str(AGENT), action], env=env, capture_output=True, text=True,
                              timeout=30, check=False)
        calls = (tmp_path / "calls").read_text().splitlines() if (tmp_path / "calls").exists() else []
        return proc, calls, (tmp_path / "has").exists()
    return call


def test_the_stop_deletes_what_ipaddr2_left(agent):
    proc, calls, left = agent("stop", has_address=True, ipaddr2_deletes=False)
    assert proc.returncode == 0, proc.stderr
    assert calls == ["IPaddr2 stop", "ip -o -4 addr show to 203.0.113.50/32", "ip -4 addr del 203.0.113.50/24 dev eth1"]
    assert not left
    assert "IPaddr2 left 203.0.113.50/24 on eth1 (its route is gone: link down?); deleting it" in proc.stderr


def test_an_ordinary_stop_deletes_nothing_more(agent):
    proc, calls, left = agent("stop", has_address=True, ipaddr2_deletes=True)
    assert proc.returncode == 0 and not left
    assert calls == ["IPaddr2 stop", "ip -o -4 addr show to 203.0.113.50/32"]
