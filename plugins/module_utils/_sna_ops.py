# Copyright (c) failover.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The logic of the sna_node, sna_port and sna_link_station modules.

``plan_node``, ``plan_port`` and ``plan_ls`` are pure: from the queried state and the wanted
one they return the steps to take (``("admin", verb, params)``, ``("force", ls_names)``,
``("wait_node",)``, ``("wait_ls", state)``), or raise SnaPlanError with a message for the user.
``SnaCli`` runs commands through a ``run(argv) -> (rc, out, err)`` callable (the module's
Runner) and turns a failed verb into SnaCommandError with the product's return codes. The
command line itself (flavours, argv, parsers, return codes) is ``_sna_cli``, shared with the
OCF agents.
``ensure_node`` / ``ensure_port`` / ``ensure_ls`` put the two together, honouring check mode.
"""

from __future__ import annotations

import time

from ansible_collections.failover.cluster.plugins.module_utils._sna_cli import (
    ADDRESS_IN_USE,
    DEFINITION_KEYS,
    STOP_TYPE_CHOICES,
    SnaArgumentError,
    SnaCommandError,
    admin_argv,
    command_error,
    commands,
    daemon_argv,
    definition_diff,
    force_failure_reason,
    force_stop_argv,
    last_line,
    node_query_result,
    parse_force_stop,
    parse_query_ls,
    parse_query_port,
)

POLL = 0.5

# options every SNA module takes (the modules add their own)
COMMON_ARGS = {
    "flavour": {"type": "str", "default": "snaplus2", "choices": ["snaplus2", "cslinux"]},
    "daemon_path": {"type": "path"},
    "admin_path": {"type": "path"},
    "timeout": {"type": "int", "default": 60},
}


class SnaPlanError(Exception):
    """The wanted state cannot be reached without something the user did not allow."""


class SnaCli:
    """The SNA stack's commands for one flavour; ``run(argv)`` returns ``(rc, out, err)``."""

    def __init__(self, run, flavour="snaplus2", daemon=None, admin=None, force_stop_command=None,
                 sleep=time.sleep, clock=time.monotonic):
        self.run = run
        self.flavour = flavour
        self.names = commands(flavour, daemon=daemon, admin=admin)
        self.force_stop_command = force_stop_command
        self.sleep = sleep
        self.clock = clock

    # ------------------------------------------------------------------ argv
    def admin_argv(self, verb, params=None):
        return admin_argv(verb, params or {}, self.flavour, admin=self.names["admin"])

    def daemon_argv(self, action):
        return daemon_argv(action, self.flavour, daemon=self.names["daemon"])

    def force_argv(self, ls_names):
        return force_stop_argv(self.force_stop_command, self.flavour, daemon=self.names["daemon"], ls_names=ls_names,
                               admin=self.names["admin"])

    def argv(self, step):
        """The command a step runs (None for the waits)."""
        if step[0] == "admin":
            return self.admin_argv(step[1], step[2])
        if step[0] == "daemon":
            return self.daemon_argv(step[1])
        if step[0] == "force":
            return self.force_argv(step[1])
        return None

    # ------------------------------------------------------------------ running
    def admin(self, verb, params=None):
        argv = self.admin_argv(verb, params)
        rc, out, err = self.run(argv)
        if rc != 0:
            raise command_error(verb, argv, rc, out, err)
        return out

    def daemon(self, action):
        argv = self.daemon_argv(action)
        rc, out, err = self.run(argv)
        if rc != 0:
            raise SnaCommandError(" ".join(argv[:1] + [action]), argv, rc, message=last_line(err, out))
        return out

    def force_stop(self, ls_names):
        """Run the forced stale-node stop; returns the per-link-station results."""
        argv = self.force_argv(ls_names)
        rc, out, err = self.run(argv)
        results = parse_force_stop(out)
        if rc != 0:
            raise SnaCommandError("forced stale-node stop", argv, rc, message=force_failure_reason(out, err))
        return results

    def query_node(self):
        """``(daemon_running, node or None)``."""
        argv = self.admin_argv("query_node")
        return node_query_result(argv, *self.run(argv))

    def query_ports(self):
        return parse_query_port(self.admin("query_port"))

    def query_lss(self):
        return parse_query_ls(self.admin("query_ls"))

    def wait(self, probe, done, timeout):
        """Call ``probe()`` until ``done(value)`` or ``timeout`` seconds; returns the last value."""
        deadline = self.clock() + timeout
        value = probe()
        while not done(value) and self.clock() < deadline:
            self.sleep(POLL)
            value = probe()
        return value


