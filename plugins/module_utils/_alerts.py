# Copyright: failover.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Plan and apply the cluster's alerts in one versioned CIB transaction.

:class:`AlertPlan` is pure: live CIB XML + compiled alerts -> the new CIB (the collection's
``fc-alert-*`` alerts replaced, foreign alerts untouched), what changes and the before/after
XML. :func:`apply_alerts` writes it with :func:`_cib_apply.patch_once` (one ``crm_diff`` +
one ``cibadmin --patch`` whose version check is the configuration's epoch) and re-reads and
re-plans when a concurrent configuration change made the CIB refuse the patch.
"""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET

from ansible_collections.failover.cluster.plugins.module_utils import _cib_apply
from ansible_collections.failover.cluster.plugins.module_utils._model import alerts as model


class AlertPlan:
    """What replacing the collection's alerts of ``live_xml`` by ``desired`` ({id: element}) does."""

    def __init__(self, live_xml, desired):
        self.live_xml = live_xml
        root = ET.fromstring(live_xml)
        self.changes, self._before, self._after = model.merge_alerts(root, desired)
        root.set("epoch", str(int(root.get("epoch", "0")) + 1))
        self._new_xml = ET.tostring(root, encoding="unicode")

    @property
    def changed(self):
        return any(self.changes.values())

    def versioned_new_xml(self):
        """The new CIB with epoch = live epoch + 1 (what _cib_apply.patch_once diffs against the live one)."""
        return self._new_xml

    def diff(self):
        return {"before": _cib_apply.pretty(self._before), "after": _cib_apply.pretty(self._after),
                "before_header": "CIB alerts (live)", "after_header": "CIB alerts (after this task)"}


def apply_alerts(runner, live_xml, desired, timeout=_cib_apply.APPLY_TIMEOUT, clock=time.monotonic,
                 sleep=time.sleep):
    """Apply until done; returns (plan applied, retries). Raises _cib_apply.ApplyError."""
    deadline = clock() + timeout
    plan = AlertPlan(live_xml, desired)
    retries = 0
    while plan.changed:
        rc, message = _cib_apply.patch_once(runner, plan)
        if rc == 0:
            break
        if rc not in _cib_apply.RETRY_EXITS:
            raise _cib_apply.ApplyError("the CIB refused the alerts (cibadmin --patch exit {0}): {1}".format(
                rc, message))
        retries += 1
        if clock() >= deadline:
            raise _cib_apply.ApplyError("the CIB configuration kept changing under this task; gave up after {0} s "
                                        "(last: cibadmin --patch exit {1}: {2})".format(timeout, rc, message))
        sleep(min(0.05 * retries, 1.0))
        plan = AlertPlan(_cib_apply.read_cib(runner), desired)
    return plan, retries
