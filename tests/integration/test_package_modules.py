"""failover.cluster.package and package_state against a REAL single-node Corosync + Pacemaker.

The cluster runs in its own namespaces (tests/integration/pacemaker_node.py); modules run
inside them through nsenter, the way Ansible would run them on the node. Every assertion on
the result is backed by the real state: ``cibadmin --query`` and ``crm_mon``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from pacemaker_node import pacemaker_cluster_fixture, pcmk_fixture  # noqa: F401 - fixtures

from ansible_collections.failover.cluster.plugins.module_utils._cib_apply import package_to_xml
from ansible_collections.failover.cluster.plugins.module_utils._package_args import compile_request

pytestmark = pytest.mark.lab

ROOT = Path(__file__).resolve().parents[2]
CLUSTER = {
    "name": "fctest",
    "nodes": [{"name": "node1", "addresses": ["198.51.100.11/24"]},
              {"name": "node2", "addresses": ["198.51.100.12/24"]}],
    "quorum_server": {"host": "qs", "address": "198.51.100.10"},
}
FOREIGN = ('<primitive id="foreign" class="ocf" provider="pacemaker" type="Dummy">'
           '<meta_attributes id="foreign-meta"><nvpair id="foreign-meta-target-role" name="target-role" '
           'value="Stopped"/></meta_attributes></primitive>')
FOREIGN_LOC = '<rsc_location id="foreign-loc" rsc="foreign" node="node1" score="7"/>'


def web(**over):
    spec = {"package_name": "web", "node_name": ["node1", "node2"], "ip": [{"ip_address": "198.51.100.50"}],
            "services": [{"service_name": "sleeper", "service_cmd": "/usr/bin/sleep 100000", "service_restart": 2}]}
    spec.update(over)
    return spec


def db(**over):
    spec = {"package_name": "db", "node_name": ["node1"], "auto_run": False,
            "services": [{"service_name": "daemon", "service_cmd": ["/usr/bin/sleep", "200000"]}]}
    spec.update(over)
    return spec


def cib_root(node):
    return ET.fromstring(node.cib())


def element(root, section, oid):
    return root.find("configuration/{0}/*[@id='{1}']".format(section, oid))


def canon(elem):
    """The element as C14N text (whitespace between elements dropped)."""
    if elem is None:
        return None
    return ET.canonicalize(ET.tostring(elem), strip_text=True)


def roles(node):
    """{resource id: (role, [nodes])} from crm_mon."""
    root = ET.fromstring(node.crm_mon())
    return {r.get("id"): (r.get("role"), tuple(n.get("name") for n in r.findall("node")))
            for r in root.iter("resource")}


def apply(run_module, node, packages, **params):
    return run_module("package", wrap=node.wrap, cluster=CLUSTER, packages=packages, **params)


# ---------------------------------------------------------------------------------------
def test_create_check_mode_then_apply_then_idempotent(run_module, pcmk):
    epoch = cib_root(pcmk).get("epoch")
    check = apply(run_module, pcmk, [web()], _ansible_check_mode=True, _ansible_diff=True)
    assert check["changed"] is True, check
    assert check["changes"]["added"] == ["constraints/fc.web.loc.node1", "constraints/fc.web.loc.node2",
                                         "resources/fc.web"]
    assert '<group id="fc.web">' in check["diff"]["after"] and check["diff"]["before"] == ""
    assert [c[1] for c in check["commands"]] == ["--query"]  # check mode only read the CIB
    root = cib_root(pcmk)
    assert element(root, "resources", "fc.web") is None and root.get("epoch") == epoch

    first = apply(run_module, pcmk, [web()], wait=60)
    assert first["changed"] is True, first
    assert [c[0].rsplit("/", 1)[-1] for c in first["commands"]][:3] == ["cibadmin", "crm_diff", "cibadmin"]
    assert ["--patch"] == [a for c in first["commands"] for a in c if a == "--patch"]  # ONE patch
    root = cib_root(pcmk)
    group = element(root, "resources", "fc.web")
    assert group.tag == "group"
    assert [p.get("id") for p in group.findall("primitive")] == ["fc.web.ip0", "fc.web.svc.sleeper"]  # SG order
    meta = {p.get("name"): p.get("value") for p in group.find("meta_attributes")}
    assert meta["failover-cluster"] == "managed" and meta["failover-cluster-package"] == "web"
    assert meta["resource-stickiness"] == "10000"  # failback manual
    scores = {c.get("node"): c.get("score") for c in root.iter("rsc_location") if c.get("rsc") == "fc.web"}
    assert scores == {"node1": "20", "node2": "10"}
    svc = group.find("primitive[@id='fc.web.svc.sleeper']")
    assert {p.get("name"): p.get("value") for p in svc.find("meta_attributes")} == {"migration-threshold": "3"}
    assert int(root.get("epoch")) > int(epoch)
    state = roles(pcmk)
    assert state["fc.web.ip0"] == ("Started", ("node1",)) and state["fc.web.svc.sleeper"] == ("Started", ("node1",))
    addrs = json.loads(pcmk.run(["ip", "-j", "addr", "show", "dev", "d0"]).stdout)[0]["addr_info"]
    assert "198.51.100.50" in [a["local"] for a in addrs]  # IPaddr2 really put it there

    epoch = root.get("epoch")
    second = apply(run_module, pcmk, [web()], _ansible_diff=True)
    assert second["changed"] is False, second
    assert second["changes"] == {"added": [], "removed": [], "changed": []}
    assert len(second["commands"]) == 1 and cib_root(pcmk).get("epoch") == epoch


def test_foreign_objects_untouched_update_and_absent_only_ours(run_module, pcmk):
    pcmk.run(["cibadmin", "--create", "--scope", "resources", "--xml-text", FOREIGN])
    pcmk.run(["cibadmin", "--create", "--scope", "constraints", "--xml-text", FOREIGN_LOC])
    before = cib_root(pcmk)
    foreign = canon(element(before, "resources", "foreign")), canon(element(before, "constraints", "foreign-loc"))

    result = apply(run_module, pcmk, [web(), db(dependencies=[{"dependency_name": "web"}])])
    assert result["changed"] is True, result
    root = cib_root(pcmk)
    assert (canon(element(root, "resources", "foreign")), canon(element(root, "constraints", "foreign-loc"))) \
        == foreign
    ids = [e.get("id") for e in root.find("configuration/resources")]
    assert ids == ["foreign", "fc.web", "fc.db"]
    assert element(root, "constraints", "fc.db.dep.web.col").get("score") == "INFINITY"
    assert element(root, "constraints", "fc.db.dep.web.ord").get("first") == "fc.web"
    db_meta = {p.get("name"): p.get("value") for p in element(root, "resources", "fc.db").find("meta_attributes")}
    assert db_meta["target-role"] == "Stopped"  # auto_run: false

    # one field changed -> exactly that package's group changes, in one transaction
    changed = apply(run_module, pcmk, [web(failback_policy="automatic"),
                                       db(dependencies=[{"dependency_name": "web"}])], _ansible_diff=True)
    assert changed["changes"] == {"added": [], "removed": [], "changed": ["resources/fc.web"]}
    assert 'name="resource-stickiness" value="10000"' in changed["diff"]["before"]
    assert 'name="resource-stickiness" value="0"' in changed["diff"]["after"]

    # removing web while db depends on it is refused, nothing changes
    epoch = cib_root(pcmk).get("epoch")
    refused = run_module("package", wrap=pcmk.wrap, state="absent", packages=["web"])
    assert refused["failed"] is True
    assert refused["msg"] == ("package db depends on package web, which is neither in this task nor in the cluster "
                              "(or this task removes it); nothing was changed")
    assert cib_root(pcmk).get("epoch") == epoch

    gone = run_module("package", wrap=pcmk.wrap, state="absent", packages=["db", {"package_name": "web"}])
    assert gone["changed"] is True and sorted(gone["removed"]) == ["db", "web"]
    root = cib_root(pcmk)
    assert [e.get("id") for e in root.find("configuration/resources")] == ["foreign"]
    assert [e.get("id") for e in root.find("configuration/constraints")] == ["foreign-loc"]
    assert (canon(element(root, "resources", "foreign")), canon(element(root, "constraints", "foreign-loc"))) \
        == foreign
    again = run_module("package", wrap=pcmk.wrap, state="absent", packages=["db", "web"])
    assert again["changed"] is False


def test_purge_and_compiled_input_as_the_action_plugin_sends_it(run_module, pcmk):
    apply(run_module, pcmk, [web(), db()])
    desired, _warnings = compile_request({"cluster": CLUSTER, "packages": [db()]})
    compiled = [package_to_xml(p) for p in desired.values()]
    result = run_module("package", wrap=pcmk.wrap, packages=[db()], compiled=compiled, purge=True)
    assert result["changed"] is True and result["removed"] == ["web"], result
    ids = [e.get("id") for e in cib_root(pcmk).find("configuration/resources")]
    assert ids == ["fc.db"]


FOREIGN_IP = ('<primitive id="vip" class="ocf" provider="heartbeat" type="IPaddr2"><instance_attributes id="vip-ia">'
              '<nvpair id="vip-ia-ip" name="ip" value="198.51.100.50"/></instance_attributes><meta_attributes '
              'id="vip-meta"><nvpair id="vip-meta-target-role" name="target-role" value="Stopped"/></meta_attributes>'
              '</primitive>')


def test_live_cluster_checks_on_the_node_owner_mark_and_purge_scope(run_module, pcmk):
    """Live IPs are checked by the module too (compiled input, as from the action plugin, and its own compile);
    packages carry their owner, and a purge removes only its own owner's packages."""
    pcmk.run(["cibadmin", "--create", "--scope", "resources", "--xml-text", FOREIGN_IP])
    epoch = cib_root(pcmk).get("epoch")
    desired, _warnings = compile_request({"cluster": CLUSTER, "packages": [web()]})  # compiled without the CIB
    refused = run_module("package", wrap=pcmk.wrap, packages=[web()],
                         compiled=[package_to_xml(p) for p in desired.values()])
    message = ("packages[0].ip[0].ip_address: 198.51.100.50 is already used by resource vip, which failover.cluster "
               "does not manage in the cluster: relocatable IPs must be unique across every package and IP resource "
               "of the cluster")
    assert refused["failed"] is True and refused["errors"] == [message], refused
    assert apply(run_module, pcmk, [web()])["errors"] == [message]  # the module's own compile reads the CIB first
    assert cib_root(pcmk).get("epoch") == epoch and element(cib_root(pcmk), "resources", "fc.web") is None

    pcmk.run(["cibadmin", "--delete", "--xml-text", '<primitive id="vip"/>'])
    apply(run_module, pcmk, [web()], owner="sna_gateway")
    apply(run_module, pcmk, [db()])  # owner packages (default)
    owners = {e.get("id"): {p.get("name"): p.get("value") for p in e.find("meta_attributes")}["failover-cluster-owner"]
              for e in cib_root(pcmk).find("configuration/resources")}
    assert owners == {"fc.web": "sna_gateway", "fc.db": "packages"}
    extra = db(package_name="extra", services=[{"service_name": "x", "service_cmd": "/usr/bin/sleep 300000"}])
    apply(run_module, pcmk, [db(), extra])
    purge = apply(run_module, pcmk, [db()], purge=True)  # owner packages: extra goes, web (sna_gateway) stays
    assert purge["changed"] is True and purge["removed"] == ["extra"], purge
    assert [e.get("id") for e in cib_root(pcmk).find("configuration/resources")] == ["fc.web", "fc.db"]


