"""The collection as a user gets it: build the tarball, install it, run modules by FQCN.

No lab needed: the installed copy (not the checkout) must be what Ansible loads.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def _modules():
    return sorted(p.stem for p in (ROOT / "plugins" / "modules").glob("*.py") if not p.name.startswith("_"))


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    work = tmp_path_factory.mktemp("build")
    version = yaml.safe_load((ROOT / "galaxy.yml").read_text())["version"]
    subprocess.run(
        [BIN / "ansible-galaxy", "collection", "build", "--output-path", str(work), str(ROOT)],
        check=True,
        capture_output=True,
        text=True,
    )
    tarball = work / f"failover-cluster-{version}.tar.gz"
    assert tarball.is_file()
    dest = work / "collections"
    (work / "ansible.cfg").write_text("")
    # A clean Ansible: no project config, no collection path and no ANSIBLE_HOME of the
    # checkout (whose collections/ links back to the checkout and would count as installed).
    env = dict(
        os.environ, ANSIBLE_CONFIG=str(work / "ansible.cfg"), HOME=str(work), ANSIBLE_HOME=str(work / "ansible-home")
    )
    env.pop("ANSIBLE_COLLECTIONS_PATH", None)
    subprocess.run(
        [BIN / "ansible-galaxy", "collection", "install", "--offline", "-p", str(dest), str(tarball)],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    )
    env["ANSIBLE_COLLECTIONS_PATH"] = str(dest)
    return dest / "ansible_collections" / "failover" / "cluster", env, tarball


def test_tarball_leaves_out_the_developer_tree(installed):
    path, _env, tarball = installed
    listing = subprocess.run(["tar", "-tzf", str(tarball)], check=True, capture_output=True, text=True).stdout
    names = set(listing.split())
    assert "MANIFEST.json" in names
    assert "plugins/modules/cluster_info.py" in names
    assert not [n for n in names if n.startswith((".venv", ".cache", ".ci", "scripts", "tests/output"))]
    assert (path / "MANIFEST.json").is_file()


@pytest.mark.parametrize("module", _modules())
def test_ansible_doc_renders_every_module(installed, module):
    path, env, _tarball = installed
    out = subprocess.run(
        [BIN / "ansible-doc", "--json", f"failover.cluster.{module}"],
        check=True,
        capture_output=True,
        text=True,
        env=env,
        cwd=path.parent,
    ).stdout
    doc = json.loads(out)[f"failover.cluster.{module}"]
    assert doc["doc"]["collection"] == "failover.cluster"
    assert Path(doc["doc"]["filename"]).is_relative_to(path)


def test_installed_module_runs_by_fqcn(installed):
    _path, env, _tarball = installed
    proc = subprocess.run(
        [BIN / "ansible", "localhost", "-c", "local", "-m", "failover.cluster.cluster_info", "-o"],
        capture_output=True,
        text=True,
        env=dict(env, PATH=f"/usr/sbin:/usr/bin:/sbin:/bin:{BIN}"),
        check=False,
    )
    # No cluster runs on the test machine: the installed module ran and said so cleanly.
    assert "cannot read the cluster state on this node" in proc.stdout, proc.stdout + proc.stderr
