"""The remote SNA host and the HA failure modes that involve it: restrictions, a stale node left
by a crashed primary, the forced stop, the stale timer. Primary and backup are two gateways on
127.0.0.1 with different UDP ports (in the lab they share the relocatable IP)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

from snaemu_helpers import EMULATOR_SRC, SnaHost, rcs, wait_for


def crash(gw):
    """The primary dies without snap stop: nothing reaches the remote host."""
    pid = gw.pid
    os.kill(pid, signal.SIGKILL)
    assert wait_for(lambda: gw.pid is None)


def test_address_restriction(gateways, snahost):
    host = snahost("--pu", "HAPU,address=127.0.0.9", "--pu", "OPENPU,address=127.0.0.0/8")
    gw = gateways()
    gw.setup(host.port, start_ls=False)
    refused = gw.admin("start_ls, ls_name=HALS")
    assert refused.rc == 4
    assert rcs(refused) == ("UNSUCCESSFUL", "ADDRESS_NOT_ALLOWED")
    assert "127.0.0.1 may not activate PU HAPU" in refused.err
    assert gw.query_ls()["last_error"] == "ADDRESS_NOT_ALLOWED"
    assert host.query()["pu_state"] == "INACTIVE"
    force = gw.snap("force_stop")
    assert force.rc == 4 and "result                      = REFUSED" in force.out  # restricted too
    assert (
        gw.admin(
            f"define_ip_ls, ls_name=HALS, port_name=HAPORT, remote_ip_host=127.0.0.1, "
            f"remote_udp_port={host.port}, pu_name=OPENPU"
        ).rc
        == 0
    )
    assert gw.admin("start_ls, ls_name=HALS").rc == 0
    assert host.query("OPENPU")["pu_state"] == "ACTIVE"


def test_mac_restriction_reads_the_neighbour_table(gateways, snahost, tmp_path):
    arp = tmp_path / "arp"
    header = "IP address       HW type     Flags       HW address            Mask     Device\n"
    arp.write_text(header + "127.0.0.1        0x1         0x2         02:00:00:00:00:bb     *        lo\n")
    host = snahost("--pu", "HAPU,mac=02:00:00:00:00:AA", "--arp-table", str(arp))
    gw = gateways()
    gw.setup(host.port, start_ls=False)
    assert rcs(gw.admin("start_ls, ls_name=HALS")) == ("UNSUCCESSFUL", "MAC_NOT_ALLOWED")
    arp.write_text(header + "127.0.0.1        0x1         0x2         02:00:00:00:00:aa     *        lo\n")
    assert gw.admin("start_ls, ls_name=HALS").rc == 0
    pu = host.query()
    assert pu["owner_mac"] == "02:00:00:00:00:aa" and pu["allowed_macs"] == "02:00:00:00:00:aa"


def test_a_pu_the_host_operator_made_unavailable_is_refused_until_accepted(gateways, snahost):
    """Issue 16: the remote host refuses one PU (``refuse=yes`` or ``snahost refuse``); the gateway's
    start_ls fails with the product's code; ``snahost accept`` lets the next activation through."""
    host = snahost("--pu", "HAPU,refuse=yes", "--pu", "OTHERPU")
    gw = gateways()
    gw.setup(host.port, start_ls=False)
    assert host.query()["refuse_activation"] == "YES"
    refused = gw.admin("start_ls, ls_name=HALS")
    assert rcs(refused) == ("UNSUCCESSFUL", "PU_NOT_AVAILABLE")
    assert "PU HAPU is not available for activation" in refused.err
    assert gw.query_ls()["last_error"] == "PU_NOT_AVAILABLE"
    assert host.query()["pu_state"] == "INACTIVE" and host.query()["activations"] == "0"
    accepted = host.cli("accept", "pu_name=HAPU")
    assert accepted.rc == 0 and "refuse_activation           = NO" in accepted.out
    assert gw.admin("start_ls, ls_name=HALS").rc == 0
    assert host.query()["pu_state"] == "ACTIVE" and host.query()["activations"] == "1"
    # refusing new activations leaves the active session alone
    assert host.cli("refuse", "pu_name=HAPU").rc == 0
    assert host.query()["pu_state"] == "ACTIVE" and host.query()["refuse_activation"] == "YES"