# ---------------------------------------------------------------------- pure plans
def _wanted(kind, params):
    return dict((key, params[key]) for key in DEFINITION_KEYS[kind] if params.get(key) is not None)


def _text(value):
    return str(value).strip()


def _merged(kind, current, wanted):
    """A full definition: the current one's non-empty values, overridden by the wanted ones."""
    merged = dict((k, (current or {}).get(k)) for k in DEFINITION_KEYS[kind] if (current or {}).get(k))
    merged.update(dict((k, _text(v)) for k, v in wanted.items()))
    return merged


def plan_node(node, params, state, known=True, force_ls=None):
    """Steps after the daemon runs: define_node, the forced stop, init_node, wait.

    ``node`` is the queried node (None: none defined, or unknown when ``known`` is false - check
    mode with the daemon not running yet). ``force_ls``: None for no forced stop, else the link
    stations whose PUs are forced out (empty: every defined one).
    """
    wanted = _wanted("node", params)
    steps = []
    active = bool(node) and node.get("node_status") == "ACTIVE"
    if active:
        diffs = definition_diff("node", wanted, node)
        if "fqcp_name" in diffs:
            raise SnaPlanError(
                "node %s is already running on this server (one node per server): it cannot become %s while it "
                "runs; stop the SNA software first (state=stopped)" % (node.get("fqcp_name"), wanted["fqcp_name"]))
        if diffs:
            raise SnaPlanError(
                "node %s is running and its definition differs (%s); a running node cannot be redefined: stop "
                "the SNA software first (state=stopped)" % (node.get("fqcp_name"), ", ".join(diffs)))
    else:
        if node is None and known and not wanted.get("fqcp_name"):
            raise SnaPlanError("no node is defined on this server: set fqcp_name")
        if wanted.get("fqcp_name") and (node is None or definition_diff("node", wanted, node)):
            same = node if node and node.get("fqcp_name") == _text(wanted["fqcp_name"]) else None
            steps.append(("admin", "define_node", _merged("node", same, wanted)))
    if force_ls is not None:
        steps.append(("force", list(force_ls)))
    if state == "started" and not active:
        steps.append(("admin", "init_node", {}))
        steps.append(("wait_node",))
    return steps


def stale_candidates(wanted_ls, lss):
    """Link stations whose PUs a forced stop may take: the wanted ones (all defined ones when
    none is named) that are not active on this server - forcing an active one would end its
    own session. Returns ``(names, skipped)``."""
    names = list(wanted_ls) or sorted(lss)
    keep = [name for name in names if (lss.get(name) or {}).get("state", "NOT_ACTIVE") == "NOT_ACTIVE"]
    return keep, [name for name in names if name not in keep]


def _require(kind, name, current, wanted, keys):
    if current is None:
        missing = [key for key in keys if key not in wanted]
        if missing:
            raise SnaPlanError("%s %s is not defined: %s required to define it" % (
                kind, name, " and ".join(missing) + (" is" if len(missing) == 1 else " are")))


def plan_port(current, params, state, allow_restart=False):
    """Steps for one port: ``current`` is its query_port block (None: not defined)."""
    name = _text(params["port_name"])
    stop_type = STOP_TYPE_CHOICES[params.get("stop_type") or "orderly"]
    active = bool(current) and current.get("port_state", "NOT_ACTIVE") != "NOT_ACTIVE"
    key = {"port_name": name}
    if state == "absent":
        if current is None:
            return []
        return ([("admin", "stop_port", dict(key, stop_type=stop_type))] if active else []) + [
            ("admin", "delete_port", key)]
    wanted = _wanted("port", params)
    _require("port", name, current, wanted, ("local_ip",))
    steps = []
    restart = False
    diffs = definition_diff("port", wanted, current) if current else list(wanted)
    if current is None or diffs:
        if active:
            if not allow_restart:
                raise SnaPlanError(
                    "port %s is started and its definition differs (%s); a port can only be redefined while "
                    "stopped: set allow_restart=true to stop it (and its link stations), redefine it and start "
                    "it again" % (name, ", ".join(diffs)))
            steps.append(("admin", "stop_port", dict(key, stop_type=stop_type)))
            active, restart = False, True
        steps.append(("admin", "define_ip_port", _merged("port", current, wanted)))
    if (state == "started" or (state == "defined" and restart)) and not active:
        steps.append(("admin", "start_port", key))
    elif state == "stopped" and active:
        steps.append(("admin", "stop_port", dict(key, stop_type=stop_type)))
    return steps


