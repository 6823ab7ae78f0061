import copy

import pytest

from ansible_collections.failover.cluster.plugins.module_utils._model import cluster as cl
from ansible_collections.failover.cluster.plugins.module_utils._model.errors import SpecError


def base(**over):
    spec = {
        "name": "lab",
        "nodes": [
            {"name": "node1", "addresses": ["198.51.100.11/24", "203.0.113.11/24"]},
            {"name": "node2", "addresses": ["198.51.100.12/24", "203.0.113.12/24"]},
        ],
        "quorum_server": {"host": "qs1", "address": "192.0.2.50"},
    }
    spec.update(over)
    return spec


def errors_of(spec, prefix="cluster_"):
    with pytest.raises(SpecError) as info:
        cl.validate_cluster(spec, prefix)
    return info.value.errors


def one_error(spec, prefix="cluster_"):
    errors = errors_of(spec, prefix)
    assert len(errors) == 1, errors
    return errors[0]


def test_minimal_valid_spec_and_defaults():
    data, warnings = cl.validate_cluster(base())
    assert warnings == []
    assert data["nodes"][0]["node_id"] == 1 and data["nodes"][1]["node_id"] == 2
    assert data["timing_profile"] == "default"
    assert data["autostart"] is True
    assert data["transport"] == "knet"
    assert data["crypto"] == {"cipher": "aes256", "hash": "sha256"}
    assert data["quorum_server"]["port"] == 5403
    assert data["quorum_server"]["tls"] == "on"
    assert data["quorum_server"]["algorithm"] == "ffsplit"
    derived = data["derived"]
    assert derived["token"] == 3000 and derived["consensus"] == 3600
    assert derived["qdevice_timeout"] == 10000 and derived["qdevice_sync_timeout"] == 30000
    assert derived["qnetd_dead_client_ms"] == 12000
    assert derived["two_node"] is False
    assert derived["expected_votes"] == 3
    assert derived["links"] == [{"number": 0, "network": "198.51.100.0/24"}, {"number": 1, "network": "203.0.113.0/24"}]
    assert derived["cluster_properties"] == {
        "dc-deadtime": "5s", "no-quorum-policy": "stop", "stonith-enabled": "false"}


def test_normalized_output_is_valid_input_and_stable():
    data, warnings = cl.validate_cluster(base(timing_profile="low_latency", lock_lun=None))
    again, warnings2 = cl.validate_cluster(copy.deepcopy(data))
    assert again == data and warnings2 == warnings


def test_not_a_mapping():
    assert one_error(["x"]) == "cluster: must be a mapping, got a list"


def test_unknown_and_required_fields():
    errors = errors_of({"nodes": base()["nodes"], "quorum_server": base()["quorum_server"], "colour": 1})
    assert errors == [
        "cluster_colour: unknown field (allowed: autostart, crypto, derived, ip_monitor, lock_lun, member_timeout, "
        "name, nodes, properties, quorum_server, timing_profile, transport)",
        "cluster_name: is required",
    ]


def test_prefix_is_a_parameter():
    spec = base(name="bad name")
    assert one_error(spec, prefix="") == (
        "name: 'bad name' is not a valid cluster name: use letters, digits, '-' and '_', starting with a letter "
        "or digit")
    assert one_error(spec, prefix="site_")[:10] == "site_name:"


@pytest.mark.parametrize(
    "name, message",
    [
        ("bad name", "'bad name' is not a valid cluster name: use letters, digits, '-' and '_', starting with a "
                     "letter or digit"),
        ("x;rm -rf", "'x;rm -rf' is not a valid cluster name: use letters, digits, '-' and '_', starting with a "
                     "letter or digit"),
        ("-lead", "'-lead' is not a valid cluster name: use letters, digits, '-' and '_', starting with a letter or "
                  "digit"),
        ("a" * 33, "'" + "a" * 33 + "' is longer than 32 characters"),
        (5, "cluster name must be a non-empty string, got an integer"),
    ],
)
def test_cluster_name_rules(name, message):
    assert one_error(base(name=name)) == "cluster_name: " + message


def test_cluster_name_32_is_fine():
    cl.validate_cluster(base(name="a" * 32))


def test_nodes_must_be_a_non_empty_list():
    assert one_error(base(nodes=[], quorum_server=None)) == "cluster_nodes: must not be empty"
    assert one_error(base(nodes="node1")) == "cluster_nodes: must be a list, got a string"


