"""Command-line splitting and product-style output shared by the emulator's commands."""

from __future__ import annotations

import re

from sna_emulator.rcs import SnaError

_PAIR = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*(?=(?:\s+[A-Za-z_][A-Za-z0-9_]*\s*=)|$)")

KEY_WIDTH = 28


def split_command(argv: list[str]) -> tuple[str, dict[str, str]]:
    """Split ``verb, key=value, key=value`` given as one string or as shell words.

    Accepts ``["start_ls,", "ls_name=HALS"]``, ``["start_ls, ls_name=HALS"]`` and
    ``["start_ls", "ls_name=HALS"]``. A value may hold spaces (``description=my gw``).
    """
    text = " ".join(argv).strip()
    if not text:
        raise SnaError.of("SYNTAX_ERROR", "no verb given")
    pieces = text.split(",")
    head = pieces[0].strip().split(None, 1)
    verb = head[0].lower()
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", verb):
        raise SnaError.of("SYNTAX_ERROR", f"{verb!r} is not a verb")
    rest = ([head[1]] if len(head) > 1 else []) + pieces[1:]
    params: dict[str, str] = {}
    for piece in rest:
        piece = piece.strip()
        if not piece:
            continue
        if "=" not in piece:
            raise SnaError.of("SYNTAX_ERROR", f"{piece!r} is not key=value")
        found = _PAIR.findall(piece)
        if not found or piece.split("=", 1)[0].strip() != found[0][0]:
            raise SnaError.of("SYNTAX_ERROR", f"{piece!r} is not key=value")
        for key, value in found:
            params[key.lower()] = value
    return verb, params


def format_blocks(objects: list[dict]) -> str:
    """``key = value`` lines, one block per object, blocks separated by a blank line."""
    blocks = []
    for obj in objects:
        lines = [f"{key:<{KEY_WIDTH}}= {'' if value is None else value}".rstrip() for key, value in obj.items()]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + ("\n" if blocks else "")


def format_error(program: str, verb: str, err: dict) -> str:
    lines = [f"{program}: {verb} failed", f"{'primary_rc':<{KEY_WIDTH}}= {err['primary_rc']}"]
    if err.get("secondary_rc"):
        lines.append(f"{'secondary_rc':<{KEY_WIDTH}}= {err['secondary_rc']}")
    if err.get("message"):
        lines.append(f"{'message':<{KEY_WIDTH}}= {err['message']}")
    return "\n".join(lines) + "\n"
