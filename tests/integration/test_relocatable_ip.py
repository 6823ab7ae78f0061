"""failover.cluster.relocatable_ip on a real veth pair between two private network namespaces.

The module runs in the "host" namespace; the "peer" namespace is the other host on the
segment (it answers ARP for an address to test duplicate detection, and records gratuitous
ARP in its neighbour table). Only 198.51.100.0/24 is used, only inside these namespaces.
"""

from __future__ import annotations

import json
import os
import uuid

import pytest
from pacemaker_node import NetPeers

pytestmark = [pytest.mark.lab,
              pytest.mark.skipif(os.geteuid() != 0, reason="needs root (network namespaces)")]

SUBNET = "198.51.100.0/24"


@pytest.fixture
def net():
    peers = NetPeers("fr" + uuid.uuid4().hex[:8]).start()
    peers.run(peers.host, ["ip", "addr", "add", "198.51.100.11/24", "dev", peers.host_if])
    peers.run(peers.peer, ["ip", "addr", "add", "198.51.100.12/24", "dev", peers.peer_if])
    # let the peer learn addresses from gratuitous ARP (per-namespace sysctl)
    peers.run(peers.peer, ["sysctl", "-q", "-w", "net.ipv4.conf.{0}.arp_accept=1".format(peers.peer_if)])
    try:
        yield peers
    finally:
        peers.stop()


def addresses(peers, pid, ifname):
    data = json.loads(peers.run(pid, ["ip", "-j", "addr", "show", "dev", ifname]).stdout)
    return ["{0}/{1}".format(a["local"], a["prefixlen"]) for a in data[0]["addr_info"] if a["family"] == "inet"]


def neighbour_mac(peers, address):
    data = json.loads(peers.run(peers.peer, ["ip", "-j", "neigh", "show", address]).stdout or "[]")
    return data[0].get("lladdr") if data else None


def test_add_idempotent_and_remove(run_module, net):
    wrap = net.wrap_of(net.host)
    args = {"address": "198.51.100.60", "subnet": SUBNET, "interface": net.host_if}
    check = run_module("relocatable_ip", wrap=wrap, _ansible_check_mode=True, _ansible_diff=True, **args)
    assert check["changed"] is True, check
    assert check["diff"]["after"] == "198.51.100.11/24\n198.51.100.60/24\n"
    assert check["duplicate"] == {"sent": 2, "received": 0, "macs": []}  # detection runs in check mode too
    assert addresses(net, net.host, net.host_if) == ["198.51.100.11/24"]

    added = run_module("relocatable_ip", wrap=wrap, **args)
    assert added["changed"] is True and added["address"] == "198.51.100.60/24", added
    assert addresses(net, net.host, net.host_if) == ["198.51.100.11/24", "198.51.100.60/24"]
    verbs = [c[1:3] for c in added["commands"]]
    assert verbs == [["-j", "addr"], ["-D", "-c"], ["addr", "add"], ["-U", "-c"]]  # DAD before, GARP after
    assert added["garp_sent"] == 2

    again = run_module("relocatable_ip", wrap=wrap, **args)
    assert again["changed"] is False and len(again["commands"]) == 1

    removed = run_module("relocatable_ip", wrap=wrap, address="198.51.100.60", state="absent", _ansible_diff=True)
    assert removed["changed"] is True and removed["interface"] == net.host_if, removed
    assert removed["diff"]["after"] == "198.51.100.11/24\n"
    assert addresses(net, net.host, net.host_if) == ["198.51.100.11/24"]
    assert run_module("relocatable_ip", wrap=wrap, address="198.51.100.60", state="absent")["changed"] is False


def test_duplicate_detection_names_the_mac_that_answered(run_module, net):
    net.run(net.peer, ["ip", "addr", "add", "198.51.100.61/24", "dev", net.peer_if])
    peer_mac = net.mac(net.peer, net.peer_if)
    wrap = net.wrap_of(net.host)
    for check_mode in (True, False):
        result = run_module("relocatable_ip", wrap=wrap, address="198.51.100.61", subnet=SUBNET,
                            interface=net.host_if, _ansible_check_mode=check_mode)
        assert result["failed"] is True
        assert result["msg"] == ("address: 198.51.100.61 is already in use on the network of {0}: answered by MAC "
                                 "{1}; nothing was added".format(net.host_if, peer_mac))
        assert result["duplicate"]["macs"] == [peer_mac]
        assert result["changed"] is False  # refused: nothing was (or would be) added
        assert "diff" not in result
    assert addresses(net, net.host, net.host_if) == ["198.51.100.11/24"]


def test_gratuitous_arp_reaches_the_peer(run_module, net):
    host_mac = net.mac(net.host, net.host_if)
    wrap = net.wrap_of(net.host)
    quiet = run_module("relocatable_ip", wrap=wrap, address="198.51.100.62", subnet=SUBNET, interface=net.host_if,
                       gratuitous_arp=False)
    assert quiet["changed"] is True and quiet["garp_sent"] == 0
    assert neighbour_mac(net, "198.51.100.62") is None  # adding an address alone announces nothing

    loud = run_module("relocatable_ip", wrap=wrap, address="198.51.100.63", subnet=SUBNET, interface=net.host_if)
    assert loud["changed"] is True and loud["garp_sent"] == 2
    assert neighbour_mac(net, "198.51.100.63") == host_mac


@pytest.mark.parametrize("address, subnet, message", [
    ("198.51.100.0", SUBNET, "address: 198.51.100.0 is the network address of 198.51.100.0/24"),
    ("198.51.100.255", SUBNET, "address: 198.51.100.255 is the broadcast address of 198.51.100.0/24"),
    ("203.0.113.5", SUBNET, "address: 203.0.113.5 is not inside subnet 198.51.100.0/24"),
    ("198.51.100.300", SUBNET, "address: 198.51.100.300 is not a valid IPv4/IPv6 address"),
])
def test_netaddr_checks_refuse_before_touching_anything(run_module, net, address, subnet, message):
    result = run_module("relocatable_ip", wrap=net.wrap_of(net.host), address=address, subnet=subnet,
                        interface=net.host_if)
    assert result["failed"] is True and result["msg"] == message
    assert result["commands"] == []
