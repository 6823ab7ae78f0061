# Copyright: failover.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared code of the failover.cluster OCF resource agents (provider ``failover``).

Installed as /usr/lib/ocf/lib/failover/ocf_failover.py next to the agents in
/usr/lib/ocf/resource.d/failover/; each agent finds it at ``../../lib/failover`` from its own
path (the same layout as the collection's roles/ocf_agents/files/). Python 3 standard library
only, for Debian 12's /usr/bin/python3.

Contents: OCF exit codes, parameters and meta-data; running commands (argv lists, LC_ALL=C);
the agents' runner of the SNA product's commands (``Sna``); the stale-node rule that decides
whether the node agent may force a stale SNA node out; the ARP probe (RFC 5227) that tells
whether another host still answers for a relocatable address; and the quorum guard's loop, which
drops a relocatable address the moment its node loses quorum (clusters without fencing).

The SNA command line itself (flavour table, argv builders, query and error parsers, return
codes) is not here: it is ``_sna_cli``, the one file the Ansible modules use too. The
ocf_agents role installs it next to this file, from the collection's
plugins/module_utils/_sna_cli.py. In the collection's own tree (a checkout, or an installed
collection) this file is roles/ocf_agents/files/lib/failover/, five levels below the
collection root, and the import finds the file there instead.
"""

from __future__ import annotations

import os
import re
import shlex
import socket
import struct
import subprocess
import sys
import syslog
import time
import xml.etree.ElementTree as ET

_HERE = os.path.dirname(os.path.realpath(__file__))
if not os.path.isfile(os.path.join(_HERE, "_sna_cli.py")):
    # not installed by the role: the collection's tree, where the one copy is plugins/module_utils
    sys.path.append(os.path.join(_HERE, "..", "..", "..", "..", "..", "plugins", "module_utils"))

from _sna_cli import (  # noqa: E402 - found next to this file (or in the collection's tree)
    ADDRESS_IN_USE,
    FLAVOURS,
    NODE_ACTIVE_ELSEWHERE,
    NODE_ALREADY_STARTED,
    NOT_LOADED,
    SnaArgumentError,
    SnaCommandError,
    admin_argv,
    command_error,
    commands,
    daemon_argv,
    force_failure_reason,
    force_stop_argv,
    last_line,
    node_query_result,
    parse_force_stop,
    parse_query_ls,
    parse_query_port,
    value_problem,
)

# names of the SNA layer the agents import from here (re-exported)
__all__ = [
    "ADDRESS_IN_USE", "NODE_ACTIVE_ELSEWHERE", "NODE_ALREADY_STARTED", "NOT_LOADED", "SnaCommandError",
    "force_failure_reason", "force_stop_argv", "last_line", "parse_force_stop", "value_problem",
]

OCF_SUCCESS = 0
OCF_ERR_GENERIC = 1
OCF_ERR_ARGS = 2
OCF_ERR_UNIMPLEMENTED = 3
OCF_ERR_PERM = 4
OCF_ERR_INSTALLED = 5
OCF_ERR_CONFIGURED = 6
OCF_NOT_RUNNING = 7

C_LOCALE = {"LC_ALL": "C", "LANG": "C", "LANGUAGE": "C"}


class OcfExit(Exception):
    """Leave the action with an OCF exit code (and a message for the log)."""

    def __init__(self, code, message=None):
        super().__init__(message or "")
        self.code = code
        self.message = message


# ------------------------------------------------------------------------ parameters and meta-data
class Param:
    def __init__(self, name, shortdesc, longdesc, kind="string", default=None, required=False, unique=False):
        self.name = name
        self.shortdesc = shortdesc
        self.longdesc = longdesc
        self.kind = kind
        self.default = default
        self.required = required
        self.unique = unique


class Agent:
    """One agent: its name, descriptions, parameters and actions (``{name: (callable, timeout)}``)."""

    version = "1.0"

    def __init__(self, name, shortdesc, longdesc, params, actions):
        self.name = name
        self.shortdesc = shortdesc
        self.longdesc = longdesc
        self.params = params
        self.actions = actions
        self.by_name = {p.name: p for p in params}

    def get(self, name):
        value = os.environ.get("OCF_RESKEY_" + name)
        if value is None or value == "":
            default = self.by_name[name].default
            return "" if default is None else str(default)
        return value

    def get_bool(self, name):
        return self.get(name).strip().lower() in ("1", "true", "yes", "on", "y")

    def get_int(self, name):
        value = self.get(name).strip()
        if not re.match(r"^[0-9]+$", value):
            raise OcfExit(OCF_ERR_CONFIGURED, "%s=%r is not a whole number" % (name, value))
        return int(value)

    def metadata(self):
        # imported here: xml.sax pulls in urllib and http.client, some 20 ms of CPU that every
        # start, stop and monitor of every agent would pay for an action that only meta-data needs
        from xml.sax.saxutils import escape  # pylint: disable=import-outside-toplevel

        out = ['<?xml version="1.0"?>', '<!DOCTYPE resource-agent SYSTEM "ra-api-1.dtd">',
               '<resource-agent name="%s" version="%s">' % (self.name, self.version),
               "<version>1.0</version>",
               '<longdesc lang="en">%s</longdesc>' % escape(self.longdesc),
               '<shortdesc lang="en">%s</shortdesc>' % escape(self.shortdesc), "<parameters>"]
        for p in self.params:
            default = "" if p.default is None else ' default="%s"' % escape(str(p.default), {'"': "&quot;"})
            out += ['<parameter name="%s" required="%d" unique="%d">' % (p.name, p.required, p.unique),
                    '<longdesc lang="en">%s</longdesc>' % escape(p.longdesc),
                    '<shortdesc lang="en">%s</shortdesc>' % escape(p.shortdesc),
                    '<content type="%s"%s/>' % (p.kind, default), "</parameter>"]
        out += ["</parameters>", "<actions>"]
        for action, (_func, timeout, interval) in self.actions.items():
            extra = ' interval="%s"' % interval if interval else ""
            out.append('<action name="%s" timeout="%s"%s/>' % (action, timeout, extra))
        out.append('<action name="meta-data" timeout="5s"/>')
        out += ["</actions>", "</resource-agent>"]
        return "\n".join(out) + "\n"

    def run(self, argv=None):
        argv = sys.argv if argv is None else argv
        action = argv[1] if len(argv) > 1 else ""
        if action == "meta-data":
            sys.stdout.write(self.metadata())
            return OCF_SUCCESS
        os.environ["__OCF_ACTION"] = action  # is_probe() reads it, as ocf-shellfuncs does
        if action not in self.actions:
            log("err", "%s: unsupported action %r (usage: %s {%s|meta-data})" % (
                self.name, action, self.name, "|".join(self.actions)))
            return OCF_ERR_UNIMPLEMENTED
        try:
            return self.actions[action][0]()
        except OcfExit as exc:
            if exc.message:
                failed = exc.code not in (OCF_SUCCESS, OCF_NOT_RUNNING)
                log("err" if failed else "info", exc.message)
                if failed:
                    # Pacemaker shows this line as the failed action's exit reason (crm_mon).
                    sys.stderr.write("ocf-exit-reason:%s\n" % exc.message.splitlines()[0][:250])
            return exc.code


# ------------------------------------------------------------------------ environment of an action
def instance():
    return os.environ.get("OCF_RESOURCE_INSTANCE", "")


def is_probe():
    return os.environ.get("__OCF_ACTION", "") == "monitor" and os.environ.get(
        "OCF_RESKEY_CRM_meta_interval", "0") in ("0", "")


def action_timeout(default=60.0):
    """Seconds Pacemaker gives the running action (OCF_RESKEY_CRM_meta_timeout is in ms)."""
    value = os.environ.get("OCF_RESKEY_CRM_meta_timeout", "")
    return int(value) / 1000.0 if value.isdigit() else default


def log(level, message):
    ident = "%s(%s)" % (os.path.basename(sys.argv[0]) or "ocf-failover", instance() or "-")
    sys.stderr.write("%s: %s: %s\n" % (ident, level.upper(), message))
    try:
        syslog.openlog(ident, syslog.LOG_PID, syslog.LOG_DAEMON)
        syslog.syslog(getattr(syslog, "LOG_" + level.upper(), syslog.LOG_INFO), message)
    except OSError:
        pass


def which(name):
    if "/" in name:
        return name if os.access(name, os.X_OK) else None
    for folder in os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin").split(os.pathsep):
        path = os.path.join(folder, name)
        if os.access(path, os.X_OK) and os.path.isfile(path):
            return path
    return None


def parse_environment(text):
    """``NAME=VALUE NAME2="a b"`` -> dict (shell-like words, never run through a shell)."""
    env = {}
    for word in shlex.split(text or ""):
        name, sep, value = word.partition("=")
        if not sep or not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", name):
            raise OcfExit(OCF_ERR_CONFIGURED, "environment: %r is not NAME=VALUE" % word)
        env[name] = value
    return env


def run(argv, env=None, timeout=None, cwd="/"):
    """Run an argv list from ``/`` with LC_ALL=C; returns ``(rc, stdout, stderr)``."""
    environ = dict(os.environ)
    environ.update(env or {})
    environ.update(C_LOCALE)
    try:
        proc = subprocess.run(argv, cwd=cwd, env=environ, capture_output=True, text=True, timeout=timeout,
                              check=False, stdin=subprocess.DEVNULL)
    except FileNotFoundError:
        return 127, "", "%s: not found" % argv[0]
    except subprocess.TimeoutExpired:
        return 124, "", "%s: no answer within %s s" % (" ".join(argv), timeout)
    return proc.returncode, proc.stdout, proc.stderr


# ------------------------------------------------------------------------ the SNA product's commands
SNA_PARAMS = [
    Param("flavour", "CLI flavour (%s)" % " or ".join(sorted(FLAVOURS)),
          "snaplus2 runs snap and snapadmin (SNAplus2 and the project's emulator); cslinux runs sna and snaadmin "
          "(IBM Communications Server for Linux).", default="snaplus2"),
    Param("daemon", "start/stop command", "Path or name of the start/stop command; empty: the flavour's (snap/sna)."),
    Param("admin", "admin command", "Path or name of the admin command; empty: the flavour's (snapadmin/snaadmin)."),
    Param("environment", "environment of the SNA commands",
          "NAME=VALUE words added to the environment of every SNA command (for example the emulator's "
          "SNAEMU_STATE_DIR, or what the product's commands need); split like a shell splits, never run "
          "through one."),
]


def check_value(verb, key, value, param=None):
    """OcfExit(OCF_ERR_CONFIGURED) when ``value`` breaks the product's rule for ``key`` of ``verb``
    (the same rules the Ansible modules apply, from _sna_cli); ``param`` names the agent's
    parameter when it is not ``key``."""
    problem = value_problem(verb, key, value)
    if problem:
        raise OcfExit(OCF_ERR_CONFIGURED, "%s=%r: expected %s" % (param or key, value, problem))


class Sna:
    """The product's commands for one agent's parameters; argv and parsing are _sna_cli's."""

    def __init__(self, agent):
        try:
            names = commands(agent.get("flavour"), daemon=agent.get("daemon"), admin=agent.get("admin"))
        except SnaArgumentError as exc:
            raise OcfExit(OCF_ERR_CONFIGURED, "flavour=%r: expected %s" % (
                agent.get("flavour"), " or ".join(sorted(FLAVOURS)))) from exc
        self.flavour = agent.get("flavour")
        self.daemon = names["daemon"]
        self.admin_cmd = names["admin"]
        self.env = parse_environment(agent.get("environment"))

    def installed(self, need_daemon=False):
        names = [self.admin_cmd] + ([self.daemon] if need_daemon else [])
        return [name for name in names if not which(name)]

    def admin_argv(self, verb, params=()):
        try:
            return admin_argv(verb, dict(params), self.flavour, admin=self.admin_cmd)
        except SnaArgumentError as exc:
            raise OcfExit(OCF_ERR_CONFIGURED, str(exc)) from exc

    def admin(self, verb, params=(), timeout=None):
        argv = self.admin_argv(verb, params)
        rc, out, err = run(argv, self.env, timeout)
        if rc != 0:
            raise command_error(verb, argv, rc, out, err)
        return out

    def run_daemon(self, action, timeout=None):
        return run(daemon_argv(action, self.flavour, daemon=self.daemon), self.env, timeout)

    def force_argv(self, command, ls_names):
        """The forced stale-node stop: the site's command, or the emulator's."""
        try:
            return force_stop_argv(command or None, self.flavour, daemon=self.daemon, ls_names=ls_names,
                                   admin=self.admin_cmd)
        except SnaArgumentError as exc:
            raise OcfExit(OCF_ERR_CONFIGURED, str(exc)) from exc

    def query_node(self):
        """``(daemon_running, node dict or None)``."""
        argv = self.admin_argv("query_node")
        return node_query_result(argv, *run(argv, self.env))

    def query_ports(self):
        """``{port_name: query_port block}``; raises SnaCommandError (daemon down...)."""
        return parse_query_port(self.admin("query_port"))

    def query_lss(self):
        """``{ls_name: query_ls block}``; raises SnaCommandError (daemon down...)."""
        return parse_query_ls(self.admin("query_ls"))


