"""ocf:failover:subnet_guard (node_fail_fast_enabled on a monitored subnet failure), run as Pacemaker
runs it: a process with OCF_RESKEY_* in its environment, here with a stand-in attrd_updater on PATH
that answers the queries from a table (FAKE_ATTRS="name=value ...")."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
AGENT = ROOT / "roles" / "ocf_agents" / "files" / "resource.d" / "failover" / "subnet_guard"
ATTRD = """#!/bin/sh
# attrd_updater -Q -n NAME: answer from FAKE_ATTRS like the real one (rc 0 and no value when unset)
for pair in $FAKE_ATTRS; do
  if [ "${pair%%=*}" = "$3" ]; then echo "name=\\"$3\\" host=\\"node1\\" value=\\"${pair#*=}\\""; exit 0; fi
done
echo "name=\\"$3\\" host=\\"node1\\" value=\\"\\""
"""


@pytest.fixture
def agent(tmp_path):
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "attrd_updater").write_text(ATTRD)
    (bindir / "attrd_updater").chmod(0o755)

    def call(action, attrs="", watched="fc-subnet-203-0-113-0-24 fc-ping-203-0-113-0-24"):
        env = dict(os.environ, PATH="{0}:{1}".format(bindir, os.environ["PATH"]), HA_RSCTMP=str(tmp_path / "run"),
                   OCF_ROOT=str(tmp_path), OCF_RESOURCE_INSTANCE="fc.web.netguard", FAKE_ATTRS=attrs,
                   OCF_RESKEY_attributes=watched)
        return subprocess.run([sys.executable, str(AGENT), action], env=env, capture_output=True, text=True,
                              timeout=30, check=False)
    return call


def test_lifecycle_while_the_subnet_is_up(agent):
    up = "fc-subnet-203-0-113-0-24=1 fc-ping-203-0-113-0-24=1"
    assert agent("monitor", up).returncode == 7  # not running before start
    assert agent("start", up).returncode == 0
    assert agent("monitor", up).returncode == 0
    assert agent("stop", up).returncode == 0  # an ordinary halt or move never fences
    assert agent("monitor", up).returncode == 7


@pytest.mark.parametrize("attrs", ["fc-subnet-203-0-113-0-24=0 fc-ping-203-0-113-0-24=1",
                                   "fc-subnet-203-0-113-0-24=1 fc-ping-203-0-113-0-24=0"])
def test_the_stop_fails_when_a_subnet_is_down(agent, attrs):
    assert agent("start", attrs).returncode == 0
    assert agent("monitor", attrs).returncode == 0  # the guard only acts on the stop
    result = agent("stop", attrs)
    assert result.returncode == 1
    down = attrs.split()[0 if "=0" in attrs.split()[0] else 1].split("=")[0]
    assert "ocf-exit-reason:monitored subnet down on this node ({0} = 0): node_fail_fast_enabled, the node is to " \
           "be reset".format(down) in result.stderr


def test_an_unset_attribute_is_not_a_failure(agent):
    # the monitor is not running (stopped, or not started yet): nothing says the subnet is down
    assert agent("start", "").returncode == 0
    assert agent("stop", "").returncode == 0


def test_attributes_are_required(agent):
    assert agent("validate-all", "", watched="").returncode == 6
    assert agent("validate-all", "", watched="fc-subnet-203-0-113-0-24").returncode == 0
    assert "<parameter name=\"attributes\"" in agent("meta-data").stdout
