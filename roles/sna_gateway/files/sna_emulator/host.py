"""``snahost``: the remote SNA host (the mainframe side) of the emulator.

It listens for the emulator's EE-like datagrams, owns a set of PUs, lets one node at a time
activate each PU (optionally only from given source addresses or MAC addresses), keeps a PU
active until it is deactivated, forced out, or its owner stays silent longer than the stale
timer, and answers ``snahost query`` on a unix socket in its state directory.
"""

from __future__ import annotations

import argparse
import configparser
import heapq
import ipaddress
import json
import logging
import os
import signal
import socket
import sys
import threading
import time
from pathlib import Path

from sna_emulator import control
from sna_emulator.protocol import MAX_DATAGRAM, decode, encode, new_id
from sna_emulator.textio import format_blocks, format_error, split_command

log = logging.getLogger("snahost")

DEFAULT_STATE_DIR = "/var/lib/snahost"
DEFAULT_CONFIG = "/etc/snahost.conf"


def iso(ts: float | None) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts)) if ts else ""


def read_arp(path: Path) -> dict[str, str]:
    """IP -> MAC from a /proc/net/arp style table (complete entries only)."""
    table: dict[str, str] = {}
    try:
        lines = path.read_text().splitlines()[1:]
    except OSError:
        return table
    for line in lines:
        fields = line.split()
        if len(fields) >= 4 and fields[2] != "0x0":
            table[fields[0]] = fields[3].lower()
    return table


PENDING = "PENDING_ACTIVE"  # an ACTPU accepted, its answer held back by the activation delay
HELD = ("ACTIVE", PENDING)  # states in which a PU belongs to one node


class PU:
    def __init__(self, name: str, addresses=(), macs=(), description: str = "", act_delay: float | None = None,
                 refuse: bool = False):
        self.name = name
        self.refuse = refuse  # the host's operator keeps the PU unavailable: every ACTPU is refused
        self.act_delay = act_delay  # None: the host's delay
        self.allowed_addresses = [ipaddress.ip_network(a.strip(), strict=False) for a in addresses if a.strip()]
        self.allowed_macs = {m.strip().lower() for m in macs if m.strip()}
        self.description = description
        self.state = "INACTIVE"
        self.owner: dict = {}
        self.session = ""
        self.corr = ""
        self.since: float | None = None
        self.last_heard = 0.0
        self.last_ka = 0.0
        self.activations = 0
        self.last_deactivation = ""
        self.last_deactivation_at: float | None = None

    def query(self) -> dict:
        return {
            "pu_name": self.name,
            "pu_state": self.state,
            "owner_cp_name": self.owner.get("cp_name", ""),
            "owner_node_id": self.owner.get("node_id", ""),
            "owner_hostname": self.owner.get("hostname", ""),
            "owner_instance": self.owner.get("instance", ""),
            "owner_address": self.owner.get("address", ""),
            "owner_port": self.owner.get("port", ""),
            "owner_mac": self.owner.get("mac", ""),
            "owner_ls_name": self.owner.get("ls", ""),
            "session_id": self.session,
            "active_since": iso(self.since),
            "activations": self.activations,
            "last_deactivation": self.last_deactivation,
            "last_deactivation_at": iso(self.last_deactivation_at),
            "allowed_addresses": " ".join(str(n) for n in self.allowed_addresses) or "ANY",
            "allowed_macs": " ".join(sorted(self.allowed_macs)) or "ANY",
            "description": self.description,
            "act_delay": "" if self.act_delay is None else f"{self.act_delay:g}",
            "refuse_activation": "YES" if self.refuse else "NO",
        }