def poll_pauses(first=0.1, growth=1.25, longest=0.5):
    """The pauses between two polls: ``first``, then each ``growth`` times the one before, up to
    ``longest``. Every poll of a product's state is a process (the admin command); with 64 link
    stations starting at once, a fixed 0.1 s poll is 640 processes a second on the node, which is
    what kept a 2-core lab at a load of 18. Backing off keeps the answer quick for the common case
    (a link station ACTIVE within a second is seen within 0.1-0.2 s) and the cost bounded for the
    slow one (2 polls a second)."""
    pause = first
    while True:
        yield pause
        pause = min(longest, pause * growth)


def wait_until(probe, timeout, pauses=None):
    """Poll ``probe`` until it returns something true or ``timeout`` seconds have passed; its last value.
    ``pauses``: the pauses between polls (default: poll_pauses())."""
    deadline = time.monotonic() + timeout
    pauses = iter(pauses if pauses is not None else poll_pauses())
    value = probe()
    while not value:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        time.sleep(min(next(pauses), left))
        value = probe()
    return value


# ------------------------------------------------------------------------ the stale-node rule
FORCE_POLICIES = ("cluster", "fenced", "always", "never")


def local_node_name():
    name = os.environ.get("OCF_RESKEY_CRM_meta_on_node", "")
    if name:
        return name
    if which("crm_node"):
        rc, out, _err = run(["crm_node", "-n"], timeout=10)
        if rc == 0 and out.strip():
            return out.strip()
    return socket.gethostname().split(".")[0]


