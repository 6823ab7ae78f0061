"""The one table of the cluster description's public variables and their defaults."""

from __future__ import annotations

from pathlib import Path

import yaml

from ansible_collections.failover.cluster.plugins.module_utils import _cluster_vars as cv
from ansible_collections.failover.cluster.plugins.module_utils._model.cluster import build_cluster

ROOT = Path(__file__).resolve().parents[4]
ROLE_DEFAULTS = yaml.safe_load((ROOT / "roles/cluster/defaults/main.yml").read_text())
NODES = [{"name": "n1", "addresses": ["198.51.100.11/24"]}, {"name": "n2", "addresses": ["198.51.100.12/24"]}]


def lookup(values):
    return lambda name: (name in values, values.get(name))


def test_the_table_holds_the_cluster_roles_defaults():
    """Every optional variable's default is the cluster role's (defaults/main.yml), and every description
    variable the role defaults is in the table: the roles that read the variables without the cluster role
    in their play see the same description."""
    table = {var: default for _key, var, default in cv.CLUSTER_VARS if default is not cv.REQUIRED}
    assert table == {var: ROLE_DEFAULTS[var] for var in table}
    described = {var for var in ROLE_DEFAULTS if var in cv.variable_names()}
    assert described == set(table)
    assert {var for _key, var, default in cv.CLUSTER_VARS if default is cv.REQUIRED} == {"cluster_name",
                                                                                         "cluster_nodes"}


def test_the_keys_are_those_of_the_description():
    """The table covers every key cluster_spec's description takes (docs/spec-reference.md)."""
    spec, missing = cv.spec_from_vars(lookup({"cluster_name": "gw", "cluster_nodes": NODES,
                                              "cluster_quorum_server": {"host": "qs", "address": "198.51.100.10"}}))
    assert missing == []
    assert list(spec) == ["name", "nodes", "member_timeout", "timing_profile", "autostart", "quorum_server",
                          "lock_lun", "transport", "crypto", "properties", "ip_monitor"]
    cluster, _warnings = build_cluster(spec)
    assert cluster.to_dict()["name"] == "gw"


def test_set_variables_win_and_unset_ones_take_the_default():
    spec, missing = cv.spec_from_vars(lookup({"cluster_name": "gw", "cluster_nodes": NODES,
                                              "cluster_timing_profile": "low_latency", "cluster_autostart": False}))
    assert missing == []
    assert spec["timing_profile"] == "low_latency" and spec["autostart"] is False
    assert spec["transport"] == "knet" and spec["crypto"] == {"cipher": "aes256", "hash": "sha256"}
    assert spec["member_timeout"] is None and spec["lock_lun"] is None and spec["properties"] == {}


def test_defaults_are_copies():
    spec, _missing = cv.spec_from_vars(lookup({"cluster_name": "gw", "cluster_nodes": NODES}))
    spec["crypto"]["cipher"] = "none"
    spec["properties"]["x"] = "y"
    again, _missing = cv.spec_from_vars(lookup({"cluster_name": "gw", "cluster_nodes": NODES}))
    assert again["crypto"] == {"cipher": "aes256", "hash": "sha256"} and again["properties"] == {}


def test_missing_required_variables_are_listed():
    spec, missing = cv.spec_from_vars(lookup({"cluster_timing_profile": "default"}))
    assert missing == ["cluster_name", "cluster_nodes"]
    assert "name" not in spec and spec["timing_profile"] == "default"
