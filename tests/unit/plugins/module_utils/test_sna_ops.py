"""The SNA modules' decisions (plans) and their command runner, without an SNA stack."""

from __future__ import annotations

from pathlib import Path

import pytest

from ansible_collections.failover.cluster.plugins.module_utils._sna_cli import parse_force_stop
from ansible_collections.failover.cluster.plugins.module_utils._sna_ops import (
    SnaCli,
    SnaCommandError,
    SnaPlanError,
    changes,
    ensure_node,
    ensure_port,
    plan_ls,
    plan_node,
    plan_port,
    predict,
    stale_candidates,
)

FIXTURES = Path(__file__).parent / "fixtures" / "sna"

NODE = {"fqcp_name": "APPN.GWNODE", "cp_alias": "GWNODE", "node_type": "END_NODE", "node_id": "05D12345",
        "description": "", "node_status": "NOT_ACTIVE"}
PORT = {"port_name": "HAPORT", "local_ip": "10.20.0.50", "udp_port": "12000", "description": "",
        "port_state": "ACTIVE", "active_ls_count": "1"}
LS = {"ls_name": "HALS", "port_name": "HAPORT", "remote_ip_host": "10.20.0.5", "remote_udp_port": "12000",
      "pu_name": "HAPU", "adj_cp_name": "", "description": "", "state": "ACTIVE", "last_error": ""}


def verbs(steps):
    return [step[1] if step[0] == "admin" else step[0] for step in steps]


# ---------------------------------------------------------------- node
def test_node_defined_and_initialised_once():
    first_start = plan_node(None, {"fqcp_name": "APPN.GWNODE"}, "started")
    assert verbs(first_start) == ["define_node", "init_node", "wait_node"]
    assert verbs(plan_node(NODE, {"fqcp_name": "APPN.GWNODE"}, "started")) == ["init_node", "wait_node"]
    assert plan_node(dict(NODE, node_status="ACTIVE"), {"fqcp_name": "APPN.GWNODE"}, "started") == []
    assert plan_node(NODE, {"fqcp_name": "APPN.GWNODE"}, "defined") == []


def test_node_redefinition_keeps_what_was_not_given():
    steps = plan_node(NODE, {"fqcp_name": "APPN.GWNODE", "description": "gateway"}, "defined")
    assert steps == [("admin", "define_node", {"fqcp_name": "APPN.GWNODE", "cp_alias": "GWNODE",
                                               "node_type": "END_NODE", "node_id": "05D12345",
                                               "description": "gateway"})]
    # another node: a fresh definition, nothing of the old one
    steps = plan_node(NODE, {"fqcp_name": "APPN.OTHER"}, "defined")
    assert steps == [("admin", "define_node", {"fqcp_name": "APPN.OTHER"})]


def test_one_node_per_server():
    with pytest.raises(SnaPlanError, match=r"already running on this server \(one node per server\)"):
        plan_node(dict(NODE, node_status="ACTIVE"), {"fqcp_name": "APPN.OTHER"}, "started")
    with pytest.raises(SnaPlanError, match=r"definition differs \(node_id\)"):
        plan_node(dict(NODE, node_status="ACTIVE"), {"fqcp_name": "APPN.GWNODE", "node_id": "05D00001"}, "started")
    with pytest.raises(SnaPlanError, match="set fqcp_name"):
        plan_node(None, {}, "started")
    # unknown (check mode, daemon down): no error, the real run decides
    assert verbs(plan_node(None, {}, "started", known=False)) == ["init_node", "wait_node"]


def test_forced_stop_comes_before_init_node():
    steps = plan_node(None, {"fqcp_name": "APPN.GWNODE"}, "started", force_ls=["HALS"])
    assert verbs(steps) == ["define_node", "force", "init_node", "wait_node"]
    assert steps[1] == ("force", ["HALS"])


def test_stale_candidates_never_include_an_active_link_station():
    lss = {"HALS": LS, "LS2": dict(LS, ls_name="LS2", state="NOT_ACTIVE"), "LS3": dict(LS, state="PENDING_ACTIVE")}
    assert stale_candidates([], lss) == (["LS2"], ["HALS", "LS3"])
    assert stale_candidates(["LS2", "NEW"], lss) == (["LS2", "NEW"], [])


