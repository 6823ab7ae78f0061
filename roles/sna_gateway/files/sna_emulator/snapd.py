"""The control daemon of the emulated SNA stack (what ``snap start`` leaves running).

One process per server. It holds the runtime state (node initialised or not, ports started,
link station states), keeps the definitions in ``sna_node.cfg``, answers the admin CLI on a
unix socket, and talks to remote SNA hosts over UDP from each started port's local address.
"""

from __future__ import annotations

import errno
import fcntl
import logging
import os
import signal
import socket
import sys
import threading
import time

from sna_emulator import control
from sna_emulator.config import Settings, read_definitions, write_definitions
from sna_emulator.protocol import MAX_DATAGRAM, decode, encode, new_id, resolve
from sna_emulator.rcs import SnaError
from sna_emulator.verbs import VERBS, check_params

log = logging.getLogger("snapd")

ACTIVE, NOT_ACTIVE, PENDING_ACTIVE, PENDING_INACTIVE = "ACTIVE", "NOT_ACTIVE", "PENDING_ACTIVE", "PENDING_INACTIVE"


def iso(ts: float | None) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts)) if ts else ""


class Waiter:
    def __init__(self):
        self.event = threading.Event()
        self.msg: dict | None = None


class Port:
    def __init__(self, defn: dict):
        self.defn = defn
        self.state = NOT_ACTIVE
        self.sock: socket.socket | None = None

    @property
    def name(self) -> str:
        return self.defn["port_name"]


class LinkStation:
    def __init__(self, defn: dict):
        self.defn = defn
        self.state = NOT_ACTIVE
        self.session: str | None = None
        self.remote: tuple | None = None
        self.since: float | None = None
        self.last_heard = 0.0
        self.last_ka = 0.0
        self.activations = 0
        self.last_error = ""

    @property
    def name(self) -> str:
        return self.defn["ls_name"]


