"""A citizen's association request, composed by the gateway: the patient must be a member of the
citizen's own family, and the request goes to the establishment of that patient's next appointment in
the citizen's own account. The client names a person, never an establishment."""

import uuid
from typing import Any

from gateway.auth import Principal
from gateway.proxy import Proxy, UpstreamResponse
from gateway.upstreams import Accounts, Appointments, Verification
from shared.errors import ApiError

NO_UPCOMING_APPOINTMENT = ApiError(
    422,
    "no_upcoming_appointment",
    "person_id",
    "Prenez d'abord rendez-vous pour cette personne : la clinique de son prochain rendez-vous traitera la demande.",
    "Book an appointment for this person first: the clinic of their next appointment will handle the request.",
)
NOT_A_DEPENDANT = ApiError(
    422,
    "not_a_dependant",
    "person_id",
    "Seule une personne ajoutée à votre compte peut y être associée.",
    "Only a person added to your account can be associated with it.",
)


def next_appointment_of(appointments: dict[str, Any], person_id: uuid.UUID) -> dict[str, Any] | None:
    """The earliest upcoming booked appointment of that person (the list is in time order)."""
    wanted = str(person_id)
    return next(
        (a for a in appointments.get("upcoming", []) if a.get("person_id") == wanted and a["status"] == "booked"),
        None,
    )


def _family_member(family: list[Any], person_id: uuid.UUID) -> None:
    if str(person_id) not in {d["id"] for d in family}:
        raise NOT_A_DEPENDANT


def _next_appointment(appointments: dict[str, Any], person_id: uuid.UUID) -> dict[str, Any]:
    appointment = next_appointment_of(appointments, person_id)
    if appointment is None:
        raise NO_UPCOMING_APPOINTMENT
    return appointment


async def file_association_request(proxy: Proxy, principal: Principal, person_id: uuid.UUID) -> UpstreamResponse:
    """The JSON API's: raises ApiError when the request cannot be filed; else the services' answer, passed on
    as it is (status, body, headers), so this one calls the proxy."""
    identity = principal.identity_headers()
    family = await proxy.request("accounts", "GET", "/me/dependants", identity=identity)
    if family.status != 200:
        return family
    _family_member(family.json(), person_id)
    mine = await proxy.request("appointments", "GET", "/my/appointments", identity=identity)
    if mine.status != 200:
        return mine
    appointment = _next_appointment(mine.json(), person_id)
    return await proxy.call_json(
        "verification",
        "POST",
        "/my/association-requests",
        {
            "person_id": str(person_id),
            "establishment_id": appointment["place"]["establishment_id"],
            "appointment_id": appointment["id"],
        },
        identity=identity,
    )


async def filed_association_request(
    accounts: Accounts, appointments: Appointments, verification: Verification, person_id: uuid.UUID
) -> None:
    """A page's: raises ApiError when the request cannot be filed, UpstreamRefusal when a service refuses."""
    _family_member(list(await accounts.dependants()), person_id)
    appointment = _next_appointment(dict(await appointments.mine()), person_id)
    await verification.file_association_request(
        str(person_id), appointment["place"]["establishment_id"], appointment["id"]
    )