def test_node_name_rules_and_uniqueness():
    spec = base()
    spec["nodes"][1]["name"] = "Node1"
    assert one_error(spec) == "cluster_nodes[1].name: node name 'Node1' is already used by cluster_nodes[0]"
    spec["nodes"][1]["name"] = "node$2"
    assert one_error(spec) == (
        "cluster_nodes[1].name: 'node$2' is not a valid node name: use letters, digits, '-' and '_', starting with "
        "a letter or digit")
    spec["nodes"][1]["name"] = "n" * 64
    assert one_error(spec) == "cluster_nodes[1].name: '" + "n" * 64 + "' is longer than 63 characters"


def test_node_unknown_field_and_missing_addresses():
    spec = base()
    spec["nodes"][0] = {"name": "node1", "ip": "x"}
    errors = errors_of(spec)
    assert errors[0] == "cluster_nodes[0].ip: unknown field (allowed: addresses, name, node_id, stationary_addresses)"
    assert errors[1] == "cluster_nodes[0].addresses: is required"


def test_invalid_address_message_names_the_field():
    spec = base()
    spec["nodes"][1]["addresses"][0] = "198.51.100.300/24"
    assert one_error(spec) == "cluster_nodes[1].addresses[0]: 198.51.100.300 is not a valid IPv4/IPv6 address"


def test_address_needs_a_prefix_length():
    spec = base()
    spec["nodes"][0]["addresses"][0] = "198.51.100.11"
    assert one_error(spec) == (
        "cluster_nodes[0].addresses[0]: '198.51.100.11' needs a prefix length, e.g. 198.51.100.11/24 "
        "(heartbeat address)")


def test_bad_prefix_length():
    spec = base()
    spec["nodes"][0]["addresses"][0] = "198.51.100.11/33"
    errors = errors_of(spec)
    assert errors[0] == "cluster_nodes[0].addresses[0]: 198.51.100.11/33 has an invalid prefix length /33 (0-32)"


@pytest.mark.parametrize(
    "text, message",
    [
        ("198.51.100.0/24", "198.51.100.0 is the network address of 198.51.100.0/24"),
        ("198.51.100.255/24", "198.51.100.255 is the broadcast address of 198.51.100.0/24"),
    ],
)
def test_network_and_broadcast_rejected(text, message):
    spec = base()
    spec["nodes"][0]["addresses"][0] = text
    assert errors_of(spec)[0] == "cluster_nodes[0].addresses[0]: " + message


def test_ipv6_links_work_and_subnet_router_address_is_rejected():
    spec = base()
    spec["nodes"][0]["addresses"][1] = "2001:db8::11/64"
    spec["nodes"][1]["addresses"][1] = "2001:db8::12/64"
    data, _ignored = cl.validate_cluster(spec)
    assert data["derived"]["links"][1]["network"] == "2001:db8::/64"
    spec["nodes"][1]["addresses"][1] = "2001:db8::/64"
    assert one_error(spec) == (
        "cluster_nodes[1].addresses[1]: 2001:db8:: is the subnet-router (network) address of 2001:db8::/64")


def test_same_number_of_addresses_per_node():
    spec = base()
    spec["nodes"][1]["addresses"] = ["198.51.100.12/24"]
    assert one_error(spec) == (
        "cluster_nodes[1].addresses: has 1 address(es) but cluster_nodes[0].addresses has 2: every node needs one "
        "address per heartbeat link")


def test_link_addresses_in_the_same_subnet():
    spec = base()
    spec["nodes"][1]["addresses"][1] = "192.0.2.12/24"
    assert one_error(spec) == (
        "cluster_nodes[1].addresses[1]: 192.0.2.12/24 is not in subnet 203.0.113.0/24 of heartbeat link 1 (set by "
        "cluster_nodes[0].addresses[1])")


def test_same_subnet_needs_same_prefix():
    spec = base()
    spec["nodes"][1]["addresses"][0] = "198.51.100.12/25"
    assert one_error(spec).startswith(
        "cluster_nodes[1].addresses[0]: 198.51.100.12/25 is not in subnet 198.51.100.0/24")


def test_duplicate_addresses():
    spec = base()
    spec["nodes"][1]["addresses"][0] = "198.51.100.11/24"
    assert one_error(spec) == (
        "cluster_nodes[1].addresses[0]: 198.51.100.11 is already used by cluster_nodes[0].addresses[0]")


