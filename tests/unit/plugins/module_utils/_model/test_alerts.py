"""Event notification: the alerts description validated and compiled to Pacemaker alerts (pure)."""

from __future__ import annotations

import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from ansible_collections.failover.cluster.plugins.module_utils._model import alerts, ids
from ansible_collections.failover.cluster.plugins.module_utils._model.errors import SpecError

SNMP = {"name": "ops-snmp", "kind": "snmp", "recipients": ["198.51.100.50"]}
SCRIPT = {"name": "ticket", "kind": "script", "path": "/usr/local/bin/open-ticket", "recipients": ["ops-queue"],
          "events": ["package", "fencing"]}
SAMPLE = Path("/usr/share/pacemaker/alerts/alert_snmp.sh.sample")
SCHEMA = Path("/usr/share/pacemaker/alerts-2.10.rng")


def errors_of(spec):
    with pytest.raises(SpecError) as info:
        alerts.validate_alerts(spec)
    return info.value.errors


def test_defaults_are_filled_in():
    snmp, script = alerts.validate_alerts([SNMP, SCRIPT])
    assert snmp == {"name": "ops-snmp", "kind": "snmp", "path": alerts.SNMP_AGENT, "recipients": ["198.51.100.50"],
                    "events": ["package", "node", "fencing"], "timestamp_format": "%Y-%m-%d,%H:%M:%S.%01N",
                    "community": "public", "attributes": {}}
    assert script["path"] == "/usr/local/bin/open-ticket" and script["events"] == ["package", "fencing"]
    assert script["community"] is None and script["timestamp_format"] == "%Y-%m-%d %H:%M:%S.%06N"


def test_nothing_described_is_valid():
    assert alerts.validate_alerts(None) == [] and alerts.validate_alerts([]) == []
    assert alerts.alert_problems([SNMP, SCRIPT]) == []


@pytest.mark.parametrize(("spec", "message"), [
    ([dict(SCRIPT, recipients=["ops; rm -rf /"])],
     "cluster_alerts[0].recipients[0]: 'ops; rm -rf /' contains shell metacharacters or spaces (';' ' '); "
     "a recipient is passed to the alert agent and must not"),
    ([dict(SCRIPT, recipients=["$(reboot)"])],
     "cluster_alerts[0].recipients[0]: '$(reboot)' contains shell metacharacters or spaces ('$' '(' ')'); "
     "a recipient is passed to the alert agent and must not"),
    ([dict(SCRIPT, events=["package", "failover"])],
     "cluster_alerts[0].events[1]: 'failover' is not an event name (allowed: package, node, fencing)"),
    ([dict(SCRIPT, path="bin/open-ticket")],
     "cluster_alerts[0].path: 'bin/open-ticket' is not an absolute path (a script target must be named by its "
     "absolute path)"),
    ([dict(SCRIPT, path="/usr/bin/x y")],
     "cluster_alerts[0].path: '/usr/bin/x y' is not a valid absolute script path (no spaces, quotes or shell "
     "characters)"),
    ([{"name": "t", "kind": "script"}], "cluster_alerts[0].path: is required for kind script"),
    ([dict(SNMP, recipients=["traps.example.net"])],
     "cluster_alerts[0].recipients[0]: traps.example.net is not a valid IPv4/IPv6 address (an SNMP trap recipient "
     "must be the receiver's IP address)"),
    ([dict(SNMP, recipients=["198.51.100.500"])],
     "cluster_alerts[0].recipients[0]: 198.51.100.500 is not a valid IPv4/IPv6 address"),
    ([dict(SNMP, recipients=[])], "cluster_alerts[0].recipients: must not be empty"),
    ([dict(SNMP, path="/bin/true")], "cluster_alerts[0].path: is only for kind script"),
    ([dict(SNMP, kind="webhook")], "cluster_alerts[0].kind: 'webhook' is not one of snmp, script"),
    ([dict(SNMP, recipient=["198.51.100.50"])], "cluster_alerts[0].recipient: unknown field"),
    ([{"kind": "snmp", "recipients": ["198.51.100.50"]}], "cluster_alerts[0].name: is required"),
    ([dict(SNMP, name="ops snmp")], "cluster_alerts[0].name: 'ops snmp' is not a valid alert name"),
    ([SNMP, dict(SCRIPT, name="ops-snmp")], "cluster_alerts[1].name: 'ops-snmp' is used by another alert"),
    ([dict(SNMP, recipients=["198.51.100.50", "198.51.100.50"])],
     "cluster_alerts[0].recipients[1]: 198.51.100.50 is listed twice"),
    ([dict(SNMP, community="pub lic")], "cluster_alerts[0].community: 'pub lic' is not a valid SNMP community"),
    ([dict(SCRIPT, community="public")], "cluster_alerts[0].community: is only for kind snmp"),
    ([dict(SCRIPT, attributes={"1x": "v"})], "cluster_alerts[0].attributes.1x: is not a valid attribute name"),
    ([dict(SNMP, attributes={"trap_community": "x"})],
     "cluster_alerts[0].attributes.trap_community: is set by the collection (use community)"),
    ([dict(SCRIPT, timestamp_format="%s\n")], "cluster_alerts[0].timestamp_format: must be a non-empty one-line"),
    ("ops", "cluster_alerts: must be a list, got a string"),
    ([["x"]], "cluster_alerts[0]: must be a mapping, got a list"),
])
def test_bad_input_names_the_field_and_the_rule(spec, message):
    problems = errors_of(spec)
    assert any(p.startswith(message) for p in problems), problems
    assert alerts.alert_problems(spec) == problems


