"""HTTP routes of booking: parse, call a use case, answer; and the fast path of POST /appointments.

Who is calling comes from the access token the gateway forwards, verified here (shared/request_context.py):
a citizen's account. Bookings made without an account are managed with their token.
"""

import json
import typing
import uuid
from collections.abc import Iterable, Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Header, Query, Request, Response, status
from fastapi.routing import APIRoute
from prometheus_client import Counter
from pydantic import ValidationError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.appointments.booking import use_cases
from services.appointments.booking.rules import AppointmentDetails, Caller, NamDigester, NewBooking, appointment_ics
from services.appointments.booking.schemas import (
    AppointmentResponse,
    BookAppointmentRequest,
    BookedAppointmentResponse,
    BookForCallerRequest,
    BookForPersonRequest,
    CallerBookingResponse,
    ManageAppointmentRequest,
    MyAppointmentsResponse,
    RescheduleAppointmentRequest,
    RescheduleForCallerRequest,
)
from services.appointments.refusals import REFUSALS
from shared.asgi_body import read_body
from shared.client_address import ClientKey, limit_key_in
from shared.errors import ApiError, Refused
from shared.refusals import wording_of
from shared.request_context import Citizen, StaffMember, UoW
from shared.unit_of_work import UnitOfWork

router = APIRouter()


async def secret(request: Request) -> bytes:
    return request.app.state.runtime.settings.secret_key.get_secret_value().encode()  # type: ignore[no-any-return]


Secret = Annotated[bytes, Depends(secret)]
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)]


def nam_digester(request: Request) -> NamDigester:
    """One per process: the key derivation runs once, the booking path only computes an HMAC."""
    state = request.app.state
    digester: NamDigester | None = getattr(state, "nam_digester", None)
    if digester is None:
        digester = NamDigester(state.runtime.settings.nam_key.get_secret_value())
        state.nam_digester = digester
    return digester


def booked_response(result: tuple[BookedAppointmentResponse, bool]) -> Response:
    # Serialised here, once: returned as a model, FastAPI would validate it again against the response
    # model before serialising it (the hot path; the model is ours and already valid).
    booked, replayed = result
    headers = {"Idempotent-Replayed": "true"} if replayed else None
    return Response(booked.model_dump_json(), status.HTTP_201_CREATED, headers, "application/json")


BOOKINGS = Counter(
    "clinic_bookings",
    "Booking requests by outcome (booked, replayed, refused, failed); reason is the refusal code.",
    ["outcome", "reason"],
)


async def counted_booking(
    uow: UnitOfWork, key: bytes, booking: NewBooking, idempotency_key: str | None = None
) -> tuple[BookedAppointmentResponse, bool]:
    """use_cases.book_appointment, counted by outcome; a refusal by the code the edge answers it with."""
    try:
        result = await use_cases.book_appointment(uow, key, booking, idempotency_key)
    except Refused as refusal:
        BOOKINGS.labels("refused", wording_of(REFUSALS, refusal).code).inc()
        raise
    except BaseException:
        BOOKINGS.labels("failed", "").inc()
        raise
    BOOKINGS.labels("replayed" if result[1] else "booked", "").inc()
    return result


