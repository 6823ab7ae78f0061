"""Install the emulator's commands and systemd units on a (lab) host.

``python3 -m sna_emulator install [--prefix /usr/local] [--python /usr/bin/python3]
[--systemd-dir /etc/systemd/system | --no-systemd] [--root DESTDIR]``

Copies the package to PREFIX/lib/snaemu/sna_emulator, writes PREFIX/bin/{snap,sna,snapadmin,
snaadmin,snahost}, the units snaemu-snapd.service and snaemu-snahost.service, and an example
PREFIX/share/snaemu/snahost.conf.example. Units are written, never enabled or started.
``uninstall`` removes the same files.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from sna_emulator import TOOLS

UNITS = {
    "snaemu-snapd.service": """\
[Unit]
Description=SNA stack emulator control daemon (snap start / snap stop)
Documentation=file://{prefix}/share/snaemu/README
After=network-online.target
Wants=network-online.target

[Service]
Type=forking
Environment=SNAEMU_STATE_DIR=/var/lib/snaemu
EnvironmentFile=-/etc/default/snaemu
PIDFile=/var/lib/snaemu/snapd.pid
WorkingDirectory=/
ExecStart={prefix}/bin/snap start
ExecStop={prefix}/bin/snap stop
TimeoutStopSec=60

[Install]
WantedBy=multi-user.target
""",
    "snaemu-snahost.service": """\
[Unit]
Description=SNA stack emulator: remote SNA host (mainframe side)
After=network-online.target
Wants=network-online.target

[Service]
Type=simple
Environment=SNAHOST_STATE_DIR=/var/lib/snahost
EnvironmentFile=-/etc/default/snahost
WorkingDirectory=/
ExecStart={prefix}/bin/snahost run --config /etc/snahost.conf
ExecStop={prefix}/bin/snahost stop
Restart=on-failure

[Install]
WantedBy=multi-user.target
""",
}

EXAMPLE_CONF = """\
# Remote SNA host of the SNA stack emulator (snahost run --config this-file)
[host]
listen = 0.0.0.0:12000
# release a PU whose owner stays silent this many seconds; 0 keeps it until deactivated or forced
stale_timeout = 0
ka_interval = 5
arp_table = /proc/net/arp

[pu HAPU]
# empty: any source may activate the PU; otherwise addresses or networks, and/or MAC addresses
allowed_addresses =
allowed_macs =
description = PU of the HA gateway
"""

SCRIPT = """\
#!{python}{flags}
# {tool}: SNA stack emulator command (installed by python3 -m sna_emulator install)
import sys
sys.path.insert(0, {libdir!r})
from sna_emulator.__main__ import main
sys.exit(main())
"""


def _flags(python: str) -> str:
    """``-S`` (no site module) after a plain interpreter path: the emulator is stdlib only and finds
    itself through sys.path, and every admin command is a process of its own, so the site
    module's work (some 10 ms of CPU on Debian's python3, more with .pth hooks) is paid hundreds
    of times per failover at 64 link stations. Nothing after ``/usr/bin/env python3``: a shebang
    carries one argument."""
    return "" if " " in python else " -S"


def _paths(root: Path, prefix: str, systemd_dir: str | None) -> dict[str, Path]:
    base = root / prefix.lstrip("/")
    paths = {
        "lib": base / "lib" / "snaemu",
        "bin": base / "bin",
        "share": base / "share" / "snaemu",
    }
    if systemd_dir:
        paths["units"] = root / systemd_dir.lstrip("/")
    return paths


def install(root: Path, prefix: str, python: str, systemd_dir: str | None) -> list[Path]:
    paths = _paths(root, prefix, systemd_dir)
    written: list[Path] = []
    pkg = paths["lib"] / "sna_emulator"
    if pkg.exists():
        shutil.rmtree(pkg)
    pkg.mkdir(parents=True)
    for src in sorted(Path(__file__).resolve().parent.glob("*.py")):
        shutil.copy2(src, pkg / src.name)
        written.append(pkg / src.name)
    paths["bin"].mkdir(parents=True, exist_ok=True)
    libdir = "/" + str(Path(prefix.lstrip("/")) / "lib" / "snaemu")
    for tool in TOOLS:
        script = paths["bin"] / tool
        script.write_text(SCRIPT.format(python=python, flags=_flags(python), tool=tool, libdir=libdir))
        script.chmod(0o755)
        written.append(script)
    paths["share"].mkdir(parents=True, exist_ok=True)
    (paths["share"] / "snahost.conf.example").write_text(EXAMPLE_CONF)
    (paths["share"] / "README").write_text(
        "SNA stack emulator (failover.cluster): a stand-in for SNAplus2 / CS Linux in tests and demos.\n"
        "See docs/sna-emulator.md in the collection.\n"
    )
    written += [paths["share"] / "snahost.conf.example", paths["share"] / "README"]
    if "units" in paths:
        paths["units"].mkdir(parents=True, exist_ok=True)
        for name, text in UNITS.items():
            (paths["units"] / name).write_text(text.format(prefix="/" + prefix.strip("/")))
            written.append(paths["units"] / name)
    return written


def uninstall(root: Path, prefix: str, systemd_dir: str | None) -> list[Path]:
    paths = _paths(root, prefix, systemd_dir)
    removed = [paths["bin"] / tool for tool in TOOLS]
    if "units" in paths:
        removed += [paths["units"] / name for name in UNITS]
    for path in removed:
        path.unlink(missing_ok=True)
    for path in (paths["lib"], paths["share"]):
        if path.exists():
            shutil.rmtree(path)
            removed.append(path)
    return removed


def main(action: str, argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog=f"python3 -m sna_emulator {action}")
    parser.add_argument("--prefix", default="/usr/local")
    parser.add_argument("--python", default="/usr/bin/python3", help="interpreter of the scripts")
    parser.add_argument("--systemd-dir", default="/etc/systemd/system")
    parser.add_argument("--no-systemd", action="store_true", help="do not write unit files")
    parser.add_argument("--root", default="/", help="install under this directory (like DESTDIR)")
    args = parser.parse_args(argv)
    systemd_dir = None if args.no_systemd else args.systemd_dir
    if action == "install":
        for path in install(Path(args.root), args.prefix, args.python, systemd_dir):
            print(path)
    else:
        for path in uninstall(Path(args.root), args.prefix, systemd_dir):
            print(f"removed {path}")
    return 0
