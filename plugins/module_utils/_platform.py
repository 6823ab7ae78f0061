# Copyright: failover.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which platforms a role supports, and whether a host is one of them (pure, no I/O).

A role declares its platforms in its per-OS-family variables files, ``vars/<os_family>.yml``
(``vars/Debian.yml``), each with one key ``__<role>_platform`` (``__cluster_platform``): the
distributions of that family and their supported major versions, for example ``{Debian: ["12"]}``.
Supporting another family is then one more file with that key and the family's package and service
names.
"""

from __future__ import annotations

import re

# __cluster_platform, __quorum_server_platform, ... (role-prefixed, as role variables must be)
PLATFORM_KEY = re.compile(r"^__[a-z0-9_]+_platform$")


class PlatformTableError(ValueError):
    """A vars file's __<role>_platform is not a mapping of distribution -> list of versions."""


def platform_table(family_files):
    """``{family: content of vars/<family>.yml}`` -> ``{family: {distribution: [major, ...]}}``.

    Files without the key declare no platform (they may hold other variables)."""
    table = {}
    for family, content in sorted(family_files.items()):
        keys = [key for key in (content or {}) if PLATFORM_KEY.match(str(key))]
        if not keys:
            continue
        if len(keys) > 1:
            found = ", ".join(sorted(keys))
            raise PlatformTableError("vars/{0}.yml: one platform key expected, found {1}".format(family, found))
        declared = content[keys[0]]
        if not isinstance(declared, dict) or not all(isinstance(v, list) for v in declared.values()):
            raise PlatformTableError(
                "vars/{0}.yml: {1} must map each distribution to a list of major versions, "
                "for example {{Debian: ['12']}}".format(family, keys[0])
            )
        table[family] = {str(dist): [str(v) for v in versions] for dist, versions in declared.items()}
    return table


def supported_names(table):
    """``["Debian 12", ...]`` in a stable order."""
    names = []
    for family in sorted(table):
        for dist in sorted(table[family]):
            names.extend("{0} {1}".format(dist, v) for v in table[family][dist])
    return names


def describe_host(facts):
    version = facts.get("distribution_version") or facts.get("distribution_major_version") or "?"
    return "{0} {1} (os_family {2})".format(facts.get("distribution") or "?", version, facts.get("os_family") or "?")


def unsupported_reason(facts, table):
    """None when the host's distribution and major version are in the table, else why not."""
    family = facts.get("os_family")
    dist = facts.get("distribution")
    major = str(facts.get("distribution_major_version") or "")
    if family not in table:
        return "no vars/{0}.yml declares it".format(family)
    if dist not in table[family]:
        return "vars/{0}.yml declares {1} only".format(family, ", ".join(sorted(table[family])) or "nothing")
    if major not in table[family][dist]:
        return "vars/{0}.yml declares {1} {2} only".format(family, dist, ", ".join(table[family][dist]))
    return None


def check_message(role, host, facts, table):
    """The failure message for an unsupported host, or None when it is supported."""
    reason = unsupported_reason(facts, table)
    if reason is None:
        return None
    supported = ", ".join(supported_names(table)) or "nothing"
    return (
        "{role}: {host} runs {found}, which this role does not support ({reason}). Supported and tested: "
        "{supported}. Nothing was changed on {host}.".format(
            role=role, host=host, found=describe_host(facts), reason=reason, supported=supported
        )
    )
