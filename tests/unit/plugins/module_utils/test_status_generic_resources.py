"""cluster_info's generic resource view: values per node from the CIB, up per the packages' criteria."""

from ansible_collections.failover.cluster.plugins.module_utils import _status

CIB = """<cib epoch="3" num_updates="1" admin_epoch="0">
<configuration><crm_config/>
<nodes>
  <node id="1" uname="node1"><instance_attributes id="n1"><nvpair id="n1-a" name="fc-gr-cpu" value="2"/>
    <nvpair id="n1-b" name="fc-gr-dbmon" value="up"/></instance_attributes></node>
  <node id="2" uname="node2"/>
</nodes>
<resources/>
<constraints>
  <rsc_location id="fc.web.gr.dbmon" rsc="fc.web"><rule id="r1" score="-INFINITY">
    <expression id="e1" attribute="fc-gr-dbmon" operation="eq" value="down"/></rule></rsc_location>
  <rsc_location id="fc.web.gr.cpu" rsc="fc.web"><rule id="r2" score="-INFINITY" boolean-op="or">
    <expression id="e2" attribute="fc-gr-cpu" operation="not_defined"/>
    <expression id="e3" attribute="fc-gr-cpu" operation="lt" value="4" type="number"/></rule></rsc_location>
  <rsc_location id="fc.web.loc.node1" rsc="fc.web" node="node1" score="20"/>
</constraints></configuration>
<status>
  <node_state id="1" uname="node1"><transient_attributes id="1"><instance_attributes id="s1">
    <nvpair id="s1-a" name="fc-gr-dbmon" value="down"/><nvpair id="s1-b" name="other" value="x"/>
  </instance_attributes></transient_attributes></node_state>
  <node_state id="2" uname="node2"><transient_attributes id="2"><instance_attributes id="s2">
    <nvpair id="s2-a" name="fc-gr-cpu" value="8"/><nvpair id="s2-b" name="fc-gr-orphan" value="up"/>
  </instance_attributes></transient_attributes></node_state>
</status></cib>"""


def view():
    return {"nodes": [{"name": "node1"}, {"name": "node2"}], "packages": [], "failed_actions": [],
            "cluster": {}}


def test_values_per_node_transient_wins():
    result = _status.annotate_generic_resources(view(), CIB)
    by_name = {e["name"]: e for e in result["generic_resources"]}
    assert sorted(by_name) == ["cpu", "dbmon", "orphan"]
    assert by_name["dbmon"] == {
        "name": "dbmon", "kind": "simple", "up_criteria": [], "evaluation": "during_package_start",
        "packages": ["web"],
        "nodes": [{"node": "node1", "value": "down", "up": False}, {"node": "node2", "value": None, "up": None}]}
    assert by_name["cpu"]["kind"] == "extended" and by_name["cpu"]["up_criteria"] == [">= 4"]
    assert by_name["cpu"]["evaluation"] == "before_package_start"
    assert by_name["cpu"]["nodes"] == [{"node": "node1", "value": "2", "up": False},
                                       {"node": "node2", "value": "8", "up": True}]
    assert by_name["orphan"]["kind"] is None and by_name["orphan"]["packages"] == []
    assert result["nodes"][0]["generic_resources"] == {"cpu": "2", "dbmon": "down"}
    assert result["nodes"][1]["generic_resources"] == {"cpu": "8", "orphan": "up"}


def test_table_section():
    text = _status.render_generic_resources(_status.annotate_generic_resources(view(), CIB))
    assert "GENERIC RESOURCES" in text
    assert "    dbmon               node1           down      no    web" in text.splitlines()
    assert _status.render_generic_resources({"generic_resources": []}) == ""


