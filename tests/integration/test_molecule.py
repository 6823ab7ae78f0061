"""Every Molecule scenario of the collection, run in the namespace lab as part of pytest.

Each scenario brings up its own lab (prefix = scenario name), converges with the real
daemons, checks idempotence, verifies the nodes' real state and destroys the lab; this
test only runs it and reports. The full log of each run is kept in .cache/molecule-logs/.
Select one with: pytest tests/integration/test_molecule.py -k cluster_qs
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = sorted(
    p.parent.name for p in (ROOT / "molecule").glob("*/molecule.yml") if not p.parent.name.startswith("_")
)
LOGS = ROOT / ".cache" / "molecule-logs"

pytestmark = [
    pytest.mark.lab,
    pytest.mark.skipif(os.geteuid() != 0, reason="the namespace lab needs root"),
]


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_scenario(scenario):
    LOGS.mkdir(parents=True, exist_ok=True)
    log = LOGS / f"{scenario}.log"
    venv_bin = str(Path(sys.executable).parent)
    env = dict(os.environ, PATH=f"{venv_bin}:{os.environ.get('PATH', '/usr/bin:/bin')}", ANSIBLE_FORCE_COLOR="0")
    env["NO_COLOR"] = "1"
    with open(log, "w", encoding="utf-8") as out:
        proc = subprocess.run(
            [os.path.join(venv_bin, "molecule"), "test", "-s", scenario],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            timeout=1500,
            check=False,
        )
    if proc.returncode != 0:
        tail = "".join(log.read_text(encoding="utf-8", errors="replace").splitlines(keepends=True)[-80:])
        pytest.fail(f"molecule test -s {scenario} exited {proc.returncode}; last lines of {log}:\n{tail}")