def parse_crm_mon(text):
    """crm_mon XML -> (nodes {name: attrs}, resources [(id, attrs, [node names])])."""
    root = ET.fromstring(text)
    nodes = {n.get("name"): dict(n.attrib) for n in root.iter("node") if n.get("online") is not None}
    resources = []
    for res in root.iter("resource"):
        resources.append((res.get("id"), dict(res.attrib), [n.get("name") for n in res.findall("node")]))
    return nodes, resources


def parse_fence_history(text):
    """stonith_admin --history XML -> list of event attribute dicts."""
    root = ET.fromstring(text)
    return [dict(ev.attrib) for ev in root.iter("fence_event")]


def _is_true(value):
    return (value or "").lower() in ("true", "1", "yes")


def fenced(events, node):
    """Whether the newest finished fencing of ``node`` succeeded (reboot or off), none pending."""
    mine = [ev for ev in events if ev.get("target") == node]
    if any(ev.get("status") == "pending" for ev in mine):
        return False
    done = sorted((ev for ev in mine if ev.get("status") in ("success", "failed")),
                  key=lambda ev: ev.get("completed", ""), reverse=True)
    return bool(done) and done[0].get("status") == "success" and done[0].get("action") in ("reboot", "off")


def _base_id(rid):
    return (rid or "").split(":", 1)[0]


