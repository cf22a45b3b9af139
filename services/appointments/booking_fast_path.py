"""POST /appointments (a booking without an account) answered by pure ASGI: what api.book_appointment does,
without FastAPI's routing, dependency solving and Request object.

That machinery cost as much CPU per booking as the request's validation, on the service's hottest route.
This is the app's innermost middleware, so tracing, request metrics, correlation ids and the error page for a
crash wrap it as they wrap the routes. It answers only a well-formed JSON booking without an Idempotency-Key;
anything else (a body that does not validate, another content type, a replayable request) goes to FastAPI
with the body it read, so those answers (422 with the field and why, replays) stay FastAPI's own.
"""

import json

from fastapi.routing import APIRoute
from pydantic import ValidationError
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.appointments import api, booking_sources, service
from services.appointments.history_api import nam_digester
from services.appointments.schemas import BookAppointmentRequest
from shared.asgi_body import read_body
from shared.client_address import limit_key_in
from shared.errors import ApiError

ROUTE = next(r for r in api.router.routes if isinstance(r, APIRoute) and r.endpoint is api.book_appointment)
PATH = ROUTE.path
_PASSED_ON = (b"idempotency-key",)


def _plain_json_booking(scope: Scope) -> bool:
    if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] != PATH:
        return False
    json_body = False
    for name, value in scope["headers"]:
        if name in _PASSED_ON:
            return False
        if name == b"content-type":
            json_body = value.split(b";", 1)[0].strip().lower() == b"application/json"
    return json_body


def _replay(body: bytes) -> Receive:
    """A receive that hands FastAPI the body this middleware already read."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


class BookingFastPath:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not _plain_json_booking(scope):
            await self.app(scope, receive, send)
            return
        body = await read_body(receive)
        try:
            # As FastAPI reads a JSON body: json.loads, then the model's validation of the result.
            request = BookAppointmentRequest.model_validate(json.loads(body))
        except (ValueError, ValidationError):  # JSONDecodeError and UnicodeDecodeError are ValueErrors
            await self.app(scope, _replay(body), send)
            return
        scope["route"] = ROUTE  # metrics and spans label the request as when FastAPI routed it
        app = scope["app"]
        runtime = app.state.runtime
        try:
            booking = service.from_anonymous(request, nam_digester(Request(scope)).digest)
            # As the route's ClientKey: a missing or unreadable address is counted too, in one bucket.
            await booking_sources.admit(runtime.engine, runtime.settings, limit_key_in(scope))
            result = await service.book_appointment(
                runtime.unit_of_work(), runtime.settings.secret_key.get_secret_value().encode(), booking
            )
        except ApiError as refusal:
            # The very handler FastAPI would call (shared/errors.py): same status and FR/EN body.
            response = await app.exception_handlers[ApiError](Request(scope), refusal)
        else:
            response = api.booked_response(result)
        await response(scope, _replay(b""), send)
