"""Return codes of the emulated SNA stack.

The names follow the style of the product's administration interface (a primary code
saying what kind of failure, a secondary code saying which one); the set below is the
emulator's own and is stable: modules and agents may match on these names.
"""

from __future__ import annotations

# primary_rc -> exit status of snapadmin/snaadmin
PRIMARY_EXIT = {
    "OK": 0,
    "PARAMETER_CHECK": 2,
    "STATE_CHECK": 3,
    "UNSUCCESSFUL": 4,
    "COMM_SUBSYSTEM_NOT_LOADED": 5,
    "INVALID_VERB": 6,
    "COMM_SUBSYSTEM_ABENDED": 7,
}

# secondary_rc -> (primary_rc, meaning)
SECONDARY = {
    # PARAMETER_CHECK: the request itself is wrong
    "SYNTAX_ERROR": ("PARAMETER_CHECK", "the command line could not be split into verb and key=value pairs"),
    "MISSING_PARAMETER": ("PARAMETER_CHECK", "a required key is missing"),
    "UNKNOWN_PARAMETER": ("PARAMETER_CHECK", "the verb has no such key"),
    "INVALID_VALUE": ("PARAMETER_CHECK", "a value has characters or a range the product does not allow"),
    "INVALID_PORT_NAME": ("PARAMETER_CHECK", "no port of that name is defined"),
    "INVALID_LS_NAME": ("PARAMETER_CHECK", "no link station of that name is defined"),
    # STATE_CHECK: the request is valid but not in the current state
    "NODE_NOT_DEFINED": ("STATE_CHECK", "define_node has not been issued"),
    "NODE_NOT_STARTED": ("STATE_CHECK", "the node is not initialised (init_node)"),
    "NODE_ALREADY_STARTED": ("STATE_CHECK", "this server already runs a node (one node per server)"),
    "PORT_NOT_STARTED": ("STATE_CHECK", "the link station's port is not started"),
    "PORT_ACTIVE": ("STATE_CHECK", "the port must be stopped for this verb"),
    "PORT_HAS_LINK_STATIONS": ("STATE_CHECK", "link stations still use the port"),
    "LS_ACTIVE": ("STATE_CHECK", "the link station must be stopped (NOT_ACTIVE) for this verb"),
    "ALREADY_STARTING": ("STATE_CHECK", "the link station is already PENDING_ACTIVE"),
    "ALREADY_STOPPING": ("STATE_CHECK", "the link station is already PENDING_INACTIVE"),
    # UNSUCCESSFUL: the exchange with the network or the remote SNA host failed
    "LOCAL_ADDRESS_NOT_AVAILABLE": ("UNSUCCESSFUL", "the port's local IP address is not on this host"),
    "ADDRESS_IN_USE": ("UNSUCCESSFUL", "another process already uses the port's local address and UDP port"),
    "REMOTE_HOST_UNKNOWN": ("UNSUCCESSFUL", "the remote host name does not resolve"),
    "NO_RESPONSE": ("UNSUCCESSFUL", "the remote SNA host did not answer within the activation timeout"),
    "ACTIVATION_CANCELLED": ("UNSUCCESSFUL", "the link station or its port was stopped during activation"),
    "NODE_ACTIVE_ELSEWHERE": ("UNSUCCESSFUL", "the remote host still has the PU active for another node"),
    "ADDRESS_NOT_ALLOWED": ("UNSUCCESSFUL", "the remote host does not allow this source address for the PU"),
    "MAC_NOT_ALLOWED": ("UNSUCCESSFUL", "the remote host does not allow this source MAC address for the PU"),
    "UNKNOWN_PU": ("UNSUCCESSFUL", "the remote host has no such PU"),
    "PU_NOT_AVAILABLE": ("UNSUCCESSFUL", "the remote host refuses to activate the PU (made unavailable there)"),
}


class SnaError(Exception):
    """A failed verb: carries the primary and secondary return codes."""

    def __init__(self, primary: str, secondary: str | None = None, message: str = ""):
        super().__init__(message or secondary or primary)
        if secondary is not None and SECONDARY[secondary][0] != primary:
            raise ValueError(f"{secondary} does not belong to {primary}")
        self.primary = primary
        self.secondary = secondary
        self.message = message

    @classmethod
    def of(cls, secondary: str, message: str = "") -> SnaError:
        return cls(SECONDARY[secondary][0], secondary, message)

    def to_dict(self) -> dict:
        return {"primary_rc": self.primary, "secondary_rc": self.secondary, "message": self.message}
