"""Faults of a 2-node cluster with a quorum server, running the SNA gateway package.

Lab: lab/specs/demo.yml (node1, node2, qs = corosync-qnetd, mainframe = the emulated remote SNA
host and the probe), provisioned with inventories/lab (low_latency timing, ffsplit). The probe on
the mainframe checks every ~100 ms by ARP and by the remote host's PU table that at most one node
holds the relocatable IP and the link stations.

    sudo .venv/bin/pytest -m faults tests/faults -s        # FAULT_ROUNDS=10 by default
"""

from __future__ import annotations

import time

import pytest
from faultlab import (
    NODES,
    PUS,
    PYTESTMARK,
    ROOT,
    ROUNDS,
    DualActiveError,
    Probe,
    analyse,
    lab_for_module,
    link_station_id,
    log,
    other,
    partition_rounds,
    pus_owned_by,
    summary,
    wait_for,
)

PREFIX = "f8q"
pytestmark = PYTESTMARK


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    yield from lab_for_module(PREFIX, tmp_path_factory.mktemp("faults-qs"), ROOT / "lab" / "specs" / "demo.yml")


def test_partition_with_quorum_server(lab):
    rounds = partition_rounds(lab, ROUNDS)
    summary("partition, quorum server", rounds)
    assert sum(r["probes"] for r in rounds) > 100 * ROUNDS
    assert sum(r["pu_dual_active"] for r in rounds) == 0, [r["violations"] for r in rounds]
    # ffsplit with tie_breaker lowest: node1's side wins every even split
    assert {r["winner"] for r in rounds} == {"node1"}
    if any(r["ip_dual_active"] for r in rounds):
        raise DualActiveError(f"relocatable IP answered by two nodes: {[r['violations'] for r in rounds]}")


def qdevice_votes(lab, node):
    text = lab.sh(node, "corosync-quorumtool -s", timeout=30).stdout
    for line in text.splitlines():
        if line.strip().startswith("Total votes:"):
            return int(line.split(":")[1])
    return 0


def test_quorum_server_down_does_not_interrupt(lab):
    node = lab.settled()
    results = {}
    for how in ("stop corosync-qnetd", "crash qs"):
        probe = Probe(lab)
        try:
            time.sleep(1)
            t0 = time.monotonic()
            if how.startswith("stop"):
                lab.sh("qs", "systemctl stop corosync-qnetd", check=True)
            else:
                lab.ctl("crash", "qs")
            # the qdevice heartbeat (0.8 x 2000 ms) and sync timeout (5000 ms) pass many times
            wait_for(lambda: all(qdevice_votes(lab, n) == 2 for n in NODES), 60, what="qdevice vote lost")
            time.sleep(10)
            views = [lab.view(n) for n in NODES]
            assert all(v["quorate"] and v["online"] == list(NODES) for v in views), views
            assert {lab.package_node(v) for v in views} == {node}
            t_back = time.monotonic()
            if how.startswith("stop"):
                lab.sh("qs", "systemctl start corosync-qnetd", check=True)
            else:
                lab.ctl("start", "qs")
            back_s, _ = wait_for(lambda: all(qdevice_votes(lab, n) == 3 for n in NODES), 180,
                                 what="qdevice vote back")
            time.sleep(1)
        finally:
            samples = probe.stop()
        report = analyse(samples, lab.macs, t0)
        results[how] = {"probes": report["probes"], "not_up": sum(not s.up(lab.macs) for s in samples if s.t >= t0),
                        "violations": report["violations"], "vote_back_s": round(back_s, 1),
                        "down_for_s": round(t_back - t0, 1)}
        log(f"quorum server down ({how}): {results[how]}")
    for how, r in results.items():
        assert r["violations"] == [], how
        assert r["probes"] > 50, how
        assert r["not_up"] == 0, (how, r)  # the service answered at every probe
    assert lab.settled() == node


def failures(lab, node):
    return lab.view(node)["failures"]


