"""sna_node, sna_port and sna_link_station against the SNA emulator, run the way Ansible runs them.

The emulator is installed into a temporary prefix (as on a lab host); each gateway has a private
state directory and short timers; the remote host listens on 127.0.0.1 only. Every assertion on
a change is checked against the emulator itself (snapadmin query_*, snahost query), not only
against what the module returned. Every process started is ended by its PID.
"""

from __future__ import annotations

import pytest
from sna_support import emulator_bin, gateways, snahost, wait_for  # noqa: F401 - fixtures

NODE = {"fqcp_name": "APPN.GWNODE", "node_id": "05D12345"}


def warnings(result):
    """Warning texts (ansible-core 2.19 returns them as structured events)."""
    return [w["event"]["msg"] if isinstance(w, dict) else w for w in result.get("warnings", [])]


def port_args(gw):
    return {"port_name": "HAPORT", "local_ip": "127.0.0.1", "udp_port": gw.udp_port}


def ls_args(host, **extra):
    return {"ls_name": "HALS", "port_name": "HAPORT", "remote_ip_host": "127.0.0.1", "remote_udp_port": host.port,
            "pu_name": "HAPU", "timeout": 10, **extra}


def bring_up(run_module, gw, host):
    for name, args in (("sna_node", NODE), ("sna_port", port_args(gw)), ("sna_link_station", ls_args(host))):
        result = run_module(name, env=gw.env, **args)
        assert not result.get("failed"), result
    assert gw.query("query_ls", ls_name="HALS")["state"] == "ACTIVE"


def test_node_check_mode_idempotence_and_stop(run_module, gateways):  # noqa: F811
    gw = gateways()
    check = run_module("sna_node", env=gw.env, _ansible_check_mode=True, _ansible_diff=True, **NODE)
    assert check["changed"] is True, check
    assert ["snap", "start"] in check["commands"]
    assert check["diff"]["before"] == {"daemon": "stopped", "node": {}}
    assert check["diff"]["after"]["node"]["node_status"] == "ACTIVE"
    assert gw.pid is None  # check mode started nothing

    first = run_module("sna_node", env=gw.env, _ansible_diff=True, **NODE)
    assert first["changed"] is True, first
    assert first["daemon"] == "running"
    assert first["node"]["node_status"] == "ACTIVE"
    assert [c[1] for c in first["commands"] if c[0] == "snapadmin"] == [
        "query_node", "query_node", "define_node,", "init_node", "query_node", "query_node"]
    node = gw.query("query_node")
    assert (node["fqcp_name"], node["node_id"], node["node_status"]) == ("APPN.GWNODE", "05D12345", "ACTIVE")

    # init_node twice: the product refuses NODE_ALREADY_STARTED; an active node is the wanted state
    again = run_module("sna_node", env=gw.env, **NODE)
    assert again["changed"] is False, again
    assert not any(c[1] == "init_node" for c in again["commands"])

    other = run_module("sna_node", env=gw.env, fqcp_name="APPN.OTHER")
    assert other["failed"] is True
    assert other["changed"] is False
    assert other["msg"] == (
        "node APPN.GWNODE is already running on this server (one node per server): it cannot become APPN.OTHER "
        "while it runs; stop the SNA software first (state=stopped)")
    assert gw.query("query_node")["fqcp_name"] == "APPN.GWNODE"

    redefine = run_module("sna_node", env=gw.env, fqcp_name="APPN.GWNODE", node_id="05D99999")
    assert redefine["failed"] is True
    assert "a running node cannot be redefined" in redefine["msg"]

    check_stop = run_module("sna_node", env=gw.env, state="stopped", _ansible_check_mode=True)
    assert check_stop["changed"] is True and check_stop["daemon"] == "stopped"
    assert gw.pid is not None
    stop = run_module("sna_node", env=gw.env, state="stopped")
    assert stop["changed"] is True and stop["daemon"] == "stopped"
    assert gw.pid is None
    assert run_module("sna_node", env=gw.env, state="stopped")["changed"] is False

    # definitions persist: a defined node is started without fqcp_name
    restart = run_module("sna_node", env=gw.env)
    assert restart["changed"] is True and restart["node"]["node_status"] == "ACTIVE"


