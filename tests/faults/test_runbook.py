"""Faults in the middle of a runbook, driven through the runbook itself (playbooks/planned_failover.yml).

Lab: tests/faults/specs/runbook_3node.yml - node1, node2, node3 with a quorum server (qs) and the
emulated mainframe, provisioned with inventories/lab plus a third node, running the SNA gateway
package. Each test starts the runbook as an operator does, breaks something at a chosen step,
and asserts the cluster's real state: where the package runs (crm_mon), that no runbook rule is
left in force (the CIB), that the probe on the mainframe never saw the IP or a PU on two nodes,
and that the runbook's report says what happened and names the node the package really runs on.

    sudo .venv/bin/pytest -m faults tests/faults/test_runbook.py -s
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from faultlab import PYTESTMARK, ROOT, VENV_BIN, Lab, Probe, analyse, link_station_id, log, wait_for
from test_quorum_server import started_on

PREFIX = "f14r"
HERE = ROOT / "tests" / "faults"
SPEC = HERE / "specs" / "runbook_3node.yml"
EXTRA = HERE / "specs" / "runbook_3node_vars.yml"
NODES3 = ("node1", "node2", "node3")
# A crash is declared after the low_latency profile's token + qdevice timeouts (~3.5 s); the
# package then restarts in order with the IP's release window: well under this bound.
CRASH_FAILOVER_BOUND = 45
pytestmark = PYTESTMARK


class Lab3(Lab):
    """The 2-node fault lab's helpers, for three members."""

    nodes = NODES3

    def members_up(self, host):
        return [n for n in self.view(host)["online"] if n in NODES3]

    def runbook_rules(self, host):
        """The fc-runbook-* constraints in the CIB, with their lifetime's end."""
        out = self.sh(host, "cibadmin --query --scope constraints", timeout=30).stdout
        rules = []
        for loc in ET.fromstring(out).iter("rsc_location"):
            if loc.get("id", "").startswith("fc-runbook-"):
                end = [d.get("end") for d in loc.iter("date_expression")]
                rules.append((loc.get("id"), end[0] if end else None))
        return rules

    def runbook(self, report_dir, *args, playbook="planned_failover.yml"):
        """Start a runbook playbook as an operator would; returns the process (own session)."""
        env = dict(os.environ, PATH=f"{VENV_BIN}:{os.environ['PATH']}", ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"),
                   ANSIBLE_FORCE_COLOR="0", PYTHONUNBUFFERED="1")
        argv = [str(VENV_BIN / "ansible-playbook"), "-i", str(self.work / "lab.yml"), "-i",
                str(ROOT / "inventories" / "lab"), "-e", f"@{EXTRA}", "-e", f"planned_failover_report_dir={report_dir}",
                "-e", f"takeover_report_dir={report_dir}", str(ROOT / "playbooks" / playbook), *args]
        out = open(self.work / f"runbook-{time.monotonic():.0f}.log", "w")  # noqa: SIM115 - closed by the caller
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT, env=env, start_new_session=True)
        proc.log_file = out
        return proc


class Recorder:
    """crm_mon XML every ~0.2 s on a host, for replaying the switch's state machine on what the
    cluster really showed (and, with FAULT_RECORD_DIR set, for saving as a unit-test fixture)."""

    def __init__(self, lab, host):
        self.lab, self.host = lab, host
        self.stop_file = f"/run/f14-rec-{os.getpid()}.stop"
        self.out_file = f"/run/f14-rec-{os.getpid()}.txt"
        # into a file on the host, not a pipe: nobody reads a pipe while the test runs, and a full
        # pipe would stop the recording after a few samples
        script = (f"rm -f {self.stop_file} {self.out_file}; end=$(($(date +%s)+600)); "
                  f"while [ $(date +%s) -lt $end ] && [ ! -e {self.stop_file} ]; do "
                  "printf '@@@ %s\\n' \"$(date +%s.%N)\"; crm_mon --one-shot --output-as=xml --inactive 2>/dev/null; "
                  f"sleep 0.2; done >> {self.out_file}")
        self.proc = subprocess.Popen([*self.lab_exec(), "sh", "-c", script], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)

    def lab_exec(self):
        return [str(VENV_BIN / "python"), str(ROOT / "lab" / "labctl"), "--prefix", self.lab.prefix, "exec",
                self.host, "--"]

    def stop(self):
        """[(epoch, xml)], consecutive samples that differ only in their timestamps dropped."""
        self.lab.sh(self.host, f"touch {self.stop_file}")
        self.proc.wait(timeout=60)
        out = self.lab.sh(self.host, f"cat {self.out_file}; rm -f {self.out_file} {self.stop_file}", timeout=60).stdout
        samples, last = [], None
        for chunk in out.split("@@@ ")[1:]:
            stamp, _sep, xml = chunk.partition("\n")
            if "<pacemaker-result" not in xml:
                continue
            key = re.sub(r'(last_update|last_change|time)="[^"]*"', "", xml)
            if key != last:
                samples.append((float(stamp), xml.strip()))
                last = key
        return samples


