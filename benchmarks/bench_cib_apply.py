#!/usr/bin/env python3
"""Apply time of N packages against a bare transaction; add/remove while Pacemaker is probing.

Part 1 - apply time. For each size (default 1, 100, 500) and each method, a FRESH real
single-node Corosync + Pacemaker cluster is started in private namespaces
(tests/integration/pacemaker_node.py), the packages are written, the cluster is left to settle
(``crm_resource --wait``), and pacemakerd's children are checked for restarts (their PIDs
before and after). Methods, same XML each time:

* ``collection``: compile on the "controller" (``compile_request``) + the ``package`` module
  run on the node as Ansible would (a fresh Python process: ``cibadmin --query``, merge, plan,
  ``crm_diff``, ONE ``cibadmin --patch``);
* ``collection_core``: the same code (compile, ``cibadmin --query``, plan, ``crm_diff``, one
  ``cibadmin --patch``) called in-process - the collection's apply without the start-up of a
  module process that every Ansible task pays;
* ``bare``: one ``cibadmin --modify --allow-create --scope configuration`` of the precompiled XML;
* ``per_package`` (only with ``--methods``): one ``cibadmin --create --scope resources`` per package.

Each package is a group of 5 primitives (1 ``ocf:failover:ip`` + 4 ``anything`` services; past
the 460 addresses of the two lab subnets, a fifth service instead of the IP), created with
target-role Stopped (``auto_run: false``) so nothing starts; ``node_name: '*'`` with
``min_package_node`` gives no location constraints, so the group is the package's whole XML
and all methods write exactly the same objects. Startup probes are off for this part
(``enable-startup-probes=false``), so settling does not mean probing 5 x N resources.

Part 2 - churn (issue 12). One fresh cluster WITH startup probes; ``--churn-rounds`` times
(default 20): add ``--churn-size`` packages (default 100) through the module process, wait
``--churn-delay`` seconds (default 5: Pacemaker is still probing the 500 new resources), remove
them through the module process. Counts failed module runs (target 0), the retries the
engine needed (a retry = a concurrent configuration change refused the patch), and checks the
CIB after each step (all 100 there / none left).

    sudo .venv/bin/python benchmarks/bench_cib_apply.py [--sizes 1,100,500] [--json out.json]
        [--methods collection,collection_core,bare] [--churn-rounds 20]

Needs root. Prints tables; ``--json`` writes every figure.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COLLECTIONS = ROOT / ".cache" / "collections"
sys.path.insert(0, str(ROOT / "tests" / "integration"))
sys.path.insert(0, str(COLLECTIONS))

from pacemaker_node import PacemakerNode, usable_reason  # noqa: E402

from ansible_collections.failover.cluster.plugins.module_utils._cib_apply import (  # noqa: E402
    apply_desired,
    package_to_xml,
    read_cib,
)
from ansible_collections.failover.cluster.plugins.module_utils._model.cib import Compiled  # noqa: E402
from ansible_collections.failover.cluster.plugins.module_utils._package_args import compile_request  # noqa: E402

CLUSTER = {
    "name": "fcbench",
    "nodes": [{"name": "node1", "addresses": ["198.51.100.11/24"]},
              {"name": "node2", "addresses": ["198.51.100.12/24"]}],
    "quorum_server": {"host": "qs", "address": "198.51.100.10"},
}
CLUSTER["nodes"][0]["stationary_addresses"] = ["203.0.113.11/24"]
CLUSTER["nodes"][1]["stationary_addresses"] = ["203.0.113.12/24"]
METHODS = ("collection", "collection_core", "bare", "per_package")
DEFAULT_METHODS = ("collection", "collection_core", "bare")


class NodeRunner:
    """The module's Runner interface, running each argv inside the node (no module process)."""

    def __init__(self, node):
        self.node = node
        self.commands = []

    def which(self, name, required=True):
        return name

    def run(self, argv, check=True, data=None):
        self.commands.append(list(argv))
        proc = self.node.run(list(argv), check=False, input=data)
        if check and proc.returncode != 0:
            raise RuntimeError("{0} exited {1}: {2}".format(argv, proc.returncode, proc.stderr))
        return proc.returncode, proc.stdout, proc.stderr


def address(i):
    """Two lab subnets, 230 addresses each (.20-.249); None past them."""
    if i < 230:
        return "198.51.100.{0}".format(20 + i)
    if i < 460:
        return "203.0.113.{0}".format(20 + i - 230)
    return None


def specs(count):
    result = []
    for i in range(count):
        spec = {
            "package_name": "p{0:03d}".format(i),
            "node_name": "*",
            "failover_policy": "min_package_node",
            "auto_run": False,
            "services": [{"service_name": "s{0}".format(k), "service_cmd": "/usr/bin/sleep {0}".format(100000 + k)}
                         for k in range(4)],
        }
        if address(i):
            spec["ip"] = [{"ip_address": address(i)}]
        else:
            spec["services"].append({"service_name": "s4", "service_cmd": "/usr/bin/sleep 100004"})
        result.append(spec)
    return result


