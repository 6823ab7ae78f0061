# Copyright: failover.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Arguments of failover.cluster.package, shared by the action plugin and the module.

The action plugin validates and compiles on the controller (``compile_request`` then
``package_to_xml``) and hands the module the compiled XML; the module can also compile
itself when it runs without the action plugin (tests, ad-hoc use).
"""

from __future__ import annotations

import re

from ansible_collections.failover.cluster.plugins.module_utils._model.errors import SpecError

ARGUMENT_SPEC = {
    "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
    "packages": {"type": "list", "elements": "raw", "required": True},
    "cluster": {"type": "dict"},
    "purge": {"type": "bool", "default": False},
    "known_packages": {"type": "list", "elements": "str", "default": []},
    "field_prefix": {"type": "str", "default": "packages"},
    "cluster_field_prefix": {"type": "str", "default": "cluster_"},
    "wait": {"type": "int", "default": 0},
    "apply_timeout": {"type": "int", "default": 60},
    "owner": {"type": "str", "default": "packages"},
    "validate_only": {"type": "bool", "default": False},
    "compiled": {"type": "list", "elements": "str"},
}


OWNER_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")

# What the action plugin runs on the node to read the live CIB before validating (one fixed
# script, nothing from the task is put into it): the CIB manager's copy; when the daemons are
# not running, the copy on disk; when the node has no cluster software or no CIB yet, the marker
# line (nothing live to check).
NO_CIB = "FAILOVER-CLUSTER-NO-CIB"
CIB_ON_DISK = "/var/lib/pacemaker/cib/cib.xml"
READ_LIVE_CIB = (
    "if ! command -v cibadmin >/dev/null 2>&1; then echo {none}; exit 0; fi; "
    "LC_ALL=C cibadmin --query 2>/dev/null && exit 0; "
    "if [ -e {disk} ]; then LC_ALL=C CIB_file={disk} cibadmin --query; exit $?; fi; "
    "echo {none}"
).format(none=NO_CIB, disk=CIB_ON_DISK)


class ArgumentProblem(ValueError):
    """An option combination that is wrong (message names the option)."""


def check_options(params):
    """Rules of the plain options (the action plugin and the module both call it)."""
    if not isinstance(params.get("owner"), str) or not OWNER_RE.match(params["owner"]):
        raise ArgumentProblem("owner: {0!r} is not an owner name (letters, digits, '.', '-', '_'; at most 64; "
                              "starting with a letter or digit)".format(params.get("owner")))
    if params.get("apply_timeout") is not None and params["apply_timeout"] < 0:
        raise ArgumentProblem("apply_timeout: {0} is below the minimum 0".format(params["apply_timeout"]))


def live_cluster(text):
    """What READ_LIVE_CIB printed -> a LiveCluster (empty when the node has no CIB yet)."""
    from ansible_collections.failover.cluster.plugins.module_utils._model.live import read_live

    if text is None or text.strip() == NO_CIB:
        return read_live(None)
    return read_live(text)


def package_names(items, prefix="packages"):
    """Names from a list of names or of mappings with package_name (state=absent)."""
    names = []
    for k, item in enumerate(items or []):
        name = item.get("package_name") if isinstance(item, dict) else item
        if not isinstance(name, str) or not name or "." in name:
            raise ArgumentProblem("{0}[{1}]: {2!r} is not a package name".format(prefix, k, name))
        if name not in names:
            names.append(name)
    return names


def removal_problems(names, live, prefix="packages"):
    """state=absent: removing ``names`` must not leave a live package depending on one of them."""
    from ansible_collections.failover.cluster.plugins.module_utils._model.live import check_live

    errors, _warnings = check_live([], live, prefix, {n: "{0}[{1}]".format(prefix, k) for k, n in enumerate(names)})
    if errors:
        raise SpecError(errors)


def compile_request(params, live=None):
    """Validate cluster + packages and compile them: ({name: CompiledPackage}, warnings).

    ``live``: a :class:`~._model.live.LiveCluster` (None: no cluster to check against). The
    packages are then also checked against everything the cluster holds (IPs, ids, owners,
    dependencies on live packages, packages a purge removes) and may depend on live packages.
    Each package is marked with ``params["owner"]``.
    Raises SpecError (every problem, each ``<field>: <rule>``) or ArgumentProblem.
    """
    from ansible_collections.failover.cluster.plugins.module_utils._model.cib import (
        DEFAULT_OWNER,
        compile_packages,
        set_owner,
    )
    from ansible_collections.failover.cluster.plugins.module_utils._model.cluster import build_cluster
    from ansible_collections.failover.cluster.plugins.module_utils._model.live import (
        EMPTY,
        check_live,
        live_names,
        purge_names,
    )
    from ansible_collections.failover.cluster.plugins.module_utils._model.package import build_packages

    if not params.get("cluster"):
        raise ArgumentProblem("cluster: required with state=present (the packages are validated against its nodes "
                              "and subnets)")
    warnings = []
    prefix = params.get("cluster_field_prefix") or "cluster_"
    cluster, cluster_warnings = build_cluster(params["cluster"], prefix=prefix)
    warnings.extend(cluster_warnings)
    owner = params.get("owner") or DEFAULT_OWNER
    live = live if live is not None else EMPTY
    field_prefix = params.get("field_prefix") or "packages"
    known = list(params.get("known_packages") or ()) + live_names(live)
    try:
        packages, package_warnings = build_packages(params["packages"], cluster, field_prefix, known)
    except SpecError as exc:
        exc.warnings = warnings + exc.warnings
        raise
    warnings.extend(package_warnings)
    removing = {}
    if params.get("purge"):
        removing = {n: "purge" for n in purge_names(live, [p.name for p in packages], owner)}
    errors, live_warnings = check_live(packages, live, field_prefix, removing, owner)
    warnings.extend(live_warnings)
    if errors:
        raise SpecError(errors, warnings)
    compiled = compile_packages(packages, cluster, prefix=field_prefix)
    warnings.extend(compiled.warnings)
    for package in compiled.packages.values():
        set_owner(package, owner)
    return compiled.packages, warnings
