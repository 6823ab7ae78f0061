"""benchmarks/process_account.py: the acct(2) v3 reader and the by-command sum, on made-up records
and a made-up /proc (no accounting is switched on here)."""

import struct
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "benchmarks"))

import process_account as pa  # noqa: E402


def record(pid, comm, utime, stime, version=3):
    return pa.ACCT_V3.pack(0, version, 0, 0, 0, 0, pid, 1, 0, 0.0, utime, stime, 0, 0, 0, 0, 0, 0,
                           comm.encode())


def test_the_record_is_the_kernels_64_bytes():
    assert pa.ACCT_V3.size == 64


@pytest.mark.parametrize("value, expected", [(0, 0), (7, 7), (0x1FFF, 8191), ((1 << 13) | 5, 40), ((2 << 13) | 3, 192)])
def test_comp_t(value, expected):
    assert pa.comp_t(value) == expected


def test_parse_reads_pid_comm_and_cpu_and_skips_other_versions():
    data = record(10, "snaadmin", 3, 1) + record(11, "x", 5, 5, version=2) + record(12, "sna_link_statio", 4, 0)
    assert pa.parse_acct_v3(data + b"\0" * 10) == [(10, "snaadmin", 0.04), (12, "sna_link_statio", 0.04)]


def test_by_command_counts_daemons_by_difference_and_exited_processes_whole():
    before = {1: ("pacemaker-based", 10.0), 2: ("corosync", 5.0), 3: ("crm_mon", 0.5)}
    after = {1: ("pacemaker-based", 12.5), 2: ("corosync", 5.0), 7: ("python3", 0.3)}
    exited = [(3, "crm_mon", 0.75), (4, "snaadmin", 0.04), (5, "snaadmin", 0.05)]
    got = pa.by_command(before, after, exited)
    assert got == {"pacemaker-based": [2.5, 1], "crm_mon": [0.25, 1], "snaadmin": [0.09, 2], "python3": [0.3, 1]}


def test_a_reused_pid_is_a_new_process():
    before = {9: ("snaadmin", 0.02)}
    exited = [(9, "snaadmin", 0.04)]
    after = {9: ("sna_link_statio", 0.03)}
    got = pa.by_command(before, after, exited)
    assert got == {"snaadmin": [0.02, 1], "sna_link_statio": [0.03, 1]}


def test_proc_snapshot_reads_comm_with_spaces_and_parentheses(tmp_path):
    ticks = pa.os.sysconf("SC_CLK_TCK")
    for pid, comm, ut, st in ((1, "init", ticks, 0), (42, "odd (name) x", 2 * ticks, ticks)):
        (tmp_path / str(pid)).mkdir()
        fields = ["S", "0"] + ["0"] * 9 + [str(ut), str(st)] + ["0"] * 10
        (tmp_path / str(pid) / "stat").write_text(f"{pid} ({comm}) " + " ".join(fields) + "\n")
    (tmp_path / "self").mkdir()
    assert pa.proc_snapshot(str(tmp_path)) == {1: ("init", 1.0), 42: ("odd (name) x", 3.0)}


def test_top_orders_by_cpu():
    assert pa.top({"a": [0.5, 2], "b": [2.0, 1], "c": [1.0, 9]}, 2) == [("b", 2.0, 1), ("c", 1.0, 9)]


def test_without_accton_the_account_is_none(monkeypatch):
    monkeypatch.setattr(pa.shutil, "which", lambda name: None)
    with pa.ProcessAccount() as acc:
        pass
    assert acc.result is None


def test_struct_layout_matches_linux_acct_h():
    # comm starts at byte 48: 1+1+2 + 6*4 (exitcode..btime) + 4 (etime) + 8*2 (comp_t)
    packed = record(1, "abcdefghijklmnop", 0, 0)
    assert packed[48:64] == b"abcdefghijklmnop"
    assert struct.unpack_from("<I", packed, 16)[0] == 1
