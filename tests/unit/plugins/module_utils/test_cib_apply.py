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
LEGACY = (FIXTURES / "package_state" / "cib_running.xml").read_text()  # captured before owner marks existed
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


LIVE = apply_mod.Plan(LEGACY, desired(WEB, DB)).new_xml  # the same packages, re-applied with their owner mark


def test_a_package_without_owner_mark_gets_only_the_mark():
    plan = apply_mod.Plan(LEGACY, desired(WEB, DB))
    assert plan.changes == {"added": [], "removed": [], "changed": ["resources/fc.db", "resources/fc.web"]}
    diff = plan.diff()
    assert "failover-cluster-owner" not in diff["before"]
    assert diff["after"].count('name="failover-cluster-owner" value="packages"') == 2
    mark = '\n    <nvpair id="fc.{0}-meta-failover-cluster-owner" name="failover-cluster-owner" value="packages" />'
    assert diff["before"] == diff["after"].replace(mark.format("db"), "").replace(mark.format("web"), "")


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


def test_versioned_new_cib_rewrites_only_the_root_tag():
    bare = LIVE.replace('num_updates="', 'x-num="', 1)  # a root without num_updates
    plan = apply_mod.Plan(bare, desired(dict(WEB, failback_policy="automatic")))
    text = plan.versioned_new_xml()
    root = ET.fromstring(text)
    live = ET.fromstring(bare)
    assert root.get("epoch") == str(int(live.get("epoch")) + 1) and root.get("num_updates") == "0"
    assert root.get("admin_epoch") == live.get("admin_epoch")
    assert text[text.index(">"):] == plan.new_xml[plan.new_xml.index(">"):]  # the rest is the merged text


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


# what crm_diff printed on Pacemaker 2.1.5 for a new primitive (trimmed change-result)
PATCH = """<diff format="2">
  <version>
    <source admin_epoch="0" epoch="6" num_updates="4"/>
    <target admin_epoch="0" epoch="7" num_updates="4"/>
  </version>
  <change operation="modify" path="/cib">
    <change-list>
      <change-attr name="epoch" operation="set" value="7"/>
    </change-list>
    <change-result>
      <cib validate-with="pacemaker-3.9" epoch="7" num_updates="4" admin_epoch="0"/>
    </change-result>
  </change>
  <change operation="create" path="/cib/configuration/resources" position="0">
    <primitive id="d1" class="ocf" provider="pacemaker" type="Dummy"/>
  </change>
</diff>
"""


class FakeModule:
    """Answers run_command like cibadmin/crm_diff would, from a script of results; keeps the patches sent."""

    def __init__(self, script):
        self.script = list(script)
        self.calls = []
        self.patches = []

    def get_bin_path(self, name, required=False):
        return "/usr/sbin/" + name

    def run_command(self, argv, data=None, environ_update=None, check_rc=False):
        self.calls.append(argv)
        tool = argv[0].rsplit("/", 1)[-1]
        verb = argv[1]
        if (tool, verb) == ("cibadmin", "--patch"):
            self.patches.append(Path(argv[3]).read_text())
        for k, (want_tool, want_verb, answer) in enumerate(self.script):
            if want_tool == tool and want_verb == verb:
                del self.script[k]
                return answer
        raise AssertionError("unexpected command {0}".format(argv))


class Clock:
    """A fake monotonic clock: every read moves it by ``step``; sleep() records (and moves it by) the pause."""

    def __init__(self, step=0.0, sleep_moves=True):
        self.now = 1000.0
        self.step = step
        self.sleep_moves = sleep_moves
        self.slept = []

    def __call__(self):
        self.now += self.step
        return self.now

    def sleep(self, seconds):
        self.slept.append(seconds)
        if self.sleep_moves:
            self.now += seconds


DIFF = ("crm_diff", "--original", (1, PATCH, ""))
PATCHED = ("cibadmin", "--patch", (0, "", ""))


def busy(clock=None, **kwargs):
    clock = clock or Clock()
    return dict(kwargs, clock=clock, sleep=clock.sleep)


def test_configuration_only_patch_drops_num_updates_from_the_version_only():
    patch = apply_mod.configuration_only_patch(PATCH)
    version = ET.fromstring(patch).find("version")
    assert version.find("source").attrib == {"admin_epoch": "0", "epoch": "6"}
    assert version.find("target").attrib == {"admin_epoch": "0", "epoch": "7"}
    # the rest of the patch is byte for byte what crm_diff printed (num_updates in change-result too)
    assert patch.replace('<source admin_epoch="0" epoch="6"/>', '<source admin_epoch="0" epoch="6" num_updates="4"/>'
                         ).replace('<target admin_epoch="0" epoch="7"/>',
                                   '<target admin_epoch="0" epoch="7" num_updates="4"/>') == PATCH
    assert apply_mod.configuration_only_patch(patch) == patch  # already narrowed: unchanged


