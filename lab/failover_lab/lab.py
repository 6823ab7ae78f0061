"""Lab operations: up, down, start, stop, crash, exec, disks, partitions."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from failover_lab import LabError, system
from failover_lab.spec import LabSpec

PKG_DIR = Path(__file__).resolve().parent
NODE_INIT = PKG_DIR / "node_init.py"
SUPERVISOR = PKG_DIR / "supervisor.py"
RELAY = PKG_DIR / "relay.py"
NFT_TABLE = "failover_lab"
TOOLS = ["ip", "unshare", "nsenter", "mount", "umount", "losetup", "ssh", "ssh-keygen", "sshd"]


def state_root() -> Path:
    # Root-only: up() refuses a state root that others could write to.
    return Path(os.environ.get("FAILOVER_LAB_STATE_ROOT", "/var/tmp/failover-lab"))  # noqa: S108


def lab_dir(prefix: str) -> Path:
    return state_root() / prefix


def cgroup_dir(prefix: str) -> Path:
    return system.cgroup2_mount() / "failover-lab" / prefix


def log(msg: str) -> None:
    print(f"labctl: {msg}", flush=True)


@dataclass
class Leftovers:
    """What ``down`` found still present after teardown."""

    namespaces: list[str] = field(default_factory=list)
    processes: list[int] = field(default_factory=list)
    mounts: list[str] = field(default_factory=list)
    loops: list[str] = field(default_factory=list)
    cgroups: list[str] = field(default_factory=list)
    state: list[str] = field(default_factory=list)

    def empty(self) -> bool:
        return not any(getattr(self, k) for k in self.__dataclass_fields__)

    def describe(self) -> str:
        return "; ".join(f"{k}: {', '.join(map(str, v))}" for k, v in vars(self).items() if v)


class Lab:
    def __init__(self, spec: LabSpec, extra: dict | None = None):
        self.spec = spec
        self.extra = extra or {"disks": {}, "partitions": []}
        self.dir = lab_dir(spec.prefix)

    # ------------------------------------------------------------ persistence
    @classmethod
    def load(cls, prefix: str) -> Lab:
        path = lab_dir(prefix) / "lab.json"
        if not path.exists():
            raise LabError(f"no lab {prefix!r} (no {path}); bring one up with: labctl --prefix {prefix} up")
        data = json.loads(path.read_text())
        spec = LabSpec.from_dict(data["spec"], prefix=prefix)
        return cls(spec, data.get("extra"))

    def save(self) -> None:
        tmp = self.dir / "lab.json.tmp"
        tmp.write_text(json.dumps({"spec": self.spec.to_dict(), "extra": self.extra}, indent=2) + "\n")
        tmp.replace(self.dir / "lab.json")

    def host_dir(self, host: str) -> Path:
        return self.dir / "hosts" / host

    @property
    def ssh_config(self) -> Path:
        return self.dir / "ssh_config"

    @property
    def key(self) -> Path:
        return self.dir / "id_ed25519"

    # ------------------------------------------------------------------- up
    def up(self, wait: float = 90.0, keep_on_failure: bool = False) -> None:
        system.require_root()
        system.require_tools(TOOLS)
        if exists(self.spec.prefix):
            raise LabError(
                f"lab {self.spec.prefix!r} already exists; tear it down first "
                f"(labctl --prefix {self.spec.prefix} down) or use up --replace"
            )
        t0 = time.monotonic()
        check_state_root()
        try:
            self.dir.mkdir(mode=0o700)
            (self.dir / "cp").mkdir(mode=0o700)
            self.save()
            self._make_keys()
            self._make_network()
            for d in self.spec.disks:
                self._attach_disk(d.name, d.size_mb)
            self.save()
            self._write_ssh_files()
            for h in self.spec.host_names:
                self._write_boot(h)
                self._spawn(h)
            self.wait_ready(self.spec.host_names, wait)
        except BaseException:
            if keep_on_failure:
                log(f"up failed; lab left as is for inspection: {self.dir} (labctl --prefix {self.spec.prefix} down)")
            else:
                log("up failed; tearing the partial lab down")
                down(self.spec.prefix)
            raise
        log(f"lab {self.spec.prefix} up: {len(self.spec.hosts)} hosts in {time.monotonic() - t0:.1f}s")

    def _show_console_tails(self, lines: int = 15, hosts: list[str] | None = None) -> None:
        for h in hosts or self.spec.host_names:
            for name in ("supervisor.log", "console.log"):
                path = self.host_dir(h) / name
                try:
                    tail = path.read_text(errors="replace").splitlines()[-lines:]
                except OSError:
                    continue
                if tail:
                    log(f"{h}: last lines of {name}:\n    " + "\n    ".join(tail))

    def _make_keys(self) -> None:
        system.run(
            [
                "ssh-keygen",
                "-q",
                "-t",
                "ed25519",
                "-N",
                "",
                "-C",
                f"failover-lab-{self.spec.prefix}",
                "-f",
                str(self.key),
            ]
        )
        self.key.chmod(0o600)
        for h in self.spec.host_names:
            hd = self.host_dir(h)
            (hd / "ssh").mkdir(parents=True)
            system.run(
                [
                    "ssh-keygen",
                    "-q",
                    "-t",
                    "ed25519",
                    "-N",
                    "",
                    "-C",
                    f"root@{h}",
                    "-f",
                    str(hd / "ssh" / "ssh_host_ed25519_key"),
                ]
            )
            (hd / "machine-id").write_text(uuid.uuid4().hex + "\n")

    def _make_network(self) -> None:
        s = self.spec
        ctl = s.ctl_ns
        system.run(["ip", "netns", "add", ctl])
        system.run(["ip", "-n", ctl, "link", "set", "lo", "up"])
        for n in s.networks:
            br = s.bridge(n.name)
            system.run(
                [
                    "ip",
                    "-n",
                    ctl,
                    "link",
                    "add",
                    br,
                    "type",
                    "bridge",
                    "forward_delay",
                    "0",
                    "stp_state",
                    "0",
                    "mcast_snooping",
                    "0",
                ]
            )
            system.run(["ip", "-n", ctl, "link", "set", br, "alias", f"{s.prefix}:{n.name}"])
            system.run(["ip", "-n", ctl, "addr", "add", f"{n.gateway}/{n.net.prefixlen}", "dev", br])
            system.run(["ip", "-n", ctl, "link", "set", br, "up"])
        for h in s.hosts:
            ns = s.host_ns(h.name)
            system.run(["ip", "netns", "add", ns])
            for net in h.networks:
                peer, inner = s.peer_ifname(h.name, net), s.host_ifname(h.name, net)
                system.run(["ip", "-n", ctl, "link", "add", peer, "type", "veth", "peer", "name", inner, "netns", ns])
                system.run(["ip", "-n", ctl, "link", "set", peer, "alias", f"{h.name}:{net}"])
                system.run(["ip", "-n", ctl, "link", "set", peer, "master", s.bridge(net), "up"])
        self._apply_partitions()

    def _boot_cfg(self, host: str) -> dict:
        s = self.spec
        h = s.host(host)
        hd = self.host_dir(host)
        links = [
            {"ifname": s.host_ifname(host, net), "address": h.addresses[net], "prefixlen": s.network(net).net.prefixlen}
            for net in h.networks
        ]
        return {
            "host": host,
            "prefix": s.prefix,
            "state": str(hd),
            "state_root": str(state_root()),
            "cgroup": str(cgroup_dir(s.prefix) / host),
            "python": system.helper_python(),
            "node_init": str(NODE_INIT),
            "links": links,
            "disks": [dict(v, name=k) for k, v in self.extra["disks"].items()],
            "hosts_file": self._hosts_file(),
            "machine_id": (hd / "machine-id").read_text().strip(),
            "authorized_key": self.key.with_suffix(".pub").read_text(),
            "mask_units": s.mask_units,
            "on_reboot": s.on_reboot,
        }

    def _write_boot(self, host: str) -> None:
        path = self.host_dir(host) / "boot.json"
        path.write_text(json.dumps(self._boot_cfg(host), indent=2) + "\n")

    def _hosts_file(self) -> str:
        """Every lab address by name: HOST on its first network, HOST-NET on each."""
        lines = ["127.0.0.1\tlocalhost", "::1\tlocalhost ip6-localhost ip6-loopback", ""]
        for h in self.spec.hosts:
            for i, net in enumerate(h.networks):
                names = f"{h.name} {h.name}-{net}" if i == 0 else f"{h.name}-{net}"
                lines.append(f"{h.addresses[net]}\t{names}")
        return "\n".join(lines) + "\n"

    def _write_ssh_files(self) -> None:
        s = self.spec
        kh = []
        for h in s.hosts:
            pub = (self.host_dir(h.name) / "ssh" / "ssh_host_ed25519_key.pub").read_text().split()
            names = ",".join([h.name, *h.addresses.values()])
            kh.append(f"{names} {pub[0]} {pub[1]}")
        (self.dir / "known_hosts").write_text("\n".join(kh) + "\n")
        lines = [f"# failover lab {s.prefix}: ssh -F {self.ssh_config} HOST", ""]
        for h in s.hosts:
            lines += [f"Host {h.name}", f"    HostName {s.primary_address(h.name)}", ""]
        lines += [
            "Host *",
            "    User root",
            f"    IdentityFile {self.key}",
            "    IdentitiesOnly yes",
            f"    UserKnownHostsFile {self.dir / 'known_hosts'}",
            "    GlobalKnownHostsFile /dev/null",
            "    StrictHostKeyChecking yes",
            "    CheckHostIP no",
            f"    ProxyCommand {proxy_command(s.ctl_ns)}",
            "    ControlMaster auto",
            f"    ControlPath {control_path(s.prefix)}",
            "    ControlPersist 60s",
            "    ServerAliveInterval 5",
            "    ServerAliveCountMax 3",
            "    ConnectTimeout 15",
            "    LogLevel ERROR",
            "",
        ]
        self.ssh_config.write_text("\n".join(lines))
        (self.dir / "inventory.yml").write_text(self.inventory())

    # ---------------------------------------------------------- boot / wait
    def _spawn(self, host: str) -> None:
        """Start the host's supervisor (detached) and wait until its PID 1 exists."""
        hd = self.host_dir(host)
        ns = self.spec.host_ns(host)
        (hd / "last_exit").unlink(missing_ok=True)
        with open(hd / "supervisor.log", "ab") as out:
            proc = subprocess.Popen(
                [
                    "nsenter",
                    f"--net=/run/netns/{ns}",
                    "--",
                    system.helper_python(),
                    str(SUPERVISOR),
                    str(hd / "boot.json"),
                ],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=out,
                start_new_session=True,
                close_fds=True,
            )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.pid1(host):
                return
            if (hd / "last_exit").exists() or proc.poll() is not None:
                break  # the first boot ended already
            time.sleep(0.02)
        self._show_console_tails(hosts=[host])
        raise LabError(f"host {host} did not boot (see {hd / 'supervisor.log'} and {hd / 'console.log'})")

    def wait_ready(self, hosts: list[str], timeout: float) -> None:
        """Wait until sshd answers on every host and systemd finished booting."""
        if timeout <= 0:
            return
        deadline = time.monotonic() + timeout
        addrs = [self.spec.primary_address(h) for h in hosts]
        proc = system.run(
            [
                "ip",
                "netns",
                "exec",
                self.spec.ctl_ns,
                system.helper_python(),
                str(RELAY),
                "--wait-ssh",
                str(timeout),
                *addrs,
            ],
            check=False,
            timeout=timeout + 10,
        )
        if proc.returncode != 0:
            self._show_console_tails(hosts=hosts)
            raise LabError(
                f"sshd did not answer within {timeout:.0f}s on: {proc.stdout.strip()} "
                f"(see {self.dir}/hosts/<host>/console.log)"
            )
        procs = {h: self.exec_popen(h, ["systemctl", "is-system-running", "--wait"]) for h in hosts}
        bad = {}
        for h, p in procs.items():
            try:
                out, _ = p.communicate(timeout=max(1.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.kill()
                out, _ = p.communicate()
                bad[h] = "still booting"
                continue
            state = out.strip()
            if state not in ("running", "degraded"):
                bad[h] = state or f"rc={p.returncode}"
        if bad:
            self._show_console_tails(hosts=list(bad))
            raise LabError("hosts did not finish booting: " + ", ".join(f"{h} ({s})" for h, s in bad.items()))

    # ------------------------------------------------------------ per host
    def supervisor_pid(self, host: str) -> int | None:
        pid = system.read_pid(self.host_dir(host) / "supervisor.pid")
        return pid if pid and system.alive(pid) else None

    def pid1(self, host: str) -> int | None:
        """The host's PID 1 as seen from the machine, verified by its cgroup."""
        upid = system.read_pid(self.host_dir(host) / "unshare.pid")
        if not upid or not system.alive(upid):
            return None
        cg = f"/failover-lab/{self.spec.prefix}/{host}"
        for child in system.children(upid):
            c = system.proc_cgroup(child)
            if c == cg or c.startswith(cg + "/"):
                return child
        return None

    def state(self, host: str) -> str:
        if self.pid1(host):
            return "running"
        if self.supervisor_pid(host):
            return "booting"
        try:
            last = json.loads((self.host_dir(host) / "last_exit").read_text())
        except (OSError, ValueError):
            return "stopped"
        intent, how = last.get("intent"), last.get("how", "")
        if intent == "crash":
            return "crashed"
        if intent in ("stop", "down") or how == "signal SIGINT":
            return "stopped"
        if how == "signal SIGHUP":
            return "down (rebooted; on_reboot is stay-down)"
        return f"down (PID 1 ended: {how})"

    def require_running(self, host: str) -> int:
        self.spec.host(host)
        pid = self.pid1(host)
        if not pid:
            raise LabError(
                f"host {host} is not running ({self.state(host)}); start it with: "
                f"labctl --prefix {self.spec.prefix} start {host}"
            )
        return pid

    def nsenter_argv(self, host: str, argv: list[str]) -> list[str]:
        pid = self.require_running(host)
        return [
            "nsenter",
            "-t",
            str(pid),
            "-m",
            "-u",
            "-i",
            "-n",
            "-p",
            "-C",
            "-r",
            "-w",
            "--",
            "/usr/bin/env",
            "-i",
            f"PATH={system.PATH}",
            "HOME=/root",
            "LANG=C.UTF-8",
            "USER=root",
            f"TERM={os.environ.get('TERM', 'dumb')}",
            *argv,
        ]

    def exec_popen(self, host: str, argv: list[str]) -> subprocess.Popen:
        return subprocess.Popen(
            self.nsenter_argv(host, argv),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def exec(
        self, host: str, argv: list[str], *, capture: bool = False, timeout: float | None = None, check: bool = False
    ) -> subprocess.CompletedProcess:
        cmd = self.nsenter_argv(host, argv)
        proc = subprocess.run(
            cmd,
            text=True,
            timeout=timeout,
            check=False,
            stdout=subprocess.PIPE if capture else None,
            stderr=subprocess.PIPE if capture else None,
        )
        if check and proc.returncode != 0:
            raise LabError(f"{host}: {' '.join(argv)} failed (rc={proc.returncode}): {(proc.stderr or '').strip()}")
        return proc

    def crash(self, host: str) -> None:
        """Pull the host's links, then SIGKILL its PID 1 (the kernel ends the PID namespace)."""
        pid = self.require_running(host)
        (self.host_dir(host) / "intent").write_text("crash\n")
        ns = self.spec.host_ns(host)
        for net in self.spec.host(host).networks:
            system.run(["ip", "-n", ns, "link", "set", self.spec.host_ifname(host, net), "down"], check=False)
        system.kill(pid, signal.SIGKILL)
        self._wait_supervisor_exit(host, 10)

    def stop(self, host: str, timeout: float = 60) -> None:
        """Clean shutdown through systemd (poweroff.target); SIGKILL after timeout."""
        pid = self.pid1(host)
        if not pid:
            log(f"{host} is already down")
            return
        (self.host_dir(host) / "intent").write_text("stop\n")
        system.kill(pid, signal.SIGRTMIN + 4)  # systemd: start poweroff.target
        if not self._wait_supervisor_exit(host, timeout, raise_error=False):
            log(f"{host}: no clean shutdown within {timeout:.0f}s; killing PID 1")
            system.kill(pid, signal.SIGKILL)
            self._wait_supervisor_exit(host, 10)

    def start(self, host: str, wait: float = 90.0) -> None:
        self.spec.host(host)
        if self.supervisor_pid(host):
            log(f"{host} is already running")
            return
        self._write_boot(host)
        self._spawn(host)
        self.wait_ready([host], wait)

    def _wait_supervisor_exit(self, host: str, timeout: float, raise_error: bool = True) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.supervisor_pid(host):
                return True
            time.sleep(0.05)
        if raise_error:
            raise LabError(f"{host}: supervisor did not finish within {timeout:.0f}s")
        return False

    # ---------------------------------------------------------------- disks
    def _attach_disk(self, name: str, size_mb: int) -> dict:
        if name in self.extra["disks"]:
            raise LabError(f"lab {self.spec.prefix} already has a disk {name!r}")
        ddir = self.dir / "disks"
        ddir.mkdir(exist_ok=True)
        img = ddir / f"{name}.img"
        with open(img, "wb") as f:
            f.truncate(size_mb * 1024 * 1024)
        dev = system.run(["losetup", "--find", "--show", str(img)]).stdout.strip()
        major, minor = system.dev_numbers(dev)
        info = {"dev": dev, "major": major, "minor": minor, "file": str(img), "size_mb": size_mb}
        self.extra["disks"][name] = info
        return info

    def disk_add(self, name: str, size_mb: int) -> dict:
        from failover_lab.spec import DISK_NAME_RE  # noqa: PLC0415

        if not DISK_NAME_RE.match(name):
            raise LabError(f"disk name {name!r} is invalid")
        info = self._attach_disk(name, size_mb)
        self.save()
        for h in self.spec.host_names:
            self._write_boot(h)
            pid = self.pid1(h)
            if pid:
                # The host's /tmp (and so a checkout under /tmp) is private to the host: hand
                # node_init's source over instead of a path to it.
                code = (
                    "import json, sys, types; m = types.ModuleType('node_init'); "
                    "exec(compile(sys.argv[1], 'node_init.py', 'exec'), m.__dict__); "
                    "m.add_disk_node(json.loads(sys.argv[2]))"
                )
                system.run(
                    [
                        "nsenter",
                        "-t",
                        str(pid),
                        "-m",
                        "--",
                        system.helper_python(),
                        "-c",
                        code,
                        (PKG_DIR / "node_init.py").read_text(),
                        json.dumps(dict(info, name=name)),
                    ]
                )
        return info

    def disk_remove(self, name: str) -> None:
        info = self.extra["disks"].get(name)
        if not info:
            raise LabError(f"lab {self.spec.prefix} has no disk {name!r}")
        for h in self.spec.host_names:
            pid = self.pid1(h)
            if pid:
                system.run(
                    [
                        "nsenter",
                        "-t",
                        str(pid),
                        "-m",
                        "--",
                        "rm",
                        "-f",
                        f"/dev/lab/{name}",
                        f"/dev/{os.path.basename(info['dev'])}",
                    ],
                    check=False,
                )
        system.run(["losetup", "-d", info["dev"]], check=False)
        Path(info["file"]).unlink(missing_ok=True)
        del self.extra["disks"][name]
        self.save()
        for h in self.spec.host_names:
            self._write_boot(h)

    # ----------------------------------------------------------- partitions
    def partition(self, groups: list[list[str]], nets: list[str] | None) -> None:
        for g in groups:
            for h in g:
                self.spec.host(h)
        flat = [h for g in groups for h in g]
        if len(set(flat)) != len(flat):
            raise LabError("partition: a host appears in more than one group")
        if len(groups) < 2:
            raise LabError("partition: give at least two groups, e.g. partition node1,node2 node3")
        nets = nets or [n.name for n in self.spec.networks]
        for n in nets:
            self.spec.network(n)
        self.extra["partitions"].append({"groups": groups, "nets": nets})
        self._apply_partitions()
        self.save()

    def heal(self) -> None:
        self.extra["partitions"] = []
        self._apply_partitions()
        self.save()

    def _apply_partitions(self) -> None:
        """Bridge-level drop rules in the controller namespace (nftables).

        Traffic between hosts of different groups is dropped in the bridges'
        forward hook (all protocols, ARP included).  Hosts that are in no group
        keep talking to everyone; the controller (ssh) reaches every host.
        """
        rules = []
        for p in self.extra.get("partitions", []):
            groups = p["groups"]
            for i, ga in enumerate(groups):
                for gb in groups[i + 1 :]:
                    for net in p["nets"]:
                        for a in ga:
                            for b in gb:
                                if net not in self.spec.host(a).networks or net not in self.spec.host(b).networks:
                                    continue
                                pa, pb = self.spec.peer_ifname(a, net), self.spec.peer_ifname(b, net)
                                rules.append(f'    iifname "{pa}" oifname "{pb}" drop')
                                rules.append(f'    iifname "{pb}" oifname "{pa}" drop')
        if not rules and not self.extra.get("partitions_applied"):
            return
        system.require_tools(["nft"])
        script = "\n".join(
            [
                f"table bridge {NFT_TABLE}",
                f"delete table bridge {NFT_TABLE}",
                f"table bridge {NFT_TABLE} {{",
                "  chain forward {",
                "    type filter hook forward priority 0; policy accept;",
                *rules,
                "  }",
                "}",
                "",
            ]
        )
        system.run(["ip", "netns", "exec", self.spec.ctl_ns, "nft", "-f", "-"], input=script)
        self.extra["partitions_applied"] = bool(rules)

    # ---------------------------------------------------------- status/inv
    def status(self) -> dict:
        out = {
            "prefix": self.spec.prefix,
            "state_dir": str(self.dir),
            "ssh_config": str(self.ssh_config),
            "control_path": control_path(self.spec.prefix),
            "identity_file": str(self.key),
            "owner": self.extra.get("owner"),
            "controller_ns": self.spec.ctl_ns,
            "networks": {},
            "hosts": {},
            "disks": {},
            "partitions": self.extra.get("partitions", []),
        }
        for n in self.spec.networks:
            out["networks"][n.name] = {"cidr": n.cidr, "bridge": self.spec.bridge(n.name), "controller": n.gateway}
        for h in self.spec.hosts:
            out["hosts"][h.name] = {
                "address": self.spec.primary_address(h.name),
                "state": self.state(h.name),
                "pid1": self.pid1(h.name),
                "groups": h.groups,
                "addresses": h.addresses,
                "netns": self.spec.host_ns(h.name),
            }
        for name, d in self.extra["disks"].items():
            out["disks"][name] = {"dev": d["dev"], "in_hosts": f"/dev/lab/{name}", "size_mb": d["size_mb"]}
        return out

    def inventory(self) -> str:
        s = self.spec
        lines = [
            f"# Ansible inventory for failover lab {s.prefix} (written by labctl)",
            "all:",
            "  vars:",
            "    ansible_user: root",
            f"    ansible_ssh_private_key_file: {self.key}",
            f"    ansible_ssh_common_args: -F {self.ssh_config} -o ControlPath={control_path(s.prefix)}",
            "    ansible_ssh_pipelining: true",
            f"    failover_lab_prefix: {s.prefix}",
            "  hosts:",
        ]
        for h in s.hosts:
            lines.append(f"    {h.name}:")
            lines.append(f"      ansible_host: {s.primary_address(h.name)}")
            lines.append("      failover_lab_addresses:")
            lines += [f"        {net}: {addr}" for net, addr in h.addresses.items()]
        groups = s.groups()
        if groups:
            lines.append("  children:")
            for g, members in groups.items():
                lines.append(f"    {g}:")
                lines.append("      hosts:")
                lines += [f"        {m}: {{}}" for m in members]
        return "\n".join(lines) + "\n"


def proxy_command(ctl_ns: str) -> str:
    """ssh reaches hosts through a relay run in the lab's controller namespace."""
    return f"{shutil.which('ip') or 'ip'} netns exec {ctl_ns} {system.helper_python()} {RELAY} %h %p"


def control_path(prefix: str) -> str:
    """The lab's own ssh ControlPath.  Labs use the same addresses, so a shared
    directory would mix them up; a unix socket path must stay under ~104 bytes
    (ssh adds a 17-character suffix while it creates the socket)."""
    return str(lab_dir(prefix) / "cp" / "%r@%h:%p")


def owner(prefix: str) -> str | None:
    """The owner recorded by ``up --owner`` (None: no lab, no owner, or unreadable state)."""
    try:
        data = json.loads((lab_dir(prefix) / "lab.json").read_text())
    except (OSError, ValueError):
        return None
    value = (data.get("extra") or {}).get("owner")
    return str(value) if value else None


def check_state_root() -> None:
    root = state_root()
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    st = root.stat()
    if st.st_uid != 0 or st.st_mode & 0o022:
        raise LabError(f"state root {root} must be owned by root and not group/world-writable")
    longest = len(control_path("x" * 32).replace("%r@%h:%p", "root@255.255.255.255:22")) + 17
    if longest > 104:
        raise LabError(f"state root {root} is too long for ssh control sockets; set FAILOVER_LAB_STATE_ROOT shorter")


# ----------------------------------------------------------------- discovery
def lab_namespaces(prefix: str) -> list[str]:
    return [n for n in system.netns_list() if n == f"{prefix}ctl" or n.startswith(f"{prefix}.")]


def exists(prefix: str) -> bool:
    try:
        cg = cgroup_dir(prefix).exists()
    except LabError:
        cg = False
    return lab_dir(prefix).exists() or bool(lab_namespaces(prefix)) or cg


def list_labs() -> list[str]:
    found = set()
    root = state_root()
    if root.is_dir():
        found |= {p.name for p in root.iterdir() if p.is_dir()}
    for n in system.netns_list():
        if n.endswith("ctl") and "." not in n:
            found.add(n[:-3])
    return sorted(found)


def down(prefix: str, keep_state: bool = False) -> Leftovers:
    """Tear a lab down completely (idempotent), then verify nothing is left."""
    system.require_root()
    d = lab_dir(prefix)
    cg = cgroup_dir(prefix)
    hosts_dir = d / "hosts"
    # 1. every host's PID 1 first (intent "down": its supervisor will not boot
    #    it again), so the parents reap their children and nothing is orphaned;
    #    then anything still in the lab's cgroups, supervisors included.
    sups: list[int] = []
    if hosts_dir.is_dir():
        for hd in hosts_dir.iterdir():
            if not hd.is_dir():
                continue
            try:
                (hd / "intent").write_text("down\n")
            except OSError:
                pass
            pid = system.read_pid(hd / "supervisor.pid")
            if pid and system.alive(pid) and str(hd / "boot.json").encode() in _cmdline(pid):
                sups.append(pid)
    if cg.is_dir():
        for sub in sorted(cg.iterdir()):
            if sub.is_dir():
                system.cgroup_kill(sub)
    system.wait_gone(sups, 5)
    for pid in sups:
        system.kill(pid, signal.SIGKILL)
    # 3. whatever still lives in the lab's network namespaces (relays, stray
    #    processes) and the ssh masters that own the relays.
    nss = lab_namespaces(prefix)
    victims: set[int] = set()
    for ns in nss:
        for pid in system.netns_pids(ns):
            victims.add(pid)
            parent = system.ppid(pid)
            if parent > 1 and system.comm(parent) == "ssh":
                victims.add(parent)
    victims |= set(lab_helper_pids(d))
    victims.discard(os.getpid())
    for pid in victims:
        system.kill(pid, signal.SIGKILL)
    system.wait_gone(list(victims) + system.cgroup_procs(cg), 10)
    # 4. namespaces, loop devices, stray mounts, cgroups, state.
    for ns in nss:
        system.netns_delete(ns)
    for dev in system.loops_backed_by(str(d)):
        system.run(["losetup", "-d", dev], check=False)
    for m in sorted(system.mounts_under(str(d)), key=len, reverse=True):
        system.run(["umount", "-l", m], check=False)
    system.cgroup_remove(cg)
    try:
        cg.parent.rmdir()  # failover-lab/, if no other lab uses it
    except OSError:
        pass
    if not keep_state and d.exists():
        shutil.rmtree(d, ignore_errors=True)
    return verify(prefix, keep_state)


def verify(prefix: str, keep_state: bool = False) -> Leftovers:
    d = lab_dir(prefix)
    cg = cgroup_dir(prefix)
    left = Leftovers()
    deadline = time.monotonic() + 5
    while True:
        left = Leftovers(
            namespaces=lab_namespaces(prefix),
            processes=sorted(set(system.cgroup_procs(cg)) | set(lab_helper_pids(d))),
            mounts=system.mounts_under(str(d)),
            loops=system.loops_backed_by(str(d)),
            cgroups=[str(cg)] if cg.exists() else [],
            state=[str(d)] if d.exists() and not keep_state else [],
        )
        if left.empty() or time.monotonic() > deadline:
            return left
        time.sleep(0.1)


def lab_helper_pids(d: Path) -> list[int]:
    """The lab's own helper processes outside its namespaces: supervisors not
    yet in a namespace, nsenter/unshare wrappers, ssh clients using its config."""
    names = ("ssh", "nsenter", "unshare", "ip", "python3", "python3.11", "python3.12", "python3.13")
    return [p for p in system.pids_referencing(str(d) + "/") if system.comm(p) in names]


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""
