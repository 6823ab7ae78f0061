# Copyright: failover.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Set and read a generic resource on a node (Serviceguard's cmsetresource / cmgetresource).

The value lives in the node attribute ``fc-gr-<name>`` (``ids.generic_resource_attribute``),
with one of two lifetimes: ``reboot`` (a transient attribute: gone when the node's cluster
stack restarts, like Serviceguard's status that is unknown again after a reboot) or
``forever`` (kept in the CIB's nodes section). One value counts: setting it in one lifetime
removes it from the other, so an old permanent ``up`` can never hide a fresh ``down``.

Pure: :func:`plan` decides the ``crm_attribute`` calls from what was read; :func:`argv` builds
them; :func:`read_result` turns a query's exit code and output into a value.
"""

from __future__ import annotations

from ansible_collections.failover.cluster.plugins.module_utils._model import ids

LIFETIMES = ("reboot", "forever")
NO_SUCH = 105  # CRM_EX_NOSUCH: crm_attribute --query of an attribute that is not set


class QueryError(RuntimeError):
    """crm_attribute --query failed for another reason than "not set"."""


def argv(crm_attribute, node, name, lifetime, op, value=None):
    """``crm_attribute`` argv: op is ``query``, ``update`` or ``delete``."""
    base = [crm_attribute, "--node", node, "--name", ids.generic_resource_attribute(name), "--lifetime", lifetime]
    if op == "query":
        return base + ["--query", "--quiet"]
    if op == "update":
        return base + ["--update", str(value)]
    if op == "delete":
        return base + ["--delete"]
    raise ValueError("unknown crm_attribute operation {0!r}".format(op))


def read_result(rc, out, err):
    """The value a ``--query --quiet`` printed (None when the attribute is not set)."""
    if rc == NO_SUCH:
        return None
    if rc != 0:
        raise QueryError((err or out or "").strip() or "exit {0}".format(rc))
    text = (out or "").strip()
    if not text or text == "(null)":
        return None
    return text.splitlines()[-1].strip()


def effective(current):
    """The value that counts of ``{lifetime: value}``: the transient one when set (Pacemaker lets a
    transient node attribute win over a permanent one of the same name)."""
    if current.get("reboot") is not None:
        return current["reboot"]
    return current.get("forever")


def plan(current, lifetime, value=None, remove=False):
    """``[(op, lifetime, value)]`` that bring ``current`` ({lifetime: value or None}) to the wanted state:
    ``value`` in ``lifetime`` and nothing in the other lifetime; or, with ``remove``, nothing anywhere.
    ``value`` None and not ``remove``: only read (an empty plan)."""
    steps = []
    if remove:
        for life in LIFETIMES:
            if current.get(life) is not None:
                steps.append(("delete", life, None))
        return steps
    if value is None:
        return steps
    if current.get(lifetime) != value:
        steps.append(("update", lifetime, value))
    for life in LIFETIMES:
        if life != lifetime and current.get(life) is not None:
            steps.append(("delete", life, None))
    return steps


def after(current, steps):
    """``current`` with ``steps`` applied (for diff and the returned value)."""
    result = dict(current)
    for op, life, value in steps:
        result[life] = value if op == "update" else None
    return result
