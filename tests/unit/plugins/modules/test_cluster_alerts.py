"""cluster_alerts as Ansible runs it on a host: bad input is refused before the CIB is read."""

from __future__ import annotations

import shutil

import pytest


def test_bad_input_is_refused_before_any_command(run_module):
    result = run_module("cluster_alerts", alerts=[
        {"name": "ops", "kind": "snmp", "recipients": ["trap-host"]},
        {"name": "t", "kind": "script", "path": "notify", "recipients": ["a&b"], "events": ["failover"]}])
    assert result["failed"] is True and result["changed"] is False and result["commands"] == []
    assert result["errors"] == [
        "alerts[0].recipients[0]: trap-host is not a valid IPv4/IPv6 address (an SNMP trap recipient must be the "
        "receiver's IP address)",
        "alerts[1].path: 'notify' is not an absolute path (a script target must be named by its absolute path)",
        "alerts[1].recipients[0]: 'a&b' contains shell metacharacters or spaces ('&'); a recipient is passed to "
        "the alert agent and must not",
        "alerts[1].events[0]: 'failover' is not an event name (allowed: package, node, fencing)",
    ]


@pytest.mark.skipif(shutil.which("cibadmin") is None, reason="pacemaker-cli-utils not installed")
def test_without_a_cluster_the_module_fails_cleanly(run_module):
    result = run_module("cluster_alerts", alerts=[], _ansible_check_mode=True)
    assert result["failed"] is True and result["changed"] is False
    assert result["msg"].startswith("cannot apply the alerts: ")
    assert result["commands"][0][1:] == ["--query"]
