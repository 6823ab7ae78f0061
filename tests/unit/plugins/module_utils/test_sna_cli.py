"""The SNA command-line layer (plugins/module_utils/_sna_cli.py, shared by the modules and the OCF
agents): command builders, output parsers, return-code classification.

The fixtures in fixtures/sna/ were printed by the project's SNA emulator (sna_emulator), captured
with tests/unit/sna_emulator/capture_sna_fixtures.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ansible_collections.failover.cluster.plugins.module_utils import _sna, _sna_cli
from ansible_collections.failover.cluster.plugins.module_utils._sna_cli import (
    LS_STATES,
    NOT_LOADED,
    SnaArgumentError,
    SnaCommandError,
    admin_argv,
    command_error,
    commands,
    daemon_argv,
    definition_diff,
    force_failure_reason,
    force_refusals,
    force_stop_argv,
    last_line,
    node_query_result,
    parse_blocks,
    parse_error,
    parse_query_ls,
    parse_query_node,
    parse_query_port,
)

FIXTURES = Path(__file__).parent / "fixtures" / "sna"


def fixture(name):
    return (FIXTURES / name).read_text()


# ---------------------------------------------------------------- flavours and argv


def test_flavours_name_the_commands():
    assert commands("snaplus2") == {"daemon": "snap", "admin": "snapadmin"}
    assert commands("cslinux") == {"daemon": "sna", "admin": "snaadmin"}
    assert commands("cslinux", admin="/opt/ibm/sna/bin/snaadmin")["admin"] == "/opt/ibm/sna/bin/snaadmin"
    with pytest.raises(SnaArgumentError) as err:
        commands("vtam")
    assert err.value.field == "flavour"


def test_admin_argv_is_split_like_the_shell_splits_the_product_syntax():
    assert admin_argv("start_ls", {"ls_name": "HALS"}) == ["snapadmin", "start_ls,", "ls_name=HALS"]
    assert admin_argv("init_node") == ["snapadmin", "init_node"]
    argv = admin_argv(
        "define_ip_ls",
        {
            "pu_name": "HAPU",
            "ls_name": "HALS",
            "remote_udp_port": 12000,
            "port_name": "HAPORT",
            "remote_ip_host": "host1.example.net",
            "description": "to the host",
            "adj_cp_name": None,
        },
        flavour="cslinux",
    )
    assert argv == [
        "snaadmin",
        "define_ip_ls,",
        "ls_name=HALS,",
        "port_name=HAPORT,",
        "remote_ip_host=host1.example.net,",
        "remote_udp_port=12000,",
        "pu_name=HAPU,",
        "description=to the host",
    ]
    assert admin_argv("stop_ls", {"ls_name": "HALS", "stop_type": "IMMEDIATE_STOP"})[-1] == "stop_type=IMMEDIATE_STOP"


@pytest.mark.parametrize(
    ("verb", "params", "field"),
    [
        ("start_ls", {"ls_name": "HALS; rm -rf /"}, "ls_name"),
        ("start_ls", {"ls_name": "hals"}, "ls_name"),
        ("start_ls", {"ls_name": "TOOLONGNAME"}, "ls_name"),
        ("start_ls", {"ls_name": "1HALS"}, "ls_name"),
        ("start_ls", {}, "ls_name"),
        ("start_ls", {"ls_name": "HALS", "force": True}, "force"),
        ("define_node", {"fqcp_name": "GWNODE"}, "fqcp_name"),
        ("define_node", {"fqcp_name": "APPN.GW", "node_id": "05d12345"}, "node_id"),
        ("define_ip_port", {"port_name": "P", "local_ip": "10.0.0.300"}, "local_ip"),
        ("define_ip_port", {"port_name": "P", "local_ip": "10.0.0.3", "udp_port": 70000}, "udp_port"),
        (
            "define_ip_ls",
            {"ls_name": "L", "port_name": "P", "remote_ip_host": "a b", "pu_name": "PU"},
            "remote_ip_host",
        ),
        (
            "define_ip_ls",
            {"ls_name": "L", "port_name": "P", "remote_ip_host": "h", "pu_name": "PU", "description": "with, comma"},
            "description",
        ),
        (
            "define_ip_ls",
            {"ls_name": "L", "port_name": "P", "remote_ip_host": "h", "pu_name": "PU", "description": "line\nbreak"},
            "description",
        ),
        ("stop_ls", {"ls_name": "HALS", "stop_type": "NOW"}, "stop_type"),
        ("launch", {}, "verb"),
    ],
)
def test_values_outside_the_allowed_set_are_rejected_naming_the_field(verb, params, field):
    with pytest.raises(SnaArgumentError) as err:
        admin_argv(verb, params)
    assert err.value.field == field
    assert str(err.value).startswith(field + ":")


def test_daemon_and_force_stop_argv():
    assert daemon_argv("start") == ["snap", "start"]
    assert daemon_argv("stop", flavour="cslinux") == ["sna", "stop"]
    with pytest.raises(SnaArgumentError):
        daemon_argv("restart")
    assert force_stop_argv() == ["snap", "force_stop"]
    assert force_stop_argv(ls_names=["HALS", "LS2"], flavour="cslinux") == [
        "sna",
        "force_stop",
        "--ls",
        "HALS",
        "--ls",
        "LS2",
    ]
    # a site's own command: a list or a shell-like string, with placeholders, never a shell
    assert force_stop_argv(
        "/opt/site/bin/sna-fence --pu {ls_name} --via {admin}", flavour="cslinux", ls_names=["HALS", "LS2"]
    ) == ["/opt/site/bin/sna-fence", "--pu", "HALS", "LS2", "--via", "snaadmin"]
    assert force_stop_argv(["{daemon}", "kill;", "x"]) == ["snap", "kill;", "x"]
    with pytest.raises(SnaArgumentError):
        force_stop_argv(ls_names=["bad name"])
    with pytest.raises(SnaArgumentError):
        force_stop_argv("")
    # explicit paths fill the placeholders (the agents' daemon/admin and the modules' *_path)
    assert force_stop_argv("{admin} x {daemon}", daemon="/opt/d", admin="/opt/a") == ["/opt/a", "x", "/opt/d"]


# ---------------------------------------------------------------- query output


def test_parse_query_node_active_and_inactive():
    node = parse_query_node(fixture("query_node_active.txt"))
    assert node["fqcp_name"] == "APPN.GWNODE"
    assert node["node_status"] == "ACTIVE"
    assert node["description"] == ""
    assert parse_query_node(fixture("query_node_inactive.txt"))["node_status"] == "NOT_ACTIVE"
    assert parse_query_node("") == {}


def test_parse_query_port_several_objects():
    ports = parse_query_port(fixture("query_port.txt"))
    assert sorted(ports) == ["HAPORT", "PORT2"]
    assert ports["HAPORT"]["port_state"] == "ACTIVE"
    assert ports["PORT2"]["port_state"] == "NOT_ACTIVE"
    assert ports["PORT2"]["description"] == "second port"


def test_parse_query_ls_states():
    lss = parse_query_ls(fixture("query_ls_all.txt"))
    assert [lss[name]["state"] for name in ("HALS", "LS2", "SILENT")] == ["ACTIVE", "NOT_ACTIVE", "NOT_ACTIVE"]
    assert lss["LS2"]["adj_cp_name"] == "APPN.HOST1"
    assert lss["LS2"]["description"] == "to host PU2"
    assert parse_query_ls(fixture("query_ls_one.txt"))["HALS"]["state"] == "ACTIVE"
    assert parse_query_ls(fixture("query_ls_pending.txt"))["SILENT"]["state"] == "PENDING_ACTIVE"
    assert all(ls["state"] in LS_STATES for ls in lss.values())


def test_parse_blocks_without_blank_lines_and_with_headers():
    text = "Link stations:\nls_name = A\nstate = ACTIVE\nls_name = B\nstate=NOT_ACTIVE\n\n\n"
    assert parse_blocks(text) == [{"ls_name": "A", "state": "ACTIVE"}, {"ls_name": "B", "state": "NOT_ACTIVE"}]
    assert parse_blocks("") == []


def test_parse_force_stop_and_remote_host_output():
    forced = parse_blocks(fixture("force_stop_forced.txt"))
    assert forced[0]["result"] == "FORCED" and forced[0]["previous_owner_cp_name"] == "APPN.GWNODE"
    assert parse_blocks(fixture("force_stop_not_active.txt"))[0]["result"] == "NOT_ACTIVE"
    pu = parse_blocks(fixture("snahost_query.txt"))[0]
    assert pu["pu_state"] == "ACTIVE" and pu["owner_ls_name"] == "HALS"


# ---------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("name", "primary", "secondary", "words"),
    [
        ("error_not_loaded.txt", "COMM_SUBSYSTEM_NOT_LOADED", None, "snap start"),
        ("error_port_not_started.txt", "STATE_CHECK", "PORT_NOT_STARTED", "PORT2"),
        ("error_init_node_twice.txt", "STATE_CHECK", "NODE_ALREADY_STARTED", "one node per server"),
        ("error_invalid_value.txt", "PARAMETER_CHECK", "INVALID_VALUE", "ls_name=hals"),
        ("error_invalid_verb.txt", "INVALID_VERB", None, "start_everything"),
        ("error_ls_active.txt", "STATE_CHECK", "LS_ACTIVE", "HALS"),
        ("error_no_response.txt", "UNSUCCESSFUL", "NO_RESPONSE", "no answer"),
        ("error_node_active_elsewhere.txt", "UNSUCCESSFUL", "NODE_ACTIVE_ELSEWHERE", "force the stale node out"),
    ],
)
def test_parse_error_from_emulator_output(name, primary, secondary, words):
    got_primary, got_secondary, message = parse_error(fixture(name))
    assert (got_primary, got_secondary) == (primary, secondary)
    assert words in message


def test_parse_error_other_spellings():
    assert parse_error("primary_rc = 0x0014 (STATE_CHECK)\nsecondary_rc: 0x0099 (PORT_INACTIVE)\n") == (
        "STATE_CHECK",
        "PORT_INACTIVE",
        None,
    )
    assert parse_error("Unable to connect to the SNA software\n") == (
        None,
        None,
        "Unable to connect to the SNA software",
    )
    assert parse_error("") == (None, None, None)


def test_definition_diff():
    current = parse_query_ls(fixture("query_ls_all.txt"))["LS2"]
    assert (
        definition_diff(
            "ls",
            {
                "ls_name": "LS2",
                "pu_name": "PU2",
                "remote_udp_port": int(current["remote_udp_port"]),
                "description": None,
            },
            current,
        )
        == []
    )
    assert definition_diff("ls", {"pu_name": "PU3", "description": "x"}, current) == ["pu_name", "description"]
    assert definition_diff("port", {"port_name": "P", "local_ip": "10.0.0.1"}, None) == ["port_name", "local_ip"]


# --- the preflight's restriction check --------------------------------------------------
_PU = """pu_name                     = HAPU1
pu_state                    = INACTIVE
allowed_addresses           = {addresses}
allowed_macs                = {macs}
description                 = PU HAPU1
"""


def test_pu_refusals_any_admits_everyone():
    from ansible_collections.failover.cluster.plugins.module_utils._sna_cli import pu_refusals

    text = _PU.format(addresses="ANY", macs="ANY")
    assert pu_refusals(text, "198.51.100.50", {"node1": "02:00:00:00:00:11"}) == []


def test_pu_refusals_address_and_mac():
    from ansible_collections.failover.cluster.plugins.module_utils._sna_cli import pu_refusals

    text = _PU.format(addresses="198.51.100.50/32", macs="02:00:00:00:00:11")
    assert pu_refusals(text, "198.51.100.50", {"node1": "02:00:00:00:00:11", "node2": "02:00:00:00:00:12"}) == [
        "PU HAPU1 from node2 (MAC 02:00:00:00:00:12 not in allowed_macs: 02:00:00:00:00:11)"
    ]
    text = _PU.format(addresses="203.0.113.0/24", macs="ANY")
    assert pu_refusals(text, "198.51.100.50", {"node1": "x"}) == [
        "PU HAPU1 from 198.51.100.50 (allowed_addresses: 203.0.113.0/24)"
    ]


# ---------------------------------------------------------------- return codes and failures


def test_command_error_carries_the_return_codes():
    argv = ["snapadmin", "start_ls,", "ls_name=LS2"]
    exc = command_error("start_ls", argv, 1, "", fixture("error_port_not_started.txt"))
    assert (exc.primary, exc.secondary, exc.rc, exc.argv) == ("STATE_CHECK", "PORT_NOT_STARTED", 1, argv)
    assert str(exc) == "start_ls failed: STATE_CHECK/PORT_NOT_STARTED: port PORT2 of link station LS2 is not started " \
                       "(start_port)"
    assert exc.result() == {"primary_rc": "STATE_CHECK", "secondary_rc": "PORT_NOT_STARTED", "rc": 1}
    assert not exc.daemon_down
    assert command_error("query_port", argv, 5, "", fixture("error_not_loaded.txt")).daemon_down
    # no return codes at all: the message is the output's last line, and the exit code is named
    assert str(command_error("query_port", argv, 127, "", "x\nsnapadmin: not found\n")) == (
        "query_port failed: x (exit 127)")
    assert str(SnaCommandError("snap start", ["snap", "start"], 2, message="")) == "snap start failed (exit 2)"


def test_node_query_result_tells_daemon_down_and_no_node_from_failures():
    argv = ["snapadmin", "query_node"]
    assert node_query_result(argv, 0, fixture("query_node_active.txt"), "")[1]["node_status"] == "ACTIVE"
    assert node_query_result(argv, 0, fixture("query_node_active.txt"), "")[0] is True
    assert node_query_result(argv, 5, "", fixture("error_not_loaded.txt")) == (False, None)
    no_node = "snapadmin: query_node failed\nprimary_rc = STATE_CHECK\nsecondary_rc = NODE_NOT_DEFINED\n"
    assert node_query_result(argv, 1, "", no_node) == (True, None)
    with pytest.raises(SnaCommandError) as err:
        node_query_result(argv, 1, "", fixture("error_no_response.txt"))
    assert err.value.secondary == "NO_RESPONSE" and err.value.what == "query_node"
    assert NOT_LOADED == "COMM_SUBSYSTEM_NOT_LOADED"


def test_force_refusals_and_reason():
    assert force_refusals(fixture("force_stop_forced.txt")) == []
    assert force_refusals(fixture("force_stop_not_active.txt")) == []
    out = ("ls_name = HALS1\npu_name = HAPU1\nresult = REFUSED\nsense = MAC_NOT_ALLOWED\n\n"
           "ls_name = HALS2\npu_name = HAPU2\nresult = NOT_ACTIVE\nsense =\n")
    assert [b["ls_name"] for b in force_refusals(out)] == ["HALS1"]
    assert force_failure_reason(out, "") == "HALS1 (PU HAPU1): REFUSED MAC_NOT_ALLOWED"
    assert force_failure_reason("", "snap: cannot read sna_node.cfg\n") == "snap: cannot read sna_node.cfg"
    assert force_failure_reason("", "") == ""


def test_value_problem_and_last_line():
    assert _sna_cli.value_problem("define_node", "node_id", "05D12345") is None
    assert _sna_cli.value_problem("define_node", "node_id", "05d12345") == "8 hexadecimal digits (upper case)"
    assert _sna_cli.value_problem("stop_ls", "stop_type", "SOON") == "one of ORDERLY_STOP, IMMEDIATE_STOP"
    assert _sna_cli.value_problem("define_ip_ls", "remote_udp_port", 70000) == "a UDP port number 1-65535"
    assert last_line("", "a\n b \n\n") == "b"
    assert last_line(None, "") == ""


def test_the_old_import_path_reexports_the_layer():
    """_sna is the layer under its older name: the same objects, nothing of its own."""
    for name in _sna.__all__:
        assert getattr(_sna, name) is getattr(_sna_cli, name), name
    assert _sna.VERBS is _sna_cli.VERBS
    public = {n for n in vars(_sna_cli) if not n.startswith("_") and n != "annotations"}
    assert public - {"ipaddress", "re", "shlex"} == set(_sna.__all__)


def test_the_layer_is_standard_library_only():
    """The OCF agents import it on the nodes, outside Ansible: no ansible import, no relative import."""
    import ast

    tree = ast.parse(Path(_sna_cli.__file__).read_text())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, "relative import"
            imported.add(node.module.split(".")[0])
    assert imported == {"__future__", "ipaddress", "re", "shlex"}
