"""Monitoring on a real cluster (issue 13): a generic resource set to down on the holder moves its
package; a link failure of the holder's interface on a monitored data subnet moves its package.

One lab (tests/integration/monitoring/lab.yml: node1, node2, qs on the heartbeat network
198.51.100.0/24; node1 and node2 also on the data network 203.0.113.0/24), provisioned by
playbooks/provision.yml with the description of inventories/lab, the nodes' data addresses as
stationary addresses, and two packages:

* ``grpkg`` (node_name node1, node2; failback manual) names the simple generic resource ``dbmon``
  (during_package_start: a node where nothing set it yet is eligible);
* ``netpkg`` (node_name node1, node2; failback manual) monitors 203.0.113.0/24.

Generic resources, with the module ``failover.cluster.generic_resource`` run through ansible on
the nodes, the way a site's monitor would call it:

1. the package's rule is in the CIB (``fc.grpkg.gr.dbmon``) and the package runs on node1;
2. ``status: down`` on node1 in check mode changes nothing (no attribute, package stays);
3. ``status: down`` on node1: the transient attribute ``fc-gr-dbmon=down`` is in node1's status
   section and the package runs on node2 (crm_mon); the same call again reports no change;
4. ``status: up`` on node1: the package stays on node2 (failback manual);
5. ``status: down`` on node2: the package comes back to node1 (up there again).

Monitored subnet: the shared monitor ``fc-subnet-203-0-113-0-24`` runs on both nodes and their
attribute is 1; ``ip link set <if> down`` on the holder's data interface (the heartbeat network
stays up) -> the attribute is 0 there and the package runs on the other node, both nodes still
online; link up again -> 1, and the package stays (failback manual).

IP monitor (the cluster field ``ip_monitor``: polling target 203.0.113.1, the controller's address on
the data network): the shared ping clone ``fc-ping-203-0-113-0-24`` runs on both nodes and their
attribute is 1 (one target answers); an nftables rule in the holder's namespace drops its packets
to the target (the link stays up: the link attribute stays 1 and ``ip addr`` still shows the
address) -> the ping attribute is 0 there and the package runs on the other node, both nodes still
online, ``cluster_info`` showing the subnet up at link level and down at IP level on the holder;
rule removed -> 1 again, and the package stays (failback manual).

Every assertion is on the cluster's real state (``cibadmin --query``, ``crm_mon``, ``ip``).

    sudo .venv/bin/pytest -m lab tests/integration/test_monitoring_lab.py   # ~4 min
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
LABCTL = [sys.executable, str(ROOT / "lab" / "labctl")]
PREFIX = os.environ.get("MONITORING_LAB_PREFIX", "hdmon")
DATA_NET = "203.0.113.0/24"
MONITOR = "fc-subnet-203-0-113-0-24"
PING = "fc-ping-203-0-113-0-24"
TARGET = "203.0.113.1"  # the controller namespace's address on the data network
IP_MONITOR = [{"subnet": DATA_NET, "polling_targets": [TARGET]}]
VENV_BIN = Path(sys.executable).parent

pytestmark = [pytest.mark.lab, pytest.mark.slow,
              pytest.mark.skipif(os.geteuid() != 0, reason="the namespace lab needs root")]

GRPKG = {"package_name": "grpkg", "node_name": ["node1", "node2"], "failback_policy": "manual",
         "services": [{"service_name": "main", "service_cmd": "/bin/sleep infinity"}],
         "generic_resources": [{"generic_resource_name": "dbmon"}]}
NETPKG = {"package_name": "netpkg", "node_name": ["node1", "node2"], "failback_policy": "manual",
          "services": [{"service_name": "main", "service_cmd": "/bin/sleep infinity"}],
          "monitored_subnet": [DATA_NET]}
NODES = [{"name": "node1", "addresses": ["198.51.100.11/24"], "stationary_addresses": ["203.0.113.11/24"]},
         {"name": "node2", "addresses": ["198.51.100.12/24"], "stationary_addresses": ["203.0.113.12/24"]}]


def lab(*args, check=True, timeout=180):
    return subprocess.run([*LABCTL, "--prefix", PREFIX, *args], capture_output=True, text=True, check=check,
                          timeout=timeout)


def env():
    return dict(os.environ, PATH=f"{VENV_BIN}:{os.environ['PATH']}", ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"),
                ANSIBLE_FORCE_COLOR="0")


def playbook(work, name, extra):
    path = work / "extra.yml"
    path.write_text(yaml.safe_dump(extra))
    argv = [str(VENV_BIN / "ansible-playbook"), "-i", str(work / "lab.yml"), "-i", str(ROOT / "inventories" / "lab"),
            "-e", f"@{path}", str(ROOT / "playbooks" / name)]
    return subprocess.run(argv, capture_output=True, text=True, cwd=ROOT,
                          env=env(), timeout=900, check=False)


def adhoc(work, host, args, *options, check=True):
    """Run failover.cluster.generic_resource on ``host`` (ansible ad hoc, one-line output); its JSON result."""
    argv = [str(VENV_BIN / "ansible"), "-i", str(work / "lab.yml"), "-i", str(ROOT / "inventories" / "lab"), host,
            "-o", *options, "-m", "failover.cluster.generic_resource", "-a", args]
    proc = subprocess.run(argv, capture_output=True, text=True, cwd=ROOT, env=env(), timeout=120, check=False)
    if check:
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    line = next(x for x in proc.stdout.splitlines() if x.startswith(host + " | "))
    data = json.loads(line.split(" => ", 1)[1])
    data.setdefault("failed", line.split(" | ", 1)[1].startswith("FAILED"))  # the one-line form leaves it out
    return data


def set_resource(work, host, *options):
    return adhoc(work, host, " ".join(["generic_resource_name=dbmon", *options]))


def node_cmd(*argv, host="node1"):
    return lab("exec", host, "--", *argv).stdout


def crm_mon():
    return ET.fromstring(node_cmd("crm_mon", "-1", "--output-as=xml", "--inactive"))


def holder(package="grpkg"):
    """The node where the package's service is started (crm_mon), or None."""
    for resource in crm_mon().iter("resource"):
        if resource.get("id") == f"fc.{package}.svc.main" and resource.get("role") == "Started":
            node = resource.find("node")
            return node.get("name") if node is not None else None
    return None