def test_duplicate_stationary_address():
    spec = base()
    spec["nodes"][1]["stationary_addresses"] = ["198.51.100.11/24"]
    assert one_error(spec) == (
        "cluster_nodes[1].stationary_addresses[0]: 198.51.100.11 is already used by cluster_nodes[0].addresses[0]")


def test_links_sharing_a_subnet_warn():
    spec = base()
    spec["nodes"][0]["addresses"][1] = "198.51.100.21/24"
    spec["nodes"][1]["addresses"][1] = "198.51.100.22/24"
    _ignored, warnings = cl.validate_cluster(spec)
    assert warnings == ["cluster_nodes: heartbeat links 0 and 1 share subnet 198.51.100.0/24: they give no redundancy"]


def test_node_ids_explicit_auto_and_duplicate():
    spec = base()
    spec["nodes"][0]["node_id"] = 2
    data, _ignored = cl.validate_cluster(spec)
    assert [n["node_id"] for n in data["nodes"]] == [2, 1]
    spec["nodes"][1]["node_id"] = 2
    assert one_error(spec) == "cluster_nodes[1].node_id: node_id 2 is already used by cluster_nodes[0]"
    spec["nodes"][1]["node_id"] = 65536
    assert one_error(spec) == "cluster_nodes[1].node_id: 65536 is above the maximum 65535"
    spec["nodes"][1]["node_id"] = 0
    assert one_error(spec) == "cluster_nodes[1].node_id: 0 is below the minimum 1"
    spec["nodes"][1]["node_id"] = "x"
    assert one_error(spec) == "cluster_nodes[1].node_id: must be an integer, got 'x'"


def test_too_many_nodes():
    nodes = [{"name": "n%d" % i, "addresses": ["10.0.0.%d/24" % (i + 1)]} for i in range(33)]
    errors = errors_of({"name": "big", "nodes": nodes})
    assert errors == ["cluster_nodes: 33 nodes is more than the supported 32"]


def test_single_node_warns():
    _ignored, warnings = cl.validate_cluster({"name": "solo", "nodes": [{"name": "a", "addresses": ["10.0.0.1/24"]}]})
    assert warnings == ["cluster_nodes: a single-node cluster cannot fail packages over to another node"]


# -- arbitration ----------------------------------------------------------------------
def test_two_nodes_need_a_tie_breaker():
    assert one_error(base(quorum_server=None)) == (
        "cluster_nodes: a 2-node cluster needs a tie-breaker: set cluster_quorum_server or cluster_lock_lun")


def test_quorum_server_and_lock_lun_together_is_an_error():
    assert one_error(base(lock_lun={"devices": ["/dev/sdb"]})) == (
        "cluster_quorum_server: cannot be combined with cluster_lock_lun: a cluster has one tie-breaker, a quorum "
        "server or a lock LUN")


def _nodes(count):
    return [{"name": "n%d" % i, "addresses": ["10.0.0.%d/24" % (i + 1)]} for i in range(count)]


def test_even_node_count_without_tie_breaker_warns():
    _ignored, warnings = cl.validate_cluster({"name": "four", "nodes": _nodes(4)})
    assert warnings == [
        "cluster_nodes: 4 nodes and no tie-breaker: if the cluster splits in two equal halves, neither half has "
        "quorum and every package stops; consider cluster_quorum_server"]
    _ignored, warnings = cl.validate_cluster({"name": "three", "nodes": _nodes(3)})
    assert warnings == []


def test_quorum_server_host_must_not_be_a_member():
    spec = base(quorum_server={"host": "node2.example.net", "address": "192.0.2.50"})
    assert one_error(spec) == (
        "cluster_quorum_server.host: node2.example.net is a cluster node; the quorum server must run on a host "
        "outside the cluster")


def test_quorum_server_address_must_not_be_a_member_address():
    spec = base(quorum_server={"host": "qs1", "address": "198.51.100.12"})
    assert one_error(spec) == (
        "cluster_quorum_server.address: 198.51.100.12 belongs to cluster node node2; the quorum server must run on "
        "a host outside the cluster")


def test_quorum_server_address_rules():
    assert one_error(base(quorum_server={"host": "qs1"})) == (
        "cluster_quorum_server.address: is required when host is not an IP address")
    data, _ignored = cl.validate_cluster(base(quorum_server={"host": "192.0.2.9"}))
    assert data["quorum_server"]["address"] == "192.0.2.9"
    assert one_error(base(quorum_server={"host": "qs1", "address": "192.0.2.300"})) == (
        "cluster_quorum_server.address: 192.0.2.300 is not a valid IPv4/IPv6 address")
    assert one_error(base(quorum_server={"host": "q s", "address": "192.0.2.3"})) == (
        "cluster_quorum_server.host: 'q s' is not a valid inventory hostname")
    assert one_error(base(quorum_server={"address": "192.0.2.3"})) == "cluster_quorum_server.host: is required"


