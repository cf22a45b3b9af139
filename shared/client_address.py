"""The key a per-address limit counts by, from the client address the gateway forwards in X-Client-Ip.

Why the services may believe this header: the gateway (gateway/proxy.py) is its only legitimate sender. It
drops whatever X-Client-Ip a client sends and writes the address its socket saw (X-Forwarded-For is believed
only from GATEWAY_TRUSTED_PROXIES), and the services' ports are reachable only from the gateway (the
NetworkPolicies in the manifests). Who is calling is never taken from it: identity is the verified token
(shared/request_context.py). The header cannot be tied to that token instead, as the limits it feeds (sign-in,
bookings without an account) are precisely for callers who have none; so it stays an unsigned hint, and a
request that reaches a service without the gateway gains nothing by leaving it out or filling it with garbage.

The key (issue 18, follow-up on findings 3 and 6):
- IPv4: the address, in its canonical text;
- IPv4-mapped IPv6 (::ffff:a.b.c.d, as a dual-stack socket reports an IPv4 client): the IPv4 address;
- IPv6: its /64 network, as one subscriber holds a whole /64 and could draw a fresh address, and so a fresh
  allowance, for every try;
- missing, empty or unparsable: one fixed bucket, UNATTRIBUTED, shared by every such request, so that leaving
  the header out or rotating garbage in it never escapes a limit.
"""

import ipaddress
from functools import lru_cache
from typing import Annotated

from fastapi import Depends, Header
from starlette.types import Scope

UNATTRIBUTED = "unattributed"  # never an address's text, so no client shares this bucket by its address
_HEADER = b"x-client-ip"
# No address is written longer (45 characters for IPv6 ending in an IPv4, plus a short zone id): anything
# longer is garbage, answered without parsing it and without letting it into the caches.
_LONGEST = 64
# The addresses that make up a service's recent traffic: a hit costs a dict lookup and allocates nothing.
_CACHED = 4096


@lru_cache(maxsize=_CACHED)
def _key(forwarded: str) -> str:
    try:
        address = ipaddress.ip_address(forwarded)
    except ValueError:
        return UNATTRIBUTED
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        # Through the integer, so a zone id (fe80::1%eth0) does not make a separate network.
        return f"{ipaddress.IPv6Address(int(address) >> 64 << 64)}/64"
    return str(address)


def limit_key(forwarded: str | None) -> str:
    """The limit key of what the gateway forwarded in X-Client-Ip (None when the header is missing)."""
    if not forwarded or len(forwarded) > _LONGEST:
        return UNATTRIBUTED
    return _key(forwarded)


@lru_cache(maxsize=_CACHED)
def _key_of_bytes(raw: bytes) -> str:
    # Decoded here, not by ipaddress: given bytes, ip_address reads 4 or 16 of them as a packed address.
    return _key(raw.decode("latin-1"))


def limit_key_in(scope: Scope) -> str:
    """limit_key for a pure ASGI app, from the raw request headers (the first X-Client-Ip, as Starlette's)."""
    for name, value in scope["headers"]:
        if name == _HEADER:
            if not value or len(value) > _LONGEST:
                return UNATTRIBUTED
            return _key_of_bytes(value)
    return UNATTRIBUTED


async def _client_key(x_client_ip: Annotated[str | None, Header()] = None) -> str:
    return limit_key(x_client_ip)


# A route's per-address limit key (see the module's docstring for why the header is believed).
ClientKey = Annotated[str, Depends(_client_key)]
