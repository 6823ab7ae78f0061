"""Filter a NUL-separated list of paths (git ls-files -z) down to the collection's content.

A path is content when it exists and no part of it matches a build_ignore pattern of
galaxy.yml, the rule ``ansible-galaxy collection build`` applies (fnmatch on the path relative
to the collection root, for every directory on the way and for the file itself). ``--also DIR``
keeps DIR and everything under it although build_ignore leaves it out (scripts/sanity adds the
unit tests and the sanity ignore files this way).
"""

from __future__ import annotations

import argparse
import fnmatch
import os
import sys
from pathlib import Path

import yaml

# What ansible-galaxy always leaves out, besides build_ignore.
ALWAYS = ["MANIFEST.json", "FILES.json", "galaxy.yml", "galaxy.yaml", ".git", "*.pyc", "*.retry", "tests/output"]
ALWAYS_DIRS = {"CVS", ".bzr", ".hg", ".git", ".svn", "__pycache__", ".tox"}


def is_content(path: str, patterns: list[str], also: list[str]) -> bool:
    parts = Path(path).parts
    if any(part in ALWAYS_DIRS for part in parts[:-1]):
        return False
    if any(path == keep or path.startswith(keep.rstrip("/") + "/") for keep in also):
        return True
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    return not any(fnmatch.fnmatch(prefix, pattern) for prefix in prefixes for pattern in patterns)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--also", action="append", default=[], metavar="DIR")
    parser.add_argument("--galaxy", default="galaxy.yml")
    args = parser.parse_args(argv)
    galaxy = yaml.safe_load(Path(args.galaxy).read_text())
    patterns = ALWAYS + list(galaxy.get("build_ignore") or [])
    for raw in sys.stdin.buffer.read().split(b"\0"):
        path = os.fsdecode(raw)
        if path and os.path.lexists(path) and is_content(path, patterns, args.also):
            sys.stdout.buffer.write(raw + b"\0")
    return 0


if __name__ == "__main__":
    sys.exit(main())
