"""SBD output parsers (fixtures printed by sbd 1.5.2 on a loop device) and the disk rules."""

from __future__ import annotations

from pathlib import Path

from ansible_collections.failover.cluster.plugins.module_utils._sbd import (
    decide,
    header_mismatch,
    parse_dump,
    parse_list,
)

FIXTURES = Path(__file__).parent / "fixtures"
DUMP = (FIXTURES / "sbd_dump.txt").read_text()
LIST = (FIXTURES / "sbd_list.txt").read_text()
NO_HEADER = "==Header on disk /dev/loop0 NOT dumped\nsbd failed; please check the logs.\n"


def test_parse_dump():
    header = parse_dump(DUMP)
    assert header == {
        "version": "2.1",
        "uuid": "46670dd7-59cb-4700-b00a-4839826a2e28",
        "slots": 255,
        "sector_size": 512,
        "watchdog_timeout": 10,
        "allocate_timeout": 2,
        "loop_timeout": 1,
        "msgwait_timeout": 20,
    }
    assert parse_dump(NO_HEADER) is None


def test_parse_list():
    assert parse_list(LIST) == [
        {"slot": 0, "node": "node1", "message": "clear", "sender": ""},
        {"slot": 1, "node": "node2", "message": "test", "sender": "vm"},
    ]
    assert parse_list("") == []


def test_blank_disk_gets_a_header():
    assert decide("/dev/sdb", None, [], ["node1", "node2"], blank=True) == ("create", "/dev/sdb has no SBD header")


def test_disk_with_data_is_refused_without_force():
    action, reason = decide("/dev/sdb", None, [], ["node1"], blank=False)
    assert action == "refuse"
    assert reason.startswith("/dev/sdb has no SBD header but is not empty")
    assert decide("/dev/sdb", None, [], ["node1"], blank=False, force=True)[0] == "create"


def test_our_header_is_kept():
    slots = parse_list(LIST)
    assert decide("/dev/sdb", parse_dump(DUMP), slots, ["node1", "node2", "node3"], blank=False) == (
        "keep",
        "/dev/sdb holds this cluster's SBD header",
    )
    assert decide("/dev/sdb", parse_dump(DUMP), [], ["node1"], blank=False)[0] == "keep"


def test_other_clusters_header_is_refused_unless_forced():
    slots = parse_list(LIST)
    action, reason = decide("/dev/sdb", parse_dump(DUMP), slots, ["gw1", "node2"], blank=False)
    assert action == "refuse"
    assert reason == (
        "/dev/sdb holds an SBD header with slots of nodes that are not members of this cluster (node1): "
        "it is another cluster's lock disk; set force to overwrite it"
    )
    assert decide("/dev/sdb", parse_dump(DUMP), slots, ["gw1"], blank=False, force=True)[0] == "create"


def test_header_mismatch():
    header = parse_dump(DUMP)
    assert header_mismatch(header, 10, 20) == {}
    assert header_mismatch(header, 5, 20) == {"watchdog_timeout": (10, 5)}
    assert header_mismatch(header, None, None) == {}
