"""Booking as a citizen would: for self or family, idempotent retries, the last seats, cancel and reschedule."""

import asyncio
import uuid

import aiohttp
import httpx
import pytest
from icalendar import Calendar

from devstack.demo_data.accounts import CLERK, load_demo_staff
from devstack.demo_data.appointments import ESTABLISHMENT_ID
from devstack.mail_sink import MailSink
from devstack.supervisor import Supervisor
from devstack.testing.fixtures import run_sync
from tests.e2e.accounts_flow import active_account, wait_until
from tests.e2e.clinic_staff import staff_sign_in
from tests.e2e.conftest import Catalogue, add_slot, booking, db_counts, slot_seats


@pytest.fixture
def client(system: Supervisor):
    with httpx.Client(base_url=system.config.url("gateway"), timeout=20) as client:
        yield client


@pytest.fixture
def family(client: httpx.Client, mail_sink: MailSink) -> tuple[dict[str, str], str]:
    """A signed-in holder with one dependant: (auth header, dependant id)."""
    auth = active_account(client, mail_sink, "famille@example.org", phone="5145550123")
    child = client.post(
        "/api/me/dependants",
        json={"first_name": "Mia", "last_name": "Testeur", "birth_date": "2017-08-08", "sex": "F"},
        headers=auth,
    )
    return auth, child.json()["id"]


def test_holder_and_dependant_bookings_show_in_my_appointments_with_calendar_files(
    client: httpx.Client, catalogue: Catalogue, family: tuple[dict[str, str], str]
):
    auth, child_id = family
    mine = client.post("/api/my/appointments", json={"slot_id": str(catalogue.open_slot)}, headers=auth)
    assert mine.status_code == 201, mine.text
    theirs = client.post(
        "/api/my/appointments", json={"slot_id": str(catalogue.open_slot), "person_id": child_id}, headers=auth
    )
    assert theirs.status_code == 201, theirs.text
    assert (mine.json()["first_name"], theirs.json()["first_name"]) == ("Thomas", "Mia")  # pre-filled from the account

    listing = client.get("/api/my/appointments", headers=auth).json()
    assert {a["first_name"] for a in listing["upcoming"]} == {"Thomas", "Mia"}
    assert listing["past"] == []

    ics = client.get(f"/api/my/appointments/{theirs.json()['id']}.ics", headers=auth)
    assert ics.status_code == 200
    assert ics.headers["content-type"].startswith("text/calendar")
    event = next(iter(Calendar.from_ical(ics.content).walk("VEVENT")))
    assert event.decoded("dtstart") == catalogue.open_slot_starts_at
    assert "Clinique Test Rosemont" in str(event["location"])
    assert event.decoded("dtstamp").tzinfo is not None  # RFC 5545 requires it; calendars refuse events without


def test_the_client_cannot_book_in_someone_elses_name(
    client: httpx.Client, catalogue: Catalogue, family: tuple[dict[str, str], str], mail_sink: MailSink
):
    auth, _ = family
    stranger = active_account(client, mail_sink, "etranger@example.org")
    someone_elses_child = client.post(
        "/api/my/appointments", json={"slot_id": str(catalogue.open_slot), "person_id": family[1]}, headers=stranger
    )
    assert someone_elses_child.status_code == 404
    forged = client.post(
        "/api/my/appointments",
        json={"slot_id": str(catalogue.open_slot), "first_name": "Faux", "last_name": "Nom"},
        headers=auth,
    )
    assert forged.status_code == 422  # details come from the account, never from the client


def test_a_retried_booking_with_its_idempotency_key_creates_one_appointment(
    client: httpx.Client, catalogue: Catalogue, mail_sink: MailSink, system: Supervisor
):
    key = str(uuid.uuid4())
    body = booking(catalogue.open_slot)
    first = client.post("/api/appointments", json=body, headers={"Idempotency-Key": key})
    again = client.post("/api/appointments", json=body, headers={"Idempotency-Key": key})
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again.headers.get("idempotent-replayed") == "true"
    assert run_sync(db_counts(system))["appointments"] == 1
    mail_sink.wait_for(1)
    other = client.post("/api/appointments", json={**body, "first_name": "Autre"}, headers={"Idempotency-Key": key})
    assert other.status_code == 422
    assert other.json()["errors"][0]["code"] == "idempotency_key_reused"


def test_two_hundred_concurrent_bookings_for_five_seats_through_the_gateway(system: Supervisor, catalogue: Catalogue):
    slot = add_slot(system, catalogue, days=4, hour_utc=14, capacity=5)

    async def storm() -> list[tuple[int, str]]:
        async with aiohttp.ClientSession() as session:

            async def one(i: int) -> tuple[int, str]:
                body = booking(slot, email=f"foule{i}@example.org", first_name=f"F{i}")
                async with session.post(f"{system.config.url('gateway')}/api/appointments", json=body) as response:
                    payload = await response.json()
                    return response.status, (payload.get("errors") or [{}])[0].get("code", "")

            return await asyncio.gather(*(one(i) for i in range(200)))

    outcomes = run_sync(storm())
    assert sum(status == 201 for status, _ in outcomes) == 5
    assert {(status, code) for status, code in outcomes if status != 201} == {(409, "slot_full")}
    assert run_sync(slot_seats(system, slot)) == 5
    assert run_sync(db_counts(system))["appointments"] == 5


