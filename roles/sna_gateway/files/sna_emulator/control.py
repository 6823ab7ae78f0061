"""One-request-per-connection JSON control channel over a unix socket (daemon <-> CLI)."""

from __future__ import annotations

import json
import os
import socket
import time
from pathlib import Path

TYPE_CHECKING = False  # typing itself costs an admin command 2 ms
if TYPE_CHECKING:  # the server side's modules are imported by serve(): every admin command is a client
    import socketserver


class NotRunning(Exception):
    """Nothing answers on the control socket."""


# Connections the daemon's listen queue holds before it accepts them: many clients (64 link
# stations started at once by the cluster) connect within the same few milliseconds.
BACKLOG = 256
# A full queue makes connect() fail at once (EAGAIN); the client tries again for this long.
CONNECT_PATIENCE = 10.0


def _connect(sock: socket.socket, path: Path, patience: float) -> None:
    deadline = time.monotonic() + patience
    delay = 0.005
    while True:
        try:
            sock.connect(str(path))
            return
        except (FileNotFoundError, ConnectionRefusedError) as exc:
            raise NotRunning(str(exc)) from None
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.1)


def request(path: Path, payload: dict, timeout: float = 60.0) -> dict:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        _connect(sock, path, min(timeout, CONNECT_PATIENCE))
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
    import socketserver  # pylint: disable=import-outside-toplevel,redefined-outer-name
    import threading  # pylint: disable=import-outside-toplevel

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
        request_queue_size = BACKLOG

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
