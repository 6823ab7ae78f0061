"""The OCF resource agents (provider failover) against the SNA emulator, and ocf-tester on each.

ocf-tester (Debian's resource-agents) checks the meta-data against ra-api-1.dtd and runs the OCF
life cycle (probe, start, monitor, stop, repeated starts and stops). The agents run from
roles/ocf_agents/files/resource.d/failover/ with their library at ../../lib/failover, the same
layout they get under /usr/lib/ocf. The emulator is installed in a temporary prefix; gateways
use private state directories; the remote host listens on 127.0.0.1. Where an agent asks the
cluster (crm_mon, stonith_admin), a stand-in script on PATH prints the cluster state of the test.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from sna_support import ROOT, emulator_bin, gateways, snahost, wait_for  # noqa: F401 - fixtures

AGENTS = ROOT / "roles" / "ocf_agents" / "files" / "resource.d" / "failover"
OCF_TESTER = "/usr/sbin/ocf-tester"
needs_tester = pytest.mark.skipif(
    not os.access(OCF_TESTER, os.X_OK) or shutil.which("xmllint") is None or os.geteuid() != 0,
    reason="needs ocf-tester (resource-agents), xmllint and root (ocf-tester checks permissions as nobody)",
)

NODE = {"fqcp_name": "APPN.GWNODE", "node_id": "05D12345"}


def agent(name, action, env, instance="rsc", interval=0, timeout=20000, **params):
    environ = dict(os.environ, **env)
    environ.update({
        "OCF_ROOT": "/usr/lib/ocf",
        "OCF_RESOURCE_INSTANCE": instance,
        "OCF_RESKEY_CRM_meta_timeout": str(timeout),
        "OCF_RESKEY_CRM_meta_interval": str(interval),
    })
    environ.update({f"OCF_RESKEY_{k}": str(v) for k, v in params.items()})
    return subprocess.run([str(AGENTS / name), action], capture_output=True, text=True, env=environ, timeout=120,
                          check=False)


def ocf_tester(name, env, **params):
    argv = [OCF_TESTER, "-n", f"test_{name}"]
    for key, value in params.items():
        argv += ["-o", f"{key}={value}"]
    proc = subprocess.run([*argv, str(AGENTS / name)], capture_output=True, text=True,
                          env=dict(os.environ, **env), timeout=300, check=False)
    return proc


def port_params(gw):
    return {"port_name": "HAPORT", "local_ip": "127.0.0.1", "udp_port": gw.udp_port}


def ls_params(host):
    return {"ls_name": "HALS", "port_name": "HAPORT", "remote_ip_host": "127.0.0.1", "remote_udp_port": host.port,
            "pu_name": "HAPU"}


def define_all(gw, host):
    """The definitions a candidate node carries before the package runs there (what the sna_gateway
    role writes with the modules): daemon started, node, port and link station defined, daemon stopped."""
    assert gw.run("snap", "start").returncode == 0
    for command in (
        "define_node, fqcp_name=APPN.GWNODE, node_id=05D12345",
        f"define_ip_port, port_name=HAPORT, local_ip=127.0.0.1, udp_port={gw.udp_port}",
        f"define_ip_ls, ls_name=HALS, port_name=HAPORT, remote_ip_host=127.0.0.1, remote_udp_port={host.port}, "
        "pu_name=HAPU",
    ):
        result = gw.admin(command)
        assert result.returncode == 0, (command, result)
    assert gw.run("snap", "stop").returncode == 0


def package_start(gw, host, env=None, instance="rsc", **node_params):
    env = dict(gw.env, **(env or {}))
    results = [agent("sna_node", "start", env, instance=instance, **NODE, **node_params),
               agent("sna_port", "start", env, **port_params(gw)),
               agent("sna_link_station", "start", env, **ls_params(host))]
    gw.remember()
    return results


# ------------------------------------------------------------------------------- ocf-tester
@needs_tester
def test_ocf_tester_sna_node(gateways):  # noqa: F811
    gw = gateways()
    proc = ocf_tester("sna_node", gw.env, **NODE)
    gw.remember()
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "passed all tests" in proc.stdout
    assert gw.pid is None  # the last stop stopped the daemon


@needs_tester
def test_ocf_tester_sna_port(gateways):  # noqa: F811
    gw = gateways()
    assert agent("sna_node", "start", gw.env, **NODE).returncode == 0
    gw.remember()
    proc = ocf_tester("sna_port", gw.env, **port_params(gw))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert gw.query("query_port", port_name="HAPORT")["port_state"] == "NOT_ACTIVE"


@needs_tester
def test_ocf_tester_sna_link_station(gateways, snahost):  # noqa: F811
    host = snahost("--pu", "HAPU")
    gw = gateways()
    assert agent("sna_node", "start", gw.env, **NODE).returncode == 0
    gw.remember()
    assert agent("sna_port", "start", gw.env, **port_params(gw)).returncode == 0
    proc = ocf_tester("sna_link_station", gw.env, **ls_params(host))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    remote = host.query()
    assert remote["pu_state"] == "INACTIVE"
    assert int(remote["activations"]) >= 2  # started, stopped and started again, for real


@needs_tester
def test_ocf_tester_script(tmp_path):
    script = tmp_path / "pkg_script"
    log = tmp_path / "calls"
    script.write_text(f"#!/bin/sh\necho \"$1\" >> {log}\nexit 0\n")
    script.chmod(0o755)
    proc = ocf_tester("script", {}, script=script, state_dir=tmp_path / "state")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert log.read_text().split() == ["start", "stop", "start", "stop"]


# ------------------------------------------------------------------------------- meta-data
@pytest.mark.parametrize("name", ["ip", "sna_node", "sna_port", "sna_link_station", "script"])
def test_meta_data_and_unknown_action(name):
    meta = agent(name, "meta-data", {})
    assert meta.returncode == 0
    assert f'<resource-agent name="{name}"' in meta.stdout
    assert agent(name, "migrate_to", {}).returncode == 3  # OCF_ERR_UNIMPLEMENTED


def test_validate_all_rejects_bad_values(gateways):  # noqa: F811
    gw = gateways()
    assert agent("sna_node", "validate-all", gw.env, fqcp_name="gw node").returncode == 6
    assert agent("sna_node", "validate-all", gw.env, force_stale="sometimes").returncode == 6
    assert agent("sna_link_station", "validate-all", gw.env, ls_name="HALS", port_name="HAPORT").returncode == 6
    assert agent("sna_port", "validate-all", gw.env, port_name="HAPORT", stop_type="SOON").returncode == 6
    missing = dict(gw.env, PATH="/usr/bin:/bin")
    assert agent("sna_port", "validate-all", missing, port_name="HAPORT").returncode == 5  # not installed
    assert agent("sna_port", "monitor", missing, port_name="HAPORT").returncode == 7  # a probe says stopped
    assert agent("script", "validate-all", {}, script="relative/path").returncode == 6


# ------------------------------------------------------------------------------- failure paths
def test_start_ls_refused_without_daemon_or_port(gateways, snahost):  # noqa: F811
    host = snahost("--pu", "HAPU")
    gw = gateways()
    down = agent("sna_link_station", "start", gw.env, **ls_params(host))
    assert down.returncode == 1
    assert "COMM_SUBSYSTEM_NOT_LOADED" in down.stderr
    assert agent("sna_link_station", "monitor", gw.env, **ls_params(host)).returncode == 7

    assert agent("sna_node", "start", gw.env, **NODE).returncode == 0
    gw.remember()
    assert gw.admin(f"define_ip_port, port_name=HAPORT, local_ip=127.0.0.1, udp_port={gw.udp_port}").returncode == 0
    refused = agent("sna_link_station", "start", gw.env, **ls_params(host))
    assert refused.returncode == 1
    assert "start_ls failed: STATE_CHECK/PORT_NOT_STARTED" in refused.stderr
    assert gw.query("query_ls", ls_name="HALS")["state"] == "NOT_ACTIVE"
    assert host.query()["pu_state"] == "INACTIVE"


def test_monitor_fails_when_the_peer_is_lost(gateways, snahost):  # noqa: F811
    host = snahost("--pu", "HAPU")
    gw = gateways()
    assert [r.returncode for r in package_start(gw, host)] == [0, 0, 0]
    params = ls_params(host)
    assert agent("sna_link_station", "monitor", gw.env, interval=10000, **params).returncode == 0
    host.pause()  # the remote host, or the network to it, goes silent
    try:
        assert wait_for(lambda: gw.query("query_ls", ls_name="HALS")["state"] == "NOT_ACTIVE", timeout=10)
        failed = agent("sna_link_station", "monitor", gw.env, interval=10000, **params)
    finally:
        host.resume()
    assert failed.returncode == 7  # OCF_NOT_RUNNING: the cluster recovers the package
    assert "link station HALS left ACTIVE: NOT_ACTIVE (last_error PEER_LOST)" in failed.stderr
    # recovery: stop and start again
    assert agent("sna_link_station", "stop", gw.env, **params).returncode == 0
    assert agent("sna_link_station", "start", gw.env, **params).returncode == 0
    assert agent("sna_link_station", "monitor", gw.env, interval=10000, **params).returncode == 0


def test_stop_escalates_to_immediate_stop(gateways, snahost):  # noqa: F811
    host = snahost("--pu", "HAPU")
    gw = gateways()
    gw.env.update(SNAEMU_KA_INTERVAL="5", SNAEMU_STOP_TIMEOUT="3")  # the remote's silence is not noticed yet
    assert [r.returncode for r in package_start(gw, host)] == [0, 0, 0]
    host.pause()
    try:
        started = time.monotonic()
        stop = agent("sna_link_station", "stop", gw.env, stop_timeout=1, **ls_params(host))
        took = time.monotonic() - started
    finally:
        host.resume()
    assert stop.returncode == 0, stop.stderr
    assert "escalating to IMMEDIATE_STOP" in stop.stderr
    assert took < 10
    assert gw.query("query_ls", ls_name="HALS")["state"] == "NOT_ACTIVE"


# ------------------------------------------------------------------------------- the stale node
CRM_MON = """<pacemaker-result api-version="2.25" request="crm_mon --output-as=xml">
  <nodes>
    <node name="node1" id="1" online="{online}" standby="false" pending="false" unclean="{unclean}"
          shutdown="false" expected_up="true" is_dc="false" resources_running="{running}" type="member"/>
    <node name="node2" id="2" online="true" standby="false" pending="false" unclean="false" shutdown="false"
          expected_up="true" is_dc="true" resources_running="1" type="member"/>
  </nodes>
  <resources>
    <group id="sna" number_resources="1" managed="true" disabled="false">
      <resource id="sna.res.node" resource_agent="ocf:failover:sna_node" role="Started" active="{active}"
                orphaned="false" blocked="false" managed="true" failed="false" failure_ignored="false"
                nodes_running_on="{running}">{where}</resource>
    </group>
  </resources>
  <status code="0" message="OK"/>
