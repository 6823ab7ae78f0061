# Copyright (c) failover.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The SNA product's command line, written once: SNAplus2, CS/Linux, or the project's emulator.

Flavour table (which commands a product has), argv builders (``verb, key=value`` admin syntax,
daemon start/stop, the forced stale-node stop), parsers of ``key = value`` query output and of
``primary_rc`` / ``secondary_rc`` errors, and the classification of those return codes.

Two kinds of callers use this one file:
  - the Ansible modules (sna_node, sna_port, sna_link_station) through ``_sna`` / ``_sna_ops``;
    Ansiballz ships it as module_utils;
  - the OCF agents on the nodes: the ``ocf_agents`` role copies this very file next to their
    library (``<ocf root>/lib/failover/_sna_cli.py``) and ``ocf_failover.py`` imports it as
    ``_sna_cli``.
So it must stay standard library only, with no ansible import and no relative import, and
run on the nodes' /usr/bin/python3 (Python 3.9 or later). No I/O: callers run the argv lists
and hand the output back to the parsers.
"""

from __future__ import annotations

import ipaddress
import re
import shlex

FLAVOURS = {
    # SNAplus2 (HP-UX heritage) and the emulator's default names
    "snaplus2": {"daemon": "snap", "admin": "snapadmin"},
    # IBM Communications Server for Linux
    "cslinux": {"daemon": "sna", "admin": "snaadmin"},
}

LS_STATES = ("ACTIVE", "NOT_ACTIVE", "PENDING_ACTIVE", "PENDING_INACTIVE")
STOP_TYPES = ("ORDERLY_STOP", "IMMEDIATE_STOP")
# the modules' short choices -> the product's stop_type values
STOP_TYPE_CHOICES = {"orderly": "ORDERLY_STOP", "immediate": "IMMEDIATE_STOP"}
# results of a forced stop that leave the PU free
FORCE_OK = ("FORCED", "NOT_ACTIVE")

# The emulator's forced stale-node stop (the real products name theirs differently: make it an option).
EMULATOR_FORCE_STOP = ("{daemon}", "force_stop")


class SnaArgumentError(ValueError):
    """A value the SNA stack would not accept; ``field`` names the offending key."""

    def __init__(self, field, message):
        super().__init__("%s: %s" % (field, message))
        self.field = field


_NAME = re.compile(r"^[A-Z@#$][A-Z0-9@#$]{0,7}$")
_FQNAME = re.compile(r"^[A-Z@#$][A-Z0-9@#$]{0,7}\.[A-Z@#$][A-Z0-9@#$]{0,7}$")
_HEX8 = re.compile(r"^[0-9A-F]{8}$")
_HOST = re.compile(r"^[A-Za-z0-9.:-]{1,255}$")
_DESC = re.compile(r"^[A-Za-z0-9 ._/:@#$+-]{0,31}$")


def _check_name(value):
    if not _NAME.match(value):
        return "1-8 characters A-Z 0-9 @ # $, not starting with a digit"
    return None


def _check_fqname(value):
    if not _FQNAME.match(value):
        return "NETID.NAME, each part 1-8 characters A-Z 0-9 @ # $"
    return None


def _check_opt_fqname(value):
    return _check_fqname(value) if value else None


def _check_hex8(value):
    return None if _HEX8.match(value) else "8 hexadecimal digits (upper case)"


def _check_ip(value):
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return "an IPv4 or IPv6 address"
    return None


def _check_host(value):
    return None if _HOST.match(value) else "a host name or IP address (A-Z a-z 0-9 . : -)"


def _check_udp_port(value):
    if not value.isdigit() or not 1 <= int(value) <= 65535:
        return "a UDP port number 1-65535"
    return None


def _check_desc(value):
    return None if _DESC.match(value) else "up to 31 characters A-Z a-z 0-9 space . _ / : @ # $ + -"


def _enum(*choices):
    def check(value):
        return None if value in choices else "one of " + ", ".join(choices)

    return check


REQUIRED, OPTIONAL = True, False

# verb -> ordered {key: (checker, required)}; the order is the order of the built command line
VERBS = {
    "define_node": {
        "fqcp_name": (_check_fqname, REQUIRED),
        "cp_alias": (_check_name, OPTIONAL),
        "node_type": (_enum("END_NODE", "NETWORK_NODE", "LEN_NODE"), OPTIONAL),
        "node_id": (_check_hex8, OPTIONAL),
        "description": (_check_desc, OPTIONAL),
    },
    "init_node": {},
    "term_node": {"stop_type": (_enum(*STOP_TYPES), OPTIONAL)},
    "query_node": {},
    "define_ip_port": {
        "port_name": (_check_name, REQUIRED),
        "local_ip": (_check_ip, REQUIRED),
        "udp_port": (_check_udp_port, OPTIONAL),
        "description": (_check_desc, OPTIONAL),
    },
    "start_port": {"port_name": (_check_name, REQUIRED)},
    "stop_port": {"port_name": (_check_name, REQUIRED), "stop_type": (_enum(*STOP_TYPES), OPTIONAL)},
    "delete_port": {"port_name": (_check_name, REQUIRED)},
    "query_port": {"port_name": (_check_name, OPTIONAL)},
    "define_ip_ls": {
        "ls_name": (_check_name, REQUIRED),
        "port_name": (_check_name, REQUIRED),
        "remote_ip_host": (_check_host, REQUIRED),
        "remote_udp_port": (_check_udp_port, OPTIONAL),
        "pu_name": (_check_name, REQUIRED),
        "adj_cp_name": (_check_opt_fqname, OPTIONAL),
        "description": (_check_desc, OPTIONAL),
    },
    "start_ls": {"ls_name": (_check_name, REQUIRED)},
    "stop_ls": {"ls_name": (_check_name, REQUIRED), "stop_type": (_enum(*STOP_TYPES), OPTIONAL)},
    "delete_ls": {"ls_name": (_check_name, REQUIRED)},
    "query_ls": {"ls_name": (_check_name, OPTIONAL)},
}

# keys of a definition as query output shows them (what a module compares to decide a change)
DEFINITION_KEYS = {
    "node": tuple(VERBS["define_node"]),
    "port": tuple(VERBS["define_ip_port"]),
    "ls": tuple(VERBS["define_ip_ls"]),
}


def commands(flavour="snaplus2", daemon=None, admin=None):
    """``{"daemon": ..., "admin": ...}`` for a CLI flavour; explicit paths win over the flavour's names."""
    if flavour not in FLAVOURS:
        raise SnaArgumentError("flavour", "one of " + ", ".join(sorted(FLAVOURS)))
    names = dict(FLAVOURS[flavour])
    if daemon:
        names["daemon"] = daemon
    if admin:
        names["admin"] = admin
    return names


