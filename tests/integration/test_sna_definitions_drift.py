"""sna_definitions against the SNA emulator, run the way Ansible runs it: one call writes the node,
the port and every link station, a later call finds and repairs what was deleted or changed by
hand, and a run with 64 link stations prints how long the check takes (a figure, not asserted).

Every assertion on a change is checked against the emulator's own query output. Every process
started is ended by its PID (see sna_support)."""

from __future__ import annotations

import time

from sna_support import emulator_bin, gateways, snahost  # noqa: F401 - fixtures

NODE = {"fqcp_name": "APPN.GWNODE", "node_id": "05D12345"}


def port(gw):
    return {"port_name": "HAPORT", "local_ip": "127.0.0.1", "udp_port": gw.udp_port}


def link_stations(count, remote_port=12000):
    return [{"ls_name": f"LS{i:03d}", "remote_ip_host": "127.0.0.1", "remote_udp_port": remote_port,
             "pu_name": f"PU{i:03d}"} for i in range(count)]


def defined(gw):
    """{ls_name: query_ls block} as the emulator reports it (the daemon is started for the look)."""
    running = gw.pid is not None
    if not running:
        assert gw.run("snap", "start").returncode == 0
    try:
        proc = gw.run("snapadmin", "query_ls")
        assert proc.returncode == 0, proc
        blocks = [
            {k.strip(): v.strip() for k, v in (line.split("=", 1) for line in block.splitlines() if "=" in line)}
            for block in proc.stdout.strip().split("\n\n") if block.strip()
        ]
        return {b["ls_name"]: b for b in blocks}
    finally:
        if not running:
            assert gw.run("snap", "stop").returncode == 0


def admin_verbs(result):
    return [c[1].rstrip(",") for c in result["commands"] if c[0] == "snapadmin"]


def test_definitions_written_then_drift_repaired(run_module, gateways):  # noqa: F811
    gw = gateways()
    args = {"node": NODE, "port": port(gw), "link_stations": link_stations(4)}

    check = run_module("sna_definitions", env=gw.env, _ansible_check_mode=True, _ansible_diff=True, **args)
    assert check["changed"] is True, check
    assert "check mode cannot read the definitions" in " ".join(str(w) for w in check.get("warnings", []))
    assert gw.pid is None and not (gw.state_dir / "sna_node.cfg").exists()  # nothing started, nothing written

    first = run_module("sna_definitions", env=gw.env, _ansible_diff=True, **args)
    assert first["changed"] is True, first
    assert first["daemon"] == "stopped" and gw.pid is None  # started for the run and stopped again
    assert admin_verbs(first).count("define_ip_ls") == 4
    assert first["drift"] == {"node": ["missing"], "port HAPORT": ["missing"],
                              **{f"ls LS00{i}": ["missing"] for i in range(4)}}
    assert first["diff"]["before"]["link_stations"] == {}
    assert sorted(first["diff"]["after"]["link_stations"]) == ["LS000", "LS001", "LS002", "LS003"]
    lss = defined(gw)
    assert sorted(lss) == ["LS000", "LS001", "LS002", "LS003"]
    assert {ls["pu_name"] for ls in lss.values()} == {"PU000", "PU001", "PU002", "PU003"}

    again = run_module("sna_definitions", env=gw.env, **args)
    assert again["changed"] is False, again
    assert again["drift"] == {}
    assert admin_verbs(again) == ["query_node", "query_node", "query_port", "query_ls"]

    # an operator deletes one link station and changes another by hand
    assert gw.run("snap", "start").returncode == 0
    assert gw.admin("delete_ls, ls_name=LS002").returncode == 0
    assert gw.admin("define_ip_ls, ls_name=LS001, port_name=HAPORT, remote_ip_host=127.0.0.9, "
                    "remote_udp_port=12000, pu_name=PU001").returncode == 0

    # check mode reads the definitions while the daemon runs, and repairs nothing
    check = run_module("sna_definitions", env=gw.env, _ansible_check_mode=True, **args)
    assert check["changed"] is True
    assert check["drift"] == {"ls LS001": ["remote_ip_host"], "ls LS002": ["missing"]}
    assert ["snapadmin", "define_ip_ls,", "ls_name=LS002,", "port_name=HAPORT,", "remote_ip_host=127.0.0.1,",
            "remote_udp_port=12000,", "pu_name=PU002"] in check["commands"]
    assert "LS002" not in defined(gw)
    assert gw.run("snap", "stop").returncode == 0

    repair = run_module("sna_definitions", env=gw.env, _ansible_diff=True, **args)
    assert repair["changed"] is True, repair
    assert repair["drift"] == {"ls LS001": ["remote_ip_host"], "ls LS002": ["missing"]}
    assert [c[2] for c in repair["commands"] if c[0] == "snapadmin" and c[1] == "define_ip_ls,"] == [
        "ls_name=LS001,", "ls_name=LS002,"]
    assert repair["diff"]["before"]["link_stations"]["LS001"]["remote_ip_host"] == "127.0.0.9"
    assert repair["diff"]["after"]["link_stations"]["LS001"]["remote_ip_host"] == "127.0.0.1"
    lss = defined(gw)
    assert sorted(lss) == ["LS000", "LS001", "LS002", "LS003"]
    assert lss["LS001"]["remote_ip_host"] == "127.0.0.1" and lss["LS002"]["pu_name"] == "PU002"
    assert run_module("sna_definitions", env=gw.env, **args)["changed"] is False