def wait_holder(node, timeout=60, package="grpkg"):
    deadline = time.monotonic() + timeout
    seen = None
    while time.monotonic() < deadline:
        seen = holder(package)
        if seen == node:
            return seen
        time.sleep(0.25)
    raise AssertionError(f"{package}: expected on {node} within {timeout}s, last seen on {seen}")


def transient(node, name="fc-gr-dbmon"):
    """node's transient attribute ``name`` in the CIB status section, or None."""
    from ansible_collections.failover.cluster.plugins.module_utils._status import transient_attributes

    return transient_attributes(ET.fromstring(node_cmd("cibadmin", "--query", "--scope", "status"))).get(
        node, {}).get(name)


@pytest.fixture(scope="module")
def provisioned(tmp_path_factory):
    work = tmp_path_factory.mktemp("generic")
    lab("up", "--replace", "--spec", str(Path(__file__).parent / "monitoring" / "lab.yml"))
    try:
        lab("inventory", "-o", str(work / "lab.yml"))
        for node in ("node1", "node2"):
            lab("exec", node, "--", "sh", "-c", "systemctl stop pacemaker corosync corosync-qdevice 2>/dev/null; "
                "rm -f /etc/corosync/corosync.conf /etc/corosync/authkey", check=False)
        proc = playbook(work, "provision.yml", {"packages_list": [GRPKG, NETPKG], "cluster_nodes": NODES,
                                                   "cluster_ip_monitor": IP_MONITOR})
        assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
        yield work
    finally:
        lab("down", check=False)


