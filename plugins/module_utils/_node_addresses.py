# Copyright: failover.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Does every node hold the heartbeat and stationary addresses the description gives it?

Pure: the caller hands in the validated cluster description (``cluster_spec``'s ``cluster``)
and, per node, the interfaces ``parse_ip_json`` made of that node's ``ip -j addr show``.
"""

from __future__ import annotations

FIELDS = ("addresses", "stationary_addresses")


def _holders(links, address):
    """[(link, prefixlen)] of every interface of one host that holds ``address``."""
    return [(link, entry["prefixlen"]) for link in links for entry in link.get("addresses", [])
            if entry.get("address") == address]


def node_address_problems(cluster, host_links, prefix="cluster_"):
    """One message per configured address that is not on its node as configured.

    ``host_links``: {node name: parsed ``ip -j addr`` interfaces}. A node without an entry is
    not checked (the play's member check names nodes missing from the play). An address is
    held when an interface of its own node that is up carries it with the configured prefix
    length. Otherwise the message says where it is instead: on another node, on no node of the
    cluster, with another prefix length, or on an interface that is down.
    """
    problems = []
    nodes = cluster.get("nodes") or []
    checked = [node["name"] for node in nodes if node["name"] in host_links]
    for i, node in enumerate(nodes):
        name = node["name"]
        if name not in host_links:
            continue
        links = host_links[name] or []
        for field in FIELDS:
            for k, text in enumerate(node.get(field) or []):
                path = "{0}nodes[{1}].{2}[{3}]".format(prefix, i, field, k)
                address, _sep, length = str(text).partition("/")
                held = _holders(links, address)
                if not held:
                    others = [other for other in checked
                              if other != name and _holders(host_links[other] or [], address)]
                    where = ", ".join(others) if others else "no node of the cluster"
                    problems.append("{0}: {1} is not an address of {2} (it is on {3})".format(
                        path, text, name, where))
                    continue
                same = [link for link, plen in held if str(plen) == length]
                if any(link.get("up") for link in same):
                    continue
                if same:
                    problems.append("{0}: {1} is on {2}'s interface {3}, which is down".format(
                        path, text, name, same[0]["ifname"]))
                else:
                    link, plen = held[0]
                    problems.append("{0}: {1} is on {2}'s interface {3} as {4}/{5}: the prefix length differs".format(
                        path, text, name, link["ifname"], address, plen))
    return problems
