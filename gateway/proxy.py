"""Forwards requests to services over one shared aiohttp session with keep-alive."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import aiohttp
import orjson
from yarl import URL

from shared.logging import CORRELATION_HEADER, current_correlation_id
from shared.tracing import inject_trace_headers

FORWARDED_REQUEST_HEADERS = ("content-type", "accept", "accept-language", "idempotency-key", "authorization")
_FORWARDED_REQUEST_NAMES = frozenset(name.encode() for name in FORWARDED_REQUEST_HEADERS)
FORWARDED_RESPONSE_HEADERS = ("content-type", "content-disposition", "location", "retry-after", "idempotent-replayed")


def forwarded_headers(raw: Iterable[tuple[bytes, bytes]]) -> dict[str, str]:
    """The whitelisted ones of an ASGI scope's raw headers (names arrive lower-cased), as `request` keeps them."""
    return {name.decode(): value.decode("latin-1") for name, value in raw if name in _FORWARDED_REQUEST_NAMES}


# RFC 3986's pchar without "%": a percent sign in a decoded path is data and is sent encoded as %25.
_PATH_SAFE = "/:@!$&'()*+,;=-._~"


def upstream_url(base: str, path: str, query: str) -> URL:
    """The service's URL for a decoded path, taken as it is: never re-decoded nor normalised.

    Left to its defaults, the client library would decode `%2e%2e` (a literal segment after the gateway
    decoded `%252e%252e`) to `..` and resolve it, climbing out of the route's prefix.
    """
    return URL(base + quote(path, safe=_PATH_SAFE) + (f"?{query}" if query else ""), encoded=True)


@dataclass(frozen=True)
class UpstreamResponse:
    status: int
    body: bytes
    headers: dict[str, str]

    def json(self) -> Any:
        return orjson.loads(self.body)


class UpstreamUnavailable(Exception):  # noqa: N818 - reads better at the raise site
    pass


class Proxy:
    def __init__(self, upstreams: Mapping[str, str], timeout: float, connections: int) -> None:
        self._upstreams = dict(upstreams)
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._connections = connections
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        # Shorter than the services' keep-alive (75 s), so the gateway never reuses a connection
        # the service is closing (a ServerDisconnectedError that would surface as a 503).
        connector = aiohttp.TCPConnector(limit=self._connections, keepalive_timeout=30, ttl_dns_cache=300)
        self._session = aiohttp.ClientSession(
            connector=connector,
            timeout=self._timeout,
            auto_decompress=False,
            # One session serves every caller: it must never keep a cookie from one answer for the next
            # request (and a cookie jar is filtered on every request).
            cookie_jar=aiohttp.DummyCookieJar(),
            # Bodies are relayed as they come and Content-Encoding is not forwarded: never ask for gzip.
            # No User-Agent either: the services do not use it, and each header is bytes on every hop.
            skip_auto_headers=("Accept-Encoding", "User-Agent"),
        )

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def request(
        self,
        service: str,
        method: str,
        path: str,
        *,
        query: str = "",
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        identity: Mapping[str, str] | None = None,
        client_ip: str = "",
    ) -> UpstreamResponse:
        assert self._session is not None, "Proxy.start() not called"
        # Only whitelisted client headers pass: a client can never forge X-Account-Id and the like.
        outgoing = {k: v for k, v in (headers or {}).items() if k.lower() in FORWARDED_REQUEST_HEADERS}
        outgoing.update(identity or {})
        if client_ip:
            outgoing["x-client-ip"] = client_ip
        correlation_id = current_correlation_id()
        if correlation_id:
            outgoing[CORRELATION_HEADER] = correlation_id
        inject_trace_headers(outgoing)  # the service's span becomes a child of this request's
        url = upstream_url(self._upstreams[service], path, query)
        try:
            async with self._session.request(method, url, data=body, headers=outgoing) as response:
                payload = await response.read()
                kept = {k: v for k, v in response.headers.items() if k.lower() in FORWARDED_RESPONSE_HEADERS}
                return UpstreamResponse(response.status, payload, kept)
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise UpstreamUnavailable(service) from exc

    async def call_json(self, service: str, method: str, path: str, payload: Any = None, **kw: Any) -> UpstreamResponse:
        body = orjson.dumps(payload) if payload is not None else None
        headers = {"content-type": "application/json", **kw.pop("headers", {})}
        return await self.request(service, method, path, body=body, headers=headers, **kw)

    async def alive(self, service: str) -> bool:
        try:
            return (await self.request(service, "GET", "/healthz")).status == 200
        except UpstreamUnavailable:
            return False
