"""Address and subnet logic, all through netaddr.

Written against the netaddr API shared by Debian 12's python3-netaddr (0.8) and netaddr 1.x:
addresses are parsed with ``INET_PTON`` (no ``10.1`` shorthand, no leading zeros), network
and broadcast addresses are computed from ``first``/``last`` rather than attributes whose
behaviour changed between versions.
"""

try:
    import netaddr
except ImportError:  # the controller's venv has it; nodes get python3-netaddr from the cluster role
    netaddr = None


class AddressError(ValueError):
    """The message is ready to follow ``<field path>: ``."""


def require_netaddr():
    if netaddr is None:
        raise ImportError("the failover.cluster model needs the Python library netaddr (Debian: python3-netaddr)")


def parse_address(text):
    """An IPv4/IPv6 address without prefix length, as :class:`netaddr.IPAddress`."""
    require_netaddr()
    if not isinstance(text, str):
        raise AddressError("{0!r} is not a valid IPv4/IPv6 address".format(text))
    try:
        return netaddr.IPAddress(text, flags=netaddr.INET_PTON)
    except (netaddr.AddrFormatError, ValueError, TypeError):
        raise AddressError("{0} is not a valid IPv4/IPv6 address".format(text)) from None


def _split_prefix(text, what):
    require_netaddr()
    if not isinstance(text, str) or text.count("/") != 1:
        raise AddressError(
            "{0!r} needs a prefix length, e.g. 198.51.100.11/24 ({1})".format(text, what)
        )
    addr_text, prefix_text = text.split("/")
    address = parse_address(addr_text)
    maximum = 32 if address.version == 4 else 128
    if not prefix_text.isdigit() or not 0 <= int(prefix_text) <= maximum:
        raise AddressError("{0} has an invalid prefix length /{1} (0-{2})".format(text, prefix_text, maximum))
    return address, int(prefix_text)


def network_of(address, prefixlen):
    return netaddr.IPNetwork("{0}/{1}".format(address, prefixlen)).cidr


def reserved_reason(address, network):
    """Why ``address`` cannot be a host address in ``network`` (or None).

    IPv4 subnets of /30 and wider reserve the network and broadcast addresses; IPv6 subnets
    reserve the all-zero host (subnet-router anycast) address. /31, /32, /127 and /128
    reserve nothing.
    """
    if address.version == 4 and network.prefixlen <= 30:
        if int(address) == network.first:
            return "is the network address of {0}".format(network)
        if int(address) == network.last:
            return "is the broadcast address of {0}".format(network)
    if address.version == 6 and network.prefixlen <= 126 and int(address) == network.first:
        return "is the subnet-router (network) address of {0}".format(network)
    return None


def parse_interface_address(text, what="heartbeat address"):
    """``198.51.100.11/24`` -> (IPAddress, IPNetwork cidr). Rejects network/broadcast."""
    address, prefix = _split_prefix(text, what)
    network = network_of(address, prefix)
    reason = reserved_reason(address, network)
    if reason:
        raise AddressError("{0} {1}".format(address, reason))
    return address, network


def parse_subnet(text):
    """``198.51.100.0/24`` -> IPNetwork. The address part must be the network address."""
    address, prefix = _split_prefix(text, "subnet")
    network = network_of(address, prefix)
    if address != network.ip:
        raise AddressError("{0} is not a network address (did you mean {1}?)".format(text, network))
    return network


def in_network(address, network):
    return address.version == network.version and network.first <= int(address) <= network.last