# ---------------------------------------------------------------- port
def test_port_plans():
    wanted = {"port_name": "HAPORT", "local_ip": "10.20.0.50", "udp_port": 12000}
    assert verbs(plan_port(None, wanted, "started")) == ["define_ip_port", "start_port"]
    assert plan_port(PORT, wanted, "started") == []
    assert verbs(plan_port(PORT, {"port_name": "HAPORT"}, "stopped")) == ["stop_port"]
    assert plan_port(dict(PORT, port_state="NOT_ACTIVE"), wanted, "defined") == []
    assert verbs(plan_port(PORT, {"port_name": "HAPORT"}, "absent")) == ["stop_port", "delete_port"]
    assert plan_port(None, {"port_name": "HAPORT"}, "absent") == []
    with pytest.raises(SnaPlanError, match="local_ip is required"):
        plan_port(None, {"port_name": "HAPORT"}, "started")


def test_port_changes_only_while_stopped():
    wanted = {"port_name": "HAPORT", "local_ip": "10.20.0.51"}
    with pytest.raises(SnaPlanError, match=r"started and its definition differs \(local_ip\)"):
        plan_port(PORT, wanted, "started")
    steps = plan_port(PORT, wanted, "defined", allow_restart=True)
    assert verbs(steps) == ["stop_port", "define_ip_port", "start_port"]
    assert steps[1][2] == {"port_name": "HAPORT", "local_ip": "10.20.0.51", "udp_port": "12000"}
    steps = plan_port(dict(PORT, port_state="NOT_ACTIVE"), wanted, "defined")
    assert verbs(steps) == ["define_ip_port"]


# ---------------------------------------------------------------- link station
def test_ls_plans():
    wanted = {"ls_name": "HALS", "port_name": "HAPORT", "remote_ip_host": "10.20.0.5", "pu_name": "HAPU"}
    assert verbs(plan_ls(None, wanted, "started")) == ["define_ip_ls", "start_ls", "wait_ls"]
    assert plan_ls(LS, wanted, "started") == []
    assert plan_ls(dict(LS, state="PENDING_ACTIVE"), wanted, "started") == [("wait_ls", "ACTIVE")]
    stop = plan_ls(LS, {"ls_name": "HALS", "stop_type": "immediate"}, "stopped")
    assert stop == [("admin", "stop_ls", {"ls_name": "HALS", "stop_type": "IMMEDIATE_STOP"}),
                    ("wait_ls", "NOT_ACTIVE")]
    assert plan_ls(dict(LS, state="NOT_ACTIVE"), {"ls_name": "HALS"}, "stopped") == []
    assert verbs(plan_ls(LS, {"ls_name": "HALS"}, "absent")) == ["stop_ls", "wait_ls", "delete_ls"]
    with pytest.raises(SnaPlanError, match="port_name and remote_ip_host and pu_name are required"):
        plan_ls(None, {"ls_name": "HALS"}, "started")
    assert not changes([("wait_ls", "ACTIVE")])


def test_ls_changes_only_while_stopped():
    wanted = {"ls_name": "HALS", "description": "to the host"}
    with pytest.raises(SnaPlanError, match="a link station can only be changed while stopped"):
        plan_ls(dict(LS, state="PENDING_INACTIVE"), wanted, "started")
    steps = plan_ls(LS, wanted, "started", allow_restart=True)
    assert verbs(steps) == ["stop_ls", "wait_ls", "define_ip_ls", "start_ls", "wait_ls"]
    assert steps[2][2]["remote_ip_host"] == "10.20.0.5" and steps[2][2]["description"] == "to the host"
    assert "adj_cp_name" not in steps[2][2]  # empty values are not passed
    after = predict("ls", LS, steps, "state", "ls_name", "HALS")
    assert after["state"] == "ACTIVE" and after["description"] == "to the host"


# ---------------------------------------------------------------- the CLI and ensure_node
class FakeStack:
    """Answers the commands a module runs, from canned outputs."""

    def __init__(self, answers):
        self.answers = answers
        self.ran = []

    def __call__(self, argv):
        self.ran.append(argv)
        key = argv[1].rstrip(",")
        answer = self.answers[key]
        return answer.pop(0) if isinstance(answer, list) else answer


def fixture(name):
    return (FIXTURES / name).read_text()


