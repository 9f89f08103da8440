"""Client addresses and per-role IP allowlists (CIDR).

``X-Forwarded-For`` is believed only when the direct peer is a configured proxy; then the
client is the right-most address that is not itself a trusted proxy.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from flask import current_app, request

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(cidrs: Iterable[str]) -> list[Network]:
    return [ipaddress.ip_network(c.strip(), strict=False) for c in cidrs if c.strip()]


def _in(address: str, networks: list[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in network for network in networks)


def resolve_client_ip(
    remote_addr: str, forwarded_for: str | None, trusted_proxies: list[Network]
) -> str:
    if not forwarded_for or not _in(remote_addr, trusted_proxies):
        return remote_addr
    hops = [h.strip() for h in forwarded_for.split(",") if h.strip()]
    for hop in reversed(hops):
        if not _in(hop, trusted_proxies):
            return hop
    return hops[0] if hops else remote_addr


def client_ip() -> str:
    trusted = current_app.config.get("TRUSTED_PROXY_NETWORKS", [])
    return resolve_client_ip(
        request.remote_addr or "", request.headers.get("X-Forwarded-For"), trusted
    )


def allowed(address: str, cidrs: list[str]) -> bool:
    """An empty allowlist allows everyone; otherwise the address must be inside one entry."""
    if not cidrs:
        return True
    return _in(address, parse_networks(cidrs))


def valid_cidr(text: str) -> bool:
    try:
        ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        return False
    return True