def test_node_without_definition_is_a_clear_error(run_module, gateways):  # noqa: F811
    gw = gateways()
    result = run_module("sna_node", env=gw.env)
    assert result["failed"] is True
    assert result["msg"] == "no node is defined on this server: set fqcp_name"


def test_bad_value_names_the_option_and_runs_nothing(run_module, gateways):  # noqa: F811
    gw = gateways()
    result = run_module("sna_node", env=gw.env, fqcp_name="appn.gw; reboot")
    assert result["failed"] is True
    assert result["msg"].startswith("fqcp_name: 'appn.gw; reboot' is not allowed")
    assert gw.pid is not None  # the daemon was started before the check of the node definition
    assert gw.query("query_node") == {}


def test_port_define_start_stop(run_module, gateways):  # noqa: F811
    gw = gateways()
    assert not run_module("sna_node", env=gw.env, **NODE).get("failed")
    check = run_module("sna_port", env=gw.env, _ansible_check_mode=True, _ansible_diff=True, **port_args(gw))
    assert check["changed"] is True, check
    assert check["diff"]["before"] == {}
    assert check["port"]["port_state"] == "ACTIVE"
    assert gw.run("snapadmin", "query_port").stdout == ""  # nothing defined by check mode

    first = run_module("sna_port", env=gw.env, **port_args(gw))
    assert first["changed"] is True, first
    assert gw.query("query_port", port_name="HAPORT")["port_state"] == "ACTIVE"
    assert run_module("sna_port", env=gw.env, **port_args(gw))["changed"] is False

    changed = run_module("sna_port", env=gw.env, **port_args(gw), description="second try")
    assert changed["failed"] is True
    assert "a port can only be redefined while stopped: set allow_restart=true" in changed["msg"]
    assert gw.query("query_port", port_name="HAPORT")["description"] == ""

    allowed = run_module("sna_port", env=gw.env, **port_args(gw), description="second try", allow_restart=True)
    assert allowed["changed"] is True and not allowed.get("failed"), allowed
    port = gw.query("query_port", port_name="HAPORT")
    assert (port["description"], port["port_state"]) == ("second try", "ACTIVE")

    stopped = run_module("sna_port", env=gw.env, port_name="HAPORT", state="stopped", stop_type="immediate")
    assert stopped["changed"] is True
    assert stopped["commands"][-2][-1] == "stop_type=IMMEDIATE_STOP"
    assert gw.query("query_port", port_name="HAPORT")["port_state"] == "NOT_ACTIVE"
    assert run_module("sna_port", env=gw.env, port_name="HAPORT", state="stopped")["changed"] is False

    absent = run_module("sna_port", env=gw.env, port_name="HAPORT", state="absent")
    assert absent["changed"] is True and absent["port"] == {}
    assert gw.run("snapadmin", "query_port").stdout == ""


def test_new_port_needs_local_ip(run_module, gateways):  # noqa: F811
    gw = gateways()
    assert not run_module("sna_node", env=gw.env, **NODE).get("failed")
    result = run_module("sna_port", env=gw.env, port_name="HAPORT")
    assert result["failed"] is True
    assert result["msg"] == "port HAPORT is not defined: local_ip is required to define it"


