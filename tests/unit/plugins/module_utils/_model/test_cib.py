import xml.etree.ElementTree as ET

import pytest

from ansible_collections.failover.cluster.plugins.module_utils._model import cib
from ansible_collections.failover.cluster.plugins.module_utils._model.cluster import build_cluster
from ansible_collections.failover.cluster.plugins.module_utils._model.errors import CompileError

CLUSTER = build_cluster({
    "name": "lab",
    "nodes": [{"name": "node%d" % i, "addresses": ["198.51.100.1%d/24" % i]} for i in (1, 2, 3)],
    "lock_lun": {"devices": ["/dev/sdb"]},
})[0]
NOFENCE = build_cluster({
    "name": "lab",
    "nodes": [{"name": "node%d" % i, "addresses": ["198.51.100.1%d/24" % i]} for i in (1, 2, 3)],
})[0]

LIVE = """<cib epoch="5" num_updates="0" admin_epoch="0" validate-with="pacemaker-3.9">
  <configuration>
    <crm_config><cluster_property_set id="cib-bootstrap-options"/></crm_config>
    <nodes/>
    <resources>
      <primitive id="foreign" class="ocf" provider="heartbeat" type="Dummy"/>
    </resources>
    <constraints>
      <rsc_location id="foreign-loc" rsc="foreign" node="node1" score="5"/>
    </constraints>
  </configuration>
  <status/>
</cib>"""


def web(**over):
    data = {"package_name": "web", "node_name": ["node2", "node1"], "ip": [{"ip_address": "198.51.100.50"}],
            "services": [{"service_name": "httpd", "service_unit": "nginx.service", "service_restart": 2}]}
    data.update(over)
    return data


def compiled(specs, cluster=CLUSTER):
    return cib.compile_packages(specs, cluster)


def group_of(specs, cluster=CLUSTER):
    result = compiled(specs, cluster)
    return next(iter(result.packages.values()))


def meta(element):
    return {p.get("name"): p.get("value") for p in element.find("meta_attributes")}


def prim_meta(group, rid):
    return meta(group.find(".//primitive[@id='%s']" % rid))


def op(group, rid, name):
    return group.find(".//primitive[@id='%s']/operations/op[@name='%s']" % (rid, name))


def test_compile_is_byte_identical_and_ordered():
    specs = [web(), {"package_name": "db", "ip": [{"ip_address": "198.51.100.51"}]}]
    assert compiled(specs).to_xml() == compiled(specs).to_xml()
    group = group_of([web(external_pre_script="/p", external_script="/e", resources=[
        {"name": "a", "agent": "ocf:failover:sna_node", "stage": "after_ips"},
        {"name": "b", "agent": "ocf:heartbeat:Dummy"}])]).resource
    assert [p.get("id") for p in group.findall("primitive")] == [
        "fc.web.pre", "fc.web.ip0", "fc.web.res.a", "fc.web.svc.httpd", "fc.web.res.b", "fc.web.ext"]
    assert group.find("primitive[@id='fc.web.pre']").get("type") == "script"
    assert group.find("primitive[@id='fc.web.res.a']").get("provider") == "failover"


def test_markers_and_ids():
    pkg = group_of([web()])
    assert pkg.resource.tag == "group" and pkg.resource.get("id") == "fc.web" == cib.resource_id("web")
    m = meta(pkg.resource)
    assert m["failover-cluster"] == "managed" and m["failover-cluster-package"] == "web"
    assert all(c.get("id").startswith("fc.web.") for c in pkg.constraints)


def test_ip_primitive():
    group = group_of([web()]).resource
    ip = group.find("primitive[@id='fc.web.ip0']")
    assert (ip.get("class"), ip.get("provider"), ip.get("type")) == ("ocf", "failover", "ip")
    params = {p.get("name"): p.get("value") for p in ip.find("instance_attributes")}
    assert params == {"ip": "198.51.100.50", "cidr_netmask": "24"}  # fenced: a cut-off holder is reset
    assert prim_meta(group, "fc.web.ip0") == {"migration-threshold": "1"}


def ip_params(specs, cluster):
    group = group_of(specs, cluster).resource
    return {p.get("name"): p.get("value") for p in group.find("primitive[@id='fc.web.ip0']/instance_attributes")}


def test_ip_release_window_only_without_fencing():
    assert ip_params([web()], NOFENCE) == {"ip": "198.51.100.50", "cidr_netmask": "24", "release_window": "3"}
    assert ip_params([web(ip_release_window=7)], NOFENCE)["release_window"] == "7"
    assert "release_window" not in ip_params([web(ip_release_window=0)], NOFENCE)
    assert "release_window" not in ip_params([web(ip_release_window=7)], CLUSTER)


