# Copyright (c) failover.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Validation of the sna_gateway role's description, on the controller, before any host changes.

The role writes definitions on every candidate and then declares the package; without this
check a bad link station name or a relocatable IP outside its subnet would only fail after the
stack was installed and half the definitions written. ``gateway_problems`` returns every
problem at once, each as ``<role variable path>: <rule>``, like the cluster model does.
"""

from __future__ import annotations

from ansible_collections.failover.cluster.plugins.module_utils._sna import VERBS

NODE_KEYS = ("fqcp_name", "node_id", "node_type")
PORT_KEYS = ("port_name", "udp_port")
LS_KEYS = ("ls_name", "remote_ip_host", "pu_name", "remote_udp_port")
IP_KEYS = ("ip_address", "ip_subnet")


def _type_name(value):
    if value is None:
        return "null"
    for kind, name in ((bool, "a boolean"), (int, "an integer"), (str, "a string"), (list, "a list"),
                       (dict, "a mapping")):
        if isinstance(value, kind):
            return name
    return type(value).__name__


def _mapping(problems, path, value, allowed, required):
    if not isinstance(value, dict):
        problems.append("%s: must be a mapping, got %s" % (path, _type_name(value)))
        return False
    for key in value:
        if key not in allowed:
            problems.append("%s.%s: unknown field (allowed: %s)" % (path, key, ", ".join(sorted(allowed))))
    for key in required:
        if value.get(key) in (None, ""):
            problems.append("%s.%s: is required" % (path, key))
    return True


def _check(problems, path, verb, key, value):
    """The SNA stack's own rule for ``key`` of ``verb`` (the checkers the modules use)."""
    if value in (None, ""):
        return
    text = "YES" if value is True else "NO" if value is False else str(value).strip()
    checker = VERBS[verb][key][0]
    rule = checker(text)
    if rule:
        problems.append("%s: %r is not allowed: expected %s" % (path, text, rule))


def _package_problems(cluster, package_name, nodes, ip):
    """The package model's rules for the name, the candidates and the relocatable IP."""
    from ansible_collections.failover.cluster.plugins.module_utils._model.errors import SpecError
    from ansible_collections.failover.cluster.plugins.module_utils._model.package import build_packages

    spec = {"package_name": package_name, "node_name": list(nodes) if nodes else "*",
            "ip": [{"ip_address": ip.get("ip_address"), "ip_subnet": ip.get("ip_subnet")}]}
    try:
        build_packages([spec], cluster, prefix="sna_gateway")
    except SpecError as exc:
        renames = (("sna_gateway[0].ip[0].", "sna_gateway_ip."), ("sna_gateway[0].node_name", "sna_gateway_nodes"),
                   ("sna_gateway[0].package_name", "sna_gateway_package_name"))
        out = []
        for message in exc.errors:
            for old, new in renames:
                if message.startswith(old):
                    message = new + message[len(old):]
                    break
            out.append(message)
        return out
    return []


def gateway_problems(cluster, package_name=None, nodes=(), ip=None, node=None, port=None, link_stations=None):
    """Every problem of an SNA gateway description; empty when it is valid.

    ``cluster`` is the validated cluster description (the ``cluster_spec`` result's ``cluster``);
    the other arguments are the role's ``sna_gateway_*`` variables.
    """
    problems = []
    if _mapping(problems, "sna_gateway_ip", ip, IP_KEYS, IP_KEYS):
        if ip.get("ip_address") not in (None, "") and ip.get("ip_subnet") not in (None, ""):
            problems += _package_problems(cluster, package_name, nodes, ip)
    if _mapping(problems, "sna_gateway_node", node, NODE_KEYS, ("fqcp_name",)):
        for key in NODE_KEYS:
            _check(problems, "sna_gateway_node." + key, "define_node", key, node.get(key))
    if _mapping(problems, "sna_gateway_port", port, PORT_KEYS, ("port_name",)):
        for key in PORT_KEYS:
            _check(problems, "sna_gateway_port." + key, "define_ip_port", key, port.get(key))
    if not isinstance(link_stations, list):
        problems.append("sna_gateway_link_stations: must be a list, got %s" % _type_name(link_stations))
        return problems
    if not link_stations:
        problems.append("sna_gateway_link_stations: at least one link station is needed")
    ls_seen, pu_seen = {}, {}
    for k, ls in enumerate(link_stations):
        path = "sna_gateway_link_stations[%d]" % k
        if not _mapping(problems, path, ls, LS_KEYS, ("ls_name", "remote_ip_host", "pu_name")):
            continue
        for key in LS_KEYS:
            _check(problems, "%s.%s" % (path, key), "define_ip_ls", key, ls.get(key))
        name = str(ls.get("ls_name") or "")
        if name and name in ls_seen:
            problems.append("%s.ls_name: %s is already used by %s" % (path, name, ls_seen[name]))
        elif name:
            ls_seen[name] = path
        pu = (str(ls.get("remote_ip_host") or ""), str(ls.get("pu_name") or ""))
        if pu[1] and pu in pu_seen:
            problems.append("%s.pu_name: PU %s on %s is already used by %s; the remote host admits one link "
                            "station per PU" % (path, pu[1], pu[0], pu_seen[pu]))
        elif pu[1]:
            pu_seen[pu] = path
    return problems