def run_module(node, params, workdir):
    args = Path(workdir, "args.json")
    args.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": params}))
    proc = subprocess.run(
        [*node.wrap, sys.executable, "-m", "ansible_collections.failover.cluster.plugins.modules.package", str(args)],
        capture_output=True, text=True, env=dict(os.environ, PYTHONPATH=str(COLLECTIONS)), timeout=600, check=False)
    result = json.loads(proc.stdout)
    if result.get("failed"):
        raise RuntimeError(result["msg"])
    return result


def apply(node, method, packages, workdir):
    """Write the packages; returns (seconds, number of CIB calls)."""
    begin = time.monotonic()
    if method == "collection":
        desired, _warnings = compile_request({"cluster": CLUSTER, "packages": packages})
        result = run_module(node, {"packages": [p["package_name"] for p in packages],
                                   "compiled": [package_to_xml(p) for p in desired.values()]}, workdir)
        seconds = time.monotonic() - begin
        return seconds, len(result["commands"])
    if method == "collection_core":
        desired, _warnings = compile_request({"cluster": CLUSTER, "packages": packages})
        runner = NodeRunner(node)
        _plan, _retries = apply_desired(runner, read_cib(runner), desired)
        return time.monotonic() - begin, len(runner.commands)
    desired, _warnings = compile_request({"cluster": CLUSTER, "packages": packages})  # precompiled, not timed
    if method == "bare":
        path = Path(workdir, "configuration.xml")
        path.write_text(Compiled(packages=desired).to_xml())
        begin = time.monotonic()
        node.run(["cibadmin", "--modify", "--allow-create", "--scope", "configuration", "--xml-file", str(path)])
        return time.monotonic() - begin, 1
    texts = []
    for compiled in desired.values():
        if compiled.constraints:
            raise RuntimeError("benchmark packages must have no constraints")
        texts.append(ET.tostring(compiled.resource, encoding="unicode"))
    begin = time.monotonic()
    for text in texts:
        node.run(["cibadmin", "--create", "--scope", "resources", "--xml-text", text])
    return time.monotonic() - begin, len(texts)


def measure(size, method, probes):
    properties = {} if probes else {"enable-startup-probes": "false"}
    node = PacemakerNode(cluster="fcbench", properties=properties)
    node.start()
    try:
        with tempfile.TemporaryDirectory(prefix="fc-bench-") as workdir:
            node.settle()
            daemons = node.daemon_pids()
            seconds, calls = apply(node, method, specs(size), workdir)
            settle = node.settle(timeout=900)
            after = node.daemon_pids()
            groups = node.cib("resources").count("<group ")
            return {"size": size, "method": method, "apply_s": round(seconds, 4), "cib_calls": calls,
                    "settle_s": round(settle, 2), "groups_in_cib": groups,
                    "daemon_restarts": sorted(k for k in daemons if after.get(k) != daemons[k]),
                    "cluster_start_s": round(node.start_seconds, 2)}
    finally:
        node.stop()


def churn(rounds, size, delay):
    """Add ``size`` packages, remove them ``delay`` s later, ``rounds`` times, while probes run."""
    node = PacemakerNode(cluster="fcbench")  # startup probes on (Pacemaker's default)
    node.start()
    rows = []
    try:
        with tempfile.TemporaryDirectory(prefix="fc-bench-") as workdir:
            node.settle()
            daemons = node.daemon_pids()
            packages = specs(size)
            desired, _warnings = compile_request({"cluster": CLUSTER, "packages": packages})
            compiled = [package_to_xml(p) for p in desired.values()]
            names = [p["package_name"] for p in packages]
            for number in range(1, rounds + 1):
                row = {"round": number}
                for step, params, want in (("add", {"packages": names, "compiled": compiled}, size),
                                           ("remove", {"state": "absent", "packages": names}, 0)):
                    begin = time.monotonic()
                    try:
                        result = run_module(node, params, workdir)
                        row[step + "_error"] = None
                        row[step + "_retries"] = result.get("retries", 0)
                    except (RuntimeError, ValueError) as exc:
                        result = None
                        row[step + "_error"] = str(exc)[:300]
                        row[step + "_retries"] = None
                    row[step + "_s"] = round(time.monotonic() - begin, 3)
                    row[step + "_groups"] = node.cib("resources").count("<group ")
                    row[step + "_ok"] = result is not None and row[step + "_groups"] == want
                    if step == "add":
                        time.sleep(delay)
                        row["pending_probes_at_remove"] = pending_probes(node, size)
                rows.append(row)
                print("{round:>5} {add_s:>7.2f} {add_retries!s:>7} {pending_probes_at_remove:>8} {remove_s:>8.2f} "
                      "{remove_retries!s:>7}  {status}".format(
                          status="ok" if row["add_ok"] and row["remove_ok"] else "FAILED: {0} {1}".format(
                              row["add_error"] or "", row["remove_error"] or ""), **row), flush=True)
            after = node.daemon_pids()
            restarts = sorted(k for k in daemons if after.get(k) != daemons[k])
    finally:
        node.stop()
    failures = sum((not r["add_ok"]) + (not r["remove_ok"]) for r in rows)
    return {"rounds": rows, "failures": failures, "daemon_restarts": restarts,
            "retries": sum((r["add_retries"] or 0) + (r["remove_retries"] or 0) for r in rows)}


