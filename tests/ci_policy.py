"""pytest plugin: no silent skips in CI.

A test here skips only when its machine lacks something - a tool (xmllint, ocf-tester, crm_mon,
sbd), root, the namespace lab. On a developer's machine that is fine and the reason is printed in
the summary (``-rs``). Under ``CI=true`` (CI's runner, ``.ci/run``) the machine is supposed to
have everything ``scripts/setup`` installs and to run as root, so a skip there would hide a check
that cannot fail: every skip is reported as a failure instead, with the skip's reason. Expected
failures (xfail) are not skips and keep their meaning.

Loaded by tests/conftest.py (its hooks are imported there).
"""

from __future__ import annotations

import os

import pytest

TRUE = {"1", "true", "yes", "on"}


def ci_enforced() -> bool:
    return os.environ.get("CI", "").strip().lower() in TRUE


def _reason(report) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr)


def pytest_configure(config):
    # Print every skip's reason in the short test summary, on every machine.
    chars = getattr(config.option, "reportchars", "") or ""
    if "s" not in chars and "a" not in chars and "A" not in chars:
        config.option.reportchars = chars + "s"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.skipped and not hasattr(report, "wasxfail") and ci_enforced():
        report.outcome = "failed"
        report.longrepr = (
            f"{item.nodeid}: skipped under CI=true - {_reason(report)}. A CI machine runs as root with "
            "everything scripts/setup installs, so this test must run there (see tests/ci_policy.py)"
        )
    return report
