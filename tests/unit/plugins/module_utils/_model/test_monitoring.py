"""Generic resources: validation, compilation to location rules, values and criteria."""

import xml.etree.ElementTree as ET

import pytest

from ansible_collections.failover.cluster.plugins.module_utils._model import ids
from ansible_collections.failover.cluster.plugins.module_utils._model import monitoring as mon
from ansible_collections.failover.cluster.plugins.module_utils._model import package as pk
from ansible_collections.failover.cluster.plugins.module_utils._model.cib import compile_packages, merge
from ansible_collections.failover.cluster.plugins.module_utils._model.cluster import build_cluster
from ansible_collections.failover.cluster.plugins.module_utils._model.errors import SpecError

CLUSTER = build_cluster({
    "name": "lab",
    "nodes": [{"name": "node1", "addresses": ["198.51.100.11/24"]},
              {"name": "node2", "addresses": ["198.51.100.12/24"]}],
    "lock_lun": {"devices": ["/dev/sdb"]},
})[0]


def pkg(name="web", **over):
    data = {"package_name": name, "services": [{"service_name": "main", "service_cmd": "/bin/sleep infinity"}]}
    data.update(over)
    return data


def errors_of(specs):
    with pytest.raises(SpecError) as info:
        pk.build_packages(specs, CLUSTER)
    return info.value.errors


def rules(spec):
    compiled = compile_packages([spec], CLUSTER).packages[spec["package_name"]]
    return [c for c in compiled.constraints if ".gr." in c.get("id")]


def xml(element):
    return ET.tostring(element, encoding="unicode")


def test_defaults_and_fields():
    (p,), warnings = pk.build_packages([pkg(generic_resources=[
        {"generic_resource_name": "dbmon"},
        {"generic_resource_name": "cpu_free", "generic_resource_evaluation_type": "before_package_start",
         "generic_resource_up_criteria": ">= 10"},
    ])], CLUSTER)
    assert warnings == []
    assert p.generic_resources == (
        mon.GenericResource("dbmon", "during_package_start", None),
        mon.GenericResource("cpu_free", "before_package_start", mon.UpCriteria(">=", 10)),
    )
    assert p.generic_resources[0].attribute == "fc-gr-dbmon"


def test_package_without_generic_resources_is_unchanged():
    (p,), _warnings = pk.build_packages([pkg()], CLUSTER)
    assert p.generic_resources == ()
    assert rules(pkg()) == []


@pytest.mark.parametrize("item, message", [
    ({"generic_resource_name": "db mon"}, "packages[0].generic_resources[0].generic_resource_name: 'db mon' is not a "
     "valid generic resource name: use letters, digits, '-' and '_', starting with a letter or digit"),
    ({"generic_resource_name": "x" * 40}, "packages[0].generic_resources[0].generic_resource_name: '" + "x" * 40
     + "' is longer than 39 characters"),
    ({"generic_resource_name": "db", "generic_resource_up_criteria": "at least 10"},
     "packages[0].generic_resources[0].generic_resource_up_criteria: 'at least 10' does not parse: give an operator "
     "(!=, <, <=, ==, >, >=) and an integer, like '>= 10'"),
    ({"generic_resource_name": "db", "generic_resource_up_criteria": "> 1.5"},
     "packages[0].generic_resources[0].generic_resource_up_criteria: '> 1.5' does not parse: give an operator "
     "(!=, <, <=, ==, >, >=) and an integer, like '>= 10'"),
    ({"generic_resource_name": "db", "generic_resource_up_criteria": 10},
     "packages[0].generic_resources[0].generic_resource_up_criteria: must be a string like '>= 10', got an integer"),
    ({"generic_resource_name": "db", "generic_resource_up_criteria": "> 9999999999"},
     "packages[0].generic_resources[0].generic_resource_up_criteria: 9999999999 is outside the 32-bit integer range "
     "of a resource value"),
    ({"generic_resource_name": "db", "generic_resource_evaluation_type": "after_start"},
     "packages[0].generic_resources[0].generic_resource_evaluation_type: 'after_start' is not one of "
     "during_package_start, before_package_start"),
    ({"generic_resource_name": "db", "status": "up"}, "packages[0].generic_resources[0].status: unknown field "
     "(allowed: generic_resource_evaluation_type, generic_resource_name, generic_resource_up_criteria)"),
    ({}, "packages[0].generic_resources[0].generic_resource_name: is required"),
    ("db", "packages[0].generic_resources[0]: must be a mapping, got a string"),
])
def test_bad_generic_resources(item, message):
    assert errors_of([pkg(generic_resources=[item])]) == [message]


