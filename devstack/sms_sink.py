"""A development SMS provider: the HTTP API notifications' SmsChannel calls, keeping what it receives.

    POST /messages   {"from", "to", "body", "client_reference"} -> 201 {"id": "..."}
                     (Bearer token checked when one is configured; a known client_reference is not
                     delivered twice: the first message's id comes back, as idempotent providers do)
    GET  /api/messages   the received messages as JSON, newest first
    GET  /               a small HTML page of the same

Run alone: python -m devstack.sms_sink --port 8026 [--token TOKEN]
Tests start it in-process (SmsSink(port).start()), read it and can make it fail for a while.
"""

import argparse
import asyncio
import contextlib
import hmac
import html
import threading
import time
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

from aiohttp import web

from devstack.stop_signals import until_stopped


@dataclass
class ReceivedSms:
    id: str
    sender: str
    to: str
    body: str
    client_reference: str | None
    received_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat())


class SmsSink:
    def __init__(self, port: int = 8026, host: str = "127.0.0.1", token: str | None = None) -> None:
        self.host, self.port, self._token = host, port, token
        self._lock = threading.Lock()
        self._messages: list[ReceivedSms] = []
        self._transmissions = 0
        self._failures_left = 0
        self._failure_status = 500
        self.failures_served = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    # --- the HTTP API -------------------------------------------------------------------------------
    def app(self) -> web.Application:
        app = web.Application()
        app.add_routes(
            [
                web.post("/messages", self._on_post),
                web.get("/api/messages", self._as_json),
                web.get("/", self._as_html),
            ]
        )
        return app

    async def _on_post(self, request: web.Request) -> web.Response:
        if self._token is not None:
            expected = f"Bearer {self._token}"
            if not hmac.compare_digest(request.headers.get("Authorization", ""), expected):
                return web.json_response({"error": "unauthorized"}, status=401)
        with self._lock:
            if self._failures_left > 0:
                self._failures_left -= 1
                self.failures_served += 1
                return web.json_response({"error": "provider unavailable"}, status=self._failure_status)
        try:
            data = await request.json()
        except ValueError:
            return web.json_response({"error": "body must be JSON"}, status=400)
        if not isinstance(data, dict):
            return web.json_response({"error": "body must be a JSON object"}, status=400)
        missing = [name for name in ("from", "to", "body") if not isinstance(data.get(name), str) or not data[name]]
        reference = data.get("client_reference")
        if missing or (reference is not None and not isinstance(reference, str)):
            return web.json_response({"error": "invalid fields", "fields": missing or ["client_reference"]}, status=400)
        with self._lock:
            self._transmissions += 1
            known = next((m for m in self._messages if reference and m.client_reference == reference), None)
            if known is not None:
                return web.json_response({"id": known.id, "duplicate": True}, status=200)
            message = ReceivedSms(
                id=uuid.uuid4().hex, sender=data["from"], to=data["to"], body=data["body"], client_reference=reference
            )
            self._messages.append(message)
        return web.json_response({"id": message.id}, status=201)

    async def _as_json(self, _: web.Request) -> web.Response:
        return web.json_response([asdict(m) for m in reversed(self.messages())])

    async def _as_html(self, _: web.Request) -> web.Response:
        rows = "".join(
            f"<article><h2>{html.escape(m.to)}</h2><p>De / From: {html.escape(m.sender)} · "
            f"{html.escape(m.received_at)}</p><pre>{html.escape(m.body)}</pre></article>"
            for m in reversed(self.messages())
        )
        page = (
            "<!doctype html><html lang='fr'><meta charset='utf-8'><title>Textos (dev)</title>"
            "<meta http-equiv='refresh' content='5'><body style='font-family:sans-serif;max-width:50rem;margin:auto'>"
            f"<h1>Textos de développement</h1><p>{len(self.messages())} message(s), "
            f"{self.transmissions()} requête(s) acceptée(s)</p>{rows}</body></html>"
        )
        return web.Response(text=page, content_type="text/html")

    # --- in-process control, like MailSink ---------------------------------------------------------
    def start(self) -> "SmsSink":
        """Serves in a thread of its own (own event loop), so synchronous tests can read it too."""
        started = threading.Event()
        errors: list[BaseException] = []

        def serve() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            try:
                self._runner = web.AppRunner(self.app(), access_log=None)
                loop.run_until_complete(self._runner.setup())
                loop.run_until_complete(web.TCPSite(self._runner, self.host, self.port).start())
            except BaseException as exc:  # noqa: BLE001 - reported to start()'s caller
                errors.append(exc)
                started.set()
                loop.close()
                return
            started.set()
            loop.run_forever()
            loop.run_until_complete(self._runner.cleanup())
            loop.close()

        self._thread = threading.Thread(target=serve, name=f"sms-sink-{self.port}", daemon=True)
        self._thread.start()
        started.wait(10)
        if errors:
            raise errors[0]
        return self

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
        self._loop = self._thread = None

    def messages(self) -> list[ReceivedSms]:
        """What the phones received: a retransmission with a known client_reference is not shown twice."""
        with self._lock:
            return list(self._messages)

    def transmissions(self) -> int:
        """Every POST accepted (2xx), retransmissions included."""
        with self._lock:
            return self._transmissions

    def fail_next(self, count: int, status: int = 500) -> None:
        """Answer the next `count` POSTs with `status`, as a provider having trouble would."""
        with self._lock:
            self._failures_left, self._failure_status = count, status

    def clear(self) -> None:
        with self._lock:
            self._messages.clear()
            self._transmissions = 0
            self._failures_left = 0
            self.failures_served = 0

    def wait_for(self, count: int, timeout: float = 10.0) -> list[ReceivedSms]:
        """Waits until at least `count` messages arrived (or the timeout), then returns them all."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and len(self.messages()) < count:
            time.sleep(0.05)
        return self.messages()


async def _serve(port: int, token: str | None) -> None:
    runner = web.AppRunner(SmsSink(port=port, token=token).app())
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        await until_stopped()
    finally:
        await runner.cleanup()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=8026)
    parser.add_argument("--token", default=None, help="require this Bearer token on POST /messages")
    args = parser.parse_args(argv)
    # Ctrl-C before the server waits in until_stopped (still starting): stop without a traceback all the same.
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args.port, args.token))


if __name__ == "__main__":
    main()
