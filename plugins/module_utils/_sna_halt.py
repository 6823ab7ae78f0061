# Copyright (c) failover.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Does the IP's release window cover the halt path of an SNA package?  (pure, no I/O)

Without fencing, a holder cut off from the quorum halts its package in reverse run order -
link stations, port, SNA node, then the relocatable IP - while the survivor waits the IP's
release window before it adds the address. The address answers from two nodes when the halt
takes longer than the window. This module computes that halt path two ways:

* ``expected``: every step takes its usual time (``*_expected`` arguments; defaults from the
  lab, where an orderly ``stop_ls`` is one exchange with the remote host);
* ``worst``: every step runs until its stop timeout (what Pacemaker allows before it gives up).

Link stations stop one after another (``parallel=False``) or at once, but never more at once
than the engine runs actions on a node (``concurrency``; Pacemaker's ``node-action-limit``,
twice the cores by default): 64 link stations with a limit of 4 stop in 16 waves.

``check_release_window`` returns ``("ok" | "warning" | "error", message)``: an error when even
the expected halt outlasts the window (every partition risks a duplicate address), a warning
when only the worst case does (a hanging stop would), ``ok`` otherwise.
"""

from __future__ import annotations

import math
from collections import namedtuple

# usual durations on the lab (seconds): one stop_ls exchange, stop_port, snap stop, IPaddr2 stop
LS_EXPECTED = 0.25
PORT_EXPECTED = 0.15
NODE_EXPECTED = 0.3
IP_EXPECTED = 0.1

HaltPath = namedtuple("HaltPath", "waves expected worst steps")
"""``waves`` of link-station stops, ``expected`` and ``worst`` seconds, and ``steps``: a tuple of
``(name, expected, worst)`` in halt order."""


def _seconds(field, value, allow_zero=True):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
        raise ValueError("%s: %r is not a number of seconds" % (field, value))
    if value < 0 or (value == 0 and not allow_zero):
        raise ValueError("%s: %r must be %s" % (field, value, "0 or more" if allow_zero else "above 0"))
    return float(value)


def _count(field, value, minimum):
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError("%s: %r must be a whole number of at least %d" % (field, value, minimum))
    return value


def ls_waves(ls_count, parallel, concurrency=None):
    """How many rounds of link-station stops run one after another."""
    _count("ls_count", ls_count, 0)
    if ls_count == 0:
        return 0
    if not parallel:
        return ls_count
    if concurrency is None:
        return 1
    return int(math.ceil(ls_count / float(_count("concurrency", concurrency, 1))))


def halt_path(ls_count, ls_stop_timeout, port_stop_timeout, node_stop_timeout, ip_stop_timeout=0,
              parallel=True, concurrency=None, ls_expected=LS_EXPECTED, port_expected=PORT_EXPECTED,
              node_expected=NODE_EXPECTED, ip_expected=IP_EXPECTED):
    """The halt path of an SNA package from the moment its holder starts halting until its IP is gone.

    Timeouts and usual durations in seconds; an expected duration above its timeout is cut to the
    timeout (the engine ends the step there). Raises ValueError naming the argument.
    """
    waves = ls_waves(ls_count, parallel, concurrency)
    pairs = (
        ("link stations", ls_expected, ls_stop_timeout, waves),
        ("port", port_expected, port_stop_timeout, 1),
        ("node", node_expected, node_stop_timeout, 1),
        ("ip", ip_expected, ip_stop_timeout, 1),
    )
    steps = []
    for name, usual, timeout, times in pairs:
        field = {"link stations": "ls", "port": "port", "node": "node", "ip": "ip"}[name]
        timeout = _seconds(field + "_stop_timeout", timeout)
        usual = _seconds(field + "_expected", usual)
        if timeout:
            usual = min(usual, timeout)
        else:  # no timeout given for this step: only its usual time is known
            timeout = usual
        steps.append((name, round(usual * times, 3), round(timeout * times, 3)))
    return HaltPath(
        waves=waves,
        expected=round(sum(step[1] for step in steps), 3),
        worst=round(sum(step[2] for step in steps), 3),
        steps=tuple(steps),
    )


def _fmt(seconds):
    return ("%.2f" % seconds).rstrip("0").rstrip(".")


def _detail(path, parallel, ls_count):
    if not ls_count:
        how = "no link station"
    elif not parallel:
        how = "%d link station(s) stopping one after another" % ls_count
    elif path.waves == 1:
        how = "%d link station(s) stopping in parallel" % ls_count
    else:
        how = ("%d link station(s) stopping in parallel, %d wave(s) (the engine's node-action-limit)"
               % (ls_count, path.waves))
    parts = ", ".join("%s %s s" % (name, _fmt(worst)) for name, _usual, worst in path.steps if worst)
    return "%s; worst case %s" % (how, parts)


def check_release_window(release_window, ls_count, ls_stop_timeout, port_stop_timeout, node_stop_timeout,
                         ip_stop_timeout=0, parallel=True, concurrency=None, fencing=False, **expected):
    """``(level, message)``: whether the IP release window covers the package's halt path.

    ``level`` is ``ok``, ``warning`` or ``error``; ``message`` gives the computed halt (empty when
    ``ok``). With fencing the window does not apply (the loser is fenced before the winner
    starts): always ``ok``. ``expected`` takes the ``*_expected`` durations of :func:`halt_path`.
    """
    window = _seconds("ip_release_window", release_window)
    path = halt_path(ls_count, ls_stop_timeout, port_stop_timeout, node_stop_timeout, ip_stop_timeout,
                     parallel=parallel, concurrency=concurrency, **expected)
    if fencing:
        return "ok", ""
    detail = _detail(path, parallel, ls_count)
    if path.expected > window:
        return "error", (
            "ip_release_window: %s s is shorter than the package's usual halt of %s s (worst case %s s: %s); "
            "a cut-off holder would still answer for the address while the other node adds it - stop the link "
            "stations in parallel, use fewer link stations per package, or raise ip_release_window to at least %s"
            % (_fmt(window), _fmt(path.expected), _fmt(path.worst), detail, _fmt(math.ceil(path.expected))))
    if path.worst > window:
        return "warning", (
            "ip_release_window: %s s covers the package's usual halt of %s s but not its worst case of %s s (%s); "
            "a stop that runs to its timeout would leave the address on two nodes - lower the stop timeouts or "
            "raise ip_release_window" % (_fmt(window), _fmt(path.expected), _fmt(path.worst), detail))
    return "ok", ""