def test_not_a_list_and_duplicates():
    assert errors_of([pkg(generic_resources="db")]) == ["packages[0].generic_resources: must be a list, got a string"]
    assert errors_of([pkg(generic_resources=[{"generic_resource_name": "db"}, {"generic_resource_name": "db"}])]) == [
        "packages[0].generic_resources[1].generic_resource_name: db is already used in this package"]


def test_one_name_is_simple_or_extended_in_every_package():
    assert errors_of([pkg("a", generic_resources=[{"generic_resource_name": "db"}]),
                      pkg("b", generic_resources=[{"generic_resource_name": "db",
                                                   "generic_resource_up_criteria": "> 1"}])]) == [
        "packages[1].generic_resources[0].generic_resource_up_criteria: generic resource db is extended here but "
        "simple at packages[0].generic_resources[0].generic_resource_up_criteria: a resource holds either up/down or "
        "a number on every node"]
    # the same kind with different criteria is fine: each package has its own threshold
    pk.build_packages([pkg("a", generic_resources=[{"generic_resource_name": "db",
                                                    "generic_resource_up_criteria": "> 1"}]),
                       pkg("b", generic_resources=[{"generic_resource_name": "db",
                                                    "generic_resource_up_criteria": "> 5"}])], CLUSTER)


def test_compile_simple_during_start():
    (rule,) = rules(pkg(generic_resources=[{"generic_resource_name": "dbmon"}]))
    assert xml(rule) == (
        '<rsc_location id="fc.web.gr.dbmon" rsc="fc.web"><rule id="fc.web.gr.dbmon-rule" score="-INFINITY">'
        '<expression id="fc.web.gr.dbmon-down" attribute="fc-gr-dbmon" operation="eq" value="down" /></rule>'
        '</rsc_location>')


def test_compile_simple_before_start():
    (rule,) = rules(pkg(generic_resources=[{"generic_resource_name": "dbmon",
                                            "generic_resource_evaluation_type": "before_package_start"}]))
    assert xml(rule) == (
        '<rsc_location id="fc.web.gr.dbmon" rsc="fc.web">'
        '<rule id="fc.web.gr.dbmon-rule" score="-INFINITY" boolean-op="or">'
        '<expression id="fc.web.gr.dbmon-unset" attribute="fc-gr-dbmon" operation="not_defined" />'
        '<expression id="fc.web.gr.dbmon-notup" attribute="fc-gr-dbmon" operation="ne" value="up" /></rule>'
        '</rsc_location>')


@pytest.mark.parametrize("criteria, operation, value", [
    (">= 10", "lt", "10"), ("> 10", "lte", "10"), ("<=5", "gt", "5"), ("< -3", "gte", "-3"), ("== 1", "ne", "1"),
    ("!= 0", "eq", "0"),
])
def test_compile_extended(criteria, operation, value):
    (rule,) = rules(pkg(generic_resources=[{"generic_resource_name": "cpu", "generic_resource_up_criteria": criteria}]))
    (expression,) = rule.iter("expression")
    assert expression.attrib == {"id": "fc.web.gr.cpu-notup", "attribute": "fc-gr-cpu", "operation": operation,
                                 "value": value, "type": "number"}
    assert rule.find("rule").get("boolean-op") is None


