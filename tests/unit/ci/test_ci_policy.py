"""tests/ci_policy.py: a skip fails under CI=true and is listed with its reason elsewhere."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[2]

SAMPLE = '''
import shutil
import pytest

@pytest.mark.skipif(shutil.which("no-such-tool-here") is None, reason="needs no-such-tool-here")
def test_needs_a_tool():
    pass

@pytest.fixture
def root_only():
    pytest.skip("needs root")

def test_needs_root(root_only):
    pass

@pytest.mark.xfail(reason="known", strict=True)
def test_expected_failure():
    assert False

def test_runs():
    pass
'''


def _pytest(tmp_path, ci):
    (tmp_path / "test_sample.py").write_text(SAMPLE)
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "PYTEST_ADDOPTS")}
    env["PYTHONPATH"] = str(TESTS)
    if ci is not None:
        env["CI"] = ci
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "ci_policy", "-p", "no:cacheprovider", "-q", "test_sample.py"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_skips_are_allowed_and_explained_on_a_developer_machine(tmp_path):
    proc = _pytest(tmp_path, None)
    assert proc.returncode == 0, proc.stdout
    assert "SKIPPED [1] test_sample.py:5: needs no-such-tool-here" in proc.stdout
    assert "needs root" in proc.stdout
    assert "1 passed, 2 skipped, 1 xfailed" in proc.stdout


@pytest.mark.parametrize("value", ["true", "1"])
def test_a_skip_fails_under_ci(tmp_path, value):
    proc = _pytest(tmp_path, value)
    assert proc.returncode == 1, proc.stdout
    assert "test_needs_a_tool: skipped under CI=true - needs no-such-tool-here." in proc.stdout
    assert "test_needs_root: skipped under CI=true - needs root." in proc.stdout
    # skips happen while setting a test up, so they count as errors; the xfail keeps its meaning
    assert "1 passed, 1 xfailed, 2 errors" in proc.stdout


def test_ci_false_does_not_enforce(tmp_path):
    assert _pytest(tmp_path, "false").returncode == 0