def test_quorum_server_options():
    qs = {"host": "qs1", "address": "192.0.2.50", "algorithm": "lms", "port": 5500, "tls": "required"}
    cluster, _ignored = cl.build_cluster(base(quorum_server=qs))
    assert cluster.quorum_server.votes is None
    assert cluster.expected_votes == 3
    assert one_error(base(quorum_server=dict(qs, algorithm="2nodelms"))) == (
        "cluster_quorum_server.algorithm: '2nodelms' is not one of ffsplit, lms")
    assert one_error(base(quorum_server=dict(qs, port=70000))) == (
        "cluster_quorum_server.port: 70000 is above the maximum 65535")
    assert one_error(base(quorum_server=dict(qs, tls="maybe"))) == (
        "cluster_quorum_server.tls: 'maybe' is not one of on, off, required")
    _ignored, warnings = cl.validate_cluster(base(quorum_server=dict(qs, tls=False)))
    assert warnings == ["cluster_quorum_server.tls: off: quorum votes travel unauthenticated; use on or required"]


def test_lms_expected_votes_for_four_nodes():
    cluster, _ignored = cl.build_cluster({"name": "four", "nodes": _nodes(4),
                                          "quorum_server": {"host": "qs", "address": "192.0.2.1", "algorithm": "lms"}})
    assert cluster.expected_votes == 7


def test_lock_lun_two_nodes_uses_two_node_and_fencing_properties():
    spec = base(quorum_server=None, lock_lun={"devices": ["/dev/disk/by-id/wwn-1"]})
    cluster, warnings = cl.build_cluster(spec)
    assert warnings == []
    assert cluster.two_node is True
    assert cluster.lock_lun.watchdog == "/dev/watchdog"
    assert cluster.derived_properties() == {
        "dc-deadtime": "5s", "no-quorum-policy": "suicide", "priority-fencing-delay": "5s",
        "stonith-enabled": "true"}


def test_lock_lun_three_nodes_has_no_two_node():
    cluster, _ignored = cl.build_cluster({"name": "three", "nodes": _nodes(3), "lock_lun": {"devices": ["/dev/sdb"]}})
    assert cluster.two_node is False


def test_lock_lun_without_watchdog_is_an_error():
    spec = base(quorum_server=None, lock_lun={"devices": ["/dev/loop0"], "watchdog": None})
    assert one_error(spec) == (
        "cluster_lock_lun.watchdog: is null: production needs a watchdog device for SBD (e.g. /dev/watchdog); set "
        "allow_no_watchdog: true only for a lab")


def test_lock_lun_without_watchdog_allowed_warns_loudly():
    spec = base(quorum_server=None, lock_lun={"devices": ["/dev/loop0"], "watchdog": None, "allow_no_watchdog": True})
    cluster, warnings = cl.build_cluster(spec)
    assert cluster.lock_lun.watchdog is None
    assert warnings == [
        "cluster_lock_lun.watchdog: no watchdog: SBD cannot reset a hung node, so fencing is not reliable; allowed "
        "by allow_no_watchdog for a lab only -- PRODUCTION NEEDS A WATCHDOG"]


def test_lock_lun_device_rules():
    lock = {"devices": ["/dev/a", "/dev/b", "/dev/c"]}
    assert one_error(base(quorum_server=None, lock_lun=lock)) == (
        "cluster_lock_lun.devices: 3 devices given; a lock LUN is one disk or two (dual lock)")
    assert one_error(base(quorum_server=None, lock_lun={"devices": ["/dev/a", "/dev/a"]})) == (
        "cluster_lock_lun.devices[1]: /dev/a is listed twice")
    assert one_error(base(quorum_server=None, lock_lun={"devices": ["dev/a"]})) == (
        "cluster_lock_lun.devices[0]: 'dev/a' is not a valid absolute device path (no spaces, quotes or shell "
        "characters)")
    assert one_error(base(quorum_server=None, lock_lun={"devices": ["/dev/a;reboot"]})).startswith(
        "cluster_lock_lun.devices[0]: '/dev/a;reboot' is not a valid absolute device path")
    assert one_error(base(quorum_server=None, lock_lun={"devices": []})) == (
        "cluster_lock_lun.devices: must not be empty")


