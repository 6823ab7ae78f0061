from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.failover.cluster.plugins.filter.network import subnet_interface

FACTS = {
    "interfaces": ["lo", "eth0", "eth1"],
    "lo": {"ipv4": {"address": "127.0.0.1"}, "macaddress": "00:00:00:00:00:00"},
    "eth0": {"ipv4": {"address": "198.51.100.11"}, "macaddress": "02:00:00:00:00:11"},
    "eth1": {
        "ipv4": {"address": "192.0.2.5"},
        "ipv4_secondaries": [{"address": "203.0.113.11"}],
        "macaddress": "02:00:00:00:01:11",
    },
}


def test_finds_the_interface_in_the_subnet():
    assert subnet_interface(FACTS, "198.51.100.0/24") == {
        "interface": "eth0",
        "address": "198.51.100.11",
        "mac": "02:00:00:00:00:11",
    }


def test_secondary_addresses_count():
    assert subnet_interface(FACTS, "203.0.113.0/24")["interface"] == "eth1"


def test_none_when_no_interface_is_in_the_subnet():
    assert subnet_interface(FACTS, "10.9.8.0/24") is None


def test_bad_subnet_is_a_clear_error():
    with pytest.raises(AnsibleFilterError, match="'nonsense' is not a subnet"):
        subnet_interface(FACTS, "nonsense")
