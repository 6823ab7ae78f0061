"""A real single-node Corosync + Pacemaker cluster in its own namespaces (tests, benchmarks).

``PacemakerNode().start()`` runs ``unshare --net --mount --uts --ipc --pid --fork
--mount-proc`` with a tiny Python PID 1 that runs a bash script and then reaps orphans
(resource agents daemonize; unreaped zombies look alive to them). The script gives the node
private tmpfs mounts over every directory the daemons write (``/run``, ``/dev/shm``,
``/etc/corosync``, ``/var/lib/pacemaker``, ``/var/lib/corosync``, ``/var/log/...``), a veth
pair with a documentation address (198.51.100.11/24 on ``d0``), its own hostname, a
``corosync.conf`` and a CIB seeded with ``stonith-enabled=false`` and ``dc-deadtime=5s``,
then starts corosync and pacemakerd. The node sees the collection's OCF agents (provider
``failover``, from this checkout) under a private ``/usr/lib/ocf``. Nothing it does is visible outside its
namespaces; ``stop()`` SIGKILLs that PID 1 (the kernel then kills every process of the PID
namespace, and the mount and network namespaces go with them).

The corosync nodelist also names a second node (``node2``, 198.51.100.12) that never runs:
node1 carries 2 of the 3 votes, so it is quorate on its own, and Pacemaker knows an offline
node, which is what the "target node not online" and switching tests need.

Commands run inside the node with ``node.run([...])`` or, for modules, with the
``node.wrap`` prefix (``nsenter -t PID -a``).
"""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
import time
from pathlib import Path

AGENTS = Path(__file__).resolve().parents[2] / "roles" / "ocf_agents" / "files"
SNA_CLI = Path(__file__).resolve().parents[2] / "plugins" / "module_utils" / "_sna_cli.py"

SETUP = r"""
set -e
mount -t tmpfs none /run
mount -t tmpfs none /dev/shm
for d in /etc/corosync /var/lib/pacemaker /var/lib/corosync /var/log/pacemaker /var/log/corosync; do
  mkdir -p "$d"; mount -t tmpfs none "$d"
done
mkdir -p /var/lib/pacemaker/cib /var/lib/pacemaker/pengine /var/lib/pacemaker/blackbox /var/lib/pacemaker/cores \
  /run/pacemaker /run/resource-agents
chown -R hacluster:haclient /var/lib/pacemaker /var/log/pacemaker
# the collection's OCF agents (provider failover), from the checkout, in this node only: a private
# /usr/lib/ocf whose other providers are links to the host's
mkdir -p /run/ocf-host /run/ocf/resource.d /run/ocf/lib
mount --bind /usr/lib/ocf /run/ocf-host
for d in /run/ocf-host/resource.d/* /run/ocf-host/lib/*; do
  case "$d" in */failover) ;; *) ln -s "$d" "/run/ocf/${d#/run/ocf-host/}" ;; esac
done
cp -r "$FC_AGENTS/resource.d/failover" /run/ocf/resource.d/failover
cp -r "$FC_AGENTS/lib/failover" /run/ocf/lib/failover
cp "$FC_SNA_CLI" /run/ocf/lib/failover/_sna_cli.py  # as the ocf_agents role installs it
mount --bind /run/ocf /usr/lib/ocf
hostname "$FC_NODE"
ip link set lo up
ip link add d0 type veth peer name d1
ip link set d0 up
ip link set d1 up
ip addr add "$FC_ADDR/24" dev d0
cp "$FC_DIR/corosync.conf" /etc/corosync/corosync.conf
install -o hacluster -g haclient -m 0600 "$FC_DIR/cib.xml" /var/lib/pacemaker/cib/cib.xml
corosync-keygen -l -k /etc/corosync/authkey >/dev/null 2>&1
corosync
for i in $(seq 50); do corosync-quorumtool -s >/dev/null 2>&1 && break; sleep 0.2; done
/usr/sbin/pacemakerd >/dev/null 2>&1 &
echo started > "$FC_DIR/started"
"""

# PID 1 of the node: runs the setup script, then reaps every orphan (resource agents
# daemonize their processes; a PID 1 that does not reap leaves zombies that look alive).
REAPER = """
import os, subprocess, sys, time
subprocess.run(["bash", sys.argv[1]], check=False)
while True:
    try:
        os.wait()
    except ChildProcessError:
        time.sleep(1)
"""

COROSYNC_CONF = """totem {{
 version: 2
 cluster_name: {cluster}
 transport: knet
 crypto_cipher: aes256
 crypto_hash: sha256
 token: 1000
}}
nodelist {{
 node {{
  ring0_addr: {addr}
  name: {node}
  nodeid: 1
  quorum_votes: 2
 }}
 node {{
  ring0_addr: {peer_addr}
  name: {peer}
  nodeid: 2
 }}
}}
quorum {{
 provider: corosync_votequorum
}}
logging {{
 to_syslog: no
 to_logfile: yes
 logfile: /var/log/corosync/corosync.log
}}
"""