def test_lock_lun_force_warns():
    _ignored, warnings = cl.validate_cluster(base(quorum_server=None, lock_lun={"devices": ["/dev/a"], "force": True}))
    assert warnings == [
        "cluster_lock_lun.force: true: a disk that carries another cluster's SBD header will be overwritten"]


def test_invalid_quorum_server_still_counts_as_tie_breaker():
    errors = errors_of(base(quorum_server={"host": "qs1", "address": "nope"}))
    assert errors == ["cluster_quorum_server.address: nope is not a valid IPv4/IPv6 address"]


# -- timing --------------------------------------------------------------------------
def test_low_latency_profile_sets_everything_consistently():
    cluster, _ignored = cl.build_cluster(base(timing_profile="low_latency"))
    t = cluster.timing
    assert (t.token, t.consensus, t.qdevice_timeout, t.qdevice_sync_timeout) == (1000, 1200, 2000, 5000)
    assert t.qnetd_dead_client_ms == 2400


def test_member_timeout_overrides_token_in_default_profile():
    cluster, warnings = cl.build_cluster(base(member_timeout=14000))
    assert (cluster.timing.token, cluster.timing.consensus) == (14000, 16800)
    assert warnings == []


def test_member_timeout_conflicting_with_low_latency_is_an_error():
    assert one_error(base(timing_profile="low_latency", member_timeout=3000)) == (
        "cluster_member_timeout: 3000 ms conflicts with timing_profile low_latency, which sets the member timeout "
        "(Corosync token) to 1000 ms; remove one of them")
    cl.validate_cluster(base(timing_profile="low_latency", member_timeout=1000))


def test_polling_interval_conflicting_with_low_latency_is_an_error():
    qs = {"host": "qs1", "address": "192.0.2.50", "polling_interval": 10000}
    assert one_error(base(timing_profile="low_latency", quorum_server=qs)) == (
        "cluster_quorum_server.polling_interval: 10000 ms conflicts with timing_profile low_latency, which sets the "
        "quorum device timeout to 2000 ms; remove one of them")


def test_polling_interval_maps_to_qdevice_timeout_and_range():
    qs = {"host": "qs1", "address": "192.0.2.50", "polling_interval": 60000}
    cluster, _ignored = cl.build_cluster(base(quorum_server=qs))
    assert (cluster.timing.qdevice_timeout, cluster.timing.qdevice_sync_timeout) == (60000, 60000)
    assert one_error(base(quorum_server=dict(qs, polling_interval=300000))) == (
        "cluster_quorum_server.polling_interval: 300000 ms is above the maximum 150000 ms")
    assert one_error(base(quorum_server=dict(qs, polling_interval=1000))) == (
        "cluster_quorum_server.polling_interval: 1000 ms is below the minimum 1250 ms")


@pytest.mark.parametrize(
    "value, message",
    [
        (999, "999 ms is below the minimum 1000 ms"),
        (300001, "300001 ms is above the maximum 300000 ms"),
        ("14s", "must be an integer (ms), got '14s'"),
        (True, "must be an integer (ms), got True"),
    ],
)
def test_member_timeout_range(value, message):
    assert one_error(base(member_timeout=value)) == "cluster_member_timeout: " + message


def test_member_timeout_string_digits_accepted():
    cluster, _ignored = cl.build_cluster(base(member_timeout="5000"))
    assert cluster.timing.token == 5000


def test_single_link_short_timeout_warns():
    spec = base(timing_profile="low_latency")
    for node in spec["nodes"]:
        node["addresses"] = node["addresses"][:1]
    _ignored, warnings = cl.validate_cluster(spec)
    assert warnings == [
        "cluster_member_timeout: 1000 ms on a single heartbeat link: a short outage of that one link makes the "
        "cluster re-form (Serviceguard requires 14000 ms with one heartbeat LAN); add a second heartbeat link for "
        "production"]


def test_large_member_timeout_warns():
    _ignored, warnings = cl.validate_cluster(base(member_timeout=90000))
    assert warnings == ["cluster_member_timeout: 90000 ms is above 60000 ms: node failures take that long to detect"]


