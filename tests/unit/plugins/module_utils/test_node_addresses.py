"""Every node holds its heartbeat and stationary addresses: compared with what ``ip -j addr`` printed."""

from __future__ import annotations

import json
from pathlib import Path

from ansible_collections.failover.cluster.plugins.filter.node_address_problems import node_address_problems as filt
from ansible_collections.failover.cluster.plugins.module_utils._ipaddr import parse_ip_json
from ansible_collections.failover.cluster.plugins.module_utils._node_addresses import node_address_problems

FIXTURES = Path(__file__).parent / "fixtures"


def ip_json(*interfaces):
    """``ip -j addr show`` text: (ifname, up, ["addr/prefix", ...]) per interface, after lo."""
    links = [{"ifname": "lo", "flags": ["LOOPBACK", "UP", "LOWER_UP"], "address": "00:00:00:00:00:00",
              "addr_info": [{"family": "inet", "local": "127.0.0.1", "prefixlen": 8, "label": "lo"}]}]
    for n, (ifname, up, addresses) in enumerate(interfaces):
        links.append({
            "ifname": ifname,
            "flags": ["BROADCAST", "MULTICAST"] + (["UP", "LOWER_UP"] if up else []),
            "address": "02:00:5e:00:53:{0:02x}".format(n),
            "addr_info": [{"family": "inet", "local": a.split("/")[0], "prefixlen": int(a.split("/")[1]),
                           "label": ifname} for a in addresses],
        })
    return parse_ip_json(json.dumps(links))


def cluster(*nodes):
    return {"name": "gw", "nodes": [
        {"name": name, "node_id": i + 1, "addresses": list(hb), "stationary_addresses": list(st)}
        for i, (name, hb, st) in enumerate(nodes)]}


TWO = cluster(("node1", ["198.51.100.11/24"], ["203.0.113.11/24"]),
              ("node2", ["198.51.100.12/24"], ["203.0.113.12/24"]))
HOSTS = {
    "node1": ip_json(("eth0", True, ["198.51.100.11/24"]), ("eth1", True, ["203.0.113.11/24"])),
    "node2": ip_json(("eth0", True, ["198.51.100.12/24"]), ("eth1", True, ["203.0.113.12/24"])),
}


def test_every_node_holds_its_addresses():
    assert node_address_problems(TWO, HOSTS) == []


def test_the_lab_node_captured_from_the_real_ip_holds_its_heartbeat_address():
    links = parse_ip_json((FIXTURES / "ip_addr.json").read_text())
    assert node_address_problems(cluster(("node1", ["198.51.100.11/24"], [])), {"node1": links}) == []


def test_two_nodes_swapped_name_the_node_that_holds_each_address():
    swapped = cluster(("node1", ["198.51.100.12/24"], ["203.0.113.11/24"]),
                      ("node2", ["198.51.100.11/24"], ["203.0.113.12/24"]))
    assert node_address_problems(swapped, HOSTS) == [
        "cluster_nodes[0].addresses[0]: 198.51.100.12/24 is not an address of node1 (it is on node2)",
        "cluster_nodes[1].addresses[0]: 198.51.100.11/24 is not an address of node2 (it is on node1)",
    ]


def test_a_typo_is_on_no_node_of_the_cluster():
    typo = cluster(("node1", ["198.51.100.11/24"], ["203.0.113.11/24"]),
                   ("node2", ["198.51.100.21/24"], ["203.0.113.12/24"]))
    assert node_address_problems(typo, HOSTS) == [
        "cluster_nodes[1].addresses[0]: 198.51.100.21/24 is not an address of node2 (it is on no node of the cluster)",
    ]


def test_a_stationary_address_the_host_lacks():
    hosts = dict(HOSTS, node2=ip_json(("eth0", True, ["198.51.100.12/24"])))
    assert node_address_problems(TWO, hosts) == [
        "cluster_nodes[1].stationary_addresses[0]: 203.0.113.12/24 is not an address of node2 "
        "(it is on no node of the cluster)",
    ]


def test_another_prefix_length_and_an_interface_that_is_down():
    hosts = {
        "node1": ip_json(("eth0", True, ["198.51.100.11/25"]), ("eth1", True, ["203.0.113.11/24"])),
        "node2": ip_json(("eth0", True, ["198.51.100.12/24"]), ("eth1", False, ["203.0.113.12/24"])),
    }
    assert node_address_problems(TWO, hosts) == [
        "cluster_nodes[0].addresses[0]: 198.51.100.11/24 is on node1's interface eth0 as 198.51.100.11/25: "
        "the prefix length differs",
        "cluster_nodes[1].stationary_addresses[0]: 203.0.113.12/24 is on node2's interface eth1, which is down",
    ]


def test_one_interface_up_with_the_address_is_enough():
    hosts = dict(HOSTS, node1=ip_json(("eth9", False, ["198.51.100.11/24"]), ("eth0", True, ["198.51.100.11/24"]),
                                      ("eth1", True, ["203.0.113.11/24"])))
    assert node_address_problems(TWO, hosts) == []


def test_a_node_that_was_not_read_is_not_checked_and_names_no_holder():
    swapped = cluster(("node1", ["198.51.100.12/24"], []), ("node2", ["198.51.100.11/24"], []))
    assert node_address_problems(swapped, {"node1": HOSTS["node1"]}) == [
        "cluster_nodes[0].addresses[0]: 198.51.100.12/24 is not an address of node1 (it is on no node of the cluster)",
    ]


def test_the_field_prefix():
    typo = cluster(("node1", ["198.51.100.19/24"], []))
    assert node_address_problems(typo, HOSTS, prefix="") == [
        "nodes[0].addresses[0]: 198.51.100.19/24 is not an address of node1 (it is on no node of the cluster)",
    ]


def test_the_filter_takes_registered_results_and_leaves_skipped_hosts_out():
    registered = {
        "node1": {"changed": False, "interfaces": HOSTS["node1"]},
        "node2": {"changed": False, "interfaces": HOSTS["node1"]},  # node2 printed node1's addresses
        "qs": {"changed": False, "skipped": True},
    }
    assert filt(TWO, registered) == [
        "cluster_nodes[1].addresses[0]: 198.51.100.12/24 is not an address of node2 (it is on no node of the cluster)",
        "cluster_nodes[1].stationary_addresses[0]: 203.0.113.12/24 is not an address of node2 "
        "(it is on no node of the cluster)",
    ]