def replay(samples, packages, target, retries):
    """What the switch's state machine concludes from the recorded views."""
    from ansible_collections.failover.cluster.plugins.module_utils import _switch
    from ansible_collections.failover.cluster.plugins.module_utils._status import parse_crm_mon_xml

    machine = _switch.SwitchMachine(packages, target, retries=retries)
    machine.start(samples[0][0])
    for t, xml in samples:
        machine.step(parse_crm_mon_xml(xml), t)
        if machine.done:
            break
    return {r["name"]: (r["result"], r["final_node"]) for r in machine.results()}


def save_fixture(name, samples, packages, target, retries, expect):
    where = os.environ.get("FAULT_RECORD_DIR")
    if not where:
        return
    case = {"packages": packages, "target": target, "retries": retries, "t0": samples[0][0],
            "samples": [{"t": t, "xml": xml} for t, xml in samples], "expect": {k: list(v) for k, v in expect.items()}}
    Path(where, f"{name}.json").write_text(json.dumps(case, indent=1) + "\n")


def finish(proc, timeout=400):
    try:
        rc = proc.wait(timeout=timeout)
    finally:
        proc.log_file.close()
    return rc, open(proc.log_file.name).read()


def latest_report(report_dir, output=""):
    reports = sorted(report_dir.glob("*.json"), key=lambda p: p.stat().st_mtime)
    assert reports, f"no report in {report_dir}; the runbook printed:\n{output[-4000:]}"
    return json.loads(reports[-1].read_text())


def _watch_script(reached, middle, timeout, negate=False):
    """sh: poll crm_mon every ~0.05 s until ``reached`` matches; then print ``middle`` when ``middle``
    matches (does not match, with ``negate``), else ``late``."""
    def has(pattern):
        return f"printf %s \"$x\" | grep -q '{pattern}'"

    return (f"end=$(($(date +%s)+{timeout})); while [ $(date +%s) -lt $end ]; do "
            "x=$(crm_mon --one-shot --output-as=xml 2>/dev/null | tr -d '\\n'); "
            f"if {has(reached)}; then if {'! ' if negate else ''}{has(middle)}; then echo middle; else echo late; fi; "
            "exit 0; fi; "
            "sleep 0.05; done; echo timeout")


def wait_middle_target(lab, node, timeout=90):
    """Block until the target ``node`` has started the package's IP but not its last link station."""
    script = _watch_script(started_on("fc.sna.ip0", node), started_on(link_station_id(lab, "HALS4"), node), timeout,
                           negate=True)
    return lab.sh(node, script, timeout=timeout + 30).stdout.strip()


def wait_middle_source(lab, node, timeout=90):
    """Block until the source ``node`` has stopped the last link station but still holds the IP."""
    last = link_station_id(lab, "HALS4")
    script = _watch_script(f'<resource id="{last}"[^>]*role="Stopped"', started_on("fc.sna.ip0", node), timeout)
    return lab.sh(node, script, timeout=timeout + 30).stdout.strip()


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    work = tmp_path_factory.mktemp("faults-runbook")
    lab = Lab3(PREFIX, work)
    try:
        started = time.monotonic()
        lab.ctl("up", "--replace", "--spec", str(SPEC))
        lab.ctl("inventory", "-o", str(work / "lab.yml"))
        lab.playbook(ROOT / "playbooks" / "provision.yml", EXTRA)
        lab.playbook(ROOT / "playbooks" / "sna_gateway.yml", EXTRA)
        lab.learn_macs()
        node = lab.settled()
        log(f"lab {PREFIX} up and provisioned in {time.monotonic() - started:.0f}s; package on {node}")
        yield lab
    finally:
        lab.ctl("heal", check=False)
        lab.ctl("down", check=False)


