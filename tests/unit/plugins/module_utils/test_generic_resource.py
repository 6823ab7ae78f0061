"""cmsetresource / cmgetresource planning: which crm_attribute calls, in which lifetime."""

import pytest

from ansible_collections.failover.cluster.plugins.module_utils import _generic_resource as gr

NONE = {"reboot": None, "forever": None}


def test_argv():
    assert gr.argv("/usr/sbin/crm_attribute", "node1", "db", "reboot", "query") == [
        "/usr/sbin/crm_attribute", "--node", "node1", "--name", "fc-gr-db", "--lifetime", "reboot", "--query",
        "--quiet"]
    assert gr.argv("crm_attribute", "node1", "db", "forever", "update", 12)[-2:] == ["--update", "12"]
    assert gr.argv("crm_attribute", "node1", "db", "forever", "delete")[-1] == "--delete"
    with pytest.raises(ValueError):
        gr.argv("crm_attribute", "node1", "db", "forever", "set")


def test_read_result():
    assert gr.read_result(0, "up\n", "") == "up"
    assert gr.read_result(105, "", "crm_attribute: Error performing operation: No such device or address") is None
    assert gr.read_result(0, "(null)\n", "") is None
    with pytest.raises(gr.QueryError) as info:
        gr.read_result(102, "", "Could not connect to the CIB: Transport endpoint is not connected\n")
    assert str(info.value) == "Could not connect to the CIB: Transport endpoint is not connected"


def test_plan_sets_once_and_is_idempotent():
    assert gr.plan(NONE, "reboot", "down") == [("update", "reboot", "down")]
    assert gr.plan({"reboot": "down", "forever": None}, "reboot", "down") == []
    assert gr.plan({"reboot": "up", "forever": None}, "reboot", "down") == [("update", "reboot", "down")]


def test_plan_keeps_one_value():
    current = {"reboot": None, "forever": "up"}
    assert gr.plan(current, "reboot", "down") == [("update", "reboot", "down"), ("delete", "forever", None)]
    assert gr.after(current, gr.plan(current, "reboot", "down")) == {"reboot": "down", "forever": None}
    current = {"reboot": "up", "forever": "up"}
    assert gr.plan(current, "forever", "up") == [("delete", "reboot", None)]


def test_plan_read_only_and_remove():
    assert gr.plan({"reboot": "up", "forever": "7"}, "reboot") == []
    assert gr.plan({"reboot": "up", "forever": "7"}, "reboot", remove=True) == [
        ("delete", "reboot", None), ("delete", "forever", None)]
    assert gr.plan(NONE, "reboot", remove=True) == []


def test_effective_value_prefers_the_transient_one():
    assert gr.effective({"reboot": "down", "forever": "up"}) == "down"
    assert gr.effective({"reboot": None, "forever": "up"}) == "up"
    assert gr.effective(NONE) is None
