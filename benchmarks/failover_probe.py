"""The remote host's view of a failover: a probe that runs INSIDE the lab's remote SNA host.

Standard library only (it runs with the host's /usr/bin/python3). bench_failover.py starts it
once per lab with ``labctl exec mainframe -- python3 -u -c SOURCE ARGS`` (this file's text) and
reads one JSON line per sample from its stdout.
It ends when its stdin closes (the benchmark closes the pipe), so nothing needs to be killed.

Every ``--period`` seconds (default 0.05) one sample:

* ``pus``: the PUs exactly as ``snahost query`` reports them (the same request on snahost's
  control socket, without starting a process per sample): ``{name: [pu_state, owner_hostname]}``,
  or null when snahost did not answer (within 0.15 s): no verdict, the benchmark skips it;
* ``arp``: for each probed address, the MAC that answered a broadcast ARP request sent in this
  sample (null: no answer within the sample) - the relocatable IP as the network sees it;
* ``t``: CLOCK_MONOTONIC at the start of the sample (the lab has no time namespace, so the
  benchmark's own monotonic clock is the same clock).
"""

from __future__ import annotations

import json
import os
import select
import socket
import struct
import sys
import time


def main(argv: list[str]) -> int:
    iface, my_ip, sock_path, period = argv[0], argv[1], argv[2], float(argv[3])
    targets = argv[4:]
    with open(f"/sys/class/net/{iface}/address") as fh:
        my_mac = bytes.fromhex(fh.read().strip().replace(":", ""))
    raw = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0806))
    raw.bind((iface, 0))
    raw.setblocking(False)
    my_ip_b = socket.inet_aton(my_ip)
    frames = {}
    for tip in targets:
        arp = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, my_mac, my_ip_b, b"\0" * 6, socket.inet_aton(tip))
        frames[tip] = b"\xff" * 6 + my_mac + b"\x08\x06" + arp
    by_addr = {socket.inet_aton(t): t for t in targets}
    stdin = sys.stdin.fileno()
    out = sys.stdout

    def query():
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(max(0.15, period * 3))  # a late answer beats a lost sample; t stays the send time
        try:
            s.connect(sock_path)
            s.sendall(b'{"op": "query", "params": {}}\n')
            data = b""
            while not data.endswith(b"\n"):
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
            answer = json.loads(data)
            return {o["pu_name"]: [o["pu_state"], o["owner_hostname"]] for o in answer.get("objects", [])}
        except (OSError, ValueError):
            return None
        finally:
            s.close()

    nxt = time.monotonic()
    while True:
        t = time.monotonic()
        for frame in frames.values():
            try:
                raw.send(frame)
            except OSError:
                pass
        pus = query()
        seen: dict[str, str] = {}
        deadline = t + period * 0.8
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            ready, _, _ = select.select([raw, stdin], [], [], left)
            if stdin in ready and not os.read(stdin, 4096):
                return 0
            if raw in ready:
                while True:
                    try:
                        pkt = raw.recv(2048)
                    except BlockingIOError:
                        break
                    # Ethernet + ARP reply addressed to us: sender MAC at 22, sender IP at 28.
                    is_arp_reply = len(pkt) >= 42 and pkt[12:14] == b"\x08\x06" and pkt[20:22] == b"\x00\x02"
                    if is_arp_reply and pkt[38:42] == my_ip_b:
                        tip = by_addr.get(pkt[28:32])
                        if tip:
                            seen[tip] = pkt[22:28].hex(":")
        out.write(json.dumps({"t": round(t, 4), "pus": pus, "arp": {tip: seen.get(tip) for tip in targets}}) + "\n")
        out.flush()
        nxt += period
        now = time.monotonic()
        nxt = max(nxt, now)
        ready, _, _ = select.select([stdin], [], [], nxt - now)
        if ready and not os.read(stdin, 4096):
            return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
