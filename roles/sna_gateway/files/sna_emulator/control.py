"""One-request-per-connection JSON control channel over a unix socket (daemon <-> CLI)."""

from __future__ import annotations

import json
import os
import socket
import socketserver
import threading
from pathlib import Path


class NotRunning(Exception):
    """Nothing answers on the control socket."""


def request(path: Path, payload: dict, timeout: float = 60.0) -> dict:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        try:
            sock.connect(str(path))
        except (FileNotFoundError, ConnectionRefusedError) as exc:
            raise NotRunning(str(exc)) from None
        sock.sendall(json.dumps(payload).encode() + b"\n")
        data = b""
        while not data.endswith(b"\n"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    finally:
        sock.close()
    if not data:
        raise ConnectionError("the daemon closed the connection without an answer")
    return json.loads(data)


def serve(path: Path, handler) -> socketserver.UnixStreamServer:
    """Serve ``handler(payload) -> dict`` on a unix socket in a background thread.

    An answer may carry ``"_after"``: a callable run once the answer is written.
    """

    class Handler(socketserver.StreamRequestHandler):
        def handle(self):
            line = self.rfile.readline()
            if not line:
                return
            try:
                payload = json.loads(line)
            except ValueError:
                payload = {}
            answer = handler(payload)
            after = answer.pop("_after", None)
            self.wfile.write(json.dumps(answer).encode() + b"\n")
            self.wfile.flush()
            if after:
                after()

    class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
        daemon_threads = True

    if path.exists() or path.is_symlink():
        path.unlink()
    server = Server(str(path), Handler)
    os.chmod(path, 0o600)
    threading.Thread(target=server.serve_forever, args=(0.1,), name="control", daemon=True).start()
    return server


def pid_alive(pid: int) -> bool:
    """True if the process exists and is not a zombie."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None