def test_runtime_role_survives_reapply(run_module, pcmk):
    apply(run_module, pcmk, [web()], wait=60)
    halted = run_module("package_state", wrap=pcmk.wrap, package="web", state="halted")
    assert halted["changed"] is True and halted["package"]["state"] == "halted", halted
    again = apply(run_module, pcmk, [web()])
    assert again["changed"] is False, again  # the package module does not restart a halted package
    assert roles(pcmk)["fc.web.ip0"][0] == "Stopped"


def test_action_plugin_validates_on_the_controller_before_touching_the_node(pcmk, tmp_path):
    """Through ansible-playbook (connection local inside the node): the action plugin path."""
    playbook = tmp_path / "play.yml"
    bad = web(ip=[{"ip_address": "198.51.100.255"}], node_name=["node1", "node9"])
    playbook.write_text(textwrap.dedent("""\
        - hosts: localhost
          gather_facts: false
          tasks:
            - failover.cluster.package:
                cluster: {cluster}
                packages: {packages}
              register: out
            - ansible.builtin.copy:
                content: "{{{{ out | to_json }}}}"
                dest: {dest}
        """).format(cluster=json.dumps(CLUSTER), packages=json.dumps([bad]), dest=tmp_path / "out.json"))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(ROOT / ".cache" / "collections"),
               ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_FORCE_COLOR="0")
    epoch = cib_root(pcmk).get("epoch")
    playbook_bin = str(Path(sys.executable).parent / "ansible-playbook")
    argv = [*pcmk.wrap, playbook_bin, "-i", "localhost,", "-c", "local", str(playbook), "-e",
            "ansible_python_interpreter=" + sys.executable]
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=300, check=False)
    assert proc.returncode != 0
    assert "packages[0].node_name[1]: 'node9' is not a node of cluster fctest (nodes: node1, node2)" in proc.stdout
    assert "packages[0].ip[0].ip_address: 198.51.100.255 is the broadcast address of 198.51.100.0/24" in proc.stdout
    assert cib_root(pcmk).get("epoch") == epoch  # the node was never asked

    playbook.write_text(playbook.read_text().replace(json.dumps([bad]), json.dumps([web()])))
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = json.loads((tmp_path / "out.json").read_text())
    assert out["changed"] is True and out["changes"]["added"][-1] == "resources/fc.web"
    assert element(cib_root(pcmk), "resources", "fc.web") is not None


