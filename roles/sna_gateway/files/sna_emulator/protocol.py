"""The emulator's Enterprise-Extender-like datagram protocol between a gateway and the remote host.

Every datagram is one UTF-8 JSON object with ``"proto": "SNAEMU-EE/1"`` and a ``"type"``:

=============  =========================  ================================================
type           direction                  fields besides proto/type
=============  =========================  ================================================
ACTPU          gateway -> remote          corr, pu, ls, cp_name, node_id, instance, hostname
ACTPU_RSP      remote -> gateway          corr, pu, result (OK|REFUSED), sense, session, owner
KA             both ways                  pu, session
KA_RSP         both ways                  pu, session
DACTPU         both ways                  corr, pu, session, reason
DACTPU_RSP     both ways                  corr, pu, session
FORCE_DACTPU   gateway -> remote          corr, pu, cp_name, instance, hostname
FORCE_RSP      remote -> gateway          corr, pu, result (FORCED|NOT_ACTIVE|REFUSED), sense, owner
=============  =========================  ================================================
"""

from __future__ import annotations

import json
import socket
import uuid

PROTO = "SNAEMU-EE/1"
MAX_DATAGRAM = 8192


def encode(kind: str, **fields) -> bytes:
    return json.dumps({"proto": PROTO, "type": kind, **fields}, separators=(",", ":")).encode()


def decode(data: bytes) -> dict | None:
    """The message, or None for anything that is not ours."""
    try:
        msg = json.loads(data.decode())
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(msg, dict) or msg.get("proto") != PROTO or not isinstance(msg.get("type"), str):
        return None
    return msg


def new_id() -> str:
    return uuid.uuid4().hex[:16]


def resolve(host: str, port: int) -> tuple:
    """The first UDP address of host:port (raises OSError when it does not resolve)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)
    return infos[0][4]
