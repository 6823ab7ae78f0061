"""``python -m failover_lab``: the same command line as ``labctl``."""

import sys

from failover_lab.cli import main

sys.exit(main())