def crash_and_check(lab, tmp_path, victim, at="switch"):
    """Start a planned failover, crash ``victim`` (target | source) in the middle of the switch (``at`` switch)
    or once the preflight has planned the switch from the source (``at`` preflight)."""
    source = lab.settled()
    target = next(n for n in NODES3 if n != source)
    third = next(n for n in NODES3 if n not in (source, target))
    crashed = target if victim == "target" else source
    probe = Probe(lab)
    recorder = Recorder(lab, third)
    reports = tmp_path / "reports"
    finished = False
    try:
        time.sleep(1)
        t0 = time.monotonic()
        proc = lab.runbook(reports, "-e", "package=sna", "-e", f"target={target}")
        if at == "preflight":
            wait_for_task(proc, "Note the source node")
            where = "preflight"
        else:
            where = (wait_middle_target if victim == "target" else wait_middle_source)(lab, crashed)
        t_crash = time.monotonic()
        lab.ctl("crash", crashed)
        survivors = [n for n in NODES3 if n != crashed]
        recovered_s, node = wait_for(
            lambda: next((n for n in survivors if lab.package_node(lab.view(third)) == n and probe.up_now(n)), None),
            180, what="the package whole on a survivor", detail=lambda: (lab.view(third), probe.last()))
        rc, output = finish(proc)
        finished = True
    finally:
        samples = probe.stop()
        views = recorder.stop()
        if not finished:
            lab.ctl("start", crashed, check=False)
    try:
        report = latest_report(reports, output)
        # the state machine, replayed on what the cluster showed from the runbook's start, concludes the truth
        start = float(report.get("started") or 0)
        recorded = [v for v in views if v[0] >= start - 1]
        assert recorded, f"no crm_mon sample recorded after the switch started ({len(views)} before it)"
        replayed = replay(recorded, {"sna": source}, target, retries=2)
        save_fixture(f"{victim}-crash", recorded, {"sna": source}, target, 2, replayed)
        analysis = analyse(samples, lab.macs, t0)
        crm_node = lab.package_node(lab.view(third))
        rules = lab.runbook_rules(third)
        log(f"crash of the {victim} {crashed} during the runbook {source} -> {target} (caught {where} after "
            f"{t_crash - t0:.1f}s): package whole on {node} {recovered_s:.1f}s after the crash; runbook rc {rc}, "
            f"result {report['result']}, events {report.get('events')}; rules left {rules}; probe {analysis}; "
            f"phases {report.get('phases')}")
    finally:
        lab.ctl("start", crashed, check=False)
        lab.settled(timeout=300)
    return {"where": where, "source": source, "target": target, "crashed": crashed, "node": node, "rc": rc,
            "output": output, "report": report, "crm_node": crm_node, "rules": rules, "analysis": analysis,
            "recovered_s": recovered_s, "replayed": replayed}


def test_target_crash_mid_switch_recovers_elsewhere(lab, tmp_path):
    """Issue 14: the target dies after its IP started, before the link stations. The package must
    run on another eligible node within the crash failover time; the runbook says so."""
    r = crash_and_check(lab, tmp_path, "target")
    assert r["where"] == "middle", f"the crash came too late to test the middle of the switch ({r['where']})"
    assert r["analysis"]["violations"] == []
    assert r["recovered_s"] < CRASH_FAILOVER_BOUND
    assert r["rules"] == [], "a runbook rule outlived the runbook"
    assert r["rc"] != 0, "the runbook must not end as if it had switched"
    assert r["report"]["result"] == "recovered_elsewhere", r["report"]
    assert r["report"]["final_nodes"] == {"sna": r["crm_node"]}
    assert r["crm_node"] != r["crashed"]
    assert any(f"{r['crashed']} left the cluster" in e for e in r["report"]["events"]), r["report"]
    assert "recovered_elsewhere" in r["output"]
    assert r["replayed"] == {"sna": ("recovered_elsewhere", r["crm_node"])}


def test_source_crash_mid_switch_is_named_in_the_report(lab, tmp_path):
    r = crash_and_check(lab, tmp_path, "source")
    assert r["where"] == "middle", f"the crash came too late to test the middle of the switch ({r['where']})"
    assert r["analysis"]["violations"] == []
    assert r["recovered_s"] < CRASH_FAILOVER_BOUND
    assert r["rules"] == []
    assert r["report"]["final_nodes"] == {"sna": r["crm_node"]}
    assert r["crm_node"] != r["crashed"]
    assert any(f"{r['crashed']} left the cluster" in e for e in r["report"]["events"]), r["report"]
    if r["crm_node"] == r["target"]:
        assert r["report"]["result"] == "switched" and r["rc"] == 0, r["report"]
    else:
        assert r["report"]["result"] == "recovered_elsewhere", r["report"]