def plan_ls(current, params, state, allow_restart=False):
    """Steps for one link station: ``current`` is its query_ls block (None: not defined)."""
    name = _text(params["ls_name"])
    stop_type = STOP_TYPE_CHOICES[params.get("stop_type") or "orderly"]
    ls_state = (current or {}).get("state", "NOT_ACTIVE")
    active = ls_state != "NOT_ACTIVE"
    key = {"ls_name": name}
    stop = [("admin", "stop_ls", dict(key, stop_type=stop_type)), ("wait_ls", "NOT_ACTIVE")]
    if state == "absent":
        if current is None:
            return []
        return (stop if active else []) + [("admin", "delete_ls", key)]
    wanted = _wanted("ls", params)
    _require("link station", name, current, wanted, ("port_name", "remote_ip_host", "pu_name"))
    steps = []
    restart = False
    diffs = definition_diff("ls", wanted, current) if current else list(wanted)
    if current is None or diffs:
        if active:
            if not allow_restart:
                raise SnaPlanError(
                    "link station %s is %s and its definition differs (%s); a link station can only be changed "
                    "while stopped: set allow_restart=true to stop it, redefine it and start it again"
                    % (name, ls_state, ", ".join(diffs)))
            steps += stop
            active, restart = False, True
        steps.append(("admin", "define_ip_ls", _merged("ls", current, wanted)))
    if state == "started" or (state == "defined" and restart):
        if ls_state == "PENDING_ACTIVE" and not restart:
            steps.append(("wait_ls", "ACTIVE"))
        elif ls_state != "ACTIVE" or restart:
            steps += [("admin", "start_ls", key), ("wait_ls", "ACTIVE")]
    elif state == "stopped" and active:
        steps += stop
    return steps


def changes(steps):
    """Whether the steps change anything (waits alone do not)."""
    return any(step[0] in ("admin", "daemon", "force") for step in steps)


# ---------------------------------------------------------------------- views for diff / results
def _definition(kind, obj):
    if not obj:
        return None
    return dict((key, obj.get(key, "")) for key in DEFINITION_KEYS[kind])


def predict(kind, current, steps, state_key, name_key, name):
    """What check mode says the object would look like after the steps."""
    after = dict(current or {})
    after.setdefault(name_key, name)
    for step in steps:
        if step[0] != "admin":
            continue
        verb, params = step[1], step[2]
        if verb.startswith("define_"):
            after.update(dict((k, _text(v)) for k, v in params.items()))
            after.setdefault(state_key, "NOT_ACTIVE")
        elif verb in ("start_ls", "start_port", "init_node"):
            after[state_key] = "ACTIVE"
        elif verb in ("stop_ls", "stop_port", "term_node"):
            after[state_key] = "NOT_ACTIVE"
        elif verb.startswith("delete_"):
            return None
    return after


def view(kind, obj, state_key):
    """The part of an object a diff shows: its definition and its state."""
    if not obj:
        return {}
    out = _definition(kind, obj)
    out[state_key] = obj.get(state_key, "")
    return out


# ---------------------------------------------------------------------- ensure_*
class Outcome:
    """What a module returns: changed, commands, the objects before/after, warnings."""

    def __init__(self):
        self.changed = False
        self.commands = []
        self.warnings = []
        self.before = None
        self.after = None
        self.extra = {}


