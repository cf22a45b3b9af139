"""The waitlist with automatic offers (issue 22, item 1), over HTTP on a real database, with the offer matcher
running as in the service (its loop, woken by PostgreSQL's notice of a freed seat).

The issue's case first: capacity 1 and three people waiting; cancelling the booked seat offers it to the first
only; letting the hold expire offers it to the second; the second accepts and is booked; the third gets nothing.
"""

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import date, datetime, time, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import asyncpg
import httpx
import pytest
from sqlalchemy import text

from devstack.testing.apps import app_without_lifespan
from devstack.testing.tokens import citizen_headers, staff_headers
from services.appointments.main import ROUTERS
from services.appointments.refusals import REFUSALS
from services.appointments.settings import AppointmentsSettings
from services.appointments.tests.integration.arrange import deliver, events, served
from services.appointments.waitlist import queries, rules, use_cases
from services.appointments.waitlist.matcher import OfferMatcher
from shared.contracts.accounts import AccountDeleted, DependantRemoved
from shared.db import asyncpg_dsn
from shared.unit_of_work import UnitOfWork

MONTREAL = ZoneInfo("America/Montreal")
SECRET = b"console-secret"  # arrange.served's secret key: offer tokens the account's list shows are derived from it
# Long: in these tests the matcher runs only when PostgreSQL wakes it (or a test runs a round itself), so what
# happens is what the notices cause, not a poll that happened to pass.
POLL_SECONDS = 60.0


def local(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), MONTREAL)


def in_days(days: int) -> date:
    return datetime.now(MONTREAL).date() + timedelta(days=days)


@pytest.fixture
async def client(clean_databases) -> AsyncIterator[httpx.AsyncClient]:
    async with served(clean_databases["appointments"]) as http:
        yield http


@pytest.fixture
async def matcher(clean_databases, sessions) -> AsyncIterator[OfferMatcher]:
    """The service's matcher loop, in this process, on the test's database."""
    running = OfferMatcher(
        lambda: UnitOfWork(sessions), SECRET, asyncpg_dsn(clean_databases["appointments"]), POLL_SECONDS
    )
    task = asyncio.create_task(running.run())
    await asyncio.sleep(0.3)  # listening before the test frees anything
    try:
        yield running
    finally:
        running.stop()
        await asyncio.wait_for(task, 10)


class Clinic:
    def __init__(self, sessions) -> None:
        self.sessions = sessions
        self.id, self.service_id = uuid.uuid4(), uuid.uuid4()

    async def open(self) -> "Clinic":
        async with self.sessions() as session:
            await session.execute(
                text(
                    "INSERT INTO establishments (id, name, address, city, postal_code, latitude, longitude) "
                    "VALUES (:id, 'CLSC Attente', '1 rue Test', 'Laval', 'H7N 1A1', 45.6, -73.7)"
                ),
                {"id": self.id},
            )
            await session.execute(
                text(
                    "INSERT INTO services (id, establishment_id, name_fr, name_en, duration_minutes) "
                    "VALUES (:id, :e, 'Vaccination', 'Vaccination', 15)"
                ),
                {"id": self.service_id, "e": self.id},
            )
            await session.commit()
        return self

    async def slot(self, starts_at: datetime, capacity: int = 1, booked: int = 0) -> uuid.UUID:
        slot = uuid.uuid4()
        async with self.sessions() as session:
            await session.execute(
                text(
                    "INSERT INTO slots (id, service_id, starts_at, ends_at, capacity, booked) "
                    "VALUES (:id, :s, :a, :b, :c, :booked)"
                ),
                {
                    "id": slot,
                    "s": self.service_id,
                    "a": starts_at,
                    "b": starts_at + timedelta(minutes=15),
                    "c": capacity,
                    "booked": booked,
                },
            )
            await session.commit()
        return slot

    def wanted(self, **changes: object) -> dict[str, object]:
        return {
            "establishment_id": str(self.id),
            "service_id": str(self.service_id),
            "from_date": in_days(1).isoformat(),
            "to_date": in_days(10).isoformat(),
            "times_of_day": ["morning"],
        } | changes

    async def one(self, query: str, **params: object):
        async with self.sessions() as session:
            return (await session.execute(text(query), params)).one()

    async def all(self, query: str, **params: object):
        async with self.sessions() as session:
            return (await session.execute(text(query), params)).all()


@pytest.fixture
async def clinic(sessions) -> Clinic:
    return await Clinic(sessions).open()


def person(account_id: uuid.UUID, first_name: str, **changes: object) -> dict[str, object]:
    """What the gateway composes from the account's booking form."""
    return {
        "person_id": str(account_id),
        "first_name": first_name,
        "last_name": "Attente",
        "birth_date": "1980-02-03",
        "email": f"{first_name.lower()}@example.org",
        "phone": None,
        "language": "fr",
        "notify_email": True,
        "notify_sms": False,
        "holder_name": f"{first_name} Attente",
        "sex": "F",
    } | changes


def anonymous(first_name: str, **changes: object) -> dict[str, object]:
    return {
        "first_name": first_name,
        "last_name": "Sanscompte",
        "birth_date": "1975-06-07",
        "email": f"{first_name.lower()}@example.org",
        "language": "en",
    } | changes


