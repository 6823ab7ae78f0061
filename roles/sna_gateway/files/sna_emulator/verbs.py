"""The admin verbs the emulator knows, their keys, defaults and value rules."""

from __future__ import annotations

import ipaddress
import re

from sna_emulator.rcs import SnaError

NAME_RE = re.compile(r"[A-Z@#$][A-Z0-9@#$]{0,7}")  # SNA type-A name, 1-8 characters
FQ_RE = re.compile(r"[A-Z@#$][A-Z0-9@#$]{0,7}\.[A-Z@#$][A-Z0-9@#$]{0,7}")  # NETID.NAME
HEX8_RE = re.compile(r"[0-9A-F]{8}")
HOST_RE = re.compile(r"[A-Za-z0-9.:-]{1,255}")
DESC_RE = re.compile(r"[A-Za-z0-9 ._/:@#$+-]{0,31}")


def _name(value: str) -> str:
    if not NAME_RE.fullmatch(value):
        raise ValueError("1-8 characters A-Z 0-9 @ # $, not starting with a digit")
    return value


def _fqname(value: str) -> str:
    if not FQ_RE.fullmatch(value):
        raise ValueError("NETID.NAME, each part 1-8 characters A-Z 0-9 @ # $")
    return value


def _opt_fqname(value: str) -> str:
    return value and _fqname(value)


def _hex8(value: str) -> str:
    if not HEX8_RE.fullmatch(value):
        raise ValueError("8 hexadecimal digits (upper case)")
    return value


def _ip(value: str) -> str:
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        raise ValueError("an IPv4 or IPv6 address") from None


def _host(value: str) -> str:
    if not HOST_RE.fullmatch(value):
        raise ValueError("a host name or IP address (A-Z a-z 0-9 . : -)")
    return value


def _udp_port(value: str) -> str:
    if not value.isdigit() or not 1 <= int(value) <= 65535:
        raise ValueError("a UDP port number 1-65535")
    return str(int(value))


def _desc(value: str) -> str:
    if not DESC_RE.fullmatch(value):
        raise ValueError("up to 31 characters A-Z a-z 0-9 space . _ / : @ # $ + -")
    return value


def _enum(*choices: str):
    def check(value: str) -> str:
        if value.upper() not in choices:
            raise ValueError("one of " + ", ".join(choices))
        return value.upper()

    return check


REQ = object()  # marks a required key

STOP_TYPE = _enum("ORDERLY_STOP", "IMMEDIATE_STOP")

# verb -> {key: (check, default or REQ or None)}; key order is the order of query output
VERBS: dict[str, dict[str, tuple]] = {
    "define_node": {
        "fqcp_name": (_fqname, REQ),
        "cp_alias": (_name, None),
        "node_type": (_enum("END_NODE", "NETWORK_NODE", "LEN_NODE"), "END_NODE"),
        "node_id": (_hex8, "05D00000"),
        "description": (_desc, ""),
    },
    "init_node": {},
    "term_node": {"stop_type": (STOP_TYPE, "ORDERLY_STOP")},
    "query_node": {},
    "define_ip_port": {
        "port_name": (_name, REQ),
        "local_ip": (_ip, REQ),
        "udp_port": (_udp_port, "12000"),
        "description": (_desc, ""),
    },
    "start_port": {"port_name": (_name, REQ)},
    "stop_port": {"port_name": (_name, REQ), "stop_type": (STOP_TYPE, "ORDERLY_STOP")},
    "delete_port": {"port_name": (_name, REQ)},
    "query_port": {"port_name": (_name, None)},
    "define_ip_ls": {
        "ls_name": (_name, REQ),
        "port_name": (_name, REQ),
        "remote_ip_host": (_host, REQ),
        "remote_udp_port": (_udp_port, "12000"),
        "pu_name": (_name, REQ),
        "adj_cp_name": (_opt_fqname, ""),
        "description": (_desc, ""),
    },
    "start_ls": {"ls_name": (_name, REQ)},
    "stop_ls": {"ls_name": (_name, REQ), "stop_type": (STOP_TYPE, "ORDERLY_STOP")},
    "delete_ls": {"ls_name": (_name, REQ)},
    "query_ls": {"ls_name": (_name, None)},
}


def check_params(verb: str, params: dict[str, str]) -> dict[str, str]:
    """Validate keys and values of a verb; return them with defaults filled in."""
    if verb not in VERBS:
        raise SnaError("INVALID_VERB", None, f"{verb} is not a verb this SNA stack knows")
    spec = VERBS[verb]
    for key in params:
        if key not in spec:
            raise SnaError.of("UNKNOWN_PARAMETER", f"{verb} has no key {key}")
    out: dict[str, str] = {}
    for key, (check, default) in spec.items():
        if key not in params:
            if default is REQ:
                raise SnaError.of("MISSING_PARAMETER", f"{verb} needs {key}")
            if default is not None:
                out[key] = default
            continue
        try:
            out[key] = check(str(params[key]).strip())
        except ValueError as exc:
            raise SnaError.of("INVALID_VALUE", f"{key}={params[key]}: expected {exc}") from None
    return out
