"""Applying the alerts: one versioned patch, re-planned when the configuration moved (fake runner)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from ansible_collections.failover.cluster.plugins.module_utils import _alerts, _cib_apply
from ansible_collections.failover.cluster.plugins.module_utils._model import alerts as model

LIVE = ('<cib epoch="{0}" num_updates="9" admin_epoch="0"><configuration><crm_config/><nodes/><resources/>'
        '<constraints/></configuration><status/></cib>')
DESIRED = model.compile_alerts(model.validate_alerts([{"name": "ops", "kind": "snmp",
                                                       "recipients": ["198.51.100.50"]}]))


class FakeRunner:
    """crm_diff answers 1 (differences), cibadmin --patch answers from ``patch_rcs``, --query from ``lives``."""

    def __init__(self, patch_rcs, lives=()):
        self.patch_rcs = list(patch_rcs)
        self.lives = list(lives)
        self.commands = []
        self.new_cibs = []

    def which(self, name, required=True):
        return "/usr/sbin/" + name

    def run(self, argv, check=True, data=None):
        self.commands.append(argv)
        tool = argv[0].rsplit("/", 1)[1]
        if tool == "crm_diff":
            with open(argv[4], encoding="utf-8") as handle:
                self.new_cibs.append(handle.read())
            return 1, '<diff format="2"><version><source admin_epoch="0" epoch="1" num_updates="9"/>' \
                      '<target admin_epoch="0" epoch="2" num_updates="9"/></version></diff>', ""
        if "--patch" in argv:
            rc = self.patch_rcs.pop(0)
            return rc, "", "" if rc == 0 else "Update was older than existing configuration"
        return 0, self.lives.pop(0), ""


def test_plan_bumps_the_epoch_and_reports_the_diff():
    plan = _alerts.AlertPlan(LIVE.format(4), DESIRED)
    assert plan.changed and plan.changes["added"] == ["fc-alert-ops"]
    new = ET.fromstring(plan.versioned_new_xml())
    assert new.get("epoch") == "5" and new.find("configuration/alerts/alert").get("id") == "fc-alert-ops"
    assert "fc-alert-ops" in plan.diff()["after"] and plan.diff()["before"] == ""


def test_apply_patches_once():
    runner = FakeRunner([0])
    plan, retries = _alerts.apply_alerts(runner, LIVE.format(4), DESIRED)
    assert retries == 0 and plan.changed
    assert [c[0].rsplit("/", 1)[1] for c in runner.commands] == ["crm_diff", "cibadmin"]


def test_a_concurrent_change_is_re_planned_from_a_fresh_read():
    runner = FakeRunner([103, 0], lives=[LIVE.format(6)])
    _plan, retries = _alerts.apply_alerts(runner, LIVE.format(4), DESIRED, sleep=lambda s: None)
    assert retries == 1
    assert [ET.fromstring(x).get("epoch") for x in runner.new_cibs] == ["5", "7"]


def test_a_fresh_read_that_already_holds_the_alerts_stops():
    applied = _alerts.AlertPlan(LIVE.format(4), DESIRED).versioned_new_xml()
    runner = FakeRunner([124], lives=[applied])
    plan, retries = _alerts.apply_alerts(runner, LIVE.format(4), DESIRED, sleep=lambda s: None)
    assert retries == 1 and not plan.changed


def test_a_refusal_that_is_not_a_race_fails():
    with pytest.raises(_cib_apply.ApplyError, match="cibadmin --patch exit 1"):
        _alerts.apply_alerts(FakeRunner([1]), LIVE.format(4), DESIRED)


def test_nothing_to_do_runs_nothing():
    applied = _alerts.AlertPlan(LIVE.format(4), DESIRED).versioned_new_xml()
    runner = FakeRunner([])
    plan, retries = _alerts.apply_alerts(runner, applied, DESIRED)
    assert not plan.changed and retries == 0 and runner.commands == []