def wait_for_task(proc, task, timeout=120):
    """Block until the runbook's output shows it has begun ``task`` (its name, as Ansible prints it)."""
    def reached():
        return f"{task}]" in open(proc.log_file.name).read()
    wait_for(reached, timeout, interval=0.1, what=f"the runbook at '{task}'",
             detail=lambda: open(proc.log_file.name).read()[-2000:])


def test_source_crash_during_preflight_is_reported_truthfully(lab, tmp_path):
    """Issue 14: the source dies while the preflight runs (after it planned the switch from the source).
    Whichever of its checks sees the change - the ARP answer from the survivor the cluster restarted the
    package on, or the switch's own check of where the package runs - the runbook changes nothing, leaves
    no rule, never calls the survivor's answer a duplicate, and its report names the node crm_mon shows."""
    r = crash_and_check(lab, tmp_path, "source", at="preflight")
    report, source = r["report"], r["crashed"]
    path = "preflight" if [p["name"] for p in report.get("phases", [])] == ["preflight"] else "switch"
    log(f"the crash was seen by the {path}: result {report['result']}, summary {report.get('summary')}")
    flat = " ".join(r["output"].split())
    assert "would create a duplicate" not in flat, "the survivor's answer was called a duplicate"
    assert r["analysis"]["violations"] == []
    assert r["recovered_s"] < CRASH_FAILOVER_BOUND
    assert r["rules"] == [], "a runbook rule outlived the runbook"
    assert r["crm_node"] != source
    assert report["final_nodes"] == {"sna": r["crm_node"]}, report
    assert r["crm_node"] in " ".join(report["summary"])
    if report["result"] == "switched":
        # the cluster itself chose the target when it recovered the package: true, and said so
        assert r["crm_node"] == r["target"] and r["rc"] == 0, report
    else:
        assert report["result"] == "recovered_elsewhere", report
        assert r["rc"] != 0
        assert f"{source} left the cluster" in " ".join(report["summary"] + report.get("events", [])), report
    if path == "preflight":
        assert "The runbook changed nothing" in flat


def test_preflight_refusal_changes_nothing_and_writes_a_report(lab, tmp_path):
    """A preflight check that fails (the target is in standby) stops the runbook before any change; the
    report says `refused`, why, and that the package still runs where crm_mon shows it."""
    source = lab.settled()
    target = next(n for n in NODES3 if n != source)
    third = next(n for n in NODES3 if n not in (source, target))
    lab.sh(third, f"crm_attribute --node {target} --name standby --update on", check=True)
    try:
        proc = lab.runbook(tmp_path / "reports", "-e", "package=sna", "-e", f"target={target}")
        rc, output = finish(proc, timeout=300)
        report = latest_report(tmp_path / "reports", output)
        crm_node = lab.package_node(lab.view(third))
        rules = lab.runbook_rules(third)
    finally:
        lab.sh(third, f"crm_attribute --node {target} --name standby --delete", check=False)
    log(f"runbook {source} -> {target} (in standby): rc {rc}, result {report['result']}, summary {report['summary']}")
    lab.settled(timeout=300)
    assert rc != 0
    assert report["result"] == "refused", report
    assert [p["name"] for p in report["phases"]] == ["preflight"]
    assert crm_node == source and report["final_nodes"] == {"sna": source}, report
    assert "standby" in report["message"] and "standby" in report["summary"][0], report
    assert rules == []
    assert "The runbook changed nothing" in " ".join(output.split())


def test_controller_killed_mid_switch_leaves_normal_failover(lab, tmp_path):
    """SIGKILL to the controller in the middle of the switch: the switch carries on on its watcher (async),
    no rule outlives it or its lease, and a crash of the package's node afterwards moves the package."""
    source = lab.settled()
    target = next(n for n in NODES3 if n != source)
    third = next(n for n in NODES3 if n not in (source, target))
    proc = lab.runbook(tmp_path / "reports", "-e", "package=sna", "-e", f"target={target}",
                       "-e", "planned_failover_rule_lease=9")
    where = wait_middle_target(lab, target)
    os.killpg(proc.pid, signal.SIGKILL)
    rc, _output = finish(proc, timeout=30)
    t_kill = time.monotonic()
    assert rc == -signal.SIGKILL
    waited, _ = wait_for(lambda: lab.runbook_rules(third) == [], 9 + 30, interval=0.5,
                         what="no runbook rule left", detail=lambda: lab.runbook_rules(third))
    node = lab.settled(timeout=120)
    log(f"controller killed ({where}) during {source} -> {target}: rules gone {waited:.1f}s after the kill; "
        f"package on {node}")
    # normal failover again: crash the package's node, the package moves
    probe = Probe(lab)
    try:
        lab.ctl("crash", node)
        survivors = [n for n in NODES3 if n != node]
        moved_s, now_on = wait_for(
            lambda: next((n for n in survivors if lab.package_node(lab.view(survivors[0])) == n and probe.up_now(n)),
                         None), CRASH_FAILOVER_BOUND + 60, what="the package moved after the crash",
            detail=lambda: lab.view(survivors[0]))
    finally:
        samples = probe.stop()
        lab.ctl("start", node, check=False)
    log(f"then a crash of {node}: package on {now_on} after {moved_s:.1f}s; probe {analyse(samples, lab.macs)}")
    lab.settled(timeout=300)
    assert where == "middle"
    assert time.monotonic() - t_kill >= 0
    assert moved_s < CRASH_FAILOVER_BOUND
    assert now_on != node


