"""The apply engine against a REAL, busy Pacemaker: status churn never refuses the patch, a
concurrent configuration change does and the engine re-plans (plugins/module_utils/_cib_apply.py).

The single-node cluster of tests/integration/pacemaker_node.py; the engine runs its commands
inside the node through a small runner (argv lists, as the module's Runner). Status updates are
made with ``crm_attribute --lifetime reboot`` (a transient node attribute: ``num_updates``
moves, ``epoch`` does not); a configuration change with ``cibadmin --create`` of a foreign
resource (``epoch`` moves). Every assertion is on the CIB the daemon holds afterwards.
"""

from __future__ import annotations

import threading
import xml.etree.ElementTree as ET

import pytest
from pacemaker_node import pacemaker_cluster_fixture, pcmk_fixture  # noqa: F401 - fixtures

from ansible_collections.failover.cluster.plugins.module_utils import _cib_apply as engine
from ansible_collections.failover.cluster.plugins.module_utils._package_args import compile_request

pytestmark = pytest.mark.lab

CLUSTER = {
    "name": "fctest",
    "nodes": [{"name": "node1", "addresses": ["198.51.100.11/24"]},
              {"name": "node2", "addresses": ["198.51.100.12/24"]}],
    "quorum_server": {"host": "qs", "address": "198.51.100.10"},
}
FOREIGN = '<primitive id="foreign" class="ocf" provider="pacemaker" type="Dummy"/>'


def package(name, n=0):
    return {"package_name": name, "node_name": ["node1"], "auto_run": False,
            "services": [{"service_name": "s", "service_cmd": "/usr/bin/sleep {0}".format(100000 + n)}]}


def desired(*specs):
    return compile_request({"cluster": CLUSTER, "packages": list(specs)})[0]


class NodeRunner:
    """The module's Runner interface, each argv run inside the node."""

    def __init__(self, node):
        self.node = node
        self.commands = []

    def which(self, name, required=True):
        return name

    def run(self, argv, check=True, data=None):
        self.commands.append(list(argv))
        proc = self.node.run(list(argv), check=check, input=data)
        return proc.returncode, proc.stdout, proc.stderr


def version(node):
    root = ET.fromstring(node.cib())
    return tuple(int(root.get(k, "0")) for k in ("admin_epoch", "epoch", "num_updates"))


def resource_ids(node):
    return [e.get("id") for e in ET.fromstring(node.cib("resources"))]


def bump_status(node, count=3):
    for k in range(count):
        node.run(["crm_attribute", "--node", "node1", "--name", "fc-churn", "--update", str(k), "--lifetime",
                  "reboot"])


def test_status_churn_between_read_and_patch_does_not_refuse_the_patch(pcmk):
    runner = NodeRunner(pcmk)
    live = engine.read_cib(runner)
    before = version(pcmk)
    bump_status(pcmk)
    moved = version(pcmk)
    assert moved[:2] == before[:2] and moved[2] > before[2]  # only num_updates moved

    # what the engine did before: the patch with num_updates in its version check is refused
    plan = engine.Plan(live, desired(package("web")))
    pcmk.run(["mkdir", "-p", "/run/fc-test"])
    pcmk.run(["tee", "/run/fc-test/live.xml"], input=live)
    pcmk.run(["tee", "/run/fc-test/new.xml"], input=plan.versioned_new_xml())
    full = pcmk.run(["crm_diff", "--original", "/run/fc-test/live.xml", "--new", "/run/fc-test/new.xml"],
                    check=False).stdout
    assert 'num_updates="{0}"'.format(before[2]) in full.split("</version>")[0]
    pcmk.run(["tee", "/run/fc-test/full.xml"], input=full)
    refused = pcmk.run(["cibadmin", "--patch", "--xml-file", "/run/fc-test/full.xml"], check=False)
    assert refused.returncode == engine.CIB_OLD_DATA, refused.stderr
    assert "fc.web" not in resource_ids(pcmk)

    # the engine's patch (configuration-only version check) applies at the first attempt
    applied, retries = engine.apply_desired(runner, live, desired(package("web")))
    assert retries == 0 and applied.live_xml == live
    assert resource_ids(pcmk) == ["fc.web"]
    after = version(pcmk)
    assert after[1] > before[1]  # the epoch moved: the patch's version target was taken
    assert [c[1] for c in runner.commands if c[0] == "cibadmin"] == ["--query", "--patch"]