def stale_owner_check(policy, local, resource, nodes, resources, fence_events=None):
    """Decide whether a stale SNA node may be forced out. Pure: returns ``(allowed, reasons)``.

    The old owner can be any other node of the cluster. Each must be shown not to hold the PUs:
      - online (a member of this partition) with ``resource`` not active, failed or unmanaged on it:
        Pacemaker stopped it there (its stop ran snap stop), so that node's daemon is gone;
      - offline and not unclean: fenced, or left the cluster cleanly (cluster policy); with the
        ``fenced`` policy, additionally the newest fencing of that node succeeded;
      - unclean (lost, fencing not done), pending, or anything else: not shown, refuse.
    ``always`` allows without asking; ``never`` refuses.
    """
    if policy == "never":
        return False, ["force_stale=never"]
    if policy == "always":
        return True, ["force_stale=always: not checked with the cluster"]
    reasons, allowed = [], True
    base = _base_id(resource)
    for name, attrs in sorted(nodes.items()):
        if name == local:
            continue
        here = [(rid, ra) for rid, ra, on in resources if _base_id(rid) == base and name in on]
        blocked = [rid for rid, ra in here if _is_true(ra.get("active")) or _is_true(ra.get("failed"))
                   or not _is_true(ra.get("managed", "true"))]
        if _is_true(attrs.get("unclean")):
            allowed = False
            reasons.append("%s is unclean (lost, not fenced yet)" % name)
        elif _is_true(attrs.get("pending")):
            allowed = False
            reasons.append("%s is pending (joining)" % name)
        elif _is_true(attrs.get("online")):
            if blocked:
                allowed = False
                reasons.append("%s is online and %s is active, failed or unmanaged there" % (name, base))
            else:
                reasons.append("%s is online and %s is stopped there" % (name, base))
        elif policy == "fenced" and not fenced(fence_events or [], name):
            allowed = False
            reasons.append("%s is offline but has no successful fencing on record" % name)
        else:
            reasons.append("%s is offline%s" % (name, " and fenced" if policy == "fenced" else " (clean)"))
    return allowed, reasons


