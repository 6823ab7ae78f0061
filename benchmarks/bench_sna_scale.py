#!/usr/bin/env python3
"""The SNA definitions step at 4, 16 and 64 link stations: one module call per link station
against one batched call (sna_definitions), on a lab node, in the same run.

Brings up a one-host namespace lab (host ``gw1``, prefix ``bnsna`` or --prefix), installs the SNA
emulator on it, and for each link-station count runs two forms of the definitions step with
``ansible-playbook`` (no fact gathering), timing each run from start to end:

* ``per-LS``: what the sna_gateway role ran before this change, without its stamp skip -
  ``sna_node`` (state defined: starts the control daemon), ``sna_port``, ``sna_link_station``
  in a loop (one module call per link station), ``sna_node`` state stopped;
* ``batched``: ``sna_definitions`` with the node, the port and every link station (one call).

Each form is timed three ways, on a node reset before the form: ``write`` (nothing defined
yet), ``check`` (everything matches: the cost of checking on every run) and ``repair`` (one
link station deleted by hand first; the run must define it again - verified with
``snapadmin query_ls``). An empty playbook is timed as well: Ansible's own start-up, the same
for both forms.

``--local`` runs the same steps without a lab or Ansible's connection: each module call is a
module process on this machine (as Ansible starts it on a host), against the emulator installed
in a temporary prefix with a private state directory. It shows the modules' own cost; the lab
run adds Ansible's per-task cost, which is what batching saves most.

Run as root from the checkout (after scripts/setup), under the lab lock on a shared machine:
  flock /tmp/fc-lab.lock timeout 900 .venv/bin/python benchmarks/bench_sna_scale.py [--counts 4,16,64]
      [--json out.json] [--prefix bnsna]
  .venv/bin/python benchmarks/bench_sna_scale.py --local [--counts 4,16,64]     # no lab
Figures only: nothing is asserted about timing. The lab is torn down at the end, whatever happens.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LABCTL = [sys.executable, str(ROOT / "lab" / "labctl")]
VENV_BIN = Path(sys.executable).parent
HOST = "gw1"
EMULATOR = ROOT / "roles" / "sna_gateway" / "files" / "sna_emulator"
NODE = {"fqcp_name": "APPN.GWNODE", "node_id": "05D12345"}
PORT = {"port_name": "HAPORT", "local_ip": "198.51.100.50"}

INSTALL = """\
- name: Install the SNA emulator
  hosts: gw1
  gather_facts: false
  tasks:
    - ansible.builtin.copy: {src: "%(src)s", dest: /usr/local/src/failover-cluster/, mode: preserve}
    - ansible.builtin.command:
        argv: [python3, -m, sna_emulator, install, --prefix, /usr/local, --no-systemd]
        chdir: /usr/local/src/failover-cluster
"""

PER_LS = """\
- name: Definitions, one module call per link station
  hosts: gw1
  gather_facts: false
  tasks:
    - failover.cluster.sna_node: {state: defined, fqcp_name: "{{ node.fqcp_name }}", node_id: "{{ node.node_id }}"}
    - failover.cluster.sna_port: {state: defined, port_name: "{{ port.port_name }}", local_ip: "{{ port.local_ip }}"}
    - failover.cluster.sna_link_station:
        state: defined
        ls_name: "{{ item.ls_name }}"
        port_name: "{{ port.port_name }}"
        remote_ip_host: "{{ item.remote_ip_host }}"
        pu_name: "{{ item.pu_name }}"
      loop: "{{ link_stations }}"
    - failover.cluster.sna_node: {state: stopped}
"""

BATCHED = """\
- name: Definitions, one call for all
  hosts: gw1
  gather_facts: false
  tasks:
    - failover.cluster.sna_definitions: {node: "{{ node }}", port: "{{ port }}", link_stations: "{{ link_stations }}"}
