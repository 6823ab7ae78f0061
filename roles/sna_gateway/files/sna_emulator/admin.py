"""``snapadmin`` / ``snaadmin``: send one verb to the control daemon and print the answer.

Queries print ``key = value`` blocks on stdout; a failed verb prints ``primary_rc`` /
``secondary_rc`` / ``message`` on stderr and exits with the primary code's status (see rcs).
"""

from __future__ import annotations

import sys

from sna_emulator import control
from sna_emulator.config import Settings
from sna_emulator.rcs import PRIMARY_EXIT, SnaError
from sna_emulator.textio import format_blocks, format_error, split_command


def execute(prog: str, argv: list[str], state_dir: str | None = None) -> tuple[int, str, str]:
    """Run one admin command: ``(exit status, stdout text, stderr text)``."""
    settings = Settings.from_env(state_dir)
    verb = " ".join(argv).split(",", 1)[0].strip() or "(none)"
    try:
        verb, params = split_command(argv)
        answer = control.request(settings.socket, {"verb": verb, "params": params}, timeout=600)
    except SnaError as exc:
        answer = {"ok": False, **exc.to_dict()}
    except control.NotRunning:
        answer = {
            "ok": False,
            "primary_rc": "COMM_SUBSYSTEM_NOT_LOADED",
            "message": "the SNA software is not started on this server (start it with snap start)",
        }
    except (OSError, ValueError) as exc:
        answer = {"ok": False, "primary_rc": "COMM_SUBSYSTEM_ABENDED", "message": f"lost the control daemon: {exc}"}
    if answer.get("ok"):
        return 0, format_blocks(answer.get("objects") or []), ""
    return PRIMARY_EXIT.get(answer.get("primary_rc"), 1), "", format_error(prog, verb, answer)


def main(prog: str, argv: list[str]) -> int:
    rc, out, err = execute(prog, argv)
    sys.stdout.write(out)
    sys.stderr.write(err)
    return rc
