"""Fixtures for the lab's own tests (helpers live in lab_helpers.py)."""

from __future__ import annotations

import pytest
from lab_helpers import LabHandle, lab_unusable_reason, labctl, leftovers


@pytest.fixture(autouse=True)
def _lab_requirements(request):
    if request.node.get_closest_marker("lab") is None:
        return  # needs no lab (e.g. test_molecule_driver_unit.py)
    reason = lab_unusable_reason()
    if reason:
        pytest.skip(reason)


@pytest.fixture
def make_lab(request):
    """Factory: make_lab(suffix) -> LabHandle with prefix 'tl<suffix>'; always torn down and verified."""
    made: list[str] = []

    def factory(suffix: str) -> LabHandle:
        prefix = f"tl{suffix}"
        labctl(prefix, "down", check=False)  # a leftover from an aborted run
        made.append(prefix)
        return LabHandle(prefix)

    yield factory
    failures = []
    for prefix in made:
        proc = labctl(prefix, "down", check=False)
        left = leftovers(prefix)
        if proc.returncode != 0 or left:
            failures.append(f"{prefix}: rc={proc.returncode} {proc.stderr.strip()} leftovers={left}")
    assert not failures, "lab teardown left something behind: " + "; ".join(failures)