def test_link_station_lifecycle(run_module, gateways, snahost):  # noqa: F811
    host = snahost("--pu", "HAPU")
    gw = gateways()
    assert not run_module("sna_node", env=gw.env, **NODE).get("failed")
    assert not run_module("sna_port", env=gw.env, **port_args(gw)).get("failed")

    check = run_module("sna_link_station", env=gw.env, _ansible_check_mode=True, _ansible_diff=True, **ls_args(host))
    assert check["changed"] is True, check
    assert check["link_station"]["state"] == "ACTIVE"
    assert [c[1] for c in check["commands"][-2:]] == ["define_ip_ls,", "start_ls,"]
    assert gw.run("snapadmin", "query_ls").stdout == ""
    assert host.query()["pu_state"] == "INACTIVE"

    first = run_module("sna_link_station", env=gw.env, _ansible_diff=True, **ls_args(host))
    assert first["changed"] is True, first
    assert first["link_station"]["state"] == "ACTIVE"
    assert first["diff"]["before"] == {} and first["diff"]["after"]["state"] == "ACTIVE"
    remote = host.query()
    assert remote["pu_state"] == "ACTIVE"
    assert remote["session_id"] == first["link_station"]["session_id"]

    again = run_module("sna_link_station", env=gw.env, **ls_args(host))
    assert again["changed"] is False, again
    assert host.query()["activations"] == "1"

    edit = run_module("sna_link_station", env=gw.env, **ls_args(host, description="to the host"))
    assert edit["failed"] is True
    assert edit["msg"] == (
        "link station HALS is ACTIVE and its definition differs (description); a link station can only be "
        "changed while stopped: set allow_restart=true to stop it, redefine it and start it again")
    assert gw.query("query_ls", ls_name="HALS")["description"] == ""

    restarted = run_module("sna_link_station", env=gw.env, **ls_args(host, description="to the host",
                                                                       allow_restart=True))
    assert restarted["changed"] is True, restarted
    ls = gw.query("query_ls", ls_name="HALS")
    assert (ls["description"], ls["state"]) == ("to the host", "ACTIVE")
    assert host.query()["activations"] == "2"

    stop = run_module("sna_link_station", env=gw.env, ls_name="HALS", state="stopped", stop_type="immediate")
    assert stop["changed"] is True and stop["link_station"]["state"] == "NOT_ACTIVE"
    assert ["snapadmin", "stop_ls,", "ls_name=HALS,", "stop_type=IMMEDIATE_STOP"] in stop["commands"]
    assert wait_for(lambda: host.query()["pu_state"] == "INACTIVE")
    assert run_module("sna_link_station", env=gw.env, ls_name="HALS", state="stopped")["changed"] is False

    absent = run_module("sna_link_station", env=gw.env, ls_name="HALS", state="absent")
    assert absent["changed"] is True and absent["link_station"] == {}
    assert run_module("sna_link_station", env=gw.env, ls_name="HALS", state="absent")["changed"] is False


def test_start_ls_with_the_daemon_down(run_module, gateways, snahost):  # noqa: F811
    host = snahost("--pu", "HAPU")
    gw = gateways()
    result = run_module("sna_link_station", env=gw.env, **ls_args(host))
    assert result["failed"] is True
    assert (result["primary_rc"], result["secondary_rc"], result["rc"]) == ("COMM_SUBSYSTEM_NOT_LOADED", None, 5)
    assert result["msg"].startswith("query_ls failed: COMM_SUBSYSTEM_NOT_LOADED: the SNA software is not started")


def test_start_ls_with_the_port_not_started(run_module, gateways, snahost):  # noqa: F811
    host = snahost("--pu", "HAPU")
    gw = gateways()
    bring_up(run_module, gw, host)
    assert not run_module("sna_port", env=gw.env, port_name="HAPORT", state="stopped").get("failed")
    assert gw.query("query_ls", ls_name="HALS")["state"] == "NOT_ACTIVE"

    check = run_module("sna_link_station", env=gw.env, _ansible_check_mode=True, **ls_args(host))
    assert check["changed"] is True
    assert "port HAPORT is not started: start_ls would fail with PORT_NOT_STARTED" in warnings(check)

    result = run_module("sna_link_station", env=gw.env, **ls_args(host))
    assert result["failed"] is True
    assert (result["primary_rc"], result["secondary_rc"], result["rc"]) == ("STATE_CHECK", "PORT_NOT_STARTED", 3)
    assert result["msg"] == (
        "start_ls failed: STATE_CHECK/PORT_NOT_STARTED: port HAPORT of link station HALS is not started (start_port)")
    assert result["changed"] is False