def test_failed_verb_carries_the_product_codes():
    cli = SnaCli(FakeStack({"start_ls": (3, "", fixture("error_port_not_started.txt"))}))
    with pytest.raises(SnaCommandError) as err:
        cli.admin("start_ls", {"ls_name": "LS2"})
    assert err.value.result() == {"primary_rc": "STATE_CHECK", "secondary_rc": "PORT_NOT_STARTED", "rc": 3}
    assert str(err.value) == ("start_ls failed: STATE_CHECK/PORT_NOT_STARTED: port PORT2 of link station LS2 is "
                              "not started (start_port)")


def test_query_node_tells_daemon_down_from_no_node():
    down = SnaCli(FakeStack({"query_node": (5, "", fixture("error_not_loaded.txt"))}))
    assert down.query_node() == (False, None)
    undefined = (3, "", "primary_rc = STATE_CHECK\nsecondary_rc = NODE_NOT_DEFINED\n")
    assert SnaCli(FakeStack({"query_node": undefined})).query_node() == (True, None)
    active = SnaCli(FakeStack({"query_node": (0, fixture("query_node_active.txt"), "")}))
    assert active.query_node()[1]["node_status"] == "ACTIVE"


def test_forced_stop_is_refused_without_confirmation_before_any_command():
    stack = FakeStack({})
    with pytest.raises(SnaPlanError, match="stale_owner_confirmed_down=true"):
        ensure_node(SnaCli(stack), {"state": "started", "forced_stop": True}, False, 5)
    assert stack.ran == []


def test_ensure_node_forces_only_idle_link_stations_and_reports_the_result():
    stack = FakeStack({
        "query_node": [(0, fixture("query_node_inactive.txt"), ""), (0, fixture("query_node_active.txt"), ""),
                       (0, fixture("query_node_active.txt"), "")],
        "query_ls": (0, fixture("query_ls_all.txt"), ""),
        "force_stop": (0, fixture("force_stop_forced.txt"), ""),
        "init_node": (0, "", ""),
    })
    params = {"state": "started", "forced_stop": True, "stale_owner_confirmed_down": True, "forced_stop_ls": []}
    out = ensure_node(SnaCli(stack, sleep=lambda s: None), params, False, 5)
    assert ["snap", "force_stop", "--ls", "LS2", "--ls", "SILENT"] in stack.ran
    assert out.changed is True
    assert out.extra["forced"] == parse_force_stop(fixture("force_stop_forced.txt"))
    assert out.warnings == ["link station(s) HALS active on this server: not forced out"]


def test_ensure_node_check_mode_runs_nothing_that_changes():
    stack = FakeStack({"query_node": (5, "", fixture("error_not_loaded.txt"))})
    out = ensure_node(SnaCli(stack), {"state": "started", "fqcp_name": "APPN.GWNODE"}, True, 5)
    assert stack.ran == [["snapadmin", "query_node"]]
    assert out.changed is True
    assert out.commands == [["snap", "start"], ["snapadmin", "define_node,", "fqcp_name=APPN.GWNODE"],
                            ["snapadmin", "init_node"]]
    assert out.after["node"]["node_status"] == "ACTIVE"


def test_a_restarted_port_waits_for_its_address():
    in_use = (4, "", "primary_rc = UNSUCCESSFUL\nsecondary_rc = ADDRESS_IN_USE\nmessage = in use\n")
    port = fixture("query_port.txt")
    stack = FakeStack({"query_port": (0, port, ""), "stop_port": (0, "", ""), "define_ip_port": (0, "", ""),
                       "start_port": [in_use, in_use, (0, "", "")]})
    params = {"port_name": "HAPORT", "local_ip": "127.0.0.2", "state": "started", "allow_restart": True}
    out = ensure_port(SnaCli(stack, sleep=lambda s: None), params, False)
    assert [argv[1].rstrip(",") for argv in stack.ran].count("start_port") == 3
    assert out.changed is True
    # without a stop of its own in the same run, ADDRESS_IN_USE is the answer
    stack = FakeStack({"query_port": (0, port.replace("= ACTIVE", "= NOT_ACTIVE"), ""), "start_port": in_use})
    with pytest.raises(SnaCommandError, match="ADDRESS_IN_USE"):
        ensure_port(SnaCli(stack, sleep=lambda s: None), {"port_name": "HAPORT", "state": "started"}, False)