class Host:
    def __init__(
        self,
        listen: tuple[str, int],
        pus: list[PU],
        state_dir: Path,
        stale_timeout: float = 0.0,
        ka_interval: float = 5.0,
        arp_table: Path = Path("/proc/net/arp"),
        act_delay: float = 0.0,
    ):
        self.listen = listen
        self.pus = {pu.name: pu for pu in pus}
        self.state_dir = state_dir
        self.stale_timeout = stale_timeout
        self.ka_interval = ka_interval
        self.arp_table = arp_table
        self.act_delay = act_delay  # seconds before an ACTPU is answered (a slow mainframe); per PU too
        self.due: list[tuple[float, int, str, str, tuple]] = []  # (when, seq, pu, corr, addr) of held answers
        self.seq = 0
        self.wake = threading.Condition()
        self.lock = threading.RLock()
        self.stopping = threading.Event()
        self.sock: socket.socket | None = None

    # ---------------------------------------------------------------- rules
    def _refusal(self, pu: PU, addr: tuple) -> tuple[str, str, str]:
        """(sense, message, mac) — sense empty when the sender may use the PU."""
        mac = read_arp(self.arp_table).get(addr[0], "")
        ip = ipaddress.ip_address(addr[0].split("%", 1)[0])
        if pu.allowed_addresses and not any(ip in net for net in pu.allowed_addresses):
            return "ADDRESS_NOT_ALLOWED", f"{addr[0]} may not activate PU {pu.name}", mac
        if pu.allowed_macs and mac not in pu.allowed_macs:
            return "MAC_NOT_ALLOWED", f"MAC {mac or 'unknown'} of {addr[0]} may not activate PU {pu.name}", mac
        return "", "", mac

    def _release(self, pu: PU, reason: str) -> None:
        log.info(
            "PU %s released (%s), was owned by %s at %s",
            pu.name,
            reason,
            pu.owner.get("cp_name"),
            pu.owner.get("address"),
        )
        pu.state, pu.session, pu.corr, pu.since = "INACTIVE", "", "", None
        pu.owner = {}
        pu.last_deactivation, pu.last_deactivation_at = reason, time.time()
        self._write_status()

    def _send(self, data: bytes, addr: tuple) -> None:
        try:
            self.sock.sendto(data, addr)
        except OSError as exc:
            log.warning("send to %s failed: %s", addr, exc)

    # ---------------------------------------------------------------- datagrams
    def on_message(self, msg: dict, addr: tuple) -> None:
        kind = msg["type"]
        with self.lock:
            pu = self.pus.get(str(msg.get("pu")))
            if kind == "ACTPU":
                self._actpu(pu, msg, addr)
            elif kind == "FORCE_DACTPU":
                self._force(pu, msg, addr)
            elif pu is None:
                return
            elif kind in ("KA", "KA_RSP"):
                if pu.state == "ACTIVE" and msg.get("session") == pu.session:
                    pu.last_heard = time.monotonic()
                    if kind == "KA":
                        self._send(encode("KA_RSP", pu=pu.name, session=pu.session), addr)
                elif kind == "KA":  # the sender's session is gone here: tell it
                    self._send(
                        encode("DACTPU", corr=new_id(), pu=pu.name, session=msg.get("session"), reason="NOT_ACTIVE"),
                        addr,
                    )
            elif kind == "DACTPU":
                self._send(encode("DACTPU_RSP", corr=msg.get("corr"), pu=pu.name, session=msg.get("session")), addr)
                if pu.state == "ACTIVE" and msg.get("session") == pu.session:
                    self._release(pu, str(msg.get("reason") or "ORDERLY"))

    def _actpu(self, pu: PU | None, msg: dict, addr: tuple) -> None:
        def answer(result: str, sense: str = "", message: str = "", owner: dict | None = None) -> None:
            self._send(
                encode(
                    "ACTPU_RSP",
                    corr=msg.get("corr"),
                    pu=msg.get("pu"),
                    result=result,
                    sense=sense,
                    message=message,
                    session=pu.session if pu and result == "OK" else "",
                    owner=owner or {},
                ),
                addr,
            )

        if pu is None:
            answer("REFUSED", "UNKNOWN_PU", f"no PU {msg.get('pu')} on this host")
            return
        sense, message, mac = self._refusal(pu, addr)
        if pu.refuse and not sense:
            sense, message = "PU_NOT_AVAILABLE", f"PU {pu.name} is not available for activation at the remote host"
        if sense:
            log.info("ACTPU %s from %s refused: %s", pu.name, addr, sense)
            answer("REFUSED", sense, message)
            return
        if pu.state in HELD and pu.owner.get("instance") != msg.get("instance"):
            log.info(
                "ACTPU %s from %s (%s) refused: active for %s",
                pu.name,
                addr,
                msg.get("cp_name"),
                pu.owner.get("instance"),
            )
            answer("REFUSED", "NODE_ACTIVE_ELSEWHERE", "", {**pu.owner, "since": iso(pu.since)})
            return
        corr = str(msg.get("corr"))
        if pu.state == PENDING and pu.corr == corr:
            return  # a retransmission while the delay runs: the held answer goes out when it ends
        if pu.state == "ACTIVE" and pu.corr == corr:
            answer("OK")  # a retransmission of an activation already answered
            return
        owner = {key: str(msg.get(key, "")) for key in ("cp_name", "node_id", "instance", "hostname", "ls")}
        owner.update(address=addr[0], port=str(addr[1]), mac=mac)
        delay = self.act_delay if pu.act_delay is None else pu.act_delay
        if delay > 0:
            pu.state, pu.session, pu.corr, pu.owner = PENDING, "", corr, owner
            log.info("PU %s PENDING_ACTIVE for %s at %s, answer in %g s", pu.name, owner["cp_name"], addr, delay)
            self._write_status()
            self._hold(delay, pu.name, corr, addr)
            return
        self._activate(pu, corr, owner)
        answer("OK")

    def _activate(self, pu: PU, corr: str, owner: dict) -> None:
        pu.state, pu.session, pu.corr, pu.since = "ACTIVE", new_id(), corr, time.time()
        pu.last_heard = pu.last_ka = time.monotonic()
        pu.activations += 1
        pu.owner = owner
        log.info("PU %s ACTIVE for %s at %s, session %s", pu.name, owner["cp_name"], owner["address"], pu.session)
        self._write_status()

    # ---------------------------------------------------------------- activation delay
    def _hold(self, delay: float, pu_name: str, corr: str, addr: tuple) -> None:
        """Answer this ACTPU after ``delay`` seconds without holding up anything else."""
        with self.wake:
            self.seq += 1
            heapq.heappush(self.due, (time.monotonic() + delay, self.seq, pu_name, corr, addr))
            self.wake.notify()

    def _delay_loop(self) -> None:
        while not self.stopping.is_set():
            with self.wake:
                while not self.due or self.due[0][0] > time.monotonic():
                    if self.stopping.is_set():
                        return
                    self.wake.wait(min(0.2, self.due[0][0] - time.monotonic()) if self.due else 0.2)
                _when, _seq, pu_name, corr, addr = heapq.heappop(self.due)
            with self.lock:
                pu = self.pus[pu_name]
                if pu.state != PENDING or pu.corr != corr:
                    continue  # forced out, released or superseded meanwhile
                self._activate(pu, corr, pu.owner)
                self._send(
                    encode("ACTPU_RSP", corr=corr, pu=pu.name, result="OK", sense="", message="",
                           session=pu.session, owner={}),
                    addr,
                )

    def _force(self, pu: PU | None, msg: dict, addr: tuple) -> None:
        def answer(result: str, sense: str = "", owner: dict | None = None) -> None:
            self._send(
                encode(
                    "FORCE_RSP", corr=msg.get("corr"), pu=msg.get("pu"), result=result, sense=sense, owner=owner or {}
                ),
                addr,
            )

        if pu is None:
            answer("REFUSED", "UNKNOWN_PU")
            return
        sense = self._refusal(pu, addr)[0]
        if sense:
            answer("REFUSED", sense)
            return
        if pu.state not in HELD:
            answer("NOT_ACTIVE")
            return
        owner = dict(pu.owner)
        old = (owner["address"], int(owner["port"]))
        self._send(encode("DACTPU", corr=new_id(), pu=pu.name, session=pu.session, reason="FORCED"), old)
        log.info("PU %s forced out by %s from %s", pu.name, msg.get("cp_name"), addr)
        self._release(pu, "FORCED")
        answer("FORCED", "", owner)

    # ---------------------------------------------------------------- timers, status, control
    def _timer_loop(self) -> None:
        tick = max(0.02, min(0.5, self.ka_interval / 4))
        while not self.stopping.wait(tick):
            now = time.monotonic()
            with self.lock:
                for pu in self.pus.values():
                    if pu.state != "ACTIVE":
                        continue
                    if self.stale_timeout > 0 and now - pu.last_heard > self.stale_timeout:
                        self._release(pu, "TIMEOUT")
                    elif now - pu.last_ka >= self.ka_interval:
                        pu.last_ka = now
                        self._send(
                            encode("KA", pu=pu.name, session=pu.session), (pu.owner["address"], int(pu.owner["port"]))
                        )

    def _write_status(self) -> None:
        path = self.state_dir / "status.json"
        tmp = path.with_name("status.json.tmp")
        tmp.write_text(json.dumps([pu.query() for pu in self.pus.values()], indent=1))
        os.replace(tmp, path)

    def handle(self, payload: dict) -> dict:
        op = payload.get("op")
        params = payload.get("params") or {}
        with self.lock:
            if op == "ping":
                return {"ok": True, "pid": os.getpid()}
            if op == "stop":
                return {"ok": True, "_after": self.stopping.set}
            name = params.get("pu_name")
            if name is not None and name not in self.pus:
                return {
                    "ok": False,
                    "primary_rc": "PARAMETER_CHECK",
                    "secondary_rc": "UNKNOWN_PU",
                    "message": f"no PU {name} on this host",
                }
            if op == "query":
                pus = [self.pus[name]] if name else list(self.pus.values())
                return {"ok": True, "objects": [pu.query() for pu in pus]}
            if op in ("refuse", "accept") and name:
                # the host operator makes a PU unavailable (every new ACTPU refused; a session already
                # active stays) or available again
                pu = self.pus[name]
                pu.refuse = op == "refuse"
                log.info("PU %s: activations %s", pu.name, "refused" if pu.refuse else "accepted")
                self._write_status()
                return {"ok": True, "objects": [pu.query()]}
            if op == "release" and name:
                pu = self.pus[name]
                if pu.state in HELD:
                    self._send(
                        encode("DACTPU", corr=new_id(), pu=pu.name, session=pu.session, reason="RELEASED"),
                        (pu.owner["address"], int(pu.owner["port"])),
                    )
                    self._release(pu, "RELEASED")
                return {"ok": True, "objects": [pu.query()]}
        return {"ok": False, "primary_rc": "INVALID_VERB", "message": f"unknown request {op}"}

    def run(self) -> int:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        family = socket.AF_INET6 if ":" in self.listen[0] else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_DGRAM)
        self.sock.bind(self.listen)
        self.sock.settimeout(0.2)
        (self.state_dir / "snahost.pid").write_text(f"{os.getpid()}\n")
        self._write_status()
        server = control.serve(self.state_dir / "snahost.sock", self.handle)
        signal.signal(signal.SIGTERM, lambda *_: self.stopping.set())
        signal.signal(signal.SIGINT, lambda *_: self.stopping.set())
        threading.Thread(target=self._timer_loop, name="timers", daemon=True).start()
        threading.Thread(target=self._delay_loop, name="delays", daemon=True).start()
        log.info(
            "remote SNA host listening on %s UDP %s, PUs %s",
            self.listen[0],
            self.sock.getsockname()[1],
            ", ".join(self.pus),
        )
        while not self.stopping.is_set():
            try:
                data, addr = self.sock.recvfrom(MAX_DATAGRAM)
            except TimeoutError:
                continue
            msg = decode(data)
            if msg is not None:
                self.on_message(msg, addr)
        with self.wake:
            self.wake.notify_all()
        server.shutdown()
        server.server_close()
        for name in ("snahost.sock", "snahost.pid"):
            (self.state_dir / name).unlink(missing_ok=True)
        self.sock.close()
        return 0


