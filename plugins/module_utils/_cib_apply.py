# Copyright: failover.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Plan and apply package changes to the live CIB in one transaction.

``plan()`` is pure: live CIB XML + compiled packages -> the new CIB, the objects that
change, their before/after XML, and problems (dangling dependencies). ``apply_plan()``
writes the new CIB as ONE versioned patch:

1. the new CIB gets ``epoch`` = live epoch + 1;
2. ``crm_diff --original live.xml --new new.xml`` makes a format-2 patch whose ``<source>``
   version is the live one;
3. ``cibadmin --patch --xml-file patch.xml`` applies it. The CIB manager applies a
   versioned patch only if the CIB is still at the source version, so a concurrent change
   (any epoch or num_updates change) is refused with exit code 103 ("Update was older than
   existing configuration") instead of being overwritten. The caller then reads the CIB
   again, plans again and retries; since the plan is a pure function of the live CIB, the
   retry is exact.

A patch was preferred to ``cibadmin --replace`` of the whole CIB: the replace would also
send back the status section read earlier (stale as soon as an operation result arrives),
and a configuration-scope replace carries no version, so it could silently undo a
concurrent change. Measured on a single node (benchmarks/bench_cib_apply.py): both take
about the same time; the patch is also much smaller on the wire.
"""

from __future__ import annotations

import copy
import os
import shutil
import tempfile
import xml.etree.ElementTree as ET

from ansible_collections.failover.cluster.plugins.module_utils._model import cib as cibmodel
from ansible_collections.failover.cluster.plugins.module_utils._model.errors import CompileError

CIB_OLD_DATA = 103  # CRM_EX_OLD: the CIB moved on since the patch's source version
PACKAGE_TAG = "package"


class ApplyError(RuntimeError):
    """The CIB refused the change (message ready for fail_json)."""


# ---------------------------------------------------------------------------------------
# transport between the action plugin (controller) and the module (node)
def package_to_xml(compiled_package):
    """``<package name="..."><group|clone/><constraint/>...</package>``."""
    wrapper = ET.Element(PACKAGE_TAG, {"name": compiled_package.name})
    wrapper.append(compiled_package.resource)
    wrapper.extend(compiled_package.constraints)
    text = ET.tostring(wrapper, encoding="unicode")
    wrapper.clear()  # do not keep the compiled elements as children of the wrapper
    return text


def package_from_xml(text):
    """Inverse of :func:`package_to_xml`; checks the ids belong to the named package."""
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise CompileError("compiled package is not valid XML: {0}".format(exc)) from None
    name = root.get("name")
    if root.tag != PACKAGE_TAG or not name or len(root) == 0:
        raise CompileError("compiled package must be <package name=...> with the resource first")
    top = cibmodel.resource_id(name)
    resource, constraints = root[0], list(root[1:])
    if resource.get("id") != top:
        raise CompileError("compiled package {0}: the resource id must be {1}".format(name, top))
    for element in constraints:
        if not element.get("id", "").startswith(top + "."):
            raise CompileError("compiled package {0}: constraint {1} is not named {2}.*".format(
                name, element.get("id"), top))
    for element in [resource] + constraints:
        element.tail = None
    return cibmodel.CompiledPackage(name=name, resource=resource, constraints=constraints)


# ---------------------------------------------------------------------------------------
def _index(root):
    """{"resources/<id>": element, "constraints/<id>": element} of the top-level objects."""
    result = {}
    conf = root.find("configuration")
    for section in ("resources", "constraints"):
        node = conf.find(section) if conf is not None else None
        for element in node if node is not None else []:
            result["{0}/{1}".format(section, element.get("id") or element.tag)] = element
    return result


def pretty(elements):
    """Indented XML of some elements, for diff output."""
    parts = []
    for element in elements:
        clone = ET.fromstring(ET.tostring(element))
        clone.tail = None
        if hasattr(ET, "indent"):
            ET.indent(clone)
        parts.append(ET.tostring(clone, encoding="unicode"))
    return "\n".join(parts) + ("\n" if parts else "")


def dangling_references(cib_xml):
    """Collection-managed constraints (``fc.<package>.*``) that name a resource missing from the CIB."""
    root = ET.fromstring(cib_xml) if isinstance(cib_xml, str) else cib_xml
    ids = {element.get("id") for element in root.iter() if element.get("id")}
    conf = root.find("configuration")
    constraints = conf.find("constraints") if conf is not None else None
    problems = []
    for element in constraints if constraints is not None else []:
        cid = element.get("id", "")
        if not cid.startswith(cibmodel.ID_PREFIX) or "." not in cid[len(cibmodel.ID_PREFIX):]:
            continue
        name = cid[len(cibmodel.ID_PREFIX):].split(".", 1)[0]
        top = cibmodel.resource_id(name)
        for attr in ("rsc", "with-rsc", "first", "then"):
            target = element.get(attr)
            if target and target != top and target not in ids:
                other = target[len(cibmodel.ID_PREFIX):] if target.startswith(cibmodel.ID_PREFIX) else target
                problems.append("package {0} depends on package {1}, which is neither in this task nor in "
                                "the cluster (or this task removes it)".format(name, other))
    return sorted(set(problems))


class Plan:
    """What applying ``desired`` and removing ``remove`` would do to ``live_xml``."""

    def __init__(self, live_xml, desired, remove=()):
        self.live_xml = live_xml
        self.desired = desired
        self.remove = list(remove)
        self.new_xml = cibmodel.merge(live_xml, desired, list(desired), self.remove)
        # parse each CIB once (a CIB with 200 packages is ~1 MB of XML)
        self._live_root = ET.fromstring(live_xml)
        self._new_root = ET.fromstring(self.new_xml)
        old = {k: cibmodel._canonical(v) for k, v in _index(self._live_root).items()}
        new = {k: cibmodel._canonical(v) for k, v in _index(self._new_root).items()}
        self.changes = {
            "added": sorted(k for k in new if k not in old),
            "removed": sorted(k for k in old if k not in new),
            "changed": sorted(k for k in new if k in old and new[k] != old[k]),
        }
        self.problems = dangling_references(self._new_root)

    @property
    def changed(self):
        return any(self.changes[k] for k in ("added", "removed", "changed"))

    def diff(self):
        """Before/after XML of the objects that change (Ansible's diff format)."""
        old = _index(self._live_root)
        new = _index(self._new_root)
        before = [old[k] for k in sorted(self.changes["removed"] + self.changes["changed"])]
        after = [new[k] for k in sorted(self.changes["added"] + self.changes["changed"])]
        return {"before": pretty(before), "after": pretty(after), "before_header": "CIB (live)",
                "after_header": "CIB (after this task)"}

    def versioned_new_xml(self):
        """The new CIB with epoch = live epoch + 1 (so the patch carries a version check)."""
        live = self._live_root
        root = copy.copy(self._new_root)  # shallow: only the root's attributes change
        root.set("epoch", str(int(live.get("epoch", "0")) + 1))
        root.set("num_updates", live.get("num_updates", "0"))
        root.set("admin_epoch", live.get("admin_epoch", "0"))
        return ET.tostring(root, encoding="unicode")


def cib_version(cib_xml):
    root = ET.fromstring(cib_xml)
    return "{0}.{1}.{2}".format(root.get("admin_epoch", "0"), root.get("epoch", "0"), root.get("num_updates", "0"))


# ---------------------------------------------------------------------------------------
# I/O through a Runner (argv lists, LC_ALL=C)
def read_cib(runner):
    _rc, out, _err = runner.run([runner.which("cibadmin"), "--query"])
    return out


def patch_once(runner, plan):
    """One crm_diff + one cibadmin --patch. Returns (rc, stderr) of cibadmin."""
    workdir = tempfile.mkdtemp(prefix="fc-cib-")
    try:
        live_path = os.path.join(workdir, "live.xml")
        new_path = os.path.join(workdir, "new.xml")
        patch_path = os.path.join(workdir, "patch.xml")
        with open(live_path, "w", encoding="utf-8") as handle:
            handle.write(plan.live_xml)
        with open(new_path, "w", encoding="utf-8") as handle:
            handle.write(plan.versioned_new_xml())
        argv = [runner.which("crm_diff"), "--original", live_path, "--new", new_path]
        rc, out, err = runner.run(argv, check=False)
        if rc not in (0, 1) or not out.strip():  # 1 = differences found
            raise ApplyError("crm_diff failed (exit {0}): {1}".format(rc, (err or out).strip()))
        with open(patch_path, "w", encoding="utf-8") as handle:
            handle.write(out)
        rc, out, err = runner.run([runner.which("cibadmin"), "--patch", "--xml-file", patch_path], check=False)
        return rc, (err or out).strip()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def apply_desired(runner, live_xml, desired, remove=(), attempts=5):
    """Apply until done. Returns (plan actually applied, retries). A concurrent CIB change
    makes the patch fail with 103; then re-read, re-plan and retry (at most ``attempts``)."""
    plan = Plan(live_xml, desired, remove)
    for attempt in range(attempts):
        if plan.problems:
            raise ApplyError("; ".join(plan.problems))
        if not plan.changed:
            return plan, attempt
        rc, message = patch_once(runner, plan)
        if rc == 0:
            return plan, attempt
        if rc != CIB_OLD_DATA:
            raise ApplyError("the CIB refused the change (cibadmin --patch exit {0}): {1}".format(rc, message))
        plan = Plan(read_cib(runner), desired, remove)
    raise ApplyError("the CIB kept changing under this task; gave up after {0} attempts".format(attempts))