class Snapd:
    def __init__(self, settings: Settings):
        self.s = settings
        self.lock = threading.RLock()
        self.node: dict | None = None
        self.node_started: float | None = None
        self.ports: dict[str, Port] = {}
        self.lss: dict[str, LinkStation] = {}
        self.waiters: dict[str, Waiter] = {}
        self.sessions: dict[str, LinkStation] = {}  # session id -> link station (datagrams name the session)
        self.instance = f"{socket.gethostname()}:{os.getpid()}:{new_id()[:6]}"
        self.stopping = threading.Event()
        self.sigterm = threading.Event()
        self._load()

    # ---------------------------------------------------------------- definitions
    def _load(self) -> None:
        for verb, params in read_definitions(self.s.config):
            try:
                params = check_params(verb, params)
            except SnaError as exc:
                log.warning("ignoring [%s] in %s: %s", verb, self.s.config, exc)
                continue
            if verb == "define_node":
                self.node = self._node_defaults(params)
            elif verb == "define_ip_port":
                self.ports[params["port_name"]] = Port(params)
            elif verb == "define_ip_ls" and params["port_name"] in self.ports:
                self.lss[params["ls_name"]] = LinkStation(params)
            elif verb == "define_ip_ls":
                log.warning(
                    "ignoring link station %s: its port %s is not defined", params["ls_name"], params["port_name"]
                )

    def _save(self) -> None:
        records = [("define_node", self.node)] if self.node else []
        records += [("define_ip_port", p.defn) for p in self.ports.values()]
        records += [("define_ip_ls", ls.defn) for ls in self.lss.values()]
        write_definitions(self.s.config, records)

    @staticmethod
    def _node_defaults(params: dict) -> dict:
        if not params.get("cp_alias"):
            params["cp_alias"] = params["fqcp_name"].split(".", 1)[1]
        return {key: params[key] for key in VERBS["define_node"] if key in params}

    # ---------------------------------------------------------------- requests
    def handle(self, payload: dict) -> dict:
        op = payload.get("op")
        if op == "ping":
            return {"ok": True, "pid": os.getpid(), "instance": self.instance}
        if op == "stop":
            self.shutdown("NODE_STOP")
            return {"ok": True, "_after": self.stopping.set}
        verb = str(payload.get("verb", ""))
        try:
            params = check_params(verb, {k: str(v) for k, v in dict(payload.get("params") or {}).items()})
            objects = getattr(self, "v_" + verb)(params) or []
            return {"ok": True, "objects": objects}
        except SnaError as exc:
            log.info("%s %s -> %s/%s %s", verb, payload.get("params"), exc.primary, exc.secondary, exc.message)
            return {"ok": False, **exc.to_dict()}
        except Exception as exc:  # a bug in the emulator: say so in the product's terms
            log.exception("verb %s failed", verb)
            return {"ok": False, "primary_rc": "COMM_SUBSYSTEM_ABENDED", "secondary_rc": None, "message": str(exc)}

    def _ls(self, name: str) -> LinkStation:
        if name not in self.lss:
            raise SnaError.of("INVALID_LS_NAME", f"no link station {name} is defined")
        return self.lss[name]

    def _port(self, name: str) -> Port:
        if name not in self.ports:
            raise SnaError.of("INVALID_PORT_NAME", f"no port {name} is defined")
        return self.ports[name]

    def _need_node(self) -> None:
        if self.node is None:
            raise SnaError.of("NODE_NOT_DEFINED", "no node is defined (define_node)")
        if not self.node_started:
            raise SnaError.of("NODE_NOT_STARTED", "the node is not started (init_node)")

    # ---------------------------------------------------------------- node verbs
    def v_define_node(self, p: dict) -> None:
        with self.lock:
            if self.node_started:
                raise SnaError.of("NODE_ALREADY_STARTED", "the node is running: stop it (term_node) to redefine it")
            self.node = self._node_defaults(p)
            self._save()

    def v_init_node(self, p: dict) -> None:
        with self.lock:
            if self.node is None:
                raise SnaError.of("NODE_NOT_DEFINED", "no node is defined (define_node)")
            if self.node_started:
                raise SnaError.of(
                    "NODE_ALREADY_STARTED",
                    f"node {self.node['fqcp_name']} is already running on this server (one node per server)",
                )
            self.node_started = time.time()
            log.info("node %s started", self.node["fqcp_name"])

    def v_term_node(self, p: dict) -> None:
        with self.lock:
            self._need_node()
        self.shutdown("NODE_STOP", p["stop_type"])

    def v_query_node(self, p: dict) -> list[dict]:
        with self.lock:
            if self.node is None:
                raise SnaError.of("NODE_NOT_DEFINED", "no node is defined (define_node)")
            return [
                {
                    **self.node,
                    "node_status": ACTIVE if self.node_started else NOT_ACTIVE,
                    "node_started": iso(self.node_started),
                    "node_instance": self.instance,
                    "daemon_pid": os.getpid(),
                }
            ]

    def shutdown(self, reason: str, stop_type: str = "ORDERLY_STOP") -> None:
        """Stop every link station and port, then the node (term_node, snap stop, SIGTERM)."""
        for port in list(self.ports.values()):
            self._stop_port(port, stop_type, reason)
        with self.lock:
            if self.node_started:
                log.info("node %s stopped (%s)", self.node and self.node["fqcp_name"], reason)
            self.node_started = None

    # ---------------------------------------------------------------- port verbs
    def v_define_ip_port(self, p: dict) -> None:
        with self.lock:
            port = self.ports.get(p["port_name"])
            if port and port.state != NOT_ACTIVE:
                raise SnaError.of("PORT_ACTIVE", f"port {port.name} is started: stop it to redefine it")
            if port:
                port.defn = p
            else:
                self.ports[p["port_name"]] = Port(p)
            self._save()

    def v_start_port(self, p: dict) -> None:
        with self.lock:
            port = self._port(p["port_name"])
            self._need_node()
            if port.state == ACTIVE:
                return
            ip, udp = port.defn["local_ip"], int(port.defn["udp_port"])
            sock = socket.socket(socket.AF_INET6 if ":" in ip else socket.AF_INET, socket.SOCK_DGRAM)
            try:
                sock.bind((ip, udp))
            except OSError as exc:
                sock.close()
                if exc.errno == errno.EADDRINUSE:
                    raise SnaError.of("ADDRESS_IN_USE", f"{ip} UDP {udp} is in use: {exc.strerror}") from None
                raise SnaError.of(
                    "LOCAL_ADDRESS_NOT_AVAILABLE", f"cannot bind {ip} UDP {udp}: {exc.strerror}"
                ) from None
            sock.settimeout(0.2)
            port.sock, port.state = sock, ACTIVE
            threading.Thread(target=self._receive, args=(port, sock), name=f"rx-{port.name}", daemon=True).start()
            log.info("port %s started on %s UDP %s", port.name, ip, udp)

    def v_stop_port(self, p: dict) -> None:
        with self.lock:
            port = self._port(p["port_name"])
        self._stop_port(port, p["stop_type"], "PORT_STOP")

    def _stop_port(self, port: Port, stop_type: str, reason: str) -> None:
        if port.state == NOT_ACTIVE:
            return
        with self.lock:
            users = [ls for ls in self.lss.values() if ls.defn["port_name"] == port.name]
        self._stop_lss(users, stop_type, reason)
        with self.lock:
            if port.sock:
                port.sock.close()
            port.sock, port.state = None, NOT_ACTIVE
            log.info("port %s stopped", port.name)

    def v_delete_port(self, p: dict) -> None:
        with self.lock:
            port = self._port(p["port_name"])
            if port.state != NOT_ACTIVE:
                raise SnaError.of("PORT_ACTIVE", f"port {port.name} is started: stop it before deleting it")
            users = sorted(ls.name for ls in self.lss.values() if ls.defn["port_name"] == port.name)
            if users:
                raise SnaError.of("PORT_HAS_LINK_STATIONS", f"port {port.name} is used by {', '.join(users)}")
            del self.ports[port.name]
            self._save()

    def v_query_port(self, p: dict) -> list[dict]:
        with self.lock:
            ports = [self._port(p["port_name"])] if "port_name" in p else list(self.ports.values())
            out = []
            for port in ports:
                users = [ls for ls in self.lss.values() if ls.defn["port_name"] == port.name]
                out.append(
                    {
                        "port_name": port.name,
                        "port_type": "IP",
                        **{k: v for k, v in port.defn.items() if k != "port_name"},
                        "port_state": port.state,
                        "ls_count": len(users),
                        "active_ls_count": sum(ls.state == ACTIVE for ls in users),
                    }
                )
            return out

    # ---------------------------------------------------------------- link station verbs
    def v_define_ip_ls(self, p: dict) -> None:
        with self.lock:
            if p["port_name"] not in self.ports:
                raise SnaError.of(
                    "INVALID_PORT_NAME", f"port {p['port_name']} must be defined before its link stations"
                )
            ls = self.lss.get(p["ls_name"])
            if ls and ls.state != NOT_ACTIVE:
                raise SnaError.of("LS_ACTIVE", f"link station {ls.name} is {ls.state}: stop it to change it")
            if ls:
                ls.defn = p
            else:
                self.lss[p["ls_name"]] = LinkStation(p)
            self._save()

    def v_delete_ls(self, p: dict) -> None:
        with self.lock:
            ls = self._ls(p["ls_name"])
            if ls.state != NOT_ACTIVE:
                raise SnaError.of("LS_ACTIVE", f"link station {ls.name} is {ls.state}: stop it before deleting it")
            del self.lss[ls.name]
            self._save()

    def v_query_ls(self, p: dict) -> list[dict]:
        with self.lock:
            lss = [self._ls(p["ls_name"])] if "ls_name" in p else list(self.lss.values())
            return [
                {
                    **ls.defn,
                    "state": ls.state,
                    "session_id": ls.session or "",
                    "active_since": iso(ls.since) if ls.state == ACTIVE else "",
                    "activations": ls.activations,
                    "last_error": ls.last_error,
                }
                for ls in lss
            ]

    def v_start_ls(self, p: dict) -> None:
        with self.lock:
            defn = dict(self._ls(p["ls_name"]).defn)
        unresolved: OSError | None = None
        try:  # name resolution outside the lock: 64 starts at once must not queue behind one lookup
            remote = resolve(defn["remote_ip_host"], int(defn["remote_udp_port"]))
        except OSError as exc:
            remote, unresolved = None, exc
        with self.lock:
            ls = self._ls(p["ls_name"])
            self._need_node()
            port = self.ports[ls.defn["port_name"]]
            if port.state != ACTIVE:
                raise SnaError.of(
                    "PORT_NOT_STARTED", f"port {port.name} of link station {ls.name} is not started (start_port)"
                )
            if ls.state == ACTIVE:
                return
            if ls.state == PENDING_ACTIVE:
                raise SnaError.of("ALREADY_STARTING", f"link station {ls.name} is already being activated")
            if ls.state == PENDING_INACTIVE:
                raise SnaError.of("ALREADY_STOPPING", f"link station {ls.name} is being deactivated")
            if ls.defn != defn:  # redefined meanwhile: resolve the new definition (rare; under the lock)
                defn = ls.defn
                try:
                    remote = resolve(defn["remote_ip_host"], int(defn["remote_udp_port"]))
                except OSError as exc:
                    remote, unresolved = None, exc
            if remote is None:
                ls.last_error = "REMOTE_HOST_UNKNOWN"
                raise SnaError.of("REMOTE_HOST_UNKNOWN", f"{defn['remote_ip_host']}: {unresolved}")
            ls.remote = remote
            ls.state, ls.last_error = PENDING_ACTIVE, ""
            corr = new_id()
            waiter = self.waiters[corr] = Waiter()
            request = encode(
                "ACTPU",
                corr=corr,
                pu=ls.defn["pu_name"],
                ls=ls.name,
                cp_name=self.node["fqcp_name"],
                node_id=self.node["node_id"],
                instance=self.instance,
                hostname=socket.gethostname(),
            )
        log.info("link station %s: activating PU %s at %s", ls.name, ls.defn["pu_name"], ls.remote)
        deadline = time.monotonic() + self.s.act_timeout
        retry = max(0.05, min(1.0, self.s.act_timeout / 4))
        try:
            while time.monotonic() < deadline:
                if ls.state != PENDING_ACTIVE or port.state != ACTIVE:
                    break
                self._send(port, request, ls.remote)
                if waiter.event.wait(min(retry, max(0.0, deadline - time.monotonic()))):
                    break
        finally:
            with self.lock:
                self.waiters.pop(corr, None)
        with self.lock:
            msg = waiter.msg
            if ls.state != PENDING_ACTIVE or port.state != ACTIVE:
                if msg and msg.get("result") == "OK":
                    self._send(
                        port,
                        encode("DACTPU", corr=new_id(), pu=msg["pu"], session=msg["session"], reason="CANCELLED"),
                        ls.remote,
                    )
                raise SnaError.of("ACTIVATION_CANCELLED", f"link station {ls.name} was stopped during activation")
            if msg is None:
                ls.state, ls.last_error = NOT_ACTIVE, "NO_RESPONSE"
                raise SnaError.of(
                    "NO_RESPONSE",
                    f"no answer from {ls.defn['remote_ip_host']} UDP {ls.defn['remote_udp_port']} "
                    f"within {self.s.act_timeout:g} s",
                )
            if msg.get("result") != "OK":
                sense = msg.get("sense") or "UNKNOWN_PU"
                ls.state, ls.last_error = NOT_ACTIVE, sense
                owner = msg.get("owner") or {}
                detail = msg.get("message") or ""
                if sense == "NODE_ACTIVE_ELSEWHERE":
                    detail = (
                        f"PU {ls.defn['pu_name']} is active for node {owner.get('cp_name')} "
                        f"on {owner.get('hostname')} ({owner.get('address')}) since {owner.get('since')}; "
                        "force the stale node out first"
                    )
                raise SnaError.of(sense if sense in _REMOTE_SENSES else "UNKNOWN_PU", detail)
            now = time.time()
            self._set_session(ls, msg["session"])
            ls.state, ls.since = ACTIVE, now
            ls.last_heard = ls.last_ka = time.monotonic()
            ls.activations += 1
            log.info("link station %s ACTIVE, session %s", ls.name, ls.session)

    def v_stop_ls(self, p: dict) -> None:
        with self.lock:
            ls = self._ls(p["ls_name"])
        self._stop_ls(ls, p["stop_type"], "ORDERLY" if p["stop_type"] == "ORDERLY_STOP" else "IMMEDIATE")

    def _stop_ls(self, ls: LinkStation, stop_type: str, reason: str) -> None:
        self._stop_lss([ls], stop_type, reason)

    def _stop_lss(self, lss: list[LinkStation], stop_type: str, reason: str) -> None:
        """Stop link stations side by side: every DACTPU goes out at once and an orderly stop waits
        for all answers within one ``stop_timeout`` (a port with 64 link stations and a silent
        remote host stops in one timeout, not 64)."""
        stopping: list[tuple[LinkStation, Port, Waiter, str, bytes]] = []
        with self.lock:
            for ls in lss:
                if ls.state == NOT_ACTIVE:
                    continue
                if ls.state == PENDING_ACTIVE:
                    ls.state, ls.last_error = NOT_ACTIVE, "ACTIVATION_CANCELLED"
                    continue
                port = self.ports.get(ls.defn["port_name"])
                if ls.state == PENDING_INACTIVE or port is None or port.state != ACTIVE:
                    continue
                ls.state = PENDING_INACTIVE
                corr = new_id()
                waiter = self.waiters[corr] = Waiter()
                message = encode("DACTPU", corr=corr, pu=ls.defn["pu_name"], session=ls.session, reason=reason)
                stopping.append((ls, port, waiter, corr, message))
        if stop_type == "IMMEDIATE_STOP":
            for ls, port, _waiter, _corr, message in stopping:
                self._send(port, message, ls.remote)
        else:
            deadline = time.monotonic() + self.s.stop_timeout
            retry = max(0.05, min(0.5, self.s.stop_timeout / 4))
            waiting = list(stopping)
            while waiting and time.monotonic() < deadline:
                for ls, port, _waiter, _corr, message in waiting:
                    self._send(port, message, ls.remote)
                round_end = min(deadline, time.monotonic() + retry)
                for _ls, _port, waiter, _corr, _message in waiting:
                    waiter.event.wait(max(0.0, round_end - time.monotonic()))
                waiting = [item for item in waiting if item[2].msg is None]
            for ls, *_rest in waiting:
                log.warning("link station %s: no answer to the deactivation, stopping anyway", ls.name)
        with self.lock:
            for ls, _port, _waiter, corr, _message in stopping:
                self.waiters.pop(corr, None)
                self._set_session(ls, None)
                ls.state = NOT_ACTIVE
                log.info("link station %s stopped (%s)", ls.name, reason)

    # ---------------------------------------------------------------- network
    def _send(self, port: Port, data: bytes, addr: tuple | None) -> None:
        sock = port.sock
        if sock is None or addr is None:
            return
        try:
            sock.sendto(data, addr)
        except OSError as exc:
            log.warning("port %s: send to %s failed: %s", port.name, addr, exc)

    def _set_session(self, ls: LinkStation, session: str | None) -> None:
        """Change a link station's session and the index the receive path looks sessions up in."""
        if ls.session and self.sessions.get(ls.session) is ls:
            del self.sessions[ls.session]
        ls.session = session
        if session:
            self.sessions[session] = ls

    def _by_session(self, port: Port, msg: dict) -> LinkStation | None:
        ls = self.sessions.get(str(msg.get("session") or ""))
        if ls and ls.session and ls.defn["port_name"] == port.name:
            return ls
        return None

    def _receive(self, port: Port, sock: socket.socket) -> None:
        while port.sock is sock:
            try:
                data, addr = sock.recvfrom(MAX_DATAGRAM)
            except TimeoutError:
                continue
            except OSError:
                break
            msg = decode(data)
            if msg is not None:
                self._on_message(port, msg, addr)

    def _on_message(self, port: Port, msg: dict, addr: tuple) -> None:
        kind = msg["type"]
        with self.lock:
            if kind in ("ACTPU_RSP", "DACTPU_RSP", "FORCE_RSP"):
                waiter = self.waiters.get(str(msg.get("corr")))
                if waiter and waiter.msg is None:
                    waiter.msg = msg
                    waiter.event.set()
                return
            ls = self._by_session(port, msg)
            if kind == "KA":
                if ls and ls.state == ACTIVE:
                    ls.last_heard = time.monotonic()
                    self._send(port, encode("KA_RSP", pu=msg.get("pu"), session=ls.session), addr)
            elif kind == "KA_RSP":
                if ls:
                    ls.last_heard = time.monotonic()
            elif kind == "DACTPU":
                self._send(
                    port, encode("DACTPU_RSP", corr=msg.get("corr"), pu=msg.get("pu"), session=msg.get("session")), addr
                )
                if ls and ls.state in (ACTIVE, PENDING_INACTIVE):
                    self._set_session(ls, None)
                    ls.state = NOT_ACTIVE
                    ls.last_error = f"REMOTE_DEACTIVATED_{msg.get('reason', 'UNKNOWN')}"
                    log.warning("link station %s deactivated by the remote host (%s)", ls.name, msg.get("reason"))

    def _keepalive_loop(self) -> None:
        tick = max(0.02, min(0.5, self.s.ka_interval / 4))
        while not self.stopping.wait(tick):
            now = time.monotonic()
            with self.lock:
                for ls in self.lss.values():
                    if ls.state != ACTIVE:
                        continue
                    port = self.ports.get(ls.defn["port_name"])
                    if now - ls.last_heard > self.s.ka_interval * self.s.ka_misses:
                        self._set_session(ls, None)
                        ls.state, ls.last_error = NOT_ACTIVE, "PEER_LOST"
                        log.warning("link station %s lost its peer: NOT_ACTIVE", ls.name)
                    elif port and now - ls.last_ka >= self.s.ka_interval:
                        ls.last_ka = now
                        self._send(port, encode("KA", pu=ls.defn["pu_name"], session=ls.session), ls.remote)

    # ---------------------------------------------------------------- process
    def run(self) -> int:
        lockf = open(self.s.pidfile, "a+")  # held (and locked) for the daemon's life
        try:
            fcntl.flock(lockf, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            log.error("the SNA control daemon is already running (pidfile %s is locked)", self.s.pidfile)
            return 1
        lockf.seek(0)
        lockf.truncate()
        lockf.write(f"{os.getpid()}\n")
        lockf.flush()
        signal.signal(signal.SIGTERM, lambda *_: self.sigterm.set())
        signal.signal(signal.SIGINT, lambda *_: self.sigterm.set())
        server = control.serve(self.s.socket, self.handle)
        threading.Thread(target=self._keepalive_loop, name="keepalive", daemon=True).start()
        log.info(
            "control daemon started, pid %s, instance %s, state dir %s", os.getpid(), self.instance, self.s.state_dir
        )
        while not self.stopping.wait(0.1):
            if self.sigterm.is_set():
                self.shutdown("NODE_STOP")
                break
        self.stopping.set()
        server.shutdown()
        server.server_close()
        for path in (self.s.socket, self.s.pidfile):
            try:
                path.unlink()
            except FileNotFoundError:
                pass
        lockf.close()
        log.info("control daemon stopped")
        return 0


_REMOTE_SENSES = {"NODE_ACTIVE_ELSEWHERE", "ADDRESS_NOT_ALLOWED", "MAC_NOT_ALLOWED", "UNKNOWN_PU", "PU_NOT_AVAILABLE"}


def main(argv: list[str]) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="snapd", description="SNA stack emulator control daemon (foreground)")
    parser.add_argument("--state-dir")
    args = parser.parse_args(argv)
    settings = Settings.from_env(args.state_dir)
    settings.state_dir.mkdir(parents=True, exist_ok=True)
    os.chdir("/")  # like the product: never keep a shared filesystem busy
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(asctime)s snapd[%(process)d] %(message)s")
    return Snapd(settings).run()
