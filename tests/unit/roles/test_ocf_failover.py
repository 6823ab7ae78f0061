"""The OCF agents' library (roles/ocf_agents/files/lib/failover/ocf_failover.py): the stale-node
rule, cluster XML parsing, the agents' runner of the SNA commands. The SNA command line itself is
plugins/module_utils/_sna_cli.py (tested in test_sna_cli.py): here only that the library uses
that one file, and how it reports in OCF terms."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
LIB = ROOT / "roles" / "ocf_agents" / "files" / "lib" / "failover" / "ocf_failover.py"
FIXTURES = ROOT / "tests" / "unit" / "plugins" / "module_utils" / "fixtures"

spec = importlib.util.spec_from_file_location("ocf_failover", LIB)
ocf = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ocf)


def node(online="false", unclean="false", pending="false"):
    return {"online": online, "unclean": unclean, "pending": pending}


def res(rid="sna.res.node", active="false", failed="false", managed="true"):
    return {"id": rid, "active": active, "failed": failed, "managed": managed}


@pytest.mark.parametrize(
    ("nodes", "resources", "allowed", "reason"),
    [
        ({"n1": node()}, [], True, "n1 is offline (clean)"),
        ({"n1": node(unclean="true")}, [], False, "n1 is unclean (lost, not fenced yet)"),
        ({"n1": node(pending="true")}, [], False, "n1 is pending (joining)"),
        ({"n1": node(online="true")}, [("sna.res.node", res(), [])], True, "n1 is online and sna.res.node is "
                                                                           "stopped there"),
        ({"n1": node(online="true")}, [("sna.res.node", res(active="true"), ["n1"])], False,
         "n1 is online and sna.res.node is active, failed or unmanaged there"),
        ({"n1": node(online="true")}, [("sna.res.node", res(managed="false"), ["n1"])], False,
         "n1 is online and sna.res.node is active, failed or unmanaged there"),
        ({"n1": node(online="true")}, [("other", res("other", active="true"), ["n1"])], True,
         "n1 is online and sna.res.node is stopped there"),
    ],
)
def test_cluster_policy(nodes, resources, allowed, reason):
    nodes = dict(nodes, me=node(online="true"))
    assert ocf.stale_owner_check("cluster", "me", "sna.res.node", nodes, resources) == (allowed, [reason])


def test_every_other_node_must_be_cleared():
    nodes = {"me": node(online="true"), "n1": node(), "n3": node(unclean="true")}
    allowed, reasons = ocf.stale_owner_check("cluster", "me", "sna.res.node", nodes, [])
    assert not allowed and reasons == ["n1 is offline (clean)", "n3 is unclean (lost, not fenced yet)"]


def test_clone_instances_count_as_the_resource():
    nodes = {"me": node(online="true"), "n1": node(online="true")}
    resources = [("sna.res.node:1", res("sna.res.node:1", active="true"), ["n1"])]
    assert ocf.stale_owner_check("cluster", "me", "sna.res.node:0", nodes, resources)[0] is False


def test_fenced_policy_needs_a_successful_fencing():
    nodes = {"me": node(online="true"), "n1": node()}
    ok = [{"target": "n1", "action": "reboot", "status": "success", "completed": "2026-11-22 00:21:46Z"}]
    assert ocf.stale_owner_check("fenced", "me", "r", nodes, [], ok) == (True, ["n1 is offline and fenced"])
    assert ocf.stale_owner_check("fenced", "me", "r", nodes, [])[0] is False
    newer_failure = ok + [{"target": "n1", "action": "reboot", "status": "failed",
                           "completed": "2026-11-22 00:22:46Z"}]
    assert ocf.stale_owner_check("fenced", "me", "r", nodes, [], newer_failure)[0] is False
    pending = ok + [{"target": "n1", "action": "reboot", "status": "pending"}]
    assert ocf.stale_owner_check("fenced", "me", "r", nodes, [], pending)[0] is False
    on = [dict(ok[0], action="on")]
    assert ocf.stale_owner_check("fenced", "me", "r", nodes, [], on)[0] is False


def test_always_and_never():
    assert ocf.stale_owner_check("always", "me", "r", {"n1": node(unclean="true")}, [])[0] is True
    assert ocf.stale_owner_check("never", "me", "r", {}, []) == (False, ["force_stale=never"])


def test_parse_crm_mon_reads_nodes_and_resources():
    nodes, resources = ocf.parse_crm_mon((FIXTURES / "crm_mon_1node.xml").read_text())
    assert list(nodes) == ["cap1"]
    assert nodes["cap1"]["online"] == "true"
    assert ("pkg1_ip", "true", ["cap1"]) in [(rid, attrs["active"], on) for rid, attrs, on in resources]
    assert ocf.stale_owner_check("cluster", "other", "pkg1_ip", nodes, resources)[0] is False


def test_the_library_uses_the_one_sna_cli_file():
    """In the collection's tree ocf_failover finds plugins/module_utils/_sna_cli.py (on a node the
    role installs that very file next to it): no copy of the command line exists."""
    assert Path(sys.modules["_sna_cli"].__file__).resolve() == ROOT / "plugins" / "module_utils" / "_sna_cli.py"
    assert ocf.force_stop_argv is sys.modules["_sna_cli"].force_stop_argv
    assert ocf.SnaCommandError is sys.modules["_sna_cli"].SnaCommandError


# what only the SNA command-line layer may define (the emulator, the product's side, has its own)
LAYER = re.compile(
    r"^(FLAVOURS|VERBS)\s*=|^def (parse_error|parse_blocks|parse_query_\w+|admin_argv|force_stop_argv)\(", re.M)


def test_no_other_file_of_the_collection_defines_the_command_line():
    found = []
    for path in [*ROOT.glob("plugins/**/*.py"), *ROOT.glob("roles/*/files/**/*")]:
        if path.is_file() and "sna_emulator" not in path.parts and path.suffix in ("", ".py"):
            if LAYER.search(path.read_text(errors="replace")):
                found.append(str(path.relative_to(ROOT)))
    assert found == ["plugins/module_utils/_sna_cli.py"]


def agent_sna(monkeypatch, **params):
    for key, value in params.items():
        monkeypatch.setenv("OCF_RESKEY_" + key, value)
    return ocf.Sna(ocf.Agent("x", "s", "l", ocf.SNA_PARAMS, {}))


def test_agent_commands_follow_the_flavour_and_the_paths(monkeypatch):
    cli = agent_sna(monkeypatch, flavour="cslinux")
    assert (cli.daemon, cli.admin_cmd) == ("sna", "snaadmin")
    assert cli.admin_argv("stop_ls", [("ls_name", "HALS"), ("stop_type", "IMMEDIATE_STOP")]) == [
        "snaadmin", "stop_ls,", "ls_name=HALS,", "stop_type=IMMEDIATE_STOP"]
    assert cli.admin_argv("init_node") == ["snaadmin", "init_node"]
    cli = agent_sna(monkeypatch, flavour="snaplus2", daemon="/opt/x/snap", admin="/opt/x/snapadmin")
    assert cli.force_argv("/site/inact {admin} {daemon} {ls_name}", ["HALS", "LS2"]) == [
        "/site/inact", "/opt/x/snapadmin", "/opt/x/snap", "HALS", "LS2"]
    assert cli.force_argv("", ["HALS"]) == ["/opt/x/snap", "force_stop", "--ls", "HALS"]


def test_agent_refuses_bad_values_as_not_configured(monkeypatch):
    with pytest.raises(ocf.OcfExit) as err:
        agent_sna(monkeypatch, flavour="vtam")
    assert err.value.code == ocf.OCF_ERR_CONFIGURED and "cslinux or snaplus2" in err.value.message
    cli = agent_sna(monkeypatch, flavour="snaplus2")
    with pytest.raises(ocf.OcfExit) as err:
        cli.admin_argv("start_ls", [("ls_name", "bad name")])
    assert err.value.code == ocf.OCF_ERR_CONFIGURED and err.value.message.startswith("ls_name: ")
    with pytest.raises(ocf.OcfExit) as err:
        ocf.check_value("define_node", "node_id", "05d12345")
    assert err.value.message == "node_id='05d12345': expected 8 hexadecimal digits (upper case)"
    ocf.check_value("define_node", "node_id", "05D12345")
    with pytest.raises(ocf.OcfExit) as err:
        ocf.check_value("start_ls", "ls_name", "hals", param="force_ls")
    assert err.value.message.startswith("force_ls='hals': expected 1-8 characters")


def test_agent_runs_the_commands_and_classifies_failures(monkeypatch):
    cli = agent_sna(monkeypatch)
    answers = {
        "query_node": (5, "", (FIXTURES / "sna" / "error_not_loaded.txt").read_text()),
        "query_ls": (0, (FIXTURES / "sna" / "query_ls_all.txt").read_text(), ""),
        "start_ls": (1, "", (FIXTURES / "sna" / "error_port_not_started.txt").read_text()),
    }
    ran = []

    def fake_run(argv, env=None, timeout=None, cwd="/"):
        ran.append(argv)
        return answers[argv[1].rstrip(",")]

    monkeypatch.setattr(ocf, "run", fake_run)
    assert cli.query_node() == (False, None)
    assert sorted(cli.query_lss()) == ["HALS", "LS2", "SILENT"]
    with pytest.raises(ocf.SnaCommandError) as err:
        cli.admin("start_ls", [("ls_name", "HALS")])
    assert (err.value.primary, err.value.secondary) == ("STATE_CHECK", "PORT_NOT_STARTED")
    assert str(err.value).startswith("start_ls failed: STATE_CHECK/PORT_NOT_STARTED: ")
    assert ran[-1] == ["snapadmin", "start_ls,", "ls_name=HALS"]


def test_environment_parameter():
    assert ocf.parse_environment('SNAEMU_STATE_DIR=/var/lib/x A="b c"') == {"SNAEMU_STATE_DIR": "/var/lib/x",
                                                                            "A": "b c"}
    with pytest.raises(ocf.OcfExit) as err:
        ocf.parse_environment("rm -rf")
    assert err.value.code == ocf.OCF_ERR_CONFIGURED


def test_a_refused_forced_stop_names_the_link_station_and_the_remote_sense():
    out = (
        "ls_name = HALS1\npu_name = HAPU1\nresult = REFUSED\nsense = MAC_NOT_ALLOWED\nprevious_owner_address =\n\n"
        "ls_name = HALS2\npu_name = HAPU2\nresult = NOT_ACTIVE\nsense =\nprevious_owner_address =\n"
    )
    assert ocf.force_failure_reason(out, "") == "HALS1 (PU HAPU1): REFUSED MAC_NOT_ALLOWED"
    assert ocf.force_failure_reason("", "snap: cannot read sna_node.cfg\n") == "snap: cannot read sna_node.cfg"


# ------------------------------------------------------------------------ ARP probe (ocf:failover:ip)
MAC_A = "02:00:00:00:00:0a"
MAC_B = "02:00:00:00:00:0b"


def arp_frame(op, sha, spa, tpa):
    import socket
    import struct

    sender = bytes.fromhex(sha.replace(":", ""))
    return (b"\xff" * 6 + sender + b"\x08\x06" + struct.pack("!HHBBH", 1, 0x0800, 6, 4, op) + sender
            + socket.inet_aton(spa) + b"\0" * 6 + socket.inet_aton(tpa))


def test_arp_probe_frame_is_an_rfc5227_probe():
    frame = ocf.arp_probe_frame(MAC_A, "198.51.100.50")
    assert len(frame) == 42
    assert frame[:6] == b"\xff" * 6 and frame[6:12] == bytes.fromhex("02000000000a") and frame[12:14] == b"\x08\x06"
    assert frame[14:22] == bytes.fromhex("0001080006040001")  # Ethernet/IPv4, request
    assert frame[28:32] == b"\0\0\0\0"  # sender IP 0.0.0.0: nobody's ARP cache learns from a probe
    assert frame[38:42] == bytes([198, 51, 100, 50])
    assert ocf.arp_claimant(frame, "198.51.100.50", MAC_B) is None  # a probe claims nothing


@pytest.mark.parametrize(("frame", "claimant"), [
    (arp_frame(2, MAC_B, "198.51.100.50", "198.51.100.11"), MAC_B),  # the holder's reply
    (arp_frame(1, MAC_B, "198.51.100.50", "198.51.100.50"), MAC_B),  # its gratuitous announcement
    (arp_frame(2, MAC_B, "198.51.100.51", "198.51.100.11"), None),  # another address
    (arp_frame(2, MAC_A, "198.51.100.50", "198.51.100.11"), None),  # our own frame
    (arp_frame(2, MAC_B, "198.51.100.50", "198.51.100.11")[:30], None),  # truncated
    (b"\0" * 12 + b"\x08\x00" + b"\0" * 28, None),  # not ARP
])
def test_arp_claimant(frame, claimant):
    assert ocf.arp_claimant(frame, "198.51.100.50", MAC_A) == claimant


def test_wait_address_free_needs_quiet_probes_in_a_row():
    answers = iter([{MAC_B}, set(), {MAC_B}, set(), set(), {MAC_B}])
    ticks = iter(range(100))
    assert ocf.wait_address_free(lambda: next(answers), 2, 50, clock=lambda: next(ticks)) == (True, {MAC_B}, 5)


def test_wait_address_free_gives_up_at_the_deadline():
    ticks = iter(range(100))
    free, holders, probes = ocf.wait_address_free(lambda: {MAC_B}, 2, 3, clock=lambda: next(ticks))
    assert (free, holders) == (False, {MAC_B}) and probes == 3


def test_gone_unexpectedly():
    nodes = {
        "node1": {"online": "true", "expected_up": "true"},
        "node2": {"online": "false", "expected_up": "true"},  # crashed or cut off
        "node3": {"online": "false", "expected_up": "false"},  # stopped cleanly, or never joined
    }
    assert ocf.gone_unexpectedly(nodes) == ["node2"]
    assert ocf.gone_unexpectedly({"node1": {"online": "true", "expected_up": "true"}}) == []


QUORUMTOOL_YES = """Quorum information
------------------
Date:             Tue Dec  1 06:56:29 2026
Quorum provider:  corosync_votequorum
Nodes:            2
Node ID:          2
Ring ID:          1.12
Quorate:          Yes

