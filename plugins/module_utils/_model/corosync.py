"""corosync.conf: render from a cluster spec, parse, and classify a change.

The reload/restart rules come from the Corosync 3.1.7 sources:

- ``exec/cfg.c`` ``remove_ro_entries()``: keys that ``corosync-cfgtool -R`` refuses to
  change (logged "cannot be changed at run-time"): totem.version, threads, ip_version,
  rrp_mode, netmtu, transport, cluster_name, the udp interface keys (bindnetaddr,
  mcastaddr, broadcast, mcastport, ttl), quorum.provider and system.*. The crypto keys are
  in that list only when libknet lacks crypto reconfiguration; Debian 12's libknet 1.25 has
  it, so cipher/hash changes are applied by a reload (and cannot be done by a rolling
  restart: nodes with different keys cannot talk).
- ``exec/main.c`` read-only keys: additionally totem.nodeid and clear_node_high_bit.
- ``exec/votequorum.c``: wait_for_all, allow_downscale, last_man_standing(_window),
  expected_votes_tracking, auto_tie_breaker(_node) are read only at start-up; two_node,
  expected_votes, the nodelist and the quorum device are re-read on reload.
- ``exec/totemconfig.c`` ``check_things_have_not_changed()``: a node's address on an
  existing link, and a link's knet_transport, cannot change at runtime. Adding and removing
  nodes is a reload.
"""

import re
from dataclasses import dataclass, field

from .cluster import as_cluster

HEADER = (
    "# managed by failover.cluster -- do not edit: changes are overwritten.\n"
    "# Rendered from the cluster spec; see docs/concepts.md for the mapping.\n"
)
LOGFILE = "/var/log/corosync/corosync.log"
REPEATED_SECTIONS = ("node", "interface", "logger_subsys")


# ---------------------------------------------------------------------------------------
# rendering
def _section(lines, depth, name, items):
    pad = "    " * depth
    lines.append("{0}{1} {{".format(pad, name))
    for key, value in items:
        if isinstance(value, list):  # nested section(s)
            for sub in value:
                _section(lines, depth + 1, key, sub)
        elif value is not None:
            lines.append("{0}    {1}: {2}".format(pad, key, value))
    lines.append("{0}}}".format(pad))


def corosync_sections(spec):
    """The corosync.conf content as ordered ``(section, [(key, value | [subsections])])``."""
    cluster = as_cluster(spec)
    timing = cluster.timing
    totem = [
        ("version", 2),
        ("cluster_name", cluster.name),
        ("transport", cluster.transport),
        ("crypto_cipher", cluster.crypto_cipher),
        ("crypto_hash", cluster.crypto_hash),
        ("token", timing.token),
        # Serviceguard's MEMBER_TIMEOUT does not grow with the node count; without this
        # Corosync adds 650 ms per node above two to the token.
        ("token_coefficient", 0),
        ("consensus", timing.consensus),
        ("interface", [[("linknumber", link.number)] for link in cluster.links]),
    ]
    nodes = []
    for node in cluster.nodes:
        items = [("name", node.name), ("nodeid", node.node_id)]
        items += [("ring{0}_addr".format(k), addr) for k, addr in enumerate(node.ring_addresses)]
        nodes.append(items)
    quorum = [("provider", "corosync_votequorum"), ("wait_for_all", 1)]
    if cluster.two_node:
        quorum.append(("two_node", 1))
    qs = cluster.quorum_server
    if qs is not None:
        net = [("host", qs.address), ("port", qs.port), ("algorithm", qs.algorithm), ("tls", qs.tls)]
        if qs.algorithm == "ffsplit":
            net.append(("tie_breaker", "lowest"))
        device = [
            ("model", "net"),
            ("votes", qs.votes),
            ("timeout", timing.qdevice_timeout),
            ("sync_timeout", timing.qdevice_sync_timeout),
            ("net", [net]),
        ]
        quorum.append(("device", [device]))
    logging = [
        ("to_syslog", "yes"),
        ("to_logfile", "yes"),
        ("logfile", LOGFILE),
        ("to_stderr", "no"),
        ("timestamp", "on"),
        ("logger_subsys", [[("subsys", "QUORUM"), ("debug", "off")]]),
    ]
    return [
        ("totem", totem),
        ("nodelist", [("node", nodes)]),
        ("quorum", quorum),
        ("logging", logging),
    ]


def render_corosync_conf(spec):
    """corosync.conf text for the cluster (a Cluster or a raw spec dict). Deterministic."""
    lines = [HEADER.rstrip("\n")]
    for name, items in corosync_sections(spec):
        lines.append("")
        _section(lines, 0, name, items)
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------
# parsing
class CorosyncParseError(ValueError):
    pass


