"""Requests the gateway composes from several services: the only place allowed to do so."""

import uuid
from collections.abc import Mapping

from gateway.auth import Principal
from gateway.portal_calls import BookedAppointment
from gateway.proxy import Proxy, UpstreamResponse
from gateway.upstreams import ErrorItem, UpstreamRefusal


async def book_for_person(
    proxy: Proxy,
    principal: Principal,
    slot_id: uuid.UUID,
    person_id: uuid.UUID | None,
    headers: Mapping[str, str],
) -> UpstreamResponse:
    """A booking from the account's own data: the client names a person, never their details."""
    identity = principal.identity_headers()
    query = f"person_id={person_id}" if person_id else ""
    form = await proxy.request("accounts", "GET", "/me/booking-form", query=query, identity=identity)
    if form.status != 200:
        return form
    person = form.json()
    booking = {
        "slot_id": str(slot_id),
        "person_id": person["person_id"],
        "first_name": person["first_name"],
        "last_name": person["last_name"],
        "birth_date": person["birth_date"],
        "email": person["email"],
        "phone": person["phone"],
        "language": person["language"],
        "notify_email": person["notify_email"],
        "notify_sms": person["notify_sms"],
        "holder_name": person["holder_name"],
        # As the citizen entered it: the clinic's identity window pre-selects it.
        "sex": person["sex"],
    }
    forwarded = {k: v for k, v in headers.items() if k.lower() in ("idempotency-key", "accept-language")}
    return await proxy.call_json(
        "appointments", "POST", "/my/appointments", booking, headers=forwarded, identity=identity
    )


async def booked_for_person(
    proxy: Proxy,
    principal: Principal,
    slot_id: uuid.UUID,
    person_id: uuid.UUID | None,
    idempotency_key: str,
) -> BookedAppointment:
    """A page's booking from the account: a repeated submit with the form's key answers the same booking."""
    answer = await book_for_person(proxy, principal, slot_id, person_id, {"Idempotency-Key": idempotency_key})
    if answer.status != 201:
        raise UpstreamRefusal(answer.status, _errors(answer))
    booked: BookedAppointment = answer.json()
    return booked


def _errors(answer: UpstreamResponse) -> list[ErrorItem]:
    try:
        errors: list[ErrorItem] = answer.json().get("errors") or []
    except (ValueError, AttributeError):
        errors = []
    return errors or [{"field": None, "code": f"http_{answer.status}", "message": {"fr": "", "en": ""}}]
