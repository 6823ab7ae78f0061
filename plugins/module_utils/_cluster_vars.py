# Copyright: failover.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The cluster description's public variables: one table, read by every role that needs the cluster.

The ``failover.cluster.cluster`` role documents the variables (``cluster_name``, ``cluster_nodes``,
``cluster_member_timeout``, ...) and their defaults (``roles/cluster/defaults/main.yml``). The
other roles (``packages``, ``lock_lun``, ``quorum_server``'s member part, ``sna_gateway``) read the
same variables through ``failover.cluster.cluster_spec`` without arguments: its action plugin
builds the description with :func:`spec_from_vars`, so a role that runs without the cluster role
in its play sees the same defaults. A unit test keeps this table and the role's defaults equal.
"""

from __future__ import annotations

REQUIRED = object()  # no default: the variable must be set

# description key -> (inventory variable, default)
CLUSTER_VARS = (
    ("name", "cluster_name", REQUIRED),
    ("nodes", "cluster_nodes", REQUIRED),
    ("member_timeout", "cluster_member_timeout", None),
    ("timing_profile", "cluster_timing_profile", "default"),
    ("autostart", "cluster_autostart", True),
    ("quorum_server", "cluster_quorum_server", None),
    ("lock_lun", "cluster_lock_lun", None),
    ("transport", "cluster_transport", "knet"),
    ("crypto", "cluster_crypto", {"cipher": "aes256", "hash": "sha256"}),
    ("properties", "cluster_properties", {}),
    ("ip_monitor", "cluster_ip_monitor", []),
)


def variable_names():
    """The inventory variables the description is read from, in table order."""
    return [var for _key, var, _default in CLUSTER_VARS]


def spec_from_vars(lookup):
    """The description (the ``spec`` of cluster_spec) from ``lookup(variable) -> (found, value)``.

    Returns ``(spec, missing)``: ``missing`` lists the required variables that are not set.
    An unset variable takes the cluster role's default (a fresh copy of it).
    """
    spec, missing = {}, []
    for key, var, default in CLUSTER_VARS:
        found, value = lookup(var)
        if not found:
            if default is REQUIRED:
                missing.append(var)
                continue
            value = default.copy() if isinstance(default, (dict, list)) else default
        spec[key] = value
    return spec, missing
