#!/usr/bin/env python3
"""Detection of a data-LAN failure on the holder, as a remote host on that LAN sees it: the
collection's monitored subnet (link level) and IP monitor (IP level) against the bare engine with
the same monitoring resources, in the same run.

Brings up its own namespace lab (benchmarks/monitoring_lab.yml, prefix ``bnmon``: node1, node2,
qs on the heartbeat network; node1, node2 and ``remote`` on the data network 203.0.113.0/24),
provisions the cluster with playbooks/provision.yml (the data addresses as stationary addresses,
``cluster_ip_monitor`` polling 203.0.113.1, the controller's address on the data network) and the
package ``netpkg`` (relocatable IP 203.0.113.50, ``monitored_subnet: [203.0.113.0/24]``, failback
manual). Then, with ``cibadmin`` and no collection code, the bare engine's equivalent: a group
``bare`` (IPaddr2 203.0.113.60, stickiness) with a hand-written ``ocf:heartbeat:ethmonitor`` clone
on the data interface and an ``ocf:pacemaker:ping`` clone with the same settings as the
collection's defaults (every 2 s, 2 echo requests 0.2 s apart, 1 s wait, 2600 ms dampening), and one location rule
(-INFINITY where either attribute is missing or below 1).

Both services run on the same node; each event fails the LAN for both at once:

* ``link``: ``ip link set dev <data interface> down`` on the holder;
* ``ip``: an nftables rule in the holder's namespace drops its packets to 203.0.113.1 (the link
  stays up; only the IP monitor can see it).

One probe process on ``remote`` (benchmarks/failover_probe.py, every 50 ms a broadcast ARP
request for each relocatable IP) gives the figure: from the event (the benchmark's clock just
before the command; the lab has no time namespace, so the probe's CLOCK_MONOTONIC is the same
clock) to the first sample where the address answers with the other node's MAC. Then the LAN
is repaired, both services stay where they are (manual failback / stickiness) and the next
event hits the new holder. A run where a service does not end up on the other node is marked
failed and left out.

Run as root from the checkout (after scripts/setup), under the lab lock:
  flock /tmp/fc-lab.lock timeout 900 .venv/bin/python benchmarks/bench_monitoring.py [--runs 3] [--json out.json]
Figures only: nothing is asserted about timing. The lab is torn down at the end, whatever happens.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_failover as bf  # noqa: E402 - the probe process and its reader are that benchmark's

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / ".cache" / "collections"))
from ansible_collections.failover.cluster.plugins.module_utils._status import transient_attributes  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
LABCTL = [sys.executable, str(ROOT / "lab" / "labctl")]
VENV_BIN = Path(sys.executable).parent
PREFIX = "bnmon"
DATA_NET = "203.0.113.0/24"
TARGET = "203.0.113.1"
PKG_IP = "203.0.113.50"
BARE_IP = "203.0.113.60"
REMOTE_IP = "203.0.113.14"
NODES = [{"name": "node1", "addresses": ["198.51.100.11/24"], "stationary_addresses": ["203.0.113.11/24"]},
         {"name": "node2", "addresses": ["198.51.100.12/24"], "stationary_addresses": ["203.0.113.12/24"]}]
NETPKG = {"package_name": "netpkg", "node_name": ["node1", "node2"], "failback_policy": "manual",
          "ip": [{"ip_address": PKG_IP}], "monitored_subnet": [DATA_NET]}
IP_MONITOR = [{"subnet": DATA_NET, "polling_targets": [TARGET]}]
NUMBER_ONE = ' value="1" type="number"'


def bare_xml(interface):
    """The bare engine's objects: the same monitoring, written by hand (no collection code)."""
    def nv(prefix, pairs):
        return "".join(f'<nvpair id="{prefix}-{k}" name="{k}" value="{v}"/>' for k, v in pairs)
    resources = [
        f'<clone id="bare-eth"><meta_attributes id="bare-eth-meta">{nv("bare-eth-meta", [("interleave", "true")])}'
        f'</meta_attributes><primitive id="bare-eth-mon" class="ocf" provider="heartbeat" type="ethmonitor">'
        f'<instance_attributes id="bare-eth-p">{nv("bare-eth-p", [("interface", interface), ("name", "bare-eth"), ("link_status_only", "true"), ("repeat_count", "1"), ("repeat_interval", "1")])}'  # noqa: E501
        f'</instance_attributes><operations><op id="bare-eth-mon-2s" name="monitor" interval="2s" timeout="20s"/>'
        f'</operations></primitive></clone>',
        f'<clone id="bare-ping"><meta_attributes id="bare-ping-meta">{nv("bare-ping-meta", [("interleave", "true")])}'
        f'</meta_attributes><primitive id="bare-ping-mon" class="ocf" provider="pacemaker" type="ping">'
        f'<instance_attributes id="bare-ping-p">{nv("bare-ping-p", [("host_list", TARGET), ("name", "bare-ping"), ("multiplier", "1"), ("attempts", "2"), ("timeout", "1"), ("dampen", "2600ms"), ("use_fping", "0"), ("options", "-i 0.2")])}'  # noqa: E501
        f'</instance_attributes><operations><op id="bare-ping-mon-2s" name="monitor" interval="2000ms" timeout="12s"/>'
        f'</operations></primitive></clone>',
        f'<group id="bare"><meta_attributes id="bare-meta">{nv("bare-meta", [("resource-stickiness", "10000")])}'
        f'</meta_attributes><primitive id="bare.ip" class="ocf" provider="heartbeat" type="IPaddr2">'
        f'<instance_attributes id="bare.ip-p">{nv("bare.ip-p", [("ip", BARE_IP), ("cidr_netmask", "24")])}'
        f'</instance_attributes><operations><op id="bare.ip-mon" name="monitor" interval="10s" timeout="20s"/>'
        f'</operations></primitive></group>']
    expressions = "".join(
        f'<expression id="bare-net-{k}" attribute="{a}" operation="{op}"{v}/>'
        for k, a, op, v in (("eu", "bare-eth", "not_defined", ""), ("ez", "bare-eth", "lt", NUMBER_ONE),
                            ("pu", "bare-ping", "not_defined", ""), ("pz", "bare-ping", "lt", NUMBER_ONE)))
    constraint = (f'<rsc_location id="bare-net" rsc="bare"><rule id="bare-net-rule" score="-INFINITY" boolean-op="or">'
                  f'{expressions}</rule></rsc_location>')
    return resources, constraint


