"""cluster_info as Ansible runs it on a host.

On the test machine no cluster daemon runs, so the module must fail cleanly with a message
that says it cannot read the cluster state, and change nothing. The lab scenarios run it
against real nodes; the parsing itself is tested in module_utils/test_status.py.
"""

from __future__ import annotations

import shutil

import pytest


@pytest.mark.skipif(shutil.which("crm_mon") is None, reason="pacemaker-cli-utils not installed")
def test_module_reports_a_clean_error_without_a_cluster(run_module):
    result = run_module("cluster_info")
    assert result["failed"] is True
    assert result["msg"].startswith("cannot read the cluster state on this node: ")
    assert result["changed"] is False
    assert "Could not connect to launcher" in result["msg"]
    assert result["commands"][0][1:] == ["--one-shot", "--output-as=xml", "--include=bans", "--inactive"]


def test_module_without_crm_mon_names_the_missing_tool(run_module, tmp_path):
    result = run_module("cluster_info", env={"PATH": str(tmp_path)})
    assert result["failed"] is True
    assert "crm_mon" in result["msg"]


def test_module_rejects_unknown_options(run_module):
    result = run_module("cluster_info", bogus=True)
    assert result["failed"] is True
    assert "Unsupported parameters" in result["msg"]
    assert "bogus" in result["msg"]


def test_module_rejects_wrong_types(run_module):
    result = run_module("cluster_info", quorum="perhaps")
    assert result["failed"] is True
    assert "quorum" in result["msg"]