def test_compile_extended_before_start_also_needs_a_value():
    (rule,) = rules(pkg(generic_resources=[{"generic_resource_name": "cpu", "generic_resource_up_criteria": "> 2",
                                            "generic_resource_evaluation_type": "before_package_start"}]))
    assert [e.get("operation") for e in rule.iter("expression")] == ["not_defined", "lte"]
    assert rule.find("rule").get("boolean-op") == "or"


def test_ids_and_classification():
    assert ids.generic_resource_rule_id("web", "db") == "fc.web.gr.db"
    assert ids.classify("fc.web.gr.db") == ("package_part", "web")
    assert ids.generic_resource_attribute("db") == "fc-gr-db"
    assert ids.generic_resource_of_attribute("fc-gr-db") == "db"
    assert ids.generic_resource_of_attribute("fc-gr-") is None
    assert ids.generic_resource_of_attribute("standby") is None


LIVE = ('<cib epoch="1" num_updates="0" admin_epoch="0"><configuration><crm_config/><nodes/><resources/>'
        '<constraints/></configuration><status/></cib>')


def test_rules_are_removed_with_the_package_and_read_back():
    compiled = compile_packages([pkg(generic_resources=[{"generic_resource_name": "db"},
                                                        {"generic_resource_name": "cpu",
                                                         "generic_resource_up_criteria": ">= 4",
                                                         "generic_resource_evaluation_type": "before_package_start"}]),
                                 pkg("other", generic_resources=[{"generic_resource_name": "db"}])], CLUSTER)
    applied = merge(LIVE, compiled)
    root = ET.fromstring(applied)
    assert mon.generic_resources_of_cib(root) == {
        "db": {"packages": ["web", "other"], "up_criteria": None, "evaluation": "during_package_start",
               "criteria": []},
        "cpu": {"packages": ["web"], "up_criteria": mon.UpCriteria(">=", 4), "evaluation": "before_package_start",
                "criteria": [mon.UpCriteria(">=", 4)]},
    }
    removed = ET.fromstring(merge(applied, {}, [], ["web"]))
    left = [c.get("id") for c in removed.find("configuration/constraints")]
    assert [c for c in left if not c.startswith("fc.other.")] == []
    assert "fc.other.gr.db" in left


@pytest.mark.parametrize("value, criteria, expected", [
    ("up", None, "up"), ("DOWN", None, "down"), ("unknown", None, "unknown"), (12, mon.UpCriteria(">", 1), "12"),
    (" -7 ", mon.UpCriteria(">", 1), "-7"),
])
def test_check_value(value, criteria, expected):
    assert mon.check_value(value, criteria) == expected


@pytest.mark.parametrize("value, criteria, message", [
    ("5", None, "'5' is not a status of a simple generic resource (one of up, down, unknown)"),
    ("up", mon.UpCriteria(">", 1), "'up' is not an integer (an extended generic resource holds a number)"),
    (True, mon.UpCriteria(">", 1), "True is not an integer (an extended generic resource holds a number)"),
    (2 ** 31, mon.UpCriteria(">", 1), "2147483648 is outside the 32-bit integer range of a resource value"),
])
def test_check_value_refuses(value, criteria, message):
    with pytest.raises(ValueError) as info:
        mon.check_value(value, criteria)
    assert str(info.value) == message


def test_is_up():
    assert mon.is_up("up", None) is True
    assert mon.is_up("unknown", None) is False
    assert mon.is_up(None, None) is None
    assert mon.is_up("10", mon.parse_up_criteria(">= 10")) is True
    assert mon.is_up("9", mon.parse_up_criteria(">= 10")) is False
    assert mon.is_up("x", mon.parse_up_criteria(">= 10")) is False
    assert str(mon.parse_up_criteria(" !=3")) == "!= 3"
