"""Event notification on a real cluster: an SNMP trap and a script target for a failover.

One lab (tests/integration/alerts/lab.yml: node1, node2, qs, traps) is brought up; the trap
receiver runs Debian's snmptrapd (its own instance, logging every trap to a file, numeric
OIDs); node1 and node2 get a script that appends the CRM_alert_* variables it is run with to a
file. playbooks/provision.yml provisions the cluster with the quorum server, one package and
``cluster_alerts`` (tests/integration/alerts/vars.yml): an SNMP alert to the trap receiver and
the script. Then:

* a bad alerts description is refused by provision.yml with the field and the rule, no change;
* the alerts are in the CIB, and a second run (check mode, then real) changes nothing;
* the package's holder goes to standby: the package moves, the trap for its stop and start
  arrives at snmptrapd (naming the resource and the nodes) and the script recorded them;
* ``cluster_alerts: []`` removes the collection's alerts and leaves a foreign alert alone.

    sudo .venv/bin/pytest -m lab tests/integration/test_alerts_lab.py   # ~3 min
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).parent / "alerts"
LABCTL = [sys.executable, str(ROOT / "lab" / "labctl")]
PREFIX = os.environ.get("ALERTS_LAB_PREFIX", "e13al")
VENV_BIN = Path(sys.executable).parent
TRAP_LOG = "/var/log/fc-traps.log"
RECORD_LOG = "/var/lib/pacemaker/fc-alert-record.log"
RECORD_SCRIPT = """#!/bin/sh
# failover.cluster lab: record the alert (runs as hacluster)
{ date +%s; env | grep '^CRM_alert_' | sort; echo ---; } >> """ + RECORD_LOG + "\n"
TRAPD_CONF = "disableAuthorization yes\n"

pytestmark = [pytest.mark.lab, pytest.mark.slow,
              pytest.mark.skipif(os.geteuid() != 0, reason="the namespace lab needs root")]


def ctl(*args, check=True, timeout=240):
    return subprocess.run([*LABCTL, "--prefix", PREFIX, *args], capture_output=True, text=True, check=check,
                          timeout=timeout)


def sh(host, script, check=True, timeout=60):
    proc = ctl("exec", host, "--", "sh", "-c", script, check=False, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"{host}: {script!r} exited {proc.returncode}: {proc.stdout} {proc.stderr}")
    return proc.stdout


def playbook(work, path, *extra, check=True):
    env = dict(os.environ, PATH=f"{VENV_BIN}:{os.environ['PATH']}", ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"),
               ANSIBLE_FORCE_COLOR="0")
    argv = [str(VENV_BIN / "ansible-playbook"), "-i", str(work / "lab.yml"), "-i", str(ROOT / "inventories" / "lab"),
            "-e", f"@{DATA / 'vars.yml'}"]
    for item in extra:
        argv += ["-e", item]
    proc = subprocess.run([*argv, str(path)], capture_output=True, text=True, cwd=ROOT, env=env, timeout=900,
                          check=False)
    if check:
        assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]
    return proc


def wait_for(predicate, timeout, what, interval=0.5):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not reached after {timeout}s")
        time.sleep(interval)


def alert_ids(host="node1"):
    root = ET.fromstring(sh(host, "cibadmin --query --scope alerts 2>/dev/null || echo '<alerts/>'"))
    return sorted(el.get("id") for el in root.iter("alert"))


def holder(host="node1"):
    out = sh(host, "crm_resource --locate --resource fc.web 2>/dev/null", check=False)
    nodes = [line.rsplit(":", 1)[1].strip() for line in out.splitlines() if "is running on" in line]
    return nodes[0] if len(nodes) == 1 else None


def matching(text, *needles):
    """``text`` when it holds every needle, else None."""
    return text if all(n in text for n in needles) else None


def recorded():
    return "".join(sh(node, f"cat {RECORD_LOG} 2>/dev/null", check=False) for node in ("node1", "node2"))


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    work = tmp_path_factory.mktemp("alerts-lab")
    try:
        ctl("up", "--replace", "--spec", str(DATA / "lab.yml"), timeout=600)
        ctl("inventory", "-o", str(work / "lab.yml"))
        # the trap receiver: Debian's units stopped, our own snmptrapd logging to a file (lab-only address)
        sh("traps", "systemctl stop snmptrapd.socket snmptrapd.service 2>/dev/null; "
                    f"mkdir -p /etc/snmp && printf '{TRAPD_CONF}' > /etc/snmp/fc-snmptrapd.conf && "
                    f"systemd-run --unit fc-snmptrapd /usr/sbin/snmptrapd -f -n -On -C -c /etc/snmp/fc-snmptrapd.conf "
                    f"-Lf {TRAP_LOG} udp:198.51.100.14:162")
        wait_for(lambda: "198.51.100.14:162" in sh("traps", "ss -lun"), 20, "snmptrapd listening")
        for node in ("node1", "node2"):
            sh(node, f"cat > /etc/fc-alert-record.sh <<'EOF'\n{RECORD_SCRIPT}EOF\nchmod 0755 /etc/fc-alert-record.sh")
        yield work
    finally:
        ctl("down", check=False, timeout=600)


def test_bad_alerts_are_refused_before_any_host_changes(lab):
    bad = json.dumps({"cluster_alerts": [{"name": "ops", "kind": "snmp", "recipients": ["traps.example"]},
                                         {"name": "t", "kind": "script", "path": "x.sh", "recipients": ["a;b"]}]})
    proc = playbook(lab, ROOT / "playbooks" / "provision.yml", bad, check=False)
    assert proc.returncode != 0
    assert ("cluster_alerts[0].recipients[0]: traps.example is not a valid IPv4/IPv6 address (an SNMP trap "
            "recipient must be the receiver's IP address)") in proc.stdout
    assert "cluster_alerts[1].path: 'x.sh' is not an absolute path" in proc.stdout
    assert "cluster_alerts[1].recipients[0]: 'a;b' contains shell metacharacters" in proc.stdout
    assert "changed=0" in proc.stdout and "changed=1" not in proc.stdout
    assert sh("node1", "test -e /etc/corosync/authkey && echo yes || echo no").strip() == "no"


def test_provision_applies_the_alerts_once(lab):
    playbook(lab, ROOT / "playbooks" / "provision.yml")
    assert alert_ids() == ["fc-alert-ops-snmp", "fc-alert-record"]
    agent = sh("node2", "cat /usr/local/libexec/failover-cluster/alert_snmp.sh")
    assert '".1.3.6.1.4.1.32723.2.1"' in agent and "${PREFIX}" not in agent
    playbook(lab, DATA / "check.yml")


def test_a_failover_reaches_snmptrapd_and_the_script(lab):
    start = wait_for(holder, 120, "package web running")
    target = "node2" if start == "node1" else "node1"
    sh("traps", f": > {TRAP_LOG}")
    for node in ("node1", "node2"):
        sh(node, f"rm -f {RECORD_LOG}")
    sh(start, f"crm_attribute --node {start} --name standby --update on --lifetime forever")
    try:
        wait_for(lambda: holder(target) == target, 120, f"package web on {target}")
        trap = wait_for(lambda: matching(sh("traps", f"cat {TRAP_LOG}"), "fc.web", target, start), 60,
                        "traps for the stop and the start")
        # the Pacemaker trap OID, the resource, the operations
        assert ".1.3.6.1.4.1.32723.2.1" in trap and "start" in trap and "stop" in trap
        records = wait_for(lambda: matching(recorded(), f"CRM_alert_node={target}", f"CRM_alert_node={start}"), 60,
                           "the script target's record")
        assert "CRM_alert_kind=resource" in records and "CRM_alert_rsc=fc.web" in records
        assert "CRM_alert_recipient=ops-queue" in records and "CRM_alert_task=start" in records
        assert "CRM_alert_task=stop" in records and f"CRM_alert_node={start}" in records
    finally:
        sh(start, f"crm_attribute --node {start} --name standby --delete", check=False)


def test_removing_the_alerts_leaves_foreign_ones(lab):
    sh("node1", "cibadmin --create --scope alerts --xml-text "
                "'<alert id=\"site-own\" path=\"/bin/true\"/>'")
    proc = playbook(lab, ROOT / "playbooks" / "provision.yml", json.dumps({"cluster_alerts": []}))
    assert "Apply the alerts in one CIB transaction" in proc.stdout
    assert alert_ids() == ["site-own"]