# ---------------------------------------------------------------------------------------
# package_state
def test_halt_run_and_run_on_node(run_module, pcmk):
    apply(run_module, pcmk, [web()], wait=60)
    check = run_module("package_state", wrap=pcmk.wrap, package="web", state="halted", _ansible_check_mode=True)
    assert check["changed"] is True and check["steps"] == [["role", "Stopped"]]
    assert roles(pcmk)["fc.web.ip0"][0] == "Started"

    halted = run_module("package_state", wrap=pcmk.wrap, package="web", state="halted")
    assert halted["changed"] is True, halted
    assert halted["package"]["state"] == "halted" and halted["elapsed"] > 0
    assert {r[0] for k, r in roles(pcmk).items() if k.startswith("fc.web.")} == {"Stopped"}
    assert run_module("package_state", wrap=pcmk.wrap, package="web", state="halted")["changed"] is False

    running = run_module("package_state", wrap=pcmk.wrap, package="web", state="running", node="node1")
    assert running["changed"] is True, running
    assert running["steps"] == [["cleanup"], ["move", "node1"], ["role", "Started"], ["clear"]]
    assert running["package"]["node"] == "node1" and running["package"]["state"] == "running"
    assert {r for k, r in roles(pcmk).items() if k.startswith("fc.web.")} == {("Started", ("node1",))}
    constraints = [c.get("id") for c in cib_root(pcmk).find("configuration/constraints")]
    assert not [c for c in constraints if c.startswith("cli-")]  # the move constraint was cleared
    assert run_module("package_state", wrap=pcmk.wrap, package="web", state="running")["changed"] is False