def cluster_allows_force(policy, resource):
    """Ask the cluster (crm_mon, stonith_admin) and apply :func:`stale_owner_check`."""
    if policy in ("always", "never"):
        return stale_owner_check(policy, None, resource, {}, [])
    if not which("crm_mon"):
        return False, ["crm_mon not found: the cluster cannot confirm the old owner down"]
    rc, out, err = run(["crm_mon", "--one-shot", "--inactive", "--output-as=xml"], timeout=30)
    if rc != 0:
        return False, ["crm_mon failed (%s): the cluster cannot confirm the old owner down" % last_line(err, out)]
    try:
        nodes, resources = parse_crm_mon(out)
    except ET.ParseError as exc:
        return False, ["crm_mon printed no XML (%s)" % exc]
    local = local_node_name()
    events = []
    if policy == "fenced":
        for name, attrs in nodes.items():
            if name == local or _is_true(attrs.get("online")):
                continue
            rc, out, err = run(["stonith_admin", "--history", name, "--output-as=xml"], timeout=30)
            if rc == 0:
                try:
                    events += parse_fence_history(out)
                except ET.ParseError:
                    pass
    return stale_owner_check(policy, local, resource, nodes, resources, events)


# ------------------------------------------------------------------------ ARP address probe (RFC 5227)
ETH_P_ARP = 0x0806


def mac_bytes(mac):
    value = bytes.fromhex(mac.replace(":", "").replace("-", ""))
    if len(value) != 6:
        raise ValueError("%r is not a MAC address" % mac)
    return value


def mac_text(raw):
    return ":".join("%02x" % b for b in raw)


def arp_probe_frame(mac, ip):
    """An Ethernet frame holding an ARP probe for ``ip`` from ``mac``: broadcast, sender IP 0.0.0.0
    (so no neighbour learns anything from it), target IP ``ip`` (RFC 5227, 2.1.1)."""
    own = mac_bytes(mac)
    header = b"\xff" * 6 + own + struct.pack("!H", ETH_P_ARP)
    body = struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + own + b"\0" * 4 + b"\0" * 6 + socket.inet_aton(ip)
    return header + body