def test_cancel_frees_the_seat_at_once(client: httpx.Client, system: Supervisor, catalogue: Catalogue, family):
    auth, _ = family
    single = add_slot(system, catalogue, days=5, hour_utc=15, capacity=1)
    mine = client.post("/api/my/appointments", json={"slot_id": str(single)}, headers=auth).json()
    assert client.post("/api/appointments", json=booking(single, email="x@example.org")).status_code == 409
    cancelled = client.post(f"/api/my/appointments/{mine['id']}/cancel", headers=auth)
    assert cancelled.json()["status"] == "cancelled"
    assert client.post("/api/appointments", json=booking(single, email="x@example.org")).status_code == 201
    listing = client.get("/api/my/appointments", headers=auth).json()
    assert [a["status"] for a in listing["past"]] == ["cancelled"]


def test_reschedule_never_leaves_zero_or_two_seats(
    client: httpx.Client, system: Supervisor, catalogue: Catalogue, family
):
    auth, _ = family
    first = add_slot(system, catalogue, days=6, hour_utc=15, capacity=2)
    full = add_slot(system, catalogue, days=6, hour_utc=17, capacity=1)
    free = add_slot(system, catalogue, days=7, hour_utc=15, capacity=2)
    assert client.post("/api/appointments", json=booking(full, email="z@example.org")).status_code == 201
    appointment = client.post("/api/my/appointments", json={"slot_id": str(first)}, headers=auth).json()

    refused = client.post(
        f"/api/my/appointments/{appointment['id']}/reschedule", json={"slot_id": str(full)}, headers=auth
    )
    assert refused.status_code == 409
    assert [run_sync(slot_seats(system, s)) for s in (first, full, free)] == [1, 1, 0]

    moved = client.post(
        f"/api/my/appointments/{appointment['id']}/reschedule", json={"slot_id": str(free)}, headers=auth
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["slot_id"] == str(free)
    assert [run_sync(slot_seats(system, s)) for s in (first, full, free)] == [0, 1, 1]


def test_the_same_person_cannot_hold_two_overlapping_appointments(
    client: httpx.Client, system: Supervisor, catalogue: Catalogue, family
):
    auth, child_id = family
    same_time = add_slot(system, catalogue, days=3, hour_utc=15, capacity=5, minute=30)  # same time as open_slot
    assert (
        client.post("/api/my/appointments", json={"slot_id": str(catalogue.open_slot)}, headers=auth).status_code == 201
    )
    overlap = client.post("/api/my/appointments", json={"slot_id": str(same_time)}, headers=auth)
    assert overlap.status_code == 409
    assert overlap.json()["errors"][0]["code"] == "overlapping_appointment"
    # Another person of the family may be booked at the same time.
    child = client.post("/api/my/appointments", json={"slot_id": str(same_time), "person_id": child_id}, headers=auth)
    assert child.status_code == 201


def test_other_accounts_and_other_clinics_cannot_touch_an_appointment(
    client: httpx.Client, system: Supervisor, catalogue: Catalogue, family, mail_sink: MailSink
):
    auth, _ = family
    appointment = client.post("/api/my/appointments", json={"slot_id": str(catalogue.open_slot)}, headers=auth).json()
    stranger = active_account(client, mail_sink, "curieux@example.org")
    assert client.post(f"/api/my/appointments/{appointment['id']}/cancel", headers=stranger).status_code == 404
    assert client.get(f"/api/my/appointments/{appointment['id']}.ics", headers=stranger).status_code == 404
    assert client.get("/api/my/appointments", headers=stranger).json() == {"upcoming": [], "past": []}

    run_sync(load_demo_staff(system.config.database_urls["accounts"]))  # a clerk of another establishment
    staff = staff_sign_in(client, CLERK.email, password=CLERK.password, secret=CLERK.totp_secret)
    staff_auth = {"authorization": f"Bearer {staff['access_token']}"}
    path = f"/api/admin/establishments/{catalogue.establishment_id}/appointments/{appointment['id']}/noshow"
    assert client.post(path, headers=staff_auth).status_code == 404
    own = f"/api/admin/establishments/{ESTABLISHMENT_ID}/appointments/{appointment['id']}/noshow"
    assert client.post(own, headers=staff_auth).status_code == 404  # not an appointment of their clinic
    assert client.post(path, headers=auth).status_code == 403  # citizens never reach staff endpoints


def test_cancellation_by_link_from_the_email_is_confirmed_by_email(
    client: httpx.Client, catalogue: Catalogue, mail_sink: MailSink
):
    booked = client.post("/api/appointments", json=booking(catalogue.open_slot)).json()
    # The link is followed from the confirmation, so it has arrived. (Cancelled before its confirmation is
    # sent, an appointment gets only the cancellation notice: the confirmation would contradict it.)
    wait_until(lambda: len(mail_sink.messages()) == 1, message="no confirmation")
    cancelled = client.post(f"/api/appointments/{booked['id']}/cancel", json={"token": booked["manage_token"]})
    assert cancelled.status_code == 200
    wait_until(lambda: len(mail_sink.messages()) == 2, message="no cancellation notice")
    assert any("annul" in m.subject.lower() for m in mail_sink.messages())
