"""The lab's Molecule driver without a lab: discovery, bundled playbooks, schema, connection vars.

No root and no lab needed (not marked ``lab``); they live here rather than in tests/unit because
the lab is a tool beside the collection (tests/unit is the collection's, and runs where Molecule
is not installed). The driver runs for real in test_molecule_driver.py (root, a 3-host lab).
Run: .venv/bin/pytest tests/lab/test_molecule_driver_unit.py
"""

from __future__ import annotations

import importlib.metadata
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from lab_helpers import ROOT
from molecule.model.schema_v3 import validate

from failover_lab.molecule_driver import NAME, FailoverLab

PLATFORMS = [{"name": "alpha"}, {"name": "beta"}, {"name": "gamma"}]


def test_molecule_finds_the_driver_through_its_entry_point():
    (ep,) = importlib.metadata.entry_points(group="molecule.driver", name=NAME)
    assert ep.load() is FailoverLab
    driver = FailoverLab(None)
    assert driver.name == NAME
    assert driver.version == importlib.metadata.version("failover-lab")


def test_the_driver_brings_its_own_create_and_destroy():
    driver = FailoverLab(None)
    for step in ("create", "destroy"):
        playbook = Path(driver.get_playbook(step))
        assert playbook.parent == ROOT / "lab/failover_lab/molecule_driver/playbooks"
        assert yaml.safe_load(playbook.read_text())[0]["hosts"] == "localhost"
    for step in ("prepare", "converge", "verify", "side_effect", "cleanup"):
        assert driver.get_playbook(step) is None  # the scenario's own
    assert Path(driver.schema_file()).is_file()


@pytest.mark.parametrize(
    "config",
    [
        {"driver": {"name": NAME}, "platforms": PLATFORMS},
        {
            "driver": {
                "name": NAME,
                "lab": {
                    "prefix": "myrole",
                    "networks": ["net0", "net1", {"name": "san", "cidr": "10.99.0.0/24"}],
                    "disks": [{"name": "lock0", "size": "64M"}, "data:128M"],
                    "mask_units": ["cron.service"],
                    "on_reboot": "stay-down",
                },
            },
            "platforms": [
                {"name": "node1", "groups": ["cluster"], "lab_networks": ["net0", "net1"]},
                {"name": "qs", "groups": ["arbitrator"], "lab_addresses": {"net0": "198.51.100.50"}},
            ],
        },
    ],
    ids=["minimal", "every-option"],
)
def test_schema_accepts(config):
    assert validate(config) == []


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (
            {"driver": {"name": NAME}, "platforms": [{"name": "alpha", "lab_network": ["net0"]}]},
            "$.platforms[0]: Additional properties are not allowed ('lab_network' was unexpected)",
        ),
        (
            {"driver": {"name": NAME, "lab": {"disk": ["lock0"]}}, "platforms": PLATFORMS},
            "$.driver.lab: Additional properties are not allowed ('disk' was unexpected)",
        ),
        (
            {"driver": {"name": NAME}, "platforms": [{"name": "Node_1"}]},
            "$.platforms[0].name: 'Node_1' does not match '^[a-z][a-z0-9-]{0,31}$'",
        ),
        (
            {"driver": {"name": NAME, "lab": {"on_reboot": "halt"}}, "platforms": PLATFORMS},
            "$.driver.lab.on_reboot: 'halt' is not one of ['restart', 'stay-down']",
        ),
    ],
    ids=["platform-typo", "lab-typo", "host-name", "on-reboot"],
)
def test_schema_refuses(config, message):
    assert validate(config) == [message]


def _driver(tmp_path, entries, ssh_connection_options=None):
    """The driver with Molecule's instance config holding ENTRIES (None: no file yet)."""
    if entries is not None:
        (tmp_path / "instance_config.yml").write_text(yaml.safe_dump(entries))
    config = SimpleNamespace(
        config_data={"driver": {"options": {"managed": True}, "ssh_connection_options": ssh_connection_options or []}},
        scenario=SimpleNamespace(ephemeral_directory=str(tmp_path)),
    )
    return FailoverLab(config)


STATE = "/srv/labs/t1"  # the lab's state directory (only paths here; nothing is created)
ENTRY = {
    "instance": "alpha",
    "address": "198.51.100.11",
    "user": "root",
    "port": 22,
    "identity_file": f"{STATE}/id_ed25519",
    "ssh_config": f"{STATE}/ssh_config",
    "control_path": f"{STATE}/cp/%r@%h:%p",
    "lab_prefix": "t1",
    "lab_addresses": {"net0": "198.51.100.11"},
}


def test_connection_vars_come_from_the_instance_config(tmp_path):
    driver = _driver(tmp_path, [ENTRY], ["-o ServerAliveInterval=2"])
    assert driver.ansible_connection_options("alpha") == {
        "ansible_connection": "ssh",
        "ansible_host": "198.51.100.11",
        "ansible_user": "root",
        "ansible_port": 22,
        "ansible_private_key_file": f"{STATE}/id_ed25519",
        "ansible_ssh_common_args": f"-F {STATE}/ssh_config -o ControlPath={STATE}/cp/%r@%h:%p -o ServerAliveInterval=2",
        "ansible_host_key_checking": True,
        "ansible_ssh_pipelining": True,
        "ansible_python_interpreter": "/usr/bin/python3",
        "failover_lab_prefix": "t1",
        "failover_lab_addresses": {"net0": "198.51.100.11"},
    }
    login = driver.login_cmd_template.format(**driver.login_options("alpha"))
    assert login == f"ssh -F {STATE}/ssh_config -o ControlPath={STATE}/cp/%r@%h:%p alpha"


def test_no_connection_vars_before_create_or_after_destroy(tmp_path):
    assert _driver(tmp_path, None).ansible_connection_options("alpha") == {}
    assert _driver(tmp_path, None).login_options("alpha") == {"instance": "alpha"}
    assert _driver(tmp_path, []).ansible_connection_options("alpha") == {}  # destroy leaves "[]"
