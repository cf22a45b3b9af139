"""The patient's sex, as the gateway composes it from the account into a booking, reaches the front desk's entry:
the console's identity window pre-selects it. A booking without an account has none."""

import uuid
from collections.abc import AsyncIterator
from types import SimpleNamespace

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import text

from devstack.testing.apps import app_without_lifespan
from services.appointments.main import ROUTERS
from services.appointments.refusals import REFUSALS
from services.appointments.tests.integration.test_booking_concurrency import _slot_with_seats
from shared.db import make_engine, make_sessionmaker
from shared.request_context import Staff, citizen, staff_member
from shared.unit_of_work import UnitOfWork

ACCOUNT = uuid.uuid4()


class Desk:
    """The appointments API with a signed-in citizen and a clerk of whichever establishment a test names."""

    def __init__(self, client: httpx.AsyncClient, app: FastAPI) -> None:
        self.client, self.app = client, app

    async def entry(self, establishment: uuid.UUID, appointment_id: str) -> dict[str, object]:
        self.app.dependency_overrides[staff_member] = lambda: Staff(uuid.uuid4(), establishment, "clerk")
        answer = await self.client.get(f"/admin/establishments/{establishment}/appointments/{appointment_id}")
        assert answer.status_code == 200, answer.text
        entry: dict[str, object] = answer.json()
        return entry


@pytest.fixture
async def desk(clean_databases) -> AsyncIterator[Desk]:
    engine = make_engine(clean_databases["appointments"])
    sessions = make_sessionmaker(engine)
    app = app_without_lifespan("Appointments", ROUTERS, refusals=REFUSALS)
    settings = SimpleNamespace(
        secret_key=SecretStr("manage-secret"), nam_key=SecretStr("nam-key"), anonymous_bookings_per_source_per_hour=0
    )
    app.state.runtime = SimpleNamespace(unit_of_work=lambda: UnitOfWork(sessions), settings=settings)
    app.dependency_overrides[citizen] = lambda: ACCOUNT  # the token's check is request_context's own tests'
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://appointments") as c:
            yield Desk(c, app)
    finally:
        await engine.dispose()


async def _establishment_of(sessions, slot: uuid.UUID) -> uuid.UUID:
    async with sessions() as session:
        return (
            await session.execute(
                text(
                    "SELECT sv.establishment_id FROM slots s JOIN services sv ON sv.id = s.service_id WHERE s.id = :s"
                ),
                {"s": slot},
            )
        ).scalar_one()


def _for_person(slot: uuid.UUID, person: uuid.UUID, **extra: object) -> dict[str, object]:
    return {
        "slot_id": str(slot),
        "person_id": str(person),
        "first_name": "Léa",
        "last_name": "Roy",
        "birth_date": "1980-05-17",
        "email": f"{uuid.uuid4().hex}@example.org",
        "holder_name": "Léa Roy",
    } | extra


@pytest.mark.parametrize("sex", ["F", "M", "X"])
async def test_a_booking_for_a_person_with_a_sex_returns_it_in_the_front_desk_entry(desk, sessions, sex):
    slot = await _slot_with_seats(sessions, capacity=5)
    booked = await desk.client.post("/my/appointments", json=_for_person(slot, ACCOUNT, sex=sex))
    assert booked.status_code == 201, booked.text

    entry = await desk.entry(await _establishment_of(sessions, slot), booked.json()["id"])

    assert entry["sex"] == sex
    assert (entry["first_name"], entry["birth_date"]) == ("Léa", "1980-05-17")


async def test_a_dependants_booking_keeps_the_dependants_sex(desk, sessions):
    slot = await _slot_with_seats(sessions, capacity=5)
    child = uuid.uuid4()
    booked = await desk.client.post("/my/appointments", json=_for_person(slot, child, first_name="Noé", sex="M"))
    assert booked.status_code == 201, booked.text

    entry = await desk.entry(await _establishment_of(sessions, slot), booked.json()["id"])

    assert (entry["person_id"], entry["sex"]) == (str(child), "M")


async def test_bookings_without_a_sex_have_none(desk, sessions):
    slot = await _slot_with_seats(sessions, capacity=5)
    establishment = await _establishment_of(sessions, slot)
    from_account = await desk.client.post("/my/appointments", json=_for_person(slot, ACCOUNT))
    anonymous = await desk.client.post(
        "/appointments", json={"slot_id": str(slot), "first_name": "Ana", "last_name": "Roy", "phone": "5145550101"}
    )
    assert (from_account.status_code, anonymous.status_code) == (201, 201), (from_account.text, anonymous.text)

    assert (await desk.entry(establishment, from_account.json()["id"]))["sex"] is None
    assert (await desk.entry(establishment, anonymous.json()["id"]))["sex"] is None


async def test_a_sex_accounts_does_not_store_is_refused_and_books_nothing(desk, sessions):
    slot = await _slot_with_seats(sessions, capacity=5)

    refused = await desk.client.post("/my/appointments", json=_for_person(slot, ACCOUNT, sex="Q"))

    assert refused.status_code == 422
    assert any(error["field"] == "sex" for error in refused.json()["errors"]), refused.text
    async with sessions() as session:
        assert (await session.execute(text("SELECT count(*) FROM appointments"))).scalar_one() == 0