def test_generic_resource_down_on_the_holder_moves_the_package(provisioned):
    constraints = ET.fromstring(node_cmd("cibadmin", "--query", "--scope", "constraints"))
    rule = constraints.find("rsc_location[@id='fc.grpkg.gr.dbmon']")
    assert rule is not None and rule.get("rsc") == "fc.grpkg"
    assert [(e.get("attribute"), e.get("operation"), e.get("value")) for e in rule.iter("expression")] == [
        ("fc-gr-dbmon", "eq", "down")]
    assert wait_holder("node1") == "node1"

    # check mode: nothing is written, the package stays
    result = adhoc(provisioned, "node1", "generic_resource_name=dbmon status=down", "--check")
    assert result["changed"] is True and result["value"] == "down" and result["previous"] is None
    assert transient("node1") is None
    time.sleep(3)
    assert holder() == "node1"

    # down on the holder: the package moves
    begin = time.monotonic()
    result = set_resource(provisioned, "node1", "status=down")
    assert result["changed"] is True and result["node"] == "node1" and result["up"] is False
    assert result["packages"] == ["grpkg"] and result["kind"] == "simple"
    assert transient("node1") == "down"
    wait_holder("node2")
    print(f"generic resource down -> package on node2 after {time.monotonic() - begin:.1f} s")
    again = set_resource(provisioned, "node1", "status=down")
    assert again["changed"] is False and again["value"] == "down"

    # a value of the wrong kind is refused before anything changes
    refused = adhoc(provisioned, "node1", "generic_resource_name=dbmon value=5", check=False)
    assert refused["failed"] is True and refused["changed"] is False
    assert refused["msg"] == "value: dbmon is a simple generic resource in package(s) grpkg; give status (up, down " \
                             "or unknown)"
    assert transient("node1") == "down"

    # up again on node1: failback manual, the package stays on node2
    result = set_resource(provisioned, "node1", "status=up")
    assert result["changed"] is True and result["up"] is True and transient("node1") == "up"
    time.sleep(5)
    assert holder() == "node2"

    # down on node2: back to node1
    set_resource(provisioned, "node2", "status=down")
    assert transient("node2") == "down"
    wait_holder("node1")


def wait_attribute(node, value, timeout=30, name=MONITOR):
    deadline = time.monotonic() + timeout
    seen = None
    while time.monotonic() < deadline:
        seen = transient(node, name)
        if seen == value:
            return seen
        time.sleep(0.25)
    raise AssertionError(f"{name} on {node}: expected {value} within {timeout}s, last seen {seen}")


def data_interface(node):
    """The interface that carries the node's address on the data network."""
    out = node_cmd("ip", "-o", "-4", "addr", "show", "to", DATA_NET, host=node)
    return out.split()[1].split("@")[0]


def test_link_down_on_the_holders_data_interface_moves_the_package(provisioned):
    resources = ET.fromstring(node_cmd("cibadmin", "--query", "--scope", "resources"))
    clone = resources.find(f"clone[@id='{MONITOR}']")
    assert clone is not None and clone.find("primitive").get("type") == "subnet"
    constraints = ET.fromstring(node_cmd("cibadmin", "--query", "--scope", "constraints"))
    assert constraints.find("rsc_location[@id='fc.netpkg.net.203-0-113-0-24']") is not None
    for node in ("node1", "node2"):
        wait_attribute(node, "1")
    first = wait_holder("node1", package="netpkg")
    other = "node2" if first == "node1" else "node1"
    nic = data_interface(first)

    begin = time.monotonic()
    node_cmd("ip", "link", "set", "dev", nic, "down", host=first)
    try:
        wait_attribute(first, "0")
        wait_holder(other, package="netpkg")
        print(f"data link down on {first} -> netpkg on {other} after {time.monotonic() - begin:.1f} s")
        # the heartbeat network is untouched: both nodes are still online members
        online = {n.get("name"): n.get("online") for n in crm_mon().findall("./nodes/node")}
        assert online.get("node1") == "true" and online.get("node2") == "true", online
        info = adhoc_info(provisioned)
        subnet = next(s for s in info["subnets"] if s["subnet"] == DATA_NET)
        assert {v["node"]: v["up"] for v in subnet["nodes"]} == {first: False, other: True}
        assert subnet["packages"] == ["netpkg"]
    finally:
        node_cmd("ip", "link", "set", "dev", nic, "up", host=first)
    wait_attribute(first, "1")
    time.sleep(5)
    assert holder("netpkg") == other  # failback manual


