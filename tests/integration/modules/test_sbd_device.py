"""sbd_device against a real loop device with the real sbd binary.

SAFETY: sbd is only ever run inside a private PID namespace (unshare --pid), never on the
machine itself; these tests use only sbd's disk commands (dump, list, create, allocate),
never its watch daemon, so nothing here can fence.
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("sbd") is None or shutil.which("losetup") is None,
    reason="needs root, sbd and losetup",
)
PIDNS = ("unshare", "--pid", "--fork", "--mount-proc")


@pytest.fixture
def disk(tmp_path):
    image = tmp_path / "lock.img"
    with open(image, "wb") as handle:
        handle.truncate(16 * 1024 * 1024)
    loop = subprocess.run(["losetup", "-f", "--show", str(image)], check=True, capture_output=True, text=True)
    device = loop.stdout.strip()
    yield device
    subprocess.run(["losetup", "-d", device], check=True)


def sbd(device, *args):
    return subprocess.run([*PIDNS, "sbd", "-d", device, *args], capture_output=True, text=True, check=False)


def test_blank_disk_gets_header_and_slots_once(run_module, disk):
    check = run_module("sbd_device", wrap=PIDNS, device=disk, nodes=["n1", "n2"], _ansible_check_mode=True)
    assert check["changed"] is True
    assert check["action"] == "create"
    assert "Header version" not in sbd(disk, "dump").stdout  # check mode wrote nothing

    first = run_module("sbd_device", wrap=PIDNS, device=disk, nodes=["n1", "n2"])
    assert first["changed"] is True
    assert first["action"] == "create"
    assert first["allocated"] == ["n1", "n2"]
    assert first["header"]["msgwait_timeout"] == 10
    dump = sbd(disk, "dump").stdout
    assert "Timeout (watchdog) : 5" in dump
    assert [line.split("\t")[1] for line in sbd(disk, "list").stdout.splitlines()] == ["n1", "n2"]

    second = run_module("sbd_device", wrap=PIDNS, device=disk, nodes=["n1", "n2"])
    assert second["changed"] is False
    assert second["action"] == "keep"


def test_node_added_gets_a_slot(run_module, disk):
    run_module("sbd_device", wrap=PIDNS, device=disk, nodes=["n1", "n2"])
    result = run_module("sbd_device", wrap=PIDNS, device=disk, nodes=["n1", "n2", "n3"])
    assert result["changed"] is True
    assert result["action"] == "keep"
    assert result["allocated"] == ["n3"]
    assert "n3" in sbd(disk, "list").stdout


def test_other_clusters_disk_is_refused_and_left_alone(run_module, disk):
    run_module("sbd_device", wrap=PIDNS, device=disk, nodes=["other1", "other2"])
    uuid_before = [line for line in sbd(disk, "dump").stdout.splitlines() if line.startswith("UUID")]
    result = run_module("sbd_device", wrap=PIDNS, device=disk, nodes=["n1", "n2"])
    assert result["failed"] is True
    assert result["msg"] == (
        f"{disk} holds an SBD header with slots of nodes that are not members of this cluster "
        "(other1, other2): it is another cluster's lock disk; set force to overwrite it"
    )
    assert [line for line in sbd(disk, "dump").stdout.splitlines() if line.startswith("UUID")] == uuid_before
    forced = run_module("sbd_device", wrap=PIDNS, device=disk, nodes=["n1", "n2"], force=True)
    assert forced["action"] == "create"
    assert [line.split("\t")[1] for line in sbd(disk, "list").stdout.splitlines()] == ["n1", "n2"]


def test_disk_with_data_is_refused(run_module, disk):
    with open(disk, "r+b") as handle:
        handle.seek(1024)
        handle.write(b"ext4-like superblock")
    result = run_module("sbd_device", wrap=PIDNS, device=disk, nodes=["n1"])
    assert result["failed"] is True
    assert "has no SBD header but is not empty" in result["msg"]
    assert "Header version" not in sbd(disk, "dump").stdout


def test_msgwait_rule(run_module, disk):
    result = run_module("sbd_device", wrap=PIDNS, device=disk, nodes=["n1"], watchdog_timeout=10, msgwait_timeout=15)
    assert result["failed"] is True
    assert result["msg"].startswith("msgwait_timeout: 15 s is less than twice watchdog_timeout (10 s)")
