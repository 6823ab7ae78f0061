"""ocf:failover:ip's start after a node left unexpectedly (clusters without fencing): the release
window is waited in full, the ARP probes run in its last part rather than after it, and a holder
that still answers at the window's end keeps the address from being added. The agent is loaded as
a module; crm_mon, the probes, IPaddr2 and the clock are stand-ins (a simulated clock, so nothing
here depends on the machine's speed)."""

from __future__ import annotations

import importlib.machinery
import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
AGENT = ROOT / "roles" / "ocf_agents" / "files" / "resource.d" / "failover" / "ip"
CRM_MON_LOST = """<pacemaker-result><nodes>
<node name="node1" online="true" expected_up="true"/>
<node name="node2" online="false" expected_up="true"/>
</nodes></pacemaker-result>"""
CRM_MON_CLEAN = CRM_MON_LOST.replace('online="false" expected_up="true"', 'online="false" expected_up="false"')
HOLDER = "02:00:00:00:00:02"


@pytest.fixture
def ip(monkeypatch):
    loader = importlib.machinery.SourceFileLoader("fc_ip_agent", str(AGENT))
    module = importlib.util.module_from_spec(importlib.util.spec_from_loader("fc_ip_agent", loader))
    loader.exec_module(module)
    clock = {"now": 100.0}
    events = []

    def sleep(seconds):
        assert seconds >= 0
        clock["now"] += seconds

    def probe(_nic, _ip, _mac, wait):
        clock["now"] += wait  # a probe waits for answers
        holders = module.holders_at(clock["now"])
        events.append(("probe", round(clock["now"], 3), bool(holders)))
        return holders

    def ipaddr2_action(action):
        events.append((action, round(clock["now"], 3)))
        return 0

    for key, value in {"ip": "198.51.100.50", "nic": "eth0", "release_window": "3", "probe_wait_ms": "150",
                       "quiet_probes": "2"}.items():
        monkeypatch.setenv("OCF_RESKEY_" + key, value)
    monkeypatch.setattr(module.time, "monotonic", lambda: clock["now"])
    monkeypatch.setattr(module.time, "sleep", sleep)
    monkeypatch.setattr(module, "which", lambda _name: "/usr/sbin/crm_mon")
    monkeypatch.setattr(module, "local_address", lambda _ip: False)
    monkeypatch.setattr(module, "own_mac", lambda _nic: "02:00:00:00:00:01")
    monkeypatch.setattr(module, "arp_holders", probe)
    real_wait = module.wait_address_free  # the library's, on the simulated clock
    monkeypatch.setattr(module, "wait_address_free",
                        lambda *args, **kwargs: real_wait(*args, clock=lambda: clock["now"], **kwargs))
    monkeypatch.setattr(module, "ipaddr2_action", ipaddr2_action)
    monkeypatch.setattr(module, "start_guard", lambda: events.append(("guard",)))
    monkeypatch.setattr(module, "stop_guard", lambda: None)
    monkeypatch.setattr(module, "log", lambda *_args: None)
    module.crm_mon = CRM_MON_LOST
    monkeypatch.setattr(module, "run", lambda argv, *_a, **_k: (0, module.crm_mon, "") if argv[0] == "crm_mon"
                        else pytest.fail("unexpected command %s" % argv))
    module.holders_at = lambda _now: set()
    module.events = events
    module.clock = clock
    return module


def test_the_probes_run_in_the_last_part_of_the_window(ip):
    assert ip.start() == 0
    probes = [e for e in ip.events if e[0] == "probe"]
    start = [e for e in ip.events if e[0] == "start"]
    # the address is added at the window's end (100 + 3 s), not a probe pair later
    assert start == [("start", 103.0)]
    assert probes == [("probe", 102.85, False), ("probe", 103.0, False)]
    assert ip.events[-1] == ("guard",)


def test_a_holder_answering_at_the_end_of_the_window_holds_the_address_back(ip):
    ip.holders_at = lambda now: {HOLDER} if now < 103.05 else set()  # released just after the window
    assert ip.start() == 0
    start = [e for e in ip.events if e[0] == "start"]
    assert start == [("start", 103.3)]  # two quiet probes after the last answer
    assert [e[2] for e in ip.events if e[0] == "probe"] == [True, True, False, False]


def test_a_holder_that_keeps_answering_is_never_joined(ip):
    ip.holders_at = lambda _now: {HOLDER}
    with pytest.raises(ip.OcfExit) as failed:
        ip.start()
    assert HOLDER in str(failed.value) and not [e for e in ip.events if e[0] == "start"]


def test_no_window_when_every_offline_node_left_cleanly(ip):
    ip.crm_mon = CRM_MON_CLEAN
    assert ip.start() == 0
    assert [e for e in ip.events if e[0] == "start"] == [("start", 100.3)]  # the probes only
