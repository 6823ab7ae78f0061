"""The gateway side of the SNA emulator: control daemon, admin verbs, the manual's failure modes."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

from snaemu_helpers import KA_INTERVAL, KA_MISSES, rcs, wait_for


def test_start_ls_fails_when_the_control_daemon_is_not_running(gateways):
    gw = gateways()
    result = gw.run("snapadmin", "start_ls,", "ls_name=HALS")  # a real process: its exit status
    assert result.rc == 5
    assert rcs(result) == ("COMM_SUBSYSTEM_NOT_LOADED", None)
    assert "snap start" in result.err


def test_snap_start_is_a_real_daemon_and_refuses_a_second_start(gateways):
    gw = gateways()
    assert gw.snap("status").rc == 3
    started = gw.snap("start")
    assert started.rc == 0, started
    pid = gw.pid
    assert pid and os.readlink(f"/proc/{pid}/cwd") == "/"  # run from / like the product
    assert os.getsid(pid) == pid  # its own session, detached from the caller
    again = gw.snap("start")
    assert again.rc == 1
    assert f"already running on this server (control daemon pid {pid})" in again.err
    assert gw.pid == pid
    assert gw.snap("status").rc == 0
    stopped = gw.snap("stop")
    assert stopped.rc == 0, stopped
    assert gw.pid is None
    assert not (gw.state_dir / "snapd.pid").exists()
    assert not (gw.state_dir / "snapd.sock").exists()
    assert gw.snap("stop").rc == 0  # stopping a stopped stack is not an error


def test_start_ls_fails_when_its_port_is_not_started(gateways, snahost):
    host = snahost("--pu", "HAPU")
    gw = gateways()
    gw.setup(host.port, start_ls=False)
    assert gw.admin("stop_port, port_name=HAPORT").rc == 0
    result = gw.run("snapadmin", "start_ls,", "ls_name=HALS")
    assert result.rc == 3
    assert rcs(result) == ("STATE_CHECK", "PORT_NOT_STARTED")
    assert gw.query_ls()["state"] == "NOT_ACTIVE"
    assert host.query()["pu_state"] == "INACTIVE"


def test_node_verbs_and_one_node_per_server(gateways):
    gw = gateways()
    assert gw.snap("start").rc == 0
    assert rcs(gw.admin("init_node")) == ("STATE_CHECK", "NODE_NOT_DEFINED")
    assert rcs(gw.admin("query_node")) == ("STATE_CHECK", "NODE_NOT_DEFINED")
    assert gw.admin("define_node, fqcp_name=APPN.GWNODE").rc == 0
    assert rcs(gw.admin("start_port, port_name=HAPORT")) == ("PARAMETER_CHECK", "INVALID_PORT_NAME")
    first = gw.admin("init_node")
    assert first.rc == 0, first
    second = gw.admin("init_node")
    assert second.rc == 3
    assert rcs(second) == ("STATE_CHECK", "NODE_ALREADY_STARTED")
    assert "one node per server" in second.err
    assert rcs(gw.admin("define_node, fqcp_name=APPN.OTHER")) == ("STATE_CHECK", "NODE_ALREADY_STARTED")
    node = gw.admin("query_node")
    assert "node_status                 = ACTIVE" in node.out
    assert "cp_alias                    = GWNODE" in node.out
    assert gw.admin("term_node").rc == 0
    assert "node_status                 = NOT_ACTIVE" in gw.admin("query_node").out
    assert gw.admin("init_node").rc == 0


def test_port_before_link_station_and_changes_only_while_stopped(gateways, snahost):
    host = snahost("--pu", "HAPU")
    gw = gateways()
    assert gw.snap("start").rc == 0
    orphan = gw.admin(
        f"define_ip_ls, ls_name=HALS, port_name=HAPORT, remote_ip_host=127.0.0.1, "
        f"remote_udp_port={host.port}, pu_name=HAPU"
    )
    assert rcs(orphan) == ("PARAMETER_CHECK", "INVALID_PORT_NAME")
    assert "must be defined before its link stations" in orphan.err
    gw.snap("stop")
    gw.setup(host.port)
    assert gw.query_ls()["state"] == "ACTIVE"
    redefine = gw.admin(
        f"define_ip_ls, ls_name=HALS, port_name=HAPORT, remote_ip_host=127.0.0.1, "
        f"remote_udp_port={host.port}, pu_name=HAPU, description=changed"
    )
    assert rcs(redefine) == ("STATE_CHECK", "LS_ACTIVE")
    assert rcs(gw.admin("delete_ls, ls_name=HALS")) == ("STATE_CHECK", "LS_ACTIVE")
    assert rcs(gw.admin(f"define_ip_port, port_name=HAPORT, local_ip=127.0.0.1, udp_port={gw.udp_port}")) == (
        "STATE_CHECK",
        "PORT_ACTIVE",
    )
    assert gw.admin("stop_ls, ls_name=HALS").rc == 0
    assert (
        gw.admin(
            f"define_ip_ls, ls_name=HALS, port_name=HAPORT, remote_ip_host=127.0.0.1, "
            f"remote_udp_port={host.port}, pu_name=HAPU, description=changed"
        ).rc
        == 0
    )
    assert gw.query_ls()["description"] == "changed"
    assert gw.admin("stop_port, port_name=HAPORT").rc == 0
    assert rcs(gw.admin("delete_port, port_name=HAPORT")) == ("STATE_CHECK", "PORT_HAS_LINK_STATIONS")
    assert gw.admin("delete_ls, ls_name=HALS").rc == 0
    assert gw.admin("delete_port, port_name=HAPORT").rc == 0
    assert gw.admin("query_port").out == ""


def test_definitions_persist_but_runtime_state_does_not(gateways, snahost):
    host = snahost("--pu", "HAPU")
    gw = gateways()
    gw.setup(host.port)
    cfg = (gw.state_dir / "sna_node.cfg").read_text()
    assert "[define_ip_ls]" in cfg and "pu_name = HAPU" in cfg
    assert gw.snap("stop").rc == 0
    assert gw.snap("start").rc == 0
    assert "node_status                 = NOT_ACTIVE" in gw.admin("query_node").out
    assert "port_state                  = NOT_ACTIVE" in gw.admin("query_port, port_name=HAPORT").out
    ls = gw.query_ls()
    assert ls["state"] == "NOT_ACTIVE" and ls["pu_name"] == "HAPU"


def test_parameter_checks_and_both_syntaxes(gateways):
    gw = gateways()
    assert gw.snap("start").rc == 0
    assert rcs(gw.admin("define_node")) == ("PARAMETER_CHECK", "MISSING_PARAMETER")
    assert rcs(gw.admin("define_node, fqcp_name=APPN.GW, colour=RED")) == ("PARAMETER_CHECK", "UNKNOWN_PARAMETER")
    bad = gw.admin("define_node, fqcp_name=appn.gw")
    assert rcs(bad) == ("PARAMETER_CHECK", "INVALID_VALUE") and "fqcp_name" in bad.err
    assert rcs(gw.admin("start_ls, ls_name=HA;LS")) == ("PARAMETER_CHECK", "INVALID_VALUE")
    assert gw.admin("launch_missiles").rc == 6
    assert rcs(gw.admin("define_node, fqcp_name")) == ("PARAMETER_CHECK", "SYNTAX_ERROR")
    # one argv string, shell-split words, and words without commas are all the same request
    assert gw.run("snapadmin", "define_node, fqcp_name=APPN.GW, description=first gw").rc == 0
    assert gw.run("snapadmin", "define_node,", "fqcp_name=APPN.GW,", "description=second", "gw").rc == 0
    assert "description                 = second gw" in gw.admin("query_node").out
    assert gw.run("snapadmin", "define_node", "fqcp_name=APPN.GW", "node_type=NETWORK_NODE").rc == 0
    assert "node_type                   = NETWORK_NODE" in gw.run("snaadmin", "query_node").out


def test_activation_states_and_orderly_stop_reach_the_remote(gateways, snahost):
    host = snahost("--pu", "HAPU")
    gw = gateways()
    gw.setup(host.port)
    ls = gw.query_ls()
    assert ls["state"] == "ACTIVE" and ls["activations"] == "1"
    pu = host.query()
    assert pu["pu_state"] == "ACTIVE"
    assert pu["owner_cp_name"] == "APPN.GWNODE" and pu["owner_node_id"] == "05D12345"
    assert pu["owner_address"] == "127.0.0.1" and pu["owner_port"] == str(gw.udp_port)
    assert pu["session_id"] == ls["session_id"]
    # keepalives flow both ways: still ACTIVE well past the loss threshold
    time.sleep(KA_INTERVAL * (KA_MISSES + 2))
    assert gw.query_ls()["state"] == "ACTIVE"
    assert gw.admin("start_ls, ls_name=HALS").rc == 0  # already active: nothing to do
    assert gw.admin("stop_ls, ls_name=HALS, stop_type=ORDERLY_STOP").rc == 0
    assert gw.query_ls()["state"] == "NOT_ACTIVE"
    pu = host.query()
    assert pu["pu_state"] == "INACTIVE" and pu["last_deactivation"] == "ORDERLY"
    assert gw.admin("stop_ls, ls_name=HALS").rc == 0  # already stopped
    assert gw.admin("start_ls, ls_name=HALS").rc == 0
    assert gw.admin("stop_ls, ls_name=HALS, stop_type=IMMEDIATE_STOP").rc == 0
    assert wait_for(lambda: host.query()["last_deactivation"] == "IMMEDIATE")
    assert gw.admin("start_ls, ls_name=HALS").rc == 0
    assert gw.snap("stop").rc == 0  # snap stop deactivates before the daemon exits
    pu = host.query()
    assert pu["pu_state"] == "INACTIVE" and pu["last_deactivation"] == "NODE_STOP"
    assert pu["activations"] == "3"


def test_sigterm_stops_in_order(gateways, snahost):
    host = snahost("--pu", "HAPU")
    gw = gateways()
    gw.setup(host.port)
    pid = gw.pid
    os.kill(pid, signal.SIGTERM)
    assert wait_for(lambda: gw.pid is None)
    assert host.query()["last_deactivation"] == "NODE_STOP"


def test_pending_active_then_no_response(gateways, snahost):
    gw = gateways()
    silent = snahost("--pu", "HAPU")
    os.kill(silent.proc.pid, signal.SIGSTOP)  # a remote host that does not answer
    gw.setup(silent.port, start_ls=False)
    seen = []
    poller = threading.Thread(
        target=lambda: seen.append(wait_for(lambda: gw.query_ls()["state"] == "PENDING_ACTIVE", timeout=3, step=0.02))
    )
    poller.start()
    result = gw.admin("start_ls, ls_name=HALS")
    poller.join()
    assert seen == [True]
    assert result.rc == 4
    assert rcs(result) == ("UNSUCCESSFUL", "NO_RESPONSE")
    ls = gw.query_ls()
    assert ls["state"] == "NOT_ACTIVE" and ls["last_error"] == "NO_RESPONSE"


def test_port_needs_its_local_address_on_the_host(gateways):
    gw = gateways()
    assert gw.snap("start").rc == 0
    assert gw.admin("define_node, fqcp_name=APPN.GWNODE").rc == 0
    assert gw.admin("init_node").rc == 0
    # 192.0.2.1 (TEST-NET-1) is not on this host: like a relocatable IP that is elsewhere
    assert gw.admin("define_ip_port, port_name=HAPORT, local_ip=192.0.2.1").rc == 0
    result = gw.admin("start_port, port_name=HAPORT")
    assert rcs(result) == ("UNSUCCESSFUL", "LOCAL_ADDRESS_NOT_AVAILABLE")
    assert "port_state                  = NOT_ACTIVE" in gw.admin("query_port").out


def test_link_station_that_loses_its_peer_leaves_active(gateways, snahost):
    host = snahost("--pu", "HAPU")
    gw = gateways()
    gw.setup(host.port)
    os.kill(host.proc.pid, signal.SIGSTOP)  # the remote host stops answering
    try:
        started = time.monotonic()
        assert wait_for(lambda: gw.query_ls()["state"] == "NOT_ACTIVE", timeout=5)
        assert time.monotonic() - started >= KA_INTERVAL * (KA_MISSES - 1)
        assert gw.query_ls()["last_error"] == "PEER_LOST"
    finally:
        os.kill(host.proc.pid, signal.SIGCONT)
    # the remote still holds the PU for this same node instance, so the node may take it again
    assert gw.admin("start_ls, ls_name=HALS").rc == 0
    assert host.query()["activations"] == "2"


def test_port_stop_stops_its_link_stations(gateways, snahost):
    host = snahost("--pu", "HAPU")
    gw = gateways()
    gw.setup(host.port)
    assert gw.admin("stop_port, port_name=HAPORT").rc == 0
    assert gw.query_ls()["state"] == "NOT_ACTIVE"
    assert host.query()["last_deactivation"] == "PORT_STOP"


def test_config_file_is_in_the_state_dir(gateways):
    gw = gateways()
    assert gw.snap("start").rc == 0
    assert gw.admin("define_node, fqcp_name=APPN.GWNODE").rc == 0
    assert Path(gw.state_dir / "sna_node.cfg").read_text().count("[define_node]") == 1


def test_pending_inactive_and_cancelled_activation(gateways, snahost):
    host = snahost("--pu", "HAPU")
    gw = gateways()
    gw.setup(host.port)
    os.kill(host.proc.pid, signal.SIGSTOP)  # the orderly stop will wait for an answer that does not come
    try:
        seen = []
        poller = threading.Thread(
            target=lambda: seen.append(
                wait_for(lambda: gw.query_ls()["state"] == "PENDING_INACTIVE", timeout=3, step=0.02)
            )
        )
        poller.start()
        assert gw.admin("stop_ls, ls_name=HALS").rc == 0  # stops anyway after SNAEMU_STOP_TIMEOUT
        poller.join()
        assert seen == [True]
        assert gw.query_ls()["state"] == "NOT_ACTIVE"
        # a stop during PENDING_ACTIVE cancels the activation
        starter = threading.Thread(target=lambda: seen.append(gw.admin("start_ls, ls_name=HALS")))
        starter.start()
        assert wait_for(lambda: gw.query_ls()["state"] == "PENDING_ACTIVE", timeout=3, step=0.02)
        assert gw.admin("stop_ls, ls_name=HALS").rc == 0
        starter.join()
        assert rcs(seen[-1]) == ("UNSUCCESSFUL", "ACTIVATION_CANCELLED")
        assert gw.query_ls()["state"] == "NOT_ACTIVE"
    finally:
        os.kill(host.proc.pid, signal.SIGCONT)