def test_stale_node_refused_then_forced_out(run_module, gateways, snahost):  # noqa: F811
    host = snahost("--pu", "HAPU")
    primary, backup = gateways("gw1"), gateways("gw2")
    bring_up(run_module, primary, host)
    owner = host.query()["owner_instance"]
    primary.crash()  # panics: no snap stop, nobody is told

    assert not run_module("sna_node", env=backup.env, **NODE).get("failed")
    assert not run_module("sna_port", env=backup.env, **port_args(backup)).get("failed")
    refused = run_module("sna_link_station", env=backup.env, **ls_args(host))
    assert refused["failed"] is True
    assert (refused["primary_rc"], refused["secondary_rc"]) == ("UNSUCCESSFUL", "NODE_ACTIVE_ELSEWHERE")
    assert "force the stale node out first" in refused["msg"]
    assert host.query()["owner_instance"] == owner

    unconfirmed = run_module("sna_node", env=backup.env, forced_stop=True, **NODE)
    assert unconfirmed["failed"] is True
    assert "refused unless stale_owner_confirmed_down=true" in unconfirmed["msg"]
    assert unconfirmed["commands"] == []  # refused before anything ran
    assert host.query()["owner_instance"] == owner

    check = run_module("sna_node", env=backup.env, forced_stop=True, stale_owner_confirmed_down=True,
                       _ansible_check_mode=True, **NODE)
    assert check["changed"] is True
    assert ["snap", "force_stop", "--ls", "HALS"] in check["commands"]
    assert host.query()["owner_instance"] == owner

    forced = run_module("sna_node", env=backup.env, forced_stop=True, stale_owner_confirmed_down=True, **NODE)
    assert forced["changed"] is True, forced
    assert [(f["ls_name"], f["result"]) for f in forced["forced"]] == [("HALS", "FORCED")]
    assert forced["forced"][0]["previous_owner_cp_name"] == "APPN.GWNODE"
    assert host.query()["pu_state"] == "INACTIVE"
    assert host.query()["last_deactivation"] == "FORCED"

    again = run_module("sna_node", env=backup.env, forced_stop=True, stale_owner_confirmed_down=True, **NODE)
    assert again["changed"] is False, again  # nothing stale any more: NOT_ACTIVE
    assert [f["result"] for f in again["forced"]] == ["NOT_ACTIVE"]

    up = run_module("sna_link_station", env=backup.env, **ls_args(host))
    assert up["changed"] is True, up
    remote = host.query()
    assert remote["pu_state"] == "ACTIVE"
    assert remote["owner_instance"] != owner
    assert remote["owner_instance"] == backup.query("query_node")["node_instance"]

    # an active link station is never forced out by its own node
    own = run_module("sna_node", env=backup.env, forced_stop=True, stale_owner_confirmed_down=True, **NODE)
    assert own["changed"] is False
    assert "link station(s) HALS active on this server: not forced out" in warnings(own)
    assert host.query()["owner_instance"] == remote["owner_instance"]


def test_site_force_stop_command_and_cslinux_names(run_module, gateways, snahost, tmp_path):  # noqa: F811
    """A site command with placeholders, and the cslinux flavour's sna/snaadmin names."""
    host = snahost("--pu", "HAPU")
    gw = gateways()
    env = dict(gw.env)
    result = run_module("sna_node", env=env, flavour="cslinux", **NODE)
    assert result["changed"] is True, result
    assert result["commands"][0][0] == "snaadmin"
    assert ["sna", "start"] in result["commands"]
    assert not run_module("sna_port", env=env, flavour="cslinux", **port_args(gw)).get("failed")
    assert not run_module("sna_link_station", env=env, flavour="cslinux", state="defined", **ls_args(host)).get(
        "failed")
    forced = run_module("sna_node", env=env, flavour="cslinux", forced_stop=True, stale_owner_confirmed_down=True,
                        force_stop_command=["{daemon}", "force_stop", "--ls={ls_name}"], **NODE)
    assert not forced.get("failed"), forced
    assert ["sna", "force_stop", "--ls=HALS"] in forced["commands"]
    assert [f["result"] for f in forced["forced"]] == ["NOT_ACTIVE"]
    failing = run_module("sna_node", env=env, forced_stop=True, stale_owner_confirmed_down=True,
                         force_stop_command=["false"], **NODE)
    assert failing["failed"] is True
    assert failing["msg"] == "forced stale-node stop failed (exit 1)"


@pytest.mark.parametrize("module", ["sna_port", "sna_link_station"])
def test_needs_the_daemon(run_module, gateways, module):  # noqa: F811
    gw = gateways()
    args = {"port_name": "HAPORT"} if module == "sna_port" else {"ls_name": "HALS"}
    result = run_module(module, env=gw.env, **args)
    assert result["failed"] is True and result["primary_rc"] == "COMM_SUBSYSTEM_NOT_LOADED"
