"""The client's address for per-IP limits, also behind a reverse proxy we trust.

Behind nginx every request comes from the proxy's address, so a per-IP limit keyed
on the peer would throttle everyone at once. ``X-Forwarded-For`` is believed only
when the peer is one of ``FORUMLIVE_TRUSTED_PROXIES``, and only up to the first
hop that is not a trusted proxy: a client can prepend any address it likes to the
header, but not the hops our own proxies appended after it.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Sequence

from aiohttp import web

from server.appkeys import settings_key

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@functools.cache
def _networks(proxies: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(p, strict=False) for p in proxies)


def _trusted(address: str, networks: Sequence[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in networks)


def client_ip(request: web.Request) -> str:
    """The address per-IP limits count: the peer, or the client a trusted proxy names."""
    peer = request.remote or "unknown"
    networks = _networks(tuple(request.app[settings_key].trusted_proxies))
    if not networks or not _trusted(peer, networks):
        return peer
    hops = [
        hop.strip()
        for header in request.headers.getall("X-Forwarded-For", [])
        for hop in header.split(",")
    ]
    for hop in reversed(hops):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return peer  # a mangled chain: fall back to what we know for sure
        if not _trusted(hop, networks):
            return hop
    return peer
