"""Staff book for a caller on the phone or at the desk (the "planificateur"), and cancel or move it for them;
citizens are held to the clinic's cut-off for online changes, staff are not; every answer carries the
clinic's instructions. Over HTTP on a real database, with tokens signed as accounts signs them."""

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import text

from devstack.testing.tokens import citizen_headers, staff_headers
from services.appointments.front_desk import use_cases as front_desk
from services.appointments.tests.integration.arrange import events, served
from shared.nam import build_nam
from shared.staff import Staff
from shared.unit_of_work import UnitOfWork

NAM = build_nam("TREG", datetime(1941, 5, 2).date(), "F", "1")


@pytest.fixture
async def client(clean_databases) -> AsyncIterator[httpx.AsyncClient]:
    async with served(clean_databases["appointments"]) as http:
        yield http


INSTRUCTIONS_FR = "Apportez votre carte d'assurance maladie et votre carnet de vaccination."
INSTRUCTIONS_EN = "Bring your health insurance card and vaccination booklet."


class Clinic:
    """One establishment, one service with a 24 h cut-off and instructions; slots where asked."""

    def __init__(self, sessions, cutoff_hours: int = 24) -> None:
        self.sessions = sessions
        self.id, self.service_id = uuid.uuid4(), uuid.uuid4()
        self.cutoff_hours = cutoff_hours

    async def open(self) -> "Clinic":
        async with self.sessions() as session:
            await session.execute(
                text(
                    "INSERT INTO establishments (id, name, address, city, postal_code, latitude, longitude, phone) "
                    "VALUES (:id, 'CLSC Test', '1 rue Test', 'Laval', 'H7N 1A1', 45.6, -73.7, '+14505550123')"
                ),
                {"id": self.id},
            )
            await session.execute(
                text(
                    "INSERT INTO services (id, establishment_id, name_fr, name_en, duration_minutes, "
                    "cancel_cutoff_hours, instructions_fr, instructions_en) "
                    "VALUES (:id, :e, 'Vaccination', 'Vaccination', 15, :cutoff, :fr, :en)"
                ),
                {
                    "id": self.service_id,
                    "e": self.id,
                    "cutoff": self.cutoff_hours,
                    "fr": INSTRUCTIONS_FR,
                    "en": INSTRUCTIONS_EN,
                },
            )
            await session.commit()
        return self

    async def slot(self, starts_in: timedelta = timedelta(days=3), capacity: int = 5) -> uuid.UUID:
        slot = uuid.uuid4()
        starts = datetime.now(UTC).replace(microsecond=0) + starts_in
        async with self.sessions() as session:
            await session.execute(
                text("INSERT INTO slots (id, service_id, starts_at, ends_at, capacity) VALUES (:id, :s, :a, :b, :c)"),
                {"id": slot, "s": self.service_id, "a": starts, "b": starts + timedelta(minutes=15), "c": capacity},
            )
            await session.commit()
        return slot


def caller(slot: uuid.UUID, **changes: object) -> dict[str, object]:
    return {
        "slot_id": str(slot),
        "first_name": "Gisèle",
        "last_name": "Tremblay",
        "birth_date": "1941-05-02",
        "phone": "450 555 0188",
        "language": "fr",
    } | changes


@pytest.fixture
async def clinic(sessions) -> Clinic:
    return await Clinic(sessions).open()


async def book_for_caller(client, clinic: Clinic, body: dict, clerk: uuid.UUID | None = None):
    return await client.post(
        f"/admin/establishments/{clinic.id}/caller-bookings",
        json=body,
        headers=staff_headers(clinic.id, "clerk", clerk),
    )


