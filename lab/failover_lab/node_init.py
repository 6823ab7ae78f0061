#!/usr/bin/python3
"""Boot one lab host: the code that runs inside the host's namespaces.

Run as a script (standard library only, no imports from the package) by the
host's supervisor, already inside the host's network namespace:

``node_init.py enter BOOT.json``
    joins the host's cgroup2 subtree, then execs ``unshare`` into fresh
    mount/UTS/IPC/PID/cgroup namespaces, running ``node_init.py pid1 BOOT.json``.
``node_init.py pid1 BOOT.json``
    runs as PID 1 of the new PID namespace: builds the host's filesystem view
    (overlays, private /dev, /run, /tmp, /sys with its own cgroup2, masked
    sysrq), provisions /etc on first boot, then execs the machine's systemd.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

SYSTEMD = "/lib/systemd/system"
# Units that make no sense inside a lab host, or that would touch global state
# (the clock, kernel parameters, modules, interfaces, consoles, disks).
# Cluster units (corosync, pacemaker, sbd, corosync-q*) are left as packaged.
DEFAULT_MASKS = [
    # consoles: a lab host has none
    "getty@.service",
    "serial-getty@.service",
    "console-getty.service",
    "container-getty@.service",
    "getty-static.service",
    "debug-shell.service",
    # devices are fixed by the lab, not discovered
    "systemd-udevd.service",
    "systemd-udevd-control.socket",
    "systemd-udevd-kernel.socket",
    "systemd-udev-trigger.service",
    "systemd-udev-settle.service",
    "systemd-hwdb-update.service",
    # kernel-global state
    "systemd-sysctl.service",
    "systemd-modules-load.service",
    "kmod-static-nodes.service",
    "systemd-binfmt.service",
    "proc-sys-fs-binfmt_misc.automount",
    "proc-sys-fs-binfmt_misc.mount",
    "systemd-timesyncd.service",
    "chrony.service",
    "ntp.service",
    "ntpsec.service",
    "openntpd.service",
    "systemd-pstore.service",
    "systemd-remount-fs.service",
    "systemd-firstboot.service",
    "systemd-machine-id-commit.service",
    "systemd-journald-audit.socket",
    "dev-hugepages.mount",
    "dev-mqueue.mount",
    "sys-kernel-debug.mount",
    "sys-kernel-tracing.mount",
    "sys-kernel-config.mount",
    "sys-fs-fuse-connections.mount",
    "systemd-quotacheck.service",
    "quotaon.service",
    "e2scrub_reap.service",
    "e2scrub_all.service",
    "fstrim.service",
    "systemd-fsck-root.service",
    "systemd-growfs-root.service",
    # the lab configures the links; nothing inside may touch them
    "networking.service",
    "ifup@.service",
    "systemd-networkd.service",
    "systemd-networkd.socket",
    "systemd-networkd-wait-online.service",
    "systemd-network-generator.service",
    "NetworkManager.service",
    "NetworkManager-wait-online.service",
    "systemd-resolved.service",
    # services some machine images carry that have no place in a lab host
    "postgresql.service",
    "postgresql@.service",
    "logd.service",
    "ssh.socket",
]
# Mounts that stay copy-on-write views of the machine's directories.
OVERLAY_DIRS = ["/usr", "/etc", "/opt", "/srv", "/home", "/var"]


def log(msg: str) -> None:
    print(f"[node_init] {msg}", file=sys.stderr, flush=True)


def run(*argv: str) -> None:
    subprocess.run(list(argv), check=True)


def mount(fstype: str, src: str, target: str, opts: str = "") -> None:
    argv = ["mount", "-t", fstype]
    if opts:
        argv += ["-o", opts]
    run(*argv, src, target)


def bind(src: str, target: str, ro: bool = False) -> None:
    run("mount", "--bind", src, target)
    if ro:
        run("mount", "-o", "remount,bind,ro", target)


def stage_enter(cfg: dict, cfg_path: str) -> None:
    cg = Path(cfg["cgroup"])
    cg.mkdir(parents=True, exist_ok=True)
    (cg / "cgroup.procs").write_text("0\n")
    argv = [
        "unshare",
        "--mount",
        "--uts",
        "--ipc",
        "--pid",
        "--cgroup",
        "--fork",
        "--mount-proc",
        "--propagation",
        "private",
        "--",
        cfg["python"],
        os.path.abspath(__file__),
        "pid1",
        cfg_path,
    ]
    os.execvp(argv[0], argv)  # noqa: S606


def setup_overlays(cfg: dict) -> None:
    st = Path(cfg["state"])
    # The host's state dir becomes a mount of its own (stays writable: it holds
    # the overlays' upper dirs), then the machine's root is made read-only in
    # this mount namespace: what is not an overlay below cannot be changed.
    bind(str(st), str(st))
    run("mount", "-o", "remount,bind,ro", "/")
    for d in OVERLAY_DIRS:
        if not os.path.isdir(d) or os.path.islink(d):
            continue
        key = d.strip("/").replace("/", "_")
        upper, work = st / "upper" / key, st / "work" / key
        upper.mkdir(parents=True, exist_ok=True)
        work.mkdir(parents=True, exist_ok=True)
        if d == "/var":
            # /root is bound before /var is overlaid: the state dir lives under
            # /var/tmp and is not reachable through the /var overlay.
            (st / "root").mkdir(mode=0o700, exist_ok=True)
            bind(str(st / "root"), "/root")
        mount("overlay", "overlay", d, f"lowerdir={d},upperdir={upper},workdir={work}")
    # Hide every lab's state (keys, disks, other hosts' disks) from the host.
    state_root = cfg["state_root"]
    if os.path.isdir(state_root):
        mount("tmpfs", "tmpfs", state_root, "mode=0700,size=64k")


def detach(path: str) -> None:
    """Lazily unmount everything at or below path (the machine's view of it)."""
    with open("/proc/self/mountinfo") as f:
        mnts = [line.split()[4] for line in f]
    for m in sorted({m for m in mnts if m == path or m.startswith(path + "/")}, key=len, reverse=True):
        subprocess.run(["umount", "-l", m], check=False, stderr=subprocess.DEVNULL)


def setup_dev(cfg: dict) -> None:
    detach("/dev")
    mount("tmpfs", "tmpfs", "/dev", "mode=0755,nosuid,size=16m")
    for name, major, minor, mode in (
        ("null", 1, 3, 0o666),
        ("zero", 1, 5, 0o666),
        ("full", 1, 7, 0o666),
        ("random", 1, 8, 0o666),
        ("urandom", 1, 9, 0o666),
        ("tty", 5, 0, 0o666),
    ):
        path = f"/dev/{name}"
        os.mknod(path, 0o020000 | mode, os.makedev(major, minor))
        os.chmod(path, mode)
    # /dev/console: a host has no console; systemd's output goes to the log file.
    Path("/dev/console").touch()
    bind("/dev/null", "/dev/console")
    for d in ("pts", "shm", "mqueue", "lab"):
        os.mkdir(f"/dev/{d}")
    mount("devpts", "devpts", "/dev/pts", "newinstance,ptmxmode=0666,mode=0620,gid=5")
    os.symlink("pts/ptmx", "/dev/ptmx")
    mount("tmpfs", "tmpfs", "/dev/shm", "mode=1777,nosuid,nodev")  # noqa: S108  (the host's own, private)
    mount("mqueue", "mqueue", "/dev/mqueue")
    for link, target in (
        ("fd", "/proc/self/fd"),
        ("stdin", "/proc/self/fd/0"),
        ("stdout", "/proc/self/fd/1"),
        ("stderr", "/proc/self/fd/2"),
    ):
        os.symlink(target, f"/dev/{link}")
    for disk in cfg.get("disks", []):
        add_disk_node(disk)


def add_disk_node(disk: dict) -> None:
    """The shared loop device under its own name and as /dev/lab/<name>."""
    path = f"/dev/{os.path.basename(disk['dev'])}"
    if not os.path.exists(path):
        os.mknod(path, 0o060000 | 0o660, os.makedev(int(disk["major"]), int(disk["minor"])))
        os.chmod(path, 0o660)
    link = f"/dev/lab/{disk['name']}"
    if os.path.lexists(link):
        os.unlink(link)
    os.symlink(f"../{os.path.basename(path)}", link)


def setup_proc_sys(cfg: dict) -> None:
    """Fresh sysfs for this netns, own cgroup2, and safety masks in /proc."""
    detach("/sys")
    mount("sysfs", "sysfs", "/sys", "ro,nosuid,nodev,noexec")
    mount("cgroup2", "cgroup2", "/sys/fs/cgroup", "rw,nosuid,nodev,noexec")
    # SAFETY: sbd may fence by writing to /proc/sysrq-trigger and rewrites
    # kernel.sysrq.  Both are machine-wide: mask them as container runtimes do.
    masked = []
    if os.path.exists("/proc/sysrq-trigger"):
        bind("/dev/null", "/proc/sysrq-trigger")
        masked.append("/proc/sysrq-trigger")
    sysrq = "/proc/sys/kernel/sysrq"
    if os.path.exists(sysrq):
        copy = Path("/run/failover-lab-sysrq")
        copy.write_text(Path(sysrq).read_text())
        bind(str(copy), sysrq, ro=True)
        masked.append(sysrq)
    # kernel.* and vm.* are machine-wide: read-only.  net.* is per network
    # namespace: stays writable (IPaddr2, arp_* tuning).
    Path("/proc/sys/kernel/hostname").write_text(cfg["host"] + "\n")
    bind("/proc/sys", "/proc/sys")
    bind("/proc/sys/net", "/proc/sys/net")
    run("mount", "-o", "remount,bind,ro", "/proc/sys")
    log("sysrq masks: " + (", ".join(masked) if masked else "none needed (not present on this kernel)"))


def first_boot(cfg: dict) -> None:
    """Provision /etc once; later boots keep whatever the host changed."""
    etc = Path("/etc")
    (etc / "hostname").write_text(cfg["host"] + "\n")
    (etc / "hosts").write_text(cfg["hosts_file"])
    (etc / "machine-id").write_text(cfg["machine_id"] + "\n")
    dbus_id = Path("/var/lib/dbus/machine-id")  # D-Bus (and Ansible's fact) read this one first
    if dbus_id.parent.is_dir():
        dbus_id.unlink(missing_ok=True)
        dbus_id.symlink_to("/etc/machine-id")
    (etc / "fstab").write_text("# failover lab host: no filesystems to mount\n")
    (etc / "resolv.conf").unlink(missing_ok=True)
    (etc / "resolv.conf").write_text("# failover lab host: no name servers (no route out of the lab)\n")
    ssh = etc / "ssh"
    for key in ssh.glob("ssh_host_*"):
        key.unlink()
    for name, data in cfg["host_keys"].items():
        target = ssh / name
        target.write_text(data)
        target.chmod(0o600 if not name.endswith(".pub") else 0o644)
    conf = ssh / "sshd_config.d"
    conf.mkdir(exist_ok=True)
    (conf / "00-failover-lab.conf").write_text(
        "# written by the failover lab\n"
        "HostKey /etc/ssh/ssh_host_ed25519_key\n"
        "PermitRootLogin prohibit-password\n"
        "PasswordAuthentication no\n"
        "KbdInteractiveAuthentication no\n"
        "UseDNS no\n"
        "MaxStartups 100:30:200\n"
        "MaxSessions 100\n"
    )
    sshdir = Path("/root/.ssh")
    sshdir.mkdir(mode=0o700, exist_ok=True)
    (sshdir / "authorized_keys").write_text(cfg["authorized_key"])
    (sshdir / "authorized_keys").chmod(0o600)
    sysd = etc / "systemd" / "system"
    masks = list(DEFAULT_MASKS) + list(cfg.get("mask_units", []))
    # Timers would run the machine's maintenance jobs in every host.
    for d in (Path(SYSTEMD), sysd / "timers.target.wants"):
        if d.is_dir():
            masks += [p.name for p in d.iterdir() if p.name.endswith(".timer")]
    for unit in sorted(set(masks)):
        target = sysd / unit
        if target.is_symlink() or target.exists():
            target.unlink()
        target.symlink_to("/dev/null")
        for wants in sysd.glob("*.wants"):
            (wants / unit).unlink(missing_ok=True)
    wants = sysd / "multi-user.target.wants"
    wants.mkdir(exist_ok=True)
    if not (wants / "ssh.service").exists():
        (wants / "ssh.service").symlink_to(f"{SYSTEMD}/ssh.service")


def stage_pid1(cfg: dict) -> None:
    if os.getpid() != 1:
        raise SystemExit("node_init pid1 must run as PID 1 of a new PID namespace")
    # Read what is needed from the state dir now: once /var is overlaid, the
    # state dir (under /var/tmp) is out of reach.
    keydir = Path(cfg["state"]) / "ssh"
    cfg["host_keys"] = {n: (keydir / n).read_text() for n in ("ssh_host_ed25519_key", "ssh_host_ed25519_key.pub")}
    setup_overlays(cfg)
    for d, opts in (("/run", "mode=0755,nosuid,nodev,size=20%"), ("/tmp", "mode=1777,nosuid,nodev")):  # noqa: S108
        detach(d)
        mount("tmpfs", "tmpfs", d, opts)
    setup_proc_sys(cfg)
    setup_dev(cfg)
    marker = Path("/etc/.failover-lab-provisioned")
    if not marker.exists():
        first_boot(cfg)
        marker.write_text(cfg["host"] + "\n")
    os.makedirs("/run/systemd", exist_ok=True)
    Path("/run/systemd/container").write_text("failover-lab\n")
    os.chdir("/")
    env = {
        "container": "failover-lab",
        "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "LANG": "C.UTF-8",
    }
    log(f"exec systemd for {cfg['host']}")
    os.execve("/lib/systemd/systemd", ["/lib/systemd/systemd", "--system"], env)  # noqa: S606


def main() -> None:
    if len(sys.argv) != 3 or sys.argv[1] not in ("enter", "pid1"):
        raise SystemExit("usage: node_init.py enter|pid1 BOOT.json")
    cfg_path = sys.argv[2]
    cfg = json.loads(Path(cfg_path).read_text())
    if sys.argv[1] == "enter":
        stage_enter(cfg, cfg_path)
    else:
        stage_pid1(cfg)


if __name__ == "__main__":
    main()
