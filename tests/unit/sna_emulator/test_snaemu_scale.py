"""The emulator with 64 PUs and link stations: the same verbs and failure modes as with one,
started at once from many clients, stopped and forced out without one timeout per link station.

The bounds on elapsed time below are not benchmarks: each one is far under what the same work
costs when done one link station after another (64 x the timer), so they only fail when the
emulator serialises what must run side by side."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest
from snaemu_helpers import ACT_TIMEOUT, Gateway, SnaHost, rcs, wait_for

from sna_emulator import control
from sna_emulator.host import load_config, parse_pu_option

COUNT = 64
PUS = [f"PU{i:03d}" for i in range(COUNT)]
LSS = [f"LS{i:03d}" for i in range(COUNT)]


def define(gw: Gateway, host: SnaHost, count: int = COUNT) -> None:
    assert gw.snap("start").rc == 0
    for command in (
        "define_node, fqcp_name=APPN.GWNODE, node_id=05D12345",
        f"define_ip_port, port_name=HAPORT, local_ip=127.0.0.1, udp_port={gw.udp_port}",
        *(
            f"define_ip_ls, ls_name={ls}, port_name=HAPORT, remote_ip_host=127.0.0.1, "
            f"remote_udp_port={host.port}, pu_name={pu}"
            for ls, pu in zip(LSS[:count], PUS[:count], strict=True)
        ),
        "init_node",
        "start_port, port_name=HAPORT",
    ):
        result = gw.admin(command)
        assert result.rc == 0, (command, result)


def at_once(gw: Gateway, commands: list[str]) -> dict:
    """Every admin command from its own client thread, all released together."""
    results: dict = {}
    gate = threading.Barrier(len(commands))

    def one(command: str) -> None:
        gate.wait()
        results[command] = gw.admin(command)

    threads = [threading.Thread(target=one, args=(c,)) for c in commands]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def host_args(*extra: str) -> list[str]:
    args: list[str] = []
    for pu in PUS:
        args += ["--pu", pu]
    return [*args, *extra]


def states(gw: Gateway) -> dict:
    out = gw.admin("query_ls")
    assert out.rc == 0, out
    blocks = [
        {key.strip(): value.strip() for key, value in (line.split("=", 1) for line in block.splitlines())}
        for block in out.out.strip().split("\n\n")
    ]
    return {b["ls_name"]: b["state"] for b in blocks}


def remote(host: SnaHost) -> dict:
    answer = control.request(host.state_dir / "snahost.sock", {"op": "query", "params": {}})
    return {pu["pu_name"]: pu for pu in answer["objects"]}


def test_64_link_stations_start_at_once_and_each_owns_its_pu(gateways, snahost):
    host = snahost(*host_args())
    gw = gateways()
    define(gw, host)
    results = at_once(gw, [f"start_ls, ls_name={ls}" for ls in LSS])
    failed = {c: r for c, r in results.items() if r.rc != 0}
    assert not failed, failed
    assert set(states(gw).values()) == {"ACTIVE"}
    pus = remote(host)
    assert {pus[pu]["pu_state"] for pu in PUS} == {"ACTIVE"}
    assert [pus[pu]["owner_ls_name"] for pu in PUS] == LSS
    assert len({pus[pu]["session_id"] for pu in PUS}) == COUNT
    port = gw.admin("query_port, port_name=HAPORT").out
    assert "active_ls_count             = 64" in port
    # keepalives reach each of the 64 sessions: nothing leaves ACTIVE over several intervals
    time.sleep(1.0)
    assert set(states(gw).values()) == {"ACTIVE"}


def test_64_orderly_stops_reach_the_remote_and_snap_stop_is_one_wait(gateways, snahost):
    host = snahost(*host_args())
    gw = gateways()
    # keepalives far apart: the link stations must not leave ACTIVE on their own while the remote is silent
    gw.env["SNAEMU_KA_INTERVAL"] = "5"
    define(gw, host)
    assert not [r for r in at_once(gw, [f"start_ls, ls_name={ls}" for ls in LSS]).values() if r.rc]
    half = LSS[: COUNT // 2]
    results = at_once(gw, [f"stop_ls, ls_name={ls}" for ls in half])
    assert not [r for r in results.values() if r.rc]
    pus = remote(host)
    assert [pus[pu]["last_deactivation"] for pu in PUS[: COUNT // 2]] == ["ORDERLY"] * (COUNT // 2)
    assert {pus[pu]["pu_state"] for pu in PUS[COUNT // 2 :]} == {"ACTIVE"}

    # the remote goes silent: each orderly stop waits its timer (0.5 s here) - at once, not 32 x 0.5 s
    host.pause()
    try:
        began = time.monotonic()
        assert gw.snap("stop").rc == 0
        elapsed = time.monotonic() - began
    finally:
        host.resume()
    assert gw.pid is None
    assert elapsed < 5.0, f"snap stop took {elapsed:.1f} s for 32 silent link stations"


def test_force_stop_of_64_pus_runs_side_by_side(gateways, snahost):
    host = snahost(*host_args())
    primary, backup = gateways("primary"), gateways("backup")
    define(primary, host)
    assert not [r for r in at_once(primary, [f"start_ls, ls_name={ls}" for ls in LSS]).values() if r.rc]
    pid = primary.pid
    os.kill(pid, signal.SIGKILL)  # the primary panics, nobody is told
    assert wait_for(lambda: primary.pid is None)
    define(backup, host)
    refused = backup.admin(f"start_ls, ls_name={LSS[-1]}")
    assert rcs(refused) == ("UNSUCCESSFUL", "NODE_ACTIVE_ELSEWHERE")
    forced = backup.snap("force_stop")
    assert forced.rc == 0, forced
    assert forced.out.count("result                      = FORCED") == COUNT
    assert {pu["last_deactivation"] for pu in remote(host).values()} == {"FORCED"}
    assert not [r for r in at_once(backup, [f"start_ls, ls_name={ls}" for ls in LSS]).values() if r.rc]
    owners = {pu["owner_instance"] for pu in remote(host).values()}
    assert len(owners) == 1 and owners != {""}

    # a silent remote: 64 PUs give up after one activation timeout, not 64 of them
    host.pause()
    try:
        began = time.monotonic()
        silent = backup.snap("force_stop")
        elapsed = time.monotonic() - began
    finally:
        host.resume()
    assert silent.rc == 4
    assert silent.out.count("result                      = NO_RESPONSE") == COUNT
    assert elapsed < 4 * ACT_TIMEOUT, f"force_stop took {elapsed:.1f} s for 64 silent PUs"


def test_activation_delay_is_per_pu_and_does_not_serialise(gateways, snahost):
    args = [*host_args("--act-delay", "0.3")]
    args[1] = f"{PUS[0]},act_delay=0"
    host = snahost(*args)
    gw = gateways()
    define(gw, host)
    began = time.monotonic()
    assert gw.admin(f"start_ls, ls_name={LSS[0]}").rc == 0
    assert time.monotonic() - began < 0.25  # this PU has no delay
    began = time.monotonic()
    results = at_once(gw, [f"start_ls, ls_name={ls}" for ls in LSS[1:]])
    elapsed = time.monotonic() - began
    assert not [r for r in results.values() if r.rc]
    assert 0.3 <= elapsed < 3.0, f"63 delayed activations took {elapsed:.2f} s (0.3 s each, side by side)"
    assert {pu["pu_state"] for pu in remote(host).values()} == {"ACTIVE"}
    assert {pu["activations"] for pu in remote(host).values()} == {1}  # retransmissions did not re-activate


def test_activation_delay_longer_than_the_gateway_waits(gateways, snahost):
    host = snahost("--pu", "HAPU", "--act-delay", str(ACT_TIMEOUT * 2))
    gw = gateways()
    gw.setup(host.port, start_ls=False)
    assert host.query()["pu_state"] == "INACTIVE"
    late = gw.admin("start_ls, ls_name=HALS")
    assert rcs(late) == ("UNSUCCESSFUL", "NO_RESPONSE")
    assert host.query()["pu_state"] == "PENDING_ACTIVE"
    # the remote finishes the activation it was asked for: a session the gateway no longer knows
    assert wait_for(lambda: host.query()["pu_state"] == "ACTIVE", timeout=5)
    assert gw.query_ls()["state"] == "NOT_ACTIVE"


def test_activation_delay_settings(tmp_path):
    assert parse_pu_option("HAPU,act_delay=0.5").act_delay == 0.5
    assert parse_pu_option("HAPU").act_delay is None
    with pytest.raises(ValueError, match=r"--pu HAPU,act_delay=soon: act_delay 'soon' is not a number of seconds"):
        parse_pu_option("HAPU,act_delay=soon")
    conf = tmp_path / "snahost.conf"
    conf.write_text("[host]\nact_delay = 0.2\n\n[pu A]\nact_delay = 1.5\n\n[pu B]\n")
    host, pus = load_config(conf)
    assert host["act_delay"] == "0.2"
    assert [(pu.name, pu.act_delay) for pu in pus] == [("A", 1.5), ("B", None)]
    conf.write_text("[pu A]\nact_delay = -1\n")
    with pytest.raises(ValueError, match=r"\[pu A\]: act_delay '-1' must be 0 to 600 seconds"):
        load_config(conf)
