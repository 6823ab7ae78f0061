"""``snap`` / ``sna``: start and stop the control daemon; the emulator's forced stale-node stop.

Exit status: start 0 started, 1 already running, 2 could not start; stop 0 stopped or not
running, 1 did not stop; status 0 running, 3 not running; force_stop 0 every PU is free,
2 bad request, 4 some PU could not be forced out.
"""

from __future__ import annotations

import argparse
import os
import select
import socket
import subprocess
import sys
import time
from pathlib import Path

from sna_emulator import control
from sna_emulator.config import Settings, read_definitions
from sna_emulator.protocol import MAX_DATAGRAM, decode, encode, new_id, resolve
from sna_emulator.rcs import SnaError
from sna_emulator.textio import format_blocks
from sna_emulator.verbs import check_params

PACKAGE_PARENT = str(Path(__file__).resolve().parent.parent)


def _running(settings: Settings) -> int | None:
    pid = control.read_pid(settings.pidfile)
    return pid if pid and control.pid_alive(pid) else None


def start(prog: str, settings: Settings, wait: float = 10.0) -> int:
    pid = _running(settings)
    if pid:
        print(f"{prog}: the SNA software is already running on this server (control daemon pid {pid})", file=sys.stderr)
        return 1
    settings.state_dir.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (PACKAGE_PARENT, env.get("PYTHONPATH")) if p)
    env["SNAEMU_STATE_DIR"] = str(settings.state_dir)
    env.update(
        SNAEMU_KA_INTERVAL=str(settings.ka_interval),
        SNAEMU_KA_MISSES=str(settings.ka_misses),
        SNAEMU_ACT_TIMEOUT=str(settings.act_timeout),
        SNAEMU_STOP_TIMEOUT=str(settings.stop_timeout),
    )
    with open(settings.log, "ab") as logf:
        proc = subprocess.Popen(
            [sys.executable, "-m", "sna_emulator", "snapd", "--state-dir", str(settings.state_dir)],
            cwd="/",
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=logf,
            stderr=logf,
            start_new_session=True,
        )
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            print(
                f"{prog}: the SNA control daemon failed to start (exit {proc.returncode}); see {settings.log}",
                file=sys.stderr,
            )
            return 1 if proc.returncode == 1 else 2
        try:
            answer = control.request(settings.socket, {"op": "ping"}, timeout=2)
            if answer.get("pid") == proc.pid:
                print(f"{prog}: SNA software started (control daemon pid {proc.pid})")
                return 0
        except (control.NotRunning, OSError, ValueError):
            pass
        time.sleep(0.05)
    print(f"{prog}: the SNA control daemon did not answer within {wait:g} s; see {settings.log}", file=sys.stderr)
    return 2


def stop(prog: str, settings: Settings) -> int:
    pid = _running(settings)
    if not pid:
        for path in (settings.socket, settings.pidfile):
            path.unlink(missing_ok=True)
        print(f"{prog}: the SNA software is not running")
        return 0
    try:
        control.request(settings.socket, {"op": "stop"}, timeout=120)
    except (control.NotRunning, OSError, ValueError) as exc:
        print(f"{prog}: cannot reach the SNA control daemon (pid {pid}): {exc}", file=sys.stderr)
        return 1
    deadline = time.monotonic() + 10
    while control.pid_alive(pid):
        if time.monotonic() > deadline:
            print(f"{prog}: the SNA control daemon (pid {pid}) did not exit", file=sys.stderr)
            return 1
        time.sleep(0.02)
    print(f"{prog}: SNA software stopped")
    return 0


def status(prog: str, settings: Settings) -> int:
    pid = _running(settings)
    if not pid:
        print(f"{prog}: the SNA software is not running")
        return 3
    print(format_blocks([{"daemon_status": "RUNNING", "daemon_pid": pid, "state_dir": settings.state_dir}]), end="")
    return 0


def force_stop(prog: str, settings: Settings, ls_names: list[str], source: str | None) -> int:
    """Tell each link station's remote host to drop its PU, whichever node holds it.

    Works whether or not the local control daemon runs: it reads the definitions file.
    """
    records = read_definitions(settings.config)
    node = next((check_params("define_node", p) for v, p in records if v == "define_node"), None)
    ports = {p["port_name"]: p for v, p in records if v == "define_ip_port"}
    lss = {p["ls_name"]: p for v, p in records if v == "define_ip_ls"}
    if node is None:
        print(f"{prog}: no node is defined in {settings.config}", file=sys.stderr)
        return 2
    unknown = [name for name in ls_names if name not in lss]
    if unknown:
        print(f"{prog}: no link station {', '.join(unknown)} in {settings.config}", file=sys.stderr)
        return 2
    names = ls_names or list(lss)
    results = _force_all(settings, node, [(lss[n], source or ports.get(lss[n]["port_name"], {}).get("local_ip", ""))
                                          for n in names])
    print(format_blocks(results), end="")
    return 0 if all(r["result"] in ("FORCED", "NOT_ACTIVE") for r in results) else 4