def _text(value):
    if isinstance(value, bool):
        return "YES" if value else "NO"
    return str(value).strip()


def check_params(verb, params):
    """Validate a verb's parameters; returns ``[(key, text), ...]`` in command-line order.

    ``None`` values are left out. Raises SnaArgumentError naming the field.
    """
    if verb not in VERBS:
        raise SnaArgumentError("verb", "unknown verb %r (known: %s)" % (verb, ", ".join(sorted(VERBS))))
    spec = VERBS[verb]
    for key in params:
        if key not in spec:
            raise SnaArgumentError(key, "%s has no such key" % verb)
    out = []
    for key, (checker, required) in spec.items():
        value = params.get(key)
        if value is None:
            if required:
                raise SnaArgumentError(key, "required by %s" % verb)
            continue
        text = _text(value)
        problem = checker(text)
        if problem:
            raise SnaArgumentError(key, "%r is not allowed: expected %s" % (text, problem))
        out.append((key, text))
    return out


def admin_argv(verb, params=None, flavour="snaplus2", admin=None):
    """argv for ``snapadmin verb, key=value, key=value`` (as a shell would split it)."""
    pairs = check_params(verb, params or {})
    words = ["%s=%s" % pair for pair in pairs]
    argv = [commands(flavour, admin=admin)["admin"], verb + ("," if words else "")]
    argv += [word + "," for word in words[:-1]] + words[-1:]
    return argv


def daemon_argv(action, flavour="snaplus2", daemon=None):
    """argv for ``snap start`` / ``snap stop`` (``sna`` for cslinux)."""
    if action not in ("start", "stop", "status"):
        raise SnaArgumentError("action", "one of start, stop, status")
    return [commands(flavour, daemon=daemon)["daemon"], action]


