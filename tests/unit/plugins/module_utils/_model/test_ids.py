"""The one id module: every object id the collection writes, built and parsed in one place."""

from __future__ import annotations

import pytest

from ansible_collections.failover.cluster.plugins.module_utils._model import cib, ids


@pytest.mark.parametrize(("cid", "rsc", "expected"), [
    ("fc.sna", None, ("package", "sna")),
    ("fc.sna.res.ls_HALS1", None, ("package_part", "sna")),
    ("fc.app.dep.sna.col", None, ("package_part", "app")),
    ("fc-noswitch-sna", None, ("pin", "sna")),
    ("fc-runbook-sna", None, ("runbook", "sna")),
    ("fc.sbd-fencing", None, ("fencing", None)),
    ("cli-prefer-fc.sna", "fc.sna", ("move", "sna")),
    ("cli-ban-fc.sna-on-node1", "fc.sna", ("move", "sna")),
    ("my-own-constraint", None, ("foreign", None)),
])
def test_classify(cid, rsc, expected):
    assert ids.classify(cid, rsc) == expected


def test_builders_and_the_compilers_prefixes_agree():
    assert ids.resource_id("sna") == cib.resource_id("sna") == "fc.sna"
    assert ids.pin_id("sna").startswith(cib.NOSWITCH_PREFIX)
    assert ids.runbook_rule_id("sna").startswith(cib.RUNBOOK_PREFIX)
    assert ids.member_id("sna", "ip0") == "fc.sna.ip0"
    assert ids.package_of_resource("fc.sna") == "sna" and ids.package_of_resource(ids.FENCING_ID) is None


def test_the_fencing_resources_name_is_reserved():
    assert "fencing" in ids.reserved_name_problem("sbd-fencing")
    assert ids.reserved_name_problem("sna") is None


def test_removing_a_package_removes_its_runbook_rule():
    live = """<cib epoch="1" num_updates="0" admin_epoch="0"><configuration><resources>
      <group id="fc.sna"><meta_attributes id="m"><nvpair id="m1" name="failover-cluster" value="managed"/>
        <nvpair id="m2" name="failover-cluster-package" value="sna"/>
      </meta_attributes></group></resources><constraints>
      <rsc_location id="fc-runbook-sna" rsc="fc.sna"><rule id="r" score="-INFINITY"><expression id="e"
        attribute="#uname" operation="ne" value="n2"/></rule></rsc_location>
      <rsc_location id="fc-runbook-other" rsc="fc.other" node="n1" score="-INFINITY"/>
      </constraints></configuration><status/></cib>"""
    new = cib.merge(live, {}, [], ["sna"])
    assert "fc-runbook-sna" not in new and "fc-runbook-other" in new