def _split_list(value: str) -> list[str]:
    return [v for v in value.replace(",", " ").split() if v]


def parse_pu_option(spec: str) -> PU:
    """``NAME[,address=A][,mac=M][,description=D][,act_delay=S][,refuse=yes]`` (address and mac may repeat)."""
    name, *rest = spec.split(",")
    addresses, macs, desc, delay, refuse = [], [], "", None, False
    for item in rest:
        key, _sep, value = item.partition("=")
        if key == "address":
            addresses.append(value)
        elif key == "mac":
            macs.append(value)
        elif key == "description":
            desc = value
        elif key == "act_delay":
            delay = _delay(value, f"--pu {spec}")
        elif key == "refuse":
            refuse = _yes(value, f"--pu {spec}")
        else:
            raise ValueError(f"--pu {spec}: unknown item {item}")
    return PU(name.strip(), addresses, macs, desc, delay, refuse)


def _yes(value, where: str) -> bool:
    if str(value).strip().lower() in ("yes", "true", "1"):
        return True
    if str(value).strip().lower() in ("no", "false", "0", ""):
        return False
    raise ValueError(f"{where}: refuse {value!r} is not yes or no")


def _delay(value, where: str) -> float:
    try:
        delay = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{where}: act_delay {value!r} is not a number of seconds") from None
    if not 0 <= delay <= 600:
        raise ValueError(f"{where}: act_delay {value!r} must be 0 to 600 seconds")
    return delay


