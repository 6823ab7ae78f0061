# Copyright (c) failover.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The logic of the sna_definitions module: every SNA definition of a gateway node in one pass.

The node, the port and all link stations are read with three queries (``query_node``,
``query_port``, ``query_ls`` without a name list every object), compared with the wanted
definitions, and only what is missing or differs is written, one ``define_*`` each. Read-only
use of the per-object plans of ``_sna_ops`` keeps one rule for "what differs".

``plan_definitions`` is pure. ``ensure_definitions`` runs it through an ``SnaCli``, starting the
control daemon for the run where it is not running (defining needs it) and stopping it again.
"""

from __future__ import annotations

from ansible_collections.failover.cluster.plugins.module_utils._sna import (
    DEFINITION_KEYS,
    SnaArgumentError,
    check_params,
    definition_diff,
)
from ansible_collections.failover.cluster.plugins.module_utils._sna_ops import (
    Outcome,
    SnaPlanError,
    plan_ls,
    plan_node,
    plan_port,
)


def _clean(kind, field, item):
    """The wanted definition: only keys the product knows, ``None`` dropped, values as text."""
    if not isinstance(item, dict):
        raise SnaArgumentError(field, "must be a mapping")
    unknown = sorted(key for key in item if key not in DEFINITION_KEYS[kind])
    if unknown:
        raise SnaArgumentError("%s.%s" % (field, unknown[0]), "unknown key (known: %s)" % ", ".join(
            DEFINITION_KEYS[kind]))
    return dict((key, item[key]) for key in DEFINITION_KEYS[kind] if item.get(key) is not None)


def wanted_definitions(node, port, link_stations):
    """Check the module's options and return ``(node, port, [link stations])`` ready to plan.

    Every value is checked against the product's rules before any command runs; an error names
    the option (``link_stations[3].pu_name: ...``).
    """
    node = _clean("node", "node", node or {})
    port = _clean("port", "port", port or {})
    for key in ("fqcp_name",):
        if key not in node:
            raise SnaArgumentError("node.%s" % key, "required")
    for key in ("port_name", "local_ip"):
        if key not in port:
            raise SnaArgumentError("port.%s" % key, "required")
    _checked("node", "define_node", node)
    _checked("port", "define_ip_port", port)
    lss, seen = [], {}
    for index, item in enumerate(link_stations or []):
        field = "link_stations[%d]" % index
        ls = _clean("ls", field, item)
        ls.setdefault("port_name", port["port_name"])
        if ls["port_name"] != port["port_name"]:
            raise SnaArgumentError(field + ".port_name", "%s is not this gateway's port %s" % (
                ls["port_name"], port["port_name"]))
        for key in ("ls_name", "remote_ip_host", "pu_name"):
            if key not in ls:
                raise SnaArgumentError("%s.%s" % (field, key), "required")
        _checked(field, "define_ip_ls", ls)
        name = str(ls["ls_name"]).strip()
        if name in seen:
            raise SnaArgumentError(field + ".ls_name", "%s is also link_stations[%d]" % (name, seen[name]))
        seen[name] = index
        lss.append(ls)
    return node, port, lss


def _checked(field, verb, params):
    try:
        check_params(verb, params)
    except SnaArgumentError as exc:
        raise SnaArgumentError("%s.%s" % (field, exc.field), str(exc).split(": ", 1)[1]) from None


def plan_definitions(node, ports, lss, wanted_node, wanted_port, wanted_lss, prune=False):
    """Steps that bring the queried definitions to the wanted ones, and what cannot be repaired now.

    ``node`` is the ``query_node`` block (None: none defined), ``ports`` / ``lss`` the parsed
    ``query_port`` / ``query_ls`` (by name). Returns ``(steps, drift, blocked)``: ``steps`` are
    ``("admin", verb, params)`` in the order the product needs (node, port, link stations);
    ``drift`` maps each object that differs (``node``, ``port PORT``, ``ls NAME``) to the keys that
    differ or ``["missing"]`` / ``["extra"]``; ``blocked`` lists objects that differ while they run
    (the product changes them only while stopped: they are left alone and reported).
    """
    steps, drift, blocked = [], {}, []

    def take(label, kind, current, wanted, plan):
        if current is None:
            drift[label] = ["missing"]
        else:
            keys = definition_diff(kind, wanted, current)
            if keys:
                drift[label] = keys
        try:
            steps.extend(plan())
        except SnaPlanError as exc:
            blocked.append("%s: %s" % (label, exc))

    take("node", "node", node, wanted_node, lambda: plan_node(node, wanted_node, "defined"))
    port_name = str(wanted_port["port_name"]).strip()
    take("port " + port_name, "port", ports.get(port_name), wanted_port,
         lambda: plan_port(ports.get(port_name), dict(wanted_port), "defined"))
    names = set()
    for ls in wanted_lss:
        name = str(ls["ls_name"]).strip()
        names.add(name)
        current = lss.get(name)
        take("ls " + name, "ls", current, ls,
             lambda current=current, ls=ls: plan_ls(current, dict(ls), "defined"))
    if prune:
        for name in sorted(lss):
            current = lss[name]
            if name in names or current.get("port_name") != port_name:
                continue
            drift["ls " + name] = ["extra"]
            if current.get("state", "NOT_ACTIVE") != "NOT_ACTIVE":
                blocked.append("ls %s: not in link_stations but %s: stop it before it can be deleted" % (
                    name, current.get("state")))
            else:
                steps.append(("admin", "delete_ls", {"ls_name": name}))
    return steps, drift, blocked


def _view(node, ports, lss, port_name, names):
    """The definitions a diff shows: node, this port, and the link stations named or on the port."""
    def pick(kind, obj):
        return dict((key, obj.get(key, "")) for key in DEFINITION_KEYS[kind]) if obj else {}

    shown = dict((name, pick("ls", obj)) for name, obj in lss.items()
                 if name in names or obj.get("port_name") == port_name)
    return {"node": pick("node", node), "port": pick("port", ports.get(port_name)),
            "link_stations": dict(sorted(shown.items()))}


def _predict(node, ports, lss, steps):
    """The definitions after the steps (check mode)."""
    node = dict(node or {})
    ports = dict((k, dict(v)) for k, v in ports.items())
    lss = dict((k, dict(v)) for k, v in lss.items())
    for _kind, verb, params in steps:
        text = dict((k, str(v).strip()) for k, v in params.items())
        if verb == "define_node":
            node = dict(text)
        elif verb == "define_ip_port":
            ports.setdefault(text["port_name"], {}).update(text)
        elif verb == "define_ip_ls":
            lss.setdefault(text["ls_name"], {}).update(text)
        elif verb == "delete_ls":
            lss.pop(text["ls_name"], None)
    return node, ports, lss


def ensure_definitions(cli, params, check_mode):
    """Read once, write what differs, report. ``params`` holds node, port, link_stations, prune."""
    wanted_node, wanted_port, wanted_lss = wanted_definitions(
        params.get("node"), params.get("port"), params.get("link_stations"))
    out = Outcome()
    port_name = str(wanted_port["port_name"]).strip()
    names = set(str(ls["ls_name"]).strip() for ls in wanted_lss)
    running, node = cli.query_node()
    started_here = False
    if not running:
        if check_mode:
            # the definitions cannot be read without the control daemon: predict every define
            out.warnings.append("the SNA control daemon is not running: check mode cannot read the definitions "
                                "and predicts that all of them are written (a real run starts the daemon to "
                                "compare, and stops it again)")
            steps, drift, blocked = plan_definitions(None, {}, {}, wanted_node, wanted_port, wanted_lss)
            out.commands.append(cli.daemon_argv("start"))
            out.commands.extend(cli.argv(step) for step in steps)
            out.commands.append(cli.daemon_argv("stop"))
            out.changed = True
            out.before = None
            node_after, ports_after, lss_after = _predict(None, {}, {}, steps)
            out.after = _view(node_after, ports_after, lss_after, port_name, names)
            out.extra.update(drift=drift, blocked=blocked, daemon="stopped", link_station_count=len(wanted_lss))
            return out
        cli.daemon("start")
        started_here = True
        running, node = cli.query_node()
    try:
        ports = cli.query_ports()
        lss = cli.query_lss()
        steps, drift, blocked = plan_definitions(node, ports, lss, wanted_node, wanted_port, wanted_lss,
                                                 prune=params.get("prune", False))
        out.before = _view(node, ports, lss, port_name, names)
        for step in steps:
            out.changed = True
            if check_mode:
                out.commands.append(cli.argv(step))
            else:
                cli.admin(step[1], step[2])
        if check_mode:
            node_after, ports_after, lss_after = _predict(node, ports, lss, steps)
        elif steps:
            _running, node_after = cli.query_node()
            ports_after, lss_after = cli.query_ports(), cli.query_lss()
        else:
            node_after, ports_after, lss_after = node, ports, lss
        out.after = _view(node_after, ports_after, lss_after, port_name, names)
    finally:
        if started_here:
            cli.daemon("stop")
    for item in blocked:
        out.warnings.append("not repaired while it runs - %s" % item)
    out.extra.update(drift=drift, blocked=blocked, daemon="running" if not started_here else "stopped",
                     link_station_count=len(wanted_lss))
    return out
