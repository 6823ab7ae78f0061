"""The emulator, the collection's command builder and the documentation agree."""

from __future__ import annotations

import importlib.util

from snaemu_helpers import ROOT

from sna_emulator import rcs, verbs
from sna_emulator.textio import split_command


def _module_utils_sna():
    """The SNA command-line layer, loaded from its file as the OCF agents load it (stdlib only)."""
    spec = importlib.util.spec_from_file_location("_sna_under_test", ROOT / "plugins" / "module_utils" / "_sna_cli.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_builder_and_emulator_know_the_same_verbs_and_keys():
    sna = _module_utils_sna()
    assert {verb: list(keys) for verb, keys in sna.VERBS.items()} == {
        verb: list(keys) for verb, keys in verbs.VERBS.items()
    }


def test_built_argv_is_what_the_emulator_parses():
    sna = _module_utils_sna()
    params = {
        "ls_name": "HALS",
        "port_name": "HAPORT",
        "remote_ip_host": "10.0.0.5",
        "pu_name": "HAPU",
        "description": "to the host",
    }
    argv = sna.admin_argv("define_ip_ls", params)
    assert split_command(argv[1:]) == ("define_ip_ls", params)
    assert verbs.check_params("define_ip_ls", params)["description"] == "to the host"


def test_every_return_code_is_documented():
    doc = (ROOT / "docs" / "sna-emulator.md").read_text()
    for name in [*rcs.PRIMARY_EXIT, *rcs.SECONDARY]:
        assert name in doc, name
    for secondary, (primary, _meaning) in rcs.SECONDARY.items():
        assert primary in rcs.PRIMARY_EXIT, secondary
