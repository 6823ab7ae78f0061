#!/usr/bin/python3
"""The service as a user sees it, sampled from a third host: is the relocatable IP answering,
and (for an SNA package) are all the PUs ACTIVE at the remote SNA host? One JSON line per
sample. Runs until the stop file appears or --max seconds pass. Standard library only."""

import argparse
import json
import os
import subprocess
import time


def ip_up(address):
    proc = subprocess.run(["ping", "-n", "-q", "-c", "1", "-W", "1", address], capture_output=True, check=False)
    return proc.returncode == 0


def pus_active(query, names):
    """How many of ``names`` the remote SNA host shows ACTIVE, asked with the site's query command."""
    proc = subprocess.run(query, capture_output=True, text=True, check=False)
    state, active = None, set()
    for line in proc.stdout.splitlines():
        key, _sep, value = line.partition("=")
        key, value = key.strip(), value.strip()
        if key == "pu_name":
            state = value
        elif key == "pu_state" and value == "ACTIVE" and state:
            active.add(state)
    return len(active & set(names))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--stop-file", required=True)
    parser.add_argument("--ip", action="append", default=[])
    parser.add_argument("--pu", action="append", default=[])
    parser.add_argument("--query", action="append", default=[],
                        help="one word of the remote SNA host's PU query command (repeat for each)")
    parser.add_argument("--interval", type=float, default=0.05)
    parser.add_argument("--max", type=float, default=900)
    args = parser.parse_args()
    deadline = time.monotonic() + args.max
    with open(args.out, "w", encoding="utf-8") as out:
        while time.monotonic() < deadline and not os.path.exists(args.stop_file):
            started = time.monotonic()
            ips = sum(1 for a in args.ip if ip_up(a))
            pus = pus_active(args.query, args.pu) if args.pu and args.query else 0
            up = ips == len(args.ip) and (pus == len(args.pu) or not args.query)
            out.write(json.dumps({"t": time.time(), "up": up, "ips": ips, "pus": pus}) + "\n")
            out.flush()
            time.sleep(max(0.0, args.interval - (time.monotonic() - started)))


if __name__ == "__main__":
    main()
