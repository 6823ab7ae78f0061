"""The cluster spec: validation, normalization and the derived engine settings.

Input is the plain mapping a role receives (see docs/spec-reference.md). ``build_cluster``
returns a frozen :class:`Cluster` plus warnings, or raises :class:`SpecError` listing every
violation as ``<prefix><field path>: <rule>``. ``validate_cluster`` does the same but returns
the normalized spec as a plain, JSON-friendly dict that is itself valid input.

All durations of the cluster spec are integers in milliseconds (Corosync's unit).
"""

import re
from dataclasses import dataclass, field

from . import fields as f
from . import monitoring
from .errors import Problems, SpecError  # noqa: F401  # pylint: disable=unused-import  # re-exported for callers
from .net import AddressError, parse_address, parse_interface_address

CLUSTER_NAME_MAX = 32
NODE_NAME_MAX = 63
MAX_NODES = 32
MAX_LINKS = 8  # knet links per node
NODE_ID_MAX = 65535  # knet host ids are 16 bit; 0 is reserved

MEMBER_TIMEOUT_MIN = 1000
MEMBER_TIMEOUT_MAX = 300000  # Serviceguard's supported maximum (300 s)
SG_SINGLE_LINK_MIN = 14000  # Serviceguard's minimum with one heartbeat LAN
SG_MULTI_LINK_MIN = 3000  # Serviceguard's minimum with two or more heartbeat subnets
SG_LARGE_TIMEOUT = 60000  # Serviceguard asks for confirmation above this
# corosync-qdevice (model net) sends heartbeats every 0.8 x quorum.device.timeout and
# clamps that interval to [1000, 120000] ms; keep the configured value inside.
QDEVICE_TIMEOUT_MIN = 1250
QDEVICE_TIMEOUT_MAX = 150000

TIMING_PROFILES = {
    # Corosync's own defaults.
    "default": {"token": 3000, "qdevice_timeout": 10000, "qdevice_sync_timeout": 30000},
    # Measured on the lab: crash failover ~3.45 s with a quorum server.
    "low_latency": {"token": 1000, "qdevice_timeout": 2000, "qdevice_sync_timeout": 5000},
}
ALGORITHMS = ("ffsplit", "lms")
TLS_MODES = ("on", "off", "required")
TRANSPORTS = ("knet",)
CIPHERS = ("aes256", "aes192", "aes128", "none")
HASHES = ("sha256", "sha384", "sha512", "sha1", "md5", "none")
QNETD_PORT = 5403
DEFAULT_WATCHDOG = "/dev/watchdog"

TOP_KEYS = (
    "name", "nodes", "member_timeout", "timing_profile", "autostart", "quorum_server", "lock_lun",
    "transport", "crypto", "properties", "ip_monitor", "derived",
)
NODE_KEYS = ("name", "addresses", "node_id", "stationary_addresses")
QS_KEYS = ("host", "address", "algorithm", "polling_interval", "port", "tls")
LOCK_KEYS = ("devices", "watchdog", "allow_no_watchdog", "force")
CRYPTO_KEYS = ("cipher", "hash")


@dataclass(frozen=True)
class Node:
    name: str
    node_id: int
    addresses: tuple  # heartbeat interfaces "198.51.100.11/24", one per link
    stationary_addresses: tuple = ()

    @property
    def ring_addresses(self):
        return tuple(a.split("/")[0] for a in self.addresses)


@dataclass(frozen=True)
class Link:
    number: int
    network: str  # "198.51.100.0/24"


@dataclass(frozen=True)
class Timing:
    profile: str
    token: int
    consensus: int
    qdevice_timeout: int
    qdevice_sync_timeout: int
    member_timeout: object = None  # as given (None = from the profile)
    polling_interval: object = None  # as given

    @property
    def qnetd_dead_client_ms(self):
        """How long qnetd keeps a crashed client: 1.5 x its heartbeat (0.8 x timeout)."""
        return int(self.qdevice_timeout * 0.8 * 1.5)


@dataclass(frozen=True)
class QuorumServer:
    host: str
    address: str
    algorithm: str = "ffsplit"
    port: int = QNETD_PORT
    tls: str = "on"

    @property
    def votes(self):
        """ffsplit needs exactly one qdevice vote; lms wants the default (left out)."""
        return 1 if self.algorithm == "ffsplit" else None


