"""The bad-input corpus: wrong cluster, package and SNA descriptions are refused before any host changes.

One lab (lab/specs/demo.yml: node1, node2, qs, mainframe) is brought up for the module and
provisioned once with the good description of inventories/lab: the cluster with its quorum
server, then the SNA gateway package running on node1 with its four PUs active on the emulated
mainframe. Every case of tests/integration/bad_input/corpus.yml then runs its real entry point
with the bad description layered on as extra vars:

* ``provision``: playbooks/provision.yml;
* ``package``: the failover.cluster.package module (tests/integration/bad_input/package.yml);
* ``sna``: playbooks/sna_gateway.yml.

Each case asserts that the run failed with the exact message (field and rule) in the failed
task's result, that the result says nothing was changed, that no task reported a change, and
that a fingerprint of every host is the same before and after: corosync.conf and authkey, the
CIB configuration and its epoch, addresses, daemon PIDs, the SNA definitions and the remote
host's PU table (owner, session counter), the qnetd settings.

    sudo .venv/bin/pytest -m lab tests/integration/test_bad_input_corpus.py   # ~6.5 min
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).parent / "bad_input"
LABCTL = [sys.executable, str(ROOT / "lab" / "labctl")]
PREFIX = os.environ.get("BAD_INPUT_CORPUS_PREFIX", "f8bad")
VENV_BIN = Path(sys.executable).parent
PLAYBOOKS = {
    "provision": ROOT / "playbooks" / "provision.yml",
    "package": DATA / "package.yml",
    "sna": ROOT / "playbooks" / "sna_gateway.yml",
}
HOSTS = ("node1", "node2", "qs", "mainframe")

pytestmark = [pytest.mark.lab, pytest.mark.slow,
              pytest.mark.skipif(os.geteuid() != 0, reason="the namespace lab needs root")]


def load_cases():
    corpus = yaml.safe_load((DATA / "corpus.yml").read_text())
    return {case["id"]: case for group in corpus.values() for case in group}


CASES = load_cases()

NODE_STATE = r"""
cd /
sha256sum /etc/corosync/corosync.conf /etc/corosync/authkey /etc/sysconfig/sbd /etc/default/sbd \
    /var/lib/snaemu/sna_node.cfg /var/lib/failover-cluster/sna-definitions.sha256 2>&1
