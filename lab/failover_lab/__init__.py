"""A container-free multi-node lab made of Linux namespaces.

Each lab host is a network namespace on one or more bridges that live in a
lab controller namespace, plus a mount/UTS/IPC/PID/cgroup namespace running
the machine's real systemd as PID 1 over copy-on-write overlays of the
machine's /etc, /var, /usr, ...  See docs/lab.md.

Everything here is standard library only and runs as root on the controller.
"""

__all__ = ["LabError"]


class LabError(Exception):
    """A lab operation failed; the message says what and why."""
