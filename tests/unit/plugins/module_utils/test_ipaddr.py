"""Parsers and checks of relocatable_ip, on output captured from the real tools."""

from __future__ import annotations

from pathlib import Path

import pytest

from ansible_collections.failover.cluster.plugins.module_utils._ipaddr import (
    AddressProblem,
    check_address,
    find_address,
    parse_arping,
    parse_ip_json,
)

FIXTURES = Path(__file__).parent / "fixtures"


def test_arping_duplicate_reply_names_the_mac():
    result = parse_arping((FIXTURES / "arping_dad_dup.txt").read_text())
    assert result == {"sent": 1, "received": 1, "replies": [{"ip": "198.51.100.50", "mac": "fa:e9:e8:7d:4e:1d"}],
                      "macs": ["fa:e9:e8:7d:4e:1d"]}


def test_arping_no_reply():
    assert parse_arping((FIXTURES / "arping_dad_free.txt").read_text()) == {
        "sent": 2, "received": 0, "replies": [], "macs": []}
    assert parse_arping((FIXTURES / "arping_garp.txt").read_text())["sent"] == 2


def test_arping_two_answering_hosts_each_listed_once():
    text = ("ARPING 198.51.100.50 from 0.0.0.0 eth1\n"
            "Unicast reply from 198.51.100.50 [AA:AA:AA:AA:AA:01]  0.5ms\n"
            "Unicast reply from 198.51.100.50 [AA:AA:AA:AA:AA:02]  0.6ms\n"
            "Unicast reply from 198.51.100.50 [AA:AA:AA:AA:AA:01]  0.5ms\n"
            "Sent 2 probes (2 broadcast(s))\nReceived 3 response(s)\n")
    result = parse_arping(text)
    assert result["macs"] == ["aa:aa:aa:aa:aa:01", "aa:aa:aa:aa:aa:02"]
    assert result["received"] == 3


def test_arping_empty_output():
    assert parse_arping("") == {"sent": 0, "received": 0, "replies": [], "macs": []}


def test_ip_json_from_a_real_node():
    links = parse_ip_json((FIXTURES / "ip_addr.json").read_text())
    names = [link["ifname"] for link in links]
    assert names[0] == "lo" and "d0" in names
    d0 = next(link for link in links if link["ifname"] == "d0")
    assert d0["up"] is True and len(d0["mac"]) == 17
    expected = {"address": "198.51.100.11", "prefixlen": 24, "family": "inet", "label": "d0", "flags": []}
    assert expected in d0["addresses"]
    assert find_address(links, "198.51.100.11") == [("d0", 24)]
    assert find_address(links, "198.51.100.99") == []


def test_ip_json_flags_and_garbage():
    text = ('[{"ifname":"eth1","flags":["BROADCAST"],"address":"AA:BB:CC:DD:EE:FF","addr_info":'
            '[{"family":"inet6","local":"2001:db8::1","prefixlen":64,"tentative":true,"dadfailed":true}]},'
            '{"nothing":1}]')
    links = parse_ip_json(text)
    assert links == [{"ifname": "eth1", "mac": "aa:bb:cc:dd:ee:ff", "up": False, "lower_up": False,
                      "addresses": [{"address": "2001:db8::1", "prefixlen": 64, "family": "inet6", "label": None,
                                     "flags": ["tentative", "dadfailed"]}]}]
    with pytest.raises(ValueError, match="ip -j addr printed no JSON"):
        parse_ip_json("not json")
    assert parse_ip_json("") == []


@pytest.mark.parametrize("address, subnet, expected", [
    ("198.51.100.50", "198.51.100.0/24", ("198.51.100.50", 24)),
    ("198.51.100.50/24", None, ("198.51.100.50", 24)),
    ("198.51.100.50/24", "198.51.100.0/24", ("198.51.100.50", 24)),
    ("203.0.113.1", "203.0.113.0/31", ("203.0.113.1", 31)),
])
def test_check_address_accepts(address, subnet, expected):
    assert check_address(address, subnet) == expected


@pytest.mark.parametrize("address, subnet, message", [
    ("198.51.100.0", "198.51.100.0/24", "address: 198.51.100.0 is the network address of 198.51.100.0/24"),
    ("198.51.100.255", "198.51.100.0/24", "address: 198.51.100.255 is the broadcast address of 198.51.100.0/24"),
    ("203.0.113.5", "198.51.100.0/24", "address: 203.0.113.5 is not inside subnet 198.51.100.0/24"),
    ("198.51.100.300", "198.51.100.0/24", "address: 198.51.100.300 is not a valid IPv4/IPv6 address"),
    ("198.51.100.5", None, "subnet: required (or give address as addr/prefix)"),
    ("198.51.100.5", "198.51.100.0", "subnet: '198.51.100.0' needs a prefix length (for example 198.51.100.0/24)"),
    ("198.51.100.5", "198.51.100.1/24", "subnet: 198.51.100.1/24 is not a network address (did you mean "
                                        "198.51.100.0/24?)"),
    ("198.51.100.5/25", "198.51.100.0/24", "address: prefix /25 differs from subnet 198.51.100.0/24"),
    ("198.51.100.5/40", None, "address: /40 is not an IPv4 prefix length (1-32)"),
    ("2001:db8::5", "2001:db8::/64", "address: 2001:db8::5 is IPv6; relocatable_ip handles IPv4 (ARP) addresses "
                                     "only"),
])
def test_check_address_refuses_with_the_field_and_rule(address, subnet, message):
    with pytest.raises(AddressProblem) as info:
        check_address(address, subnet)
    assert str(info.value) == message