def set_snahost_conf(lab, allowed_macs_hapu1):
    """Rewrite the emulated mainframe's PU table (HAPU1 admits only the given MACs) and restart it."""
    lines = ["[host]", "listen = 0.0.0.0:12000", "stale_timeout = 0", "arp_table = /proc/net/arp"]
    for pu in PUS:
        lines += ["", f"[pu {pu}]", "allowed_addresses = 198.51.100.50",
                  "allowed_macs = " + (", ".join(allowed_macs_hapu1) if pu == "HAPU1" else ""),
                  f"description = PU {pu}"]
    text = "\n".join(lines) + "\n"
    lab.sh("mainframe", f"cat > /etc/snahost.conf <<'EOF'\n{text}EOF\nsystemctl restart snaemu-snahost", check=True)


def halt_and_run(lab, state):
    lab.sh("node1", f"crm_resource --resource fc.sna --meta --set-parameter target-role --parameter-value {state}",
           check=True)
    lab.sh("node1", "crm_resource --wait --timeout 180", check=True, timeout=200)


def test_sna_start_fails_on_the_target(lab):
    """The remote refuses the backup's MAC for HAPU1: a move to node2 fails there and comes back.

    The remote applies its restriction to the forced stale-node stop too, so the first step that
    fails on node2 is the SNA node's start (its forced stop of HAPU1 is REFUSED), before start_ls."""
    lab.move("node1")
    node1_mac = next(m for m, h in lab.macs.items() if h == "node1")
    halt_and_run(lab, "Stopped")
    set_snahost_conf(lab, [node1_mac])
    halt_and_run(lab, "Started")
    assert lab.settled() == "node1"
    probe = Probe(lab)
    try:
        time.sleep(1)
        t0 = time.monotonic()
        lab.sh("node1", "crm_resource --move --resource fc.sna --node node2", check=True)
        seen_s, found = wait_for(
            lambda: [f for f in failures(lab, "node1") if f["op_key"].startswith("fc.sna.res.")
                     and f["op_key"].endswith("_start_0") and f["node"] == "node2"], 180,
            what="the failed start on node2")
        back_s, _ = wait_for(lambda: lab.package_node(lab.view("node1")) == "node1" and probe.up_now("node1"),
                             180, what="the package back on node1")
        time.sleep(2)
    finally:
        lab.sh("node1", "crm_resource --clear --resource fc.sna")
        samples = probe.stop()
    report = analyse(samples, lab.macs, t0)
    log(f"SNA start refused on node2 (MAC_NOT_ALLOWED): failed start seen after {seen_s:.1f}s, package whole on "
        f"node1 again after {back_s:.1f}s; failure {found[0]}; probe {report}")
    assert "MAC_NOT_ALLOWED" in (found[0]["exitreason"] or ""), found
    assert report["violations"] == []
    assert not lab.holds_ip("node2")
    assert pus_owned_by(lab.snahost_query(), "node1")

    lab.sh("node1", "crm_resource --cleanup --resource fc.sna", check=True)  # node2 may run it again
    assert lab.settled() == "node1"

    # The remote host itself goes away: node1's link stations lose their peer (PEER_LOST); the package
    # fails over to node2, where start_ls gets no answer; with restart none it runs nowhere fully.
    probe = Probe(lab)
    try:
        time.sleep(1)
        t1 = time.monotonic()
        lab.sh("mainframe", "systemctl stop snaemu-snahost", check=True)
        set_snahost_conf_only = "sed -i 's/^allowed_macs = .*/allowed_macs = /' /etc/snahost.conf"
        lab.sh("mainframe", set_snahost_conf_only, check=True)
        def link_stations_down_with_failures():
            views = [lab.view(n) for n in NODES]
            running = [r for v in views for members in v["started"].values() for r in members if "HALS" in r]
            return views if not running and any(v["failures"] for v in views) else None

        stopped_s, views = wait_for(link_stations_down_with_failures, 240, what="link stations stopped with failures")
        time.sleep(3)
        views = [lab.view(n) for n in NODES]
        ip_holders = [n for n in NODES if lab.holds_ip(n)]
        t_back = time.monotonic()
        lab.sh("mainframe", "systemctl start snaemu-snahost", check=True)
        lab.sh("node1", "crm_resource --cleanup --resource fc.sna", check=True)
        node = lab.settled()
        recovery_s = time.monotonic() - t_back
    finally:
        samples = probe.stop()
    report = analyse(samples, lab.macs, t1)
    reasons = sorted({(f["node"], f["op_key"], f["exitreason"]) for v in views for f in v["failures"]})
    log(f"remote SNA host stopped: link stations stopped everywhere after {stopped_s:.1f}s; failures {reasons}; "
        f"IP held by {ip_holders}; after restart + cleanup the package ran on {node} in {recovery_s:.1f}s; "
        f"probe {report}")
    assert report["violations"] == []
    assert len(ip_holders) <= 1
    assert any(op.endswith("_monitor_10000") for _n, op, _r in reasons), reasons
    assert pus_owned_by(lab.snahost_query(), node)