def test_service_restart_to_migration_threshold():
    services = [{"service_name": "n", "service_unit": "a", "service_restart": "none"},
                {"service_name": "t", "service_unit": "b", "service_restart": 3},
                {"service_name": "u", "service_unit": "c", "service_restart": "unlimited"}]
    group = group_of([web(services=services)]).resource
    assert prim_meta(group, "fc.web.svc.n")["migration-threshold"] == "1"
    assert prim_meta(group, "fc.web.svc.t")["migration-threshold"] == "4"
    assert prim_meta(group, "fc.web.svc.u")["migration-threshold"] == "INFINITY"


def test_service_cmd_uses_anything_agent():
    group = group_of([web(services=[{"service_name": "w", "service_cmd": "/usr/bin/app -c '/etc/a b.conf'"}])]).resource
    prim = group.find("primitive[@id='fc.web.svc.w']")
    assert (prim.get("class"), prim.get("provider"), prim.get("type")) == ("ocf", "heartbeat", "anything")
    params = {p.get("name"): p.get("value") for p in prim.find("instance_attributes")}
    assert params == {"binfile": "/usr/bin/app", "cmdline_options": "-c '/etc/a b.conf'"}


def test_systemd_service_and_halt_timeout():
    group = group_of([web(services=[{"service_name": "s", "service_unit": "x.service",
                                     "service_halt_timeout": 45}])]).resource
    prim = group.find("primitive[@id='fc.web.svc.s']")
    assert (prim.get("class"), prim.get("type")) == ("systemd", "x.service")
    assert op(group, "fc.web.svc.s", "stop").get("timeout") == "45s"
    assert op(group, "fc.web.svc.s", "start").get("timeout") == "100s"


def test_run_and_halt_timeouts():
    group = group_of([web(run_script_timeout=33, halt_script_timeout=44)]).resource
    assert op(group, "fc.web.ip0", "start").get("timeout") == "33s"
    assert op(group, "fc.web.ip0", "stop").get("timeout") == "44s"
    assert op(group, "fc.web.svc.httpd", "start").get("timeout") == "33s"
    assert op(group, "fc.web.svc.httpd", "stop").get("timeout") == "300s"  # service_halt_timeout default


def test_configured_node_locations_and_bans():
    pkg = group_of([web()])
    locs = [(c.get("node"), c.get("score")) for c in pkg.constraints if c.tag == "rsc_location"]
    assert locs == [("node2", "20"), ("node1", "10"), ("node3", "-INFINITY")]


def test_star_configured_node_prefers_cluster_order():
    pkg = group_of([web(node_name="*")])
    locs = [(c.get("node"), c.get("score")) for c in pkg.constraints if c.tag == "rsc_location"]
    assert locs == [("node1", "30"), ("node2", "20"), ("node3", "10")]


def test_min_package_node_has_no_preferences():
    result = compiled([web(failover_policy="min_package_node")])
    pkg = result.packages["web"]
    locs = [(c.get("node"), c.get("score")) for c in pkg.constraints if c.tag == "rsc_location"]
    assert locs == [("node3", "-INFINITY")]
    assert result.warnings and "min_package_node is approximated" in result.warnings[0]


def test_failback_stickiness():
    assert meta(group_of([web()]).resource)["resource-stickiness"] == "10000"
    assert meta(group_of([web(failback_policy="automatic")]).resource)["resource-stickiness"] == "0"


def test_priority_and_auto_run():
    m = meta(group_of([web(priority=1, auto_run=False)]).resource)
    assert m["priority"] == "3001" and m["target-role"] == "Stopped"
    m = meta(group_of([web()]).resource)
    assert m["priority"] == "1" and "target-role" not in m


def test_fail_fast_with_and_without_fencing():
    spec = web(services=[{"service_name": "s", "service_unit": "x", "service_fail_fast_enabled": True}])
    group = group_of([spec]).resource
    assert op(group, "fc.web.svc.s", "monitor").get("on-fail") == "fence"
    assert op(group, "fc.web.ip0", "monitor").get("on-fail") is None
    group = group_of([web(node_fail_fast_enabled=True)]).resource
    assert op(group, "fc.web.ip0", "monitor").get("on-fail") == "fence"
    assert op(group, "fc.web.svc.httpd", "monitor").get("on-fail") == "fence"
    result = compiled([web(node_fail_fast_enabled=True)], NOFENCE)
    group = result.packages["web"].resource
    assert op(group, "fc.web.ip0", "monitor").get("on-fail") is None
    assert "no fencing" in result.warnings[0]