"""

EMPTY = """\
- name: Nothing (Ansible's own start-up)
  hosts: gw1
  gather_facts: false
  tasks:
    - ansible.builtin.command: {argv: ["true"]}
      changed_when: false
"""


def lab(prefix, *args, check=True):
    return subprocess.run([*LABCTL, "--prefix", prefix, *args], capture_output=True, text=True, check=check)


def on_host(prefix, script):
    proc = lab(prefix, "exec", HOST, "--", "sh", "-c", script, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"on {HOST}: {script!r} failed: {proc.stdout}{proc.stderr}")
    return proc.stdout


def run_playbook(inventory, path, extra_vars=None):
    env = dict(
        os.environ,
        PATH=f"{VENV_BIN}:{os.environ['PATH']}",
        ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"),
        ANSIBLE_FORCE_COLOR="0",
    )
    argv = [str(VENV_BIN / "ansible-playbook"), "-i", inventory, str(path)]
    if extra_vars:
        argv += ["-e", "@" + str(extra_vars)]
    began = time.monotonic()
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=ROOT, check=False)
    elapsed = time.monotonic() - began
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-4000:] + proc.stderr[-2000:])
        raise SystemExit(f"{path.name} failed (rc {proc.returncode})")
    return elapsed


def reset(prefix):
    """No definitions, no daemon: a candidate that has never been provisioned."""
    on_host(prefix, "snap stop >/dev/null 2>&1; rm -f /var/lib/snaemu/sna_node.cfg; true")


def delete_one(prefix, name):
    on_host(prefix, f"snap start >/dev/null && snapadmin delete_ls, ls_name={name} >/dev/null && snap stop >/dev/null")


def defined(prefix):
    out = on_host(prefix, "snap start >/dev/null && snapadmin query_ls; snap stop >/dev/null")
    return sorted(line.split("=", 1)[1].strip() for line in out.splitlines() if line.startswith("ls_name"))


class Local:
    """The module calls of both forms as module processes against a private emulator."""

    def __init__(self, work: Path):
        self.work = work
        prefix = work / "prefix"
        subprocess.run(
            [sys.executable, "-m", "sna_emulator", "install", "--prefix", str(prefix), "--python", sys.executable,
             "--no-systemd"],
            check=True, capture_output=True, env=dict(os.environ, PYTHONPATH=str(EMULATOR.parent)),
            cwd=str(EMULATOR.parent),
        )
        self.bindir = prefix / "bin"
        self.state = work / "state"
        self.env = dict(os.environ, PATH=f"{self.bindir}:{os.environ['PATH']}", SNAEMU_STATE_DIR=str(self.state),
                        PYTHONPATH=str(ROOT / ".cache" / "collections"))

    def module(self, name, **params):
        args = self.work / "args.json"
        args.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": params}))
        proc = subprocess.run(
            [sys.executable, "-m", f"ansible_collections.failover.cluster.plugins.modules.{name}", str(args)],
            capture_output=True, text=True, env=self.env, check=False,
        )
        result = json.loads(proc.stdout)
        if result.get("failed"):
            raise SystemExit(f"{name}: {result.get('msg')}")
        return result

    def shell(self, *argv):
        proc = subprocess.run([str(self.bindir / argv[0]), *argv[1:]], capture_output=True, text=True,
                              env=self.env, check=False)
        return proc.stdout

    def run(self, form, lss):
        began = time.monotonic()
        if form == "per-LS":
            self.module("sna_node", state="defined", **NODE)
            self.module("sna_port", state="defined", **PORT)
            for ls in lss:
                self.module("sna_link_station", state="defined", port_name=PORT["port_name"], **ls)
            self.module("sna_node", state="stopped")
        else:
            self.module("sna_definitions", node=NODE, port=PORT, link_stations=lss)
        return time.monotonic() - began

    def reset(self):
        self.shell("snap", "stop")
        (self.state / "sna_node.cfg").unlink(missing_ok=True)

    def delete_one(self, name):
        self.shell("snap", "start")
        self.shell("snapadmin", "delete_ls,", f"ls_name={name}")
        self.shell("snap", "stop")

    def defined(self):
        self.shell("snap", "start")
        out = self.shell("snapadmin", "query_ls")
        self.shell("snap", "stop")
        return sorted(line.split("=", 1)[1].strip() for line in out.splitlines() if line.startswith("ls_name"))


def measure(results, counts, run, reset, delete_one, defined):
    for count in counts:
        lss = [{"ls_name": f"LS{i:03d}", "remote_ip_host": "198.51.100.14", "pu_name": f"PU{i:03d}"}
               for i in range(count)]
        victim = lss[count // 2]["ls_name"]
        for form in ("per-LS", "batched"):
            reset()
            row = {"count": count, "form": form}
            row["write_s"] = round(run(form, lss), 2)
            row["check_s"] = round(run(form, lss), 2)
            delete_one(victim)
            assert victim not in defined()
            row["repair_s"] = round(run(form, lss), 2)
            names = defined()
            row["repaired"] = victim in names and len(names) == count
            results["runs"].append(row)
            print(f"{count:>3} {form:<8} write {row['write_s']:6.2f} s  check {row['check_s']:6.2f} s  "
                  f"repair {row['repair_s']:6.2f} s  repaired={row['repaired']}", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counts", default="4,16,64", help="link-station counts (default 4,16,64)")
    parser.add_argument("--json", help="write the figures to this file")
    parser.add_argument("--prefix", default="bnsna", help="lab prefix (default bnsna)")
    parser.add_argument("--local", action="store_true", help="module processes on this machine, no lab")
    args = parser.parse_args()
    counts = [int(c) for c in args.counts.split(",")]
    results = {"machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                           "load_1min": os.getloadavg()[0]},
               "mode": "local" if args.local else "lab", "runs": []}
    work = Path(tempfile.mkdtemp(prefix="bench-sna-"))
    if args.local:
        local = Local(work)
        try:
            measure(results, counts, local.run, local.reset, local.delete_one, local.defined)
        finally:
            local.shell("snap", "stop")
        return report(results, args.json)
    try:
        lab(args.prefix, "up", "--replace", "--hosts", HOST)
        inventory = str(work / "inventory.yml")
        lab(args.prefix, "inventory", "-o", inventory)
        books = {}
        for name, text in (("install", INSTALL % {"src": EMULATOR}), ("per-LS", PER_LS), ("batched", BATCHED),
                           ("empty", EMPTY)):
            books[name] = work / f"{name}.yml"
            books[name].write_text(text)
        run_playbook(inventory, books["install"])
        results["empty_playbook_s"] = round(min(run_playbook(inventory, books["empty"]) for _ in range(3)), 2)

        def run(form, lss):
            extra = work / f"vars-{len(lss)}.json"
            extra.write_text(json.dumps({"node": NODE, "port": PORT, "link_stations": lss}))
            return run_playbook(inventory, books[form], extra)

        measure(results, counts, run, lambda: reset(args.prefix), lambda name: delete_one(args.prefix, name),
                lambda: defined(args.prefix))
    finally:
        lab(args.prefix, "down", check=False)
    return report(results, args.json)


def report(results, json_path):
    print()
    if "empty_playbook_s" in results:
        print(f"Ansible start-up (empty playbook, best of 3): {results['empty_playbook_s']:.2f} s")
    print(f"{'link stations':>13}  {'form':<8}{'write':>9}{'check':>9}{'repair':>9}")
    for row in results["runs"]:
        print(f"{row['count']:>13}  {row['form']:<8}{row['write_s']:>8.2f}s{row['check_s']:>8.2f}s"
              f"{row['repair_s']:>8.2f}s")
    if json_path:
        Path(json_path).write_text(json.dumps(results, indent=2) + "\n")
    return 0 if all(row["repaired"] for row in results["runs"]) else 1


if __name__ == "__main__":
    sys.exit(main())
