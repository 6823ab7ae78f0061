"""Shared test setup.

Makes the checkout importable as ansible_collections.failover.cluster: it is seen through
.cache/collections/ansible_collections/failover/cluster, a relative symlink to the checkout
root (created by scripts/setup, and here if missing), so tests import the code they are
testing and nothing is installed into ~/.ansible.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
COLLECTIONS = ROOT / ".cache" / "collections"
LINK = COLLECTIONS / "ansible_collections" / "failover" / "cluster"

if not LINK.is_symlink():
    LINK.parent.mkdir(parents=True, exist_ok=True)
    LINK.symlink_to(Path("..") / ".." / ".." / "..")
if str(COLLECTIONS) not in sys.path:
    sys.path.insert(0, str(COLLECTIONS))
os.environ.setdefault("ANSIBLE_CONFIG", str(ROOT / "ansible.cfg"))
os.environ.setdefault("ANSIBLE_COLLECTIONS_PATH", str(COLLECTIONS))
# Molecule and ansible-lint install "the collection under test" into $ANSIBLE_HOME/collections;
# scripts/setup makes that a symlink to the checkout (see there), never a copy in ~/.ansible.
os.environ.setdefault("ANSIBLE_HOME", str(ROOT / ".cache" / "ansible-home"))


@pytest.fixture
def run_module(tmp_path):
    """Run a module of the collection the way Ansible does on a host: a fresh Python
    process, arguments as a JSON file, the JSON result read from stdout. ``wrap`` prefixes
    the command (for example unshare, to run it in a private PID namespace)."""

    def _run(name, env=None, wrap=(), **params):
        args = tmp_path / "args.json"
        args.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": params}))
        environ = dict(os.environ, PYTHONPATH=str(COLLECTIONS), **(env or {}))
        proc = subprocess.run(
            [*wrap, sys.executable, "-m", f"ansible_collections.failover.cluster.plugins.modules.{name}", str(args)],
            capture_output=True,
            text=True,
            env=environ,
            timeout=120,
            check=False,
        )
        try:
            return json.loads(proc.stdout)
        except json.JSONDecodeError as exc:
            raise AssertionError(f"module printed no JSON: {proc.stdout!r} {proc.stderr!r}") from exc

    return _run


# No silent skips in CI (CI=true): see tests/ci_policy.py. The hooks are registered by being
# names of this conftest module.
from ci_policy import pytest_configure, pytest_runtest_makereport  # noqa: E402, F401