def test_multi_node_is_a_clone():
    spec = {"package_name": "mon", "package_type": "multi_node", "node_name": ["node1", "node2"],
            "services": [{"service_name": "a", "service_unit": "a"}]}
    pkg = group_of([spec])
    clone = pkg.resource
    assert clone.tag == "clone" and clone.get("id") == "fc.mon"
    assert [child.tag for child in clone] == ["meta_attributes", "group"]
    assert clone.find("group").get("id") == "fc.mon.group"
    m = meta(clone)
    assert m["interleave"] == "true" and "resource-stickiness" not in m
    assert [(c.get("node"), c.get("score")) for c in pkg.constraints] == [("node3", "-INFINITY")]


DB = {"package_name": "db", "ip": [{"ip_address": "198.51.100.51"}]}


@pytest.mark.parametrize(
    "condition, location, colocation, order",
    [
        ("up", "same_node", "INFINITY", True),
        ("up", "different_node", "-INFINITY", True),
        ("up", "any_node", None, True),
        ("down", "same_node", "-INFINITY", False),
        ("down", "any_node", "-INFINITY", False),
        ("down", "different_node", None, False),
    ],
)
def test_dependencies(condition, location, colocation, order):
    spec = web(dependencies=[{"dependency_name": "db", "dependency_condition": condition,
                              "dependency_location": location}])
    pkg = compiled([spec, DB]).packages["web"]
    col = [c for c in pkg.constraints if c.tag == "rsc_colocation"]
    ords = [c for c in pkg.constraints if c.tag == "rsc_order"]
    if colocation is None:
        assert col == []
    else:
        assert [(c.get("id"), c.get("rsc"), c.get("with-rsc"), c.get("score")) for c in col] == [
            ("fc.web.dep.db.col", "fc.web", "fc.db", colocation)]
    if order:
        assert [(o.get("first"), o.get("then"), o.get("kind")) for o in ords] == [("fc.db", "fc.web", "Mandatory")]
    else:
        assert ords == []


# -- merge / changed_objects ------------------------------------------------------------------
def ids(xml, section):
    root = ET.fromstring(xml)
    return [e.get("id") for e in root.find("configuration").find(section)]


def test_merge_adds_and_keeps_foreign():
    desired = compiled([web(), DB])
    new = cib.merge(LIVE, desired)
    assert ids(new, "resources") == ["foreign", "fc.web", "fc.db"]
    assert ids(new, "constraints")[0] == "foreign-loc"
    assert "cluster_property_set" in new and "<status" in new
    assert cib.managed_packages(new) == {"web": "fc.web", "db": "fc.db"}
    changes = cib.changed_objects(LIVE, new)
    assert changes["added"] == ["constraints/fc.db.loc.node1", "constraints/fc.db.loc.node2",
                                "constraints/fc.db.loc.node3", "constraints/fc.web.loc.node1",
                                "constraints/fc.web.loc.node2", "constraints/fc.web.loc.node3", "resources/fc.db",
                                "resources/fc.web"]
    assert changes["removed"] == [] and changes["changed"] == []


def test_merge_twice_is_idempotent():
    desired = compiled([web(), DB])
    once = cib.merge(LIVE, desired)
    twice = cib.merge(once, compiled([web(), DB]))
    assert cib.changed_objects(once, twice) == {"added": [], "removed": [], "changed": []}
    assert once == twice


def test_merge_replaces_in_place_and_reports_changes():
    once = cib.merge(LIVE, compiled([web(), DB]))
    new = cib.merge(once, compiled([web(failback_policy="automatic")]), managed_names=["web"])
    assert ids(new, "resources") == ["foreign", "fc.web", "fc.db"]
    assert cib.changed_objects(once, new) == {"added": [], "removed": [], "changed": ["resources/fc.web"]}


def test_merge_preserves_runtime_target_role():
    once = cib.merge(LIVE, compiled([web(auto_run=False)]))
    assert 'name="target-role" value="Stopped"' in once
    started = once.replace('name="target-role" value="Stopped"', 'name="target-role" value="Started"')
    again = cib.merge(started, compiled([web(auto_run=False)]))
    assert cib.changed_objects(started, again)["changed"] == []
    assert 'value="Started"' in again


def test_merge_keeps_target_role_that_crm_resource_wrote_in_its_own_block():
    once = cib.merge(LIVE, compiled([web()]))
    root = ET.fromstring(once)
    group = root.find("configuration/resources/group[@id='fc.web']")
    block = ET.Element("meta_attributes", {"id": "fc.web-meta_attributes"})
    ET.SubElement(block, "nvpair", {"id": "fc.web-meta_attributes-target-role", "name": "target-role",
                                    "value": "Stopped"})
    group.insert(1, block)
    halted = ET.tostring(root, encoding="unicode")
    again = cib.merge(halted, compiled([web()]))
    assert 'name="target-role" value="Stopped"' in again
    group = ET.fromstring(again).find("configuration/resources/group[@id='fc.web']")
    assert [b.get("id") for b in group.findall("meta_attributes")] == ["fc.web-meta"]
    assert meta(group)["target-role"] == "Stopped"
    # the carried pair changes the compiled element, so the block layout counts as a change once
    assert cib.changed_objects(again, cib.merge(again, compiled([web()])))["changed"] == []


