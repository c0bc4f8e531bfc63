"""The pure parts of containers' private networks: an egress allowlist's nftables rules, the
kernel log's refusals read back, and CIDRs checked as the SDK and the server check them."""

import pytest

from leveret._shared.egress import check_cidrs
from leveret.worker.runtime.base import NetworkSpec
from leveret.worker.runtime.network import egress_rules, parse_denial


def test_an_allowlist_becomes_a_chain_jumped_to_by_the_containers_veth():
    rules = egress_rules(42, "ct-abc", ("198.51.100.0/24", "2001:db8::/32"))
    assert rules.splitlines() == [
        "add chain inet leveret c42",
        "add rule inet leveret c42 ip daddr { 198.51.100.0/24 } accept",
        "add rule inet leveret c42 ip6 daddr { 2001:db8::/32 } accept",
        'add rule inet leveret c42 limit rate 10/second log prefix "leveret-deny ct-abc "',
        "add rule inet leveret c42 reject with icmpx admin-prohibited",
        'add element inet leveret egress { "lvh2a" : jump c42 }',
    ]
    assert "accept" not in egress_rules(1, "ct-x", ())   # empty: nowhere


def test_a_refusal_in_the_kernel_log_names_its_container_and_destination():
    record = ("4,1234,83989090511,-;leveret-deny ct-123 IN=lvh1 OUT=eth0 MAC=fa SRC=10.89.0.2 DST=198.51.100.3"
              " LEN=60 TOS=0x00 PREC=0x00 TTL=63 ID=41969 DF PROTO=TCP SPT=58272 DPT=8080 WINDOW=64240 SYN")
    assert parse_denial(record) == ("ct-123", "TCP to 198.51.100.3:8080: outside its outbound allowlists")
    icmp = "4,1,2,-;leveret-deny ct-9 IN=lvh1 OUT=eth0 SRC=10.89.0.2 DST=203.0.113.9 LEN=84 PROTO=ICMP TYPE=8 CODE=0"
    assert parse_denial(icmp) == ("ct-9", "ICMP to 203.0.113.9: outside its outbound allowlists")
    assert parse_denial("6,2,3,-;EXT4-fs (loop0): unmounting filesystem") is None


def test_cidrs_are_normalised_and_a_bad_one_named():
    assert check_cidrs(["198.51.100.7", "10.1.2.3/8", "2001:db8::1/32"]) == ("198.51.100.7/32", "10.0.0.0/8",
                                                                             "2001:db8::/32")
    with pytest.raises(ValueError, match="'example.com' is not a CIDR"):
        check_cidrs(["10.0.0.0/8", "example.com"])
    with pytest.raises(ValueError, match="a list of CIDRs"):
        check_cidrs("10.0.0.0/8")


def test_an_allowlist_needs_a_private_network():
    assert NetworkSpec("private", ("10.0.0.0/8",)).isolated
    with pytest.raises(ValueError, match="needs a private network"):
        NetworkSpec("host", ("10.0.0.0/8",))


def test_a_domain_allowlist_adds_sets_its_name_server_fills():
    from leveret.worker.runtime.network import allow_rules

    rules = egress_rules(7, "ct-d", (), domains=True)
    assert "add set inet leveret a7 { type ipv4_addr; flags timeout; }" in rules
    assert "add rule inet leveret c7 ip daddr @a7 accept" in rules and "ip6 daddr @b7 accept" in rules
    assert allow_rules(7, ["198.51.100.2", "2001:db8::1"], 60) == (
        "add element inet leveret a7 { 198.51.100.2 timeout 60s }\n"
        "add element inet leveret b7 { 2001:db8::1 timeout 60s }\n")


def test_names_match_an_allowlist_as_modal_says():
    from leveret._shared.egress import check_domains
    from leveret.worker.runtime.dns import allowed

    assert allowed("pypi.org.", ("pypi.org",)) and not allowed("evil-pypi.org", ("pypi.org",))
    assert allowed("files.pythonhosted.org", ("*.pythonhosted.org",)) and not allowed("pythonhosted.org", ("*.pythonhosted.org",))
    assert allowed("anything.example", ("*",))
    assert check_domains(["PyPI.org.", "*.Example.com", "*"]) == ("pypi.org", "*.example.com", "*")
    with pytest.raises(ValueError, match="not a domain"):
        check_domains(["http://pypi.org"])
    with pytest.raises(ValueError, match="a list of domains"):
        check_domains("pypi.org")