def test_every_problem_is_reported_at_once():
    problems = errors_of([dict(SCRIPT, path="x", recipients=["a|b"], events=["nodes"])])
    assert [p.split(":")[0] for p in problems] == [
        "cluster_alerts[0].path", "cluster_alerts[0].recipients[0]", "cluster_alerts[0].events[0]"]


def test_ipv6_recipients_are_normalized():
    (alert,) = alerts.validate_alerts([dict(SNMP, recipients=["2001:DB8::0:50"])])
    assert alert["recipients"] == ["2001:db8::50"]


def test_compile_snmp():
    (alert,) = alerts.validate_alerts([dict(SNMP, attributes={"trap_version": "2c", "trap_options": "-t 5"})])
    element = alerts.compile_alert(alert)
    assert element.get("id") == ids.alert_id("ops-snmp") == "fc-alert-ops-snmp"
    assert element.get("path") == alerts.SNMP_AGENT
    assert [c.tag for c in element.find("select")] == ["select_resources", "select_nodes", "select_fencing"]
    assert [(r.get("id"), r.get("value")) for r in element.findall("recipient")] == [
        ("fc-alert-ops-snmp-recipient-1", "198.51.100.50")]
    instance = {n.get("name"): n.get("value") for n in element.find("instance_attributes")}
    assert instance == {"trap_community": "public", "trap_resource_tasks": "start,stop,monitor",
                        "trap_version": "2c", "trap_options": "-t 5"}
    meta = {n.get("name"): n.get("value") for n in element.find("meta_attributes")}
    assert meta == {"timestamp-format": "%Y-%m-%d,%H:%M:%S.%01N"}
    every_id = [e.get("id") for e in element.iter() if e.get("id")]
    assert len(every_id) == len(set(every_id)) and all(i.startswith("fc-alert-ops-snmp") for i in every_id)


def test_compile_script_without_recipients():
    (alert,) = alerts.validate_alerts([dict(SCRIPT, recipients=None, events=["node"])])
    element = alerts.compile_alert(alert)
    assert element.get("path") == "/usr/local/bin/open-ticket"
    assert element.findall("recipient") == [] and element.find("instance_attributes") is None
    assert [c.tag for c in element.find("select")] == ["select_nodes"]


