#!/usr/bin/python3
"""The per-host watcher: the host's "hardware".

Runs detached (its own session) inside the host's network namespace, started
by ``labctl up``/``start``.  For each boot it brings the host's links up with
their lab addresses, runs ``node_init.py enter`` (which becomes the host's
PID 1 under ``unshare``) and waits.  Whenever PID 1 dies, for any reason, it
takes the links down and flushes every address (so a crashed host's floating
IP does not linger).  A host that asked for a reboot (reboot(2) inside a PID
namespace ends its PID 1 with SIGHUP; sbd fences that way) boots again when
the lab's ``on_reboot`` is ``restart``; anything else (poweroff, SIGKILL from
``crash``/``down``) leaves it down until ``labctl start``.

Standard library only; run as a script.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

_stop = False


def log(msg: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} [supervisor] {msg}", flush=True)


def ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=False)


def links_up(cfg: dict) -> None:
    ip("link", "set", "lo", "up")
    for link in cfg["links"]:
        ip("addr", "flush", "dev", link["ifname"])
        ip("addr", "add", f"{link['address']}/{link['prefixlen']}", "dev", link["ifname"])
        ip("link", "set", link["ifname"], "up")


def links_down(cfg: dict) -> None:
    for link in cfg["links"]:
        ip("link", "set", link["ifname"], "down")
        ip("addr", "flush", "dev", link["ifname"])


def _on_term(_signo, _frame) -> None:
    global _stop  # noqa: PLW0603
    _stop = True


def main() -> None:
    cfg_path = sys.argv[1]
    cfg = json.loads(Path(cfg_path).read_text())
    st = Path(cfg["state"])
    signal.signal(signal.SIGTERM, _on_term)
    (st / "supervisor.pid").write_text(f"{os.getpid()}\n")
    boots = 0
    try:
        while True:
            boots += 1
            (st / "intent").unlink(missing_ok=True)
            links_up(cfg)
            with open(st / "console.log", "ab") as console:
                proc = subprocess.Popen(
                    [cfg["python"], cfg["node_init"], "enter", cfg_path],
                    stdin=subprocess.DEVNULL,
                    stdout=console,
                    stderr=console,
                )
            (st / "unshare.pid").write_text(f"{proc.pid}\n")
            log(f"boot {boots}: unshare pid {proc.pid}")
            rc = proc.wait()
            links_down(cfg)
            (st / "unshare.pid").unlink(missing_ok=True)
            intent = (st / "intent").read_text().strip() if (st / "intent").exists() else ""
            how = f"signal {signal.Signals(-rc).name}" if rc < 0 else f"exit {rc}"
            log(f"PID 1 ended ({how}); intent {intent or '-'}; links down, addresses flushed")
            (st / "last_exit").write_text(json.dumps({"rc": rc, "how": how, "intent": intent, "time": time.time()}))
            reboot = rc in (-signal.SIGHUP, 128 + signal.SIGHUP)
            if _stop or intent or not reboot or cfg.get("on_reboot") != "restart":
                break
            time.sleep(0.5)
    finally:
        (st / "supervisor.pid").unlink(missing_ok=True)


if __name__ == "__main__":
    main()
