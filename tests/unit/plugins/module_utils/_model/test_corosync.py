import copy

import pytest

from ansible_collections.failover.cluster.plugins.module_utils._model import corosync as cs
from ansible_collections.failover.cluster.plugins.module_utils._model.errors import SpecError


def spec(**over):
    data = {
        "name": "lab",
        "nodes": [
            {"name": "node1", "addresses": ["198.51.100.11/24", "203.0.113.11/24"]},
            {"name": "node2", "addresses": ["198.51.100.12/24", "203.0.113.12/24"]},
        ],
        "quorum_server": {"host": "qs1", "address": "192.0.2.50"},
        "timing_profile": "low_latency",
    }
    data.update(over)
    return data


def with_node3(data):
    data = copy.deepcopy(data)
    data["nodes"].append({"name": "node3", "addresses": ["198.51.100.13/24", "203.0.113.13/24"]})
    return data


def test_render_is_deterministic_and_has_header():
    text = cs.render_corosync_conf(spec())
    assert text == cs.render_corosync_conf(spec())
    assert text.startswith("# managed by failover.cluster")
    assert text.endswith("}\n")


def test_render_qdevice_two_nodes():
    conf = cs.parse_corosync_conf(cs.render_corosync_conf(spec()))
    totem = conf["totem"]
    assert totem["cluster_name"] == "lab"
    assert totem["transport"] == "knet"
    assert (totem["crypto_cipher"], totem["crypto_hash"]) == ("aes256", "sha256")
    assert (totem["token"], totem["consensus"], totem["token_coefficient"]) == ("1000", "1200", "0")
    assert [i["linknumber"] for i in totem["interface"]] == ["0", "1"]
    nodes = conf["nodelist"]["node"]
    assert nodes[0] == {"name": "node1", "nodeid": "1", "ring0_addr": "198.51.100.11", "ring1_addr": "203.0.113.11"}
    quorum = conf["quorum"]
    assert quorum["provider"] == "corosync_votequorum"
    assert quorum["wait_for_all"] == "1"
    assert "two_node" not in quorum  # never with a quorum device
    device = quorum["device"]
    assert (device["model"], device["votes"], device["timeout"], device["sync_timeout"]) == ("net", "1", "2000", "5000")
    assert device["net"] == {"host": "192.0.2.50", "port": "5403", "algorithm": "ffsplit", "tls": "on",
                             "tie_breaker": "lowest"}
    logging = conf["logging"]
    assert logging["to_syslog"] == "yes" and logging["logfile"] == "/var/log/corosync/corosync.log"


def test_render_lms_has_no_votes_and_no_tie_breaker():
    conf = cs.parse_corosync_conf(cs.render_corosync_conf(
        spec(quorum_server={"host": "qs1", "address": "192.0.2.50", "algorithm": "lms"})))
    assert "votes" not in conf["quorum"]["device"]
    assert "tie_breaker" not in conf["quorum"]["device"]["net"]


def test_render_two_node_only_with_lock_lun():
    conf = cs.parse_corosync_conf(cs.render_corosync_conf(
        spec(quorum_server=None, lock_lun={"devices": ["/dev/sdb"]})))
    assert conf["quorum"]["two_node"] == "1"
    assert "device" not in conf["quorum"]
    conf = cs.parse_corosync_conf(cs.render_corosync_conf(
        with_node3(spec(quorum_server=None, lock_lun={"devices": ["/dev/sdb"]}))))
    assert "two_node" not in conf["quorum"]


def test_render_accepts_a_cluster_object_and_raises_on_bad_spec():
    from ansible_collections.failover.cluster.plugins.module_utils._model.cluster import build_cluster

    cluster, _ignored = build_cluster(spec())
    assert cs.render_corosync_conf(cluster) == cs.render_corosync_conf(spec())
    with pytest.raises(SpecError):
        cs.render_corosync_conf(spec(name="bad name"))


def test_parser_handles_comments_repeats_and_ipv6():
    text = """
# comment
totem {
    version: 2
        # indented comment
    cluster_name: x
}
nodelist {
    node {
        ring0_addr: 2001:db8::1
        nodeid: 1
    }
}
weird {
    a: 1
}
weird {
    a: 2
}
"""
    conf = cs.parse_corosync_conf(text)
    assert conf["nodelist"]["node"] == [{"ring0_addr": "2001:db8::1", "nodeid": "1"}]
    assert conf["weird"] == [{"a": "1"}, {"a": "2"}]