CIB = """<cib validate-with="pacemaker-3.9" epoch="1" num_updates="0" admin_epoch="0">
  <configuration>
    <crm_config>
      <cluster_property_set id="cib-bootstrap-options">
        <nvpair id="cib-bootstrap-options-stonith-enabled" name="stonith-enabled" value="false"/>
        <nvpair id="cib-bootstrap-options-dc-deadtime" name="dc-deadtime" value="5s"/>
{extra}      </cluster_property_set>
    </crm_config>
    <nodes/>
    <resources/>
    <constraints/>
  </configuration>
  <status/>
</cib>
"""

PACEMAKER_CHILDREN = ("pacemaker-based", "pacemaker-fenced", "pacemaker-execd", "pacemaker-attrd",
                      "pacemaker-schedulerd", "pacemaker-controld")


def usable_reason():
    """Why real daemons cannot run here (None when they can)."""
    if os.geteuid() != 0:
        return "needs root"
    for tool in ("corosync", "pacemakerd", "cibadmin", "crm_mon", "unshare", "nsenter"):
        if not any(Path(d, tool).exists() for d in ("/usr/sbin", "/usr/bin", "/sbin", "/bin")):
            return "needs " + tool
    return None


class PacemakerNode:
    def __init__(self, node="node1", addr="198.51.100.11", peer="node2", peer_addr="198.51.100.12",
                 cluster="fctest", properties=None):
        self.node, self.addr, self.peer, self.peer_addr, self.cluster = node, addr, peer, peer_addr, cluster
        self.properties = dict(properties or {})
        self.dir = None
        self.proc = None
        self.pid = None  # PID 1 of the node's PID namespace, as seen from outside
        self.start_seconds = None

    # -- lifecycle -----------------------------------------------------------------
    def start(self, timeout=60):
        begin = time.monotonic()
        self.dir = tempfile.mkdtemp(prefix="fc-pcmk-")
        Path(self.dir, "corosync.conf").write_text(COROSYNC_CONF.format(
            cluster=self.cluster, node=self.node, addr=self.addr, peer=self.peer, peer_addr=self.peer_addr))
        extra = "".join('        <nvpair id="cib-bootstrap-options-{0}" name="{0}" value="{1}"/>\n'.format(k, v)
                        for k, v in self.properties.items())
        Path(self.dir, "cib.xml").write_text(CIB.format(extra=extra))
        Path(self.dir, "setup.sh").write_text(SETUP)
        env = dict(os.environ, FC_NODE=self.node, FC_ADDR=self.addr, FC_DIR=self.dir, FC_AGENTS=str(AGENTS),
                   FC_SNA_CLI=str(SNA_CLI), LC_ALL="C")
        self.proc = subprocess.Popen(
            ["unshare", "--net", "--mount", "--uts", "--ipc", "--pid", "--fork", "--mount-proc",
             "python3", "-c", REAPER, str(Path(self.dir, "setup.sh"))],
            env=env, stdout=subprocess.DEVNULL, stderr=open(Path(self.dir, "setup.err"), "w"),  # noqa: SIM115
            start_new_session=True,
        )
        try:
            self.pid = self._child_pid()
            self._wait_file("started", timeout)
            self.wait_for_dc(timeout - (time.monotonic() - begin))
        except BaseException:
            self.stop()
            raise
        self.start_seconds = time.monotonic() - begin
        return self

    def _child_pid(self, timeout=10):
        deadline = time.monotonic() + timeout
        path = Path("/proc", str(self.proc.pid), "task", str(self.proc.pid), "children")
        while time.monotonic() < deadline:
            try:
                children = path.read_text().split()
            except OSError:
                children = []
            if children:
                return int(children[0])
            if self.proc.poll() is not None:
                break
            time.sleep(0.02)
        raise RuntimeError("unshare did not start the node: " + self._setup_errors())

    def _setup_errors(self):
        try:
            return Path(self.dir, "setup.err").read_text()[-2000:]
        except OSError:
            return ""

    def _wait_file(self, name, timeout):
        deadline = time.monotonic() + timeout
        while not Path(self.dir, name).exists():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("node setup failed: " + self._setup_errors())
            time.sleep(0.05)

    def wait_for_dc(self, timeout=60):
        deadline = time.monotonic() + max(timeout, 1)
        while time.monotonic() < deadline:
            proc = self.run(["crm_mon", "-1", "--output-as=xml"], check=False)
            if 'current_dc present="true"' in proc.stdout and 'with_quorum="true"' in proc.stdout:
                return
            time.sleep(0.3)
        raise RuntimeError("no DC with quorum after {0:.0f}s".format(timeout))

    def stop(self):
        """SIGKILL the namespace's PID 1 (and so every process in it); by PID only."""
        if self.pid is not None:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if self.proc is not None:
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        if self.dir:
            for name in ("corosync.conf", "cib.xml", "setup.sh", "setup.err", "started"):
                try:
                    Path(self.dir, name).unlink()
                except OSError:
                    pass
            try:
                os.rmdir(self.dir)
            except OSError:
                pass
        self.pid = self.proc = self.dir = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # -- running things inside -----------------------------------------------------
    @property
    def wrap(self):
        return ["nsenter", "-t", str(self.pid), "-a"]

    def run(self, argv, check=True, input=None, timeout=120):  # noqa: A002
        return subprocess.run([*self.wrap, *argv], capture_output=True, text=True, check=check, input=input,
                              env=dict(os.environ, LC_ALL="C"), timeout=timeout)

    def cib(self, scope=None):
        argv = ["cibadmin", "--query"]
        if scope:
            argv += ["--scope", scope]
        return self.run(argv).stdout

    def crm_mon(self):
        return self.run(["crm_mon", "-1", "--output-as=xml", "--inactive", "--include=bans"]).stdout

    def settle(self, timeout=120):
        """``crm_resource --wait``: until the cluster has no pending actions; returns seconds."""
        begin = time.monotonic()
        self.run(["crm_resource", "--wait", "--timeout", "{0}s".format(timeout)], timeout=timeout + 10)
        return time.monotonic() - begin

    def clear_configuration(self):
        """Remove every resource and constraint (between tests) and wait until all stopped."""
        self.run(["cibadmin", "--replace", "--scope", "constraints", "--xml-text", "<constraints/>"])
        self.run(["cibadmin", "--replace", "--scope", "resources", "--xml-text", "<resources/>"])
        self.settle()

    def daemon_pids(self):
        """{daemon name: pid} of pacemakerd's children, to detect restarts."""
        out = self.run(["ps", "-eo", "pid=,comm="]).stdout
        result = {}
        for line in out.splitlines():
            pid, _, comm = line.strip().partition(" ")
            comm = comm.strip()
            for name in PACEMAKER_CHILDREN:
                if name.startswith(comm) and comm:
                    result[name] = int(pid)
        return result


