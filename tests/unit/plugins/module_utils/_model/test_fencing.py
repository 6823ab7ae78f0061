"""The lock LUN's fencing resource: compiled, merged into a live CIB, read back."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from ansible_collections.failover.cluster.plugins.module_utils._model import fencing, ids
from ansible_collections.failover.cluster.plugins.module_utils._model.cib import _canonical
from ansible_collections.failover.cluster.plugins.module_utils._model.errors import CompileError

LIVE = (Path(__file__).parents[1] / "fixtures" / "cib_1node.xml").read_text()

# What roles/lock_lun/tasks/fencing.yml wrote with cibadmin --create before the model compiled it:
# the compiled resource must be the same, so a cluster made by the old role sees no change.
ROLE_XML = """<primitive id="fc.sbd-fencing" class="stonith" type="fence_sbd"
  description="managed by failover.cluster: fencing through the lock LUN">
  <instance_attributes id="fc.sbd-fencing-ia"><nvpair id="fc.sbd-fencing-ia-devices" name="devices"
  value="/dev/lab/lock0,/dev/lab/lock1"/></instance_attributes>
  <operations><op id="fc.sbd-fencing-monitor" name="monitor" interval="60s" timeout="30s"/></operations>
  </primitive>"""


def _resources(cib_xml):
    return ET.fromstring(cib_xml).find("configuration/resources")


def _fence(cib_xml):
    return [e for e in _resources(cib_xml) if e.get("id") == ids.fencing_id()]


def test_compiled_resource_is_what_the_role_wrote_before():
    compiled = fencing.compile_fencing(["/dev/lab/lock0", "/dev/lab/lock1"])
    assert _canonical(compiled) == _canonical(ET.fromstring(ROLE_XML))
    assert ET.tostring(compiled) == ET.tostring(fencing.compile_fencing(["/dev/lab/lock0", "/dev/lab/lock1"]))


def test_its_ids_come_from_the_id_module_and_classify_as_fencing():
    compiled = fencing.compile_fencing(["/dev/sdb"])
    assert compiled.get("id") == ids.fencing_id() == "fc.sbd-fencing"
    assert ids.classify(compiled.get("id")) == ("fencing", None)
    assert all(e.get("id").startswith(ids.fencing_id() + "-") for e in compiled.iter() if e is not compiled
               and e.get("id"))
    assert ids.reserved_name_problem("sbd-fencing")


@pytest.mark.parametrize("devices, message", [
    ([], "non-empty list"),
    ("/dev/sdb", "non-empty list"),
    (["sdb"], "'sdb' is not an absolute disk path"),
    (["/dev/a,b"], "without commas"),
    (["/dev/a b"], "without commas or spaces"),
])
def test_bad_devices_are_refused(devices, message):
    with pytest.raises(CompileError, match="fencing: devices"):
        fencing.compile_fencing(devices)
    with pytest.raises(CompileError, match=message):
        fencing.compile_fencing(devices)


def test_duplicate_devices_are_named_once():
    assert fencing.fencing_from_cib(fencing.merge_fencing(LIVE, fencing.compile_fencing(
        ["/dev/sdb", "/dev/sdb"])))["devices"] == ["/dev/sdb"]


def test_merge_adds_updates_and_removes_only_the_fencing_resource():
    others = [e.get("id") for e in _resources(LIVE)]
    added = fencing.merge_fencing(LIVE, fencing.compile_fencing(["/dev/sdb"]))
    assert [e.get("id") for e in _resources(added)] == others + [ids.fencing_id()]
    assert fencing.fencing_from_cib(added) == {"id": "fc.sbd-fencing", "present": True,
                                               "agent": "stonith:fence_sbd", "devices": ["/dev/sdb"]}
    updated = fencing.merge_fencing(added, fencing.compile_fencing(["/dev/sdb", "/dev/sdc"]))
    assert fencing.fencing_from_cib(updated)["devices"] == ["/dev/sdb", "/dev/sdc"]
    assert len(_fence(updated)) == 1
    removed = fencing.merge_fencing(updated, None)
    assert [e.get("id") for e in _resources(removed)] == others
    assert fencing.fencing_from_cib(removed) == {"id": "fc.sbd-fencing", "present": False, "agent": None,
                                                 "devices": []}
    assert fencing.merge_fencing(removed, None) == removed


def test_merge_keeps_the_live_meta_attributes_and_position():
    live = LIVE.replace("<resources>", "<resources>" + ROLE_XML.replace(
        "<operations>", '<meta_attributes id="fc.sbd-fencing-meta_attributes"><nvpair '
        'id="fc.sbd-fencing-meta_attributes-target-role" name="target-role" value="Stopped"/></meta_attributes>'
        "<operations>"), 1)
    merged = fencing.merge_fencing(live, fencing.compile_fencing(["/dev/sdb"]))
    first = list(_resources(merged))[0]
    assert first.get("id") == ids.fencing_id()
    assert [p.get("value") for p in first.iter("nvpair") if p.get("name") == "target-role"] == ["Stopped"]
    assert fencing.fencing_from_cib(merged)["devices"] == ["/dev/sdb"]


def test_merge_refuses_a_foreign_object_with_the_fencing_id():
    live = LIVE.replace("<resources>", '<resources><group id="fc.sbd-fencing"/>', 1)
    with pytest.raises(CompileError, match="group fc.sbd-fencing that is not the fencing resource"):
        fencing.merge_fencing(live, fencing.compile_fencing(["/dev/sdb"]))


def test_a_package_may_not_be_named_like_the_fencing_resource():
    from ansible_collections.failover.cluster.plugins.module_utils._model.errors import SpecError
    from ansible_collections.failover.cluster.plugins.module_utils._model.package import build_packages

    nodes = [{"name": "n1", "addresses": ["198.51.100.11/24"]}, {"name": "n2", "addresses": ["198.51.100.12/24"]}]
    cluster = {"name": "c", "nodes": nodes, "quorum_server": {"host": "qs", "address": "198.51.100.10"}}
    package = {"package_name": "sbd-fencing", "services": [{"service_name": "s", "service_cmd": "/usr/bin/true"}]}
    with pytest.raises(SpecError) as caught:
        build_packages([package], cluster)
    assert caught.value.errors == ["packages[0].package_name: sbd-fencing is reserved: its resource id "
                                   "fc.sbd-fencing is the collection's fencing resource"]