class Lab:
    prefix = PREFIX

    def run(self, *args, check=True, timeout=300):
        return subprocess.run([*LABCTL, "--prefix", PREFIX, *args], capture_output=True, text=True, check=check,
                              timeout=timeout)

    def exec(self, host, *argv, check=True):
        return self.run("exec", host, "--", *argv, check=check).stdout


def crm_where(lab):
    """{resource id: node} of started resources (crm_mon XML)."""
    root = ET.fromstring(lab.exec("node1", "crm_mon", "-1", "--output-as=xml"))
    where = {}
    for res in root.iter("resource"):
        node = res.find("node")
        if res.get("role") == "Started" and node is not None:
            where[res.get("id")] = node.get("name")
    return where


def holders(lab):
    where = crm_where(lab)
    return where.get("fc.netpkg.ip0"), where.get("bare.ip")


def wait_for(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.25)
    raise RuntimeError(f"timed out waiting for {what}")


def attribute(lab, node, name):
    return transient_attributes(ET.fromstring(lab.exec("node1", "cibadmin", "--query", "--scope", "status"))).get(
        node, {}).get(name)


def all_up(lab):
    return all(attribute(lab, n, a) == "1" for n in ("node1", "node2")
               for a in ("fc-subnet-203-0-113-0-24", "fc-ping-203-0-113-0-24", "bare-eth", "bare-ping"))