async def test_a_clerk_books_for_a_caller_without_an_account(client, sessions, clinic):
    clerk = uuid.uuid4()
    slot = await clinic.slot()

    booked = await book_for_caller(client, clinic, caller(slot, email="gisele@example.org", nam=NAM), clerk)

    assert booked.status_code == 201, booked.text
    body = booked.json()
    assert (body["status"], body["source"], body["booked_by_staff_id"]) == ("booked", "admin", str(clerk))
    assert (body["service_name_fr"], body["instructions_fr"], body["instructions_en"]) == (
        "Vaccination",
        INSTRUCTIONS_FR,
        INSTRUCTIONS_EN,
    )
    assert "manage_token" not in body  # the caller's link goes to the caller only
    async with sessions() as session:
        row = (
            await session.execute(
                text("SELECT account_id, source, booked_by_staff_id, identity_key FROM appointments WHERE id = :id"),
                {"id": body["id"]},
            )
        ).one()
    assert (row.account_id, row.source, row.booked_by_staff_id) == (None, "admin", clerk)
    assert row.identity_key is not None  # NAM and birth date, as one keyed digest: the history may match it
    [event] = await events(sessions, "appointment_booked")
    assert (event["account_id"], event["source"], event["booked_by_staff_id"]) == (None, "admin", str(clerk))
    assert (event["service"]["instructions_fr"], event["service"]["instructions_en"]) == (
        INSTRUCTIONS_FR,
        INSTRUCTIONS_EN,
    )
    assert event["manage_token"]  # the usual confirmation, with its link
    assert event["notify_channels"] == ["email"]
    # Grey in Suivi: nobody to identify or associate.
    day = datetime.fromisoformat(body["starts_at"]).astimezone(ZoneInfo("America/Montreal")).date()
    entries = await front_desk.day_list(UnitOfWork(sessions), Staff(uuid.uuid4(), clinic.id, "clerk"), day)
    [entry] = [e for e in entries if str(e.id) == body["id"]]
    assert (entry.profile_icon, entry.card_icon, entry.booked_with_account) == ("grey", "grey", False)
    assert entry.source == "admin"


async def test_a_caller_who_wants_texts_too_gets_both(client, sessions, clinic):
    body = caller(await clinic.slot(), email="gisele@example.org", notify_sms=True)
    assert (await book_for_caller(client, clinic, body)).status_code == 201
    [event] = await events(sessions, "appointment_booked")
    assert event["notify_channels"] == ["email", "sms"]


async def test_caller_bookings_follow_the_booking_rules(client, clinic):
    full = await clinic.slot(capacity=1)
    assert (await book_for_caller(client, clinic, caller(full))).status_code == 201

    no_seat = await book_for_caller(client, clinic, caller(full, phone="450 555 0199"))
    assert (no_seat.status_code, no_seat.json()["errors"][0]["code"]) == (409, "slot_full")
    same_time = await clinic.slot(timedelta(days=3), capacity=5)  # the same time, another slot
    overlap = await book_for_caller(client, clinic, caller(same_time))
    assert (overlap.status_code, overlap.json()["errors"][0]["code"]) == (409, "overlapping_appointment")
    nobody = await book_for_caller(client, clinic, caller(same_time, phone=None))
    assert (nobody.status_code, nobody.json()["errors"][0]["code"]) == (422, "contact_required")
    gone = await book_for_caller(client, clinic, caller(uuid.uuid4()))
    assert (gone.status_code, gone.json()["errors"][0]["code"]) == (422, "unknown_slot")


