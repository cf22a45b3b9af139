"""Who read my record (issue 22, item 4), verification's part: the audit rows about the appointments the gateway
names (those the citizen's account may see, as appointments decides) and about the account's own validations,
with the staff member's role and never who, and nothing about other patients of a day list."""

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from devstack.testing.tokens import TEST_PUBLIC_KEY, citizen_headers, staff_headers
from services.verification.consumers import HANDLERS, CodeIssuer
from services.verification.main import create_app
from services.verification.settings import VerificationSettings
from shared.consumer import route_handlers
from shared.contracts.appointments import (
    AppointmentBooked,
    AppointmentCancelled,
    PatientContactV1,
    PatientRecordsViewed,
    PlaceV1,
    ServiceOfferedV1,
)
from shared.db import make_engine, make_sessionmaker
from shared.messages import Contract
from shared.unit_of_work import UnitOfWork

SETTINGS = VerificationSettings(environment="test")
ROUTES = route_handlers([CodeIssuer(SETTINGS).on_code_requested, *HANDLERS])
HERE = uuid.uuid4()
CLERK, MANAGER = uuid.uuid4(), uuid.uuid4()
AT = datetime(2026, 12, 6, 14, 0, tzinfo=UTC)
URL = "/composed/record-access"

Sessions = async_sessionmaker[AsyncSession]


@pytest.fixture
async def sessions(clean_databases: dict[str, str]) -> AsyncIterator[Sessions]:
    engine = make_engine(clean_databases["verification"], pool_size=5)
    yield make_sessionmaker(engine)
    await engine.dispose()


@asynccontextmanager
async def service(
    clean_databases: dict[str, str], amqp_url: str, bus_namespace: str
) -> AsyncIterator[httpx.AsyncClient]:
    """The service over HTTP, inside the test's own task (its lifespan cannot span a fixture's setup and teardown)."""
    settings = VerificationSettings(
        database_url=clean_databases["verification"],
        amqp_url=amqp_url,
        bus_namespace=bus_namespace,
        jwt_public_key=TEST_PUBLIC_KEY,
    )
    app = create_app(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://verification") as client,
    ):
        yield client


async def deliver(sessions: Sessions, event: Contract) -> None:
    async with UnitOfWork(sessions) as uow:
        await ROUTES[event.routing_key()].handler(uow, [event], [event.to_envelope()])
        await uow.commit()


def viewed(
    view: str, ids: list[uuid.UUID], staff_id: uuid.UUID, role: str | None, minutes: int
) -> PatientRecordsViewed:
    return PatientRecordsViewed(
        staff_id=staff_id,
        establishment_id=HERE,
        view=view,
        appointment_ids=ids,
        at=AT + timedelta(minutes=minutes),
        staff_role=role,
    )


def booked(account_id: uuid.UUID | None, person_id: uuid.UUID | None = None, **more: Any) -> AppointmentBooked:
    starts = datetime.now(UTC) + timedelta(days=1)
    return AppointmentBooked(
        appointment_id=uuid.uuid4(),
        slot_id=uuid.uuid4(),
        account_id=account_id,
        person_id=person_id or account_id,
        starts_at=starts,
        ends_at=starts + timedelta(minutes=15),
        place=PlaceV1(
            establishment_id=HERE,
            name="Clinique",
            address="1 rue Principale",
            city="Montréal",
            postal_code="H2X 1Y4",
            timezone="America/Montreal",
        ),
        service=ServiceOfferedV1(service_id=uuid.uuid4(), name_fr="Vaccin", name_en="Vaccine"),
        patient=PatientContactV1(first_name="Léa", last_name="Testé", email=None, phone=None),
        language="fr",
        manage_token="jeton",
        **more,
    )


