"""Planning and the one-patch apply of the package module (CIB captured from a real node)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from ansible_collections.failover.cluster.plugins.module_utils import _cib_apply as apply_mod
from ansible_collections.failover.cluster.plugins.module_utils._model.errors import CompileError
from ansible_collections.failover.cluster.plugins.module_utils._package_args import (
    ArgumentProblem,
    compile_request,
    package_names,
)
from ansible_collections.failover.cluster.plugins.module_utils._runner import Runner

FIXTURES = Path(__file__).parent / "fixtures"
LIVE = (FIXTURES / "package_state" / "cib_running.xml").read_text()
CLUSTER = {
    "name": "fctest",
    "nodes": [{"name": "node1", "addresses": ["198.51.100.11/24"]},
              {"name": "node2", "addresses": ["198.51.100.12/24"]}],
    "quorum_server": {"host": "qs", "address": "198.51.100.10"},
}
WEB = {"package_name": "web", "node_name": ["node1", "node2"], "ip": [{"ip_address": "198.51.100.50"}],
       "services": [{"service_name": "sleeper", "service_cmd": "/usr/bin/sleep 100000"}]}
DB = {"package_name": "db", "node_name": ["node1"], "auto_run": False,
      "services": [{"service_name": "d", "service_cmd": "/usr/bin/sleep 200000"}]}


def desired(*specs, **params):
    return compile_request(dict({"cluster": CLUSTER, "packages": list(specs)}, **params))[0]


def test_live_cib_made_by_the_module_plans_no_change():
    plan = apply_mod.Plan(LIVE, desired(WEB, DB))
    assert plan.changed is False and plan.problems == []
    assert plan.diff() == {"before": "", "after": "", "before_header": "CIB (live)",
                           "after_header": "CIB (after this task)"}


def test_changed_package_diff_shows_only_its_objects():
    plan = apply_mod.Plan(LIVE, desired(dict(WEB, failback_policy="automatic"), DB))
    assert plan.changes == {"added": [], "removed": [], "changed": ["resources/fc.web"]}
    diff = plan.diff()
    assert diff["before"].startswith('<group id="fc.web">') and 'value="10000"' in diff["before"]
    assert 'name="resource-stickiness" value="0"' in diff["after"] and "fc.db" not in diff["after"]


def test_versioned_new_cib_bumps_epoch_only():
    plan = apply_mod.Plan(LIVE, desired(WEB))  # db would stay (not in task, no purge)
    live = ET.fromstring(LIVE)
    new = ET.fromstring(plan.versioned_new_xml())
    assert int(new.get("epoch")) == int(live.get("epoch")) + 1
    assert new.get("num_updates") == live.get("num_updates") and new.get("admin_epoch") == live.get("admin_epoch")
    assert apply_mod.cib_version(LIVE) == "{0}.{1}.{2}".format(live.get("admin_epoch"), live.get("epoch"),
                                                               live.get("num_updates"))


def test_removing_a_dependency_target_is_a_problem():
    with_dep = dict(DB, dependencies=[{"dependency_name": "web"}])
    live = apply_mod.Plan(LIVE, desired(WEB, with_dep)).new_xml
    plan = apply_mod.Plan(live, {}, ["web"])
    assert plan.problems == ["package db depends on package web, which is neither in this task nor in the cluster "
                             "(or this task removes it)"]


def test_transport_round_trip_and_tamper_checks():
    pkgs = desired(WEB, DB)
    for compiled in pkgs.values():
        back = apply_mod.package_from_xml(apply_mod.package_to_xml(compiled))
        assert back.name == compiled.name
        assert ET.tostring(back.resource) == ET.tostring(compiled.resource)
        assert [ET.tostring(c) for c in back.constraints] == [ET.tostring(c) for c in compiled.constraints]
    with pytest.raises(CompileError, match="the resource id must be fc.web"):
        apply_mod.package_from_xml('<package name="web"><group id="fc.other"/></package>')
    with pytest.raises(CompileError, match="constraint foreign-loc is not named fc.web"):
        apply_mod.package_from_xml('<package name="web"><group id="fc.web"/><rsc_location id="foreign-loc"/>'
                                   '</package>')
    with pytest.raises(CompileError, match="not valid XML"):
        apply_mod.package_from_xml("<package")


def test_package_names_for_absent():
    assert package_names(["web", {"package_name": "db"}, "web"]) == ["web", "db"]
    with pytest.raises(ArgumentProblem, match=r"packages\[1\]: 'fc.web' is not a package name"):
        package_names(["web", "fc.web"])


def test_present_needs_the_cluster():
    with pytest.raises(ArgumentProblem, match="cluster: required with state=present"):
        compile_request({"packages": [WEB]})


class FakeModule:
    """Answers run_command like cibadmin/crm_diff would, from a script of results."""

    def __init__(self, script):
        self.script = list(script)
        self.calls = []

    def get_bin_path(self, name, required=False):
        return "/usr/sbin/" + name

    def run_command(self, argv, data=None, environ_update=None, check_rc=False):
        self.calls.append(argv)
        tool = argv[0].rsplit("/", 1)[-1]
        verb = argv[1]
        for k, (want_tool, want_verb, answer) in enumerate(self.script):
            if want_tool == tool and want_verb == verb:
                del self.script[k]
                return answer
        raise AssertionError("unexpected command {0}".format(argv))


def test_apply_patches_once():
    module = FakeModule([("crm_diff", "--original", (1, "<diff/>", "")),
                         ("cibadmin", "--patch", (0, "", ""))])
    runner = Runner(module)
    plan, retries = apply_mod.apply_desired(runner, LIVE, desired(dict(WEB, failback_policy="automatic")))
    assert retries == 0 and plan.changed
    assert [c[0].rsplit("/", 1)[-1] + " " + c[1] for c in runner.commands] == ["crm_diff --original",
                                                                              "cibadmin --patch"]


def test_apply_replans_when_the_cib_moved_on():
    moved = LIVE.replace('epoch="', 'epoch="9', 1)
    module = FakeModule([("crm_diff", "--original", (1, "<diff/>", "")),
                         ("cibadmin", "--patch", (103, "", "Update was older than existing configuration")),
                         ("cibadmin", "--query", (0, moved, "")),
                         ("crm_diff", "--original", (1, "<diff/>", "")),
                         ("cibadmin", "--patch", (0, "", ""))])
    plan, retries = apply_mod.apply_desired(Runner(module), LIVE, desired(dict(WEB, failback_policy="automatic")))
    assert retries == 1 and plan.live_xml == moved


def test_apply_reports_a_refused_patch():
    module = FakeModule([("crm_diff", "--original", (1, "<diff/>", "")),
                         ("cibadmin", "--patch", (78, "", "Update does not conform to the configured schema"))])
    with pytest.raises(apply_mod.ApplyError) as info:
        apply_mod.apply_desired(Runner(module), LIVE, desired(dict(WEB, failback_policy="automatic")))
    assert str(info.value) == ("the CIB refused the change (cibadmin --patch exit 78): Update does not conform to "
                               "the configured schema")


def test_apply_gives_up_when_the_cib_keeps_changing():
    script = []
    for _ in range(2):
        script += [("crm_diff", "--original", (1, "<diff/>", "")), ("cibadmin", "--patch", (103, "", "older")),
                   ("cibadmin", "--query", (0, LIVE, ""))]
    with pytest.raises(apply_mod.ApplyError, match="kept changing under this task; gave up after 2 attempts"):
        apply_mod.apply_desired(Runner(FakeModule(script)), LIVE, desired(dict(WEB, failback_policy="automatic")),
                                attempts=2)


def test_nothing_to_do_runs_nothing():
    module = FakeModule([])
    plan, retries = apply_mod.apply_desired(Runner(module), LIVE, desired(WEB, DB))
    assert (plan.changed, retries, module.calls) == (False, 0, [])
