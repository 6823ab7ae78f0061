"""The lab description: hosts, groups, networks and shared disks.

A spec comes from a YAML/JSON file, from CLI arguments, or from a saved
``lab.json``.  Everything is validated here, before anything is created.
"""

from __future__ import annotations

import ipaddress
import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

from failover_lab import LabError

PREFIX_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")
HOST_RE = re.compile(r"^[a-z][a-z0-9-]{0,31}$")
NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,15}$")
DISK_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,31}$")
SIZE_RE = re.compile(r"^(\d+)([MG]?)$", re.IGNORECASE)

# Documentation ranges only.  192.0.2.0/24 (TEST-NET-1) is used by this kind of
# machine's own eth0, so the lab never uses it.
DEFAULT_NETWORKS = (("net0", "198.51.100.0/24"), ("net1", "203.0.113.0/24"))
FORBIDDEN_NET = ipaddress.ip_network("192.0.2.0/24")
FIRST_HOST_OFFSET = 11  # hosts get .11, .12, ...; .1 is the controller
MAX_HOSTS = 200


@dataclass
class Network:
    name: str
    cidr: str

    @property
    def net(self) -> ipaddress.IPv4Network:
        return ipaddress.ip_network(self.cidr)

    @property
    def gateway(self) -> str:
        """The controller namespace's own address on this network."""
        return str(self.net.network_address + 1)


@dataclass
class Host:
    name: str
    groups: list[str] = field(default_factory=list)
    networks: list[str] = field(default_factory=list)
    addresses: dict[str, str] = field(default_factory=dict)


@dataclass
class Disk:
    name: str
    size_mb: int = 64


@dataclass
class LabSpec:
    prefix: str
    hosts: list[Host]
    networks: list[Network]
    disks: list[Disk] = field(default_factory=list)
    mask_units: list[str] = field(default_factory=list)
    on_reboot: str = "restart"

    # ---- derived names -------------------------------------------------
    @property
    def ctl_ns(self) -> str:
        return f"{self.prefix}ctl"

    def host_ns(self, host: str) -> str:
        return f"{self.prefix}.{host}"

    def host(self, name: str) -> Host:
        for h in self.hosts:
            if h.name == name:
                return h
        raise LabError(f"lab {self.prefix!r} has no host {name!r} (hosts: {', '.join(self.host_names)})")

    @property
    def host_names(self) -> list[str]:
        return [h.name for h in self.hosts]

    def network(self, name: str) -> Network:
        for n in self.networks:
            if n.name == name:
                return n
        raise LabError(f"lab {self.prefix!r} has no network {name!r}")

    def bridge(self, net: str) -> str:
        return f"br{self.net_index(net)}"

    def net_index(self, net: str) -> int:
        return [n.name for n in self.networks].index(net)

    def host_ifname(self, host: str, net: str) -> str:
        """The interface name inside the host: eth0, eth1, ... by network order."""
        return f"eth{self.net_index(net)}"

    def peer_ifname(self, host: str, net: str) -> str:
        """The veth end in the controller namespace (<= 15 characters)."""
        return f"h{self.host_names.index(host)}n{self.net_index(net)}"

    def address(self, host: str, net: str) -> str:
        return self.host(host).addresses[net]

    def primary_address(self, host: str) -> str:
        """The address Ansible and ssh use: the host's first network."""
        h = self.host(host)
        return h.addresses[h.networks[0]]

    def groups(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for h in self.hosts:
            for g in h.groups:
                out.setdefault(g, []).append(h.name)
        return out

    # ---- (de)serialisation ---------------------------------------------
    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict, prefix: str | None = None) -> LabSpec:
        if not isinstance(data, dict):
            raise LabError("lab spec: the top level must be a mapping")
        unknown = set(data) - {"prefix", "hosts", "networks", "disks", "mask_units", "on_reboot"}
        if unknown:
            raise LabError(f"lab spec: unknown keys {sorted(unknown)}")
        nets_raw = data.get("networks")
        if nets_raw is None:
            nets_raw = [DEFAULT_NETWORKS[0][0]]
        networks = [_network(n) for n in _as_list(nets_raw, "networks")]
        hosts = [_host(h) for h in _as_list(data.get("hosts"), "hosts")]
        disks = [_disk(d) for d in _as_list(data.get("disks") or [], "disks")]
        spec = cls(
            prefix=prefix or data.get("prefix") or "fl",
            hosts=hosts,
            networks=networks,
            disks=disks,
            mask_units=[str(u) for u in _as_list(data.get("mask_units") or [], "mask_units")],
            on_reboot=str(data.get("on_reboot", "restart")),
        )
        spec.validate()
        return spec

    def validate(self) -> None:
        if not PREFIX_RE.match(self.prefix):
            raise LabError(
                f"lab prefix {self.prefix!r} is invalid: use 1-32 characters from A-Z a-z 0-9 _ - "
                "(starting with a letter or digit)"
            )
        if not self.hosts:
            raise LabError("lab spec: at least one host is required")
        if len(self.hosts) > MAX_HOSTS:
            raise LabError(f"lab spec: at most {MAX_HOSTS} hosts")
        if not self.networks:
            raise LabError("lab spec: at least one network is required")
        _unique([n.name for n in self.networks], "network name")
        _unique([h.name for h in self.hosts], "host name")
        _unique([d.name for d in self.disks], "disk name")
        nets = [n.net for n in self.networks]
        for i, a in enumerate(nets):
            for b in nets[i + 1 :]:
                if a.overlaps(b):
                    raise LabError(f"lab spec: networks {a} and {b} overlap")
        if self.on_reboot not in ("restart", "stay-down"):
            raise LabError("lab spec: on_reboot must be 'restart' or 'stay-down'")
        for u in self.mask_units:
            if "/" in u or not u or u.startswith("."):
                raise LabError(f"lab spec: mask_units entry {u!r} is not a unit name")
        net_names = [n.name for n in self.networks]
        for idx, h in enumerate(self.hosts):
            if h.name == "ctl":
                raise LabError("lab spec: 'ctl' is reserved and cannot be a host name")
            if not h.networks:
                h.networks = list(net_names)
            for net in h.networks:
                if net not in net_names:
                    raise LabError(f"host {h.name}: unknown network {net!r} (networks: {', '.join(net_names)})")
            for net in list(h.addresses):
                if net not in h.networks:
                    raise LabError(f"host {h.name}: address given for network {net!r} the host is not on")
            for net in h.networks:
                n = self.network(net)
                addr = h.addresses.get(net) or str(n.net.network_address + FIRST_HOST_OFFSET + idx)
                ip = ipaddress.ip_address(addr)
                if ip not in n.net or ip in (n.net.network_address, n.net.broadcast_address):
                    raise LabError(f"host {h.name}: address {addr} is not a host address of {net} ({n.cidr})")
                if str(ip) == n.gateway:
                    raise LabError(f"host {h.name}: {addr} is the controller's address on {net}")
                h.addresses[net] = str(ip)
        for net in net_names:
            _unique([h.addresses[net] for h in self.hosts if net in h.addresses], f"address on {net}")


