"""failover.cluster.fencing against a REAL single-node Corosync + Pacemaker.

The lock LUN's fencing resource is written through the packages' apply engine: check mode
changes nothing, the real run writes exactly the compiled resource, a rerun changes nothing,
a new disk list updates it, absent removes it; other resources and the packages are left
alone, and cluster_info reports it. Every assertion is backed by ``cibadmin --query``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from pacemaker_node import pacemaker_cluster_fixture, pcmk_fixture  # noqa: F401 - fixtures

pytestmark = pytest.mark.lab

FOREIGN = ('<primitive id="foreign" class="ocf" provider="pacemaker" type="Dummy">'
           '<meta_attributes id="foreign-meta"><nvpair id="foreign-meta-target-role" name="target-role" '
           'value="Stopped"/></meta_attributes></primitive>')


def fence(node):
    return ET.fromstring(node.cib()).find("configuration/resources/primitive[@id='fc.sbd-fencing']")


def canon(elem):
    return None if elem is None else ET.canonicalize(ET.tostring(elem), strip_text=True)


def devices_of(elem):
    return [p.get("value") for p in elem.iter("nvpair") if p.get("name") == "devices"]


def test_fencing_check_mode_apply_idempotent_update_absent(run_module, pcmk):
    pcmk.run(["cibadmin", "--create", "--scope", "resources", "--xml-text", FOREIGN])
    foreign_before = canon(ET.fromstring(pcmk.cib()).find("configuration/resources/primitive[@id='foreign']"))

    check = run_module("fencing", wrap=pcmk.wrap, devices=["/dev/lab/lock0"], _ansible_check_mode=True,
                       _ansible_diff=True)
    assert check["changed"] is True and check["changes"]["added"] == ["resources/fc.sbd-fencing"], check
    assert 'type="fence_sbd"' in check["diff"]["after"]
    assert fence(pcmk) is None  # check mode wrote nothing

    made = run_module("fencing", wrap=pcmk.wrap, devices=["/dev/lab/lock0"])
    assert made["changed"] is True and made["devices"] == ["/dev/lab/lock0"] and made["id"] == "fc.sbd-fencing"
    live = fence(pcmk)
    assert live is not None and (live.get("class"), live.get("type")) == ("stonith", "fence_sbd")
    assert devices_of(live) == ["/dev/lab/lock0"]
    tools = [c[0].rsplit("/", 1)[-1] + " " + c[1] for c in made["commands"]]
    assert tools == ["cibadmin --query", "crm_diff --original", "cibadmin --patch"], tools

    again = run_module("fencing", wrap=pcmk.wrap, devices=["/dev/lab/lock0"])
    assert again["changed"] is False and again["changes"] == {"added": [], "removed": [], "changed": []}

    updated = run_module("fencing", wrap=pcmk.wrap, devices=["/dev/lab/lock0", "/dev/lab/lock1"])
    assert updated["changed"] is True and updated["changes"]["changed"] == ["resources/fc.sbd-fencing"]
    assert devices_of(fence(pcmk)) == ["/dev/lab/lock0,/dev/lab/lock1"]

    info = run_module("cluster_info", wrap=pcmk.wrap)
    assert info["fencing"]["present"] is True and info["fencing"]["devices"] == ["/dev/lab/lock0", "/dev/lab/lock1"]
    assert info["fencing"]["agent"] == "stonith:fence_sbd"
    assert info["fencing"]["state"] in ("running", "halted", "failed", "partial")
    assert [p["package"] for p in info["packages"] if p["name"] == "fc.sbd-fencing"] == [None]

    gone = run_module("fencing", wrap=pcmk.wrap, state="absent")
    assert gone["changed"] is True and gone["changes"]["removed"] == ["resources/fc.sbd-fencing"], gone
    assert fence(pcmk) is None
    assert run_module("fencing", wrap=pcmk.wrap, state="absent")["changed"] is False
    assert run_module("cluster_info", wrap=pcmk.wrap)["fencing"]["state"] == "absent"
    assert canon(ET.fromstring(pcmk.cib()).find("configuration/resources/primitive[@id='foreign']")) == \
        foreign_before


def test_bad_devices_are_refused_before_the_cib_is_read(run_module, pcmk):
    result = run_module("fencing", wrap=pcmk.wrap, devices=["lock0"])
    assert result["failed"] and result["commands"] == []
    assert result["msg"] == ("fencing: devices: 'lock0' is not an absolute disk path without commas or spaces; "
                             "nothing was changed")
    assert fence(pcmk) is None
