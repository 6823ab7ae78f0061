# Copyright (c) failover.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The sna_gateway role's variables and the SNA package kind, on the controller.

The SNA gateway is a kind of package (an entry of a package list with an ``sna`` mapping,
``_model/sna.py``). The role keeps its ``sna_gateway_*`` variables as a convenience:
``gateway_entry`` turns them into that entry, which the role hands to failover.cluster.package
like any package list. ``gateway_problems`` checks the variables before any host changes (the
role writes definitions on every candidate before it declares the package; without it a bad
link station name would only fail after half the definitions were written) and names each
problem by the role variable, ``<variable path>: <rule>``; the rules are the model's.
``gateway_definitions`` gives what the definitions step writes on the candidates of an entry
(the role's and the packages role's).
"""

from __future__ import annotations

from ansible_collections.failover.cluster.plugins.module_utils._model import sna as sna_kind
from ansible_collections.failover.cluster.plugins.module_utils._model.errors import Problems

IP_KEYS = ("ip_address", "ip_subnet")
DESCRIPTION = "SNA gateway (relocatable IP, SNA node, port, link stations)"


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
    the other arguments are the role's ``sna_gateway_*`` variables. The SNA rules are the package
    model's (``_model/sna.py``), named here by the role's variables.
    """
    p = Problems()
    if sna_kind.check_fields(p, "sna_gateway_ip", ip, IP_KEYS, IP_KEYS):
        if ip.get("ip_address") not in (None, "") and ip.get("ip_subnet") not in (None, ""):
            p.errors += _package_problems(cluster, package_name, nodes, ip)
    sna_kind.check_node(p, "sna_gateway_node", node)
    sna_kind.check_port(p, "sna_gateway_port", port)
    sna_kind.check_link_stations(p, "sna_gateway_link_stations", link_stations)
    return p.errors


def gateway_entry(package_name, nodes=(), ip=None, node=None, port=None, link_stations=None, options=None):
    """The sna_gateway role's variables as one entry of a package list (the ``sna`` package kind).

    ``options``: the role's other variables without their ``sna_gateway_`` prefix - ``flavour``,
    ``daemon_path``, ``admin_path``, ``force_stale``, ``force_stop_command``, ``environment``,
    ``timeouts``, ``link_station_start``, ``failback_policy``, ``auto_run``, ``ip_release_window``.
    Empty paths, commands and environments are left out (the package model's defaults apply).
    """
    options = dict(options or {})
    ip = ip if isinstance(ip, dict) else {}
    sna = {"node": node, "port": port, "link_stations": link_stations}
    for key in ("flavour", "force_stale", "timeouts", "link_station_start"):
        if options.get(key) is not None:
            sna[key] = options[key]
    for key in ("daemon_path", "admin_path", "force_stop_command", "environment"):
        if options.get(key):
            sna[key] = options[key]
    entry = {"package_name": package_name, "description": DESCRIPTION,
             "node_name": list(nodes) if nodes else "*", "failover_policy": "configured_node",
             "ip": [{"ip_address": ip.get("ip_address"), "ip_subnet": ip.get("ip_subnet")}], "sna": sna}
    for key in ("failback_policy", "auto_run", "ip_release_window"):
        if options.get(key) is not None:
            entry[key] = options[key]
    return entry


def gateway_definitions(entry, cluster):
    """What the definitions step of an SNA gateway package entry writes on its candidates.

    Validates the entry with the package model (raises SpecError with every problem) and returns
    ``{"candidates": [node, ...], "flavour", "daemon_path", "admin_path", "definitions": {"node",
    "port", "link_stations"}}``; ``definitions`` is what the role's stamp hashes.
    """
    from ansible_collections.failover.cluster.plugins.module_utils._model.package import build_packages

    packages, _warnings = build_packages([entry], cluster, prefix="package")
    package = packages[0]
    if package.sna is None:
        raise ValueError("package {0} has no sna mapping: it is not an SNA gateway package".format(package.name))
    sna = package.sna
    return {"package_name": package.name, "candidates": list(package.nodes), "flavour": sna.flavour,
            "daemon_path": sna.daemon_path, "admin_path": sna.admin_path,
            "definitions": sna_kind.definitions(sna, package.ips[0].address)}


def force_stop_problems(entries, install="none", prefix="packages", install_field="packages_sna_install"):
    """The forced stale-node stop each SNA gateway package of a list needs on a real site.

    With the site's own SNA product (``install`` none) an entry with ``sna`` must give
    ``sna.force_stop_command`` unless ``sna.force_stale`` is ``never``: the emulator's verb is
    never used on a real site. One ``<field>: <rule>`` message per entry that lacks it.
    """
    if install == "emulator" or not isinstance(entries, (list, tuple)):
        return []
    problems = []
    for i, entry in enumerate(entries):
        sna = entry.get("sna") if isinstance(entry, dict) else None
        if not isinstance(sna, dict) or sna.get("force_stale") == "never" or sna.get("force_stop_command"):
            continue
        problems.append("{0}[{1}].sna.force_stop_command: is required with {2}: {3} - give the argv of your SNA "
                        "product's forced stop of a stale node's PUs (placeholders {{daemon}}, {{admin}}, "
                        "{{ls_name}}; it must exit 0 only when every PU is free), or set sna.force_stale: never"
                        .format(prefix, i, install_field, install))
    return problems
