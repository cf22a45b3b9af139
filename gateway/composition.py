"""Requests the gateway composes from several services: the only place allowed to do so."""

import uuid
from collections.abc import Mapping

from gateway.auth import Principal
from gateway.proxy import Proxy, UpstreamResponse


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
    }
    forwarded = {k: v for k, v in headers.items() if k.lower() in ("idempotency-key", "accept-language")}
    return await proxy.call_json(
        "appointments", "POST", "/my/appointments", booking, headers=forwarded, identity=identity
    )