def test_switching_disabled_pins_and_cluster_info_sees_it(run_module, pcmk):
    apply(run_module, pcmk, [web()], wait=60)
    result = run_module("package_state", wrap=pcmk.wrap, package="web", switching="disabled")
    assert result["changed"] is True and result["steps"] == [["pin", "node1"]], result
    pin = element(cib_root(pcmk), "constraints", "fc-noswitch-web")
    assert pin is not None and pin.get("rsc") == "fc.web"
    expr = pin.find("rule/expression")
    assert (pin.find("rule").get("score"), expr.get("attribute"), expr.get("operation"), expr.get("value")) == \
        ("-INFINITY", "#uname", "ne", "node1")
    info = run_module("cluster_info", wrap=pcmk.wrap)
    web_info = next(p for p in info["packages"] if p["name"] == "fc.web")
    assert web_info["switching_enabled"] is False
    assert run_module("package_state", wrap=pcmk.wrap, package="web", switching="disabled")["changed"] is False
    # the package module keeps the pin; removing the package removes it
    assert apply(run_module, pcmk, [web()])["changed"] is False

    enabled = run_module("package_state", wrap=pcmk.wrap, package="web", switching="enabled")
    assert enabled["changed"] is True and enabled["steps"] == [["unpin"]]
    assert element(cib_root(pcmk), "constraints", "fc-noswitch-web") is None
    info = run_module("cluster_info", wrap=pcmk.wrap)
    assert next(p for p in info["packages"] if p["name"] == "fc.web")["switching_enabled"] is True