# ---------------------------------------------------------------------------------------
# pytest fixtures ``pacemaker_cluster`` and ``pcmk``; import them into a test module:
# ``from pacemaker_node import pacemaker_cluster_fixture, pcmk_fixture``
try:
    import pytest
except ImportError:  # used as a plain library by benchmarks/
    pytest = None

if pytest is not None:

    @pytest.fixture(scope="module", name="pacemaker_cluster")
    def pacemaker_cluster_fixture():
        """One real single-node cluster per test module (started once: ~8 s)."""
        reason = usable_reason()
        if reason:
            pytest.skip(reason)
        node = PacemakerNode().start()
        try:
            yield node
        finally:
            node.stop()

    @pytest.fixture(name="pcmk")
    def pcmk_fixture(pacemaker_cluster):
        """The module's cluster with an empty configuration (resources and constraints)."""
        pacemaker_cluster.clear_configuration()
        yield pacemaker_cluster
        pacemaker_cluster.clear_configuration()


class NetPeers:
    """Two anonymous network namespaces (``unshare --net sleep``) joined by a veth pair.

    ``host`` is where the module runs (interface ``<prefix>a``), ``peer`` the other host on the
    segment (``<prefix>b``). Both are killed by PID in ``stop()``; nothing touches the root
    namespace except creating the pair directly inside the two namespaces.
    """

    def __init__(self, prefix):
        if len(prefix) > 14:
            raise ValueError("interface prefix too long")
        self.host_if, self.peer_if = prefix + "a", prefix + "b"
        self.procs = []

    def _ns(self):
        proc = subprocess.Popen(["unshare", "--net", "sleep", "infinity"], start_new_session=True)
        self.procs.append(proc)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                if os.readlink("/proc/{0}/ns/net".format(proc.pid)) != os.readlink("/proc/self/ns/net"):
                    return proc.pid
            except OSError:
                pass
            time.sleep(0.02)
        raise RuntimeError("unshare --net did not start")

    def start(self):
        try:
            self.host, self.peer = self._ns(), self._ns()
            subprocess.run(["ip", "link", "add", self.host_if, "netns", str(self.host), "type", "veth", "peer",
                            "name", self.peer_if, "netns", str(self.peer)], check=True, capture_output=True)
            for pid, ifname in ((self.host, self.host_if), (self.peer, self.peer_if)):
                self.run(pid, ["ip", "link", "set", "lo", "up"])
                self.run(pid, ["ip", "link", "set", ifname, "up"])
        except BaseException:
            self.stop()
            raise
        return self

    @staticmethod
    def wrap_of(pid):
        return ["nsenter", "-t", str(pid), "-n"]

    def run(self, pid, argv, check=True):
        return subprocess.run([*self.wrap_of(pid), *argv], capture_output=True, text=True, check=check,
                              env=dict(os.environ, LC_ALL="C"), timeout=60)

    def mac(self, pid, ifname):
        import json

        return json.loads(self.run(pid, ["ip", "-j", "link", "show", "dev", ifname]).stdout)[0]["address"]

    def stop(self):
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()  # by PID; the namespace and its veth end go with it
            proc.wait(timeout=10)
        self.procs = []