PROBE_DONE = re.compile(r'operation_key="fc\.p[0-9]{3}[^"]*_monitor_0"')


def pending_probes(node, size):
    """Probes (``monitor_0``) of the benchmark's resources the status section does not show as done yet."""
    done = len(set(PROBE_DONE.findall(node.cib("status"))))
    return max(5 * size - done, 0)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1,100,500")
    parser.add_argument("--methods", default=",".join(DEFAULT_METHODS), help="of " + ", ".join(METHODS))
    parser.add_argument("--json", help="write the figures to this file")
    parser.add_argument("--probes", action="store_true", help="keep startup probes on in part 1 (slow settle)")
    parser.add_argument("--churn-rounds", type=int, default=20, help="part 2 rounds (0: skip part 2)")
    parser.add_argument("--churn-size", type=int, default=100)
    parser.add_argument("--churn-delay", type=float, default=5.0)
    args = parser.parse_args()
    reason = usable_reason()
    if reason:
        raise SystemExit("cannot run real daemons here: " + reason)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    methods = [m for m in args.methods.split(",") if m]
    unknown = sorted(set(methods) - set(METHODS))
    if unknown or "collection" not in methods or "bare" not in methods:
        raise SystemExit("--methods: collection and bare are needed; unknown: {0}".format(", ".join(unknown)))
    load = [os.getloadavg()[0]]
    rows = []
    print("part 1: apply time, fresh single-node cluster per row, startup probes {0}".format(
        "on" if args.probes else "off"))
    print("{0:>5} {1:<16} {2:>9} {3:>6} {4:>9} {5:>7}  {6}".format("pkgs", "method", "apply s", "calls", "settle s",
                                                                   "groups", "daemon restarts"))
    for size in sizes:
        for method in methods:
            row = measure(size, method, args.probes)
            rows.append(row)
            print("{size:>5} {method:<16} {apply_s:>9.3f} {cib_calls:>6} {settle_s:>9.2f} {groups_in_cib:>7}  "
                  "{restarts}".format(restarts=",".join(row["daemon_restarts"]) or "none", **row), flush=True)
    load.append(os.getloadavg()[0])
    summary = []
    by = {(r["size"], r["method"]): r["apply_s"] for r in rows}
    for size in sizes:
        entry = {"size": size, "collection_vs_bare": round(by[size, "collection"] / by[size, "bare"], 2)}
        text = "{0:>5} packages: collection {1:.3f} s = {2:.2f} x bare ({3:.3f} s)".format(
            size, by[size, "collection"], entry["collection_vs_bare"], by[size, "bare"])
        if (size, "collection_core") in by:
            entry["collection_core_vs_bare"] = round(by[size, "collection_core"] / by[size, "bare"], 2)
            text += "; code only {0:.3f} s = {1:.2f} x bare".format(by[size, "collection_core"],
                                                                   entry["collection_core_vs_bare"])
        if (size, "per_package") in by:
            entry["per_package_vs_collection"] = round(by[size, "per_package"] / by[size, "collection"], 2)
            text += "; per-package calls = {0:.2f} x collection".format(entry["per_package_vs_collection"])
        summary.append(entry)
        print(text)
    scaling = {}
    if len(sizes) > 1:
        small, large = min(sizes), max(sizes)
        for method in methods:
            scaling[method] = round(by[large, method] / by[small, method], 2)
        print("{0} packages / {1} package: ".format(large, small) + ", ".join(
            "{0} {1:.2f} x".format(m, v) for m, v in scaling.items()) + " (target for collection: <= 2 x)")
    churn_result = None
    if args.churn_rounds > 0:
        print("\npart 2: add {0} packages, remove them {1:g} s later, {2} rounds, startup probes on; module process "
              "each step".format(args.churn_size, args.churn_delay, args.churn_rounds))
        print("{0:>5} {1:>7} {2:>7} {3:>8} {4:>8} {5:>7}".format(
            "round", "add s", "retries", "probing", "remove s", "retries"))
        churn_result = churn(args.churn_rounds, args.churn_size, args.churn_delay)
        load.append(os.getloadavg()[0])
        print("failures: {failures} of {n} module runs (target 0); engine retries: {retries}; daemon restarts: "
              "{restarts}".format(n=2 * args.churn_rounds, restarts=",".join(churn_result["daemon_restarts"]) or "none",
                                  **churn_result))
    print("1-minute load average: " + " -> ".join("{0:.1f}".format(v) for v in load))
    if args.json:
        Path(args.json).write_text(json.dumps({"probes": args.probes, "rows": rows, "summary": summary,
                                               "scaling": scaling, "churn": churn_result, "load": load},
                                              indent=2) + "\n")


if __name__ == "__main__":
    main()
