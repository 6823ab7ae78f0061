#!/usr/bin/python3
"""Dual-active probe, run on a THIRD lab host (the emulated mainframe), standard library only.

Every ``--interval`` seconds (default 0.1) it:

* sends one ARP request "who has ADDRESS" on ``--interface`` from the host's own address and
  collects every reply for ``--window`` seconds (default 0.08): the distinct sender MACs are the
  nodes that hold the relocatable IP right now (two MACs = dual-active). This is what
  ``arping -c1 -w1 -I IF ADDRESS`` does, except that it does not stop at the first reply; a
  probe without any reply is repeated once with a 0.2 s window;
* reads the remote SNA host's PU table (``snahost``'s ``status.json``, the data ``snahost query``
  prints, rewritten by snahost on every change): which node holds each PU.

It prints one JSON line per probe (``t`` = CLOCK_MONOTONIC of the machine, shared by the
namespaces), ``{"t", "macs", "pus": {PU: [state, owner_hostname, owner_mac]}}``, and stops when
``--stop-file`` exists (the test creates it through ``labctl exec``, so no signal is needed).
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import select
import socket
import struct
import sys
import time

ETH_P_ARP = 0x0806
SIOCGIFADDR = 0x8915


def interface_address(name):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        packed = fcntl.ioctl(sock.fileno(), SIOCGIFADDR, struct.pack("256s", name.encode()[:15]))
    return packed[20:24]


def arp_request(src_mac, src_ip, target_ip):
    ether = b"\xff" * 6 + src_mac + struct.pack("!H", ETH_P_ARP)
    arp = struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + src_mac + src_ip + b"\x00" * 6 + target_ip
    return ether + arp + b"\x00" * 18


def probe_arp(sock, src_mac, src_ip, target_ip, window):
    sock.send(arp_request(src_mac, src_ip, target_ip))
    deadline = time.monotonic() + window
    macs = set()
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        ready, _w, _x = select.select([sock], [], [], left)
        if not ready:
            break
        frame = sock.recv(2048)
        if len(frame) < 42 or frame[12:14] != b"\x08\x06":
            continue
        op = struct.unpack("!H", frame[20:22])[0]
        if op == 2 and frame[28:32] == target_ip:
            macs.add(frame[22:28].hex(":"))
    return sorted(macs)


def read_pus(path):
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError):
        return None  # snahost is rewriting it, or stopped: the next probe reads it again
    return {pu["pu_name"]: [pu.get("pu_state"), pu.get("owner_hostname") or None, pu.get("owner_mac") or None]
            for pu in data}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--address", required=True)
    parser.add_argument("--interface", default="eth0")
    parser.add_argument("--interval", type=float, default=0.1)
    parser.add_argument("--window", type=float, default=0.08)
    parser.add_argument("--status", default="/var/lib/snahost/status.json")
    parser.add_argument("--stop-file", required=True)
    args = parser.parse_args()

    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ARP))
    sock.bind((args.interface, 0))
    src_mac = sock.getsockname()[4]
    src_ip = interface_address(args.interface)
    target_ip = socket.inet_aton(args.address)
    next_at = time.monotonic()
    while not os.path.exists(args.stop_file):
        started = time.monotonic()
        macs = probe_arp(sock, src_mac, src_ip, target_ip, args.window)
        if not macs:  # no answer: ask once more with a longer window before calling the IP absent
            macs = probe_arp(sock, src_mac, src_ip, target_ip, 0.2)
        sample = {"t": round(started, 3), "macs": macs, "pus": read_pus(args.status)}
        sys.stdout.write(json.dumps(sample, separators=(",", ":")) + "\n")
        sys.stdout.flush()
        next_at += args.interval
        time.sleep(max(0.0, next_at - time.monotonic()))
        if time.monotonic() - next_at > 1:  # fell behind (loaded machine): do not burst
            next_at = time.monotonic()
    return 0


if __name__ == "__main__":
    sys.exit(main())