echo "cib configuration $(cibadmin --query --scope configuration | sha256sum)"
cibadmin --query | head -n 1 | grep -o ' \(admin_\)\?epoch="[0-9]*"'
crm_resource --locate --resource fc.sna 2>&1
ip -4 -o addr show | awk '{print $2, $4}'
systemctl show -p MainPID --value corosync pacemaker corosync-qdevice snaemu-snapd
snap status >/dev/null 2>&1; echo "snap status rc $?"
ls -l --time-style=+%s /usr/lib/ocf/resource.d/failover/ /usr/local/bin/snap* /usr/local/lib/snaemu/sna_emulator 2>&1
"""
QS_STATE = r"""
sha256sum /etc/default/corosync-qnetd /etc/corosync/corosync.conf 2>&1
ls /etc/corosync/qnetd/nssdb 2>&1
systemctl show -p MainPID --value corosync-qnetd corosync
"""
MAINFRAME_STATE = r"""
sha256sum /etc/snahost.conf 2>&1
systemctl show -p MainPID --value snaemu-snahost
snahost query
"""


def lab(*args, check=True, timeout=180):
    return subprocess.run([*LABCTL, "--prefix", PREFIX, *args], capture_output=True, text=True, check=check,
                          timeout=timeout)


def fingerprint():
    """What any of the entry points could change on the hosts, as one digest (and the texts)."""
    state = {}
    for host in HOSTS:
        script = {"qs": QS_STATE, "mainframe": MAINFRAME_STATE}.get(host, NODE_STATE)
        state[host] = lab("exec", host, "--", "sh", "-c", script, check=False).stdout
    return hashlib.sha256(json.dumps(state, sort_keys=True).encode()).hexdigest(), state


def ansible_env(json_output):
    env = dict(os.environ, PATH=f"{VENV_BIN}:{os.environ['PATH']}", ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"))
    env["ANSIBLE_FORCE_COLOR"] = "0"
    if json_output:  # the default callback, each result as one JSON document after "=>"
        env["ANSIBLE_CALLBACK_RESULT_FORMAT"] = "json"
    return env


def playbook(work, entry, extra=None, json_output=True):
    argv = [str(VENV_BIN / "ansible-playbook"), "-i", str(work / "lab.yml"), "-i", str(ROOT / "inventories" / "lab"),
            "-e", f"@{DATA / 'base.yml'}"]
    if extra is not None:
        argv += ["-e", f"@{extra}"]
    argv.append(str(PLAYBOOKS[entry]))
    return subprocess.run(argv, capture_output=True, text=True, cwd=ROOT, env=ansible_env(json_output), timeout=600,
                          check=False)


@pytest.fixture(scope="module")
def provisioned(tmp_path_factory):
    """The demo lab with the cluster and the SNA gateway package running: one for the module."""
    work = tmp_path_factory.mktemp("corpus")
    lab("up", "--replace", "--spec", str(ROOT / "lab" / "specs" / "demo.yml"))
    try:
        lab("inventory", "-o", str(work / "lab.yml"))
        for entry in ("provision", "sna"):
            proc = playbook(work, entry, json_output=False)
            assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
        yield work
    finally:
        lab("down", check=False)


RESULT_LINE = re.compile(r"^(ok|changed|fatal|failed|skipping): \[([^\]]+)\].*?(=> )?", re.MULTILINE)


def results(output):
    """Every (status, host, result) the default callback printed; result is the JSON after "=>"."""
    decoder = json.JSONDecoder()
    for match in RESULT_LINE.finditer(output):
        rest = output[match.end():]
        arrow = rest.find("=> ")
        newline = rest.find("\n")
        result = {}
        if arrow != -1 and (newline == -1 or arrow < newline) and rest[arrow + 3:arrow + 4] == "{":
            result, _end = decoder.raw_decode(rest[arrow + 3:])
        yield match.group(1), match.group(2), result


def flat(result):
    """Texts of a failed result: msg, errors, and the items of a loop."""
    texts = [str(result.get("msg", ""))] + [str(e) for e in result.get("errors", [])]
    for item in result.get("results", []) or []:
        if isinstance(item, dict):
            texts += flat(item)
    return texts


@pytest.mark.parametrize("case_id", sorted(CASES))
def test_bad_input_is_refused_and_nothing_changes(provisioned, case_id):
    case = CASES[case_id]
    extra = provisioned / f"{case_id}.yml"
    extra_vars = dict(case.get("vars") or {})
    if case["entry"] == "package":
        extra_vars["corpus_packages"] = case["packages"]
    extra.write_text(yaml.safe_dump(extra_vars))

    before, state_before = fingerprint()
    proc = playbook(provisioned, case["entry"], extra)
    after, state_after = fingerprint()

    assert proc.returncode != 0, proc.stdout[-3000:]
    output = proc.stdout
    failed = [(status, host, result) for status, host, result in results(output) if status in ("fatal", "failed")]
    assert failed, proc.stdout[-3000:]
    texts = [text for _task, _host, result in failed for text in flat(result)]
    errors = [e for _task, _host, result in failed for e in result.get("errors", [])]
    if errors:  # the model's messages: one exact line per problem
        assert case["message"] in errors, errors
    else:
        assert any(case["message"] in text for text in texts), texts
    if "message_regex" in case:
        assert any(re.search(case["message_regex"], text) for text in texts), texts
    if case.get("says_nothing_changed", True):  # Ansible's own argument checks cannot say it
        assert any("nothing was changed" in text for text in texts), texts
    changed = [(status, host) for status, host, result in results(output)
               if status == "changed" or result.get("changed")]
    assert changed == [], changed
    assert after == before, (state_before, state_after)
