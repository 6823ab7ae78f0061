#!/usr/bin/python3
"""TCP relay for ssh's ProxyCommand, run inside the lab's controller namespace.

``relay.py HOST PORT``            copy stdin -> HOST:PORT -> stdout
``relay.py --wait-ssh T ADDR...`` wait up to T seconds until every ADDR:22
                                  answers with an SSH banner (used by ``up``)

The controller namespace has no route out of the lab, so this can reach lab
addresses only.  Standard library only; run as a script.
"""

from __future__ import annotations

import os
import selectors
import socket
import sys
import time


def relay(host: str, port: int) -> int:
    try:
        sock = socket.create_connection((host, port), timeout=10)
    except OSError as exc:
        print(f"failover-lab relay: cannot connect to {host}:{port}: {exc}", file=sys.stderr)
        return 1
    sock.settimeout(None)
    sel = selectors.DefaultSelector()
    sel.register(0, selectors.EVENT_READ, "in")
    sel.register(sock, selectors.EVENT_READ, "sock")
    stdin_open = True
    while True:
        for key, _ in sel.select():
            if key.data == "in":
                data = os.read(0, 65536)
                if not data:
                    sel.unregister(0)
                    stdin_open = False
                    try:
                        sock.shutdown(socket.SHUT_WR)
                    except OSError:
                        return 0
                    continue
                sock.sendall(data)
            else:
                try:
                    data = sock.recv(65536)
                except OSError:
                    data = b""
                if not data:
                    return 0
                view = memoryview(data)
                while view:
                    n = os.write(1, view)
                    view = view[n:]
        if not stdin_open and not sel.get_map():
            return 0


def banner(addr: str, timeout: float) -> bool:
    try:
        with socket.create_connection((addr, 22), timeout=timeout) as s:
            s.settimeout(timeout)
            ok = s.recv(4).startswith(b"SSH-")
            if ok:  # identify ourselves, so sshd logs a plain disconnect rather than an error
                s.sendall(b"SSH-2.0-failover-lab-probe\r\n")
            return ok
    except OSError:
        return False


def wait_ssh(deadline_s: float, addrs: list[str]) -> int:
    deadline = time.monotonic() + deadline_s
    pending = list(addrs)
    while pending and time.monotonic() < deadline:
        pending = [a for a in pending if not banner(a, 1.0)]
        if pending:
            time.sleep(0.1)
    if pending:
        print(" ".join(pending))
        return 1
    return 0


def main() -> int:
    if len(sys.argv) >= 3 and sys.argv[1] == "--wait-ssh":
        return wait_ssh(float(sys.argv[2]), sys.argv[3:])
    if len(sys.argv) != 3:
        print("usage: relay.py HOST PORT | --wait-ssh SECONDS ADDR...", file=sys.stderr)
        return 2
    return relay(sys.argv[1], int(sys.argv[2]))


if __name__ == "__main__":
    sys.exit(main())