async def join_as_citizen(client, clinic: Clinic, account_id: uuid.UUID, first_name: str, **wanted: object):
    answer = await client.post(
        "/my/waitlist",
        json=clinic.wanted(**wanted) | person(account_id, first_name),
        headers=citizen_headers(account_id) | {"Idempotency-Key": f"join-{uuid.uuid4()}"},
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


async def join_without_account(client, clinic: Clinic, first_name: str, **wanted: object):
    answer = await client.post(
        "/waitlist",
        json=clinic.wanted(**wanted) | anonymous(first_name),
        headers={"Idempotency-Key": f"join-{uuid.uuid4()}"},
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


async def offers_by_entry(clinic: Clinic) -> dict[str, str]:
    rows = await clinic.all("SELECT entry_id, status FROM waitlist_offers ORDER BY offered_at")
    return {str(row.entry_id): row.status for row in rows}


async def until(condition, timeout: float = 10.0) -> None:
    """Until `condition()` (a coroutine function) holds: the matcher works in the background."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not await condition():
        assert asyncio.get_running_loop().time() < deadline, "the matcher did not get there in time"
        await asyncio.sleep(0.05)


async def offered_events(sessions) -> dict[str, dict[str, object]]:
    """WaitlistSeatOffered payloads by entry id (the last one of each entry)."""
    return {str(payload["entry_id"]): payload for payload in await events(sessions, "waitlist_seat_offered")}


async def test_a_freed_seat_goes_to_the_first_in_line_then_the_next_when_the_hold_expires(
    client, sessions, clinic, matcher
):
    day = in_days(3)
    slot = await clinic.slot(local(day, 10))
    booked = await client.post(
        "/appointments", json={"slot_id": str(slot), "first_name": "Dé", "last_name": "Jà", "email": "deja@example.org"}
    )
    assert booked.status_code == 201
    first_account = uuid.uuid4()
    first = await join_as_citizen(client, clinic, first_account, "Première")
    second = await join_without_account(client, clinic, "Second")
    third = await join_without_account(client, clinic, "Troisième")
    assert [first["position"], second["entry"]["position"], third["entry"]["position"]] == [1, 2, 3]
    assert [first["hold_minutes"], second["entry"]["hold_minutes"]] == [15, 15]  # the establishment's default
    await asyncio.sleep(0.3)  # the joins woke the matcher: no seat is free, nothing is offered
    assert await offers_by_entry(clinic) == {}

    cancelled = await client.post(
        f"/appointments/{booked.json()['id']}/cancel", json={"token": booked.json()["manage_token"]}
    )
    assert cancelled.status_code == 200

    # The cancellation's release of the seat notified the matcher: the first in line, and only them, is offered it.
    await until(lambda: _has_offers(clinic, 1))
    assert await offers_by_entry(clinic) == {first["id"]: "open"}
    seats = await clinic.one("SELECT booked, capacity FROM slots WHERE id = :id", id=slot)
    assert (seats.booked, seats.capacity) == (1, 1)  # held for them: nobody else can book it
    refused = await client.post(
        "/appointments",
        json={"slot_id": str(slot), "first_name": "Au", "last_name": "Tre", "email": "autre@example.org"},
    )
    assert (refused.status_code, refused.json()["errors"][0]["code"]) == (409, "slot_full")
    offered = (await offered_events(sessions))[first["id"]]
    assert offered["account_id"] == str(first_account)
    assert offered["slot_id"] == str(slot)
    assert offered["patient"]["email"] == "première@example.org"
    mine = (await client.get("/my/waitlist", headers=citizen_headers(first_account))).json()["entries"]
    assert mine[0]["status"] == "offered"
    assert mine[0]["position"] is None
    assert mine[0]["offer"]["token"] == offered["offer_token"]  # the account's page links to the offer

    # The hold runs out: its expiry is aged in the database rather than waited for (15 minutes), and the
    # matcher is woken as its poll would wake it within poll_seconds in the service.
    await _age_offers(clinic)
    await _wake(clinic)
    await until(lambda: _has_offers(clinic, 2))
    assert await offers_by_entry(clinic) == {first["id"]: "expired", second["entry"]["id"]: "open"}
    back = (await client.get("/my/waitlist", headers=citizen_headers(first_account))).json()["entries"][0]
    assert (back["status"], back["position"], back["offer"]) == ("waiting", 1, None)  # kept their place

    token = (await offered_events(sessions))[second["entry"]["id"]]["offer_token"]
    offer_id = (await clinic.one("SELECT id FROM waitlist_offers WHERE status = 'open'")).id
    shown = await client.get(f"/waitlist/offers/{offer_id}", params={"token": token})
    assert shown.status_code == 200
    assert shown.json()["status"] == "open"
    assert shown.json()["person"]["first_name"] == "Second"
    accepted = await client.post(
        f"/waitlist/offers/{offer_id}/accept", json={"token": token}, headers={"Idempotency-Key": "accept-second"}
    )
    assert accepted.status_code == 201, accepted.text
    appointment = accepted.json()
    assert appointment["slot_id"] == str(slot)
    assert appointment["first_name"] == "Second"
    assert appointment["manage_token"]
    # One seat, counted once: the hold became the appointment without a second increment.
    seats = await clinic.one("SELECT booked FROM slots WHERE id = :id", id=slot)
    live = await clinic.one("SELECT count(*) AS n FROM appointments WHERE slot_id = :id AND status = 'booked'", id=slot)
    assert (seats.booked, live.n) == (1, 1)
    confirmations = [
        e for e in await events(sessions, "appointment_booked") if e["appointment_id"] == appointment["id"]
    ]
    assert [(c["patient"]["email"], c["manage_token"]) for c in confirmations] == [
        ("second@example.org", appointment["manage_token"])
    ]
    replay = await client.post(
        f"/waitlist/offers/{offer_id}/accept", json={"token": token}, headers={"Idempotency-Key": "accept-second"}
    )
    assert (replay.status_code, replay.json()["id"], replay.headers.get("Idempotent-Replayed")) == (
        201,
        appointment["id"],
        "true",
    )
    for verb in ("accept", "decline"):  # answered: without the accepting request's key, nothing more to do
        answered = await client.post(f"/waitlist/offers/{offer_id}/{verb}", json={"token": token})
        assert (answered.status_code, answered.json()["errors"][0]["code"]) == (409, "offer_not_open")
    entry = await client.get(f"/waitlist/entries/{second['entry']['id']}", params={"token": second["token"]})
    assert entry.json()["status"] == "booked"

    # Nothing left for the third (nor again for the first, who let this slot go).
    assert await matcher.round() == 0
    assert await offers_by_entry(clinic) == {first["id"]: "expired", second["entry"]["id"]: "accepted"}
    last = await client.get(f"/waitlist/entries/{third['entry']['id']}", params={"token": third["token"]})
    assert (last.json()["status"], last.json()["position"]) == ("waiting", 2)


async def _has_offers(clinic: Clinic, count: int) -> bool:
    return (await clinic.one("SELECT count(*) AS n FROM waitlist_offers")).n >= count


async def _age_offers(clinic: Clinic) -> None:
    async with clinic.sessions() as session:
        await session.execute(
            text("UPDATE waitlist_offers SET expires_at = now() - interval '1 second' WHERE status = 'open'")
        )
        await session.commit()


async def _wake(clinic: Clinic) -> None:
    async with clinic.sessions() as session:
        await session.execute(text("SELECT pg_notify('waitlist_seats', '')"))
        await session.commit()


async def _only_offer(clinic: Clinic, sessions) -> tuple[str, str, str]:
    """The open offer: its id, its entry and its token (from its event, as the message carries it)."""
    row = await clinic.one("SELECT id, entry_id FROM waitlist_offers WHERE status = 'open'")
    return str(row.id), str(row.entry_id), (await offered_events(sessions))[str(row.entry_id)]["offer_token"]


async def test_an_offer_accepted_after_its_hold_is_refused(client, sessions, clinic):
    await clinic.slot(local(in_days(2), 9))
    await join_without_account(client, clinic, "Lente")
    await use_cases.offer_next_seat(UnitOfWork(sessions), SECRET)
    offer_id, _, token = await _only_offer(clinic, sessions)
    await _age_offers(clinic)  # not yet expired by the matcher: accepting still checks the time itself

    late = await client.post(f"/waitlist/offers/{offer_id}/accept", json={"token": token})

    assert (late.status_code, late.json()["errors"][0]["code"]) == (409, "offer_expired")
    assert await use_cases.expire_next_offer(UnitOfWork(sessions))
    again = await client.post(f"/waitlist/offers/{offer_id}/accept", json={"token": token})
    assert (again.status_code, again.json()["errors"][0]["code"]) == (409, "offer_expired")
    declined = await client.post(f"/waitlist/offers/{offer_id}/decline", json={"token": token})
    assert (declined.status_code, declined.json()["errors"][0]["code"]) == (409, "offer_expired")
    assert (await clinic.one("SELECT sum(booked) AS n FROM slots")).n == 0  # the seat came back


async def test_declining_offers_the_seat_to_the_next_and_keeps_the_place(client, sessions, clinic, matcher):
    slot = await clinic.slot(local(in_days(2), 14))
    first = await join_without_account(client, clinic, "Un", times_of_day=["afternoon"])
    second = await join_without_account(client, clinic, "Deux", times_of_day=["morning", "afternoon"])
    await until(lambda: _has_offers(clinic, 1))  # joining woke the matcher: the seat was free already
    offer_id, entry_id, token = await _only_offer(clinic, sessions)
    assert entry_id == first["entry"]["id"]

    declined = await client.post(f"/waitlist/offers/{offer_id}/decline", json={"token": token})

    assert (declined.status_code, declined.json()["status"]) == (200, "declined")
    await until(lambda: _has_offers(clinic, 2))
    assert await offers_by_entry(clinic) == {first["entry"]["id"]: "declined", second["entry"]["id"]: "open"}
    again = await client.get(f"/waitlist/entries/{first['entry']['id']}", params={"token": first["token"]})
    assert (again.json()["status"], again.json()["position"]) == ("waiting", 1)
    assert (await clinic.one("SELECT booked FROM slots WHERE id = :id", id=slot)).booked == 1


async def test_leaving_gives_a_held_seat_to_the_next(client, sessions, clinic, matcher):
    account = uuid.uuid4()
    await clinic.slot(local(in_days(4), 18))
    mine = await join_as_citizen(client, clinic, account, "Partante", times_of_day=["evening"])
    other = await join_without_account(client, clinic, "Suivant", times_of_day=["evening"])
    await until(lambda: _has_offers(clinic, 1))

    left = await client.post(f"/my/waitlist/{mine['id']}/leave", headers=citizen_headers(account))

    assert (left.status_code, left.json()["status"], left.json()["offer"]) == (200, "left", None)
    await until(lambda: _has_offers(clinic, 2))
    assert await offers_by_entry(clinic) == {mine["id"]: "declined", other["entry"]["id"]: "open"}
    gone = await client.post(f"/waitlist/entries/{other['entry']['id']}/leave", json={"token": other["token"]})
    assert gone.json()["status"] == "left"
    assert (await clinic.one("SELECT booked FROM slots")).booked == 0
    listed = (await client.get("/my/waitlist", headers=citizen_headers(account))).json()["entries"]
    assert [(e["id"], e["status"]) for e in listed] == [(mine["id"], "left")]


async def test_only_fitting_seats_are_offered_within_the_dates_and_times(client, sessions, clinic):
    await clinic.slot(local(in_days(2), 8))  # morning
    await clinic.slot(local(in_days(2), 12))  # afternoon from 12:00
    await clinic.slot(local(in_days(2), 17))  # evening from 17:00
    await clinic.slot(local(in_days(9), 17))  # evening, but after the entry's last day
    evening = await join_without_account(
        client, clinic, "Soir", times_of_day=["evening"], to_date=in_days(5).isoformat()
    )
    morning = await join_without_account(client, clinic, "Matin", times_of_day=["morning"])
    units = lambda: UnitOfWork(sessions)  # noqa: E731
    while await use_cases.offer_next_seat(units(), SECRET):
        pass
    offered = {
        str(row.entry_id): row.starts_at
        for row in await clinic.all(
            "SELECT o.entry_id, s.starts_at FROM waitlist_offers o JOIN slots s ON s.id = o.slot_id"
        )
    }
    assert {entry: at.astimezone(MONTREAL).hour for entry, at in offered.items()} == {
        evening["entry"]["id"]: 17,
        morning["entry"]["id"]: 8,
    }
    assert offered[evening["entry"]["id"]].astimezone(MONTREAL).date() == in_days(2)


async def test_an_establishments_hold_time_is_what_an_offer_gets(client, sessions, clinic):
    manager = staff_headers(clinic.id, "manager")
    clerk = staff_headers(clinic.id, "clerk")
    refused = await client.put(
        f"/admin/establishments/{clinic.id}/waitlist-rules", json={"hold_minutes": 30}, headers=clerk
    )
    assert (refused.status_code, refused.json()["errors"][0]["code"]) == (403, "manager_required")
    out_of_range = await client.put(
        f"/admin/establishments/{clinic.id}/waitlist-rules", json={"hold_minutes": 0}, headers=manager
    )
    assert (out_of_range.status_code, out_of_range.json()["errors"][0]["field"]) == (422, "hold_minutes")
    changed = await client.put(
        f"/admin/establishments/{clinic.id}/waitlist-rules", json={"hold_minutes": 30}, headers=manager
    )
    assert changed.json() == {"hold_minutes": 30}
    await clinic.slot(local(in_days(2), 10))
    await clinic.slot(datetime.now(MONTREAL) + timedelta(minutes=20))  # starts within the hold: never offered
    joined = await join_without_account(client, clinic, "Patiente", from_date=in_days(0).isoformat())
    assert joined["entry"]["hold_minutes"] == 30  # what the join confirmation tells the person
    shown = await client.get(f"/waitlist/entries/{joined['entry']['id']}", params={"token": joined["token"]})
    assert shown.json()["hold_minutes"] == 30

    await use_cases.offer_next_seat(UnitOfWork(sessions), SECRET)

    offer = await clinic.one(
        "SELECT o.expires_at - o.offered_at AS hold, s.starts_at "
        "FROM waitlist_offers o JOIN slots s ON s.id = o.slot_id"
    )
    assert offer.hold == timedelta(minutes=30)
    assert offer.starts_at.astimezone(MONTREAL).date() == in_days(2)
    lines = await client.get(f"/admin/establishments/{clinic.id}/waitlist", headers=clerk)
    assert lines.status_code == 200
    assert lines.json()["services"] == [
        {
            "service_id": str(clinic.service_id),
            "name_fr": "Vaccination",
            "name_en": "Vaccination",
            "waiting": 0,
            "offered": 1,
            "hold_minutes": 30,
        }
    ]


async def test_joining_refuses_what_cannot_be_waited_for_on_its_field(client, clinic):
    account = uuid.uuid4()

    async def refused(body: dict[str, object], path: str = "/waitlist", headers=None) -> tuple[int, str, str]:
        answer = await client.post(path, json=body, headers=headers or {})
        error = answer.json()["errors"][0]
        assert error["message"]["fr"]
        assert error["message"]["en"]
        return answer.status_code, error["code"], error["field"]

    base = clinic.wanted() | anonymous("Refusée")
    assert await refused(base | {"from_date": in_days(-1).isoformat()}) == (422, "waitlist_dates_invalid", "from_date")
    assert await refused(base | {"to_date": in_days(0).isoformat()}) == (422, "waitlist_dates_invalid", "to_date")
    assert await refused(base | {"to_date": in_days(62).isoformat()}) == (422, "waitlist_dates_invalid", "to_date")
    assert await refused(base | {"times_of_day": []}) == (422, "times_of_day_invalid", "times_of_day")
    assert await refused(base | {"times_of_day": ["night"]}) == (422, "times_of_day_invalid", "times_of_day")
    assert (await refused(base | {"email": None}))[:2] == (422, "waitlist_contact_required")
    assert (await refused(base | {"email": "pas-un-courriel"}))[2] == "email"
    assert (await refused(base | {"from_date": "2026-02-30"}))[2] == "from_date"
    assert (await refused(base | {"service_id": str(uuid.uuid4())}))[:2] == (404, "service_not_found")
    citizen = clinic.wanted() | person(account, "Double")
    first = await client.post("/my/waitlist", json=citizen, headers=citizen_headers(account))
    assert first.status_code == 201
    assert await refused(citizen, "/my/waitlist", citizen_headers(account)) == (409, "already_waiting", "service_id")
    key = {"Idempotency-Key": "same-join"}
    once = await client.post("/waitlist", json=base, headers=key)
    twice = await client.post("/waitlist", json=base, headers=key)
    assert (twice.status_code, twice.json(), twice.headers.get("Idempotent-Replayed")) == (201, once.json(), "true")


async def test_entries_and_offers_are_only_their_owners(client, sessions, clinic):
    owner, stranger = uuid.uuid4(), uuid.uuid4()
    mine = await join_as_citizen(client, clinic, owner, "Proprio")
    theirs = await join_without_account(client, clinic, "Anonyme")
    await clinic.slot(local(in_days(2), 10))
    await use_cases.offer_next_seat(UnitOfWork(sessions), SECRET)
    offer_id, entry_id, token = await _only_offer(clinic, sessions)
    assert entry_id == mine["id"]

    assert (await client.get("/my/waitlist", headers=citizen_headers(stranger))).json() == {"entries": []}
    taken = await client.post(f"/my/waitlist/{mine['id']}/leave", headers=citizen_headers(stranger))
    assert (taken.status_code, taken.json()["errors"][0]["code"]) == (404, "waitlist_entry_not_found")
    other_entry = await client.post(f"/my/waitlist/{theirs['entry']['id']}/leave", headers=citizen_headers(owner))
    assert other_entry.status_code == 404
    wrong = await client.get(f"/waitlist/entries/{theirs['entry']['id']}", params={"token": token})
    assert (wrong.status_code, wrong.json()["errors"][0]["code"]) == (404, "waitlist_entry_not_found")
    no_token = await client.get(f"/waitlist/entries/{mine['id']}", params={"token": theirs["token"]})
    assert no_token.status_code == 404  # an account's entry has no link token
    for guess in (theirs["token"], token[:-1] + ("0" if token[-1] != "0" else "1")):
        assert (await client.get(f"/waitlist/offers/{offer_id}", params={"token": guess})).status_code == 404
        accept = await client.post(f"/waitlist/offers/{offer_id}/accept", json={"token": guess})
        assert (accept.status_code, accept.json()["errors"][0]["code"]) == (404, "offer_not_found")
        assert (await client.post(f"/waitlist/offers/{offer_id}/decline", json={"token": guess})).status_code == 404
    assert (await clinic.one("SELECT status FROM waitlist_offers")).status == "open"

    elsewhere = await client.get(f"/admin/establishments/{clinic.id}/waitlist", headers=staff_headers(uuid.uuid4()))
    # As every staff route: another establishment's is not found, so staff cannot probe them (shared/staff.py).
    assert (elsewhere.status_code, elsewhere.json()["errors"][0]["code"]) == (404, "not_found")
    citizen = await client.get(f"/admin/establishments/{clinic.id}/waitlist", headers=citizen_headers(owner))
    assert citizen.status_code == 403
    others_rules = await client.put(
        f"/admin/establishments/{clinic.id}/waitlist-rules",
        json={"hold_minutes": 5},
        headers=staff_headers(uuid.uuid4(), "manager"),
    )
    assert others_rules.status_code == 404
    assert (await clinic.one("SELECT waitlist_hold_minutes FROM establishments")).waitlist_hold_minutes == 15


async def test_the_slots_notify_only_when_a_seat_may_have_freed(clean_databases, clinic):
    """The matcher's wake-up costs a booking nothing: no notice when `booked` goes up."""
    slot = await clinic.slot(local(in_days(2), 10), capacity=2)
    notices: list[str] = []
    listener = await asyncpg.connect(asyncpg_dsn(clean_databases["appointments"]))
    try:
        await listener.add_listener("waitlist_seats", lambda *args: notices.append(args[2]))
        writer = await asyncpg.connect(asyncpg_dsn(clean_databases["appointments"]))
        try:
            heard = []
            for statement in (
                "UPDATE slots SET booked = booked + 1 WHERE id = $1",  # a booking
                "UPDATE slots SET booked = booked - 1 WHERE id = $1",  # a cancellation
                "UPDATE slots SET capacity = capacity + 1 WHERE id = $1",  # more seats
                "UPDATE slots SET capacity = capacity - 1 WHERE id = $1",  # fewer
            ):
                await writer.execute(statement, slot)
                await asyncio.sleep(0.2)
                heard.append(len(notices))
                notices.clear()
            await clinic.slot(local(in_days(3), 10))  # a schedule's new slots
            await asyncio.sleep(0.2)
            heard.append(len(notices))
        finally:
            await writer.close()
    finally:
        await listener.close()
    assert heard == [0, 1, 1, 0, 1]


async def test_a_deleted_accounts_entries_go_and_a_seat_it_held_goes_to_the_next(client, sessions, clinic, matcher):
    account = uuid.uuid4()
    slot = await clinic.slot(local(in_days(2), 10))
    mine = await join_as_citizen(client, clinic, account, "Supprimée")
    other = await join_without_account(client, clinic, "Restant")
    await until(lambda: _has_offers(clinic, 1))
    assert await offers_by_entry(clinic) == {mine["id"]: "open"}

    await deliver(
        sessions,
        AccountDeleted(account_id=account, dependant_ids=[], email="supprimée@example.org", phone=None, language="fr"),
    )

    # Its entry and offer are gone; the seat it held was released, and the matcher offered it to the next.
    await until(lambda: _has_offers(clinic, 1))
    rows = await clinic.all("SELECT account_id, email FROM waitlist_entries")
    assert [(row.account_id, row.email) for row in rows] == [(None, "restant@example.org")]
    assert await offers_by_entry(clinic) == {other["entry"]["id"]: "open"}
    assert (await clinic.one("SELECT booked FROM slots WHERE id = :id", id=slot)).booked == 1
    assert (await client.get("/my/waitlist", headers=citizen_headers(account))).json() == {"entries": []}


async def test_a_seat_declined_by_more_people_than_the_matcher_looks_at_still_reaches_the_next(
    client, sessions, clinic
):
    """Who was offered a seat is never offered it again, so those who declined it are not the matcher's candidates
    for it: past queries.CANDIDATES of them, the next person in line still gets it."""
    await clinic.slot(local(in_days(2), 10))
    line = [await join_without_account(client, clinic, f"Personne{i}") for i in range(queries.CANDIDATES + 2)]
    for person in line[:-1]:
        offer_id = await use_cases.offer_next_seat(UnitOfWork(sessions), SECRET)
        assert offer_id is not None
        token = rules.link_token(SECRET, "offer", offer_id)
        declined = await client.post(f"/waitlist/offers/{offer_id}/decline", json={"token": token})
        assert declined.json()["person"]["first_name"] == person["entry"]["person"]["first_name"]

    assert await use_cases.offer_next_seat(UnitOfWork(sessions), SECRET) is not None
    assert (await offers_by_entry(clinic))[line[-1]["entry"]["id"]] == "open"
    assert await use_cases.offer_next_seat(UnitOfWork(sessions), SECRET) is None


async def test_joining_without_an_account_counts_against_the_addresss_bookings(clean_databases, sessions, clinic):
    """Each entry may send offers to an address nobody proved, as a booking sends its confirmation: one client
    address shares one hourly allowance between them (booking.use_cases.admit_booking_source)."""
    settings = AppointmentsSettings(
        environment="test", database_url=clean_databases["appointments"], anonymous_bookings_per_source_per_hour=2
    )
    app = app_without_lifespan("Appointments", ROUTERS, refusals=REFUSALS)
    app.state.runtime = SimpleNamespace(unit_of_work=lambda: UnitOfWork(sessions), settings=settings)
    slot = await clinic.slot(local(in_days(20), 10), capacity=5)
    address = {"X-Client-Ip": "203.0.113.9"}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://appointments") as http:
        booked = await http.post(
            "/appointments",
            json={"slot_id": str(slot), "first_name": "Un", "last_name": "Deux", "email": "un@example.org"},
            headers=address,
        )
        joined = await http.post("/waitlist", json=clinic.wanted() | anonymous("Deux"), headers=address)
        refused = await http.post("/waitlist", json=clinic.wanted() | anonymous("Trois"), headers=address)
        elsewhere = await http.post(
            "/waitlist", json=clinic.wanted() | anonymous("Quatre"), headers={"X-Client-Ip": "198.51.100.4"}
        )

    assert (booked.status_code, joined.status_code, elsewhere.status_code) == (201, 201, 201)
    assert (refused.status_code, refused.json()["errors"][0]["code"]) == (429, "too_many_bookings")
    assert int(refused.headers["Retry-After"]) > 0


async def test_a_seat_at_a_time_the_person_is_already_booked_goes_to_the_next(client, sessions, clinic):
    """Booking's overlap rule would refuse it: the matcher does not hold it for them."""
    at = local(in_days(3), 9)
    free_slot = await clinic.slot(at)
    their_slot = await clinic.slot(at)
    busy = await join_without_account(client, clinic, "Occupée")
    next_in_line = await join_without_account(client, clinic, "Libre")
    booked = await client.post("/appointments", json={"slot_id": str(their_slot), **_booking_as(busy)})
    assert booked.status_code == 201

    assert await use_cases.offer_next_seat(UnitOfWork(sessions), SECRET) is not None

    assert await offers_by_entry(clinic) == {next_in_line["entry"]["id"]: "open"}
    assert (await clinic.one("SELECT slot_id FROM waitlist_offers")).slot_id == free_slot
    assert await use_cases.offer_next_seat(UnitOfWork(sessions), SECRET) is None


async def test_accepting_follows_the_booking_rules_one_person_one_time(client, sessions, clinic):
    """Booked elsewhere at that time after the offer was made, the person is refused the seat as a booking would
    be; it stays held for them until they decline it or it expires."""
    at = local(in_days(3), 9)
    offered_slot = await clinic.slot(at)
    entry = await join_without_account(client, clinic, "Occupée")
    offer_id = await use_cases.offer_next_seat(UnitOfWork(sessions), SECRET)
    assert offer_id is not None
    other_slot = await clinic.slot(at)
    elsewhere = await client.post("/appointments", json={"slot_id": str(other_slot), **_booking_as(entry)})
    assert elsewhere.status_code == 201
    token = rules.link_token(SECRET, "offer", offer_id)

    refused = await client.post(f"/waitlist/offers/{offer_id}/accept", json={"token": token})

    assert (refused.status_code, refused.json()["errors"][0]["code"]) == (409, "overlapping_appointment")
    assert (await clinic.one("SELECT status FROM waitlist_offers")).status == "open"
    assert (await clinic.one("SELECT booked FROM slots WHERE id = :id", id=offered_slot)).booked == 1
    shown = await client.get(f"/waitlist/entries/{entry['entry']['id']}", params={"token": entry["token"]})
    assert shown.json()["status"] == "offered"


def _booking_as(joined: dict) -> dict[str, str]:
    """A booking without an account by the person who joined (same name and e-mail: the same person key)."""
    first_name = joined["entry"]["person"]["first_name"]
    return {"first_name": first_name, "last_name": "Sanscompte", "email": f"{first_name.lower()}@example.org"}


async def test_a_failed_round_is_tried_again_soon_not_a_poll_later(client, clinic, matcher, monkeypatch):
    """The notice that woke a round is spent when the round fails (the database restarting, refusing a
    connection): the seat it announced must not then wait for the next poll (60 s here, 5 s in the service)."""
    real = use_cases.offer_next_seat
    failed: list[float] = []

    async def refused_twice(uow, secret):
        if len(failed) < 2:
            failed.append(asyncio.get_running_loop().time())
            raise ConnectionRefusedError("the database is restarting")
        return await real(uow, secret)

    monkeypatch.setattr(use_cases, "offer_next_seat", refused_twice)
    await clinic.slot(local(in_days(2), 10))
    started = asyncio.get_running_loop().time()
    joined = await join_without_account(client, clinic, "Patiente")  # its notice wakes the matcher

    await until(lambda: _has_offers(clinic, 1), timeout=5.0)
    assert len(failed) == 2
    assert asyncio.get_running_loop().time() - started < 5.0 < POLL_SECONDS
    assert await offers_by_entry(clinic) == {joined["entry"]["id"]: "open"}


# --- one client cannot clog the lines (security review) ---


async def _answer_offer(clinic: Clinic, sessions, client, how: str) -> str:
    """Offers the next seat and lets it expire (aged, then expired as the matcher does) or declines it; its entry."""
    offer_id = await use_cases.offer_next_seat(UnitOfWork(sessions), SECRET)
    assert offer_id is not None
    entry_id = str((await clinic.one("SELECT entry_id FROM waitlist_offers WHERE id = :id", id=offer_id)).entry_id)
    if how == "expire":
        await _age_offers(clinic)
        assert await use_cases.expire_next_offer(UnitOfWork(sessions))
    else:
        token = rules.link_token(SECRET, "offer", offer_id)
        declined = await client.post(f"/waitlist/offers/{offer_id}/decline", json={"token": token})
        assert declined.status_code == 200
    return entry_id


async def test_an_entry_that_lets_two_offers_expire_ends_and_a_decline_does_not_count(client, sessions, clinic):
    """A fake entry at the head of a line holds a freed seat twice at most, where it once came back after every
    hold; somebody who declines has answered and keeps their place."""
    assert rules.MAX_UNANSWERED_OFFERS == 2
    for hour in (8, 9, 10, 11):
        await clinic.slot(local(in_days(2), hour))
    ignoring = await join_without_account(client, clinic, "Muette")
    behind = await join_without_account(client, clinic, "Derrière")
    link = {"token": ignoring["token"]}

    assert await _answer_offer(clinic, sessions, client, "expire") == ignoring["entry"]["id"]
    once = (await client.get(f"/waitlist/entries/{ignoring['entry']['id']}", params=link)).json()
    assert (once["status"], once["position"], once["ended_reason"]) == ("waiting", 1, None)
    assert await _answer_offer(clinic, sessions, client, "decline") == ignoring["entry"]["id"]  # an answer
    assert await _answer_offer(clinic, sessions, client, "expire") == ignoring["entry"]["id"]

    ended = (await client.get(f"/waitlist/entries/{ignoring['entry']['id']}", params=link)).json()
    assert (ended["status"], ended["position"], ended["ended_reason"]) == ("ended", None, "offers_unanswered")
    assert (await clinic.one("SELECT sum(booked) AS n FROM slots")).n == 0  # every seat it was held came back
    # The next seat goes to the one behind; the ended entry is never offered anything again.
    assert await _answer_offer(clinic, sessions, client, "decline") == behind["entry"]["id"]
    again = (await client.get(f"/waitlist/entries/{behind['entry']['id']}", params={"token": behind["token"]})).json()
    assert (again["status"], again["position"]) == ("waiting", 1)
    statuses = await clinic.all("SELECT status FROM waitlist_offers WHERE entry_id = :id", id=ignoring["entry"]["id"])
    assert sorted(row.status for row in statuses) == ["declined", "expired", "expired"]
    # They can join again (the ended entry holds nothing).
    rejoined = await client.post("/waitlist", json=clinic.wanted() | anonymous("Muette"))
    assert rejoined.status_code == 201, rejoined.text


async def test_an_entry_whose_dates_passed_says_so(client, sessions, clinic):
    joined = await join_without_account(client, clinic, "Passée")
    async with clinic.sessions() as session:
        await session.execute(text("UPDATE waitlist_entries SET from_date = from_date - 30, to_date = from_date - 20"))
        await session.commit()
    assert await use_cases.end_past_entries(UnitOfWork(sessions)) == 1
    shown = await client.get(f"/waitlist/entries/{joined['entry']['id']}", params={"token": joined["token"]})
    assert (shown.json()["status"], shown.json()["ended_reason"]) == ("ended", "dates_passed")


async def test_a_contact_waits_once_per_line_whatever_its_tag_or_spelling(client, clinic):
    """Without an account nobody proved who they are: a+1@x, A+2@x are one destination, as is a mobile however
    it was typed."""
    first = await client.post(
        "/waitlist", json=clinic.wanted() | anonymous("Alice", email="alice@example.org", phone="514 555 0101")
    )
    assert first.status_code == 201, first.text
    tagged = await client.post("/waitlist", json=clinic.wanted() | anonymous("Bob", email="Alice+2@Example.org"))
    same_phone = await client.post(
        "/waitlist", json=clinic.wanted() | anonymous("Carl", email="carl@example.org", phone="+1 (514) 555-0101")
    )
    other = await client.post("/waitlist", json=clinic.wanted() | anonymous("Dana", email="alice.2@example.org"))

    assert (tagged.status_code, tagged.json()["errors"][0]["code"], tagged.json()["errors"][0]["field"]) == (
        409,
        "already_waiting",
        "email",
    )
    assert (same_phone.status_code, same_phone.json()["errors"][0]["code"]) == (409, "already_waiting")
    assert same_phone.json()["errors"][0]["field"] == "phone"
    assert other.status_code == 201  # another address is another person
    # Once it no longer waits, the address may join again.
    left = await client.post(
        f"/waitlist/entries/{first.json()['entry']['id']}/leave", json={"token": first.json()["token"]}
    )
    assert left.json()["status"] == "left"
    again = await client.post("/waitlist", json=clinic.wanted() | anonymous("Bob", email="alice+3@example.org"))
    assert again.status_code == 201, again.text


async def test_one_client_address_holds_at_most_five_live_entries_without_an_account(clean_databases, sessions, clinic):
    settings = AppointmentsSettings(environment="test", database_url=clean_databases["appointments"])
    app = app_without_lifespan("Appointments", ROUTERS, refusals=REFUSALS)
    app.state.runtime = SimpleNamespace(unit_of_work=lambda: UnitOfWork(sessions), settings=settings)
    address = {"X-Client-Ip": "203.0.113.7"}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://appointments") as http:
        joined = [
            await http.post("/waitlist", json=clinic.wanted() | anonymous(f"Faux{i}"), headers=address)
            for i in range(rules.MAX_LIVE_ENTRIES_PER_SOURCE)
        ]
        refused = await http.post("/waitlist", json=clinic.wanted() | anonymous("Sixième"), headers=address)
        elsewhere = await http.post(
            "/waitlist", json=clinic.wanted() | anonymous("Voisine"), headers={"X-Client-Ip": "198.51.100.8"}
        )
        first = joined[0].json()
        left = await http.post(f"/waitlist/entries/{first['entry']['id']}/leave", json={"token": first["token"]})
        after_leaving = await http.post("/waitlist", json=clinic.wanted() | anonymous("Sixième"), headers=address)

    assert [answer.status_code for answer in joined] == [201] * 5
    error = refused.json()["errors"][0]
    assert (refused.status_code, error["code"], error["field"]) == (409, "too_many_waitlist_entries", None)
    assert "5" in error["message"]["fr"]
    assert "5" in error["message"]["en"]
    assert (elsewhere.status_code, left.status_code, after_leaving.status_code) == (201, 200, 201)
    stored = await clinic.all("SELECT DISTINCT source_hmac FROM waitlist_entries WHERE source_hmac IS NOT NULL")
    assert len(stored) == 2
    assert all("203.0.113" not in row.source_hmac for row in stored)


async def test_joins_at_once_from_one_address_never_pass_its_limit_together(clean_databases, sessions, clinic):
    """The count and the insert are serialised per address (an advisory lock until commit): with one place left,
    three joins at once make one entry."""
    settings = AppointmentsSettings(environment="test", database_url=clean_databases["appointments"])
    app = app_without_lifespan("Appointments", ROUTERS, refusals=REFUSALS)
    app.state.runtime = SimpleNamespace(unit_of_work=lambda: UnitOfWork(sessions), settings=settings)
    address = {"X-Client-Ip": "203.0.113.21"}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://appointments") as http:
        for i in range(rules.MAX_LIVE_ENTRIES_PER_SOURCE - 1):
            first = await http.post("/waitlist", json=clinic.wanted() | anonymous(f"Avant{i}"), headers=address)
            assert first.status_code == 201, first.text
        at_once = await asyncio.gather(
            *(
                http.post("/waitlist", json=clinic.wanted() | anonymous(f"Ensemble{i}"), headers=address)
                for i in range(3)
            )
        )

    assert sorted(answer.status_code for answer in at_once) == [201, 409, 409]
    live = await clinic.one("SELECT count(*) AS n FROM waitlist_entries WHERE status = 'waiting'")
    assert live.n == rules.MAX_LIVE_ENTRIES_PER_SOURCE


async def test_a_removed_dependants_entries_end_and_a_seat_held_for_them_goes_to_the_next(client, sessions, clinic):
    holder, child = uuid.uuid4(), uuid.uuid4()
    slot = await clinic.slot(local(in_days(2), 10))
    joined = await client.post(
        "/my/waitlist",
        json=clinic.wanted() | person(holder, "Enfant", person_id=str(child)),
        headers=citizen_headers(holder) | {"Idempotency-Key": f"join-{uuid.uuid4()}"},
    )
    assert joined.status_code == 201, joined.text
    childs = joined.json()
    holders = await join_as_citizen(client, clinic, holder, "Parent")
    next_one = await join_without_account(client, clinic, "Suivante")
    assert await use_cases.offer_next_seat(UnitOfWork(sessions), SECRET) is not None
    assert await offers_by_entry(clinic) == {childs["id"]: "open"}

    await deliver(sessions, DependantRemoved(account_id=holder, dependant_id=child))

    mine = {
        entry["id"]: entry
        for entry in (await client.get("/my/waitlist", headers=citizen_headers(holder))).json()["entries"]
    }
    assert (mine[childs["id"]]["status"], mine[childs["id"]]["ended_reason"], mine[childs["id"]]["offer"]) == (
        "ended",
        "dependant_removed",
        None,
    )
    assert (mine[holders["id"]]["status"], mine[holders["id"]]["position"]) == ("waiting", 1)  # the holder still waits
    assert await offers_by_entry(clinic) == {childs["id"]: "declined"}
    assert (await clinic.one("SELECT booked FROM slots WHERE id = :id", id=slot)).booked == 0  # released
    # The seat goes to the next in line (the holder), never again to the removed dependant.
    assert await use_cases.offer_next_seat(UnitOfWork(sessions), SECRET) is not None
    assert (await offers_by_entry(clinic))[holders["id"]] == "open"
    assert next_one["entry"]["status"] == "waiting"
    # Delivered again (a redelivery): nothing more changes.
    await deliver(sessions, DependantRemoved(account_id=holder, dependant_id=child))
    assert (await clinic.one("SELECT booked FROM slots WHERE id = :id", id=slot)).booked == 1
    # The holder's data export says why the entry ended.
    exported = (await client.get("/my/export", headers=citizen_headers(holder))).json()["waitlist"]
    assert {entry["id"]: entry["ended_reason"] for entry in exported} == {
        childs["id"]: "dependant_removed",
        holders["id"]: None,
    }
