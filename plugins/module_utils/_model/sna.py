# Copyright: failover.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The SNA gateway as a kind of package: the ``sna`` mapping of a package entry.

A package entry that carries ``sna`` is an SNA gateway package (SNAplus2's HA appendix): its one
relocatable IP, then the SNA node (control daemon + init_node), the port that binds the IP, and
one link station per remote PU - in that order, started in that order and stopped in reverse.

``read_sna(problems, path, raw)`` validates the mapping with the SNA stack's own rules (the
checkers of ``_sna.VERBS`` that the sna_node/sna_port/sna_link_station modules use) and returns
an :class:`Sna`; ``sna_resources(sna)`` compiles it into the package's ordered steps (the
:class:`~.package.Resource` objects the CIB compiler turns into group members); and
``definitions(sna, ip_address)`` gives what must be defined on every candidate before the
package first runs there. Messages are ``<path>: <rule>``; the rules are written once here and
also used for the sna_gateway role's variables (``_sna_gateway.gateway_problems``).
"""

from __future__ import annotations

from dataclasses import dataclass

from ansible_collections.failover.cluster.plugins.module_utils._sna import FLAVOURS as _CLI_FLAVOURS
from ansible_collections.failover.cluster.plugins.module_utils._sna import VERBS

from . import fields as f

SNA_KEYS = ("node", "port", "link_stations", "flavour", "daemon_path", "admin_path", "force_stale",
            "force_stop_command", "environment", "timeouts", "link_station_start")
NODE_KEYS = ("fqcp_name", "node_id", "node_type")
PORT_KEYS = ("port_name", "udp_port")
LS_KEYS = ("ls_name", "remote_ip_host", "pu_name", "remote_udp_port")
TIMEOUT_KEYS = ("start", "stop")
FLAVOUR_NAMES = tuple(_CLI_FLAVOURS)  # the command-line layer's table (_sna_cli) is the one list
FORCE_STALE = ("cluster", "fenced", "always", "never")
LS_START = ("parallel", "sequential")  # link_station_start: own primitives started at once, or group members
NODE_TIMEOUT = 120  # s, start and stop of the SNA node step (the control daemon and init_node)
LS_TIMEOUT = 60  # s, start and stop of one link station step
LS_STOP_WAIT = 10  # s the link station agent waits for an orderly stop before an immediate one
TIMEOUT_MAX = 3600

NODE_AGENT = "ocf:failover:sna_node"
PORT_AGENT = "ocf:failover:sna_port"
LS_AGENT = "ocf:failover:sna_link_station"
NODE_STEP = "node"
PORT_STEP = "port"
LS_STEP_PREFIX = "ls_"
STAGE = "after_ips"


@dataclass(frozen=True)
class Sna:
    node: dict  # fqcp_name, node_id, node_type - as given (the definitions' stamp hashes them)
    port: dict  # port_name, udp_port - as given
    link_stations: tuple  # mappings ls_name, remote_ip_host, pu_name, remote_udp_port - as given
    flavour: str = "snaplus2"
    daemon_path: object = None
    admin_path: object = None
    force_stale: str = "cluster"
    force_stop_command: tuple = ()
    environment: tuple = ()
    start_timeout: int = NODE_TIMEOUT
    stop_timeout: int = NODE_TIMEOUT
    link_station_start: str = "sequential"

    @property
    def parallel(self):
        """Link stations are primitives of their own, started and stopped at once (not group members)."""
        return self.link_station_start == "parallel"

    @property
    def ls_names(self):
        return tuple(str(ls["ls_name"]) for ls in self.link_stations)


# ---------------------------------------------------------------------------------------
# the rules (also used with the role's variable names by _sna_gateway.gateway_problems)
def check_fields(p, path, value, allowed, required):
    """A mapping with only ``allowed`` keys and non-empty ``required`` ones (False: not a mapping)."""
    if not isinstance(value, dict):
        p.error(path, "must be a mapping, got {0}".format(f.type_name(value)))
        return False
    for key in value:
        if key not in allowed:
            p.error(f.join(path, str(key)), "unknown field (allowed: {0})".format(", ".join(sorted(allowed))))
    for key in required:
        if value.get(key) in (None, ""):
            p.error(f.join(path, key), "is required")
    return True


def _check(p, path, verb, key, value):
    """The SNA stack's own rule for ``key`` of ``verb`` (the checkers the modules use)."""
    if value in (None, ""):
        return
    text = "YES" if value is True else "NO" if value is False else str(value).strip()
    rule = VERBS[verb][key][0](text)
    if rule:
        p.error(path, "{0!r} is not allowed: expected {1}".format(text, rule))