def test_short_member_timeout_with_slow_qdevice_warns():
    _ignored, warnings = cl.validate_cluster(base(member_timeout=2000))
    assert warnings == [
        "cluster_member_timeout: after a node crash the quorum server keeps the dead node's vote for 12000 ms (1.5 "
        "x its heartbeat of 0.8 x polling_interval 10000 ms), longer than member timeout + consensus (4400 ms), so "
        "it, not the member timeout, bounds failover; use timing_profile low_latency or a lower polling_interval"]


def test_unknown_profile():
    assert one_error(base(timing_profile="fast")) == (
        "cluster_timing_profile: 'fast' is not one of default, low_latency")


# -- misc ----------------------------------------------------------------------------
def test_autostart_transport_crypto():
    cluster, _ignored = cl.build_cluster(base(autostart="no", crypto={"cipher": "aes128", "hash": "sha512"}))
    assert cluster.autostart is False and cluster.crypto_cipher == "aes128" and cluster.crypto_hash == "sha512"
    assert one_error(base(autostart="sometimes")) == (
        "cluster_autostart: must be a boolean (true/false), got 'sometimes'")
    assert one_error(base(transport="udpu")) == "cluster_transport: 'udpu' is not one of knet"
    assert one_error(base(crypto={"cipher": "aes256", "hash": "none"})) == (
        "cluster_crypto.hash: none is not allowed with cipher aes256: Corosync needs a hash to encrypt")
    assert one_error(base(crypto={"cipher": "des"})) == (
        "cluster_crypto.cipher: 'des' is not one of aes256, aes192, aes128, none")
    _ignored, warnings = cl.validate_cluster(base(crypto={"cipher": "none", "hash": "none"}))
    assert warnings == ["cluster_crypto: cipher and hash none: cluster traffic is neither encrypted nor authenticated"]


def test_properties_override_and_validation():
    cluster, warnings = cl.build_cluster(base(properties={"dc-deadtime": "10s", "stonith-enabled": True,
                                                          "cluster-recheck-interval": 60}))
    props = cluster.derived_properties()
    assert props["dc-deadtime"] == "10s"
    assert props["cluster-recheck-interval"] == "60"
    assert props["stonith-enabled"] == "true"
    assert warnings == [
        "cluster_properties.stonith-enabled: true without a lock LUN: this collection configures no fencing device, "
        "so resources will not start until one exists"]
    assert one_error(base(properties={"Bad Name": 1})) == (
        "cluster_properties.Bad Name: 'Bad Name' is not a valid Pacemaker property name")
    assert one_error(base(properties={"x": "a\"b"})) == (
        "cluster_properties.x: 'a\"b' is not a valid property value (a scalar without quotes or newlines)")
    assert one_error(base(properties=[1])) == "cluster_properties: must be a mapping, got a list"


def test_stonith_disabled_with_lock_lun_warns():
    _ignored, warnings = cl.validate_cluster(base(quorum_server=None, lock_lun={"devices": ["/dev/a"]},
                                                  properties={"stonith-enabled": False}))
    assert warnings == [
        "cluster_properties.stonith-enabled: false with a lock LUN: SBD fencing is configured but disabled, so a "
        "failed node is never fenced"]


def test_all_errors_are_collected():
    spec = base(name="x y", member_timeout=10, transport="udp")
    spec["nodes"][1]["addresses"][0] = "198.51.100.300/24"
    err = errors_of(spec)
    assert len(err) == 4
    text = str(SpecError(err))
    assert text.count("\n") == 3


def test_networks_and_node_lookup():
    spec = base()
    spec["nodes"][0]["stationary_addresses"] = ["192.0.2.11/24"]
    cluster, _ignored = cl.build_cluster(spec)
    assert cluster.networks == {"198.51.100.0/24": {"node1", "node2"}, "203.0.113.0/24": {"node1", "node2"},
                                "192.0.2.0/24": {"node1"}}
    assert cluster.node("node2").ring_addresses == ("198.51.100.12", "203.0.113.12")
    with pytest.raises(KeyError):
        cluster.node("nodeX")
    assert cl.as_cluster(cluster) is cluster


def test_lock_lun_normalized_output_round_trips():
    spec = base(quorum_server=None, lock_lun={"devices": ["/dev/loop0"], "watchdog": None, "allow_no_watchdog": True})
    data, warnings = cl.validate_cluster(spec)
    assert data["lock_lun"] == {"devices": ["/dev/loop0"], "watchdog": None, "allow_no_watchdog": True,
                                "force": False}
    assert data["derived"]["two_node"] is True
    assert cl.validate_cluster(data) == (data, warnings)