def test_active_link_station_is_repaired_around_not_through(run_module, gateways, snahost):  # noqa: F811
    """Where the package runs (daemon up, link stations ACTIVE): a deleted link station is defined
    again in place; one that runs with another definition is left alone and reported."""
    host = snahost("--pu", "PU000", "--pu", "PU001")
    gw = gateways()
    args = {"node": NODE, "port": port(gw), "link_stations": link_stations(2, host.port)}
    assert not run_module("sna_definitions", env=gw.env, **args).get("failed")
    assert gw.run("snap", "start").returncode == 0
    for command in ("init_node", "start_port, port_name=HAPORT", "start_ls, ls_name=LS000"):
        assert gw.admin(command).returncode == 0, command
    assert gw.admin("delete_ls, ls_name=LS001").returncode == 0

    changed = dict(args, link_stations=[dict(args["link_stations"][0], description="moved"),
                                        args["link_stations"][1]])
    result = run_module("sna_definitions", env=gw.env, **changed)
    assert not result.get("failed"), result
    assert result["changed"] is True and result["daemon"] == "running"
    assert result["drift"] == {"ls LS000": ["description"], "ls LS001": ["missing"]}
    assert len(result["blocked"]) == 1 and result["blocked"][0].startswith(
        "ls LS000: link station LS000 is ACTIVE and its definition differs (description)")
    lss = defined(gw)
    assert lss["LS001"]["state"] == "NOT_ACTIVE" and lss["LS001"]["pu_name"] == "PU001"
    assert lss["LS000"]["state"] == "ACTIVE" and lss["LS000"]["description"] == ""
    assert host.query("PU000")["pu_state"] == "ACTIVE"  # the running link station was not touched


def test_bad_link_station_is_refused_before_anything_runs(run_module, gateways):  # noqa: F811
    gw = gateways()
    bad = link_stations(3)
    bad[2]["pu_name"] = "pu 2"
    result = run_module("sna_definitions", env=gw.env, node=NODE, port=port(gw), link_stations=bad)
    assert result["failed"] is True
    assert result["msg"] == ("link_stations[2].pu_name: 'pu 2' is not allowed: expected 1-8 characters "
                             "A-Z 0-9 @ # $, not starting with a digit")
    assert result["commands"] == []
    dup = link_stations(2)
    dup[1]["ls_name"] = "LS000"
    result = run_module("sna_definitions", env=gw.env, node=NODE, port=port(gw), link_stations=dup)
    assert result["msg"] == "link_stations[1].ls_name: LS000 is also link_stations[0]"
    assert gw.pid is None


def test_64_link_stations_timing(run_module, gateways):  # noqa: F811
    gw = gateways()
    args = {"node": NODE, "port": port(gw), "link_stations": link_stations(64)}
    began = time.monotonic()
    first = run_module("sna_definitions", env=gw.env, **args)
    written = time.monotonic() - began
    assert first["changed"] is True and admin_verbs(first).count("define_ip_ls") == 64, first
    began = time.monotonic()
    again = run_module("sna_definitions", env=gw.env, **args)
    checked = time.monotonic() - began
    assert again["changed"] is False and len(again["commands"]) == 6  # start, 4 queries, stop
    assert len(defined(gw)) == 64
    print(f"\nsna_definitions, 64 link stations, one node: first run {written:.2f} s "
          f"({len(first['commands'])} commands), unchanged rerun {checked:.2f} s ({len(again['commands'])} commands)")