def adhoc_info(work):
    argv = [str(VENV_BIN / "ansible"), "-i", str(work / "lab.yml"), "-i", str(ROOT / "inventories" / "lab"), "node1",
            "-o", "-m", "failover.cluster.cluster_info"]
    proc = subprocess.run(argv, capture_output=True, text=True, cwd=ROOT, env=env(), timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    line = next(x for x in proc.stdout.splitlines() if x.startswith("node1 | "))
    return json.loads(line.split(" => ", 1)[1])


def test_polling_target_unreachable_from_the_holder_moves_the_package(provisioned):
    resources = ET.fromstring(node_cmd("cibadmin", "--query", "--scope", "resources"))
    clone = resources.find(f"clone[@id='{PING}']")
    assert clone is not None and clone.find("primitive").get("type") == "ping"
    params = {n.get("name"): n.get("value") for n in clone.iter("nvpair")}
    assert params["host_list"] == TARGET and params["name"] == PING
    constraints = ET.fromstring(node_cmd("cibadmin", "--query", "--scope", "constraints"))
    rule = constraints.find("rsc_location[@id='fc.netpkg.net.203-0-113-0-24']")
    assert PING in [e.get("attribute") for e in rule.iter("expression")]
    for node in ("node1", "node2"):
        wait_attribute(node, "1")
        wait_attribute(node, "1", name=PING)
    first = holder("netpkg")
    assert first in ("node1", "node2")
    other = "node2" if first == "node1" else "node1"
    nic = data_interface(first)

    drop = ["nft", "add", "rule", "inet", "fctest", "out", "ip", "daddr", TARGET, "drop"]
    node_cmd("nft", "add", "table", "inet", "fctest", host=first)
    begin = time.monotonic()
    try:
        node_cmd("nft", "add", "chain", "inet", "fctest", "out", "{ type filter hook output priority 0 ; }",
                 host=first)
        node_cmd(*drop, host=first)
        wait_attribute(first, "0", name=PING)
        wait_holder(other, package="netpkg")
        print(f"polling target unreachable from {first} -> netpkg on {other} after {time.monotonic() - begin:.1f} s")
        # the link is up and the address is there: only the IP level failed, and only on the holder
        assert transient(first, MONITOR) == "1" and transient(other, PING) == "1"
        link = node_cmd("ip", "-o", "link", "show", "dev", nic, host=first)
        assert "state UP" in link or ",UP" in link, link
        assert "203.0.113." in node_cmd("ip", "-o", "-4", "addr", "show", "dev", nic, host=first)
        online = {n.get("name"): n.get("online") for n in crm_mon().findall("./nodes/node")}
        assert online.get("node1") == "true" and online.get("node2") == "true", online
        info = adhoc_info(provisioned)
        subnet = next(s for s in info["subnets"] if s["subnet"] == DATA_NET)
        assert subnet["polling_targets"] == [TARGET]
        per_node = {v["node"]: (v["up"], v["ip_up"], v["targets_answering"]) for v in subnet["nodes"]}
        assert per_node == {first: (True, False, "0"), other: (True, True, "1")}
        assert f"{DATA_NET:<20}{first:<16}{'up':<10}{'down 0/1':<14}netpkg" in info["table"]
    finally:
        node_cmd("nft", "delete", "table", "inet", "fctest", host=first)
    wait_attribute(first, "1", name=PING)
    time.sleep(5)
    assert holder("netpkg") == other  # failback manual
