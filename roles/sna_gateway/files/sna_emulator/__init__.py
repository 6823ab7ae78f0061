"""An emulator of an SNA stack (SNAplus2 / IBM Communications Server for Linux) for tests and demos.

Not the product: a stand-in that behaves like it where a failover cluster cares (control daemon,
admin verbs, link station activation over the network, the HA failure modes). Stdlib only.
"""

__version__ = "0.1.0"

TOOLS = ("snap", "sna", "snapadmin", "snaadmin", "snahost")