async def entries(client: httpx.AsyncClient, account_id: uuid.UUID, ids: list[uuid.UUID]) -> list[dict[str, Any]]:
    answer = await client.post(
        URL, json={"appointment_ids": [str(i) for i in ids]}, headers=citizen_headers(account_id)
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["entries"]


async def test_a_day_list_shows_for_each_patient_on_it_and_a_record_open_only_for_its_patient(
    sessions, clean_databases, amqp_url, bus_namespace
):
    async with service(clean_databases, amqp_url, bus_namespace) as client:
        await _test_a_day_list_shows_for_each_patient_on_it_and_a_record_open_only_for_its_patient(sessions, client)


async def _test_a_day_list_shows_for_each_patient_on_it_and_a_record_open_only_for_its_patient(
    sessions: Sessions, client: httpx.AsyncClient
) -> None:
    first, second, stranger = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    mine, theirs, elsewhere = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await deliver(sessions, viewed("day_list", [mine, theirs, elsewhere], CLERK, "clerk", 0))
    await deliver(sessions, viewed("appointment", [mine], MANAGER, "manager", 5))
    await deliver(sessions, viewed("day_list", [], CLERK, "clerk", 6))  # an empty day names nobody

    first_sees = await entries(client, first, [mine])
    assert [(e["action"], e["staff_role"], e["appointment_ids"]) for e in first_sees] == [
        ("patient_records_viewed:appointment", "manager", [str(mine)]),
        ("patient_records_viewed:day_list", "clerk", [str(mine)]),  # not the other patients of that day
    ]
    assert {e["establishment_id"] for e in first_sees} == {str(HERE)}
    second_sees = await entries(client, second, [theirs])
    assert [(e["action"], e["appointment_ids"]) for e in second_sees] == [
        ("patient_records_viewed:day_list", [str(theirs)])
    ]
    assert await entries(client, stranger, [uuid.uuid4()]) == []
    # Neither who the staff member is nor anything of the row beyond the asked appointments leaves the service.
    body = (await client.post(URL, json={"appointment_ids": [str(mine)]}, headers=citizen_headers(first))).text
    assert str(CLERK) not in body
    assert str(MANAGER) not in body
    assert str(theirs) not in body
    assert str(elsewhere) not in body


async def test_a_family_day_list_names_each_of_its_appointments(sessions, clean_databases, amqp_url, bus_namespace):
    async with service(clean_databases, amqp_url, bus_namespace) as client:
        await _test_a_family_day_list_names_each_of_its_appointments(sessions, client)


async def _test_a_family_day_list_names_each_of_its_appointments(sessions: Sessions, client: httpx.AsyncClient) -> None:
    account = uuid.uuid4()
    holder_visit, child_visit, other = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await deliver(sessions, viewed("day_list", [other, child_visit, holder_visit], CLERK, "clerk", 0))
    [entry] = await entries(client, account, [holder_visit, child_visit])
    assert sorted(entry["appointment_ids"]) == sorted([str(holder_visit), str(child_visit)])


async def test_caller_bookings_by_staff_show_and_the_citizens_own_doings_do_not(
    sessions, clean_databases, amqp_url, bus_namespace
):
    async with service(clean_databases, amqp_url, bus_namespace) as client:
        await _test_caller_bookings_by_staff_show_and_the_citizens_own_doings_do_not(sessions, client)


async def _test_caller_bookings_by_staff_show_and_the_citizens_own_doings_do_not(
    sessions: Sessions, client: httpx.AsyncClient
) -> None:
    account = uuid.uuid4()
    by_clerk = booked(None, source="admin", booked_by_staff_id=CLERK)
    by_citizen = booked(account)
    await deliver(sessions, by_clerk)
    await deliver(sessions, by_citizen)
    await deliver(
        sessions,
        AppointmentCancelled(
            **by_clerk.model_dump(include=set(AppointmentCancelled.model_fields) - {"cancelled_by", "staff_id"}),
            cancelled_by="staff",
            staff_id=CLERK,
        ),
    )
    await deliver(
        sessions,
        AppointmentCancelled(
            **by_citizen.model_dump(include=set(AppointmentCancelled.model_fields) - {"cancelled_by", "staff_id"}),
            cancelled_by="patient",
        ),
    )
    seen = await entries(client, account, [by_clerk.appointment_id, by_citizen.appointment_id])
    # Rows written before roles were kept (and caller events carry none) say "clinic staff": no role.
    assert [(e["action"], e["staff_role"]) for e in seen] == [("caller_cancelled", None), ("caller_booked", None)]


async def test_the_accounts_own_validations_show_and_no_one_elses(sessions, clean_databases, amqp_url, bus_namespace):
    async with service(clean_databases, amqp_url, bus_namespace) as client:
        await _test_the_accounts_own_validations_show_and_no_one_elses(sessions, client)


async def _test_the_accounts_own_validations_show_and_no_one_elses(
    sessions: Sessions, client: httpx.AsyncClient
) -> None:
    holder, child, neighbour = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    for account, person in ((holder, holder), (holder, child), (neighbour, neighbour)):
        await deliver(sessions, booked(account, person))
    base = f"/admin/establishments/{HERE}"
    for account in (holder, neighbour):
        identity = {
            "account_id": str(account),
            "first_name": "Thomas",
            "last_name": "Testé",
            "birth_date": "1954-12-28",
            "sex": "M",
            "confirmed": True,
        }
        answer = await client.post(f"{base}/identity-validations", json=identity, headers=staff_headers(HERE, "clerk"))
        assert answer.status_code == 201, answer.text
    association = {
        "account_id": str(holder),
        "person_id": str(child),
        "first_name": "Léa",
        "last_name": "Testé",
        "birth_date": "2019-03-04",
        "confirmed": True,
    }
    answer = await client.post(
        f"{base}/association-validations", json=association, headers=staff_headers(HERE, "manager")
    )
    assert answer.status_code == 201, answer.text

    seen = await entries(client, holder, [])
    assert [(e["action"], e["person_id"], e["staff_role"], e["appointment_ids"]) for e in seen] == [
        ("association_validated", str(child), "manager", []),
        ("identity_validated", str(holder), "clerk", []),
    ]
    assert [e["action"] for e in await entries(client, neighbour, [])] == ["identity_validated"]


async def test_only_a_citizen_asks_and_for_a_bounded_list(sessions, clean_databases, amqp_url, bus_namespace):
    async with service(clean_databases, amqp_url, bus_namespace) as client:
        await _bounded(client)


async def _bounded(client: httpx.AsyncClient) -> None:
    body = {"appointment_ids": [str(uuid.uuid4())]}
    assert (await client.post(URL, json=body)).status_code == 401
    assert (await client.post(URL, json=body, headers=staff_headers(HERE, "manager"))).status_code == 403
    too_many = {"appointment_ids": [str(uuid.uuid4()) for _ in range(5001)]}
    refused = await client.post(URL, json=too_many, headers=citizen_headers(uuid.uuid4()))
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "appointment_ids"
    assert (
        await client.post(URL, json={"appointment_ids": ["x"]}, headers=citizen_headers(uuid.uuid4()))
    ).status_code == 422


async def test_entries_come_in_the_order_things_happened_not_the_order_they_were_logged(
    sessions, clean_databases, amqp_url, bus_namespace
):
    """A read reaches the log through the bus: it may be written after a later validation made over HTTP."""
    async with service(clean_databases, amqp_url, bus_namespace) as client:
        account, visit = uuid.uuid4(), uuid.uuid4()
        await deliver(sessions, viewed("appointment", [visit], CLERK, "clerk", 10))
        await deliver(sessions, viewed("day_list", [visit], MANAGER, "manager", 0))  # happened first, logged last
        seen = await entries(client, account, [visit])
        assert [e["action"] for e in seen] == ["patient_records_viewed:appointment", "patient_records_viewed:day_list"]


async def test_a_decided_association_request_shows_under_its_person_and_the_citizens_own_request_does_not(
    sessions, clean_databases, amqp_url, bus_namespace
):
    async with service(clean_databases, amqp_url, bus_namespace) as client:
        holder, child = uuid.uuid4(), uuid.uuid4()
        visit = booked(holder, child)
        await deliver(sessions, visit)
        filed = await client.post(
            "/my/association-requests",
            json={"person_id": str(child), "establishment_id": str(HERE), "appointment_id": str(visit.appointment_id)},
            headers=citizen_headers(holder),
        )
        assert filed.status_code == 201, filed.text
        refused = await client.post(
            f"/admin/establishments/{HERE}/association-requests/{filed.json()['id']}/refuse",
            json={"reason": "Apportez le certificat de naissance."},
            headers=staff_headers(HERE, "clerk"),
        )
        assert refused.status_code == 200, refused.text
        # The request names the appointment too, but filing it was the citizen's doing, not the clinic's.
        seen = await entries(client, holder, [visit.appointment_id])
        assert [(e["action"], e["person_id"], e["staff_role"]) for e in seen] == [
            ("association_request_refused", str(child), "clerk")
        ]
