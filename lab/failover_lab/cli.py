"""labctl: the lab's command line."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from failover_lab import LabError, lab, spec, system

EPILOG = """\
examples:
  labctl up                                   # 3 hosts node1..node3 on 198.51.100.0/24, prefix fl
  labctl --prefix t1 up --hosts n1,n2,qs --group cluster=n1,n2 --group arbitrator=qs --nets 2 --disk lock0:64M
  labctl --prefix t1 up --spec lab.yml        # hosts/groups/networks/disks from a YAML or JSON file
  labctl --prefix t1 ssh n1                   # log in (or: labctl exec n1 bash)
  labctl --prefix t1 exec n1 -- systemctl status corosync
  labctl --prefix t1 partition n1 n2,qs       # cut n1 from n2 and qs (hosts in no group keep talking)
  labctl --prefix t1 heal
  labctl --prefix t1 crash n1 && labctl --prefix t1 start n1
  labctl --prefix t1 down                     # idempotent; exits 1 listing anything left behind
"""


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="labctl",
        description="Container-free multi-node lab (Linux namespaces).",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--prefix",
        default=os.environ.get("FAILOVER_LAB_PREFIX", "fl"),
        help="lab name; labs with different prefixes coexist (default: $FAILOVER_LAB_PREFIX or fl)",
    )
    # --prefix is accepted after the command too: labctl up --prefix t1
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--prefix", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    sub = p.add_subparsers(dest="cmd", required=True, metavar="COMMAND")

    up = sub.add_parser("up", parents=[common], help="create the lab and boot every host")
    up.add_argument("--spec", help="lab description file (YAML or JSON): hosts, networks, disks")
    up.add_argument("--hosts", help="comma-separated host names (default node1,node2,node3)")
    up.add_argument("--group", action="append", metavar="NAME=H1,H2", help="Ansible group (repeatable)")
    up.add_argument("--nets", type=int, default=0, help="number of default networks: 1 (net0) or 2 (net0, net1)")
    up.add_argument("--disk", action="append", metavar="NAME[:SIZE]", help="shared disk, e.g. lock0:64M (repeatable)")
    up.add_argument("--replace", action="store_true", help="tear down a lab with the same prefix first")
    up.add_argument("--wait", type=float, default=120, help="seconds to wait for sshd and systemd (0: no wait)")
    up.add_argument("--keep-on-failure", action="store_true", help="leave a failed lab in place for inspection")
    up.add_argument("--inventory", metavar="PATH", help="also write the Ansible inventory here")
    up.add_argument(
        "--owner",
        help="record who the lab belongs to (e.g. a Molecule scenario directory); "
        "--replace then refuses a lab that belongs to another owner",
    )

    dn = sub.add_parser("down", parents=[common], help="tear the lab down and verify nothing is left (idempotent)")
    dn.add_argument("--keep-state", action="store_true", help="keep the state dir (disks, logs)")
    dn.add_argument("--all", action="store_true", help="every lab found on this machine, not only --prefix")
    dn.add_argument("--owner", help="refuse to tear down a lab that belongs to another owner (see up --owner)")

    ex = sub.add_parser("exec", parents=[common], help="run a command in a host (default: a login shell)")
    ex.add_argument("host")
    ex.add_argument("argv", nargs=argparse.REMAINDER)

    ssh = sub.add_parser("ssh", parents=[common], help="ssh into a host (through the lab's relay)")
    ssh.add_argument("host")
    ssh.add_argument("argv", nargs=argparse.REMAINDER)

    st = sub.add_parser("status", parents=[common], help="show hosts, addresses, disks, partitions")
    st.add_argument("--json", action="store_true")

    sub.add_parser("list", parents=[common], help="list the labs on this machine")

    dk = sub.add_parser("disk", parents=[common], help="shared disks (loop devices in every host's /dev)")
    dk_sub = dk.add_subparsers(dest="disk_cmd", required=True, metavar="ACTION")
    dka = dk_sub.add_parser("add", parents=[common], help="create a shared disk: /dev/lab/NAME in every host")
    dka.add_argument("name")
    dka.add_argument("--size", default="64M")
    dkr = dk_sub.add_parser("rm", parents=[common], help="remove a shared disk")
    dkr.add_argument("name")
    dk_sub.add_parser("list", parents=[common], help="list shared disks")

    for name, helptext in (
        ("crash", "pull the host's links and SIGKILL its PID 1"),
        ("stop", "clean shutdown through systemd"),
        ("start", "boot a stopped/crashed host again (its disk is kept)"),
    ):
        c = sub.add_parser(name, parents=[common], help=helptext)
        c.add_argument("hosts", nargs="+")
        if name == "stop":
            c.add_argument("--timeout", type=float, default=60)
        if name == "start":
            c.add_argument("--wait", type=float, default=120)

    pt = sub.add_parser("partition", parents=[common], help="cut traffic between groups of hosts: partition A,B C")
    pt.add_argument("groups", nargs="+", help="comma-separated host groups; hosts in no group stay connected")
    pt.add_argument("--nets", help="only these networks (comma-separated; default all)")
    sub.add_parser("heal", parents=[common], help="remove every partition")

    inv = sub.add_parser("inventory", parents=[common], help="print (or write) an Ansible inventory for the lab")
    inv.add_argument("--output", "-o", help="write to this file instead of stdout")

    sub.add_parser("ssh-config", parents=[common], help="print the path of the lab's ssh config")
    return p


def _down(prefix: str, keep_state: bool) -> int:
    t0 = time.monotonic()
    left = lab.down(prefix, keep_state=keep_state)
    if not left.empty():
        print(f"labctl: lab {prefix}: LEFT BEHIND: {left.describe()}", file=sys.stderr)
        return 1
    print(f"labctl: lab {prefix} down, nothing left ({time.monotonic() - t0:.1f}s)")
    return 0


def _check_owner(prefix: str, owner: str | None) -> None:
    """Refuse to replace or tear down a lab that another owner recorded (labs share prefixes by name)."""
    current = lab.owner(prefix)
    if owner and current and current != owner:
        raise LabError(
            f"lab {prefix} belongs to {current}, not to {owner}; give this one another prefix "
            f"($FAILOVER_LAB_PREFIX, or the Molecule driver's lab.prefix), or tear that lab down by hand: "
            f"labctl --prefix {prefix} down"
        )


def _strip_dashdash(argv: list[str]) -> list[str]:
    return argv[1:] if argv and argv[0] == "--" else argv


def run(args: argparse.Namespace) -> int:
    prefix = args.prefix
    if not spec.PREFIX_RE.match(prefix):
        raise LabError(f"--prefix {prefix!r} is invalid: 1-32 characters from A-Z a-z 0-9 _ -")
    cmd = args.cmd
    if cmd == "up":
        s = spec.spec_from_args(prefix, args.hosts, args.group, args.nets, args.disk, args.spec)
        if args.replace and lab.exists(prefix):
            _check_owner(prefix, args.owner)
            rc = _down(prefix, keep_state=False)
            if rc:
                return rc
        the_lab = lab.Lab(s)
        if args.owner:
            the_lab.extra["owner"] = args.owner
        the_lab.up(wait=args.wait, keep_on_failure=args.keep_on_failure)
        if args.inventory:
            Path(args.inventory).write_text(the_lab.inventory())
        print(f"labctl: ssh config: {the_lab.ssh_config}")
        print(f"labctl: inventory:  {the_lab.dir / 'inventory.yml'}")
        return 0
    if cmd == "down":
        prefixes = lab.list_labs() if args.all else [prefix]
        if args.owner and not args.all:
            _check_owner(prefix, args.owner)
        return max([_down(p, args.keep_state) for p in prefixes] or [0])
    if cmd == "list":
        for p in lab.list_labs():
            print(p)
        return 0
    the_lab = lab.Lab.load(prefix)
    if cmd == "exec":
        argv = _strip_dashdash(args.argv) or ["/bin/bash", "-l"]
        return the_lab.exec(args.host, argv).returncode
    if cmd == "ssh":
        the_lab.spec.host(args.host)
        argv = ["ssh", "-F", str(the_lab.ssh_config), args.host, *_strip_dashdash(args.argv)]
        os.execvp("ssh", argv)  # noqa: S606
    if cmd == "status":
        st = the_lab.status()
        if args.json:
            print(json.dumps(st, indent=2))
        else:
            _print_status(st)
        return 0
    if cmd == "disk":
        if args.disk_cmd == "add":
            info = the_lab.disk_add(args.name, spec.parse_size_mb(args.size))
            print(f"labctl: disk {args.name}: {info['dev']} = /dev/lab/{args.name} in every host")
        elif args.disk_cmd == "rm":
            the_lab.disk_remove(args.name)
        else:
            for name, d in the_lab.extra["disks"].items():
                print(f"{name}\t/dev/lab/{name}\t{d['dev']}\t{d['size_mb']}M")
        return 0
    if cmd in ("crash", "stop", "start"):
        for h in args.hosts:
            the_lab.spec.host(h)
        for h in args.hosts:
            t0 = time.monotonic()
            if cmd == "crash":
                the_lab.crash(h)
            elif cmd == "stop":
                the_lab.stop(h, timeout=args.timeout)
            else:
                the_lab.start(h, wait=args.wait)
            print(f"labctl: {cmd} {h}: {the_lab.state(h)} ({time.monotonic() - t0:.1f}s)")
        return 0
    if cmd == "partition":
        groups = [[h.strip() for h in g.split(",") if h.strip()] for g in args.groups]
        nets = [n.strip() for n in args.nets.split(",")] if args.nets else None
        the_lab.partition(groups, nets)
        print(f"labctl: partitioned {' | '.join(','.join(g) for g in groups)}")
        return 0
    if cmd == "heal":
        the_lab.heal()
        print("labctl: healed: every host reaches every other host again")
        return 0
    if cmd == "inventory":
        text = the_lab.inventory()
        if args.output:
            Path(args.output).write_text(text)
        else:
            sys.stdout.write(text)
        return 0
    if cmd == "ssh-config":
        print(the_lab.ssh_config)
        return 0
    raise LabError(f"unknown command {cmd}")


def _print_status(st: dict) -> None:
    print(f"lab {st['prefix']}  (state {st['state_dir']}, controller netns {st['controller_ns']})")
    for name, n in st["networks"].items():
        print(f"  network {name}: {n['cidr']} bridge {n['bridge']}, controller {n['controller']}")
    for name, h in st["hosts"].items():
        addrs = " ".join(f"{k}={v}" for k, v in h["addresses"].items())
        groups = ",".join(h["groups"]) or "-"
        print(f"  host {name:<12} {h['state']:<10} pid1={h['pid1'] or '-':<8} groups={groups:<16} {addrs}")
    for name, d in st["disks"].items():
        print(f"  disk {name}: {d['in_hosts']} ({d['dev']}, {d['size_mb']}M)")
    for p in st["partitions"]:
        print(f"  partition: {' | '.join(','.join(g) for g in p['groups'])} on {','.join(p['nets'])}")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        system.require_root()
        return run(args)
    except LabError as exc:
        print(f"labctl: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