@dataclass(frozen=True)
class LockLun:
    devices: tuple
    watchdog: object = DEFAULT_WATCHDOG
    allow_no_watchdog: bool = False
    force: bool = False


@dataclass(frozen=True)
class Cluster:
    name: str
    nodes: tuple
    links: tuple
    timing: Timing
    autostart: bool = True
    quorum_server: object = None
    lock_lun: object = None
    transport: str = "knet"
    crypto_cipher: str = "aes256"
    crypto_hash: str = "sha256"
    properties: dict = field(default_factory=dict)  # as given, normalized to strings
    ip_monitor: tuple = ()  # monitoring.IpMonitor per polled subnet (Serviceguard's IP_MONITOR / POLLING_TARGET)

    # -- derived -----------------------------------------------------------------
    @property
    def node_names(self):
        return tuple(n.name for n in self.nodes)

    def node(self, name):
        for node in self.nodes:
            if node.name == name:
                return node
        raise KeyError(name)

    @property
    def arbitration(self):
        if self.quorum_server:
            return "quorum_server"
        if self.lock_lun:
            return "lock_lun"
        return "none"

    @property
    def two_node(self):
        """votequorum two_node: only for exactly 2 nodes arbitrated by SBD (never with a qdevice)."""
        return len(self.nodes) == 2 and self.lock_lun is not None and self.quorum_server is None

    @property
    def expected_votes(self):
        votes = len(self.nodes)
        if self.quorum_server:
            votes += 1 if self.quorum_server.algorithm == "ffsplit" else max(len(self.nodes) - 1, 1)
        return votes

    @property
    def networks(self):
        """Every subnet some node has an address on: {cidr: set(node names)}."""
        return _networks(self.nodes)[0]

    def derived_properties(self):
        return derived_properties(self)

    def to_dict(self):
        qs = self.quorum_server
        lock = self.lock_lun
        return {
            "name": self.name,
            "nodes": [
                {
                    "name": n.name,
                    "node_id": n.node_id,
                    "addresses": list(n.addresses),
                    "stationary_addresses": list(n.stationary_addresses),
                }
                for n in self.nodes
            ],
            "member_timeout": self.timing.member_timeout,
            "timing_profile": self.timing.profile,
            "autostart": self.autostart,
            "quorum_server": None if qs is None else {
                "host": qs.host,
                "address": qs.address,
                "algorithm": qs.algorithm,
                "polling_interval": self.timing.polling_interval,
                "port": qs.port,
                "tls": qs.tls,
            },
            "lock_lun": None if lock is None else {
                "devices": list(lock.devices),
                "watchdog": lock.watchdog,
                "allow_no_watchdog": lock.allow_no_watchdog,
                "force": lock.force,
            },
            "transport": self.transport,
            "crypto": {"cipher": self.crypto_cipher, "hash": self.crypto_hash},
            "properties": dict(self.properties),
            "ip_monitor": [m.to_dict() for m in self.ip_monitor],
            "derived": {
                "token": self.timing.token,
                "consensus": self.timing.consensus,
                "qdevice_timeout": self.timing.qdevice_timeout if qs else None,
                "qdevice_sync_timeout": self.timing.qdevice_sync_timeout if qs else None,
                "qnetd_dead_client_ms": self.timing.qnetd_dead_client_ms if qs else None,
                "two_node": self.two_node,
                "expected_votes": self.expected_votes,
                "arbitration": self.arbitration,
                "links": [{"number": k.number, "network": k.network} for k in self.links],
                "cluster_properties": derived_properties(self),
            },
        }


def _networks(nodes):
    """({cidr: set(node names)}, {address: node name}) of the nodes' heartbeat and stationary addresses."""
    result, addresses = {}, {}
    for node in nodes:
        for text in node.addresses + node.stationary_addresses:
            address, network = parse_interface_address(text)
            result.setdefault(str(network), set()).add(node.name)
            addresses[str(address)] = node.name
    return result, addresses


