"""Entry point: ``python3 -m sna_emulator TOOL ARGS`` or an installed script named after the tool."""

from __future__ import annotations

import os
import sys

from sna_emulator import TOOLS

USAGE = (
    "usage: python3 -m sna_emulator {snap|sna|snapadmin|snaadmin|snahost|snapd|install|uninstall} ...\n"
    "       or an installed script named snap, sna, snapadmin, snaadmin or snahost\n"
)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv if argv is None else argv)
    tool = os.path.basename(argv[0])
    args = argv[1:]
    if tool not in TOOLS:
        if not args:
            sys.stderr.write(USAGE)
            return 2
        tool, args = args[0], args[1:]
    if tool in ("snap", "sna"):
        from sna_emulator.snap import main as run

        return run(tool, args)
    if tool in ("snapadmin", "snaadmin"):
        from sna_emulator.admin import main as run

        return run(tool, args)
    if tool == "snahost":
        from sna_emulator.host import main as run

        return run(tool, args)
    if tool == "snapd":
        from sna_emulator.snapd import main as run

        return run(args)
    if tool in ("install", "uninstall"):
        from sna_emulator.install import main as run

        return run(tool, args)
    sys.stderr.write(USAGE)
    return 2


if __name__ == "__main__":
    sys.exit(main())
