"""The namespace lab itself: lifecycle, disks, crash/restart, partitions, teardown.

Needs root; every test uses its own lab prefix and the fixture checks that
nothing of it is left afterwards (namespaces, processes, mounts, loop devices,
cgroups, state).  Run: .venv/bin/pytest -m lab tests/lab
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import time

import pytest
from lab_helpers import LABCTL, ROOT, lab_mod, labctl, leftovers

pytestmark = pytest.mark.lab


def test_up_down_twice_from_scratch(make_lab):
    lab = make_lab("ud")
    for _round in range(2):
        t0 = time.monotonic()
        lab.ctl("up", "--hosts", "a1,a2,a3", "--group", "cluster=a1,a2")
        up_s = time.monotonic() - t0
        st = lab.status()
        assert [h["state"] for h in st["hosts"].values()] == ["running"] * 3
        assert st["hosts"]["a1"]["address"] == "198.51.100.11"
        assert lab.ssh("a2", "hostname").stdout.strip() == "a2"
        for h in ("a1", "a2", "a3"):
            pid1 = lab.ctl("exec", h, "--", "ps", "-o", "comm=", "-p", "1").stdout.strip()
            assert pid1 == "systemd"
        t0 = time.monotonic()
        down = lab.ctl("down")
        down_s = time.monotonic() - t0
        assert "nothing left" in down.stdout
        assert leftovers(lab.prefix) == {}
        print(f"round {_round}: up {up_s:.1f}s, down {down_s:.1f}s")
    # down is idempotent
    assert "nothing left" in lab.ctl("down").stdout


def test_up_refuses_existing_lab_and_replace_recreates(make_lab):
    lab = make_lab("rp")
    lab.ctl("up", "--hosts", "b1")
    lab.sh("b1", "echo old > /etc/marker")
    again = lab.ctl("up", "--hosts", "b1", check=False)
    assert again.returncode == 2
    assert "already exists" in again.stderr
    lab.ctl("up", "--hosts", "b1", "--replace")
    assert lab.sh("b1", "test -e /etc/marker", check=False).returncode == 1


def test_bad_spec_is_refused_before_anything_is_created(make_lab):
    lab = make_lab("bs")
    bad = lab.ctl("up", "--hosts", "Bad_Name", check=False)
    assert bad.returncode == 2
    assert "host name 'Bad_Name' is invalid" in bad.stderr
    assert leftovers(lab.prefix) == {}


def test_host_is_isolated_and_safe(make_lab):
    lab = make_lab("is")
    lab.ctl("up", "--hosts", "c1,c2", "--nets", "2")
    assert lab.ping("c1", "c2")
    assert lab.ping("c1", "c2-net1")
    assert lab.ping("c1", "203.0.113.12")
    assert not lab.ping("c1", "192.0.2.1")
    assert lab.sh("c1", "ip -4 route show default").stdout.strip() == ""
    # kernel-wide settings are read-only, per-netns ones writable; sysrq masked or absent
    assert lab.sh("c1", "echo 1 > /proc/sys/kernel/panic", check=False).returncode != 0
    lab.sh("c1", "echo 1 > /proc/sys/net/ipv4/conf/all/arp_ignore")
    lab.sh("c1", 'test ! -e /proc/sysrq-trigger || test "$(stat -c %t:%T /proc/sysrq-trigger)" = 1:3')
    # private /dev/shm and /tmp, own machine-id, machine's root read-only
    lab.sh("c1", "touch /dev/shm/only-c1 /tmp/only-c1")
    assert lab.sh("c2", "test -e /dev/shm/only-c1 || test -e /tmp/only-c1", check=False).returncode == 1
    ids = {lab.sh(h, "cat /etc/machine-id").stdout for h in ("c1", "c2")}
    assert len(ids) == 2
    assert lab.sh("c1", "touch /lab-must-not-write", check=False).returncode != 0
    # copy-on-write /usr: a host's change is its own
    lab.sh("c1", "touch /usr/local/bin/only-c1")
    assert lab.sh("c2", "test -e /usr/local/bin/only-c1", check=False).returncode == 1


def test_shared_disk_visible_in_every_host(make_lab):
    lab = make_lab("dk")
    lab.ctl("up", "--hosts", "d1,d2", "--disk", "lock0:16M")
    lab.sh("d1", "printf lab-disk-ok | dd of=/dev/lab/lock0 bs=512 count=1 conv=sync,fsync 2>/dev/null")
    assert lab.sh("d2", "head -c 11 /dev/lab/lock0").stdout == "lab-disk-ok"
    # a disk added while hosts run appears in each, and survives a restart
    lab.ctl("disk", "add", "data1", "--size", "8M")
    lab.sh("d2", "test -b /dev/lab/data1")
    lab.ctl("stop", "d2")
    lab.ctl("start", "d2")
    lab.sh("d2", "test -b /dev/lab/data1 && test -b /dev/lab/lock0")
    lab.ctl("disk", "rm", "data1")
    assert lab.sh("d1", "test -e /dev/lab/data1", check=False).returncode == 1


def test_crash_and_restart_keep_the_disk(make_lab):
    lab = make_lab("cr")
    lab.ctl("up", "--hosts", "e1,e2")
    lab.sh("e1", "echo etc-ok > /etc/lab-test; echo var-ok > /var/lib/lab-test; ip addr add 198.51.100.200/24 dev eth0")
    assert lab.ping("e2", "198.51.100.200")

    lab.ctl("crash", "e1")
    st = lab.status()
    assert st["hosts"]["e1"]["state"] == "crashed"
    assert st["hosts"]["e1"]["pid1"] is None
    assert lab.ipv4("e1") == []  # link down, addresses (the floating one too) gone
    assert not lab.ping("e2", "198.51.100.200")
    assert not lab.ping("e2", "e1")

    lab.ctl("start", "e1")
    assert lab.sh("e1", "cat /etc/lab-test /var/lib/lab-test").stdout.split() == ["etc-ok", "var-ok"]
    assert lab.ipv4("e1") == ["198.51.100.11/24"]
    assert lab.ping("e2", "e1")
    assert lab.ssh("e1", "cat", "/etc/lab-test").stdout.strip() == "etc-ok"  # same host key: strict check passes

    # clean shutdown and boot again
    lab.ctl("stop", "e1")
    assert lab.status()["hosts"]["e1"]["state"] == "stopped"
    lab.ctl("start", "e1")
    assert lab.sh("e1", "cat /var/lib/lab-test").stdout.strip() == "var-ok"


def test_reboot_from_inside_boots_again(make_lab):
    """reboot(2) in the host (as sbd's fencing does) ends only its PID namespace; the host comes back."""
    lab = make_lab("rb")
    lab.ctl("up", "--hosts", "f1")
    pid_before = lab.status()["hosts"]["f1"]["pid1"]
    lab.sh("f1", "echo kept > /etc/lab-test")
    lab.ctl("exec", "f1", "--", "systemctl", "reboot", check=False)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        st = lab.status()["hosts"]["f1"]
        if st["state"] == "running" and st["pid1"] != pid_before:
            probe = lab.sh("f1", "systemctl is-system-running --wait", check=False)
            if probe.stdout.strip() in ("running", "degraded"):
                break
        time.sleep(0.2)
    else:
        pytest.fail("f1 did not come back after reboot")
    assert lab.sh("f1", "cat /etc/lab-test").stdout.strip() == "kept"


def test_partition_cuts_traffic_and_heal_restores_it(make_lab):
    lab = make_lab("pt")
    lab.ctl("up", "--hosts", "g1,g2,g3", "--nets", "2")
    assert lab.ping("g1", "g2")
    lab.ctl("partition", "g1", "g2")
    assert not lab.ping("g1", "g2")
    assert not lab.ping("g2", "g1")
    assert not lab.ping("g1", "g2-net1")
    # a host in no group (the arbitrator's place) still reaches both sides
    assert lab.ping("g3", "g1")
    assert lab.ping("g3", "g2")
    # the controller still reaches every host (ssh for Ansible during a split)
    assert lab.ssh("g1", "true").returncode == 0
    assert lab.ssh("g2", "true").returncode == 0
    # TCP is cut too, not only ICMP
    tcp = lab.sh("g1", "timeout 3 bash -c 'exec 3<>/dev/tcp/198.51.100.12/22'", check=False)
    assert tcp.returncode != 0
    lab.ctl("heal")
    assert lab.ping("g1", "g2")
    assert lab.sh("g1", "timeout 3 bash -c 'exec 3<>/dev/tcp/198.51.100.12/22'").returncode == 0
    # one heartbeat network only: the other ring keeps working
    lab.ctl("partition", "g1", "g2", "--nets", "net0")
    assert not lab.ping("g1", "g2")
    assert lab.ping("g1", "g2-net1")
    lab.ctl("heal")
    assert lab.ping("g1", "g2")


def test_inventory_is_usable_by_ansible(make_lab, tmp_path):
    lab = make_lab("iv")
    lab.ctl("up", "--hosts", "h1,h2", "--group", "cluster=h1,h2")
    inv = tmp_path / "inventory.yml"
    lab.ctl("inventory", "-o", str(inv))
    ansible = ROOT / ".venv" / "bin" / "ansible"
    if not ansible.exists():
        pytest.skip("no .venv with ansible")
    proc = subprocess.run(
        [str(ansible), "-i", str(inv), "cluster", "-m", "ansible.builtin.command", "-a", "hostname"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={
            "PATH": f"{ROOT / '.venv' / 'bin'}:/usr/sbin:/usr/bin:/sbin:/bin",
            "ANSIBLE_HOST_KEY_CHECKING": "True",
            "HOME": "/root",
            "ANSIBLE_FORCE_COLOR": "0",
        },
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "h1 | CHANGED" in proc.stdout and "h2 | CHANGED" in proc.stdout


def test_down_after_failed_boot_wait(make_lab):
    """up that fails midway (hosts not ready in time) cleans up after itself."""
    lab = make_lab("fw")
    failed = lab.ctl("up", "--hosts", "i1,i2", "--wait", "0.01", check=False)
    assert failed.returncode == 2
    assert leftovers(lab.prefix) == {}
    # and with --keep-on-failure the lab stays for inspection until down
    failed = lab.ctl("up", "--hosts", "i1,i2", "--wait", "0.01", "--keep-on-failure", check=False)
    assert failed.returncode == 2
    assert leftovers(lab.prefix) != {}
    lab.ctl("down")
    assert leftovers(lab.prefix) == {}


def test_down_after_host_setup_fails_midway(make_lab):
    """A host whose setup breaks halfway through its boot (after some of its mounts)."""
    lab = make_lab("mw")
    lab.ctl("up", "--hosts", "l1,l2")
    lab.ctl("stop", "l2")
    upper_etc = lab_mod.lab_dir(lab.prefix) / "hosts" / "l2" / "upper" / "etc"
    shutil.rmtree(upper_etc)
    upper_etc.write_text("not a directory: the /etc overlay cannot be mounted\n")
    failed = lab.ctl("start", "l2", "--wait", "5", check=False)
    assert failed.returncode == 2
    assert "did not boot" in failed.stderr or "did not answer" in failed.stderr
    assert lab.status()["hosts"]["l1"]["state"] == "running"


@pytest.mark.parametrize("kill_after", [0.15, 0.5, 1.2])
def test_down_after_killed_create(make_lab, kill_after):
    """SIGKILL labctl up at some point of the creation; down still removes everything."""
    lab = make_lab(f"k{int(kill_after * 100)}")
    proc = subprocess.Popen(
        [str(LABCTL), "--prefix", lab.prefix, "up", "--hosts", "j1,j2,j3", "--disk", "lock0:8M"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(kill_after)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    down = labctl(lab.prefix, "down", check=False)
    assert down.returncode == 0, down.stderr
    assert leftovers(lab.prefix) == {}


def test_down_after_failed_converge(make_lab):
    """A converge that died midway: services started, a host crashed, one mid-stop, a partition, a disk."""
    lab = make_lab("fc")
    lab.ctl("up", "--hosts", "k1,k2,k3", "--disk", "lock0:8M")
    lab.ctl("exec", "k1", "--", "systemd-run", "--unit", "busy", "sleep", "600")
    lab.sh("k2", "nohup sleep 600 >/dev/null 2>&1 &")
    lab.ctl("partition", "k1", "k2,k3")
    lab.ctl("crash", "k3")
    lab.ssh("k1", "true")  # leaves an ssh ControlMaster behind
    stopper = subprocess.Popen([str(LABCTL), "--prefix", lab.prefix, "stop", "k2"], stdout=subprocess.DEVNULL)
    time.sleep(0.1)
    down = lab.ctl("down", check=False)
    stopper.wait(timeout=30)
    assert down.returncode == 0, down.stderr
    assert leftovers(lab.prefix) == {}


def test_status_json_and_unknown_host(make_lab):
    lab = make_lab("st")
    lab.ctl("up", "--hosts", "m1", "--nets", "2")
    st = json.loads(lab.ctl("status", "--json").stdout)
    assert st["hosts"]["m1"]["addresses"] == {"net0": "198.51.100.11", "net1": "203.0.113.11"}
    bad = lab.ctl("exec", "nope", "--", "true", check=False)
    assert bad.returncode == 2
    assert "has no host 'nope'" in bad.stderr
