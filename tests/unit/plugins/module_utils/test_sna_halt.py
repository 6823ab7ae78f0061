"""The release-window check of an SNA package's halt path (pure)."""

from __future__ import annotations

import pytest

from ansible_collections.failover.cluster.plugins.module_utils._sna_halt import (
    check_release_window,
    halt_path,
    ls_waves,
)

# stop timeouts of the lab's SNA package (seconds): link station, port, node, IP
TIMEOUTS = {"ls_stop_timeout": 5, "port_stop_timeout": 5, "node_stop_timeout": 10, "ip_stop_timeout": 5}
# usual durations fixed for the tests (the defaults may be tuned from measurements)
USUAL = {"ls_expected": 0.25, "port_expected": 0.15, "node_expected": 0.3, "ip_expected": 0.1}


def test_waves():
    assert ls_waves(0, parallel=False) == 0
    assert ls_waves(64, parallel=False) == 64
    assert ls_waves(64, parallel=True) == 1
    assert ls_waves(64, parallel=True, concurrency=4) == 16
    assert ls_waves(65, parallel=True, concurrency=4) == 17
    assert ls_waves(3, parallel=True, concurrency=4) == 1


def test_sequential_four_link_stations_is_the_measured_halt():
    path = halt_path(4, **TIMEOUTS, parallel=False, **USUAL)
    # 4 x 0.25 + 0.15 + 0.3 + 0.1: the ~1.3-1.6 s the lab showed for the 4-LS package
    assert path.expected == 1.55
    assert path.worst == 4 * 5 + 5 + 10 + 5
    assert [step[0] for step in path.steps] == ["link stations", "port", "node", "ip"]
    assert path.steps[0] == ("link stations", 1.0, 20.0)


def test_sequential_64_link_stations_outlast_the_window():
    level, message = check_release_window(3, 64, **TIMEOUTS, parallel=False, **USUAL)
    assert level == "error"
    assert message.startswith(
        "ip_release_window: 3 s is shorter than the package's usual halt of 16.55 s (worst case 340 s: "
        "64 link station(s) stopping one after another; worst case link stations 320 s, port 5 s, node 10 s, ip 5 s)")
    assert message.endswith("raise ip_release_window to at least 17")


def test_parallel_64_link_stations_fit_the_usual_halt_but_warn_on_the_worst_case():
    level, message = check_release_window(3, 64, **TIMEOUTS, parallel=True, **USUAL)
    assert level == "warning"
    assert "usual halt of 0.8 s but not its worst case of 25 s" in message
    assert "64 link station(s) stopping in parallel;" in message


def test_concurrency_limit_makes_waves():
    level, message = check_release_window(3, 64, **TIMEOUTS, parallel=True, concurrency=4, **USUAL)
    # 16 waves x 0.25 s = 4 s of link-station stops alone
    assert level == "error"
    assert "usual halt of 4.55 s" in message
    assert "stopping in parallel, 16 wave(s)" in message
    assert check_release_window(5, 64, **TIMEOUTS, parallel=True, concurrency=4, **USUAL)[0] == "warning"


def test_short_timeouts_make_it_ok():
    short = {"ls_stop_timeout": 0.5, "port_stop_timeout": 0.5, "node_stop_timeout": 1, "ip_stop_timeout": 0.5}
    assert check_release_window(3, 64, **short, parallel=True, **USUAL) == ("ok", "")
    # 4 sequential stops of up to 0.5 s each: 4.5 s worst case, 1.55 s usual
    level, message = check_release_window(3, 4, **short, parallel=False, **USUAL)
    assert level == "warning"
    assert "usual halt of 1.55 s but not its worst case of 4 s" in message


def test_expected_is_cut_to_the_timeout():
    path = halt_path(2, 0.1, 5, 5, parallel=False, ls_expected=1.0, port_expected=0, node_expected=0, ip_expected=0)
    assert path.steps[0] == ("link stations", 0.2, 0.2)


def test_fencing_means_no_window():
    assert check_release_window(0, 64, **TIMEOUTS, parallel=False, fencing=True) == ("ok", "")


def test_window_zero_without_fencing_is_an_error():
    level, message = check_release_window(0, 1, **TIMEOUTS, **USUAL)
    assert level == "error"
    assert message.startswith("ip_release_window: 0 s is shorter than the package's usual halt of 0.8 s")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"ls_count": -1}, "ls_count: -1 must be a whole number of at least 0"),
        ({"ls_count": 2.5}, "ls_count: 2.5 must be a whole number of at least 0"),
        ({"ls_stop_timeout": "20s"}, "ls_stop_timeout: '20s' is not a number of seconds"),
        ({"node_stop_timeout": -1}, "node_stop_timeout: -1 must be 0 or more"),
        ({"concurrency": 0}, "concurrency: 0 must be a whole number of at least 1"),
        ({"release_window": True}, "ip_release_window: True is not a number of seconds"),
    ],
)
def test_bad_input_names_the_field(kwargs, message):
    args = {"release_window": 3, "ls_count": 4, **TIMEOUTS, "parallel": True, "concurrency": 2}
    args.update(kwargs)
    with pytest.raises(ValueError) as err:
        check_release_window(**args)
    assert str(err.value) == message
