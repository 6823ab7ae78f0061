# Copyright: failover.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Plan and apply package changes to the live CIB in one transaction.

``plan()`` is pure: live CIB XML + compiled packages -> the new CIB, the objects that
change, their before/after XML, and problems (dangling dependencies). ``apply_plan()``
writes the new CIB as ONE versioned patch:

1. the new CIB gets ``epoch`` = live epoch + 1;
2. ``crm_diff --original live.xml --new new.xml`` makes a format-2 patch whose ``<source>``
   version is the live one;
3. the patch's version check is narrowed to the configuration: ``num_updates`` is removed
   from its ``<source>`` and ``<target>`` (:func:`configuration_only_patch`). The status
   section bumps ``num_updates`` with every operation result and node attribute, so on a
   busy cluster (probes, monitors) a check that includes it fails almost every time. The
   CIB manager takes a version field that a format-2 patch does not give as the CIB's
   current value (Pacemaker's ``xml_patch_versions`` only overwrites the fields present),
   so the check becomes "``admin_epoch`` and ``epoch`` are still those the plan was made
   from";
4. ``cibadmin --patch --xml-file patch.xml`` applies it. The CIB manager applies the whole
   patch or none of it, and only if the configuration is still at the source version: a
   concurrent configuration change (``epoch`` moved) is refused with exit code 103
   ("Update was older than existing configuration") instead of being overwritten. The
   caller then reads the CIB again, plans again and retries until a deadline (60 s by
   default); since the plan is a pure function of the live CIB, the retry is exact. Status
   churn alone never makes the patch fail.

Both halves were checked on a real Pacemaker 2.1.5 (tests/integration/test_cib_apply_busy.py):
a patch planned before a status update applies; a patch planned before a configuration
change is refused with 103 and the engine re-plans.

A patch was preferred to ``cibadmin --replace`` of the whole CIB: the replace would also
send back the status section read earlier (stale as soon as an operation result arrives),
and a configuration-scope replace carries no version, so it could silently undo a
concurrent change. Measured on a single node (benchmarks/bench_cib_apply.py): both take
about the same time; the patch is also much smaller on the wire.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
import xml.etree.ElementTree as ET

from ansible_collections.failover.cluster.plugins.module_utils._model import cib as cibmodel
from ansible_collections.failover.cluster.plugins.module_utils._model import fencing, ids
from ansible_collections.failover.cluster.plugins.module_utils._model.errors import CompileError

CIB_OLD_DATA = 103  # CRM_EX_OLD: the CIB moved on since the patch's source version
CIB_RESYNC = 104  # CRM_EX_DIGEST: the patch's source is newer than this CIB (a re-read fixes it)
CIB_TIMEOUT = 124  # CRM_EX_TIMEOUT: the CIB manager did not answer in time (busy); the patch may or may not apply
RETRY_EXITS = (CIB_OLD_DATA, CIB_RESYNC, CIB_TIMEOUT)
APPLY_TIMEOUT = 60  # s: how long apply_desired keeps re-planning on a CIB that keeps changing
PACKAGE_TAG = "package"


class ApplyError(RuntimeError):
    """The CIB refused the change (message ready for fail_json)."""


# ---------------------------------------------------------------------------------------
# transport between the action plugin (controller) and the module (node)
def package_to_xml(compiled_package):
    """``<package name="..."><group|clone/><constraint/>...</package>``."""
    wrapper = ET.Element(PACKAGE_TAG, {"name": compiled_package.name})
    wrapper.extend(compiled_package.resources)
    wrapper.extend(compiled_package.constraints)
    for clone, constraints in compiled_package.monitors:  # shared subnet monitors (ids fc-subnet-*)
        wrapper.append(clone)
        wrapper.extend(constraints)
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
    resource, rest = root[0], list(root[1:])
    if resource.get("id") != top:
        raise CompileError("compiled package {0}: the resource id must be {1}".format(name, top))
    parts = [e for e in rest if e.tag == "primitive" and ids.monitor_of(e.get("id")) is None]
    for element in parts:
        if not element.get("id", "").startswith(top + "."):
            raise CompileError("compiled package {0}: resource {1} is not named {2}.*".format(
                name, element.get("id"), top))
    rest = [e for e in rest if e not in parts]
    constraints = [e for e in rest if ids.monitor_of(e.get("id")) is None]
    monitors = {}
    for element in rest:
        mid = ids.monitor_of(element.get("id"))
        if mid is None:
            continue
        element.tail = None
        if element.tag == "clone" and element.get("id") == mid:
            monitors.setdefault(mid, [element, []])[0] = element
        elif element.tag == "rsc_location" and element.get("rsc") == mid:
            monitors.setdefault(mid, [None, []])[1].append(element)
        else:
            raise CompileError("compiled package {0}: {1} is not a subnet monitor or its constraint".format(
                name, element.get("id")))
    if any(clone is None for clone, _cons in monitors.values()):
        raise CompileError("compiled package {0}: a subnet monitor constraint without its monitor".format(name))
    for element in constraints:
        if not element.get("id", "").startswith(top + "."):
            raise CompileError("compiled package {0}: constraint {1} is not named {2}.*".format(
                name, element.get("id"), top))
    for element in [resource] + parts + constraints:
        element.tail = None
    return cibmodel.CompiledPackage(name=name, resource=resource, constraints=constraints,
                                    monitors=[tuple(pair) for pair in monitors.values()], parts=parts)


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


def _may_change(key, targets):
    """Whether merge() may have changed the object ``key`` (``resources/<id>`` or ``constraints/<id>``)."""
    oid = key.split("/", 1)[1]
    if oid.startswith(("cli-prefer-", "cli-ban-", cibmodel.NOSWITCH_PREFIX, cibmodel.RUNBOOK_PREFIX,
                       ids.SUBNET_PREFIX, ids.PING_PREFIX)):
        return True
    if not oid.startswith(cibmodel.ID_PREFIX):
        return False
    return oid[len(cibmodel.ID_PREFIX):].split(".", 1)[0] in targets


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
    present = {element.get("id") for element in root.iter() if element.get("id")}
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
            if target and target != top and target not in present:
                other = target[len(cibmodel.ID_PREFIX):] if target.startswith(cibmodel.ID_PREFIX) else target
                problems.append("package {0} depends on package {1}, which is neither in this task nor in "
                                "the cluster (or this task removes it)".format(name, other))
    return sorted(set(problems))


class _CibPlan:
    """Live CIB XML + the new CIB XML -> the top-level objects that change, diff and versioned XML.

    ``may_change(key)`` says which objects (``resources/<id>``, ``constraints/<id>``) the merge
    that made ``new_xml`` can have touched: only those are compared (a CIB of 500 packages).
    """

    def __init__(self, live_xml, new_xml, may_change, problems=()):
        self.live_xml = live_xml
        self.new_xml = new_xml
        # parse each CIB once (a CIB with 200 packages is ~1 MB of XML)
        self._live_root = ET.fromstring(live_xml)
        self._new_root = ET.fromstring(new_xml)
        old = _index(self._live_root)
        new = _index(self._new_root)
        self.changes = {
            "added": sorted(k for k in new if k not in old),
            "removed": sorted(k for k in old if k not in new),
            "changed": sorted(k for k in new if k in old and may_change(k)
                              and cibmodel._canonical(new[k]) != cibmodel._canonical(old[k])),
        }
        self.problems = list(problems)

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
        """The new CIB with epoch = live epoch + 1 (so the patch carries a version check).

        Only the root tag of the merged text is rewritten (serialising a CIB of 500 packages again
        took 0.25 s); the merged root carries the live version attributes already.
        """
        live = self._live_root
        end = self.new_xml.index(">")
        head = self.new_xml[:end]
        values = {"epoch": str(int(live.get("epoch", "0")) + 1), "num_updates": live.get("num_updates", "0"),
                  "admin_epoch": live.get("admin_epoch", "0")}
        for name, value in values.items():
            pattern = re.compile(r'(\s{0}=)"[^"]*"'.format(name))
            if pattern.search(head):
                head = pattern.sub(r'\1"{0}"'.format(value), head, count=1)
            else:
                head += ' {0}="{1}"'.format(name, value)
        return head + self.new_xml[end:]


class Plan(_CibPlan):
    """What applying ``desired`` and removing ``remove`` would do to ``live_xml``."""

    def __init__(self, live_xml, desired, remove=()):
        self.desired = desired
        self.remove = list(remove)
        new_xml = cibmodel.merge(live_xml, desired, list(desired), self.remove)
        # merge() keeps every object of the other packages and foreign objects as it was: only the objects
        # of the packages in this task (and the cli-*/fc-noswitch- constraints of removed ones) can differ
        targets = set(desired) | set(self.remove)
        super().__init__(live_xml, new_xml, lambda key: _may_change(key, targets))
        self.problems = dangling_references(self._new_root)


class FencingPlan(_CibPlan):
    """What putting the fencing resource ``desired`` (an element of :func:`fencing.compile_fencing`,
    None to remove it) into ``live_xml`` would do. Only that resource can change."""

    def __init__(self, live_xml, desired):
        self.desired = desired
        key = "resources/" + ids.fencing_id()
        super().__init__(live_xml, fencing.merge_fencing(live_xml, desired), lambda k: k == key)


def merge_constraint(live_xml, cid, element_xml=None, only_if_present=False):
    """``live_xml`` with the constraint ``cid`` replaced by ``element_xml`` (its XML text, whose id
    must be ``cid``), or removed when ``element_xml`` is None. With ``only_if_present`` a
    constraint that is not there is not added (a lease renewal must not bring back a rule that
    someone - or the switch's own release - removed)."""
    root = ET.fromstring(live_xml)
    conf = root.find("configuration")
    section = conf.find("constraints") if conf is not None else None
    if section is None:
        raise ApplyError("the live CIB has no configuration/constraints section")
    present = [c for c in section if c.get("id") == cid]
    if only_if_present and not present:
        return live_xml
    for old in present:
        section.remove(old)
    if element_xml is not None:
        element = ET.fromstring(element_xml)
        if element.get("id") != cid:
            raise ApplyError("constraint id {0!r} does not match its XML ({1!r})".format(cid, element.get("id")))
        section.append(element)
    return ET.tostring(root, encoding="unicode")


class ConstraintPlan(_CibPlan):
    """One constraint the collection owns outside a package's own set (a runbook's temporary rule):
    put ``element_xml`` in place of the constraint ``cid`` of ``live_xml``, or remove it (None).
    Only that constraint can change; the rest of the CIB is kept as it is."""

    def __init__(self, live_xml, cid, element_xml=None, only_if_present=False):
        self.cid = cid
        key = "constraints/" + cid
        super().__init__(live_xml, merge_constraint(live_xml, cid, element_xml, only_if_present), lambda k: k == key)


def cib_version(cib_xml):
    root = ET.fromstring(cib_xml)
    return "{0}.{1}.{2}".format(root.get("admin_epoch", "0"), root.get("epoch", "0"), root.get("num_updates", "0"))


_VERSION_BLOCK = re.compile(r"<version>.*?</version>", re.DOTALL)
_NUM_UPDATES = re.compile(r'(<(?:source|target)\b[^>]*?)\s+num_updates="[^"]*"')


def configuration_only_patch(patch_xml):
    """The crm_diff patch with ``num_updates`` removed from its ``<version>``'s source and target.

    The CIB manager then checks (and moves) only ``admin_epoch`` and ``epoch``: status updates
    between reading the CIB and patching no longer make the patch "older than the existing
    configuration", a configuration change still does. Only the ``<version>`` block is touched.
    """
    match = _VERSION_BLOCK.search(patch_xml)
    if match is None:
        raise ApplyError("crm_diff made a patch without a <version> block; refusing to apply it unversioned")
    block = _NUM_UPDATES.sub(r"\1", match.group(0))
    if 'epoch="' not in block:
        raise ApplyError("crm_diff made a patch whose version has no epoch; refusing to apply it unversioned")
    return patch_xml[:match.start()] + block + patch_xml[match.end():]


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
            handle.write(configuration_only_patch(out))
        rc, out, err = runner.run([runner.which("cibadmin"), "--patch", "--xml-file", patch_path], check=False)
        return rc, (err or out).strip()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def apply_desired(runner, live_xml, desired, remove=(), timeout=APPLY_TIMEOUT, clock=time.monotonic,
                  sleep=time.sleep):
    """Apply until done. Returns (plan actually applied, retries).

    A concurrent configuration change makes the patch fail with 103 (or the CIB manager is
    too busy to answer: 124); then re-read, re-plan and retry until ``timeout`` seconds have
    passed since the call. Every attempt is one whole patch, so the CIB holds either all of
    the change or none of it; a patch that timed out is never assumed applied: the re-read
    shows what is there and the re-plan covers whatever is missing.
    """
    return apply_planned(runner, live_xml, lambda live: Plan(live, desired, remove), timeout, clock, sleep)


def apply_planned(runner, live_xml, make_plan, timeout=APPLY_TIMEOUT, clock=time.monotonic, sleep=time.sleep):
    """:func:`apply_desired` for any plan: ``make_plan(live CIB XML)`` returns a :class:`Plan`-like
    object (:class:`FencingPlan`); it is called again on every re-read."""
    deadline = clock() + timeout
    plan = make_plan(live_xml)
    retries = 0
    last = None
    while True:
        if plan.problems:
            raise ApplyError("; ".join(plan.problems))
        if not plan.changed:
            return plan, retries
        rc, message = patch_once(runner, plan)
        if rc == 0:
            return plan, retries
        if rc not in RETRY_EXITS:
            raise ApplyError("the CIB refused the change (cibadmin --patch exit {0}): {1}".format(rc, message))
        last = "cibadmin --patch exit {0}: {1}".format(rc, message)
        retries += 1
        live = None
        while live is None:
            if clock() >= deadline:
                raise ApplyError("the CIB configuration kept changing under this task; gave up after {0} s and {1} "
                                 "refused attempt(s) (last: {2}); each attempt is one whole patch, so the CIB holds "
                                 "all of this change or none of it".format(timeout, retries, last))
            sleep(min(0.05 * retries, 1.0))
            rc, live, err = runner.run([runner.which("cibadmin"), "--query"], check=False)
            if rc != 0:
                last = "cibadmin --query exit {0}: {1}".format(rc, (err or live).strip())
                live = None
        plan = make_plan(live)