def test_unknown_pu(gateways, snahost):
    host = snahost("--pu", "HAPU")
    gw = gateways()
    gw.setup(host.port, pu="NOSUCH", start_ls=False)
    assert rcs(gw.admin("start_ls, ls_name=HALS")) == ("UNSUCCESSFUL", "UNKNOWN_PU")


def test_crashed_primary_blocks_the_backup_until_forced_out(gateways, snahost):
    host = snahost("--pu", "HAPU")
    primary, backup = gateways("primary"), gateways("backup")
    primary.setup(host.port)
    owner = host.query()
    crash(primary)
    # the remote host never heard that the primary's node stopped
    assert host.query()["pu_state"] == "ACTIVE"
    assert host.query()["owner_instance"] == owner["owner_instance"]
    backup.setup(host.port, start_ls=False)
    refused = backup.run("snaadmin", "start_ls, ls_name=HALS")
    assert refused.rc == 4
    assert rcs(refused) == ("UNSUCCESSFUL", "NODE_ACTIVE_ELSEWHERE")
    assert "force the stale node out first" in refused.err
    assert backup.query_ls()["state"] == "NOT_ACTIVE"
    # refused again on retry: the failure mode does not go away by itself
    assert rcs(backup.admin("start_ls, ls_name=HALS")) == ("UNSUCCESSFUL", "NODE_ACTIVE_ELSEWHERE")
    forced = backup.snap("force_stop", "--ls", "HALS")
    assert forced.rc == 0, forced
    assert "result                      = FORCED" in forced.out
    assert f"previous_owner_address      = {owner['owner_address']}" in forced.out
    pu = host.query()
    assert pu["pu_state"] == "INACTIVE" and pu["last_deactivation"] == "FORCED"
    assert backup.admin("start_ls, ls_name=HALS").rc == 0
    pu = host.query()
    assert pu["pu_state"] == "ACTIVE" and pu["owner_port"] == str(backup.udp_port)
    assert pu["owner_instance"] != owner["owner_instance"] and pu["activations"] == "2"
    # naming a link station that is not defined is a bad request
    again = backup.snap("force_stop", "--ls", "NOSUCH")
    assert again.rc == 2


def test_force_stop_works_without_a_running_daemon_and_is_idempotent(gateways, snahost):
    host = snahost("--pu", "HAPU")
    primary, backup = gateways("primary"), gateways("backup")
    primary.setup(host.port)
    crash(primary)
    backup.setup(host.port, start_ls=False)
    assert backup.snap("stop").rc == 0
    first = backup.snap("force_stop")
    assert first.rc == 0 and "result                      = FORCED" in first.out
    second = backup.snap("force_stop")
    assert second.rc == 0 and "result                      = NOT_ACTIVE" in second.out


def test_force_stop_tells_a_live_owner(gateways, snahost):
    """Split brain guard: a forced stop drops the sessions of an owner that is in fact alive."""
    host = snahost("--pu", "HAPU")
    primary, backup = gateways("primary"), gateways("backup")
    primary.setup(host.port)
    backup.setup(host.port, start_ls=False)
    assert backup.snap("force_stop").rc == 0
    assert wait_for(lambda: primary.query_ls()["state"] == "NOT_ACTIVE")
    assert primary.query_ls()["last_error"] == "REMOTE_DEACTIVATED_FORCED"


def test_force_stop_without_answer(gateways, snahost):
    host = snahost("--pu", "HAPU")
    gw = gateways()
    gw.setup(host.port, start_ls=False)
    os.kill(host.proc.pid, signal.SIGSTOP)
    try:
        result = gw.snap("force_stop")
    finally:
        os.kill(host.proc.pid, signal.SIGCONT)
    assert result.rc == 4 and "result                      = NO_RESPONSE" in result.out


