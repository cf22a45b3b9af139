"""The appointments service as the pages see it: the portal (search, slots, booking, manage links), the
citizen's own appointments and history, and the console (front desk, schedules)."""

import uuid
from datetime import datetime
from typing import Any, Literal, NotRequired, TypedDict
from urllib.parse import urlencode

from gateway.proxy import UpstreamResponse
from gateway.upstreams.base import Upstream


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
    # The clinic's rules (gateway/web/clinic_rules.py): the cut-off for changing online and the visit's instructions.
    cancel_cutoff_hours: int
    changeable_until: str | None
    clinic_phone: str | None
    instructions_fr: str | None
    instructions_en: str | None


class BookedAppointment(Appointment):
    manage_token: str  # shown once to whoever booked without an account: their cancel link


class MyAppointments(TypedDict):
    upcoming: list[dict[str, Any]]
    past: list[dict[str, Any]]


class History(TypedDict):
    holder_validated: bool  # until a clinic validates the holder, only what was booked from the account
    generated_at: str
    appointments: list[dict[str, Any]]  # most recent first


class StaffEstablishment(TypedDict):
    id: str
    name: str
    timezone: str


class FrontDeskService(TypedDict):
    service_id: str
    name_fr: str
    name_en: str


class FrontDeskEntry(TypedDict):
    """One appointment as the front desk reads it (appointments' DayListEntry)."""

    id: str
    status: str
    starts_at: str
    service: FrontDeskService
    person_id: str | None
    account_id: str | None
    first_name: str
    last_name: str
    birth_date: str | None
    holder_name: str | None
    sex: str | None  # the patient's as entered in their account (F, M or X); none without an account
    profile_icon: str
    card_icon: str


class WaitlistPlace(TypedDict):
    establishment_id: str
    name: str
    address: str
    city: str
    postal_code: str
    timezone: str


class WaitlistPerson(TypedDict):
    first_name: str
    last_name: str


class WaitlistOffer(TypedDict):
    """A seat held for one waitlist entry until `expires_at` (appointments' WaitlistOfferResponse)."""

    id: str
    status: str  # open | accepted | declined | expired
    starts_at: str
    ends_at: str
    expires_at: str
    service: ServiceName
    place: WaitlistPlace
    person: WaitlistPerson
    appointment_id: str | None


class WaitlistEntry(TypedDict):
    """One person waiting for one service at one establishment (appointments' WaitlistEntryResponse)."""

    id: str
    status: str  # waiting | offered | booked | left | ended
    service: ServiceName
    place: WaitlistPlace
    person: dict[str, Any]  # person_id (None for the holder or without an account), first_name, last_name
    from_date: str
    to_date: str
    times_of_day: list[str]
    joined_at: str
    position: int | None  # 1-based among those waiting for the same service; None when not waiting
    offer: dict[str, Any] | None  # the open WaitlistOffer; from GET /my/waitlist, with its link's `token`
    hold_minutes: int  # the establishment's: how long a seat offered to this entry is held
    # Once ended: dates_passed | offers_unanswered (two offers expired unanswered) | dependant_removed
    ended_reason: NotRequired[str | None]


class JoinedWithoutAccount(TypedDict):
    entry: WaitlistEntry
    token: str  # the entry's secret: its page /waitlist/entries/{id}?token=…


class WaitlistLength(TypedDict):
    service_id: str
    name_fr: str
    name_en: str
    waiting: int
    offered: int
    hold_minutes: int


class WaitlistLines(TypedDict):
    services: list[WaitlistLength]
    hold_minutes: int  # the establishment's: how long a seat offered is held


ManageAction = Literal["cancel", "confirm"]
ESTABLISHMENT_PAGES = 50  # of 100: the platform's establishments, with room to grow
SLOTS_PER_CALL = 500  # the API's most; a day of a busy clinic is a few dozen


