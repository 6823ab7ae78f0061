"""Fixtures that run the SNA stack emulator for real (see snaemu_helpers)."""

from __future__ import annotations

import pytest
from snaemu_helpers import Gateway, SnaHost


@pytest.fixture
def gateways(tmp_path):
    made: list[Gateway] = []

    def make(name: str = "gw") -> Gateway:
        gw = Gateway(tmp_path / name, name)
        made.append(gw)
        return gw

    yield make
    for gw in made:
        gw.cleanup()


@pytest.fixture
def snahost(tmp_path):
    made: list[SnaHost] = []

    def make(*args: str, name: str = "host", stale_timeout: float = 0.0) -> SnaHost:
        host = SnaHost(tmp_path / name, *args, stale_timeout=stale_timeout)
        made.append(host)
        return host

    yield make
    for host in made:
        host.stop()