async def test_a_repeated_submit_answers_the_same_booking(client, clinic):
    clerk = uuid.uuid4()
    body = caller(await clinic.slot(), idempotency_key="desk-1")

    first = await book_for_caller(client, clinic, body, clerk)
    again = await book_for_caller(client, clinic, body, clerk)

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json()["id"] == first.json()["id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    other = await book_for_caller(client, clinic, body | {"last_name": "Autre"}, clerk)
    assert (other.status_code, other.json()["errors"][0]["code"]) == (422, "idempotency_key_reused")


async def test_staff_book_only_at_their_establishment_and_only_staff(client, sessions, clinic):
    elsewhere = await Clinic(sessions).open()
    their_slot = await elsewhere.slot()

    wrong_slot = await book_for_caller(client, clinic, caller(their_slot))
    assert (wrong_slot.status_code, wrong_slot.json()["errors"][0]["code"]) == (404, "slot_not_found")
    url = f"/admin/establishments/{clinic.id}/caller-bookings"
    mine = caller(await clinic.slot())
    assert (await client.post(url, json=mine, headers=staff_headers(elsewhere.id, "manager"))).status_code == 404
    assert (await client.post(url, json=mine, headers=citizen_headers(uuid.uuid4()))).status_code == 403
    assert (await client.post(url, json=mine)).status_code == 401
    manager = await client.post(url, json=mine, headers=staff_headers(clinic.id, "manager"))
    assert manager.status_code == 201, manager.text


async def test_staff_cancel_and_move_a_callers_booking_whenever_asked(client, sessions, clinic):
    clerk = uuid.uuid4()
    soon = await clinic.slot(timedelta(hours=2))  # well past the 24 h cut-off: staff are not held to it
    booked = (await book_for_caller(client, clinic, caller(soon))).json()
    later = await clinic.slot(timedelta(hours=5))
    base = f"/admin/establishments/{clinic.id}/caller-bookings/{booked['id']}"

    moved = await client.post(
        f"{base}/reschedule", json={"slot_id": str(later)}, headers=staff_headers(clinic.id, "clerk", clerk)
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["slot_id"] == str(later)
    assert moved.json()["instructions_fr"] == INSTRUCTIONS_FR
    [rescheduled] = await events(sessions, "appointment_rescheduled")
    assert (rescheduled["staff_id"], rescheduled["slot_id"]) == (str(clerk), str(later))
    assert rescheduled["service"]["instructions_en"] == INSTRUCTIONS_EN

    elsewhere = await Clinic(sessions).open()
    away = await client.post(
        f"{base}/reschedule", json={"slot_id": str(await elsewhere.slot())}, headers=staff_headers(clinic.id, "clerk")
    )
    assert (away.status_code, away.json()["errors"][0]["code"]) == (404, "slot_not_found")
    other_staff = await client.post(f"{base}/cancel", headers=staff_headers(elsewhere.id, "manager"))
    assert other_staff.status_code == 404

    cancelled = await client.post(f"{base}/cancel", headers=staff_headers(clinic.id, "clerk", clerk))
    assert (cancelled.status_code, cancelled.json()["status"]) == (200, "cancelled")
    [event] = await events(sessions, "appointment_cancelled")
    assert (event["cancelled_by"], event["staff_id"]) == ("staff", str(clerk))
    async with sessions() as session:
        seats = (await session.execute(text("SELECT booked FROM slots WHERE id = :id"), {"id": later})).scalar()
    assert seats == 0


async def test_staff_do_not_change_a_booking_made_from_an_account(client, clinic):
    account = uuid.uuid4()
    body = {"slot_id": str(await clinic.slot()), "person_id": str(account), "first_name": "Léa", "last_name": "Roy",
            "email": "lea@example.org"}  # fmt: skip
    booked = await client.post("/my/appointments", json=body, headers=citizen_headers(account))
    assert booked.status_code == 201, booked.text

    url = f"/admin/establishments/{clinic.id}/caller-bookings/{booked.json()['id']}/cancel"
    refused = await client.post(url, headers=staff_headers(clinic.id, "manager"))
    assert refused.status_code == 404


# --- the clinic's cut-off for citizens ---


async def test_a_citizen_cannot_cancel_or_move_online_past_the_cut_off(client, clinic):
    soon = await clinic.slot(timedelta(hours=10))  # inside the 24 h
    booked = await client.post(
        "/appointments", json={"slot_id": str(soon), "first_name": "Léa", "last_name": "Roy", "email": "l@example.org"}
    )
    assert booked.status_code == 201, booked.text
    appointment, token = booked.json()["id"], booked.json()["manage_token"]
    starts = datetime.fromisoformat(booked.json()["starts_at"])
    assert booked.json()["cancel_cutoff_hours"] == 24
    assert datetime.fromisoformat(booked.json()["changeable_until"]) == starts - timedelta(hours=24)
    assert (booked.json()["clinic_phone"], booked.json()["instructions_fr"]) == ("+14505550123", INSTRUCTIONS_FR)

    for action, body in (
        ("cancel", {"token": token}),
        ("reschedule", {"token": token, "slot_id": str(await clinic.slot())}),
    ):
        refused = await client.post(f"/appointments/{appointment}/{action}", json=body)
        assert refused.status_code == 409, refused.text
        error = refused.json()["errors"][0]
        assert (error["code"], error["field"]) == ("too_late_to_change", None)
        assert error["message"]["fr"] == (
            "Ce rendez-vous ne peut plus être annulé ni déplacé en ligne : la clinique l'accepte jusqu'à 24 h avant. "
            "Appelez la clinique au (450) 555-0123."
        )
        assert error["message"]["en"].endswith("up to 24 h before. Call the clinic at (450) 555-0123.")
    shown = await client.get(f"/appointments/{appointment}", params={"token": token})
    assert (shown.json()["status"], shown.json()["instructions_en"]) == ("booked", INSTRUCTIONS_EN)


async def test_an_account_is_held_to_the_cut_off_too(client, clinic):
    account = uuid.uuid4()
    body = {"slot_id": str(await clinic.slot(timedelta(hours=3))), "person_id": str(account), "first_name": "Léa",
            "last_name": "Roy", "email": "lea@example.org"}  # fmt: skip
    booked = (await client.post("/my/appointments", json=body, headers=citizen_headers(account))).json()

    refused = await client.post(f"/my/appointments/{booked['id']}/cancel", headers=citizen_headers(account))
    assert (refused.status_code, refused.json()["errors"][0]["code"]) == (409, "too_late_to_change")
    moved = await client.post(
        f"/my/appointments/{booked['id']}/reschedule",
        json={"slot_id": str(await clinic.slot())},
        headers=citizen_headers(account),
    )
    assert (moved.status_code, moved.json()["errors"][0]["code"]) == (409, "too_late_to_change")
    [mine] = (await client.get("/my/appointments", headers=citizen_headers(account))).json()["upcoming"]
    assert (mine["cancel_cutoff_hours"], mine["clinic_phone"], mine["instructions_fr"]) == (
        24,
        "+14505550123",
        INSTRUCTIONS_FR,
    )


async def test_before_the_cut_off_a_citizen_still_cancels_and_moves(client, clinic):
    booked = await client.post(
        "/appointments",
        json={
            "slot_id": str(await clinic.slot(timedelta(days=3))),
            "first_name": "Léa",
            "last_name": "Roy",
            "email": "l@example.org",
        },
    )
    appointment, token = booked.json()["id"], booked.json()["manage_token"]

    moved = await client.post(
        f"/appointments/{appointment}/reschedule",
        json={"token": token, "slot_id": str(await clinic.slot(timedelta(days=4)))},
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["instructions_fr"] == INSTRUCTIONS_FR
    cancelled = await client.post(f"/appointments/{appointment}/cancel", json={"token": moved.json()["manage_token"]})
    assert (cancelled.status_code, cancelled.json()["status"], cancelled.json()["changeable_until"]) == (
        200,
        "cancelled",
        None,
    )


async def test_without_a_cut_off_a_citizen_changes_until_the_start(client, sessions):
    clinic = await Clinic(sessions, cutoff_hours=0).open()
    booked = await client.post(
        "/appointments",
        json={
            "slot_id": str(await clinic.slot(timedelta(minutes=30))),
            "first_name": "Léa",
            "last_name": "Roy",
            "email": "l@example.org",
        },
    )
    assert booked.json()["changeable_until"] == booked.json()["starts_at"]
    cancelled = await client.post(
        f"/appointments/{booked.json()['id']}/cancel", json={"token": booked.json()["manage_token"]}
    )
    assert cancelled.status_code == 200, cancelled.text