@pytest.mark.skipif(not SCHEMA.exists() or not shutil.which("xmllint"), reason="needs Pacemaker's schema + xmllint")
def test_compiled_alerts_follow_pacemakers_schema(tmp_path):
    section = ET.Element("alerts")
    section.extend(alerts.compile_alerts(alerts.validate_alerts([SNMP, SCRIPT, dict(SCRIPT, name="x")])).values())
    path = tmp_path / "alerts.xml"
    path.write_text(ET.tostring(section, encoding="unicode"))
    result = subprocess.run(["xmllint", "--noout", "--relaxng", str(SCHEMA), str(path)], capture_output=True,
                            text=True, check=False)
    assert result.returncode == 0, result.stderr


LIVE = """<cib epoch="7" num_updates="3" admin_epoch="0"><configuration><crm_config/><nodes/><resources/>
<constraints/><alerts><alert id="site-own" path="/bin/true"/>{0}</alerts></configuration><status/></cib>"""


def live_with(*specs):
    elements = alerts.compile_alerts(alerts.validate_alerts(list(specs))).values()
    return ET.fromstring(LIVE.format("".join(ET.tostring(e, encoding="unicode") for e in elements)))


def test_merge_adds_changes_removes_only_the_collections_alerts():
    root = live_with(SNMP, dict(SCRIPT, name="old"))
    desired = alerts.compile_alerts(alerts.validate_alerts([dict(SNMP, recipients=["198.51.100.51"]), SCRIPT]))
    changes, before, after = alerts.merge_alerts(root, desired)
    assert changes == {"added": ["fc-alert-ticket"], "removed": ["fc-alert-old"], "changed": ["fc-alert-ops-snmp"]}
    assert [e.get("id") for e in before] == ["fc-alert-old", "fc-alert-ops-snmp"]
    assert [e.get("id") for e in after] == ["fc-alert-ops-snmp", "fc-alert-ticket"]
    assert sorted(e.get("id") for e in root.find("configuration/alerts")) == [
        "fc-alert-ops-snmp", "fc-alert-ticket", "site-own"]


def test_merge_is_idempotent_and_ignores_whitespace():
    root = ET.fromstring(ET.tostring(live_with(SNMP, SCRIPT), encoding="unicode").replace("><", ">\n  <"))
    desired = alerts.compile_alerts(alerts.validate_alerts([SCRIPT, SNMP]))
    changes, before, after = alerts.merge_alerts(root, desired)
    assert not any(changes.values()) and before == [] and after == []


def test_merge_into_a_cib_without_alerts_and_removing_the_last_one():
    root = ET.fromstring('<cib epoch="1"><configuration><resources/></configuration></cib>')
    desired = alerts.compile_alerts(alerts.validate_alerts([SNMP]))
    changes, _b, _a = alerts.merge_alerts(root, desired)
    assert changes["added"] == ["fc-alert-ops-snmp"] and root.find("configuration/alerts") is not None
    changes, _b, _a = alerts.merge_alerts(root, {})
    assert changes["removed"] == ["fc-alert-ops-snmp"] and root.find("configuration/alerts") is None


def test_snmp_agent_names_every_object_by_number():
    sample = SAMPLE.read_text() if SAMPLE.exists() else "#!/bin/sh\n" + " ".join(alerts.SNMP_OIDS) + "\n"
    text = alerts.snmp_agent(sample)
    assert "${PREFIX}" not in text  # the PACEMAKER-MIB names were all built from it
    assert "HOST-RESOURCES-MIB::" not in text
    assert '".1.3.6.1.4.1.32723.2.1"' in text and '".1.3.6.1.4.1.32723.1.2"' in text
    assert text.startswith("#!/bin/sh\n# Installed by failover.cluster")
    assert alerts.snmp_agent(sample) == text


def test_snmp_agent_refuses_an_unknown_sample():
    with pytest.raises(ValueError, match="does not look like Pacemaker's SNMP sample agent"):
        alerts.snmp_agent("#!/bin/sh\necho hi\n")


def test_alert_ids():
    assert ids.classify("fc-alert-ops") == ("alert", None)
    assert ids.alert_id("ops").startswith(ids.ALERT_PREFIX)