def _do(cli, step, check_mode, outcome, wait_ls=None, wait_node=None):
    kind = step[0]
    if kind in ("admin", "daemon") or (kind == "force" and check_mode):
        outcome.changed = True
    if check_mode:
        argv = cli.argv(step)
        if argv:
            outcome.commands.append(argv)
        return None
    if kind == "admin":
        return cli.admin(step[1], step[2])
    if kind == "daemon":
        return cli.daemon(step[1])
    if kind == "force":
        results = cli.force_stop(step[1])
        outcome.extra["forced"] = results
        # a PU that was not active is left as it was: only FORCED is a change
        if any(r.get("result") == "FORCED" for r in results) or not results:
            outcome.changed = True
        return results
    if kind == "wait_ls":
        return wait_ls(step[1])
    if kind == "wait_node":
        return wait_node()
    raise ValueError(step)


def ensure_node(cli, params, check_mode, timeout):
    """Daemon running/stopped, node defined/initialised, optional forced stale-node stop."""
    state = params["state"]
    out = Outcome()
    if params.get("forced_stop") and not params.get("stale_owner_confirmed_down"):
        raise SnaPlanError(
            "forced_stop takes the link stations' PUs from whichever node holds them: it is refused unless "
            "stale_owner_confirmed_down=true says the old owner has been fenced or is otherwise confirmed down")
    running, node = cli.query_node()
    out.before = {"daemon": "running" if running else "stopped", "node": view("node", node, "node_status")}
    out.extra["forced"] = []
    if state == "stopped":
        if running:
            _do(cli, ("daemon", "stop"), check_mode, out)
        if not check_mode and running:
            running, node = cli.query_node()
        shown = view("node", node, "node_status")
        if shown:
            shown["node_status"] = "NOT_ACTIVE" if not running or check_mode else shown["node_status"]
        out.after = {"daemon": "running" if running and not check_mode else "stopped", "node": shown}
        out.extra["node"] = node or {}
        return out
    known = running
    if not running:
        _do(cli, ("daemon", "start"), check_mode, out)
        if not check_mode:
            running, node = cli.query_node()
            known = True
    force_ls = None
    if params.get("forced_stop"):
        wanted_ls = [_text(name) for name in params.get("forced_stop_ls") or []]
        if known:
            force_ls, skipped = stale_candidates(wanted_ls, cli.query_lss())
            if skipped:
                out.warnings.append("link station(s) %s active on this server: not forced out" % ", ".join(skipped))
            if not force_ls:
                out.warnings.append("no link station to force out")
                force_ls = None
        else:
            force_ls = wanted_ls
    steps = plan_node(node, params, state, known=known, force_ls=force_ls)

    def wait_node():
        _running, now = cli.wait(cli.query_node, lambda v: bool(v[1]) and v[1].get("node_status") == "ACTIVE",
                                 timeout)
        if not now or now.get("node_status") != "ACTIVE":
            raise SnaCommandError("init_node", cli.admin_argv("init_node"), 0,
                                  message="node did not become ACTIVE within %s s" % timeout)

    for step in steps:
        _do(cli, step, check_mode, out, wait_node=wait_node)
    if check_mode:
        after = predict("node", node, steps, "node_status", "fqcp_name", params.get("fqcp_name"))
        if not known and not params.get("fqcp_name"):
            after = None
    else:
        _running, after = cli.query_node()
    out.after = {"daemon": "running", "node": view("node", after, "node_status")}
    out.extra["node"] = after or {}
    return out


def ensure_port(cli, params, check_mode):
    out = Outcome()
    name = _text(params["port_name"])
    current = cli.query_ports().get(name)
    out.before = view("port", current, "port_state")
    steps = plan_port(current, params, params["state"], params.get("allow_restart"))
    if current and params.get("allow_restart") and any(s[1] == "stop_port" for s in steps if s[0] == "admin") \
            and params["state"] != "stopped" and current.get("active_ls_count", "0") not in ("", "0"):
        out.warnings.append("port %s was restarted: its %s active link station(s) were stopped and are not "
                            "restarted by this module" % (name, current.get("active_ls_count")))
    stopped_here = False
    for step in steps:
        try:
            _do(cli, step, check_mode, out)
        except SnaCommandError as exc:
            # right after its own stop_port, the address may not be released yet: retry a moment
            if not (stopped_here and exc.secondary == ADDRESS_IN_USE and step[1] == "start_port"):
                raise
            _retry(cli, step, RELEASE_WAIT)
        stopped_here = stopped_here or (step[0] == "admin" and step[1] == "stop_port")
    after = predict("port", current, steps, "port_state", "port_name", name) if check_mode \
        else cli.query_ports().get(name)
    out.after = view("port", after, "port_state")
    out.extra["port"] = after or {}
    return out