def _as_list(value, what: str) -> list:
    if value is None:
        raise LabError(f"lab spec: {what} is required")
    if not isinstance(value, list):
        raise LabError(f"lab spec: {what} must be a list")
    return value


def _unique(items: list[str], what: str) -> None:
    seen: set[str] = set()
    for i in items:
        if i in seen:
            raise LabError(f"lab spec: duplicate {what} {i!r}")
        seen.add(i)


def _network(raw) -> Network:
    if isinstance(raw, str):
        defaults = dict(DEFAULT_NETWORKS)
        if raw not in defaults:
            raise LabError(f"lab spec: network {raw!r} needs a cidr (only {', '.join(defaults)} have defaults)")
        raw = {"name": raw, "cidr": defaults[raw]}
    if not isinstance(raw, dict) or set(raw) - {"name", "cidr"}:
        raise LabError(f"lab spec: a network is a name or a mapping with name and cidr, got {raw!r}")
    name = str(raw.get("name", ""))
    if not NAME_RE.match(name):
        raise LabError(f"lab spec: network name {name!r} is invalid (letter, then letters/digits/_; max 16)")
    cidr = raw.get("cidr") or dict(DEFAULT_NETWORKS).get(name)
    if not cidr:
        raise LabError(f"lab spec: network {name!r} needs a cidr")
    try:
        net = ipaddress.ip_network(str(cidr), strict=True)
    except ValueError as exc:
        raise LabError(f"lab spec: network {name}: bad cidr {cidr!r}: {exc}") from None
    if net.version != 4 or net.prefixlen > 29:
        raise LabError(f"lab spec: network {name}: {cidr} must be IPv4 with a prefix of /29 or wider")
    if net.overlaps(FORBIDDEN_NET):
        raise LabError(f"lab spec: network {name}: {cidr} overlaps 192.0.2.0/24, which the machine itself uses")
    if not (net.is_private or net.is_reserved):
        raise LabError(f"lab spec: network {name}: {cidr} is a public range; use documentation/private ranges")
    return Network(name=name, cidr=str(net))