def crash_holder_and_wait(lab):
    """Crash the package's node; returns (crashed, survivors, node the cluster restarted it on)."""
    holder = lab.settled()
    survivors = [n for n in NODES3 if n != holder]
    lab.ctl("crash", holder)
    _, now_on = wait_for(lambda: next((n for n in survivors if lab.package_node(lab.view(survivors[0])) == n), None),
                         120, what="the cluster restarting the package", detail=lambda: lab.view(survivors[0]))
    return holder, survivors, now_on


def test_takeover_after_the_cluster_recovered_says_so_at_once(lab, tmp_path):
    """Issue 14: the cluster has already restarted the package on a survivor; a takeover towards the
    other survivor must say so at once, change nothing, and report the node the package really runs on."""
    crashed, survivors, now_on = crash_holder_and_wait(lab)
    target = next(n for n in survivors if n != now_on)
    try:
        t0 = time.monotonic()
        proc = lab.runbook(tmp_path / "reports", "-e", "package=sna", "-e", f"failed={crashed}", "-e",
                           f"target={target}", "-e", "confirm_down=true", playbook="takeover.yml")
        rc, output = finish(proc, timeout=300)
        took = time.monotonic() - t0
        crm_node = lab.package_node(lab.view(survivors[0]))
        report = latest_report(tmp_path / "reports", output)
    finally:
        lab.ctl("start", crashed, check=False)
    log(f"takeover of sna after {crashed} crashed, towards {target}, the cluster had it on {now_on}: runbook "
        f"{took:.1f}s rc {rc}, result {report['result']}, now on {report['final_nodes']}, crm_mon {crm_node}")
    lab.settled(timeout=300)
    assert rc == 0, output[-3000:]
    assert crm_node == now_on
    assert report["final_nodes"] == {"sna": crm_node}
    assert report["result"] == "recovered_elsewhere"
    assert f"the cluster had already restarted sna on {now_on} after {crashed} was lost" in " ".join(output.split())
    assert took < 120, "the takeover waited instead of saying at once what the cluster did"


def test_takeover_without_target_uses_the_next_adoptive_node(lab, tmp_path):
    """A halted package whose node is lost: without -e target the takeover starts it on the next node of
    the package's node list that is up, and the report names the node crm_mon shows."""
    holder = lab.settled()
    # halted the way package_state halts it (cmhaltpkg): target-role in the package's own meta block
    lab.sh(holder, "crm_resource --resource fc.sna --meta --set-name fc.sna-meta --set-parameter target-role "
           "--parameter-value Stopped", check=True)
    wait_for(lambda: lab.package_node(lab.view(holder)) is None and not lab.holds_ip(holder), 120,
             what="the package halted")
    survivors = [n for n in NODES3 if n != holder]
    lab.ctl("crash", holder)
    expected = survivors[0]  # inventories/lab's SNA package runs on every node, in node1, node2, node3 order
    try:
        wait_for(lambda: holder not in lab.members_up(survivors[0]), 60, what=f"{holder} declared lost")
        proc = lab.runbook(tmp_path / "reports", "-e", "package=sna", "-e", f"failed={holder}", "-e",
                           "confirm_down=true", playbook="takeover.yml")
        rc, output = finish(proc, timeout=400)
        crm_node = lab.package_node(lab.view(survivors[0]))
        report = latest_report(tmp_path / "reports", output)
    finally:
        lab.ctl("start", holder, check=False)
    log(f"takeover of halted sna after {holder} crashed, no target: rc {rc}, result {report['result']}, "
        f"now on {report['final_nodes']}, crm_mon {crm_node}")
    lab.settled(timeout=300)
    assert rc == 0, output[-3000:]
    assert crm_node == expected
    assert report["final_nodes"] == {"sna": crm_node}
    assert report["result"] == "switched"