def arp_claimant(frame, ip, own_mac):
    """The MAC of another host that claims ``ip`` in this frame, else None.

    A host claims an address when it sends any ARP packet (reply, request or announcement) with
    that address as the sender IP (RFC 5227, 2.1.1). Our own frames never count."""
    if len(frame) < 42 or frame[12:14] != b"\x08\x06":
        return None
    htype, ptype, hlen, plen, _op = struct.unpack("!HHBBH", frame[14:22])
    if (htype, ptype, hlen, plen) != (1, 0x0800, 6, 4) or frame[28:32] != socket.inet_aton(ip):
        return None
    sender = frame[22:28]
    if sender == mac_bytes(own_mac):
        return None
    return mac_text(sender)


def arp_holders(nic, ip, own_mac, wait):
    """Send one ARP probe for ``ip`` on ``nic`` and return the set of MACs that claim it within
    ``wait`` seconds. Needs CAP_NET_RAW (agents run as root)."""
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ARP))
    holders = set()
    try:
        sock.bind((nic, ETH_P_ARP))
        sock.send(arp_probe_frame(own_mac, ip))
        deadline = time.monotonic() + wait
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            sock.settimeout(left)
            try:
                frame = sock.recv(128)
            except socket.timeout:
                break
            claimant = arp_claimant(frame, ip, own_mac)
            if claimant:
                holders.add(claimant)
    finally:
        sock.close()
    return holders


def wait_address_free(probe, quiet_needed, timeout, clock=time.monotonic, not_before=None):
    """Probe until ``quiet_needed`` probes in a row got no claimant, or ``timeout`` passed.

    ``probe()`` returns the set of MACs that answered one probe (it waits for answers, which paces
    the loop). ``not_before`` (a ``clock()`` time): the address is not free before then, however
    quiet the probes were - the end of a release window, so that the probes run inside the window
    instead of after it. Returns ``(free, last_holders, probes)``: the address may be taken when
    ``free`` is true."""
    deadline = clock() + timeout
    quiet, probes, last = 0, 0, set()
    while True:
        holders = probe()
        probes += 1
        if holders:
            quiet, last = 0, set(holders)
        else:
            quiet += 1
            if quiet >= quiet_needed and (not_before is None or clock() >= not_before):
                return True, last, probes
        if clock() >= deadline:
            return False, last, probes


def gone_unexpectedly(nodes):
    """Names of the nodes that are offline although the cluster expects them up (crm_mon's
    ``expected_up``): they crashed or were cut off - not stopped cleanly, and never fenced while
    that flag stands - so they may still hold what they ran. ``nodes`` is parse_crm_mon's."""
    return sorted(name for name, attrs in nodes.items()
                  if not _is_true(attrs.get("online")) and _is_true(attrs.get("expected_up")))


# ------------------------------------------------------------------------ the quorum guard
QUORUM_GUARD_INTERVAL = 0.25  # s between two looks at corosync's quorum
QUORUM_GUARD_SILENCE = 2.0  # s corosync may leave unanswered before the node counts as out of the cluster


def parse_quorate(text):
    """``corosync-quorumtool -s`` output -> True (``Quorate: Yes``), False, or None (no such line)."""
    for line in (text or "").splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip() == "Quorate":
            return value.strip().lower() == "yes"
    return None


def quorate_now(timeout=2.0):
    """This node's quorum as corosync sees it now; None when corosync does not answer. The tool
    exits non-zero while the node is not quorate, so its output decides, not its exit code."""
    _rc, out, _err = run(["corosync-quorumtool", "-s"], timeout=timeout)
    return parse_quorate(out)


def guard_quorum(check, release, sleep=time.sleep, clock=time.monotonic, interval=QUORUM_GUARD_INTERVAL,
                 silence=QUORUM_GUARD_SILENCE):
    """Look at the node's quorum (``check()``: True, False or None) every ``interval`` seconds until
    the node has lost it - ``check()`` said False, or said None (corosync silent) for ``silence``
    seconds in a row - then call ``release(reason)`` once and return the reason."""
    silent_since = None
    while True:
        state = check()
        if state is False:
            reason = "this node lost quorum"
            break
        if state is None:
            now = clock()
            if silent_since is None:
                silent_since = now
            elif now - silent_since >= silence:
                reason = "corosync has not answered for %.1f s" % (now - silent_since)
                break
        else:
            silent_since = None
        sleep(interval)
    release(reason)
    return reason