Votequorum information
----------------------
Expected votes:   3
Total votes:      3
Quorum:           2
Flags:            Quorate Qdevice
"""


def test_parse_quorate():
    assert ocf.parse_quorate(QUORUMTOOL_YES) is True
    assert ocf.parse_quorate(QUORUMTOOL_YES.replace("Quorate:          Yes", "Quorate:          No")) is False
    assert ocf.parse_quorate("Cannot initialize QUORUM service") is None
    assert ocf.parse_quorate("") is None


def guard_run(states, silence=2.0):
    """Run guard_quorum over ``states`` (one per look, 0.25 s apart); (reason, looks, released)."""
    looks, released, now = [], [], [0.0]
    answers = iter(states)

    def check():
        looks.append(now[0])
        return next(answers)

    def sleep(seconds):
        now[0] += seconds
    reason = ocf.guard_quorum(check, released.append, sleep=sleep, clock=lambda: now[0], silence=silence)
    return reason, looks, released


def test_the_guard_releases_at_the_first_look_without_quorum():
    reason, looks, released = guard_run([True, True, True, False, True])
    assert reason == "this node lost quorum" and released == [reason]
    assert looks == [0.0, 0.25, 0.5, 0.75]  # released on the look that saw it, not one later


def test_the_guard_waits_out_a_short_silence_of_corosync_but_not_a_long_one():
    # silent for 1.5 s, then quorate again: nothing released; then silent for 2 s: released
    states = [True] + [None] * 7 + [True] + [None] * 9
    reason, looks, released = guard_run(states)
    assert reason.startswith("corosync has not answered for 2.0 s") and released == [reason]
    assert len(looks) == 18


def test_the_guard_never_releases_while_the_node_is_quorate():
    with pytest.raises(StopIteration):  # it keeps looking until the states run out
        guard_run([True] * 40)


def test_poll_pauses_back_off_to_a_ceiling():
    pauses = ocf.poll_pauses(first=0.1, growth=2, longest=0.5)
    assert [next(pauses) for _step in range(5)] == [0.1, 0.2, 0.4, 0.5, 0.5]
    default = ocf.poll_pauses()
    first = [next(default) for _step in range(40)]
    assert first[0] == 0.1 and max(first) == 0.5 and first == sorted(first)


def test_wait_until_backs_off_and_stops_at_the_deadline(monkeypatch):
    clock = {"now": 0.0}
    slept = []
    monkeypatch.setattr(ocf.time, "monotonic", lambda: clock["now"])

    def sleep(seconds):
        slept.append(seconds)
        clock["now"] += seconds

    monkeypatch.setattr(ocf.time, "sleep", sleep)
    polls = []

    def never():
        polls.append(clock["now"])
        return False

    assert ocf.wait_until(never, 10.0) is False
    # a fixed 0.1 s poll would have run 101 times in 10 s; the backoff runs about a quarter of that
    assert 20 <= len(polls) <= 30, len(polls)
    assert polls[-1] == pytest.approx(10.0) and max(slept) == pytest.approx(0.5)
    # the last pause is cut to the deadline, never past it
    assert sum(slept) == pytest.approx(10.0)

    clock["now"] = 0.0
    answers = iter([False, False, "ACTIVE"])
    assert ocf.wait_until(lambda: next(answers), 10.0) == "ACTIVE"
    assert clock["now"] == pytest.approx(0.1 + 0.125)


def test_wait_address_free_is_not_free_before_the_end_of_the_window():
    """The probes run inside the release window: quiet ones before its end do not free the address,
    a holder answering near its end still counts, and the first quiet pair at or after it does."""
    answers = iter([set(), set(), set(), {MAC_B}, set(), set(), set(), set()])
    ticks = iter(range(100))
    assert ocf.wait_address_free(lambda: next(answers), 2, 50, clock=lambda: next(ticks), not_before=5) == (
        True, {MAC_B}, 6)
    quiet = iter([set()] * 10)
    ticks = iter(range(100))
    assert ocf.wait_address_free(lambda: next(quiet), 2, 50, clock=lambda: next(ticks), not_before=3)[2] == 3


def test_an_agent_action_does_not_load_what_only_meta_data_needs():
    """Every start, stop and monitor of every agent imports this library: xml.sax (for meta-data's
    escaping) would bring urllib, http.client and email with it, some 20 ms of CPU per action on the
    node's /usr/bin/python3 - at 64 link stations, hundreds of actions per failover."""
    code = ("import sys; sys.path.insert(0, %r); import ocf_failover; "
            "print(' '.join(sorted(m for m in sys.modules if m.split('.')[0] in ('urllib', 'http', 'email') "
            "or m.startswith('xml.sax'))))" % str(LIB.parent))
    out = subprocess.run([sys.executable, "-S", "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == ""


def test_meta_data_still_escapes_its_text():
    agent = ocf.Agent("x", 'a <b> & "c"', "long <d>", [ocf.Param("p", "s&", "l<", default='q"')],
                      {"start": (lambda: 0, "20s", None)})
    xml = agent.metadata()
    assert '<shortdesc lang="en">a &lt;b&gt; &amp; "c"</shortdesc>' in xml
    assert 'default="q&quot;"' in xml
    assert "long &lt;d&gt;" in xml and "s&amp;" in xml and "l&lt;" in xml