@pytest.mark.parametrize(
    "text, message",
    [
        ("totem {\n", "section 'totem' is not closed"),
        ("}\n", "line 1: '}' without an open section"),
        ("totem {\n  token 1000\n}\n", "line 2: expected 'key: value', got '  token 1000'"),
        ("bad name {\n}\n", "line 1: bad section header 'bad name {'"),
    ],
)
def test_parser_errors(text, message):
    with pytest.raises(cs.CorosyncParseError) as info:
        cs.parse_corosync_conf(text)
    assert str(info.value) == message


def test_flatten_keys_by_identity():
    flat = cs.flatten(cs.parse_corosync_conf(cs.render_corosync_conf(spec())))
    assert flat["nodelist.node[2].ring1_addr"] == "203.0.113.12"
    assert flat["totem.interface[1].linknumber"] == "1"
    assert flat["logging.logger_subsys[QUORUM].debug"] == "off"
    assert flat["quorum.device.net.host"] == "192.0.2.50"


# -- classification --------------------------------------------------------------------
OLD = cs.render_corosync_conf(spec())


def test_identical_is_none():
    assert cs.classify_change(OLD, OLD) == "none"
    # comments and whitespace do not count
    assert cs.classify_change(OLD, "# other comment\n" + OLD.replace("    ", "\t")) == "none"


def test_no_previous_config_is_restart():
    report = cs.diff_corosync("", OLD)
    assert report.kind == "restart" and report.rolling is False
    assert report.nodes_added == ["node1", "node2"]


def test_member_timeout_change_is_reload():
    new = cs.render_corosync_conf(spec(timing_profile="default", member_timeout=5000))
    report = cs.diff_corosync(OLD, new)
    assert report.kind == "reload"
    assert report.changed == ["quorum.device.sync_timeout", "quorum.device.timeout", "totem.consensus", "totem.token"]
    assert report.qdevice_changed is True
    assert report.restart_keys == {}


def test_only_token_change_does_not_touch_qdevice():
    old = cs.render_corosync_conf(spec(timing_profile="default"))
    new = cs.render_corosync_conf(spec(timing_profile="default", member_timeout=5000))
    report = cs.diff_corosync(old, new)
    assert (report.kind, report.qdevice_changed) == ("reload", False)
    assert report.changed == ["totem.consensus", "totem.token"]


def test_node_added_and_removed_are_reloads():
    new = cs.render_corosync_conf(with_node3(spec()))
    report = cs.diff_corosync(OLD, new)
    assert report.kind == "reload"
    assert report.nodes_added == ["node3"] and report.nodes_removed == []
    assert cs.nodes_added(OLD, new) == ["node3"]
    back = cs.diff_corosync(new, OLD)
    assert back.kind == "reload" and back.nodes_removed == ["node3"]
    assert cs.nodes_removed(new, OLD) == ["node3"]


def test_lock_lun_two_to_three_nodes_is_reload():
    old = cs.render_corosync_conf(spec(quorum_server=None, lock_lun={"devices": ["/dev/sdb"]}))
    new = cs.render_corosync_conf(with_node3(spec(quorum_server=None, lock_lun={"devices": ["/dev/sdb"]})))
    report = cs.diff_corosync(old, new)
    assert report.kind == "reload"
    assert "quorum.two_node" in report.changed


def test_logging_change_is_reload():
    assert cs.classify_change(OLD, OLD.replace("to_syslog: yes", "to_syslog: no")) == "reload"


def test_crypto_change_is_reload_with_knet_crypto_reconf():
    new = cs.render_corosync_conf(spec(crypto={"cipher": "aes128", "hash": "sha512"}))
    report = cs.diff_corosync(OLD, new)
    assert report.kind == "reload"


def test_adding_quorum_device_is_reload():
    old = cs.render_corosync_conf(with_node3(spec(quorum_server=None)))
    new = cs.render_corosync_conf(with_node3(spec()))
    report = cs.diff_corosync(old, new)
    assert report.kind == "reload" and report.qdevice_changed


@pytest.mark.parametrize(
    "old, new, key, rolling",
    [
        ("cluster_name: lab", "cluster_name: lab2", "totem.cluster_name", False),
        ("transport: knet", "transport: udpu", "totem.transport", False),
        ("version: 2", "version: 3", "totem.version", False),
        ("wait_for_all: 1", "wait_for_all: 0", "quorum.wait_for_all", True),
        ("provider: corosync_votequorum", "provider: other", "quorum.provider", True),
    ],
)
def test_restart_keys(old, new, key, rolling):
    report = cs.diff_corosync(OLD, OLD.replace(old, new))
    assert report.kind == "restart"
    assert list(report.restart_keys) == [key]
    assert report.rolling is rolling


