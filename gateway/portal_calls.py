"""What the public portal asks the services (search, slots, booking, manage links), typed.

Each call goes through gateway/upstreams.py's clients, so an answer other than the expected one raises
`UpstreamRefusal` (shown in the form where it belongs, else a full error page) and a service that is down
raises `UpstreamUnavailable` (the 503 page).
"""

import uuid
from datetime import datetime
from typing import Any, Literal, TypedDict
from urllib.parse import urlencode

from gateway.upstreams import Accounts, Appointments


class Establishment(TypedDict):
    id: str
    name: str
    address: str
    city: str
    postal_code: str


class SearchService(TypedDict):
    service_id: str
    name_fr: str
    name_en: str
    earliest_free_slot: str
    free_slots: int


class SearchResult(TypedDict):
    establishment: Establishment
    distance_km: float
    services: list[SearchService]


class SearchResults(TypedDict):
    total: int
    limit: int
    offset: int
    results: list[SearchResult]


class OfferedService(TypedDict):
    service_id: str
    name_fr: str
    name_en: str
    duration_minutes: int
    establishment: Establishment


class Slot(TypedDict):
    id: str
    starts_at: str
    ends_at: str
    seats_left: int


class Place(TypedDict):
    name: str
    address: str
    city: str
    postal_code: str


class ServiceName(TypedDict):
    service_id: str
    name_fr: str
    name_en: str


class Appointment(TypedDict):
    id: str
    status: str
    starts_at: str
    ends_at: str
    place: Place
    service: ServiceName
    first_name: str
    last_name: str
    language: str
    confirmed: bool


class BookedAppointment(Appointment):
    manage_token: str  # shown once to whoever booked without an account: their cancel link


class Person(TypedDict):
    id: str  # "" for the account holder
    name: str
    self: bool


ManageAction = Literal["cancel", "confirm"]
SLOTS_PER_CALL = 500  # the API's most; a day of a busy clinic is a few dozen


async def search(appointments: Appointments, criteria: dict[str, str]) -> SearchResults:
    results: SearchResults = await appointments.get("/search", urlencode(criteria))
    return results


async def offered_service(appointments: Appointments, service_id: uuid.UUID) -> OfferedService:
    offered: OfferedService = await appointments.get(f"/services/{service_id}")
    return offered


async def free_slots(
    appointments: Appointments, service_id: uuid.UUID, date_from: datetime, date_to: datetime, limit: int
) -> list[Slot]:
    """Slots with a seat left starting in [date_from, date_to), earliest first (never in the past)."""
    query = {
        "service_id": str(service_id),
        "date_from": date_from.isoformat(),
        "date_to": date_to.isoformat(),
        "limit": str(limit),
    }
    slots: list[Slot] = await appointments.get("/slots", urlencode(query))
    return slots


async def book_without_account(
    appointments: Appointments, booking: dict[str, Any], idempotency_key: str
) -> BookedAppointment:
    """The key makes a repeated submit (a double click, a reload) answer the same booking, not a second one."""
    answer = await appointments.call(
        "POST", "/appointments", booking, expect=(201,), headers={"Idempotency-Key": idempotency_key}
    )
    booked: BookedAppointment = answer.json()
    return booked


async def by_link(appointments: Appointments, appointment_id: uuid.UUID, token: str) -> Appointment:
    """The appointment a manage link is for; refused (404) once the link is spent or expired."""
    found: Appointment = await appointments.get(f"/appointments/{appointment_id}", urlencode({"token": token}))
    return found


async def act_by_link(
    appointments: Appointments, appointment_id: uuid.UUID, action: ManageAction, token: str
) -> Appointment:
    done: Appointment = await appointments.post(f"/appointments/{appointment_id}/{action}", {"token": token}, (200,))
    return done


async def calendar_file(appointments: Appointments, appointment_id: uuid.UUID, token: str) -> bytes:
    answer = await appointments.call("GET", f"/appointments/{appointment_id}.ics", query=urlencode({"token": token}))
    return answer.body


async def people(accounts: Accounts) -> list[Person]:
    """Whom a signed-in citizen may book for: themselves first, then their family."""
    me = await accounts.get("/me")
    family = await accounts.get("/me/dependants")
    return [Person(id="", name=f"{me['first_name']} {me['last_name']}", self=True)] + [
        Person(id=str(d["id"]), name=f"{d['first_name']} {d['last_name']}", self=False) for d in family
    ]