# ---------------------------------------------------------------------------------------
FENCE_RACE_DELAY = "5s"  # see derived_properties


def property_text(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def derived_properties(cluster):
    """Pacemaker cluster properties implied by the spec, then the operator's overrides.

    - stonith-enabled: true only with a lock LUN (SBD is the only fencing this collection
      configures);
    - no-quorum-policy: ``suicide`` with SBD (a node that loses quorum resets, as in
      Serviceguard), ``stop`` otherwise (it halts its packages; it cannot reset itself);
    - dc-deadtime: 5s (measured: first DC after ~8 s instead of ~23 s);
    - priority-fencing-delay (lock LUN only): when the two halves of a split race to fence each
      other through the disk, fencing aimed at the node running the packages waits this long, so
      the holder wins and the other node is reset. Without it both nodes could shoot each other
      (seen in 3 of 8 partitions on the lab). The victim reads its poison pill within about a
      second (sbd's loop), so 5 s leaves a wide margin; it is also what a crash of the holder
      adds to the failover (the survivor cannot tell a crash from a split).
    """
    props = {
        "stonith-enabled": "true" if cluster.lock_lun else "false",
        "no-quorum-policy": "suicide" if cluster.lock_lun else "stop",
        "dc-deadtime": "5s",
    }
    if cluster.lock_lun:
        props["priority-fencing-delay"] = FENCE_RACE_DELAY
    props.update(cluster.properties)
    return dict(sorted(props.items()))


# ---------------------------------------------------------------------------------------
def build_cluster(spec, prefix="cluster_"):
    """Validate ``spec``; return ``(Cluster, warnings)`` or raise SpecError with every problem."""
    problems = Problems()
    cluster = _Reader(problems, prefix).read(spec)
    problems.raise_if_any()
    return cluster, list(problems.warnings)


def validate_cluster(spec, prefix="cluster_"):
    """Validate ``spec``; return ``(normalized dict, warnings)`` or raise SpecError."""
    cluster, warnings = build_cluster(spec, prefix)
    return cluster.to_dict(), warnings


def as_cluster(spec_or_cluster, prefix="cluster_"):
    if isinstance(spec_or_cluster, Cluster):
        return spec_or_cluster
    return build_cluster(spec_or_cluster, prefix)[0]


class _Reader:
    def __init__(self, problems, prefix):
        self.p = problems
        self.prefix = prefix

    def path(self, key):
        return f.join(self.prefix, key)

    # -- top level -------------------------------------------------------------------
    def read(self, spec):
        p = self.p
        if not isinstance(spec, dict):
            p.error(self.prefix.rstrip("_.") or "cluster", "must be a mapping, got {0}".format(f.type_name(spec)))
            return None
        f.check_mapping(p, self.prefix, spec, TOP_KEYS, ("name", "nodes"))
        self._spec_keys = {k for k, v in spec.items() if v is not None}
        name = None
        if spec.get("name") is not None:
            name = f.read_name(p, self.path("name"), spec.get("name"), CLUSTER_NAME_MAX, "cluster name")
        nodes, links = self.read_nodes(spec.get("nodes"))
        qs, polling = self.read_quorum_server(spec.get("quorum_server"), nodes)
        lock = self.read_lock_lun(spec.get("lock_lun"))
        timing = self.read_timing(spec, len(links), qs, polling)
        autostart = f.read_bool(p, self.path("autostart"), spec.get("autostart"), True)
        transport = f.read_choice(p, self.path("transport"), spec.get("transport"), TRANSPORTS, "knet")
        cipher, hash_ = self.read_crypto(spec.get("crypto"))
        properties = self.read_properties(spec.get("properties"))
        ip_monitor = ()
        if spec.get("ip_monitor") and not p.errors:
            ip_monitor = monitoring.read_ip_monitor(p, self.path("ip_monitor"), spec.get("ip_monitor"),
                                                    *_networks(nodes))
        self.check_arbitration(nodes, qs, lock)
        if p.errors:
            return None
        cluster = Cluster(
            name=name, nodes=tuple(nodes), links=tuple(links), timing=timing, autostart=autostart,
            quorum_server=qs, lock_lun=lock, transport=transport, crypto_cipher=cipher, crypto_hash=hash_,
            properties=properties, ip_monitor=ip_monitor,
        )
        self.check_properties(cluster)
        return cluster

    # -- nodes and links -------------------------------------------------------------
    def read_nodes(self, raw):
        p = self.p
        base = self.path("nodes")
        items = f.read_list(p, base, raw, allow_empty=False)
        if not items:
            return [], []
        if len(items) > MAX_NODES:
            p.error(base, "{0} nodes is more than the supported {1}".format(len(items), MAX_NODES))
        if len(items) == 1:
            p.warn(base, "a single-node cluster cannot fail packages over to another node")
        parsed = []  # (index, name, node_id, [(text, address, network)], [stationary ...])
        for i, item in enumerate(items):
            path = f.index(base, i)
            if not f.check_mapping(p, path, item, NODE_KEYS, ("name", "addresses")):
                continue
            name = None
            if item.get("name") is not None:
                name = f.read_name(p, f.join(path, "name"), item["name"], NODE_NAME_MAX, "node name")
            node_id = f.read_int(p, f.join(path, "node_id"), item.get("node_id"), None, 1, NODE_ID_MAX)
            addresses = self.read_interfaces(f.join(path, "addresses"), item.get("addresses"), True, MAX_LINKS)
            stationary = self.read_interfaces(
                f.join(path, "stationary_addresses"), item.get("stationary_addresses"), False, 16
            )
            parsed.append((i, name, node_id, addresses, stationary))

        # unique names (hostnames compare case-insensitively)
        seen = {}
        for i, name, _nid, _a, _s in parsed:
            if name is None:
                continue
            key = name.lower()
            if key in seen:
                p.error(f.join(f.index(base, i), "name"), "node name {0!r} is already used by {1}".format(
                    name, f.index(base, seen[key])))
            else:
                seen[key] = i

        # node ids: explicit ones unique; the others get the lowest free ids in list order
        used = {}
        for i, _name, nid, _a, _s in parsed:
            if nid is None:
                continue
            if nid in used:
                p.error(f.join(f.index(base, i), "node_id"), "node_id {0} is already used by {1}".format(
                    nid, f.index(base, used[nid])))
            else:
                used[nid] = i
        free = (n for n in range(1, NODE_ID_MAX + 1) if n not in used)
        ids = {i: (nid if nid is not None else next(free)) for i, _n, nid, _a, _s in parsed}

        links = self.check_links(base, parsed)
        self.check_duplicate_addresses(base, parsed)

        nodes = [
            Node(
                name=name,
                node_id=ids[i],
                addresses=tuple(t for t, _a, _n in addrs),
                stationary_addresses=tuple(t for t, _a, _n in stat),
            )
            for i, name, _nid, addrs, stat in parsed
        ]
        return nodes, links

    def read_interfaces(self, path, raw, required, maximum):
        p = self.p
        items = f.read_list(p, path, raw, allow_empty=not required)
        result = []
        if not items:
            return result
        if len(items) > maximum:
            p.error(path, "{0} addresses is more than the supported {1}".format(len(items), maximum))
        for k, text in enumerate(items):
            try:
                address, network = parse_interface_address(text)
            except AddressError as exc:
                p.error(f.index(path, k), str(exc))
                result.append((None, None, None))
                continue
            result.append(("{0}/{1}".format(address, network.prefixlen), address, network))
        return result

    def check_links(self, base, parsed):
        p = self.p
        if not parsed:
            return []
        ref_i, _name, _nid, ref_addrs, _s = parsed[0]
        links = []
        for k, (_text, _address, network) in enumerate(ref_addrs):
            links.append(Link(k, str(network) if network is not None else ""))
        for i, _name, _nid, addrs, _s in parsed[1:]:
            if len(addrs) != len(ref_addrs):
                p.error(
                    f.join(f.index(base, i), "addresses"),
                    "has {0} address(es) but {1} has {2}: every node needs one address per heartbeat link".format(
                        len(addrs), f.join(f.index(base, ref_i), "addresses"), len(ref_addrs)),
                )
                continue
            for k, (text, _address, network) in enumerate(addrs):
                ref_network = ref_addrs[k][2]
                if network is None or ref_network is None:
                    continue
                if network != ref_network:
                    p.error(
                        f.index(f.join(f.index(base, i), "addresses"), k),
                        "{0} is not in subnet {1} of heartbeat link {2} (set by {3})".format(
                            text, ref_network, k, f.index(f.join(f.index(base, ref_i), "addresses"), k)),
                    )
        seen = {}
        for link in links:
            if not link.network:
                continue
            if link.network in seen:
                p.warn(
                    self.path("nodes"),
                    "heartbeat links {0} and {1} share subnet {2}: they give no redundancy".format(
                        seen[link.network], link.number, link.network),
                )
            else:
                seen[link.network] = link.number
        return links

    def check_duplicate_addresses(self, base, parsed):
        p = self.p
        owner = {}
        for i, _name, _nid, addrs, stat in parsed:
            for field_name, group in (("addresses", addrs), ("stationary_addresses", stat)):
                for k, (_text, address, _network) in enumerate(group):
                    if address is None:
                        continue
                    path = f.index(f.join(f.index(base, i), field_name), k)
                    if address in owner:
                        p.error(path, "{0} is already used by {1}".format(address, owner[address]))
                    else:
                        owner[address] = path
        self.owned_addresses = owner

    # -- timing ----------------------------------------------------------------------
    def read_timing(self, spec, link_count, qs, polling_raw):
        p = self.p
        profile = f.read_choice(
            p, self.path("timing_profile"), spec.get("timing_profile"), tuple(TIMING_PROFILES), "default"
        )
        preset = TIMING_PROFILES.get(profile or "default")
        mt_path = self.path("member_timeout")
        member = f.read_int(
            p, mt_path, spec.get("member_timeout"), None, MEMBER_TIMEOUT_MIN, MEMBER_TIMEOUT_MAX, "ms"
        )
        pi_path = f.join(self.path("quorum_server"), "polling_interval")
        polling = f.read_int(p, pi_path, polling_raw, None, QDEVICE_TIMEOUT_MIN, QDEVICE_TIMEOUT_MAX, "ms")

        if profile == "low_latency":
            if member is not None and member != preset["token"]:
                p.error(mt_path, "{0} ms conflicts with timing_profile low_latency, which sets the member timeout "
                                 "(Corosync token) to {1} ms; remove one of them".format(member, preset["token"]))
            if polling is not None and polling != preset["qdevice_timeout"]:
                p.error(pi_path, "{0} ms conflicts with timing_profile low_latency, which sets the quorum device "
                                 "timeout to {1} ms; remove one of them".format(polling, preset["qdevice_timeout"]))
        token = member if member is not None else preset["token"]
        qd_timeout = polling if polling is not None else preset["qdevice_timeout"]
        qd_sync = max(preset["qdevice_sync_timeout"], qd_timeout)
        timing = Timing(
            profile=profile or "default", token=token, consensus=int(token * 1.2), qdevice_timeout=qd_timeout,
            qdevice_sync_timeout=qd_sync, member_timeout=member, polling_interval=polling,
        )
        if link_count == 1 and token < TIMING_PROFILES["default"]["token"]:
            p.warn(mt_path, "{0} ms on a single heartbeat link: a short outage of that one link makes the cluster "
                            "re-form (Serviceguard requires {1} ms with one heartbeat LAN); add a second heartbeat "
                            "link for production".format(token, SG_SINGLE_LINK_MIN))
        if token > SG_LARGE_TIMEOUT:
            p.warn(mt_path, "{0} ms is above {1} ms: node failures take that long to detect".format(
                token, SG_LARGE_TIMEOUT))
        if qs is not None and member is not None and timing.qnetd_dead_client_ms > token + timing.consensus:
            p.warn(
                mt_path,
                "after a node crash the quorum server keeps the dead node's vote for {0} ms (1.5 x its heartbeat "
                "of 0.8 x polling_interval {1} ms), longer than member timeout + consensus ({2} ms), so it, not "
                "the member timeout, bounds failover; use timing_profile low_latency or a lower "
                "polling_interval".format(timing.qnetd_dead_client_ms, qd_timeout, token + timing.consensus),
            )
        return timing

    # -- arbitration -----------------------------------------------------------------
    def read_quorum_server(self, raw, nodes):
        p = self.p
        base = self.path("quorum_server")
        if raw is None:
            return None, None
        if not f.check_mapping(p, base, raw, QS_KEYS, ("host",)):
            return None, None
        host = raw.get("host")
        ok = True
        if host is not None and (not isinstance(host, str) or not f.HOST_RE.match(host) or len(host) > 253):
            p.error(f.join(base, "host"), "{0!r} is not a valid inventory hostname".format(host))
            ok = False
        address_raw = raw.get("address")
        address = None
        if address_raw is None and isinstance(host, str):
            try:
                address = str(parse_address(host))
            except AddressError:
                p.error(f.join(base, "address"), "is required when host is not an IP address")
                ok = False
        elif address_raw is not None:
            try:
                address = str(parse_address(address_raw))
            except AddressError as exc:
                p.error(f.join(base, "address"), str(exc))
                ok = False
        algorithm = f.read_choice(p, f.join(base, "algorithm"), raw.get("algorithm"), ALGORITHMS, "ffsplit")
        port = f.read_int(p, f.join(base, "port"), raw.get("port"), QNETD_PORT, 1, 65535)
        tls = f.read_choice(p, f.join(base, "tls"), _onoff(raw.get("tls")), TLS_MODES, "on")
        if tls == "off":
            p.warn(f.join(base, "tls"), "off: quorum votes travel unauthenticated; use on or required")
        if isinstance(host, str):
            member_names = {n.name.lower() for n in nodes if n.name}
            if host.lower() in member_names or host.split(".")[0].lower() in member_names:
                p.error(f.join(base, "host"), "{0} is a cluster node; the quorum server must run on a host outside "
                                              "the cluster".format(host))
                ok = False
        if address is not None:
            for node in nodes:
                for text in node.addresses + node.stationary_addresses:
                    if text and text.split("/")[0] == address:
                        p.error(f.join(base, "address"), "{0} belongs to cluster node {1}; the quorum server must "
                                                         "run on a host outside the cluster".format(address, node.name))
                        ok = False
        if not ok or None in (algorithm, port, tls):
            return None, raw.get("polling_interval")
        return QuorumServer(host=host, address=address, algorithm=algorithm, port=port, tls=tls), raw.get(
            "polling_interval")

    def read_lock_lun(self, raw):
        p = self.p
        base = self.path("lock_lun")
        if raw is None:
            return None
        if not f.check_mapping(p, base, raw, LOCK_KEYS, ("devices",)):
            return None
        devices = f.read_list(p, f.join(base, "devices"), raw.get("devices"), allow_empty=False)
        ok = devices is not None and bool(devices)
        if devices and len(devices) > 2:
            p.error(f.join(base, "devices"), "{0} devices given; a lock LUN is one disk or two (dual lock)".format(
                len(devices)))
            ok = False
        clean = []
        for k, dev in enumerate(devices or []):
            value = f.read_path(p, f.index(f.join(base, "devices"), k), dev, "device path")
            if value is None:
                ok = False
            elif value in clean:
                p.error(f.index(f.join(base, "devices"), k), "{0} is listed twice".format(value))
                ok = False
            else:
                clean.append(value)
        watchdog = raw.get("watchdog", DEFAULT_WATCHDOG)
        if watchdog is not None:
            watchdog = f.read_path(p, f.join(base, "watchdog"), watchdog, "watchdog device")
            ok = ok and watchdog is not None
        allow = f.read_bool(p, f.join(base, "allow_no_watchdog"), raw.get("allow_no_watchdog"), False)
        force = f.read_bool(p, f.join(base, "force"), raw.get("force"), False)
        if "watchdog" in raw and raw.get("watchdog") is None:
            if allow:
                p.warn(f.join(base, "watchdog"), "no watchdog: SBD cannot reset a hung node, so fencing is not "
                                                 "reliable; allowed by allow_no_watchdog for a lab only -- "
                                                 "PRODUCTION NEEDS A WATCHDOG")
            else:
                p.error(f.join(base, "watchdog"), "is null: production needs a watchdog device for SBD (e.g. "
                                                  "/dev/watchdog); set allow_no_watchdog: true only for a lab")
                ok = False
        if force:
            p.warn(f.join(base, "force"), "true: a disk that carries another cluster's SBD header will be "
                                          "overwritten")
        if not ok or allow is None or force is None:
            return None
        return LockLun(devices=tuple(clean), watchdog=watchdog, allow_no_watchdog=allow, force=force)

    def check_arbitration(self, nodes, qs, lock):
        p = self.p
        qs_given = qs is not None or self._given("quorum_server")
        lock_given = lock is not None or self._given("lock_lun")
        if qs_given and lock_given:
            p.error(self.path("quorum_server"), "cannot be combined with {0}: a cluster has one tie-breaker, a "
                                                "quorum server or a lock LUN".format(self.path("lock_lun")))
        count = len(nodes)
        if count == 2 and not qs_given and not lock_given:
            p.error(self.path("nodes"), "a 2-node cluster needs a tie-breaker: set {0} or {1}".format(
                self.path("quorum_server"), self.path("lock_lun")))
        elif count >= 4 and count % 2 == 0 and not qs_given and not lock_given:
            p.warn(self.path("nodes"), "{0} nodes and no tie-breaker: if the cluster splits in two equal halves, "
                                       "neither half has quorum and every package stops; consider {1}".format(
                                           count, self.path("quorum_server")))

    def _given(self, key):
        return self._spec_keys is not None and key in self._spec_keys

    _spec_keys = None

    # -- crypto and properties -------------------------------------------------------
    def read_crypto(self, raw):
        p = self.p
        base = self.path("crypto")
        if raw is None:
            return "aes256", "sha256"
        if not f.check_mapping(p, base, raw, CRYPTO_KEYS):
            return None, None
        cipher = f.read_choice(p, f.join(base, "cipher"), raw.get("cipher"), CIPHERS, "aes256")
        hash_ = f.read_choice(p, f.join(base, "hash"), raw.get("hash"), HASHES, "sha256")
        if cipher not in (None, "none") and hash_ == "none":
            p.error(f.join(base, "hash"), "none is not allowed with cipher {0}: Corosync needs a hash to "
                                          "encrypt".format(cipher))
        if cipher == "none" and hash_ == "none":
            p.warn(base, "cipher and hash none: cluster traffic is neither encrypted nor authenticated")
        return cipher, hash_

    def read_properties(self, raw):
        p = self.p
        base = self.path("properties")
        if raw is None:
            return {}
        if not isinstance(raw, dict):
            p.error(base, "must be a mapping, got {0}".format(f.type_name(raw)))
            return {}
        result = {}
        for key in sorted(raw, key=str):
            value = raw[key]
            path = f.join(base, str(key))
            if not isinstance(key, str) or not _PROP_RE.match(key):
                p.error(path, "{0!r} is not a valid Pacemaker property name".format(key))
                continue
            if not isinstance(value, (str, int, float, bool)) or (isinstance(value, str) and not _VALUE_RE.match(
                    value)):
                p.error(path, "{0!r} is not a valid property value (a scalar without quotes or "
                              "newlines)".format(value))
                continue
            result[key] = property_text(value)
        return result

    def check_properties(self, cluster):
        p = self.p
        stonith = cluster.properties.get("stonith-enabled")
        if stonith is not None and stonith.lower() in ("false", "no", "0", "off") and cluster.lock_lun:
            p.warn(f.join(self.path("properties"), "stonith-enabled"),
                   "false with a lock LUN: SBD fencing is configured but disabled, so a failed node is never "
                   "fenced")
        if stonith is not None and stonith.lower() in ("true", "yes", "1", "on") and not cluster.lock_lun:
            p.warn(f.join(self.path("properties"), "stonith-enabled"),
                   "true without a lock LUN: this collection configures no fencing device, so resources will "
                   "not start until one exists")


_PROP_RE = re.compile(r"^[a-z][a-z0-9-]*$")
_VALUE_RE = re.compile(r"^[^\"'\n\r<>&]*$")


def _onoff(value):
    if isinstance(value, bool):
        return "on" if value else "off"
    return value
