"""ocf:failover:ip (roles/ocf_agents/files/resource.d/failover/ip) on a real link: two network
namespaces joined by a veth pair, "node" runs the agent, "holder" plays a host that still answers
for the address. The assertions read the kernel's addresses (``ip -n NS addr``), not only the
agent's exit code.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time

import pytest
from test_ocf_agents import AGENTS, OCF_TESTER

pytestmark = pytest.mark.skipif(os.geteuid() != 0 or shutil.which("ip") is None, reason="needs root and iproute2")

ADDRESS = "198.51.100.77"


def sh(*argv, check=True):
    return subprocess.run(list(argv), capture_output=True, text=True, check=check, timeout=60)


@pytest.fixture
def link():
    tag = f"fcip{os.getpid() % 100000}"
    node, holder = f"{tag}n", f"{tag}h"
    sh("ip", "netns", "add", node)
    sh("ip", "netns", "add", holder)
    try:
        sh("ip", "link", "add", "eth0", "netns", node, "type", "veth", "peer", "name", "eth0", "netns", holder)
        for ns, own in ((node, "198.51.100.11/24"), (holder, "198.51.100.12/24")):
            sh("ip", "-n", ns, "link", "set", "lo", "up")
            sh("ip", "-n", ns, "link", "set", "eth0", "up")
            sh("ip", "-n", ns, "addr", "add", own, "dev", "eth0")
        yield node, holder
    finally:
        sh("ip", "netns", "del", node, check=False)
        sh("ip", "netns", "del", holder, check=False)


def agent(ns, action, timeout_ms=20000, **params):
    env = dict(os.environ, OCF_ROOT="/usr/lib/ocf", OCF_RESOURCE_INSTANCE="pkg.ip0",
               OCF_RESKEY_CRM_meta_timeout=str(timeout_ms), OCF_RESKEY_CRM_meta_interval="0",
               OCF_RESKEY_ip=ADDRESS, OCF_RESKEY_cidr_netmask="24")
    env.update({f"OCF_RESKEY_{k}": str(v) for k, v in params.items()})
    return subprocess.run(["ip", "netns", "exec", ns, str(AGENTS / "ip"), action], capture_output=True, text=True,
                          env=env, timeout=60, check=False)


def holds(ns):
    return ADDRESS in sh("ip", "-n", ns, "-4", "-o", "addr", "show", "dev", "eth0").stdout


def mac(ns):
    return sh("ip", "netns", "exec", ns, "cat", "/sys/class/net/eth0/address").stdout.strip()


def test_free_address_is_added_and_removed(link):
    node, holder = link
    assert agent(node, "monitor").returncode == 7
    started = agent(node, "start")
    assert started.returncode == 0, started.stderr
    assert holds(node) and not holds(holder)
    assert agent(node, "monitor").returncode == 0
    assert agent(node, "start").returncode == 0  # already there: IPaddr2's idempotent start
    assert agent(node, "stop").returncode == 0
    assert not holds(node)
    assert agent(node, "stop").returncode == 0


def test_address_in_use_is_never_added(link):
    node, holder = link
    sh("ip", "-n", holder, "addr", "add", f"{ADDRESS}/24", "dev", "eth0")
    t0 = time.monotonic()
    started = agent(node, "start", timeout_ms=4000)
    assert started.returncode == 1
    reason = [line for line in started.stderr.splitlines() if line.startswith("ocf-exit-reason:")]
    assert reason and f"{ADDRESS} is in use: {mac(holder)} still answered" in reason[0], started.stderr
    assert 0.9 < time.monotonic() - t0 < 10  # it kept probing until the start's timeout minus 5 s (min 1 s)
    assert not holds(node) and holds(holder)


def test_address_is_added_once_the_holder_released_it(link):
    node, holder = link
    sh("ip", "-n", holder, "addr", "add", f"{ADDRESS}/24", "dev", "eth0")
    release = threading.Timer(1.5, lambda: sh("ip", "-n", holder, "addr", "del", f"{ADDRESS}/24", "dev", "eth0"))
    release.start()
    try:
        t0 = time.monotonic()
        started = agent(node, "start")
        waited = time.monotonic() - t0
    finally:
        release.join()
    assert started.returncode == 0, started.stderr
    assert waited >= 1.5, waited
    assert f"{ADDRESS} was released by {mac(holder)}" in started.stderr
    assert holds(node) and not holds(holder)
    assert agent(node, "stop").returncode == 0


def test_bad_parameters_are_refused(link):
    node, _holder = link
    result = agent(node, "validate-all", release_window="soon")
    assert result.returncode == 6 and "release_window='soon' is not a whole number" in result.stderr
    result = agent(node, "start", nic="nosuch0")
    assert result.returncode == 6 and "interface nosuch0: " in result.stderr
    assert not holds(node)


@pytest.mark.skipif(not os.access(OCF_TESTER, os.X_OK) or shutil.which("xmllint") is None,
                    reason="needs ocf-tester (resource-agents) and xmllint")
def test_ocf_tester(link):
    node, _holder = link
    proc = subprocess.run(["ip", "netns", "exec", node, OCF_TESTER, "-n", "test_ip", "-o", f"ip={ADDRESS}",
                           "-o", "cidr_netmask=24", str(AGENTS / "ip")], capture_output=True, text=True, timeout=300,
                          check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert not holds(node)
