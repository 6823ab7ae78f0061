"""Compile-time benchmark of the package model: prints figures, asserts nothing.

Run: PYTHONPATH=.cache/collections .venv/bin/python benchmarks/bench_compile.py [count]
"""

import statistics
import sys
import time

from ansible_collections.failover.cluster.plugins.module_utils._model import cib
from ansible_collections.failover.cluster.plugins.module_utils._model.cluster import build_cluster
from ansible_collections.failover.cluster.plugins.module_utils._model.package import build_packages


def make_cluster():
    nodes = [{"name": "node%d" % i, "addresses": ["10.1.0.%d/16" % i, "10.2.0.%d/16" % i]} for i in range(1, 5)]
    return build_cluster({"name": "bench", "nodes": nodes, "quorum_server": {"host": "qs", "address": "10.3.0.1"}})[0]


def make_packages(count):
    specs = []
    for i in range(count):
        specs.append({
            "package_name": "pkg%04d" % i,
            "node_name": ["node%d" % (1 + i % 4), "node%d" % (1 + (i + 1) % 4)],
            "ip": [{"ip_address": "10.1.%d.%d" % (10 + i // 200, 1 + i % 200)}],
            "services": [{"service_name": "svc%d" % k, "service_unit": "app%d.service" % k, "service_restart": 2}
                         for k in range(3)],
            "resources": [{"name": "step", "agent": "ocf:heartbeat:Dummy"}],
            "dependencies": [{"dependency_name": "pkg%04d" % (i - 1)}] if i % 10 else [],
            "auto_run": False,
        })
    return specs


def main():
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    cluster = make_cluster()
    specs = make_packages(count)
    live = "<cib><configuration><resources/><constraints/></configuration><status/></cib>"
    runs = {"validate": [], "compile": [], "xml": [], "merge": [], "changed": []}
    for _ in range(5):
        t0 = time.perf_counter()
        packages, _warnings = build_packages(specs, cluster)
        t1 = time.perf_counter()
        compiled = cib.compile_packages(packages, cluster)
        t2 = time.perf_counter()
        compiled.to_xml()
        t3 = time.perf_counter()
        new = cib.merge(live, compiled)
        t4 = time.perf_counter()
        cib.changed_objects(live, new)
        t5 = time.perf_counter()
        for key, value in zip(runs, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4), strict=True):
            runs[key].append(value)
    primitives = sum(len(p.resource.findall(".//primitive")) for p in compiled.packages.values())
    print("packages: %d (%d primitives, %d constraints)" % (
        count, primitives, sum(len(p.constraints) for p in compiled.packages.values())))
    for key, values in runs.items():
        print("%-9s median %.3f s  (min %.3f, max %.3f, 5 runs)" % (
            key, statistics.median(values), min(values), max(values)))
    total = sum(statistics.median(v) for k, v in runs.items() if k in ("validate", "compile", "xml"))
    print("validate+compile+serialize: %.3f s for %d packages" % (total, count))


if __name__ == "__main__":
    main()