RELEASE_WAIT = 5  # seconds a restarted port waits for its address to be released


def _retry(cli, step, timeout):
    deadline = cli.clock() + timeout
    while True:
        cli.sleep(0.2)
        try:
            return cli.admin(step[1], step[2])
        except SnaCommandError as exc:
            if exc.secondary != ADDRESS_IN_USE or cli.clock() >= deadline:
                raise


def ensure_ls(cli, params, check_mode, timeout):
    out = Outcome()
    name = _text(params["ls_name"])
    current = cli.query_lss().get(name)
    out.before = view("ls", current, "state")
    steps = plan_ls(current, params, params["state"], params.get("allow_restart"))

    def wait_ls(target):
        now = cli.wait(lambda: cli.query_lss().get(name) or {}, lambda v: v.get("state") == target, timeout)
        if now.get("state") != target:
            verb = "start_ls" if target == "ACTIVE" else "stop_ls"
            raise SnaCommandError(verb, cli.admin_argv(verb, {"ls_name": name}), 0,
                                  message="link station %s is %s, not %s, after %s s%s" % (
                                      name, now.get("state"), target, timeout,
                                      " (last_error %s)" % now["last_error"] if now.get("last_error") else ""))
        return now

    if check_mode and any(s[0] == "admin" and s[1] == "start_ls" for s in steps):
        port_name = _text(params.get("port_name") or (current or {}).get("port_name", ""))
        port = cli.query_ports().get(port_name) or {}
        if port.get("port_state") != "ACTIVE":
            out.warnings.append("port %s is not started: start_ls would fail with PORT_NOT_STARTED" % port_name)
    for step in steps:
        _do(cli, step, check_mode, out, wait_ls=wait_ls)
    after = predict("ls", current, steps, "state", "ls_name", name) if check_mode else cli.query_lss().get(name)
    out.after = view("ls", after, "state")
    out.extra["link_station"] = after or {}
    return out


# ---------------------------------------------------------------------- module glue
def make_cli(module, runner):
    """SnaCli for a module's flavour and paths; commands run through ``runner`` without raising."""
    p = module.params
    return SnaCli(
        lambda argv: runner.run(argv, check=False),
        flavour=p["flavour"],
        daemon=p.get("daemon_path"),
        admin=p.get("admin_path"),
        force_stop_command=p.get("force_stop_command"),
    )


def finish(module, runner, ensure, *args):
    """Run ``ensure(cli, params, check_mode, *args)`` and exit the module with its outcome.

    Every failure ends in one ``fail_json``: a bad value (SnaArgumentError, naming the option),
    a state the user did not allow (SnaPlanError), or a failed command with the product's return
    codes (SnaCommandError).
    """
    cli = None
    outcome = Outcome()
    try:
        cli = make_cli(module, runner)
        outcome = ensure(cli, module.params, module.check_mode, *args)
    except SnaArgumentError as exc:
        module.fail_json(msg="%s" % exc, changed=False, commands=runner.commands)
    except SnaPlanError as exc:
        module.fail_json(msg="%s" % exc, changed=False, commands=runner.commands)
    except SnaCommandError as exc:
        # a failed step after others ran: the earlier steps did change the host
        ran = runner.commands if exc.rc == 0 else runner.commands[:-1]
        module.fail_json(msg="%s" % exc, changed=_mutating(cli, ran), commands=runner.commands, **exc.result())
    for warning in outcome.warnings:
        module.warn(warning)
    result = {"changed": outcome.changed, "commands": runner.commands + outcome.commands}
    result.update((k, v) for k, v in outcome.extra.items() if not k.startswith("_"))
    if module._diff:
        result["diff"] = {"before": outcome.before, "after": outcome.after}
    module.exit_json(**result)


_QUERIES = ("query_node", "query_port", "query_ls")


def _mutating(cli, ran):
    """Whether any of the commands that ran (before a failure) changed something."""
    if cli is None:
        return False
    for argv in ran:
        if argv[0] == cli.names["admin"]:
            if argv[1].rstrip(",") not in _QUERIES:
                return True
        else:
            return True
    return False
