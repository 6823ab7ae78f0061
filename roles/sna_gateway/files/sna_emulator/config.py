"""Paths, timers and the persistent definitions file (``sna_node.cfg``)."""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_STATE_DIR = "/var/lib/snaemu"
CONFIG_NAME = "sna_node.cfg"


def _env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    return float(value) if value else default


class Settings:
    """Where the gateway side keeps its files, and its timers (seconds). A plain class, not a
    dataclass: every admin command builds one, and dataclasses (with inspect) cost each of them
    some milliseconds of a node's CPU."""

    __slots__ = ("state_dir", "ka_interval", "ka_misses", "act_timeout", "stop_timeout")

    def __init__(
        self,
        state_dir: Path,
        ka_interval: float = 5.0,  # keepalive period of an ACTIVE link station
        ka_misses: int = 3,  # intervals without a word from the peer before the LS leaves ACTIVE
        act_timeout: float = 10.0,  # how long start_ls waits for the remote's answer
        stop_timeout: float = 3.0,  # how long an orderly stop waits for the remote's answer
    ):
        self.state_dir = state_dir
        self.ka_interval = ka_interval
        self.ka_misses = ka_misses
        self.act_timeout = act_timeout
        self.stop_timeout = stop_timeout

    def __repr__(self) -> str:
        return "Settings(%s)" % ", ".join(f"{k}={getattr(self, k)!r}" for k in self.__slots__)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Settings) and all(getattr(self, k) == getattr(other, k) for k in self.__slots__)

    __hash__ = None  # mutable, as the dataclass was

    @classmethod
    def from_env(cls, state_dir: str | None = None) -> Settings:
        return cls(
            state_dir=Path(state_dir or os.environ.get("SNAEMU_STATE_DIR") or DEFAULT_STATE_DIR),
            ka_interval=_env_float("SNAEMU_KA_INTERVAL", 5.0),
            ka_misses=int(_env_float("SNAEMU_KA_MISSES", 3)),
            act_timeout=_env_float("SNAEMU_ACT_TIMEOUT", 10.0),
            stop_timeout=_env_float("SNAEMU_STOP_TIMEOUT", 3.0),
        )

    @property
    def pidfile(self) -> Path:
        return self.state_dir / "snapd.pid"

    @property
    def socket(self) -> Path:
        return self.state_dir / "snapd.sock"

    @property
    def config(self) -> Path:
        return self.state_dir / CONFIG_NAME

    @property
    def log(self) -> Path:
        return self.state_dir / "snapd.log"


def read_definitions(path: Path) -> list[tuple[str, dict[str, str]]]:
    """Read ``[verb]`` sections with ``key = value`` lines, in file order (sections repeat)."""
    records: list[tuple[str, dict[str, str]]] = []
    if not path.exists():
        return records
    current: dict[str, str] | None = None
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = {}
            records.append((line[1:-1].strip(), current))
        elif "=" in line and current is not None:
            key, value = line.split("=", 1)
            current[key.strip()] = value.strip()
    return records


def write_definitions(path: Path, records: list[tuple[str, dict[str, str]]]) -> None:
    """Write the definitions atomically (temporary file, then rename)."""
    lines = ["# SNA node definitions, written by the SNA stack emulator (snapd)", ""]
    for verb, params in records:
        lines.append(f"[{verb}]")
        lines.extend(f"{key} = {value}" for key, value in params.items())
        lines.append("")
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text("\n".join(lines), encoding="utf-8")
    os.replace(tmp, path)