class Appointments(Upstream):
    service = "appointments"

    # --- the portal: search, a service's free times, booking without an account, manage links ---
    async def search(self, criteria: dict[str, str]) -> SearchResults:
        results: SearchResults = await self.get("/search", urlencode(criteria))
        return results

    async def offered_service(self, service_id: uuid.UUID) -> OfferedService:
        offered: OfferedService = await self.get(f"/services/{service_id}")
        return offered

    async def free_slots_between(
        self, service_id: uuid.UUID, date_from: datetime, date_to: datetime, limit: int
    ) -> list[Slot]:
        """Slots with a seat left starting in [date_from, date_to), earliest first (never in the past)."""
        query = {
            "service_id": str(service_id),
            "date_from": date_from.isoformat(),
            "date_to": date_to.isoformat(),
            "limit": str(limit),
        }
        slots: list[Slot] = await self.get("/slots", urlencode(query))
        return slots

    async def book_without_account(self, booking: dict[str, Any], idempotency_key: str) -> BookedAppointment:
        """The key makes a repeated submit (a double click, a reload) answer the same booking, not a second one."""
        answer = await self.call(
            "POST", "/appointments", booking, expect=(201,), headers={"Idempotency-Key": idempotency_key}
        )
        booked: BookedAppointment = answer.json()
        return booked

    async def by_link(self, appointment_id: uuid.UUID, token: str) -> Appointment:
        """The appointment a manage link is for; refused (404) once the link is spent or expired."""
        found: Appointment = await self.get(f"/appointments/{appointment_id}", urlencode({"token": token}))
        return found

    async def act_by_link(self, appointment_id: uuid.UUID, action: ManageAction, token: str) -> Appointment:
        done: Appointment = await self.post(f"/appointments/{appointment_id}/{action}", {"token": token}, (200,))
        return done

    async def calendar_file(self, appointment_id: uuid.UUID, token: str) -> bytes:
        answer = await self.call("GET", f"/appointments/{appointment_id}.ics", query=urlencode({"token": token}))
        return answer.body

    async def establishment_names(self, wanted: set[str]) -> dict[str, str]:
        """id -> name of these establishments, from the public list (a page of 100 at a time, until all are
        found or the list ends): the chooser of a person who works at several."""
        names: dict[str, str] = {}
        offset = 0
        while wanted - names.keys() and offset < ESTABLISHMENT_PAGES * 100:
            page: list[dict[str, Any]] = await self.get("/establishments", f"limit=100&offset={offset}")
            names |= {str(e["id"]): str(e["name"]) for e in page if str(e["id"]) in wanted}
            if len(page) < 100:
                break
            offset += 100
        return names

    # --- the citizen's own appointments (gateway/account_pages.py, gateway/composition.py) ---
    async def book_for_account(self, booking: dict[str, Any], idempotency_key: str) -> BookedAppointment:
        """A booking from the account's own data; the key replays the same booking on a repeated submit."""
        answer = await self.call(
            "POST", "/my/appointments", booking, expect=(201,), headers={"Idempotency-Key": idempotency_key}
        )
        booked: BookedAppointment = answer.json()
        return booked

    async def mine(self) -> MyAppointments:
        listing: MyAppointments = await self.get("/my/appointments")
        return listing

    async def act_on_mine(self, appointment_id: str, action: str, payload: dict[str, Any] | None = None) -> Any:
        return await self.post(f"/my/appointments/{appointment_id}/{action}", payload or {}, expect=(200,))

    async def free_slots(self, service_id: str, date_from: str | None = None) -> list[dict[str, Any]]:
        query = f"service_id={service_id}&limit=300" + (f"&date_from={date_from}" if date_from else "")
        slots: list[dict[str, Any]] = await self.get("/slots", query)
        return slots

    async def calendar_file_of_mine(self, appointment_id: uuid.UUID) -> UpstreamResponse:
        """The .ics as the service answered it (its headers name the file)."""
        return await self.call("GET", f"/my/appointments/{appointment_id}.ics")

    async def history(self) -> History:
        history: History = await self.get("/my/history")
        return history

    async def history_document(self, document: Literal["pdf", "ics"], language: str) -> UpstreamResponse:
        """The history as a file, as the service answered it (its headers name the file)."""
        return await self.call("GET", f"/my/history/{document}", query=f"language={language}")

    # --- the console (front desk and schedules); the staff token says which establishment is theirs ---
    async def own_establishment(self, establishment_id: str) -> StaffEstablishment:
        found: StaffEstablishment = await self.get(f"/admin/establishments/{establishment_id}")
        return found

    async def day_list(self, establishment_id: str, day: str) -> list[FrontDeskEntry]:
        entries: list[FrontDeskEntry] = await self.get(
            f"/admin/establishments/{establishment_id}/appointments", f"day={day}"
        )
        return entries

    async def front_desk_entry(self, establishment_id: str, appointment_id: str) -> FrontDeskEntry:
        entry: FrontDeskEntry = await self.get(
            f"/admin/establishments/{establishment_id}/appointments/{appointment_id}"
        )
        return entry

    async def record_attendance(self, establishment_id: str, appointment_id: str, attendance: str) -> None:
        await self.post(f"/admin/establishments/{establishment_id}/appointments/{appointment_id}/{attendance}", {})

    async def establishment_services(self, establishment_id: str) -> list[dict[str, Any]]:
        services: list[dict[str, Any]] = await self.get(f"/admin/establishments/{establishment_id}/services")
        return services

    async def schedules(self, establishment_id: str) -> list[dict[str, Any]]:
        schedules: list[dict[str, Any]] = await self.get(f"/admin/establishments/{establishment_id}/schedules")
        return schedules

    async def create_schedule(self, establishment_id: str, payload: dict[str, Any]) -> int:
        """The number of new slots the schedule opened."""
        created = await self.post(f"/admin/establishments/{establishment_id}/schedules", payload, expect=(200, 201))
        return int(created["slots_created"])

    # --- clinic rules (manager) and booking for a caller (clerk or manager) ---
    async def set_service_rules(self, establishment_id: str, service_id: str, rules: dict[str, Any]) -> dict[str, Any]:
        """{cancel_cutoff_hours, instructions_fr, instructions_en} → the service with its rules."""
        answer = await self.call(
            "PUT", f"/admin/establishments/{establishment_id}/services/{service_id}/rules", rules, expect=(200,)
        )
        service: dict[str, Any] = answer.json()
        return service

    async def book_for_caller(
        self, establishment_id: str, booking: dict[str, Any], idempotency_key: str | None = None
    ) -> dict[str, Any]:
        """A booking without an account made by staff for someone on the phone or at the desk."""
        body = booking | ({"idempotency_key": idempotency_key} if idempotency_key else {})
        booked: dict[str, Any] = await self.post(
            f"/admin/establishments/{establishment_id}/caller-bookings", body, expect=(201,)
        )
        return booked

    async def cancel_for_caller(self, establishment_id: str, appointment_id: str) -> dict[str, Any]:
        cancelled: dict[str, Any] = await self.post(
            f"/admin/establishments/{establishment_id}/caller-bookings/{appointment_id}/cancel", {}, expect=(200,)
        )
        return cancelled

    async def reschedule_for_caller(self, establishment_id: str, appointment_id: str, slot_id: str) -> dict[str, Any]:
        moved: dict[str, Any] = await self.post(
            f"/admin/establishments/{establishment_id}/caller-bookings/{appointment_id}/reschedule",
            {"slot_id": slot_id},
            expect=(200,),
        )
        return moved

    # --- platform operators: establishments and their services ---
    async def operator_establishments(
        self, name: str | None = None, limit: int = 50, offset: int = 0
    ) -> list[dict[str, Any]]:
        """By name, a page at a time (at most 200); `name` keeps those whose name contains it, case aside."""
        query = {"limit": str(limit), "offset": str(offset)} | ({"name": name} if name else {})
        found: list[dict[str, Any]] = await self.get("/operator/establishments", urlencode(query))
        return found

    async def operator_establishment(self, establishment_id: str) -> dict[str, Any]:
        found: dict[str, Any] = await self.get(f"/operator/establishments/{establishment_id}")
        return found

    async def create_establishment(self, establishment: dict[str, Any]) -> dict[str, Any]:
        created: dict[str, Any] = await self.post("/operator/establishments", establishment, expect=(201,))
        return created

    async def update_establishment(self, establishment_id: str, establishment: dict[str, Any]) -> dict[str, Any]:
        answer = await self.call("PUT", f"/operator/establishments/{establishment_id}", establishment, expect=(200,))
        updated: dict[str, Any] = answer.json()
        return updated

    async def add_service(self, establishment_id: str, service: dict[str, Any]) -> dict[str, Any]:
        added: dict[str, Any] = await self.post(
            f"/operator/establishments/{establishment_id}/services", service, expect=(201,)
        )
        return added

    # --- waitlist (pages, H2): joining, one's entries, an offer by its link, the console's lengths and hold ---
    async def join_waitlist_for_account(self, join: dict[str, Any], idempotency_key: str) -> WaitlistEntry:
        """From the account's own data (gateway/composition.py); the key replays the same entry on a resubmit."""
        answer = await self.call(
            "POST", "/my/waitlist", join, expect=(201,), headers={"Idempotency-Key": idempotency_key}
        )
        entry: WaitlistEntry = answer.json()
        return entry

    async def join_waitlist(self, join: dict[str, Any], idempotency_key: str) -> JoinedWithoutAccount:
        answer = await self.call("POST", "/waitlist", join, expect=(201,), headers={"Idempotency-Key": idempotency_key})
        joined: JoinedWithoutAccount = answer.json()
        return joined

    async def my_waitlist(self) -> list[WaitlistEntry]:
        found: dict[str, list[WaitlistEntry]] = await self.get("/my/waitlist")
        return found["entries"]

    async def leave_my_waitlist_entry(self, entry_id: uuid.UUID) -> WaitlistEntry:
        left: WaitlistEntry = await self.post(f"/my/waitlist/{entry_id}/leave", {}, expect=(200,))
        return left

    async def waitlist_entry_by_link(self, entry_id: uuid.UUID, token: str) -> WaitlistEntry:
        """Refused (404) when the token is not the entry's."""
        found: WaitlistEntry = await self.get(f"/waitlist/entries/{entry_id}", urlencode({"token": token}))
        return found

    async def leave_waitlist_entry_by_link(self, entry_id: uuid.UUID, token: str) -> WaitlistEntry:
        left: WaitlistEntry = await self.post(f"/waitlist/entries/{entry_id}/leave", {"token": token}, expect=(200,))
        return left

    async def waitlist_offer(self, offer_id: uuid.UUID, token: str) -> WaitlistOffer:
        """Refused (404) when the token is not the offer's."""
        found: WaitlistOffer = await self.get(f"/waitlist/offers/{offer_id}", urlencode({"token": token}))
        return found

    async def accept_waitlist_offer(self, offer_id: uuid.UUID, token: str, idempotency_key: str) -> BookedAppointment:
        """Books the held seat; refused 409 offer_expired or offer_not_open once it is no longer open."""
        answer = await self.call(
            "POST",
            f"/waitlist/offers/{offer_id}/accept",
            {"token": token},
            expect=(201,),
            headers={"Idempotency-Key": idempotency_key},
        )
        booked: BookedAppointment = answer.json()
        return booked

    async def decline_waitlist_offer(self, offer_id: uuid.UUID, token: str) -> WaitlistOffer:
        declined: WaitlistOffer = await self.post(
            f"/waitlist/offers/{offer_id}/decline", {"token": token}, expect=(200,)
        )
        return declined

    async def waitlist_lengths(self, establishment_id: str) -> WaitlistLines:
        found: WaitlistLines = await self.get(f"/admin/establishments/{establishment_id}/waitlist")
        return found

    async def set_waitlist_rules(self, establishment_id: str, hold_minutes: int) -> int:
        answer = await self.call(
            "PUT",
            f"/admin/establishments/{establishment_id}/waitlist-rules",
            {"hold_minutes": hold_minutes},
            expect=(200,),
        )
        return int(answer.json()["hold_minutes"])