def test_remote_timer_releases_a_silent_owner(gateways, snahost):
    host = snahost("--pu", "HAPU", stale_timeout=0.6)
    primary, backup = gateways("primary"), gateways("backup")
    primary.setup(host.port)
    crash(primary)
    assert wait_for(lambda: host.query()["pu_state"] == "INACTIVE", timeout=5)
    assert host.query()["last_deactivation"] == "TIMEOUT"
    backup.setup(host.port)
    assert host.query()["owner_port"] == str(backup.udp_port)


def test_snahost_cli_status_file_and_release(gateways, snahost):
    host = snahost("--pu", "HAPU")
    gw = gateways()
    gw.setup(host.port)
    query = host.cli("query", "pu_name=HAPU")
    assert query.rc == 0
    assert "pu_state                    = ACTIVE" in query.out
    assert "owner_cp_name               = APPN.GWNODE" in query.out
    status = json.loads((host.state_dir / "status.json").read_text())
    assert status[0]["pu_state"] == "ACTIVE"
    assert host.cli("query", "pu_name=NOPE").rc == 1
    released = host.cli("release", "pu_name=HAPU")
    assert released.rc == 0 and "last_deactivation           = RELEASED" in released.out
    assert wait_for(lambda: gw.query_ls()["state"] == "NOT_ACTIVE")
    assert host.cli("stop").rc == 0
    assert host.proc.wait(5) == 0
    assert host.cli("query").rc == 1  # nothing answers any more


def test_snahost_config_file(gateways, tmp_path):
    conf = tmp_path / "snahost.conf"
    conf.write_text(
        "[host]\nstale_timeout = 0\nka_interval = 0.2\n\n"
        "[pu HAPU]\nallowed_addresses = 127.0.0.1, 10.0.0.0/8   ; gateways\nallowed_macs =\n"
    )
    host = SnaHost(tmp_path / "host", "--config", str(conf))
    try:
        pu = host.query()
        assert pu["allowed_addresses"] == "127.0.0.1/32 10.0.0.0/8" and pu["allowed_macs"] == "ANY"
    finally:
        host.stop()


def test_install_writes_commands_and_units(tmp_path):
    prefix = tmp_path / "usr" / "local"
    units = tmp_path / "units"
    env = dict(os.environ, PYTHONPATH=str(EMULATOR_SRC))
    subprocess.run(
        [
            sys.executable,
            "-m",
            "sna_emulator",
            "install",
            "--prefix",
            str(prefix),
            "--python",
            sys.executable,
            "--systemd-dir",
            str(units),
        ],
        check=True,
        env=env,
        capture_output=True,
    )
    for tool in ("snap", "sna", "snapadmin", "snaadmin", "snahost"):
        assert os.access(prefix / "bin" / tool, os.X_OK)
    clean = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    clean["SNAEMU_STATE_DIR"] = str(tmp_path / "state")
    result = subprocess.run(
        [str(prefix / "bin" / "snaadmin"), "query_node"],
        capture_output=True,
        text=True,
        env=clean,
        check=False,
        cwd=tmp_path,
    )
    assert result.returncode == 5 and "snaadmin: query_node failed" in result.stderr
    status = subprocess.run(
        [str(prefix / "bin" / "sna"), "status"], capture_output=True, text=True, env=clean, check=False
    )
    assert status.returncode == 3 and status.stdout.startswith("sna:")
    unit = (units / "snaemu-snapd.service").read_text()
    assert f"ExecStart={prefix}/bin/snap start" in unit and "Type=forking" in unit
    assert "snahost run" in (units / "snaemu-snahost.service").read_text()
    subprocess.run(
        [sys.executable, "-m", "sna_emulator", "uninstall", "--prefix", str(prefix), "--systemd-dir", str(units)],
        check=True,
        env=env,
        capture_output=True,
    )
    assert not (prefix / "bin" / "snap").exists() and not (units / "snaemu-snapd.service").exists()
