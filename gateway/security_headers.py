"""Headers that tell the browser how to treat every answer of the gateway: the portal's own scripts only,
never inside another page's frame, no MIME sniffing, no referrer beyond this origin, nothing personal cached.
"""

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Scripts and styles from /static only (no inline script, no eval), forms posted only here, no framing.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
ALWAYS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",  # frame-ancestors for browsers that predate it
    # Same-origin requests keep their Referer and Origin (the CSRF guard reads them); others get none.
    "referrer-policy": "same-origin",
    "cross-origin-opener-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=()",
}
HSTS = "max-age=31536000; includeSubDomains"
NO_STORE = "no-store"


def _raw(headers: dict[str, str]) -> tuple[tuple[bytes, bytes], ...]:
    return tuple((name.encode("latin-1"), value.encode("latin-1")) for name, value in headers.items())


class SecurityHeaders:
    """Sets the headers above on every response; `Cache-Control: no-store` on all but the static files.

    The headers are encoded once: this wraps every proxied booking, where Starlette's MutableHeaders (a scan
    of the headers per name set) cost about 5 µs a response.
    """

    def __init__(self, app: ASGIApp, https: bool) -> None:
        self.app = app
        always = {**ALWAYS, **({"strict-transport-security": HSTS} if https else {})}
        # Ours replace any the app set, so a response never carries two differing policies.
        self._names = frozenset(name.encode("latin-1") for name in (*always, "cache-control"))
        self._static = _raw(always)
        # Pages, API answers and downloads carry personal data: never kept by a browser or a proxy.
        self._dynamic = _raw({**always, "cache-control": NO_STORE})
        self._static_names = self._names - {b"cache-control"}  # static files keep their own caching

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        added = self._static if scope["path"].startswith("/static/") else self._dynamic
        names = self._names if added is self._dynamic else self._static_names

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                kept = [(name, value) for name, value in message.get("headers", ()) if name.lower() not in names]
                message["headers"] = [*kept, *added]
            await send(message)

        await self.app(scope, receive, send_with_headers)
