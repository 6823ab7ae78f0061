"""A stand-in for pip's get-pip.py that ansible-test runs to put pip into its venvs.

ansible-test downloads get-pip.py from ci-files.testing.ansible.com, which this network
does not reach. scripts/sanity seeds ansible-test's cache with this file instead: it runs
the pip that the project's own venv already has (copied next to this file as pip_src/)
to install the requested pip release from the package index the machine does reach.
get-pip.py's own flags (--no-setuptools, --no-wheel) mean "do not add these"; pip does
not know them, so they are dropped.
"""

import os
import runpy
import sys

GET_PIP_ONLY = {"--no-setuptools", "--no-wheel"}

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "pip_src"))
sys.argv = ["pip", "install", "--no-cache-dir"] + [a for a in sys.argv[1:] if a not in GET_PIP_ONLY]
runpy.run_module("pip", run_name="__main__", alter_sys=True)