def load_config(path: Path) -> tuple[dict, list[PU]]:
    parser = configparser.ConfigParser(inline_comment_prefixes=(";", "#"))
    if not parser.read(path):
        raise OSError(f"cannot read {path}")
    host = dict(parser["host"]) if parser.has_section("host") else {}
    pus = [
        PU(
            section.split(None, 1)[1].strip(),
            _split_list(parser[section].get("allowed_addresses", "")),
            _split_list(parser[section].get("allowed_macs", "")),
            parser[section].get("description", ""),
            _delay(parser[section]["act_delay"], f"[{section}]") if parser[section].get("act_delay") else None,
            _yes(parser[section].get("refuse", "no"), f"[{section}]"),
        )
        for section in parser.sections()
        if section.lower().startswith("pu ")
    ]
    return host, pus


def _run(args) -> int:
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(asctime)s snahost[%(process)d] %(message)s")
    host_cfg: dict = {}
    pus: list[PU] = []
    config = args.config or (DEFAULT_CONFIG if Path(DEFAULT_CONFIG).exists() else None)
    if config:
        host_cfg, pus = load_config(Path(config))
    pus += [parse_pu_option(spec) for spec in args.pu]
    listen = args.listen or host_cfg.get("listen", "0.0.0.0:12000")  # noqa: S104 - a server by design
    addr, _sep, port = listen.rpartition(":")
    os.chdir("/")
    return Host(
        (addr.strip("[]"), int(port)),
        pus,
        Path(args.state_dir),
        stale_timeout=float(args.stale_timeout if args.stale_timeout is not None else host_cfg.get("stale_timeout", 0)),
        ka_interval=float(args.ka_interval if args.ka_interval is not None else host_cfg.get("ka_interval", 5)),
        arp_table=Path(args.arp_table or host_cfg.get("arp_table", "/proc/net/arp")),
        act_delay=_delay(args.act_delay if args.act_delay is not None else host_cfg.get("act_delay", 0), "act_delay"),
    ).run()