@router.post("/appointments", status_code=status.HTTP_201_CREATED, response_model=BookedAppointmentResponse)
async def book_appointment(
    body: BookAppointmentRequest,
    uow: UoW,
    key: Secret,
    request: Request,
    source: ClientKey,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Answered by BookingFastPath below unless it has an Idempotency-Key or a body that does not validate:
    whatever this route comes to need, the fast path must do too (check_fast_path)."""
    booking = use_cases.from_anonymous(body, nam_digester(request).digest)
    await use_cases.admit_booking_source(uow, request.app.state.runtime.settings, source)
    return booked_response(await counted_booking(uow, key, booking, idempotency_key))


@router.post("/my/appointments", status_code=status.HTTP_201_CREATED, response_model=BookedAppointmentResponse)
async def book_for_person(
    body: BookForPersonRequest,
    account_id: Citizen,
    uow: UoW,
    key: Secret,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    booking = use_cases.from_account(account_id, body)
    return booked_response(await counted_booking(uow, key, booking, idempotency_key))


@router.get("/my/appointments")
async def my_appointments(account_id: Citizen, uow: UoW) -> MyAppointmentsResponse:
    return await use_cases.my_appointments(uow, account_id)


@router.post("/my/appointments/{appointment_id}/cancel")
async def cancel_mine(appointment_id: uuid.UUID, account_id: Citizen, uow: UoW, key: Secret) -> AppointmentResponse:
    return await use_cases.cancel_appointment(uow, key, appointment_id, Caller(account_id=account_id))


@router.post("/my/appointments/{appointment_id}/confirm")
async def confirm_mine(appointment_id: uuid.UUID, account_id: Citizen, uow: UoW, key: Secret) -> AppointmentResponse:
    return await use_cases.confirm_presence(uow, key, appointment_id, Caller(account_id=account_id))


@router.post("/my/appointments/{appointment_id}/reschedule")
async def reschedule_mine(
    appointment_id: uuid.UUID, body: RescheduleAppointmentRequest, account_id: Citizen, uow: UoW, key: Secret
) -> AppointmentResponse:
    return await use_cases.reschedule_appointment(uow, key, appointment_id, body.slot_id, Caller(account_id=account_id))


@router.get("/my/appointments/{appointment_id}.ics")
async def my_calendar_file(appointment_id: uuid.UUID, account_id: Citizen, uow: UoW, key: Secret) -> Response:
    row = await use_cases.get_appointment(uow, key, appointment_id, Caller(account_id=account_id))
    return _ics(row)


@router.post("/appointments/{appointment_id}/cancel")
async def cancel_with_token(
    appointment_id: uuid.UUID, body: ManageAppointmentRequest, uow: UoW, key: Secret
) -> AppointmentResponse:
    return await use_cases.cancel_appointment(uow, key, appointment_id, Caller(token=body.token))


@router.post("/appointments/{appointment_id}/confirm")
async def confirm_with_token(
    appointment_id: uuid.UUID, body: ManageAppointmentRequest, uow: UoW, key: Secret
) -> AppointmentResponse:
    return await use_cases.confirm_presence(uow, key, appointment_id, Caller(token=body.token))


@router.post("/appointments/{appointment_id}/reschedule")
async def reschedule_with_token(
    appointment_id: uuid.UUID, body: RescheduleAppointmentRequest, uow: UoW, key: Secret
) -> BookedAppointmentResponse:
    """With the link's token; the answer carries the new link's token, the old one having stopped working."""
    return await use_cases.reschedule_with_link(uow, key, appointment_id, body.slot_id, body.token or "")


@router.get("/appointments/{appointment_id}.ics")
async def calendar_file(
    appointment_id: uuid.UUID, uow: UoW, key: Secret, token: Annotated[str, Query(max_length=200)]
) -> Response:
    return _ics(await use_cases.get_appointment(uow, key, appointment_id, Caller(token=token)))


@router.get("/appointments/{appointment_id}")
async def appointment_with_token(
    appointment_id: uuid.UUID, uow: UoW, key: Secret, token: Annotated[str, Query(max_length=200)]
) -> AppointmentResponse:
    """What a manage link is about, shown before the citizen cancels or confirms with it (after the .ics route,
    whose path this one would otherwise take)."""
    row = await use_cases.get_appointment(uow, key, appointment_id, Caller(token=token))
    return use_cases.appointment_response(row)


# --- staff booking for a caller on the phone or at the desk (clerk or manager of the establishment) ---


@router.post(
    "/admin/establishments/{establishment_id}/caller-bookings",
    status_code=status.HTTP_201_CREATED,
    response_model=CallerBookingResponse,
)
async def book_for_caller(
    establishment_id: uuid.UUID, body: BookForCallerRequest, who: StaffMember, uow: UoW, key: Secret, request: Request
) -> Response:
    booked, replayed = await use_cases.book_for_caller(
        uow, key, who, establishment_id, body, nam_digester(request).digest
    )
    headers = {"Idempotent-Replayed": "true"} if replayed else None
    return Response(booked.model_dump_json(), status.HTTP_201_CREATED, headers, "application/json")


@router.post("/admin/establishments/{establishment_id}/caller-bookings/{appointment_id}/cancel")
async def cancel_for_caller(
    establishment_id: uuid.UUID, appointment_id: uuid.UUID, who: StaffMember, uow: UoW, key: Secret
) -> AppointmentResponse:
    return await use_cases.cancel_for_caller(uow, key, who, establishment_id, appointment_id)


@router.post("/admin/establishments/{establishment_id}/caller-bookings/{appointment_id}/reschedule")
async def reschedule_for_caller(
    establishment_id: uuid.UUID,
    appointment_id: uuid.UUID,
    body: RescheduleForCallerRequest,
    who: StaffMember,
    uow: UoW,
    key: Secret,
) -> AppointmentResponse:
    return await use_cases.reschedule_for_caller(uow, key, who, establishment_id, appointment_id, body.slot_id)


def _ics(row: AppointmentDetails) -> Response:
    return Response(
        appointment_ics(row, row.language),
        media_type="text/calendar",
        headers={"content-disposition": f'attachment; filename="rendez-vous-{row.id}.ics"'},
    )


# --- POST /appointments (a booking without an account) answered by pure ASGI ---
#
# What book_appointment does, without FastAPI's routing, dependency solving and Request object.
#
# That machinery cost as much CPU per booking as the request's validation, on the service's hottest route.
# BookingFastPath is the app's innermost middleware, so tracing, request metrics, correlation ids and the
# error page for a crash wrap it as they wrap the routes. It answers only a well-formed JSON booking without
# an Idempotency-Key; anything else (a body that does not validate, another content type, a replayable
# request) goes to FastAPI with the body it read, so those answers (422 with the field and why, replays) stay
# FastAPI's own.

ROUTE = next(r for r in router.routes if isinstance(r, APIRoute) and r.endpoint is book_appointment)
PATH = ROUTE.path
_PASSED_ON = (b"idempotency-key",)


class FastPathOutOfStepError(RuntimeError):
    """The booking route asks for something BookingFastPath does not do: it would be skipped silently."""


def _dependency_of(annotated: object) -> object:
    return typing.get_args(annotated)[1].dependency


# The route's dependencies BookingFastPath does itself, in its own way: the unit of work
# (runtime.unit_of_work()), the secret (runtime.settings) and the client's limit key (limit_key_in).
REPRODUCED = frozenset(_dependency_of(annotated) for annotated in (UoW, Secret, ClientKey))
# Headers it reads: a request with an Idempotency-Key is passed on to FastAPI.
READ_HEADERS = frozenset({"Idempotency-Key"})


def _booking_routes(routes: Iterable[Any]) -> Iterator[Any]:
    for route in routes:
        if hasattr(route, "effective_candidates"):  # an included router, which FastAPI 0.165 keeps whole
            yield from _booking_routes(route.effective_candidates())
        elif getattr(route, "endpoint", None) is book_appointment:
            yield route


def check_fast_path(app: FastAPI) -> None:
    """At start: the booking route, as the app serves it (its router's and the app's dependencies included),
    must ask for exactly what BookingFastPath reproduces. A dependency added to it later (a rate limit, a
    check of the caller) would otherwise be skipped by every plain JSON booking, silently: this raises
    FastPathOutOfStepError instead, until the fast path does the same or stops taking the route."""
    routes = list(_booking_routes(app.router.routes))
    if not routes:
        raise FastPathOutOfStepError(f"no route answers POST {PATH} with book_appointment: the fast path would")
    for route in routes:
        dependant = route.dependant
        calls = {dependency.call for dependency in dependant.dependencies}
        headers = {field.alias for field in dependant.header_params}
        if calls != REPRODUCED or headers != READ_HEADERS:
            raise FastPathOutOfStepError(
                f"POST {PATH} depends on {sorted(map(repr, calls - REPRODUCED))} and headers "
                f"{sorted(headers - READ_HEADERS)} that BookingFastPath does not reproduce"
            )
        if dependant.query_params or dependant.cookie_params or dependant.path_params or route.max_body_size:
            raise FastPathOutOfStepError(f"POST {PATH} takes parameters or a body limit BookingFastPath ignores")


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
        uow = runtime.unit_of_work()
        try:
            booking = use_cases.from_anonymous(request, nam_digester(Request(scope)).digest)
            # As the route's ClientKey: a missing or unreadable address is counted too, in one bucket.
            await use_cases.admit_booking_source(uow, runtime.settings, limit_key_in(scope))
            result = await counted_booking(uow, runtime.settings.secret_key.get_secret_value().encode(), booking)
        except (Refused, ApiError) as refusal:
            # The very handler FastAPI would call (shared/errors.py): same status and FR/EN body.
            handler = app.exception_handlers[Refused if isinstance(refusal, Refused) else ApiError]
            response = await handler(Request(scope), refusal)
        else:
            response = booked_response(result)
        await response(scope, _replay(b""), send)
