#!/usr/bin/env python3
"""Apply time of N packages: the collection's path against a bare transaction and per-package calls.

For each size (default 1, 50, 200) and each method, a FRESH real single-node Corosync +
Pacemaker cluster is started in private namespaces (tests/integration/pacemaker_node.py), the
packages are written, the cluster is left to settle (``crm_resource --wait``), and pacemakerd's
children are checked for restarts (their PIDs before and after). Methods, same XML each time:

* ``collection``: compile on the "controller" (``compile_request``) + the ``package`` module
  run on the node as Ansible would (a fresh Python process: ``cibadmin --query``, merge, plan,
  ``crm_diff``, ONE ``cibadmin --patch``);
* ``collection_core``: the same code (compile, ``cibadmin --query``, plan, ``crm_diff``, one
  ``cibadmin --patch``) called in-process - the collection's apply without the start-up of a
  module process that every Ansible task pays;
* ``bare``: one ``cibadmin --modify --allow-create --scope configuration`` of the precompiled XML;
* ``per_package``: one ``cibadmin --create --scope resources`` per package.

Each package is a group of 5 primitives (1 IPaddr2 + 4 ``anything`` services), created with
target-role Stopped (``auto_run: false``) so nothing starts; ``node_name: '*'`` with
``min_package_node`` gives no location constraints, so the group is the package's whole XML
and all three methods write exactly the same objects.

Startup probes: by default the cluster property ``enable-startup-probes`` is false, so settling
does not mean probing 5 x N resources (on 2 cores the lab saw 2-3 minutes and pacemakerd
restarting overloaded daemons for 1000 probed resources); ``--probes`` turns them on.

    sudo .venv/bin/python benchmarks/bench_cib_apply.py [--sizes 1,50,200] [--json out.json] [--probes]

Needs root. Prints a table; ``--json`` writes every figure.
"""

from __future__ import annotations

import argparse
import json
import os
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
METHODS = ("collection", "collection_core", "bare", "per_package")


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


def specs(count):
    if count > 230:
        raise SystemExit("at most 230 packages (one address each in 198.51.100.0/24)")
    return [{
        "package_name": "p{0:03d}".format(i),
        "node_name": "*",
        "failover_policy": "min_package_node",
        "auto_run": False,
        "ip": [{"ip_address": "198.51.100.{0}".format(20 + i)}],
        "services": [{"service_name": "s{0}".format(k), "service_cmd": "/usr/bin/sleep {0}".format(100000 + k)}
                     for k in range(4)],
    } for i in range(count)]


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


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1,50,200")
    parser.add_argument("--json", help="write the figures to this file")
    parser.add_argument("--probes", action="store_true", help="keep startup probes on (slow settle)")
    args = parser.parse_args()
    reason = usable_reason()
    if reason:
        raise SystemExit("cannot run real daemons here: " + reason)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    rows = []
    print("{0:>5} {1:<12} {2:>9} {3:>6} {4:>9} {5:>7}  {6}".format("pkgs", "method", "apply s", "calls", "settle s",
                                                                   "groups", "daemon restarts"))
    for size in sizes:
        for method in METHODS:
            row = measure(size, method, args.probes)
            rows.append(row)
            print("{size:>5} {method:<12} {apply_s:>9.3f} {cib_calls:>6} {settle_s:>9.2f} {groups_in_cib:>7}  "
                  "{restarts}".format(restarts=",".join(row["daemon_restarts"]) or "none", **row), flush=True)
    summary = []
    for size in sizes:
        by = {r["method"]: r for r in rows if r["size"] == size}
        ratio_bare = by["collection"]["apply_s"] / by["bare"]["apply_s"]
        ratio_core = by["collection_core"]["apply_s"] / by["bare"]["apply_s"]
        speedup = by["per_package"]["apply_s"] / by["collection"]["apply_s"]
        summary.append({"size": size, "collection_vs_bare": round(ratio_bare, 2),
                        "collection_core_vs_bare": round(ratio_core, 2),
                        "per_package_vs_collection": round(speedup, 2)})
        print("{0:>5} packages: collection = {1:.2f} x bare ({2:.2f} x without module start-up); per-package calls "
              "= {3:.2f} x collection".format(size, ratio_bare, ratio_core, speedup))
    if args.json:
        Path(args.json).write_text(json.dumps({"probes": args.probes, "rows": rows, "summary": summary}, indent=2)
                                   + "\n")


if __name__ == "__main__":
    main()