def test_merge_removes_package_and_its_move_constraints():
    once = cib.merge(LIVE, compiled([web(), DB]))
    root = ET.fromstring(once)
    cons = root.find("configuration/constraints")
    ET.SubElement(cons, "rsc_location", {"id": "cli-prefer-fc.web", "rsc": "fc.web", "node": "node1",
                                         "score": "INFINITY", "role": "Started"})
    moved = ET.tostring(root, encoding="unicode")
    new = cib.merge(moved, {}, managed_names=[], remove_names=["web"])
    assert ids(new, "resources") == ["foreign", "fc.db"]
    assert ids(new, "constraints") == ["foreign-loc", "fc.db.loc.node1", "fc.db.loc.node2", "fc.db.loc.node3"]
    changes = cib.changed_objects(moved, new)
    assert changes["removed"] == ["constraints/cli-prefer-fc.web", "constraints/fc.web.loc.node1",
                                  "constraints/fc.web.loc.node2", "constraints/fc.web.loc.node3",
                                  "resources/fc.web"]


def test_merge_removes_switching_pin_with_the_package():
    once = cib.merge(LIVE, compiled([web(), DB]))
    root = ET.fromstring(once)
    cons = root.find("configuration/constraints")
    ET.SubElement(cons, "rsc_location", {"id": "fc-noswitch-web", "rsc": "fc.web", "node": "node2",
                                         "score": "-INFINITY"})
    ET.SubElement(cons, "rsc_location", {"id": "fc-noswitch-db", "rsc": "fc.db", "node": "node2",
                                         "score": "-INFINITY"})
    pinned = ET.tostring(root, encoding="unicode")
    assert "fc-noswitch-web" in cib.merge(pinned, compiled([web()]))  # an update keeps the pin
    new = cib.merge(pinned, {}, managed_names=[], remove_names=["web"])
    assert "fc-noswitch-web" not in new
    assert "fc-noswitch-db" in new
    assert cib.NOSWITCH_PREFIX == "fc-noswitch-"


def test_merge_keeps_move_constraints_on_update():
    once = cib.merge(LIVE, compiled([web()]))
    root = ET.fromstring(once)
    ET.SubElement(root.find("configuration/constraints"), "rsc_location",
                  {"id": "cli-prefer-fc.web", "rsc": "fc.web", "node": "node1", "score": "INFINITY"})
    moved = ET.tostring(root, encoding="unicode")
    assert "cli-prefer-fc.web" in cib.merge(moved, compiled([web()]))


def test_merge_refuses_foreign_resource_with_our_id():
    live = LIVE.replace('id="foreign"', 'id="fc.web"')
    with pytest.raises(CompileError) as info:
        cib.merge(live, compiled([web()]))
    assert str(info.value) == (
        "the CIB already has a resource fc.web that failover.cluster does not manage; rename or remove it")


def test_merge_creates_missing_sections_and_rejects_bad_xml():
    new = cib.merge("<cib><configuration/></cib>", compiled([web()]))
    assert ids(new, "resources") == ["fc.web"]
    with pytest.raises(CompileError):
        cib.merge("<cib>", compiled([web()]))
    with pytest.raises(CompileError) as info:
        cib.merge("<cib/>", compiled([web()]))
    assert str(info.value) == "the live CIB has no <configuration> element"


def test_changed_objects_ignores_whitespace_and_attribute_order():
    a = '<cib><configuration><resources><primitive id="x" class="ocf" type="D"/></resources></configuration></cib>'
    b = ('<cib>\n <configuration>\n  <resources>\n   <primitive type="D" class="ocf" id="x"/>\n  </resources>\n'
         ' </configuration>\n</cib>')
    assert cib.changed_objects(a, b) == {"added": [], "removed": [], "changed": []}


def test_compile_accepts_package_objects_and_single_xml():
    from ansible_collections.failover.cluster.plugins.module_utils._model.package import build_packages

    packages, _ignored = build_packages([web()], CLUSTER)
    result = cib.compile_packages(packages, CLUSTER)
    assert result.warnings == []
    text = result.packages["web"].to_xml()
    assert text.startswith('<group id="fc.web">') and "rsc_location" in text


def test_managed_name_missing_from_desired_is_dropped():
    once = cib.merge(LIVE, compiled([web(), DB]))
    new = cib.merge(once, compiled([web()]), managed_names=["web", "db"])
    assert ids(new, "resources") == ["foreign", "fc.web"]