@pytest.mark.parametrize("nodes, request_args, message", [
    (["node1", "node2"], {"state": "moved", "node": "node2"}, "node: node2 is not online (state down)"),
    (["node1", "node2"], {"state": "moved", "node": "node9"},
     "node: node9 is not a node of this cluster (nodes: node1, node2)"),
    (["node1", "node2"], {"state": "moved"}, "node: required with state=moved (the node to move the package to)"),
    (["node1"], {"state": "running", "node": "node2"},
     "node: node2 is not in the node_name list of package web (node1)"),
    (["node1"], {"switching": "disabled", "node": "node2"},
     "node: node2 is not in the node_name list of package web (node1)"),
])
def test_preconditions_fail_before_any_change(run_module, pcmk, nodes, request_args, message):
    apply(run_module, pcmk, [web(node_name=nodes)], wait=60)
    epoch = cib_root(pcmk).get("epoch")
    result = run_module("package_state", wrap=pcmk.wrap, package="web", **request_args)
    assert result["failed"] is True
    assert message in result["errors"], result["errors"]
    assert [c[0].rsplit("/", 1)[-1] for c in result["commands"]] == ["crm_mon", "cibadmin"]
    assert cib_root(pcmk).get("epoch") == epoch


def test_standby_and_no_quorum_are_refused(run_module, pcmk):
    apply(run_module, pcmk, [web(auto_run=False)])
    pcmk.run(["crm_attribute", "--type", "nodes", "--node", "node1", "--name", "standby", "--update", "on"])
    try:
        result = run_module("package_state", wrap=pcmk.wrap, package="web", state="running", node="node1")
        assert result["failed"] is True
        assert result["errors"] == ["node: node1 is in standby; it does not run packages"]
    finally:
        pcmk.run(["crm_attribute", "--type", "nodes", "--node", "node1", "--name", "standby", "--update", "off"])

    # expected votes 5 at runtime: node1's 2 votes are no longer a majority
    pcmk.run(["corosync-cmapctl", "-s", "quorum.expected_votes", "u32", "5"])
    try:
        for _ in range(50):
            if 'with_quorum="false"' in pcmk.crm_mon():
                break
            subprocess.run(["sleep", "0.2"], check=True)
        result = run_module("package_state", wrap=pcmk.wrap, package="web", state="running")
        assert result["failed"] is True
        assert ("the cluster partition of this node has no quorum: Pacemaker would not run or move packages; "
                "nothing was changed") in result["errors"]
        assert roles(pcmk)["fc.web.ip0"][0] == "Stopped"
    finally:
        pcmk.run(["corosync-cmapctl", "-s", "quorum.expected_votes", "u32", "3"])
        pcmk.wait_for_dc(30)


def test_unknown_package(run_module, pcmk):
    result = run_module("package_state", wrap=pcmk.wrap, package="nope", state="running")
    assert result["failed"] is True
    assert result["errors"] == ["name: nope is not a package of this cluster (no resource fc.nope in the CIB)"]