def _host(raw) -> Host:
    if isinstance(raw, str):
        raw = {"name": raw}
    if not isinstance(raw, dict) or set(raw) - {"name", "groups", "networks", "addresses"}:
        raise LabError(f"lab spec: a host is a name or a mapping (name, groups, networks, addresses), got {raw!r}")
    name = str(raw.get("name", ""))
    if not HOST_RE.match(name):
        raise LabError(
            f"lab spec: host name {name!r} is invalid (lower-case letter, then a-z 0-9 -; max 32 characters)"
        )
    groups = [str(g) for g in raw.get("groups") or []]
    for g in groups:
        if not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", g):
            raise LabError(f"host {name}: group name {g!r} is not a valid Ansible group name")
    networks = [str(n) for n in raw.get("networks") or []]
    addresses = raw.get("addresses") or {}
    if not isinstance(addresses, dict):
        raise LabError(f"host {name}: addresses must be a mapping network -> address")
    return Host(name=name, groups=groups, networks=networks, addresses={str(k): str(v) for k, v in addresses.items()})


def parse_size_mb(value) -> int:
    m = SIZE_RE.match(str(value).strip())
    if not m:
        raise LabError(f"disk size {value!r} is invalid: use a number of MiB, or e.g. 64M / 1G")
    num, unit = int(m.group(1)), m.group(2).upper()
    mb = num * 1024 if unit == "G" else num
    if not 1 <= mb <= 65536:
        raise LabError(f"disk size {value!r} must be between 1M and 64G")
    return mb


def _disk(raw) -> Disk:
    if isinstance(raw, str):
        name, _, size = raw.partition(":")
        raw = {"name": name, "size": size or "64M"}
    if not isinstance(raw, dict) or set(raw) - {"name", "size", "size_mb"}:
        raise LabError(f"lab spec: a disk is NAME[:SIZE] or a mapping (name, size), got {raw!r}")
    name = str(raw.get("name", ""))
    if not DISK_NAME_RE.match(name):
        raise LabError(f"lab spec: disk name {name!r} is invalid")
    size = raw.get("size_mb", raw.get("size", 64))
    return Disk(name=name, size_mb=parse_size_mb(size))


def load_spec_file(path: str) -> dict:
    p = Path(path)
    try:
        text = p.read_text()
    except OSError as exc:
        raise LabError(f"cannot read lab spec {path}: {exc.strerror}") from None
    if p.suffix == ".json":
        try:
            return json.loads(text)
        except ValueError as exc:
            raise LabError(f"lab spec {path}: invalid JSON: {exc}") from None
    try:
        import yaml  # noqa: PLC0415  (optional: python3-yaml)
    except ImportError:
        try:
            return json.loads(text)
        except ValueError:
            raise LabError(f"lab spec {path}: YAML needs python3-yaml (or give the spec as JSON)") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise LabError(f"lab spec {path}: invalid YAML: {exc}") from None


def spec_from_args(
    prefix: str,
    hosts: str | None,
    groups: list[str] | None,
    nets: int,
    disks: list[str] | None,
    file: str | None,
) -> LabSpec:
    """Build a spec from a file and/or CLI shortcuts (CLI values win)."""
    data: dict = load_spec_file(file) if file else {}
    if hosts:
        data["hosts"] = [{"name": h.strip()} for h in hosts.split(",") if h.strip()]
    if "hosts" not in data:
        data["hosts"] = [{"name": f"node{i}"} for i in (1, 2, 3)]
    if groups:
        by_name = {}
        for h in data["hosts"]:
            if isinstance(h, str):
                h = {"name": h}
            by_name[h["name"]] = h
        data["hosts"] = list(by_name.values())
        for g in groups:
            gname, sep, members = g.partition("=")
            if not sep:
                raise LabError(f"--group {g!r}: use NAME=host1,host2")
            for m in members.split(","):
                m = m.strip()
                if m not in by_name:
                    raise LabError(f"--group {gname}: unknown host {m!r}")
                by_name[m].setdefault("groups", []).append(gname)
    if nets:
        if nets > len(DEFAULT_NETWORKS):
            raise LabError(f"--nets: at most {len(DEFAULT_NETWORKS)} default networks; describe more in a spec file")
        data["networks"] = [n for n, _ in DEFAULT_NETWORKS[:nets]]
    if disks:
        data["disks"] = list(data.get("disks") or []) + list(disks)
    data.pop("prefix", None)
    return LabSpec.from_dict(data, prefix=prefix)
