"""Make the checkout importable as ansible_collections.failover.cluster.

The checkout is seen through .cache/collections/ansible_collections/failover/cluster, a
relative symlink to the checkout root (created by scripts/setup, and here if missing), so
tests import the code they are testing and nothing is installed into ~/.ansible.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COLLECTIONS = ROOT / ".cache" / "collections"
LINK = COLLECTIONS / "ansible_collections" / "failover" / "cluster"

if not LINK.is_symlink():
    LINK.parent.mkdir(parents=True, exist_ok=True)
    LINK.symlink_to(Path("..") / ".." / ".." / "..")
if str(COLLECTIONS) not in sys.path:
    sys.path.insert(0, str(COLLECTIONS))
os.environ.setdefault("ANSIBLE_CONFIG", str(ROOT / "ansible.cfg"))
os.environ.setdefault("ANSIBLE_COLLECTIONS_PATH", str(COLLECTIONS))
