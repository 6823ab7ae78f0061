# Copyright: failover.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The downtime a probe saw, for the runbooks' reports."""

from __future__ import annotations

DOCUMENTATION = r"""
name: probe_downtime
short_description: The downtime a probe saw during a switch
version_added: 0.1.0
description:
  - Reads the probe's samples (one JSON object per line with C(t) and C(up)) and returns the
    gaps - from the last sample with the service up to the first one with it up again - that
    overlap the switch, and their total.
positional: started, ended
options:
  _input:
    description: The probe's output.
    type: str
    required: true
  started:
    description: Epoch time the switch started.
    type: float
    required: true
  ended:
    description: Epoch time the switch ended (null - the last sample).
    type: float
author:
  - failover.cluster developers (@failover-cluster)
"""

EXAMPLES = r"""
- name: Downtime of the switch
  ansible.builtin.debug:
    msg: "{{ samples | failover.cluster.probe_downtime(switch.switch_started, ended) }}"
"""

RETURN = r"""
_value:
  description: C(seconds) (total, null when the service never came back), C(gaps), C(samples), C(first), C(last).
  type: dict
"""

from ansible_collections.failover.cluster.plugins.module_utils._timeline import downtime, parse_probe


def probe_downtime(text, started, ended=None):
    samples = parse_probe(text)
    t0 = float(started)
    t1 = float(ended) if ended not in (None, "") else (samples[-1][0] if samples else t0)
    gaps = downtime(samples, window=(t0, t1))
    open_gap = any(g["to"] is None for g in gaps)
    return {
        "seconds": None if open_gap or not samples else round(sum(g["seconds"] for g in gaps), 3),
        "gaps": [
            {
                "from": round(g["from"] - t0, 3),
                "to": None if g["to"] is None else round(g["to"] - t0, 3),
                "seconds": g["seconds"],
            }
            for g in gaps
        ],
        "samples": len(samples),
        "first": round(samples[0][0] - t0, 3) if samples else None,
        "last": round(samples[-1][0] - t0, 3) if samples else None,
    }


class FilterModule:
    def filters(self):
        return {"probe_downtime": probe_downtime}
