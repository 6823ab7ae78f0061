# Copyright: failover.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""cmrunpkg / cmhaltpkg / cmmodpkg on Pacemaker: pure planning for package_state.

``read_package(crm_mon_xml, cib_xml, name)`` gathers what the checks need (role, node,
eligible nodes, node states, quorum, switching pin); ``check(...)`` lists every reason the
request cannot be done, each naming the option and the rule, BEFORE anything is changed;
``plan(...)`` returns the ordered steps the module then runs.

Switching (cmmodpkg -e/-d) is a location constraint ``fc-noswitch-<package>`` with a rule
``-INFINITY: #uname ne <node>``: the package may run only on that node, so it does not fail
over. A rule (not one -INFINITY per other node) also covers nodes added later; crm_mon
--include=bans lists it per node under the rule's id (``fc-noswitch-<package>-rule``), which
is how cluster_info reports ``switching_enabled: false``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from ansible_collections.failover.cluster.plugins.module_utils._model import cib as cibmodel
from ansible_collections.failover.cluster.plugins.module_utils._status import (
    SWITCHING_BAN_PREFIX,
    parse_crm_mon_xml,
)

NOSWITCH_PREFIX = SWITCHING_BAN_PREFIX
UNAME = "#uname"


def pin_id(name):
    return NOSWITCH_PREFIX + name


def pin_xml(name, node, cid=None):
    """A location rule that lets package ``name`` run only on ``node``: the switching pin
    (id ``fc-noswitch-<name>``), or with ``cid`` another rule of the same shape."""
    cid = cid or pin_id(name)
    loc = ET.Element("rsc_location", {"id": cid, "rsc": cibmodel.resource_id(name)})
    rule = ET.SubElement(loc, "rule", {"id": cid + "-rule", "score": "-" + cibmodel.INFINITY})
    ET.SubElement(rule, "expression", {"id": cid + "-expr", "attribute": UNAME, "operation": "ne", "value": node})
    return ET.tostring(loc, encoding="unicode")


class PackageView:
    """What is known about one package and the cluster, from crm_mon and the CIB."""

    def __init__(self, name):
        self.name = name
        self.rid = cibmodel.resource_id(name)
        self.exists = False
        self.managed_by_us = False
        self.state = "halted"  # running | partial | halted | failed | degraded
        self.node = None
        self.down_link_stations = []  # ids of an SNA package's own link-station resources not running
        self.target_role = None
        self.eligible = []  # nodes in node_name order (best first)
        self.nodes = {}  # name -> state (up, down, standby, maintenance, unclean, pending)
        self.quorate = False
        self.dc = None
        self.pin = None  # node the package is pinned to (switching disabled), or None
        self.pin_exists = False
        self.move_constraints = []

    @property
    def running(self):
        return self.state in ("running", "partial", "degraded")

    def as_dict(self):
        result = {"name": self.name, "resource": self.rid, "state": self.state, "node": self.node,
                  "switching_enabled": self.pin is None and not self.pin_exists, "eligible_nodes": list(self.eligible)}
        if self.down_link_stations:
            result["down_link_stations"] = list(self.down_link_stations)
        return result


def _location_scores(constraints, rid):
    scores = {}
    for element in constraints:
        if element.tag == "rsc_location" and element.get("rsc") == rid and element.get("node"):
            if element.get("id", "").startswith(rid + ".loc."):
                scores[element.get("node")] = element.get("score")
    return scores


def read_package(crm_mon_xml, cib_xml, name):
    view = PackageView(name)
    status = parse_crm_mon_xml(crm_mon_xml)
    view.quorate = bool(status["cluster"]["quorate"])
    view.dc = status["cluster"]["dc"]
    view.nodes = {n["name"]: n["state"] for n in status["nodes"]}
    for pkg in status["packages"]:
        if pkg["name"] == view.rid:
            view.state = pkg["state"]
            view.node = pkg["node"]
            view.down_link_stations = [ls["id"] for ls in pkg.get("link_stations", []) if ls["state"] != "running"]
            if view.node is None and pkg["nodes"]:
                view.node = pkg["nodes"][0]

    root = ET.fromstring(cib_xml)
    conf = root.find("configuration")
    resources = conf.find("resources") if conf is not None else None
    constraints = conf.find("constraints") if conf is not None else None
    constraints = list(constraints) if constraints is not None else []
    for element in resources if resources is not None else []:
        if element.get("id") == view.rid:
            view.exists = True
            meta = {}
            for block in element.findall("meta_attributes"):
                for pair in block.findall("nvpair"):
                    meta[pair.get("name")] = pair.get("value")
            view.managed_by_us = meta.get(cibmodel.MARK_NAME) == cibmodel.MARK_VALUE
            view.target_role = meta.get("target-role")
    scores = _location_scores(constraints, view.rid)
    cluster_nodes = [n.get("uname") for n in root.iter("node") if n.get("uname")] or list(view.nodes)
    allowed = [n for n in cluster_nodes if scores.get(n) != "-" + cibmodel.INFINITY]

    def rank(node):
        value = scores.get(node)
        try:
            return -int(value)
        except (TypeError, ValueError):
            return 0

    view.eligible = sorted(allowed, key=lambda n: (rank(n), cluster_nodes.index(n)))
    for element in constraints:
        cid = element.get("id", "")
        if cid == pin_id(name):
            view.pin_exists = True
            expr = element.find("rule/expression")
            if expr is not None and expr.get("attribute") == UNAME and expr.get("operation") == "ne":
                view.pin = expr.get("value")
        elif cid.startswith(("cli-prefer-", "cli-ban-")) and element.get("rsc") == view.rid:
            view.move_constraints.append(cid)
    return view