def started_on(rid, node):
    """A grep pattern matching crm_mon's XML (newlines removed) when ``rid`` is Started on ``node``."""
    return f'<resource id="{rid}"[^>]*role="Started"[^/]*<node name="{node}"'


def wait_middle(lab, node, victim, timeout=60):
    """Block until a planned switch is half done, watched by a tight loop (crm_mon every ~0.1 s) on
    ``node``, the node about to crash: as the target, it has added the IP but not yet started the
    last link station; as the source, it has stopped the link stations but still holds the IP.
    Prints ``middle`` when caught there, ``late`` when the switch went past it first."""
    def has(pattern):
        return f"printf %s \"$x\" | grep -q '{pattern}'"

    last = link_station_id(lab, "HALS4")
    if victim == "target":
        reached, unfinished = started_on("fc.sna.ip0", node), "! " + has(started_on(last, node))
    else:
        reached = f'<resource id="{last}"[^>]*role="Stopped"'
        unfinished = has(started_on("fc.sna.ip0", node))
    script = (f"end=$(($(date +%s)+{timeout})); while [ $(date +%s) -lt $end ]; do "
              f"x=$(crm_mon --one-shot --output-as=xml 2>/dev/null | tr -d '\\n'); "
              f"if {has(reached)}; then "
              f"if {unfinished}; then echo middle; else echo late; fi; exit 0; fi; "
              f"sleep 0.05; done; echo timeout")
    return lab.sh(node, script, timeout=timeout + 30).stdout.strip()


@pytest.mark.parametrize("victim", ["target", "source"])
def test_crash_during_planned_failover(lab, victim):
    """A planned move (crm_resource --move) loses one of its two nodes half-way: the target after it
    added the IP, or the source while it halts the package. The survivor must end up running the
    whole package, with no dual-active sample, and the crashed node must rejoin."""
    source = lab.settled()
    target = other(source)
    crashed = target if victim == "target" else source
    survivor = other(crashed)
    probe = Probe(lab)
    try:
        time.sleep(1)
        t0 = time.monotonic()
        lab.sh(source, f"crm_resource --move --resource fc.sna --node {target}", check=True)
        where = wait_middle(lab, crashed, victim)
        t_crash = time.monotonic()
        lab.ctl("crash", crashed)
        recovered_s, _ = wait_for(
            lambda: lab.package_node(lab.view(survivor)) == survivor and probe.up_now(survivor), 180,
            what=f"the package whole on {survivor}", detail=lambda: (lab.view(survivor), probe.last()))
        assert pus_owned_by(lab.snahost_query(), survivor), lab.snahost_query()
        assert lab.holds_ip(survivor)
    finally:
        samples = probe.stop()
        lab.sh(survivor, "crm_resource --clear --resource fc.sna")
        lab.ctl("start", crashed, check=False)
    t_start = time.monotonic()
    node = lab.settled(timeout=300)
    rejoin_s = time.monotonic() - t_start
    report = analyse(samples, lab.macs, t0)
    log(f"crash of the {victim} ({crashed}) during a planned move {source} -> {target}: caught {where} after "
        f"{t_crash - t0:.1f}s; package whole on {survivor} {recovered_s:.1f}s after the crash; {crashed} back "
        f"and the cluster settled {rejoin_s:.1f}s after its boot; probe {report}")
    assert where == "middle", f"the crash came too late to test the middle of the switch ({where})"
    assert report["violations"] == []
    assert node == survivor