def test_read_only_keys_added():
    for extra, key in (("    netmtu: 1400\n", "totem.netmtu"), ("    threads: 2\n", "totem.threads"),
                       ("    ip_version: ipv4\n", "totem.ip_version"), ("    nodeid: 3\n", "totem.nodeid")):
        new = OLD.replace("    token: 1000\n", "    token: 1000\n" + extra)
        report = cs.diff_corosync(OLD, new)
        assert report.kind == "restart" and key in report.restart_keys


def test_system_and_unknown_sections_need_restart():
    report = cs.diff_corosync(OLD, OLD + "system {\n    sched_rr: no\n}\n")
    assert report.restart_keys == {"system.sched_rr": "system.* is read only at start (cfg.c)"}
    report = cs.diff_corosync(OLD, OLD + "resources {\n    x: y\n}\n")
    assert report.restart_keys == {"resources.x": "section resources is not reloaded by corosync-cfgtool -R"}


def test_knet_transport_of_a_link_needs_restart():
    new = OLD.replace("        linknumber: 1\n", "        linknumber: 1\n        knet_transport: sctp\n")
    report = cs.diff_corosync(OLD, new)
    assert report.kind == "restart"
    assert report.restart_keys == {
        "totem.interface[1].knet_transport": "interface key knet_transport cannot change at runtime "
                                             "(cfg.c/totemconfig.c)"}
    assert report.rolling is False


def test_link_priority_is_reload():
    new = OLD.replace("        linknumber: 1\n", "        linknumber: 1\n        knet_link_priority: 5\n")
    assert cs.classify_change(OLD, new) == "reload"


def test_address_change_of_existing_node_needs_full_restart():
    data = spec()
    data["nodes"][1]["addresses"][0] = "198.51.100.22/24"
    report = cs.diff_corosync(OLD, cs.render_corosync_conf(data))
    assert report.kind == "restart"
    assert report.restart_keys == {
        "nodelist.node[2].ring0_addr": "the address of an existing node on an existing link cannot change at "
                                       "runtime (totemconfig.c check_things_have_not_changed)"}
    assert report.rolling is False


def test_adding_a_link_needs_restart():
    data = spec()
    for node in data["nodes"]:
        node["addresses"] = node["addresses"][:1]
    old = cs.render_corosync_conf(data)
    report = cs.diff_corosync(old, OLD)
    assert report.kind == "restart"
    assert "nodelist.node[1].ring1_addr" in report.restart_keys


def test_node_renumbering_needs_restart():
    data = spec()
    data["nodes"][0]["node_id"] = 5
    report = cs.diff_corosync(OLD, cs.render_corosync_conf(data))
    assert report.kind == "restart"
    assert "nodelist.node[5].nodeid" in report.restart_keys


def test_node_rename_needs_restart():
    report = cs.diff_corosync(OLD, OLD.replace("name: node2", "name: nodeB"))
    assert report.restart_keys == {"nodelist.node[2].name": "renaming a node (or changing its nodeid) is done by a "
                                                            "restart"}


def test_report_to_dict():
    report = cs.diff_corosync(OLD, OLD)
    assert report.to_dict() == {"kind": "none", "changed": [], "restart_keys": {}, "rolling": True,
                                "qdevice_changed": False, "nodes_added": [], "nodes_removed": []}


# -- qnetd serving several clusters -----------------------------------------------------
def test_plan_qnetd_groups_clusters():
    plan = cs.plan_qnetd(
        [spec(), spec(name="other"), spec(name="nolock", quorum_server=None, lock_lun={"devices": ["/dev/a"]})]
    )
    assert plan == {"qs1": {"port": 5403, "tls": "on", "clusters": ["lab", "other"], "options": "-p 5403 -s on"}}


def test_plan_qnetd_tls_modes():
    required = {"host": "qs1", "address": "192.0.2.50", "tls": "required"}
    assert cs.plan_qnetd([spec(quorum_server=required)])["qs1"]["tls"] == "required"
    off = dict(required, tls="off")
    assert cs.plan_qnetd([spec(quorum_server=off)])["qs1"]["options"] == "-p 5403 -s off"
    assert cs.plan_qnetd([spec(quorum_server=off), spec(name="b", quorum_server=required)])["qs1"]["tls"] == "on"


def test_plan_qnetd_conflicts():
    other_port = {"host": "qs1", "address": "192.0.2.50", "port": 5500}
    with pytest.raises(SpecError) as info:
        cs.plan_qnetd([spec(), spec(), spec(name="b", quorum_server=other_port)])
    assert info.value.errors == [
        "clusters[1].name: cluster name lab is already served by quorum server qs1; qnetd tells clusters apart by "
        "name",
        "clusters[2].quorum_server.port: 5500 differs from port 5403 used by the other clusters of quorum server qs1",
    ]