# ---------------------------------------------------------------------------------------
def check(view, state, node, switching):
    """Every reason the request cannot be carried out (empty: go ahead)."""
    errors = []
    if not view.exists:
        return ["name: {0} is not a package of this cluster (no resource {1} in the CIB)".format(view.name, view.rid)]
    if not view.managed_by_us:
        return ["name: resource {0} is not managed by failover.cluster (no failover-cluster=managed meta "
                "attribute); use crm_resource for it".format(view.rid)]
    if not view.quorate:
        errors.append("the cluster partition of this node has no quorum: Pacemaker would not run or move "
                      "packages; nothing was changed")
    if state == "moved" and not node:
        errors.append("node: required with state=moved (the node to move the package to)")
    node_ok = True
    if node:
        node_ok = False
        if node not in view.nodes:
            errors.append("node: {0} is not a node of this cluster (nodes: {1})".format(
                node, ", ".join(sorted(view.nodes))))
        elif node not in view.eligible:
            errors.append("node: {0} is not in the node_name list of package {1} ({2})".format(
                node, view.name, ", ".join(view.eligible) or "none"))
        elif view.nodes[node] == "standby":
            errors.append("node: {0} is in standby; it does not run packages".format(node))
        elif view.nodes[node] != "up":
            errors.append("node: {0} is not online (state {1})".format(node, view.nodes[node]))
        else:
            node_ok = True
    if state == "moved" and not view.running:
        errors.append("state: package {0} is {1}, so it cannot be moved; use state=running with node to run it "
                      "there".format(view.name, view.state))
    if state == "running" and node and node_ok and view.running and view.node and view.node != node:
        errors.append("node: package {0} already runs on {1}; use state=moved to move it to {2}".format(
            view.name, view.node, node))
    final_switching = switching or ("disabled" if view.pin_exists else "enabled")
    if state in ("running", "moved") or (state is None and view.running):
        if not node:
            candidates = [n for n in view.eligible if view.nodes.get(n) == "up"]
            if final_switching == "disabled" and view.pin:
                candidates = [n for n in candidates if n == view.pin]
            if not candidates and not view.running:
                errors.append("state: package {0} has no eligible node online (eligible: {1})".format(
                    view.name, ", ".join("{0} {1}".format(n, view.nodes.get(n, "unknown")) for n in view.eligible)
                    or "none"))
    if final_switching == "disabled" and switching == "disabled" and not node and not view.running and \
            not view.pin:
        errors.append("switching: disabling switching pins package {0} to one node, but it is halted: give node "
                      "(the node it may run on)".format(view.name))
    return errors


def plan(view, state, node, switching):
    """Ordered steps: ("pin", node), ("unpin",), ("cleanup",), ("cleanup", resource id), ("move", node),
    ("role", "Started" | "Stopped"), ("clear",). Empty when nothing needs to change.

    A running SNA package whose link stations run as resources of their own but not all of them
    (``degraded``): ``running`` clears the failure of each link station that does not run
    (``("cleanup", its id)``), so the cluster starts it again - and only it.

    With switching enabled, running on / moving to a given node is ``crm_resource --move``
    (a cli-prefer constraint), and the constraint is cleared once the cluster has settled, so
    the configured failback policy applies again afterwards. With switching disabled, the pin
    itself decides the node (it bans every other node), so no cli-prefer is needed.
    """
    steps = []
    final_switching = switching or ("disabled" if view.pin_exists else "enabled")
    if final_switching == "disabled":
        pin_to = node or (view.node if view.running else None) or view.pin
        if pin_to and (pin_to != view.pin or not view.pin_exists):
            steps.append(("pin", pin_to))
    elif view.pin_exists:
        steps.append(("unpin",))

    prefer = bool(node) and final_switching == "enabled"
    if state == "halted":
        if view.running or view.target_role != "Stopped":
            steps.append(("role", "Stopped"))
    elif state == "running" and not view.running:
        steps.append(("cleanup",))
        steps.extend(("cleanup", rid) for rid in view.down_link_stations)
        if prefer:
            steps.append(("move", node))
        steps.append(("role", "Started"))
        if prefer:
            steps.append(("clear",))
    elif state in ("running", "moved") and view.running:
        if prefer and view.node != node:
            steps.append(("move", node))
            steps.append(("clear",))
        if view.target_role == "Stopped":
            steps.append(("role", "Started"))
        if state == "running" and view.state == "degraded":
            steps.extend(("cleanup", rid) for rid in view.down_link_stations)
    return steps


def predict(before, steps, eligible_up=()):
    """What ``steps`` would make of the package's state (``PackageView.as_dict()``), for check mode's
    diff: the state, the node and switching the request leads to. The node of a package that is
    started without a node is the first eligible node that is up (what the cluster would pick);
    the real run reports what the cluster did."""
    after = dict(before)
    for step in steps:
        verb = step[0]
        if verb == "pin":
            after["switching_enabled"] = False
            after["node"] = step[1] if after["state"] == "running" else after["node"]
        elif verb == "unpin":
            after["switching_enabled"] = True
        elif verb == "move":
            after["node"] = step[1]
        elif verb == "role" and step[1] == "Stopped":
            after["state"], after["node"] = "halted", None
        elif verb == "role" and step[1] == "Started":
            after["state"] = "running"
            if after["node"] is None:
                after["node"] = next(iter(eligible_up), None)
    pins = [s[1] for s in steps if s[0] == "pin"]
    if pins and after["state"] == "running":
        after["node"] = pins[-1]
    return after