SUBNET_CIB = """<cib epoch="3" num_updates="1" admin_epoch="0"><configuration><crm_config/><nodes/><resources/>
<constraints>
  <rsc_location id="fc.web.net.203-0-113-0-24" rsc="fc.web"/>
  <rsc_location id="fc-subnet-203-0-113-0-24-not-node3" rsc="fc-subnet-203-0-113-0-24" node="node3" score="-INFINITY"/>
</constraints></configuration>
<status>
  <node_state id="1" uname="node1"><transient_attributes id="1"><instance_attributes id="s1">
    <nvpair id="s1-a" name="fc-subnet-203-0-113-0-24" value="0"/></instance_attributes></transient_attributes>
  </node_state>
  <node_state id="2" uname="node2"><transient_attributes id="2"><instance_attributes id="s2">
    <nvpair id="s2-a" name="fc-subnet-203-0-113-0-24" value="1"/></instance_attributes></transient_attributes>
  </node_state>
</status></cib>"""


def test_subnets_per_node():
    result = _status.annotate_subnets(view(), SUBNET_CIB)
    assert result["subnets"] == [{"subnet": "203.0.113.0/24", "packages": ["web"], "polling_targets": [], "nodes": [
        {"node": "node1", "value": "0", "up": False, "targets_answering": None, "ip_up": None},
        {"node": "node2", "value": "1", "up": True, "targets_answering": None, "ip_up": None}]}]
    assert result["nodes"][0]["subnets"] == {"203.0.113.0/24": False}
    text = _status.render_subnets(result)
    assert "    203.0.113.0/24      node1           down      -             web" in text.splitlines()


PING_CIB = SUBNET_CIB.replace("<resources/>", """<resources>
  <clone id="fc-ping-203-0-113-0-24"><primitive id="fc-ping-203-0-113-0-24-mon" class="ocf" provider="pacemaker"
    type="ping"><instance_attributes id="p"><nvpair id="p-h" name="host_list" value="203.0.113.1 203.0.113.2"/>
    </instance_attributes></primitive></clone></resources>""").replace(
    '<nvpair id="s1-a" name="fc-subnet-203-0-113-0-24" value="0"/>',
    '<nvpair id="s1-a" name="fc-subnet-203-0-113-0-24" value="1"/><nvpair id="s1-p" name="fc-ping-203-0-113-0-24" '
    'value="0"/>').replace(
    '<nvpair id="s2-a" name="fc-subnet-203-0-113-0-24" value="1"/>',
    '<nvpair id="s2-a" name="fc-subnet-203-0-113-0-24" value="1"/><nvpair id="s2-p" name="fc-ping-203-0-113-0-24" '
    'value="2"/>')


def test_polling_targets_per_node():
    result = _status.annotate_subnets(view(), PING_CIB)
    (entry,) = result["subnets"]
    assert entry["polling_targets"] == ["203.0.113.1", "203.0.113.2"]
    assert entry["nodes"] == [
        {"node": "node1", "value": "1", "up": True, "targets_answering": "0", "ip_up": False},
        {"node": "node2", "value": "1", "up": True, "targets_answering": "2", "ip_up": True}]
    lines = _status.render_subnets(result).splitlines()
    assert "    203.0.113.0/24      node1           up        down 0/2      web" in lines
    assert "    203.0.113.0/24      node2           up        up 2/2        web" in lines
    assert "                        POLLING_TARGET 203.0.113.1 203.0.113.2" in lines


def test_transient_attributes_from_the_whole_cib_or_its_status_section():
    import xml.etree.ElementTree as ET

    root = ET.fromstring(CIB)
    expected = {"node1": {"fc-gr-dbmon": "down", "other": "x"}, "node2": {"fc-gr-cpu": "8", "fc-gr-orphan": "up"}}
    assert _status.transient_attributes(root) == expected
    assert _status.transient_attributes(root.find("status")) == expected
    # the permanent value (nodes section) is not a transient one; node_attributes lets the transient win
    assert _status.node_attributes(root)["node1"]["fc-gr-dbmon"] == "down"
    assert _status.node_attributes(root)["node1"]["fc-gr-cpu"] == "2"
    assert "fc-gr-cpu" not in _status.transient_attributes(root)["node1"]
    assert _status.transient_attributes(ET.fromstring("<cib><configuration/></cib>")) == {}
