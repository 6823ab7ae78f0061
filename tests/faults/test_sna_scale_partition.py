"""A quorum-server partition that cuts off the holder of a 32-link-station SNA gateway package.

Lab: lab/specs/demo.yml (node1, node2, qs = corosync-qnetd, mainframe = the emulated remote SNA
host and the probe), provisioned with inventories/lab, but the package carries 32 link stations
(HALS1-32 to the mainframe's PUs HAPU1-32), started and stopped in parallel
(``link_station_start: parallel``). The remote host still reaches both sides: the cut-off holder must halt
the whole package (32 link stations, port, node, IP) within the IP's release window, so that the
probe never sees the IP answered from two nodes or a PU owned by two, as the 4-link-station test
(test_quorum_server.py) asserts.

    sudo .venv/bin/pytest -m faults tests/faults/test_sna_scale_partition.py -s

KNOWN FAILURE (issue 16, open). On this lab (2 cores) the cut-off holder took 15-20 s to halt 32
parallel link stations (measured: it answered for the address 19.5 s after the partition with a
10 s window; with the default 3 s window the address answered from both nodes for 7-20 s per
round), while the package model estimates 2.55 s (8 waves of 4 stops at 0.25 s). The test is
marked xfail(strict) on exactly that error: it keeps running, it fails the suite on any other
error, and it fails the suite when the halt fits the window (remove the mark then).
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest
from faultlab import PYTESTMARK, ROOT, ROUNDS, DualActiveError, lab_for_module, partition_rounds, summary

PREFIX = "f8p"
COUNT = 32
PUS = tuple(f"HAPU{i}" for i in range(1, COUNT + 1))
pytestmark = PYTESTMARK


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    work = tmp_path_factory.mktemp("faults-sna32")
    extra = work / "sna32.json"
    extra.write_text(json.dumps({
        "sna_gateway_link_stations": [
            {"ls_name": f"HALS{i}", "remote_ip_host": "198.51.100.14", "pu_name": f"HAPU{i}",
             "remote_udp_port": 12000} for i in range(1, COUNT + 1)],
        "sna_gateway_link_station_start": "parallel",
        "sna_gateway_emulated_pus": [{"name": pu, "allowed_addresses": ["198.51.100.50"]} for pu in PUS],
    }))
    yield from lab_for_module(PREFIX, work, ROOT / "lab" / "specs" / "demo.yml", (extra,), PUS)


@pytest.mark.xfail(raises=DualActiveError, strict=True,
                   reason="issue 16: the cut-off holder's halt of 32 parallel link stations outlasts the 3 s window")
def test_partition_cuts_off_the_holder_of_32_link_stations(lab):
    # the package is the parallel layout: its link stations are primitives next to its group, not members
    resources = ET.fromstring(lab.sh("node1", "cibadmin --query --scope resources", check=True).stdout)
    group = next(g for g in resources.iter("group") if g.get("id") == "fc.sna")
    in_group = {p.get("id") for p in group.iter("primitive")}
    outside = {p.get("id") for p in resources.iter("primitive") if p.get("type") == "sna_link_station"} - in_group
    assert len(outside) == COUNT and not any(".ls" in rid or "HALS" in rid for rid in in_group), (in_group, outside)

    rounds = partition_rounds(lab, ROUNDS)
    summary(f"partition, quorum server, {COUNT} link stations", rounds)
    assert sum(r["probes"] for r in rounds) > 100 * ROUNDS
    assert sum(r["pu_dual_active"] for r in rounds) == 0, [r["violations"] for r in rounds]
    assert {r["winner"] for r in rounds} == {"node1"}  # ffsplit, lowest node id wins an even split
    if any(r["ip_dual_active"] for r in rounds):
        raise DualActiveError(f"relocatable IP answered by two nodes: {[r['violations'] for r in rounds]}")
