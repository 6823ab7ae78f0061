"""A quorum-server partition that cuts off the holder of a 32-link-station SNA gateway package.

Lab: lab/specs/demo.yml (node1, node2, qs = corosync-qnetd, mainframe = the emulated remote SNA
host and the probe), provisioned with inventories/lab, but the package carries 32 link stations
(HALS1-32 to the mainframe's PUs HAPU1-32), started and stopped in parallel
(``link_station_start: parallel``). The remote host still reaches both sides: the cut-off holder must
give up the address within the IP's release window although its orderly halt (32 link stations,
port, node, IP) takes longer, so that the probe never sees the IP answered from two nodes or a PU
owned by two, as the 4-link-station test (test_quorum_server.py) asserts; its journal must name the
quorum guard's release.

    sudo .venv/bin/pytest -m faults tests/faults/test_sna_scale_partition.py -s

What made it pass (issue 16). Before the IP agent's quorum guard, the cut-off holder dropped
the address only at the end of its orderly halt; on this 2-core lab Pacemaker's load throttle ran
its 32 link-station stops one at a time (13 s in the journal), and the address answered from both
nodes for 7-20 s per round. Now the guard deletes the address within about 0.5 s of the holder's
quorum loss, whatever the halt still has to do (measured once: the cut-off holder answered until
2.2 s after the partition, the survivor added the address at 8 s).
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest
from faultlab import PYTESTMARK, ROOT, ROUNDS, lab_for_module, partition_rounds, summary

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
    assert sum(r["ip_dual_active"] for r in rounds) == 0, [r["violations"] for r in rounds]
    # the cut-off holder released the address well inside the survivor's 3 s release window
    released = [r["loser_released_s"] for r in rounds if "loser_released_s" in r]
    assert released, rounds
    journal = lab.sh("node2", "journalctl --no-pager -o cat --since '-30min' | grep -c 'ahead of the package.s halt'")
    assert int(journal.stdout.strip() or 0) >= len(released), journal.stdout
