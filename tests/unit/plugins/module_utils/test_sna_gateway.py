"""The sna_gateway role's preflight validation: every problem, named by the role variable."""

from __future__ import annotations

import pytest

from ansible_collections.failover.cluster.plugins.filter.sna_gateway_problems import sna_gateway_problems
from ansible_collections.failover.cluster.plugins.module_utils._sna_gateway import gateway_problems

CLUSTER = {
    "name": "gw",
    "nodes": [
        {"name": "node1", "addresses": ["198.51.100.11/24"]},
        {"name": "node2", "addresses": ["198.51.100.12/24"], "stationary_addresses": ["203.0.113.12/24"]},
    ],
    "quorum_server": {"host": "qs", "address": "198.51.100.13"},
}
GOOD = {
    "package_name": "sna",
    "nodes": [],
    "ip": {"ip_address": "198.51.100.50", "ip_subnet": "198.51.100.0/24"},
    "node": {"fqcp_name": "APPN.GWNODE"},
    "port": {"port_name": "HAPORT", "udp_port": 12000},
    "link_stations": [
        {"ls_name": "HALS1", "remote_ip_host": "198.51.100.14", "pu_name": "HAPU1", "remote_udp_port": 12000},
        {"ls_name": "HALS2", "remote_ip_host": "198.51.100.14", "pu_name": "HAPU2"},
    ],
}


def problems(**change):
    return gateway_problems(CLUSTER, **{**GOOD, **change})


def test_a_good_description_has_no_problem():
    assert problems() == []
    assert sna_gateway_problems(CLUSTER, "sna", None, GOOD["ip"], GOOD["node"], GOOD["port"],
                                GOOD["link_stations"]) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"link_stations": []}, ["sna_gateway_link_stations: at least one link station is needed"]),
        ({"link_stations": "HALS1"}, ["sna_gateway_link_stations: must be a list, got a string"]),
        (
            {"link_stations": [{"ls_name": "ha;ls", "remote_ip_host": "198.51.100.14", "pu_name": "HAPU1"}]},
            ["sna_gateway_link_stations[0].ls_name: 'ha;ls' is not allowed: expected 1-8 characters A-Z 0-9 @ # $, "
             "not starting with a digit"],
        ),
        (
            {"link_stations": [{"ls_name": "HALS1", "remote_ip_host": "198.51.100.14"}]},
            ["sna_gateway_link_stations[0].pu_name: is required"],
        ),
        (
            {"link_stations": [GOOD["link_stations"][0], dict(GOOD["link_stations"][1], ls_name="HALS1")]},
            ["sna_gateway_link_stations[1].ls_name: HALS1 is already used by sna_gateway_link_stations[0]"],
        ),
        (
            {"link_stations": [GOOD["link_stations"][0], dict(GOOD["link_stations"][1], pu_name="HAPU1")]},
            ["sna_gateway_link_stations[1].pu_name: PU HAPU1 on 198.51.100.14 is already used by "
             "sna_gateway_link_stations[0]; the remote host admits one link station per PU"],
        ),
        (
            {"link_stations": [dict(GOOD["link_stations"][0], remote_udp_port=70000, pu="X")]},
            ["sna_gateway_link_stations[0].pu: unknown field (allowed: ls_name, pu_name, remote_ip_host, "
             "remote_udp_port)",
             "sna_gateway_link_stations[0].remote_udp_port: '70000' is not allowed: expected a UDP port number "
             "1-65535"],
        ),
        ({"node": {"fqcp_name": "GWNODE"}},
         ["sna_gateway_node.fqcp_name: 'GWNODE' is not allowed: expected NETID.NAME, each part 1-8 characters "
          "A-Z 0-9 @ # $"]),
        ({"port": {"udp_port": 12000}}, ["sna_gateway_port.port_name: is required"]),
        ({"ip": {"ip_address": "198.51.100.50"}}, ["sna_gateway_ip.ip_subnet: is required"]),
        ({"ip": {"ip_address": "203.0.113.50", "ip_subnet": "198.51.100.0/24"}},
         ["sna_gateway_ip.ip_address: 203.0.113.50 is not inside ip_subnet 198.51.100.0/24"]),
        ({"ip": {"ip_address": "198.51.100.255", "ip_subnet": "198.51.100.0/24"}},
         ["sna_gateway_ip.ip_address: 198.51.100.255 is the broadcast address of 198.51.100.0/24"]),
        ({"ip": {"ip_address": "203.0.113.50", "ip_subnet": "203.0.113.0/24"}},
         ["sna_gateway_ip.ip_subnet: node1 has no address on 203.0.113.0/24; every node in node_name needs an "
          "interface on the subnet (add a stationary address)"]),
        ({"nodes": ["node1", "node9"]},
         ["sna_gateway_nodes[1]: 'node9' is not a node of cluster gw (nodes: node1, node2)"]),
        ({"package_name": "sna gw"},
         ["sna_gateway_package_name: 'sna gw' is not a valid package name: use letters, digits, '-' and '_', "
          "starting with a letter or digit"]),
    ],
)
def test_each_problem_names_the_variable_and_the_rule(change, expected):
    assert problems(**change) == expected


def test_the_subnet_of_a_stationary_address_is_fine_on_the_nodes_that_have_it():
    assert problems(nodes=["node2"], ip={"ip_address": "203.0.113.50", "ip_subnet": "203.0.113.0/24"}) == []
