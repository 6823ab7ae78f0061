"""The file Debian's corosync package installs is recognised as forming no cluster."""

from __future__ import annotations

from pathlib import Path

from ansible_collections.failover.cluster.plugins.module_utils._model.corosync import is_standalone_default

DEBIAN = (Path(__file__).parents[1] / "fixtures" / "corosync_debian_default.conf").read_text()


def test_debian_package_default_is_standalone():
    assert is_standalone_default(DEBIAN) is True


def test_a_real_cluster_is_not():
    two_nodes = DEBIAN.replace(
        "nodelist {",
        "nodelist {\n\tnode {\n\t\tname: node2\n\t\tnodeid: 2\n\t\tring0_addr: 198.51.100.12\n\t}",
    )
    assert is_standalone_default(two_nodes) is False
    assert is_standalone_default(DEBIAN.replace("127.0.0.1", "198.51.100.11")) is False


def test_garbage_is_not():
    assert is_standalone_default("totem {") is False


def test_runtime_nodelist():
    from ansible_collections.failover.cluster.plugins.module_utils._model.corosync import (
        runtime_nodelist_is_standalone,
    )

    debian = (
        "nodelist.node.0.name (str) = node1\n"
        "nodelist.node.0.nodeid (u32) = 1\n"
        "nodelist.node.0.ring0_addr (str) = 127.0.0.1\n"
    )
    assert runtime_nodelist_is_standalone(debian) is True
    cluster = (
        "nodelist.node.0.ring0_addr (str) = 198.51.100.11\n"
        "nodelist.node.1.ring0_addr (str) = 198.51.100.12\n"
    )
    assert runtime_nodelist_is_standalone(cluster) is False
    assert runtime_nodelist_is_standalone("") is False