def check_node(p, path, node):
    """The SNA node (define_node): ``fqcp_name`` required, ``node_id``, ``node_type``."""
    if not check_fields(p, path, node, NODE_KEYS, ("fqcp_name",)):
        return False
    before = len(p.errors)
    for key in NODE_KEYS:
        _check(p, f.join(path, key), "define_node", key, node.get(key))
    return len(p.errors) == before


def check_port(p, path, port):
    """The port (define_ip_port): ``port_name`` required, ``udp_port``; it binds the package's IP."""
    if not check_fields(p, path, port, PORT_KEYS, ("port_name",)):
        return False
    before = len(p.errors)
    for key in PORT_KEYS:
        _check(p, f.join(path, key), "define_ip_port", key, port.get(key))
    return len(p.errors) == before


def check_link_stations(p, path, link_stations):
    """The link stations (define_ip_ls): at least one; no link station name twice, no remote PU twice."""
    if not isinstance(link_stations, (list, tuple)):
        p.error(path, "must be a list, got {0}".format(f.type_name(link_stations)))
        return False
    before = len(p.errors)
    if not link_stations:
        p.error(path, "at least one link station is needed")
    ls_seen, pu_seen = {}, {}
    for k, ls in enumerate(link_stations):
        lpath = f.index(path, k)
        if not check_fields(p, lpath, ls, LS_KEYS, ("ls_name", "remote_ip_host", "pu_name")):
            continue
        for key in LS_KEYS:
            _check(p, f.join(lpath, key), "define_ip_ls", key, ls.get(key))
        name = str(ls.get("ls_name") or "")
        if name and name in ls_seen:
            p.error(f.join(lpath, "ls_name"), "{0} is already used by {1}".format(name, ls_seen[name]))
        elif name:
            ls_seen[name] = lpath
        pu = (str(ls.get("remote_ip_host") or ""), str(ls.get("pu_name") or ""))
        if pu[1] and pu in pu_seen:
            p.error(f.join(lpath, "pu_name"), "PU {0} on {1} is already used by {2}; the remote host admits one link "
                                              "station per PU".format(pu[1], pu[0], pu_seen[pu]))
        elif pu[1]:
            pu_seen[pu] = lpath
    return len(p.errors) == before


def _words(p, path, raw):
    """A list of one-line words without spaces (argv words, NAME=VALUE words)."""
    items = f.read_list(p, path, raw)
    if items is None:
        return None
    words = []
    for k, word in enumerate(items):
        if not isinstance(word, (str, int)) or isinstance(word, bool) or not str(word) or any(
                c in str(word) for c in " \t\n\r\0\"'"):
            p.error(f.index(path, k), "{0!r} must be one word (no spaces, quotes or newlines)".format(word))
        else:
            words.append(str(word))
    return tuple(words) if len(words) == len(items) else None


