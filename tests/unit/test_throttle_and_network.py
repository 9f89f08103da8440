from datetime import timedelta

import pytest

from auth.network import allowed, parse_networks, resolve_client_ip
from auth.throttle import ThrottlePolicy


def test_lock_doubles_and_is_capped():
    policy = ThrottlePolicy()
    assert [policy.lock_duration(n) for n in (1, 2, 3, 4)] == [
        timedelta(minutes=15),
        timedelta(minutes=30),
        timedelta(hours=1),
        timedelta(hours=2),
    ]
    assert policy.lock_duration(30) == timedelta(days=1)


PROXIES = parse_networks(["10.0.0.0/8"])


@pytest.mark.parametrize(
    "remote, forwarded, expected",
    [
        ("203.0.113.9", None, "203.0.113.9"),
        ("203.0.113.9", "1.2.3.4", "203.0.113.9"),  # not from a proxy: header ignored
        ("10.0.0.5", "198.51.100.7", "198.51.100.7"),
        ("10.0.0.5", "1.2.3.4, 198.51.100.7", "198.51.100.7"),  # spoofed left part ignored
        ("10.0.0.5", "198.51.100.7, 10.0.0.9", "198.51.100.7"),  # chained proxies skipped
    ],
)
def test_forwarded_for_is_believed_only_from_trusted_proxies(remote, forwarded, expected):
    assert resolve_client_ip(remote, forwarded, PROXIES) == expected


def test_allowlist():
    assert allowed("1.2.3.4", [])
    assert allowed("192.168.3.7", ["192.168.0.0/16"])
    assert not allowed("192.169.0.1", ["192.168.0.0/16"])
    assert allowed("2001:db8::1", ["2001:db8::/32"])
    assert not allowed("garbage", ["0.0.0.0/0"])