def provision(lab, work):
    lab.run("up", "--replace", "--spec", str(ROOT / "benchmarks" / "monitoring_lab.yml"))
    lab.run("inventory", "-o", str(work / "lab.yml"))
    extra = work / "extra.yml"
    extra.write_text(yaml.safe_dump({"packages_list": [NETPKG], "cluster_nodes": NODES,
                                     "cluster_ip_monitor": IP_MONITOR}))
    env = dict(os.environ, PATH=f"{VENV_BIN}:{os.environ['PATH']}", ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"))
    argv = [str(VENV_BIN / "ansible-playbook"), "-i", str(work / "lab.yml"), "-i", str(ROOT / "inventories" / "lab"),
            "-e", f"@{extra}", str(ROOT / "playbooks" / "provision.yml")]
    proc = subprocess.run(argv, capture_output=True, text=True, cwd=ROOT, env=env, timeout=900, check=False)
    if proc.returncode != 0:
        raise RuntimeError("provision failed:\n" + proc.stdout[-3000:] + proc.stderr[-2000:])
    ifaces = {n: lab.exec(n, "ip", "-o", "-4", "addr", "show", "to", DATA_NET).split()[1].split("@")[0]
              for n in ("node1", "node2")}
    if len(set(ifaces.values())) != 1:
        raise RuntimeError(f"the data interface differs per node ({ifaces}); the bare ethmonitor needs one name")
    resources, constraint = bare_xml(ifaces["node1"])
    for element in resources:
        lab.exec("node1", "cibadmin", "--create", "--scope", "resources", "--xml-text", element)
    lab.exec("node1", "cibadmin", "--create", "--scope", "constraints", "--xml-text", constraint)
    wait_for(lambda: all_up(lab), 90, "every monitor attribute at 1")
    wait_for(lambda: None not in holders(lab), 60, "both services started")
    # both services on one node, so that one event fails both
    pkg, bare = holders(lab)
    if pkg != bare:
        lab.exec("node1", "crm_resource", "--move", "--resource", "bare", "--node", pkg)
        wait_for(lambda: holders(lab)[1] == pkg, 60, "bare on the package's node")
        lab.exec("node1", "crm_resource", "--clear", "--resource", "bare")
    return ifaces["node1"]


def mac_of(lab, node, nic):
    return lab.exec(node, "cat", f"/sys/class/net/{nic}/address").strip()


def event(lab, probe, kind, nic, macs):
    pkg, bare = holders(lab)
    if pkg != bare or pkg is None:
        raise RuntimeError(f"services not together: netpkg on {pkg}, bare on {bare}")
    other = "node2" if pkg == "node1" else "node1"
    if kind == "link":
        fail = [["ip", "link", "set", "dev", nic, "down"]]
        repair = [["ip", "link", "set", "dev", nic, "up"]]
    else:
        fail = [["nft", "add", "table", "inet", "fcbench"],
                ["nft", "add", "chain", "inet", "fcbench", "out", "{ type filter hook output priority 0 ; }"]]
        repair = [["nft", "delete", "table", "inet", "fcbench"]]
    for argv in fail:
        lab.exec(pkg, *argv)
    t0 = time.monotonic()
    if kind == "ip":
        lab.exec(pkg, "nft", "add", "rule", "inet", "fcbench", "out", "ip", "daddr", TARGET, "drop")
    try:
        t_pkg = probe.first(PKG_IP, macs[other], t0, 45)
        t_bare = probe.first(BARE_IP, macs[other], t0, 45 - (time.monotonic() - t0))
        where = holders(lab)
        if where != (other, other):  # say why before the repair: addresses, attributes
            for node in ("node1", "node2"):
                print(node, lab.exec(node, "ip", "-o", "-4", "addr", "show", "dev", nic, check=False).strip(),
                      {a: attribute(lab, node, a) for a in ("fc-subnet-203-0-113-0-24", "fc-ping-203-0-113-0-24",
                                                            "bare-eth", "bare-ping")}, flush=True)
            print("t0", t0, "pkg seen", t_pkg, "bare seen", t_bare, "macs", macs, flush=True)
    finally:
        for argv in repair:
            lab.exec(pkg, *argv, check=False)
    ok_pkg = t_pkg is not None and where[0] == other
    ok_bare = t_bare is not None and where[1] == other
    if not (ok_pkg and ok_bare):  # say why: attributes, fail counts, failed actions
        print(lab.exec("node1", "crm_mon", "-1", "-A", "-f", "-r", check=False), flush=True)
    wait_for(lambda: all_up(lab), 90, "every monitor attribute at 1 again")
    # a link failure takes the subnet's route away, and IPaddr2's stop then leaves the address on the failed
    # node (its findif fails): with the link back both nodes would answer for it. The collection's ip agent
    # deletes it; for the bare engine the benchmark does (an operator would have to), and says so.
    left = {}
    for name, ip in (("collection", PKG_IP), ("bare", BARE_IP)):
        left[name] = bool(lab.exec(pkg, "ip", "-o", "-4", "addr", "show", "to", ip + "/32").strip())
        if left[name]:
            lab.exec(pkg, "ip", "-4", "addr", "del", ip + "/24", "dev", nic, check=False)
    time.sleep(2)
    return {"kind": kind, "from": pkg, "to": other, "left_address": left,
            "collection": round(t_pkg - t0, 3) if ok_pkg else None, "bare": round(t_bare - t0, 3) if ok_bare else None}


def report(results):
    print(f"\n{'event':<8}{'runs':>5}  {'collection median (min-max) s':<32}{'bare engine median (min-max) s':<32}"
          f"{'ratio':>6}")
    for kind in ("link", "ip"):
        rows = [r for r in results if r["kind"] == kind]
        col = [r["collection"] for r in rows if r["collection"] is not None]
        bare = [r["bare"] for r in rows if r["bare"] is not None]

        def cell(values):
            if not values:
                return "-"
            return f"{statistics.median(values):.2f} ({min(values):.2f}-{max(values):.2f})"
        ratio = f"{statistics.median(col) / statistics.median(bare):.2f}" if col and bare else "-"
        failed = sum(1 for r in rows if r["collection"] is None or r["bare"] is None)
        print(f"{kind:<8}{len(rows):>5}  {cell(col):<32}{cell(bare):<32}{ratio:>6}"
              + (f"  ({failed} failed)" if failed else ""))
    for name in ("collection", "bare"):
        count = sum(1 for r in results if r["left_address"][name])
        print(f"{name}: the failed node kept the relocatable address after {count} of {len(results)} events")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="events of each kind (default 3)")
    parser.add_argument("--json", help="write the raw results here")
    args = parser.parse_args(argv)
    lab = Lab()
    probe = None
    results = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            nic = provision(lab, Path(tmp))
            macs = {n: mac_of(lab, n, nic) for n in ("node1", "node2")}
            remote_if = lab.exec("remote", "ip", "-o", "-4", "addr", "show", "to", DATA_NET).split()[1].split("@")[0]
            probe = bf.Probe(lab, host="remote", iface=remote_if, source_ip=REMOTE_IP, snahost_socket="/nonexistent",
                             ips=(PKG_IP, BARE_IP))
            time.sleep(2)
            if not probe.samples or probe.samples[-1]["arp"].get(PKG_IP) != macs[holders(lab)[0]]:
                raise RuntimeError(f"the probe on remote does not see {PKG_IP} answer from its holder")
            for k in range(args.runs):
                for kind in ("link", "ip"):
                    result = event(lab, probe, kind, nic, macs)
                    results.append(result)
                    print(f"run {k + 1} {kind}: {result['from']} -> {result['to']}: collection "
                          f"{result['collection']} s, bare {result['bare']} s; address left on the failed node: "
                          f"{result['left_address']}", flush=True)
    finally:
        if probe is not None:
            probe.stop()
        lab.run("down", check=False)
    report(results)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