def test_concurrent_configuration_change_is_refused_then_replanned(pcmk):
    runner = NodeRunner(pcmk)
    live = engine.read_cib(runner)
    pcmk.run(["cibadmin", "--create", "--scope", "resources", "--xml-text", FOREIGN])  # someone else, meanwhile
    assert version(pcmk)[1] > int(ET.fromstring(live).get("epoch"))

    applied, retries = engine.apply_desired(runner, live, desired(package("web"), package("db", 1)))
    assert retries == 1  # the stale plan was refused (103), re-read, re-planned, applied
    assert applied.live_xml != live and "foreign" in applied.live_xml
    assert resource_ids(pcmk) == ["foreign", "fc.web", "fc.db"]  # the concurrent change was not overwritten
    patches = [c for c in runner.commands if c[:2] == ["cibadmin", "--patch"]]
    queries = [c for c in runner.commands if c[:2] == ["cibadmin", "--query"]]
    assert (len(patches), len(queries)) == (2, 2)


def test_replaying_an_applied_patch_is_refused(pcmk):
    """The configuration-only check still stops a patch from applying twice (epoch moved)."""
    runner = NodeRunner(pcmk)
    live = engine.read_cib(runner)
    plan = engine.Plan(live, desired(package("web")))
    pcmk.run(["mkdir", "-p", "/run/fc-test"])
    pcmk.run(["tee", "/run/fc-test/live.xml"], input=live)
    pcmk.run(["tee", "/run/fc-test/new.xml"], input=plan.versioned_new_xml())
    patch = engine.configuration_only_patch(pcmk.run(
        ["crm_diff", "--original", "/run/fc-test/live.xml", "--new", "/run/fc-test/new.xml"], check=False).stdout)
    pcmk.run(["tee", "/run/fc-test/patch.xml"], input=patch)
    assert pcmk.run(["cibadmin", "--patch", "--xml-file", "/run/fc-test/patch.xml"], check=False).returncode == 0
    bump_status(pcmk, 1)
    again = pcmk.run(["cibadmin", "--patch", "--xml-file", "/run/fc-test/patch.xml"], check=False)
    assert again.returncode == engine.CIB_OLD_DATA, again.stderr
    assert resource_ids(pcmk) == ["fc.web"]


def test_add_and_remove_under_constant_status_churn(pcmk):
    """A writer bumps num_updates all the time: 5 rounds of add 20 / remove 20 never need a retry."""
    stop = threading.Event()

    def churn():
        k = 0
        while not stop.is_set():
            pcmk.run(["crm_attribute", "--node", "node1", "--name", "fc-churn", "--update", str(k), "--lifetime",
                      "reboot"], check=False)
            k += 1

    writer = threading.Thread(target=churn, daemon=True)
    writer.start()
    try:
        runner = NodeRunner(pcmk)
        packages = desired(*[package("p{0}".format(i), i) for i in range(20)])
        retries = []
        for _round in range(5):
            _plan, n = engine.apply_desired(runner, engine.read_cib(runner), packages)
            retries.append(n)
            assert len(resource_ids(pcmk)) == 20
            _plan, n = engine.apply_desired(runner, engine.read_cib(runner), {}, list(packages))
            retries.append(n)
            assert resource_ids(pcmk) == []
    finally:
        stop.set()
        writer.join(timeout=30)
    assert retries == [0] * 10
