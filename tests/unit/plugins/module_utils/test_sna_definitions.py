"""The batched definitions plan (sna_definitions): what differs is written, nothing else."""

from __future__ import annotations

import pytest

from ansible_collections.failover.cluster.plugins.module_utils._sna import SnaArgumentError
from ansible_collections.failover.cluster.plugins.module_utils._sna_definitions import (
    plan_definitions,
    wanted_definitions,
)

NODE = {"fqcp_name": "APPN.GWNODE", "cp_alias": "GWNODE", "node_type": "END_NODE", "node_id": "05D12345",
        "description": "", "node_status": "NOT_ACTIVE"}
PORT = {"port_name": "HAPORT", "local_ip": "198.51.100.50", "udp_port": "12000", "description": "",
        "port_state": "NOT_ACTIVE"}


def ls_block(i, state="NOT_ACTIVE", **extra):
    return {"ls_name": f"LS{i:03d}", "port_name": "HAPORT", "remote_ip_host": "198.51.100.14",
            "remote_udp_port": "12000", "pu_name": f"PU{i:03d}", "adj_cp_name": "", "description": "",
            "state": state, **extra}


def wanted(count):
    return wanted_definitions(
        {"fqcp_name": "APPN.GWNODE", "node_id": "05D12345"},
        {"port_name": "HAPORT", "local_ip": "198.51.100.50", "udp_port": 12000},
        [{"ls_name": f"LS{i:03d}", "remote_ip_host": "198.51.100.14", "pu_name": f"PU{i:03d}",
          "remote_udp_port": None} for i in range(count)])


def test_nothing_to_do_when_64_match():
    node, port, lss = wanted(64)
    current = {f"LS{i:03d}": ls_block(i) for i in range(64)}
    assert plan_definitions(NODE, {"HAPORT": PORT}, current, node, port, lss) == ([], {}, [])


def test_one_deleted_and_one_changed_are_the_only_writes():
    node, port, lss = wanted(64)
    current = {f"LS{i:03d}": ls_block(i) for i in range(64)}
    del current["LS007"]
    current["LS012"] = ls_block(12, remote_ip_host="198.51.100.99")
    steps, drift, blocked = plan_definitions(NODE, {"HAPORT": PORT}, current, node, port, lss)
    assert [(s[1], s[2]["ls_name"]) for s in steps] == [("define_ip_ls", "LS007"), ("define_ip_ls", "LS012")]
    assert steps[0][2] == {"ls_name": "LS007", "port_name": "HAPORT", "remote_ip_host": "198.51.100.14",
                           "pu_name": "PU007"}
    # a redefinition keeps what the wanted definition does not set
    assert steps[1][2]["remote_udp_port"] == "12000" and steps[1][2]["remote_ip_host"] == "198.51.100.14"
    assert drift == {"ls LS007": ["missing"], "ls LS012": ["remote_ip_host"]}
    assert blocked == []


def test_empty_node_writes_everything_in_the_products_order():
    node, port, lss = wanted(3)
    steps, drift, blocked = plan_definitions(None, {}, {}, node, port, lss)
    assert [s[1] for s in steps] == ["define_node", "define_ip_port"] + ["define_ip_ls"] * 3
    assert list(drift) == ["node", "port HAPORT", "ls LS000", "ls LS001", "ls LS002"]


def test_running_objects_that_differ_are_blocked_not_stopped():
    node, port, lss = wanted(2)
    current = {"LS000": ls_block(0, state="ACTIVE", pu_name="OLDPU"), "LS001": ls_block(1)}
    active_port = dict(PORT, port_state="ACTIVE", udp_port="12001")
    steps, drift, blocked = plan_definitions(dict(NODE, node_status="ACTIVE"), {"HAPORT": active_port}, current,
                                             node, port, lss)
    assert steps == []
    assert drift == {"port HAPORT": ["udp_port"], "ls LS000": ["pu_name"]}
    assert [b.split(":", 1)[0] for b in blocked] == ["port HAPORT", "ls LS000"]
    assert "can only be changed while stopped" in blocked[1]


def test_prune_deletes_stopped_extras_on_this_port_only():
    node, port, lss = wanted(1)
    current = {"LS000": ls_block(0), "LS050": ls_block(50), "LS051": ls_block(51, state="ACTIVE"),
               "OTHER": ls_block(9, ls_name="OTHER", port_name="PORT2")}
    steps, drift, blocked = plan_definitions(NODE, {"HAPORT": PORT}, current, node, port, lss)
    assert (steps, blocked) == ([], [])
    steps, drift, blocked = plan_definitions(NODE, {"HAPORT": PORT}, current, node, port, lss, prune=True)
    assert steps == [("admin", "delete_ls", {"ls_name": "LS050"})]
    assert drift == {"ls LS050": ["extra"], "ls LS051": ["extra"]}
    assert blocked == ["ls LS051: not in link_stations but ACTIVE: stop it before it can be deleted"]


@pytest.mark.parametrize(
    ("node", "port", "lss", "message"),
    [
        ({}, {"port_name": "P", "local_ip": "198.51.100.1"}, [], "node.fqcp_name: required"),
        ({"fqcp_name": "appn.x"}, {"port_name": "P", "local_ip": "198.51.100.1"}, [],
         "node.fqcp_name: 'appn.x' is not allowed: expected NETID.NAME, each part 1-8 characters A-Z 0-9 @ # $"),
        ({"fqcp_name": "APPN.X"}, {"port_name": "P", "local_ip": "300.1.1.1"}, [],
         "port.local_ip: '300.1.1.1' is not allowed: expected an IPv4 or IPv6 address"),
        ({"fqcp_name": "APPN.X"}, {"port_name": "P", "local_ip": "198.51.100.1"},
         [{"ls_name": "A", "remote_ip_host": "h", "pu_name": "B", "port_name": "Q"}],
         "link_stations[0].port_name: Q is not this gateway's port P"),
        ({"fqcp_name": "APPN.X"}, {"port_name": "P", "local_ip": "198.51.100.1"},
         [{"ls_name": "A", "remote_ip_host": "h"}], "link_stations[0].pu_name: required"),
        ({"fqcp_name": "APPN.X"}, {"port_name": "P", "local_ip": "198.51.100.1"},
         [{"ls_name": "A", "remote_ip_host": "h", "pu_name": "B", "colour": "red"}],
         "link_stations[0].colour: unknown key (known: ls_name, port_name, remote_ip_host, remote_udp_port, "
         "pu_name, adj_cp_name, description)"),
    ],
)
def test_bad_input_names_the_field(node, port, lss, message):
    with pytest.raises(SnaArgumentError) as err:
        wanted_definitions(node, port, lss)
    assert str(err.value) == message