@pytest.mark.parametrize("patch, message", [
    ('<diff format="2"><change operation="delete" path="/cib/configuration/resources/primitive[@id=\'x\']"/></diff>',
     "without a <version> block"),
    ('<diff format="2"><version><source num_updates="3"/><target num_updates="4"/></version></diff>',
     "version has no epoch"),
])
def test_configuration_only_patch_refuses_an_unversioned_patch(patch, message):
    with pytest.raises(apply_mod.ApplyError, match=message):
        apply_mod.configuration_only_patch(patch)


def test_apply_patches_once_with_a_configuration_only_version_check():
    module = FakeModule([DIFF, PATCHED])
    runner = Runner(module)
    plan, retries = apply_mod.apply_desired(runner, LIVE, desired(dict(WEB, failback_policy="automatic")), **busy())
    assert retries == 0 and plan.changed
    commands = [c[0].rsplit("/", 1)[-1] + " " + c[1] for c in runner.commands]
    assert commands == ["crm_diff --original", "cibadmin --patch"]
    assert module.patches == [apply_mod.configuration_only_patch(PATCH)]
    assert "num_updates" not in ET.fromstring(module.patches[0]).find("version").find("source").attrib


def test_apply_replans_when_the_configuration_moved_on():
    moved = LIVE.replace('epoch="', 'epoch="9', 1)
    module = FakeModule([DIFF, ("cibadmin", "--patch", (103, "", "Update was older than existing configuration")),
                         ("cibadmin", "--query", (0, moved, "")), DIFF, PATCHED])
    plan, retries = apply_mod.apply_desired(Runner(module), LIVE, desired(dict(WEB, failback_policy="automatic")),
                                            **busy())
    assert retries == 1 and plan.live_xml == moved


def test_apply_retries_when_the_cib_manager_timed_out_and_finds_the_change_made():
    """A timed-out patch may have applied: the re-read shows it did, so nothing is patched twice."""
    done = apply_mod.Plan(LIVE, desired(dict(WEB, failback_policy="automatic"))).new_xml
    module = FakeModule([DIFF, ("cibadmin", "--patch", (124, "", "Timer expired")),
                         ("cibadmin", "--query", (0, done, ""))])
    plan, retries = apply_mod.apply_desired(Runner(module), LIVE, desired(dict(WEB, failback_policy="automatic")),
                                            **busy())
    assert (retries, plan.changed, len(module.patches)) == (1, False, 1)


def test_apply_reports_a_refused_patch():
    module = FakeModule([DIFF, ("cibadmin", "--patch", (78, "", "Update does not conform to the configured schema"))])
    with pytest.raises(apply_mod.ApplyError) as info:
        apply_mod.apply_desired(Runner(module), LIVE, desired(dict(WEB, failback_policy="automatic")), **busy())
    assert str(info.value) == ("the CIB refused the change (cibadmin --patch exit 78): Update does not conform to "
                               "the configured schema")


def test_apply_gives_up_after_the_timeout_not_after_a_count():
    """Each refused attempt takes 4 s of the fake clock (one read): 60 s allow 15 attempts, 10 s allow 3."""
    for timeout, attempts in ((60, 15), (10, 3)):
        script = []
        for _ignored in range(attempts):
            script += [DIFF, ("cibadmin", "--patch", (103, "", "older")), ("cibadmin", "--query", (0, LIVE, ""))]
        clock = Clock(step=4.0, sleep_moves=False)
        module = FakeModule(script)
        with pytest.raises(apply_mod.ApplyError) as info:
            apply_mod.apply_desired(Runner(module), LIVE, desired(dict(WEB, failback_policy="automatic")),
                                    **busy(clock, timeout=timeout))
        assert str(info.value).startswith("the CIB configuration kept changing under this task; gave up after {0} s "
                                          "and {1} refused attempt(s) (last: cibadmin --patch exit 103: older); "
                                          "each attempt is one whole patch".format(timeout, attempts))
        assert len(module.patches) == attempts


def test_apply_keeps_trying_while_the_cib_cannot_be_read():
    module = FakeModule([DIFF, ("cibadmin", "--patch", (124, "", "Timer expired")),
                         ("cibadmin", "--query", (124, "", "Timer expired")),
                         ("cibadmin", "--query", (0, LIVE, "")), DIFF, PATCHED])
    clock = Clock()
    plan, retries = apply_mod.apply_desired(Runner(module), LIVE, desired(dict(WEB, failback_policy="automatic")),
                                            **busy(clock))
    assert (retries, plan.changed, len(module.patches)) == (1, True, 2)
    assert clock.slept and max(clock.slept) <= 1.0


def test_apply_default_timeout_is_60_seconds():
    assert apply_mod.APPLY_TIMEOUT == 60
    assert apply_mod.apply_desired.__defaults__[1] == 60