def parse_corosync_conf(text):
    """Parse corosync.conf into nested dicts (Corosync's own syntax: ``key: value``,
    ``name {`` ... ``}``, ``#`` comments). Sections named node/interface/logger_subsys, and
    any section name repeated at one level, become lists of dicts."""
    root = {}
    stack = [("", root)]
    for number, raw in enumerate((text or "").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("{"):
            name = line[:-1].strip()
            if not name or not re.match(r"^[A-Za-z0-9_.-]+$", name):
                raise CorosyncParseError("line {0}: bad section header {1!r}".format(number, raw))
            section = {}
            parent = stack[-1][1]
            if name in parent:
                if not isinstance(parent[name], list):
                    parent[name] = [parent[name]]
                parent[name].append(section)
            elif name in REPEATED_SECTIONS:
                parent[name] = [section]
            else:
                parent[name] = section
            stack.append((name, section))
            continue
        if line == "}":
            if len(stack) == 1:
                raise CorosyncParseError("line {0}: '}}' without an open section".format(number))
            stack.pop()
            continue
        if ":" not in line:
            raise CorosyncParseError("line {0}: expected 'key: value', got {1!r}".format(number, raw))
        key, value = line.split(":", 1)
        key = key.strip()
        if not key or "{" in key or "}" in key:
            raise CorosyncParseError("line {0}: bad key in {1!r}".format(number, raw))
        stack[-1][1][key] = value.strip()
    if len(stack) != 1:
        raise CorosyncParseError("section {0!r} is not closed".format(stack[-1][0]))
    return root


def flatten(conf):
    """{dotted key path: value}. List sections are keyed by identity, not position:
    ``nodelist.node[2].ring0_addr`` (nodeid), ``totem.interface[0].knet_transport``
    (linknumber), ``logging.logger_subsys[QUORUM].debug`` (subsys)."""
    out = {}

    def walk(prefix, value):
        if isinstance(value, dict):
            for key in value:
                walk("{0}.{1}".format(prefix, key) if prefix else key, value[key])
        elif isinstance(value, list):
            for pos, item in enumerate(value):
                walk("{0}[{1}]".format(prefix, _identity(prefix, item, pos)), item)
        else:
            out[prefix] = value

    walk("", conf)
    return out


def _identity(prefix, item, pos):
    if not isinstance(item, dict):
        return "#{0}".format(pos)
    if prefix.endswith("node"):
        return item.get("nodeid") or "name={0}".format(item.get("name") or item.get("ring0_addr") or pos)
    if prefix.endswith("interface"):
        return item.get("linknumber") or item.get("ringnumber") or "0"
    if prefix.endswith("logger_subsys"):
        return item.get("subsys") or "#{0}".format(pos)
    return "#{0}".format(pos)


# ---------------------------------------------------------------------------------------
# change classification
RESTART_KEYS = {
    "totem.version": "read only at start (cfg.c)",
    "totem.threads": "read only at start (cfg.c)",
    "totem.ip_version": "read only at start (cfg.c)",
    "totem.rrp_mode": "read only at start (cfg.c)",
    "totem.netmtu": "read only at start (cfg.c)",
    "totem.transport": "read only at start (cfg.c)",
    "totem.cluster_name": "read only at start (cfg.c)",
    "totem.nodeid": "read only (main.c)",
    "totem.clear_node_high_bit": "read only (main.c)",
    "quorum.provider": "read only at start (cfg.c)",
    "quorum.wait_for_all": "votequorum reads it only at start",
    "quorum.allow_downscale": "votequorum reads it only at start",
    "quorum.last_man_standing": "votequorum reads it only at start",
    "quorum.last_man_standing_window": "votequorum reads it only at start",
    "quorum.expected_votes_tracking": "votequorum reads it only at start",
    "quorum.auto_tie_breaker": "votequorum reads it only at start",
    "quorum.auto_tie_breaker_node": "votequorum reads it only at start",
}
RESTART_INTERFACE_KEYS = ("bindnetaddr", "mcastaddr", "broadcast", "mcastport", "ttl", "knet_transport",
                          "ringnumber")
# Changing these needs every node stopped at once: a node restarted alone with the new
# value cannot talk to the others still running the old one.
NOT_ROLLING = ("totem.cluster_name", "totem.transport", "totem.ip_version", "totem.version", "totem.crypto_",
               "totem.secauth", "totem.keyfile", "totem.key", "totem.interface", "nodelist.node")
RELOAD_SECTIONS = ("totem", "nodelist", "quorum", "logging", "uidgid", "nozzle")
_NODE_KEY = re.compile(r"^nodelist\.node\[([^\]]+)\]\.(.+)$")
_IFACE_KEY = re.compile(r"^totem\.interface\[([^\]]+)\]\.(.+)$")


@dataclass
class ChangeReport:
    kind: str  # none | reload | restart
    changed: list = field(default_factory=list)  # every differing key path
    restart_keys: dict = field(default_factory=dict)  # key path -> why it needs a restart
    rolling: bool = True  # a restart can go node by node keeping quorum
    qdevice_changed: bool = False  # quorum.device changed: restart corosync-qdevice after the reload
    nodes_added: list = field(default_factory=list)
    nodes_removed: list = field(default_factory=list)

    def to_dict(self):
        return {
            "kind": self.kind,
            "changed": list(self.changed),
            "restart_keys": dict(self.restart_keys),
            "rolling": self.rolling,
            "qdevice_changed": self.qdevice_changed,
            "nodes_added": list(self.nodes_added),
            "nodes_removed": list(self.nodes_removed),
        }


def _nodes(conf):
    nodes = conf.get("nodelist", {}).get("node", []) if isinstance(conf.get("nodelist"), dict) else []
    if isinstance(nodes, dict):
        nodes = [nodes]
    return [n for n in nodes if isinstance(n, dict)]


def _node_label(node):
    return node.get("name") or "nodeid {0}".format(node.get("nodeid"))


def nodes_added(old_text, new_text):
    """Names of the nodes in new_text that old_text does not have (matched by nodeid, then name)."""
    return _node_delta(parse_corosync_conf(old_text), parse_corosync_conf(new_text))[0]


def nodes_removed(old_text, new_text):
    return _node_delta(parse_corosync_conf(old_text), parse_corosync_conf(new_text))[1]


def _node_delta(old, new):
    def key(node):
        return node.get("nodeid") or "name=" + str(node.get("name"))

    old_nodes = {key(n): n for n in _nodes(old)}
    new_nodes = {key(n): n for n in _nodes(new)}
    added = [_node_label(new_nodes[k]) for k in new_nodes if k not in old_nodes]
    removed = [_node_label(old_nodes[k]) for k in old_nodes if k not in new_nodes]
    return added, removed


def _restart_reason(path, old_flat, new_flat, added_ids, removed_ids):
    if path in RESTART_KEYS:
        return RESTART_KEYS[path]
    section = path.split(".", 1)[0].split("[", 1)[0]
    if section == "system":
        return "system.* is read only at start (cfg.c)"
    if section not in RELOAD_SECTIONS:
        return "section {0} is not reloaded by corosync-cfgtool -R".format(section)
    match = _IFACE_KEY.match(path)
    if match and match.group(2) in RESTART_INTERFACE_KEYS:
        return "interface key {0} cannot change at runtime (cfg.c/totemconfig.c)".format(match.group(2))
    match = _NODE_KEY.match(path)
    if match:
        nodeid, key = match.groups()
        if nodeid in added_ids or nodeid in removed_ids:
            return None  # whole node added/removed: reload
        if re.match(r"^ring[0-9]+_addr$", key):
            if path in old_flat and path in new_flat:
                return "the address of an existing node on an existing link cannot change at runtime " \
                       "(totemconfig.c check_things_have_not_changed)"
            return "adding or removing a heartbeat link of a running node is done by a restart"
        if key in ("name", "nodeid"):
            return "renaming a node (or changing its nodeid) is done by a restart"
    return None


def diff_corosync(old_text, new_text):
    """Compare two corosync.conf texts; return a :class:`ChangeReport`."""
    if not (old_text or "").strip():
        new = parse_corosync_conf(new_text)
        return ChangeReport(kind="restart", changed=sorted(flatten(new)),
                            restart_keys={"": "no previous configuration: corosync must be (re)started"},
                            rolling=False, nodes_added=[_node_label(n) for n in _nodes(new)])
    old = parse_corosync_conf(old_text)
    new = parse_corosync_conf(new_text)
    old_flat, new_flat = flatten(old), flatten(new)
    changed = sorted(k for k in set(old_flat) | set(new_flat) if old_flat.get(k) != new_flat.get(k))
    added, removed = _node_delta(old, new)
    old_ids = {str(n.get("nodeid")) for n in _nodes(old)}
    new_ids = {str(n.get("nodeid")) for n in _nodes(new)}
    added_ids, removed_ids = new_ids - old_ids, old_ids - new_ids
    restart = {}
    for path in changed:
        reason = _restart_reason(path, old_flat, new_flat, added_ids, removed_ids)
        if reason:
            restart[path] = reason
    # the same node name under a different nodeid is a renumbering, not an add + remove
    old_by_name = {n.get("name"): str(n.get("nodeid")) for n in _nodes(old) if n.get("name")}
    for node in _nodes(new):
        name = node.get("name")
        if name in old_by_name and old_by_name[name] != str(node.get("nodeid")):
            restart["nodelist.node[{0}].nodeid".format(node.get("nodeid"))] = (
                "node {0} changed its nodeid from {1} to {2}: done by a restart".format(
                    name, old_by_name[name], node.get("nodeid")))
    if restart:
        kind = "restart"
    elif changed:
        kind = "reload"
    else:
        kind = "none"
    rolling = not any(path.startswith(NOT_ROLLING) for path in restart)
    return ChangeReport(
        kind=kind,
        changed=changed,
        restart_keys=dict(sorted(restart.items())),
        rolling=rolling,
        qdevice_changed=any(p.startswith("quorum.device") for p in changed),
        nodes_added=added,
        nodes_removed=removed,
    )


def classify_change(old_text, new_text):
    """'none' | 'reload' | 'restart' for replacing corosync.conf old_text by new_text."""
    return diff_corosync(old_text, new_text).kind


# ---------------------------------------------------------------------------------------
# qnetd: one arbitrator serving several clusters
def plan_qnetd(clusters):
    """Group clusters by quorum-server host and check they can share one corosync-qnetd.

    Returns ``{host: {"port": int, "tls": "on"|"off"|"required", "clusters": [names],
    "options": "COROSYNC_QNETD_OPTIONS value"}}``. Raises SpecError when two clusters on
    one qnetd share a cluster name (qnetd tells clusters apart by name) or disagree on the
    port (one daemon listens on one port).
    """
    from .errors import Problems

    problems = Problems()
    plan = {}
    for index_, spec in enumerate(clusters):
        cluster = as_cluster(spec)
        qs = cluster.quorum_server
        if qs is None:
            continue
        entry = plan.setdefault(qs.host, {"port": qs.port, "modes": [], "clusters": []})
        path = "clusters[{0}]".format(index_)
        if cluster.name in entry["clusters"]:
            problems.error(path + ".name", "cluster name {0} is already served by quorum server {1}; qnetd "
                                           "tells clusters apart by name".format(cluster.name, qs.host))
        if qs.port != entry["port"]:
            problems.error(path + ".quorum_server.port", "{0} differs from port {1} used by the other clusters of "
                                                         "quorum server {2}".format(qs.port, entry["port"], qs.host))
        entry["clusters"].append(cluster.name)
        entry["modes"].append(qs.tls)
    problems.raise_if_any()
    result = {}
    for host in sorted(plan):
        entry = plan[host]
        modes = set(entry["modes"])
        if modes == {"required"}:
            tls = "required"
        elif modes == {"off"}:
            tls = "off"
        else:
            tls = "on"
        result[host] = {
            "port": entry["port"],
            "tls": tls,
            "clusters": sorted(entry["clusters"]),
            "options": "-p {0} -s {1}".format(entry["port"], tls),
        }
    return result


# ---------------------------------------------------------------------------------------
# the configuration a distribution package installs
LOOPBACK_ADDRESSES = ("127.0.0.1", "::1", "localhost")


def is_standalone_default(text):
    """True for a corosync.conf that forms no cluster: the single-node, loopback-only file
    a distribution package installs (Debian's has ``ring0_addr: 127.0.0.1``). Replacing it
    cannot break quorum, so it is replaced and Corosync restarted, not rolled."""
    try:
        conf = parse_corosync_conf(text)
    except CorosyncParseError:
        return False
    nodes = _nodes(conf)
    if len(nodes) != 1:
        return False
    addresses = [v for k, v in nodes[0].items() if re.match(r"^ring[0-9]+_addr$", k)]
    return bool(addresses) and all(str(a) in LOOPBACK_ADDRESSES for a in addresses)


def runtime_nodelist_is_standalone(cmap_text):
    """Same test on the running daemon's nodelist, from ``corosync-cmapctl -b nodelist.node``
    (lines like ``nodelist.node.0.ring0_addr (str) = 127.0.0.1``)."""
    nodes = {}
    for line in cmap_text.splitlines():
        match = re.match(r"^nodelist\.node\.(\d+)\.(ring\d+_addr) \(str\) = (.*)$", line.strip())
        if match:
            nodes.setdefault(match.group(1), []).append(match.group(3).strip())
    return len(nodes) == 1 and all(a in LOOPBACK_ADDRESSES for addrs in nodes.values() for a in addrs)