def force_stop_argv(command=None, flavour="snaplus2", daemon=None, ls_names=(), admin=None):
    """argv of the forced stale-node stop.

    ``command`` (a list, or a string split like a shell would, never run through one) is the
    site's own command for its product; ``{daemon}``, ``{admin}`` and ``{ls_name}`` in it are
    replaced (a word holding ``{ls_name}`` is repeated for each link station). Without
    ``command``, the emulator's ``snap force_stop [--ls NAME ...]``.
    """
    names = commands(flavour, daemon=daemon, admin=admin)
    for name in ls_names:
        problem = _check_name(name)
        if problem:
            raise SnaArgumentError("ls_name", "%r is not allowed: expected %s" % (name, problem))
    if command is None:
        argv = [word.format(**names) for word in EMULATOR_FORCE_STOP]
        for name in ls_names:
            argv += ["--ls", name]
        return argv
    words = shlex.split(command) if isinstance(command, str) else list(command)
    if not words:
        raise SnaArgumentError("force_stop_command", "must not be empty")
    argv = []
    for word in words:
        if "{ls_name}" in word:
            argv += [word.replace("{ls_name}", name) for name in ls_names]
        else:
            argv.append(word.replace("{daemon}", names["daemon"]).replace("{admin}", names["admin"]))
    return argv


_KV = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s?(.*?)\s*$")


def parse_blocks(text):
    """``key = value`` output into a list of dicts, one per object.

    A blank line ends an object, and so does a key seen again in the current object (some
    versions print objects without blank lines between them). Lines without ``=`` are ignored.
    """
    objects, current = [], {}
    for line in (text or "").splitlines():
        match = _KV.match(line)
        if not match:
            if not line.strip() and current:
                objects.append(current)
                current = {}
            continue
        key, value = match.group(1).lower(), match.group(2)
        if key in current:
            objects.append(current)
            current = {}
        current[key] = value
    if current:
        objects.append(current)
    return objects


def _index(objects, key):
    return dict((obj[key], obj) for obj in objects if key in obj)


def parse_query_node(text):
    """The node as a dict (``{}`` when the output holds none)."""
    objects = [obj for obj in parse_blocks(text) if "fqcp_name" in obj or "node_status" in obj]
    return objects[0] if objects else {}


def parse_query_port(text):
    """``{port_name: {...}}``."""
    return _index(parse_blocks(text), "port_name")


def parse_query_ls(text):
    """``{ls_name: {...}}``; ``state`` is one of LS_STATES."""
    return _index(parse_blocks(text), "ls_name")


def parse_force_stop(text):
    """The forced stop's per-link-station blocks (those with a ``result`` key)."""
    return [obj for obj in parse_blocks(text) if "result" in obj]


_RC = re.compile(r"^\s*(primary_rc|secondary_rc|message)\s*[=:]\s*(.*?)\s*$", re.IGNORECASE | re.MULTILINE)
_HEXNAME = re.compile(r"^(?:0x[0-9A-Fa-f]+\s*)?\(?([A-Z][A-Z0-9_]*)\)?$")


def _rc_name(value):
    match = _HEXNAME.match(value.strip())
    return match.group(1) if match else value.strip() or None


def parse_error(text):
    """``(primary_rc, secondary_rc, message)`` from a failed verb's output; ``None`` for what is missing.

    Accepts ``primary_rc = STATE_CHECK``, ``primary_rc = 0x0014 (STATE_CHECK)`` and ``primary_rc: ...``.
    When there is no ``message`` line, the first other non-empty line that is not a key is used.
    """
    found = {}
    for key, value in _RC.findall(text or ""):
        found.setdefault(key.lower(), value)
    primary = _rc_name(found["primary_rc"]) if "primary_rc" in found else None
    secondary = _rc_name(found["secondary_rc"]) if "secondary_rc" in found else None
    message = found.get("message")
    if not message:
        others = [
            line.strip()
            for line in (text or "").splitlines()
            if line.strip() and not _KV.match(line) and not _RC.match(line)
        ]
        message = others[0] if others else None
    return primary, secondary, message


def definition_diff(kind, wanted, current):
    """Keys of a port/ls/node definition whose wanted value differs from the queried one.

    ``wanted`` holds only what the user set (``None`` values are ignored); values are compared as the
    product prints them.
    """
    keys = DEFINITION_KEYS[kind]
    changed = []
    for key in keys:
        value = wanted.get(key)
        if value is None:
            continue
        if _text(value) != (current or {}).get(key, ""):
            changed.append(key)
    return changed


def _restriction(value):
    """Words of an ``allowed_*`` field; an empty list means any (``ANY`` or blank)."""
    words = [w for w in (value or "").replace(",", " ").split() if w]
    return [] if [w.upper() for w in words] == ["ANY"] else words


