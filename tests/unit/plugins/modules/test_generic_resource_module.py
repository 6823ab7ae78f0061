"""generic_resource as Ansible runs it: bad input is refused before any command runs."""

from __future__ import annotations


def test_bad_name_is_refused_before_any_command(run_module):
    result = run_module("generic_resource", generic_resource_name="db;reboot", status="down")
    assert result["failed"] is True and result["changed"] is False and result["commands"] == []
    assert result["msg"] == ("name: 'db;reboot' is not a generic resource name (letters, digits, '-' and '_', "
                             "starting with a letter or digit, at most 39)")


def test_bad_node_and_absent_with_a_value_are_refused(run_module):
    result = run_module("generic_resource", generic_resource_name="db", node="node1 --delete", status="up")
    assert result["failed"] is True and result["commands"] == []
    assert result["msg"] == "node: 'node1 --delete' is not a node name"
    result = run_module("generic_resource", generic_resource_name="db", state="absent", value=3)
    assert result["failed"] is True and result["commands"] == []
    assert result["msg"] == "status/value: not with state=absent (it removes the value)"


def test_status_and_value_are_exclusive(run_module):
    result = run_module("generic_resource", generic_resource_name="db", status="up", value=3)
    assert result["failed"] is True
    assert "mutually exclusive" in result["msg"]
