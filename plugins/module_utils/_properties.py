# Copyright: failover.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pacemaker cluster properties (the crm_config section): parse and compare. Pure."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from ansible_collections.failover.cluster.plugins.module_utils._model.cluster import property_text

BOOTSTRAP_SET = "cib-bootstrap-options"


def parse_crm_config(text):
    """``{name: value}`` of the bootstrap property set in ``cibadmin -Q --scope crm_config`` output."""
    root = ET.fromstring(text)
    props = {}
    for pset in root.iter("cluster_property_set"):
        if pset.get("id") != BOOTSTRAP_SET:
            continue
        for nvpair in pset.findall("nvpair"):
            props[nvpair.get("name")] = nvpair.get("value")
    return props


def property_changes(current, wanted):
    """Sorted ``[(name, old or None, new)]`` for every wanted property that differs."""
    changes = []
    for name in sorted(wanted):
        new = property_text(wanted[name])
        old = current.get(name)
        if old != new:
            changes.append((name, old, new))
    return changes
