"""Run a module of the collection the way Ansible does on a host: a fresh Python
process, arguments as a JSON file, the JSON result read from stdout."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

COLLECTIONS = Path(__file__).resolve().parents[4] / ".cache" / "collections"


@pytest.fixture
def run_module(tmp_path):
    def _run(name, env=None, **params):
        args = tmp_path / "args.json"
        args.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": params}))
        environ = dict(os.environ, PYTHONPATH=str(COLLECTIONS), **(env or {}))
        proc = subprocess.run(
            [sys.executable, "-m", f"ansible_collections.failover.cluster.plugins.modules.{name}", str(args)],
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