def pu_refusals(query_text, address, candidate_macs):
    """Why the remote SNA host would refuse a candidate, from its PU query (``snahost query``
    style ``key = value`` blocks with ``allowed_addresses`` and ``allowed_macs``).

    ``address`` is the relocatable IP the link stations come from; ``candidate_macs`` maps each
    candidate node to the MAC its interface in that subnet has. Returns messages, one per
    refusal; empty when every candidate may activate every PU.
    """
    problems = []
    source = ipaddress.ip_address(address)
    for pu in parse_blocks(query_text):
        name = pu.get("pu_name", "?")
        allowed = _restriction(pu.get("allowed_addresses"))
        if allowed and not any(source in ipaddress.ip_network(a, strict=False) for a in allowed):
            problems.append(f"PU {name} from {address} (allowed_addresses: {', '.join(allowed)})")
        macs = [m.lower() for m in _restriction(pu.get("allowed_macs"))]
        if macs:
            for node in sorted(candidate_macs):
                mac = (candidate_macs[node] or "").lower()
                if mac not in macs:
                    problems.append(
                        f"PU {name} from {node} (MAC {mac or 'unknown'} not in allowed_macs: {', '.join(macs)})"
                    )
    return problems


# ---------------------------------------------------------------------- return codes and failures
# primary_rc: the control daemon is not running (every admin verb fails with it)
NOT_LOADED = "COMM_SUBSYSTEM_NOT_LOADED"
# secondary_rc values callers act on
NODE_NOT_DEFINED = "NODE_NOT_DEFINED"  # query_node: the daemon runs, no node is defined
NODE_ALREADY_STARTED = "NODE_ALREADY_STARTED"  # init_node on an active node: nothing to do
ADDRESS_IN_USE = "ADDRESS_IN_USE"  # start_port: the address is still held (a stop a moment ago)
NODE_ACTIVE_ELSEWHERE = "NODE_ACTIVE_ELSEWHERE"  # start_ls: a stale node holds the PU at the remote


def last_line(*texts):
    """The last non-empty line of the first text that has one (``""`` when none has)."""
    for text in texts:
        lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
        if lines:
            return lines[-1]
    return ""


class SnaCommandError(Exception):
    """A command of the SNA stack failed; carries the product's return codes.

    ``what`` names the verb (or the command), ``argv`` is what ran, ``rc`` its exit code (0 when a
    wait, not the command, failed).
    """

    def __init__(self, what, argv, rc, primary=None, secondary=None, message=None):
        self.what = what
        self.argv = list(argv)
        self.rc = rc
        self.primary = primary
        self.secondary = secondary
        self.message = message
        codes = "/".join(code for code in (primary, secondary) if code)
        text = "%s failed" % what
        if codes:
            text += ": " + codes
        if message:
            text += ": " + message
        if not codes:
            text += " (exit %s)" % rc
        super().__init__(text)

    @property
    def daemon_down(self):
        """The control daemon is not running."""
        return self.primary == NOT_LOADED

    def result(self):
        return {"primary_rc": self.primary, "secondary_rc": self.secondary, "rc": self.rc}


def command_error(what, argv, rc, out, err):
    """The SnaCommandError of a failed admin verb, from its exit code and output."""
    primary, secondary, message = parse_error(err or out)
    return SnaCommandError(what, argv, rc, primary, secondary, message or last_line(err, out))


def node_query_result(argv, rc, out, err):
    """``(daemon_running, node or None)`` from one run of ``query_node``.

    The daemon not loaded and no node defined are answers, not failures; any other failure
    raises SnaCommandError.
    """
    if rc != 0:
        exc = command_error("query_node", argv, rc, out, err)
        if exc.primary == NOT_LOADED:
            return False, None
        if exc.secondary == NODE_NOT_DEFINED:
            return True, None
        raise exc
    return True, parse_query_node(out) or None


def force_refusals(out):
    """The forced stop's per-link-station blocks whose PU was not freed (result not in FORCE_OK)."""
    return [block for block in parse_force_stop(out) if block.get("result") not in FORCE_OK]


def force_failure_reason(out, err):
    """Why a forced stale-node stop failed: each link station whose PU was not freed, with the
    remote's result and sense (``HALS1 (PU HAPU1): REFUSED MAC_NOT_ALLOWED``), else the command's
    last line."""
    refused = [
        "%s (PU %s): %s" % (block.get("ls_name"), block.get("pu_name"),
                            " ".join(x for x in (block.get("result"), block.get("sense")) if x))
        for block in force_refusals(out)
    ]
    return "; ".join(refused) or last_line(err, out)


def value_problem(verb, key, value):
    """What is wrong with one value of a verb's key (``None``: nothing), without raising - for
    callers that report in their own words (the OCF agents' ``key='value': expected ...``)."""
    checker = VERBS[verb][key][0]
    return checker(_text(value))
