"""Capture real emulator output as fixtures for tests/unit/plugins/module_utils/test_sna_cli.py.

Run from the checkout: ``.venv/bin/python tests/unit/sna_emulator/capture_sna_fixtures.py``.
Everything runs on 127.0.0.1 in a temporary directory; the processes it starts are ended by PID.
"""

from __future__ import annotations

import os
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from snaemu_helpers import ROOT, Gateway, SnaHost, free_udp_port, wait_for  # noqa: E402

OUT = ROOT / "tests" / "unit" / "plugins" / "module_utils" / "fixtures" / "sna"


def save(name: str, text: str) -> None:
    (OUT / name).write_text(text)
    print(f"wrote {OUT / name}")


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        host = SnaHost(tmp / "host", "--pu", "HAPU", "--pu", "PU2")
        silent = SnaHost(tmp / "silent", "--pu", "HAPU")
        primary, backup = Gateway(tmp / "primary"), Gateway(tmp / "backup")
        try:
            save("error_not_loaded.txt", primary.admin("start_ls, ls_name=HALS").err)
            primary.setup(host.port)
            for command in (
                f"define_ip_port, port_name=PORT2, local_ip=127.0.0.1, udp_port={free_udp_port()}, "
                "description=second port",
                f"define_ip_ls, ls_name=LS2, port_name=PORT2, remote_ip_host=127.0.0.1, "
                f"remote_udp_port={host.port}, pu_name=PU2, adj_cp_name=APPN.HOST1, description=to host PU2",
                f"define_ip_ls, ls_name=SILENT, port_name=HAPORT, remote_ip_host=127.0.0.1, "
                f"remote_udp_port={silent.port}, pu_name=HAPU",
            ):
                assert primary.admin(command).rc == 0, command
            save("query_node_active.txt", primary.admin("query_node").out)
            save("query_port.txt", primary.admin("query_port").out)
            save("query_ls_all.txt", primary.admin("query_ls").out)
            save("query_ls_one.txt", primary.admin("query_ls, ls_name=HALS").out)
            save("error_port_not_started.txt", primary.admin("start_ls, ls_name=LS2").err)
            save("error_init_node_twice.txt", primary.admin("init_node").err)
            save("error_invalid_value.txt", primary.admin("start_ls, ls_name=hals").err)
            save("error_invalid_verb.txt", primary.admin("start_everything").err)
            save("error_ls_active.txt", primary.admin("delete_ls, ls_name=HALS").err)
            os.kill(silent.proc.pid, signal.SIGSTOP)
            pending: list[str] = []

            def poll():
                def seen():
                    out = primary.admin("query_ls, ls_name=SILENT").out
                    return out if "PENDING_ACTIVE" in out else ""

                pending.append(wait_for(seen, timeout=3, step=0.02))

            poller = threading.Thread(target=poll)
            poller.start()
            save("error_no_response.txt", primary.admin("start_ls, ls_name=SILENT").err)
            poller.join()
            save("query_ls_pending.txt", pending[0])
            os.kill(silent.proc.pid, signal.SIGCONT)
            save("snahost_query.txt", host.cli("query", "pu_name=HAPU").out)
            os.kill(primary.pid, signal.SIGKILL)
            time.sleep(0.2)
            backup.setup(host.port, start_ls=False)
            save("error_node_active_elsewhere.txt", backup.admin("start_ls, ls_name=HALS").err)
            save("force_stop_forced.txt", backup.snap("force_stop", "--ls", "HALS").out)
            save("force_stop_not_active.txt", backup.snap("force_stop", "--ls", "HALS").out)
            assert backup.admin("term_node").rc == 0
            save("query_node_inactive.txt", backup.admin("query_node").out)
        finally:
            primary.cleanup()
            backup.cleanup()
            host.stop()
            silent.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
