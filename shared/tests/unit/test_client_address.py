"""The key per-address limits count by (issue 18, follow-up on findings 3 and 6): before, each service read
X-Client-Ip its own way, a missing header went uncounted by the booking limit, and every IPv6 address of a
subscriber's /64 was a fresh allowance."""

import pytest

from shared.client_address import UNATTRIBUTED, limit_key, limit_key_in


def _scope(*headers: tuple[bytes, bytes]) -> dict:
    return {"type": "http", "headers": [(b"content-type", b"application/json"), *headers]}


@pytest.mark.parametrize(
    ("forwarded", "key"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("127.0.0.1", "127.0.0.1"),
        ("::ffff:203.0.113.7", "203.0.113.7"),  # an IPv4 client as a dual-stack socket reports it
        ("::ffff:cb00:7107", "203.0.113.7"),
    ],
)
def test_an_ipv4_address_is_its_own_key(forwarded, key):
    assert limit_key(forwarded) == key
    assert limit_key_in(_scope((b"x-client-ip", forwarded.encode()))) == key


def test_every_address_of_an_ipv6_slash_64_shares_one_key():
    rotated = [
        "2001:db8:1:2::1",
        "2001:db8:1:2:ffff:ffff:ffff:ffff",
        "2001:0db8:0001:0002:0a0b:0c0d:0e0f:1011",
        "2001:DB8:1:2:dead:beef:0:1",
        "2001:db8:1:2::1%eth0",
    ]
    assert {limit_key(address) for address in rotated} == {"2001:db8:1:2::/64"}
    assert {limit_key_in(_scope((b"x-client-ip", a.encode()))) for a in rotated} == {"2001:db8:1:2::/64"}
    # The next /64 is another client.
    assert limit_key("2001:db8:1:3::1") == "2001:db8:1:3::/64"
    assert limit_key("::1") == "::/64"


@pytest.mark.parametrize("forwarded", [None, ""])
def test_a_missing_address_falls_in_the_one_fixed_bucket(forwarded):
    assert limit_key(forwarded) == UNATTRIBUTED
    assert limit_key_in(_scope()) == UNATTRIBUTED
    assert limit_key_in(_scope((b"x-client-ip", b""))) == UNATTRIBUTED


@pytest.mark.parametrize(
    "garbage",
    [
        "unknown",
        "not an address",
        "203.0.113.7, 10.0.0.1",  # a forwarded chain is not an address
        " 203.0.113.7",
        "203.0.113.256",
        "2001:db8::1::2",
        "2001:db8::/64",  # a network, not an address
        "1" * 5000,
        "é",
        "abcd",  # four bytes, which ip_address would read as a packed IPv4 address
    ],
)
def test_an_unreadable_address_falls_in_the_same_bucket(garbage):
    assert limit_key(garbage) == UNATTRIBUTED
    assert limit_key_in(_scope((b"x-client-ip", garbage.encode()))) == UNATTRIBUTED


def test_the_first_header_counts_as_starlette_reads_it():
    scope = _scope((b"x-client-ip", b"198.51.100.20"), (b"x-client-ip", b"203.0.113.7"))
    assert limit_key_in(scope) == "198.51.100.20"


def test_no_bucket_can_be_named_by_an_address():
    assert limit_key(UNATTRIBUTED) == UNATTRIBUTED
    assert UNATTRIBUTED not in {limit_key("0.0.0.0"), limit_key("::")}