def test_nothing_to_do_runs_nothing():
    module = FakeModule([])
    plan, retries = apply_mod.apply_desired(Runner(module), LIVE, desired(WEB, DB))
    assert (plan.changed, retries, module.calls) == (False, 0, [])


# ---------------------------------------------------------------------------------------
# the lock LUN's fencing resource through the same engine
def test_fencing_plan_adds_the_resource_and_then_plans_no_change():
    from ansible_collections.failover.cluster.plugins.module_utils._model.fencing import compile_fencing

    desired_fence = compile_fencing(["/dev/lab/lock0"])
    plan = apply_mod.FencingPlan(LIVE, desired_fence)
    assert plan.changes == {"added": ["resources/fc.sbd-fencing"], "removed": [], "changed": []}
    assert 'type="fence_sbd"' in plan.diff()["after"] and plan.diff()["before"] == ""
    again = apply_mod.FencingPlan(plan.new_xml, compile_fencing(["/dev/lab/lock0"]))
    assert not again.changed
    moved = apply_mod.FencingPlan(plan.new_xml, compile_fencing(["/dev/lab/lock1"]))
    assert moved.changes == {"added": [], "removed": [], "changed": ["resources/fc.sbd-fencing"]}
    gone = apply_mod.FencingPlan(plan.new_xml, None)
    assert gone.changes == {"added": [], "removed": ["resources/fc.sbd-fencing"], "changed": []}
    # the packages are left exactly as they were
    assert apply_mod.Plan(gone.new_xml, desired(WEB, DB)).changed is False


def test_fencing_is_applied_in_one_patch_and_replanned_on_a_configuration_change():
    from ansible_collections.failover.cluster.plugins.module_utils._model.fencing import compile_fencing

    desired_fence = compile_fencing(["/dev/lab/lock0"])
    moved = LIVE.replace('epoch="', 'epoch="9', 1)
    module = FakeModule([DIFF, ("cibadmin", "--patch", (103, "", "Update was older than existing configuration")),
                         ("cibadmin", "--query", (0, moved, "")), DIFF, PATCHED])
    plan, retries = apply_mod.apply_planned(Runner(module), LIVE,
                                            lambda cib: apply_mod.FencingPlan(cib, desired_fence), **busy())
    assert retries == 1 and plan.live_xml == moved and plan.changed
    assert len(module.patches) == 2


def test_runbook_rule_plan_puts_renews_and_removes_only_its_constraint():
    """The runbook's temporary rule goes through the engine: only fc-runbook-<package> changes."""
    from ansible_collections.failover.cluster.plugins.module_utils import _switch

    cid = "fc-runbook-web"
    pin = apply_mod.ConstraintPlan(LIVE, cid, _switch.temporary_rule_xml("web", "node2", 1796084103))
    assert pin.changes == {"added": ["constraints/" + cid], "removed": [], "changed": []}
    assert 'value="node2"' in pin.diff()["after"] and "2026-12-01T00:15:03Z" in pin.diff()["after"]
    renew = apply_mod.ConstraintPlan(pin.new_xml, cid, _switch.temporary_rule_xml("web", "node2", 1796084118),
                                     only_if_present=True)
    assert renew.changes == {"added": [], "removed": [], "changed": ["constraints/" + cid]}
    assert {r["id"]: r["expires"] for r in _switch.restrictions(renew.new_xml, now=0)}[cid] == "2026-12-01T00:15:18Z"
    # a renewal never brings back a rule that was removed meanwhile
    late = apply_mod.ConstraintPlan(LIVE, cid, _switch.temporary_rule_xml("web", "node2", 1), only_if_present=True)
    assert not late.changed
    gone = apply_mod.ConstraintPlan(renew.new_xml, cid, None)
    assert gone.changes == {"added": [], "removed": ["constraints/" + cid], "changed": []}
    assert not apply_mod.ConstraintPlan(LIVE, cid, None).changed
    assert apply_mod.Plan(gone.new_xml, desired(WEB, DB)).changed is False
    with pytest.raises(apply_mod.ApplyError, match="does not match"):
        apply_mod.ConstraintPlan(LIVE, "fc-runbook-db", _switch.temporary_rule_xml("web", "node2", 1))


def test_runbook_rule_is_replanned_when_the_configuration_moved():
    from ansible_collections.failover.cluster.plugins.module_utils import _switch

    moved = LIVE.replace('epoch="', 'epoch="9', 1)
    module = FakeModule([DIFF, ("cibadmin", "--patch", (103, "", "Update was older than existing configuration")),
                         ("cibadmin", "--query", (0, moved, "")), DIFF, PATCHED])
    rule = _switch.temporary_rule_xml("web", "node2", 1796084103)
    plan, retries = apply_mod.apply_planned(Runner(module), LIVE,
                                            lambda cib: apply_mod.ConstraintPlan(cib, "fc-runbook-web", rule), **busy())
    assert retries == 1 and plan.live_xml == moved and plan.changed
    assert len(module.patches) == 2