def _force_all(settings: Settings, node: dict, items: list[tuple[dict, str]]) -> list[dict]:
    """Send every FORCE_DACTPU at once (one socket per source address) and collect the answers
    within one activation timeout: 64 PUs behind a silent remote cost one timeout, not 64."""
    results: list[dict] = []
    pending: dict[str, tuple[int, bytes, tuple, socket.socket]] = {}  # corr -> (index, request, remote, sock)
    socks: dict[str, socket.socket] = {}
    try:
        for index, (ls, source) in enumerate(items):
            out = {
                "ls_name": ls["ls_name"],
                "pu_name": ls["pu_name"],
                "remote": f"{ls['remote_ip_host']}:{ls['remote_udp_port']}",
                "source": source,
            }
            results.append(out)
            try:
                remote = resolve(ls["remote_ip_host"], int(ls["remote_udp_port"]))
            except OSError as exc:
                out.update(result="REFUSED", sense="REMOTE_HOST_UNKNOWN", message=str(exc))
                continue
            family = socket.AF_INET6 if ":" in remote[0] else socket.AF_INET
            key = f"{family}/{source}"
            if key not in socks:
                sock = socket.socket(family, socket.SOCK_DGRAM)
                try:
                    if source:
                        sock.bind((source, 0))
                except OSError as exc:
                    sock.close()
                    out.update(result="REFUSED", sense="LOCAL_ADDRESS_NOT_AVAILABLE", message=exc.strerror)
                    continue
                socks[key] = sock
            corr = new_id()
            request = encode(
                "FORCE_DACTPU",
                corr=corr,
                pu=ls["pu_name"],
                cp_name=node["fqcp_name"],
                instance=f"{socket.gethostname()}:force:{corr[:6]}",
                hostname=socket.gethostname(),
            )
            pending[corr] = (index, request, remote, socks[key])
        deadline = time.monotonic() + settings.act_timeout
        retry = max(0.05, min(1.0, settings.act_timeout / 4))
        while pending and time.monotonic() < deadline:
            for corr, (index, request, remote, sock) in list(pending.items()):
                try:
                    sock.sendto(request, remote)
                except OSError as exc:
                    results[index].update(result="REFUSED", sense="LOCAL_ADDRESS_NOT_AVAILABLE", message=exc.strerror)
                    del pending[corr]
            round_end = min(deadline, time.monotonic() + retry)
            while pending and time.monotonic() < round_end:
                ready = select.select(list(socks.values()), [], [], max(0.0, round_end - time.monotonic()))[0]
                for sock in ready:
                    try:
                        data = sock.recvfrom(MAX_DATAGRAM)[0]
                    except OSError:
                        continue
                    msg = decode(data)
                    if not msg or msg.get("type") != "FORCE_RSP" or msg.get("corr") not in pending:
                        continue
                    index = pending.pop(msg["corr"])[0]
                    owner = msg.get("owner") or {}
                    results[index].update(
                        result=msg.get("result"),
                        sense=msg.get("sense") or "",
                        previous_owner_cp_name=owner.get("cp_name", ""),
                        previous_owner_hostname=owner.get("hostname", ""),
                        previous_owner_address=owner.get("address", ""),
                    )
        for index, *_rest in pending.values():
            results[index].update(result="NO_RESPONSE", sense="NO_RESPONSE")
    finally:
        for sock in socks.values():
            sock.close()
    return results


def main(prog: str, argv: list[str]) -> int:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--state-dir", help="default: $SNAEMU_STATE_DIR or /var/lib/snaemu")
    common.add_argument("--ka-interval", type=float, help="keepalive period, s (default $SNAEMU_KA_INTERVAL or 5)")
    common.add_argument("--ka-misses", type=int, help="missed keepalives before an LS leaves ACTIVE (default 3)")
    common.add_argument("--act-timeout", type=float, help="start_ls / force_stop answer timeout, s (default 10)")
    common.add_argument("--stop-timeout", type=float, help="orderly stop answer timeout, s (default 3)")
    parser = argparse.ArgumentParser(prog=prog, description="Start or stop the SNA software (emulator)")
    sub = parser.add_subparsers(dest="action", required=True)
    sub.add_parser("start", parents=[common], help="start the control daemon")
    sub.add_parser("stop", parents=[common], help="stop link stations, ports and node, tell the remote side, exit")
    sub.add_parser("status", parents=[common], help="exit 0 if the control daemon runs, 3 if not")
    fs = sub.add_parser(
        "force_stop", parents=[common], help="(emulator) force a stale node's PUs out at the remote hosts"
    )
    fs.add_argument("--ls", action="append", default=[], metavar="LS_NAME", help="only this link station's PU")
    fs.add_argument("--source", help="source address (default: the port's local_ip)")
    args = parser.parse_args(argv)
    settings = Settings.from_env(args.state_dir)
    for key in ("ka_interval", "ka_misses", "act_timeout", "stop_timeout"):
        if getattr(args, key) is not None:
            setattr(settings, key, getattr(args, key))
    if args.action == "start":
        return start(prog, settings)
    if args.action == "stop":
        return stop(prog, settings)
    if args.action == "status":
        return status(prog, settings)
    try:
        return force_stop(prog, settings, args.ls, args.source)
    except SnaError as exc:
        print(f"{prog}: {settings.config}: {exc}", file=sys.stderr)
        return 2