def main(prog: str, argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog=prog, description="Remote SNA host (mainframe side) of the emulator")
    parser.add_argument("--state-dir", default=os.environ.get("SNAHOST_STATE_DIR", DEFAULT_STATE_DIR))
    sub = parser.add_subparsers(dest="action", required=True)
    run = sub.add_parser("run", help="run in the foreground (systemd: Type=simple)")
    run.add_argument("--config", help=f"INI file (default {DEFAULT_CONFIG} if present)")
    run.add_argument("--listen", help="ADDRESS:PORT (default 0.0.0.0:12000)")
    run.add_argument("--pu", action="append", default=[], help="NAME[,address=A][,mac=M] (repeatable)")
    run.add_argument("--stale-timeout", type=float, help="release a PU whose owner is silent this long (0: never)")
    run.add_argument("--ka-interval", type=float, help="keepalive period towards owners, s (default 5)")
    run.add_argument("--arp-table", help="neighbour table to read MACs from (default /proc/net/arp)")
    run.add_argument(
        "--act-delay", type=float, help="seconds before an activation is answered (a slow host; default 0)"
    )
    for name, text in (
        ("query", "print PUs as key = value blocks"),
        ("release", "force a PU free (admin)"),
        ("refuse", "refuse every new activation of a PU (the host operator makes it unavailable)"),
        ("accept", "accept activations of a PU again"),
        ("stop", "stop the running snahost"),
    ):
        p = sub.add_parser(name, help=text)
        p.add_argument("words", nargs="*", help="pu_name=NAME")
    args = parser.parse_args(argv)
    if args.action == "run":
        return _run(args)
    params = split_command([args.action, *args.words])[1] if args.words else {}
    sock = Path(args.state_dir) / "snahost.sock"
    try:
        answer = control.request(sock, {"op": args.action, "params": params}, timeout=30)
    except control.NotRunning:
        answer = {"ok": False, "primary_rc": "COMM_SUBSYSTEM_NOT_LOADED", "message": f"no snahost answers on {sock}"}
    if answer.get("ok"):
        sys.stdout.write(format_blocks(answer.get("objects") or []))
        return 0
    sys.stderr.write(format_error(prog, args.action, answer))
    return 1
