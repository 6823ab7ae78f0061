# Copyright: failover.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Arguments of failover.cluster.package, shared by the action plugin and the module.

The action plugin validates and compiles on the controller (``compile_request`` then
``package_to_xml``) and hands the module the compiled XML; the module can also compile
itself when it runs without the action plugin (tests, ad-hoc use).
"""

from __future__ import annotations

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
    "validate_only": {"type": "bool", "default": False},
    "compiled": {"type": "list", "elements": "str"},
}


class ArgumentProblem(ValueError):
    """An option combination that is wrong (message names the option)."""


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


def compile_request(params):
    """Validate cluster + packages and compile them: ({name: CompiledPackage}, warnings).

    Raises SpecError (every problem, each ``<field>: <rule>``) or ArgumentProblem.
    """
    from ansible_collections.failover.cluster.plugins.module_utils._model.cib import compile_packages
    from ansible_collections.failover.cluster.plugins.module_utils._model.cluster import build_cluster

    if not params.get("cluster"):
        raise ArgumentProblem("cluster: required with state=present (the packages are validated against its nodes "
                              "and subnets)")
    warnings = []
    prefix = params.get("cluster_field_prefix") or "cluster_"
    cluster, cluster_warnings = build_cluster(params["cluster"], prefix=prefix)
    warnings.extend(cluster_warnings)
    compiled = compile_packages(params["packages"], cluster, prefix=params.get("field_prefix") or "packages",
                                known_packages=params.get("known_packages") or ())
    warnings.extend(compiled.warnings)
    return compiled.packages, warnings