def read_sna(p, path, raw):
    """Validate the ``sna`` mapping of a package entry; an :class:`Sna`, or None after recording errors."""
    before = len(p.errors)
    if not f.check_mapping(p, path, raw, SNA_KEYS, ("node", "port", "link_stations")):
        return None
    if raw.get("node") is not None:
        check_node(p, f.join(path, "node"), raw["node"])
    if raw.get("port") is not None:
        check_port(p, f.join(path, "port"), raw["port"])
    if raw.get("link_stations") is not None:
        check_link_stations(p, f.join(path, "link_stations"), raw["link_stations"])
    flavour = f.read_choice(p, f.join(path, "flavour"), raw.get("flavour"), FLAVOUR_NAMES, "snaplus2")
    force_stale = f.read_choice(p, f.join(path, "force_stale"), raw.get("force_stale"), FORCE_STALE, "cluster")
    ls_start = f.read_choice(p, f.join(path, "link_station_start"), raw.get("link_station_start"), LS_START,
                             "sequential")
    paths = {}
    for key in ("daemon_path", "admin_path"):
        value = raw.get(key)
        paths[key] = f.read_path(p, f.join(path, key), value, "program path") if value not in (None, "") else None
    force_stop = _words(p, f.join(path, "force_stop_command"), raw.get("force_stop_command"))
    environment = _words(p, f.join(path, "environment"), raw.get("environment"))
    for k, word in enumerate(environment or ()):
        if "=" not in word or not f.NAME_RE.match(word.split("=", 1)[0]):
            p.error(f.index(f.join(path, "environment"), k), "{0!r} is not NAME=VALUE".format(word))
    timeouts = raw.get("timeouts")
    start = stop = NODE_TIMEOUT
    if timeouts is not None and check_fields(p, f.join(path, "timeouts"), timeouts, TIMEOUT_KEYS, ()):
        tpath = f.join(path, "timeouts")
        start = f.read_int(p, f.join(tpath, "start"), timeouts.get("start"), NODE_TIMEOUT, 1, TIMEOUT_MAX, "s")
        stop = f.read_int(p, f.join(tpath, "stop"), timeouts.get("stop"), NODE_TIMEOUT, 1, TIMEOUT_MAX, "s")
    if len(p.errors) != before:
        return None
    return Sna(node=dict(raw["node"]), port=dict(raw["port"]),
               link_stations=tuple(dict(ls) for ls in raw["link_stations"]), flavour=flavour,
               daemon_path=paths["daemon_path"], admin_path=paths["admin_path"], force_stale=force_stale,
               force_stop_command=force_stop, environment=environment, start_timeout=start, stop_timeout=stop,
               link_station_start=ls_start)


# ---------------------------------------------------------------------------------------
# compilation: the package's ordered steps
def _common(sna):
    """Parameters every SNA agent takes: the CLI flavour, the program paths, the environment."""
    params = [("flavour", sna.flavour)]
    if sna.daemon_path:
        params.append(("daemon", sna.daemon_path))
    if sna.admin_path:
        params.append(("admin", sna.admin_path))
    if sna.environment:
        params.append(("environment", " ".join(sna.environment)))
    return params


def node_step(sna):
    """The SNA node: starts the control daemon and init_node; forces a stale node's PUs out first."""
    params = _common(sna) + [("fqcp_name", str(sna.node["fqcp_name"])), ("force_stale", sna.force_stale),
                             ("force_ls", " ".join(sna.ls_names))]
    if sna.force_stop_command:
        params.append(("force_stop_command", " ".join(sna.force_stop_command)))
    return {"name": NODE_STEP, "agent": NODE_AGENT, "params": params, "start_timeout": sna.start_timeout,
            "stop_timeout": sna.stop_timeout}


def port_step(sna):
    """The port: binds the package's relocatable IP (so it comes after the IP and the node)."""
    params = _common(sna) + [("port_name", str(sna.port["port_name"]))]
    return {"name": PORT_STEP, "agent": PORT_AGENT, "params": params, "start_timeout": None, "stop_timeout": None}


def link_station_steps(sna):
    """The link stations, one step each, in the order given.

    ``link_station_start: sequential`` (the default): group members after the port, started one after
    another (:func:`sna_steps` includes them). ``parallel``: primitives of their own that the
    CIB compiler (``cib.compile_package``) orders after the whole group and colocates with it, so
    they start at once after the port and stop at once before it.
    """
    return [{"name": LS_STEP_PREFIX + name, "agent": LS_AGENT,
             "params": _common(sna) + [("ls_name", name), ("stop_timeout", LS_STOP_WAIT)],
             "start_timeout": LS_TIMEOUT, "stop_timeout": LS_TIMEOUT} for name in sna.ls_names]


def sna_steps(sna):
    """The steps of the SNA gateway that are members of the package's group, in run order: node, port
    and - only with ``link_station_start: sequential`` - the link stations."""
    return [node_step(sna), port_step(sna)] + ([] if sna.parallel else link_station_steps(sna))


def step_names(sna):
    """Names of every SNA step (group members or not): no resource of the package may take them."""
    return [step["name"] for step in [node_step(sna), port_step(sna)] + link_station_steps(sna)]


def definitions(sna, ip_address):
    """What the definitions step writes on every candidate: the node, the port (bound to the
    relocatable IP) and the link stations, as given (the role hashes this for its stamp)."""
    return {"node": dict(sna.node), "port": dict(sna.port, local_ip=ip_address),
            "link_stations": [dict(ls) for ls in sna.link_stations]}
