"""The collection as a user gets it: build the tarball, install it offline into a clean path, read
the documentation of every module, filter and role, run a module by FQCN.

No lab needed: the installed copy (not the checkout) must be what Ansible loads.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


# The top level of the tarball: the product and nothing else (galaxy.yml's build_ignore keeps the
# lab, the tests, the benchmarks, the developer's tooling and the docs' images out).
TOP_LEVEL = {
    "MANIFEST.json", "FILES.json", "README.md", "LICENSE", "CHANGELOG.rst", "bindep.txt",
    "changelogs", "docs", "meta", "playbooks", "plugins", "roles",
}


def _modules():
    return sorted(p.stem for p in (ROOT / "plugins" / "modules").glob("*.py") if not p.name.startswith("_"))


def _filters():
    """Every filter name a FilterModule of plugins/filter returns from filters()."""
    names = set()
    for path in (ROOT / "plugins" / "filter").glob("*.py"):
        body = path.read_text().split("def filters", 1)
        if len(body) == 2:
            names.update(re.findall(r"[\"'](\w+)[\"']\s*:", body[1]))
    return sorted(names)


def _roles():
    return sorted(p.parent.parent.name for p in (ROOT / "roles").glob("*/meta/argument_specs.yml"))


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


def _tar_names(tarball):
    listing = subprocess.run(["tar", "-tzf", str(tarball)], check=True, capture_output=True, text=True).stdout
    return {name.removeprefix("./").rstrip("/") for name in listing.splitlines()} - {"", "."}


def test_tarball_top_level_is_the_product_only(installed):
    _path, _env, tarball = installed
    names = _tar_names(tarball)
    assert {name.split("/", 1)[0] for name in names} == TOP_LEVEL


def test_tarball_leaves_out_the_developer_tree(installed):
    path, _env, tarball = installed
    names = _tar_names(tarball)
    assert "plugins/modules/cluster_info.py" in names
    # the emulator travels inside the role that installs it (lab path only), not beside the collection
    assert "roles/sna_gateway/files/sna_emulator/__main__.py" in names
    assert not [n for n in names if n.endswith((".png", ".pyc", ".tar.gz")) or "__pycache__" in n]
    assert not [n for n in names if n.startswith("docs/img")]
    assert "changelogs/.plugin-cache.yaml" not in names
    assert (path / "MANIFEST.json").is_file()
    manifest = json.loads((path / "MANIFEST.json").read_text())["collection_info"]
    assert manifest["version"] == yaml.safe_load((ROOT / "galaxy.yml").read_text())["version"]
    # no placeholder links: a link is real or absent
    assert not [v for v in manifest.values() if isinstance(v, str) and "example.invalid" in v]


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


@pytest.mark.parametrize("name", _filters())
def test_ansible_doc_renders_every_filter(installed, name):
    path, env, _tarball = installed
    out = subprocess.run(
        [BIN / "ansible-doc", "-t", "filter", "--json", f"failover.cluster.{name}"],
        check=True, capture_output=True, text=True, env=env, cwd=path.parent,
    ).stdout
    doc = json.loads(out)[f"failover.cluster.{name}"]
    assert doc["doc"]["short_description"], doc
    assert doc.get("examples"), f"{name}: no EXAMPLES"
    assert Path(doc["doc"]["filename"]).is_relative_to(path)


@pytest.mark.parametrize("role", _roles())
def test_ansible_doc_renders_every_role(installed, role):
    path, env, _tarball = installed
    out = subprocess.run(
        [BIN / "ansible-doc", "-t", "role", "--json", f"failover.cluster.{role}"],
        check=True, capture_output=True, text=True, env=env, cwd=path.parent,
    ).stdout
    doc = json.loads(out)[f"failover.cluster.{role}"]
    assert doc["entry_points"]["main"]["short_description"], doc
    assert Path(doc["path"]).is_relative_to(path)


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


def test_the_sna_command_line_ships_once_and_the_agents_find_it(installed):
    """plugins/module_utils/_sna_cli.py is the one copy of the SNA command line: the agents in the
    installed collection import it from there (on a node the role puts it next to their library)."""
    path, env, tarball = installed
    copies = sorted(n for n in _tar_names(tarball) if n.endswith("_sna_cli.py"))
    assert copies == ["plugins/module_utils/_sna_cli.py"]
    for agent in ("sna_node", "sna_port", "sna_link_station"):
        proc = subprocess.run([str(path / "roles" / "ocf_agents" / "files" / "resource.d" / "failover" / agent),
                               "meta-data"], capture_output=True, text=True, env=env, check=False)
        assert proc.returncode == 0 and f'<resource-agent name="{agent}"' in proc.stdout, proc.stderr


def test_installed_ocf_agents_role_copies_the_sna_command_line(installed, tmp_path):
    """The installed role finds _sna_cli.py in its collection (check mode: nothing is written)."""
    path, env, _tarball = installed
    playbook = tmp_path / "agents.yml"
    root = tmp_path / "ocf"
    playbook.write_text(yaml.safe_dump([{
        "hosts": "localhost", "connection": "local", "gather_facts": True,
        "roles": [{"role": "failover.cluster.ocf_agents", "ocf_agents_root": str(root)}],
    }]))
    proc = subprocess.run(
        [BIN / "ansible-playbook", "--check", "-v", "-i", "localhost,", str(playbook)],
        capture_output=True, text=True, check=False, env=dict(env, PATH=f"/usr/sbin:/usr/bin:/sbin:/bin:{BIN}"),
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr
    task = "TASK [failover.cluster.ocf_agents : Install the SNA command-line layer next to the agents' library]"
    after = proc.stdout.split(task, 1)[1].split("TASK [", 1)[0]
    # a source the installed role could not find would fail the task ("Could not find or access")
    assert "changed: [localhost]" in after, after
    assert not root.exists()