</pacemaker-result>
"""

FENCE_HISTORY = """<pacemaker-result api-version="2.25" request="stonith_admin --history node1 --output-as=xml">
  <fence_history status="0">
    <fence_event action="reboot" target="node1" client="pacemaker-controld.900" origin="node2" status="success"
                 delegate="node2" completed="2026-11-22 00:21:46Z"/>
  </fence_history>
  <status code="0" message="OK"/>
</pacemaker-result>
"""


def fake_cluster(gw, bindir: Path, node1: str, fenced: bool = False) -> dict:
    """crm_mon and stonith_admin stand-ins printing node1 in the given state; node2 is this node."""
    bindir.mkdir(parents=True, exist_ok=True)
    states = {
        "unclean": {"online": "false", "unclean": "true", "running": 1, "active": "true",
                    "where": '<node name="node1" id="1" cached="true"/>'},
        "offline": {"online": "false", "unclean": "false", "running": 0, "active": "false", "where": ""},
        "active": {"online": "true", "unclean": "false", "running": 1, "active": "true",
                   "where": '<node name="node1" id="1" cached="true"/>'},
    }
    (bindir / "crm_mon.xml").write_text(CRM_MON.format(**states[node1]))
    (bindir / "crm_mon").write_text(f"#!/bin/sh\ncat {bindir / 'crm_mon.xml'}\n")
    history = FENCE_HISTORY if fenced else FENCE_HISTORY.replace('status="success"', 'status="failed"')
    (bindir / "fence.xml").write_text(history)
    (bindir / "stonith_admin").write_text(f"#!/bin/sh\ncat {bindir / 'fence.xml'}\n")
    for tool in ("crm_mon", "stonith_admin"):
        (bindir / tool).chmod(0o755)
    return dict(gw.env, PATH=f"{bindir}:{gw.env['PATH']}", OCF_RESKEY_CRM_meta_on_node="node2")


@pytest.fixture
def crashed_primary(gateways, snahost):  # noqa: F811
    """node1's gateway ran the package and panicked; node2's gateway carries the definitions."""
    host = snahost("--pu", "HAPU")
    primary, backup = gateways("gw1"), gateways("gw2")
    assert [r.returncode for r in package_start(primary, host)] == [0, 0, 0]
    owner = host.query()["owner_instance"]
    primary.crash()
    define_all(backup, host)
    return host, backup, owner


def test_stale_node_not_forced_while_the_old_owner_is_unclean(crashed_primary, tmp_path):
    host, backup, owner = crashed_primary
    env = fake_cluster(backup, tmp_path / "cluster", "unclean")
    node, port, ls = package_start(backup, host, env=env, instance="sna.res.node")
    assert node.returncode == 0  # the node itself starts
    assert "stale node NOT forced out (node1 is unclean (lost, not fenced yet))" in node.stderr
    assert port.returncode == 0
    assert ls.returncode == 1
    assert "UNSUCCESSFUL/NODE_ACTIVE_ELSEWHERE" in ls.stderr
    assert host.query()["owner_instance"] == owner


def test_stale_node_not_forced_while_the_old_owner_runs_the_resource(crashed_primary, tmp_path):
    host, backup, owner = crashed_primary
    env = fake_cluster(backup, tmp_path / "cluster", "active")
    node = agent("sna_node", "start", env, instance="sna.res.node", **NODE)
    backup.remember()
    assert node.returncode == 0
    assert "node1 is online and sna.res.node is active, failed or unmanaged there" in node.stderr
    assert host.query()["owner_instance"] == owner


def test_stale_node_not_forced_by_policy(crashed_primary, tmp_path):
    host, backup, owner = crashed_primary
    env = fake_cluster(backup, tmp_path / "cluster", "offline", fenced=False)
    never = agent("sna_node", "start", env, instance="sna.res.node", force_stale="never", **NODE)
    backup.remember()
    assert never.returncode == 0 and "force_stale=never" in never.stderr
    assert agent("sna_node", "stop", env, **NODE).returncode == 0
    fenced = agent("sna_node", "start", env, instance="sna.res.node", force_stale="fenced", **NODE)
    backup.remember()
    assert fenced.returncode == 0
    assert "node1 is offline but has no successful fencing on record" in fenced.stderr
    assert host.query()["owner_instance"] == owner


@pytest.mark.parametrize(("policy", "fenced"), [("cluster", False), ("fenced", True)])
def test_stale_node_forced_out_once_the_old_owner_is_down(crashed_primary, tmp_path, policy, fenced):
    host, backup, owner = crashed_primary
    env = fake_cluster(backup, tmp_path / "cluster", "offline", fenced=fenced)
    node, port, ls = package_start(backup, host, env=env, instance="sna.res.node", force_stale=policy)
    assert node.returncode == 0, node.stderr
    assert "forcing a stale node out (node1 is offline" in node.stderr
    assert "forced stop of HALS (PU HAPU): FORCED" in node.stderr
    # where the start's time went, in one line (the crash benchmark reads it from the journal)
    timing = re.search(r"SNA node started in ([0-9.]+) s \((.*)\)", node.stderr)
    assert timing, node.stderr
    spent = dict(re.findall(r"([A-Za-z_ ]+) ([0-9.]+) s", timing.group(2)))
    assert {"control daemon", "define", "cluster check", "forced stop", "init_node", "until ACTIVE"} <= {
        k.strip(", ") for k in spent}, timing.group(0)
    assert sum(float(v) for v in spent.values()) <= float(timing.group(1)) + 0.01
    assert port.returncode == 0, port.stderr
    assert ls.returncode == 0, ls.stderr
    remote = host.query()
    assert remote["pu_state"] == "ACTIVE"
    assert remote["owner_instance"] != owner
    assert remote["owner_instance"] == backup.query("query_node")["node_instance"]
    # the package's halt: snap stop tells the remote host
    assert agent("sna_node", "stop", env, **NODE).returncode == 0
    assert host.query()["last_deactivation"] == "NODE_STOP"


def test_script_agent_failure_paths(tmp_path):
    script = tmp_path / "pkg_script"
    script.write_text("#!/bin/sh\n[ \"$1\" = start ] && { echo starting; exit 0; }\necho cannot stop >&2\nexit 3\n")
    script.chmod(0o755)
    params = {"script": script, "state_dir": tmp_path / "state"}
    assert agent("script", "monitor", {}, **params).returncode == 7
    assert agent("script", "start", {}, **params).returncode == 0
    assert agent("script", "monitor", {}, interval=10000, **params).returncode == 0
    stop = agent("script", "stop", {}, **params)
    assert stop.returncode == 1
    assert "stop failed (exit 3): cannot stop" in stop.stderr
    assert agent("script", "monitor", {}, interval=10000, **params).returncode == 0  # still running
    missing = dict(params, script=tmp_path / "nothere")
    assert agent("script", "monitor", {}, instance="other", **missing).returncode == 7  # probe
    assert agent("script", "start", {}, instance="other", **missing).returncode == 5
