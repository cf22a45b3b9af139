"""Requests the gateway composes from several services: the only place allowed to do so."""

import uuid
from collections.abc import Mapping
from typing import Any

from gateway.auth import Principal
from gateway.proxy import Proxy, UpstreamResponse
from gateway.upstreams import Accounts, Appointments, BookedAppointment
from gateway.upstreams.appointments import WaitlistEntry


async def book_for_person(
    proxy: Proxy,
    principal: Principal,
    slot_id: uuid.UUID,
    person_id: uuid.UUID | None,
    headers: Mapping[str, str],
) -> UpstreamResponse:
    """The JSON API's booking from the account's own data: the client names a person, never their details.
    The services' answers are passed on as they are (status, body, headers), so this one calls the proxy."""
    identity = principal.identity_headers()
    query = f"person_id={person_id}" if person_id else ""
    form = await proxy.request("accounts", "GET", "/me/booking-form", query=query, identity=identity)
    if form.status != 200:
        return form
    forwarded = {k: v for k, v in headers.items() if k.lower() in ("idempotency-key", "accept-language")}
    return await proxy.call_json(
        "appointments", "POST", "/my/appointments", _booking(slot_id, form.json()), headers=forwarded, identity=identity
    )


async def join_waitlist_for_person(
    proxy: Proxy,
    principal: Principal,
    join: Mapping[str, Any],
    person_id: uuid.UUID | None,
    headers: Mapping[str, str],
) -> UpstreamResponse:
    """The JSON API's waitlist entry from the account's own data, as its booking is (book_for_person): the
    client says what and when and names a person, never their details."""
    identity = principal.identity_headers()
    query = f"person_id={person_id}" if person_id else ""
    form = await proxy.request("accounts", "GET", "/me/booking-form", query=query, identity=identity)
    if form.status != 200:
        return form
    forwarded = {k: v for k, v in headers.items() if k.lower() in ("idempotency-key", "accept-language")}
    return await proxy.call_json(
        "appointments", "POST", "/my/waitlist", waitlist_join(join, form.json()), headers=forwarded, identity=identity
    )


async def booked_for_person(
    accounts: Accounts,
    appointments: Appointments,
    slot_id: uuid.UUID,
    person_id: uuid.UUID | None,
    idempotency_key: str,
) -> BookedAppointment:
    """A page's booking from the account: a repeated submit with the form's key answers the same booking."""
    person = await accounts.booking_form(str(person_id) if person_id else None)
    return await appointments.book_for_account(_booking(slot_id, person), idempotency_key)


async def joined_for_person(
    accounts: Accounts,
    appointments: Appointments,
    join: Mapping[str, Any],
    person_id: uuid.UUID | None,
    idempotency_key: str,
) -> WaitlistEntry:
    """A page's waitlist entry from the account: `join` says what and when (establishment_id, service_id,
    from_date, to_date, times_of_day), the account says who, as a booking's form does."""
    person = await accounts.booking_form(str(person_id) if person_id else None)
    return await appointments.join_waitlist_for_account(waitlist_join(join, person), idempotency_key)


def waitlist_join(join: Mapping[str, Any], person: Mapping[str, Any]) -> dict[str, Any]:
    """The body of appointments' POST /my/waitlist: the entry's choices and the person as a booking names them."""
    chosen = {key: join[key] for key in ("establishment_id", "service_id", "from_date", "to_date", "times_of_day")}
    return chosen | {k: v for k, v in _booking(None, person).items() if k != "slot_id"}


def _booking(slot_id: uuid.UUID | None, person: Mapping[str, Any]) -> dict[str, Any]:
    return {
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
