"""The console's administration in the append-only audit log (issue 21): staff invitations and access changes,
establishments' changes, and clerks' bookings for callers, each from its event, with the staff member as actor
and ids and roles only; the managers' log of their establishment and the platform operators' own log."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from devstack.testing.tokens import TEST_PUBLIC_KEY, access_token, bearer, citizen_headers, staff_headers
from services.verification.consumers import HANDLERS, ONLY_TOPICS, CodeIssuer
from services.verification.main import create_app
from services.verification.settings import VerificationSettings
from shared.bus import Bus
from shared.consumer import route_handlers
from shared.contracts.accounts import StaffAccessChanged, StaffInvited
from shared.contracts.appointments import (
    AppointmentBooked,
    AppointmentCancelled,
    AppointmentRescheduled,
    EstablishmentChanged,
    PatientContactV1,
    PlaceV1,
    ServiceOfferedV1,
)
from shared.db import make_engine, make_sessionmaker
from shared.messages import Contract
from shared.unit_of_work import UnitOfWork

SETTINGS = VerificationSettings(environment="test")
ROUTES = route_handlers([CodeIssuer(SETTINGS).on_code_requested, *HANDLERS])
HERE, ELSEWHERE = uuid.uuid4(), uuid.uuid4()
OPERATOR, MANAGER, CLERK, OTHER_MANAGER = uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
AT = datetime(2026, 12, 6, 14, 0, tzinfo=UTC)
NAM = "TEST54122816"

Sessions = async_sessionmaker[AsyncSession]


@pytest.fixture
async def sessions(clean_databases: dict[str, str]) -> AsyncIterator[Sessions]:
    engine = make_engine(clean_databases["verification"], pool_size=5)
    yield make_sessionmaker(engine)
    await engine.dispose()


async def deliver(sessions: Sessions, event: Contract) -> None:
    """As the consumer does: the handler inside a unit of work that commits."""
    async with UnitOfWork(sessions) as uow:
        await ROUTES[event.routing_key()].handler(uow, [event], [event.to_envelope()])
        await uow.commit()


async def audit_rows(sessions: Sessions) -> list[dict[str, Any]]:
    async with sessions() as session:
        rows = await session.execute(
            text("SELECT actor, actor_role, establishment_id, action, details FROM audit_log ORDER BY id")
        )
        return [dict(row._mapping) for row in rows]


def place(establishment_id: uuid.UUID) -> PlaceV1:
    return PlaceV1(
        establishment_id=establishment_id,
        name="Clinique",
        address="1 rue Principale",
        city="Montréal",
        postal_code="H2X 1Y4",
        timezone="America/Montreal",
    )


SERVICE = ServiceOfferedV1(service_id=uuid.uuid4(), name_fr="Vaccin", name_en="Vaccine")
CALLER = PatientContactV1(first_name="Gisèle", last_name="Tremblay", email="gisele@example.org", phone=None)


def booked(
    *, source: str = "admin", staff_id: uuid.UUID | None = CLERK, establishment_id: uuid.UUID = HERE
) -> AppointmentBooked:
    starts = datetime.now(UTC) + timedelta(days=1)
    return AppointmentBooked(
        appointment_id=uuid.uuid4(),
        slot_id=uuid.uuid4(),
        account_id=None,
        starts_at=starts,
        ends_at=starts + timedelta(minutes=15),
        place=place(establishment_id),
        service=SERVICE,
        patient=CALLER,
        language="fr",
        manage_token="jeton",
        source=source,
        booked_by_staff_id=staff_id,
    )


def cancelled(booking: AppointmentBooked, staff_id: uuid.UUID | None) -> AppointmentCancelled:
    return AppointmentCancelled(
        **booking.model_dump(include=set(AppointmentCancelled.model_fields) - {"cancelled_by", "staff_id"}),
        cancelled_by="staff" if staff_id else "patient",
        staff_id=staff_id,
    )


def rescheduled(booking: AppointmentBooked, staff_id: uuid.UUID | None) -> AppointmentRescheduled:
    starts = booking.starts_at + timedelta(days=1)
    return AppointmentRescheduled(
        appointment_id=booking.appointment_id,
        old_slot_id=booking.slot_id,
        old_starts_at=booking.starts_at,
        slot_id=uuid.uuid4(),
        starts_at=starts,
        ends_at=starts + timedelta(minutes=15),
        place=booking.place,
        service=booking.service,
        patient=booking.patient,
        language="fr",
        manage_token="autre-jeton",
        staff_id=staff_id,
    )


def invited(by: uuid.UUID = MANAGER, by_role: str = "manager", establishment_id: uuid.UUID = HERE) -> StaffInvited:
    return StaffInvited(
        invitation_id=uuid.uuid4(),
        email="nouveau.commis@clinique.example",
        establishment_id=establishment_id,
        role="clerk",
        language="fr",
        invited_by=by,
        invited_by_role=by_role,
        invitation_token="secret-du-lien",
        expires_at=AT + timedelta(hours=72),
    )


def access_changed(action: str, actor: uuid.UUID, actor_role: str, est: uuid.UUID | None, **more: Any):
    return StaffAccessChanged(
        action=action, actor_id=actor, actor_role=actor_role, staff_id=CLERK, establishment_id=est, at=AT, **more
    )


def establishment_changed(action: str, actor: uuid.UUID, actor_role: str, est: uuid.UUID = HERE, **more: Any):
    return EstablishmentChanged(
        action=action, actor_id=actor, actor_role=actor_role, establishment_id=est, at=AT, **more
    )


async def test_each_administration_event_writes_its_audit_row_with_the_staff_member_as_actor(sessions):
    invitation = invited()
    service_id = uuid.uuid4()
    booking = booked()
    moved = rescheduled(booking, CLERK)
    events = [
        invitation,
        access_changed("invitation_accepted", CLERK, "clerk", HERE, role="clerk"),
        access_changed("role_changed", MANAGER, "manager", HERE, role="manager"),
        access_changed("disabled", MANAGER, "manager", HERE, role="manager"),
        access_changed("enabled", MANAGER, "manager", HERE, role="manager"),
        access_changed("factor_enrolled", CLERK, "clerk", HERE, role="manager"),
        access_changed("factor_reset", OPERATOR, "operator", HERE, role="manager"),
        access_changed("operator_created", OPERATOR, "operator", None),
        establishment_changed("created", OPERATOR, "operator"),
        establishment_changed("updated", OPERATOR, "operator"),
        establishment_changed("service_added", OPERATOR, "operator", service_id=service_id),
        establishment_changed("rules_changed", MANAGER, "manager", service_id=service_id),
        booking,
        moved,
        cancelled(booking, CLERK),
    ]
    for event in events:
        await deliver(sessions, event)

    staff_detail = {"staff_id": str(CLERK)}
    assert await audit_rows(sessions) == [
        {
            "actor": str(MANAGER),
            "actor_role": "manager",
            "establishment_id": HERE,
            "action": "staff_invited",
            "details": {"invitation_id": str(invitation.invitation_id), "role": "clerk", "by": "manager"},
        },
        {"actor": str(CLERK), "actor_role": "clerk", "establishment_id": HERE, "action": "invitation_accepted",
         "details": staff_detail | {"role": "clerk"}},
        {"actor": str(MANAGER), "actor_role": "manager", "establishment_id": HERE, "action": "role_changed",
         "details": staff_detail | {"role": "manager"}},
        {"actor": str(MANAGER), "actor_role": "manager", "establishment_id": HERE, "action": "disabled",
         "details": staff_detail | {"role": "manager"}},
        {"actor": str(MANAGER), "actor_role": "manager", "establishment_id": HERE, "action": "enabled",
         "details": staff_detail | {"role": "manager"}},
        {"actor": str(CLERK), "actor_role": "clerk", "establishment_id": HERE, "action": "factor_enrolled",
         "details": staff_detail | {"role": "manager"}},
        {"actor": str(OPERATOR), "actor_role": "operator", "establishment_id": HERE, "action": "factor_reset",
         "details": staff_detail | {"role": "manager"}},
        {"actor": str(OPERATOR), "actor_role": "operator", "establishment_id": None, "action": "operator_created",
         "details": staff_detail},
        {"actor": str(OPERATOR), "actor_role": "operator", "establishment_id": HERE,
         "action": "establishment_created", "details": {}},
        {"actor": str(OPERATOR), "actor_role": "operator", "establishment_id": HERE,
         "action": "establishment_updated", "details": {}},
        {"actor": str(OPERATOR), "actor_role": "operator", "establishment_id": HERE, "action": "service_added",
         "details": {"service_id": str(service_id)}},
        {"actor": str(MANAGER), "actor_role": "manager", "establishment_id": HERE, "action": "rules_changed",
         "details": {"service_id": str(service_id)}},
        {"actor": str(CLERK), "actor_role": None, "establishment_id": HERE, "action": "caller_booked",
         "details": {"appointment_id": str(booking.appointment_id), "service_id": str(SERVICE.service_id)}},
        {"actor": str(CLERK), "actor_role": None, "establishment_id": HERE, "action": "caller_rescheduled",
         "details": {"appointment_id": str(booking.appointment_id), "old_slot_id": str(booking.slot_id),
                     "slot_id": str(moved.slot_id)}},
        {"actor": str(CLERK), "actor_role": None, "establishment_id": HERE, "action": "caller_cancelled",
         "details": {"appointment_id": str(booking.appointment_id)}},
    ]  # fmt: skip


async def test_no_table_keeps_a_name_an_address_or_the_invitation_token(sessions):
    await deliver(sessions, invited())
    await deliver(sessions, booked())
    async with sessions() as session:
        tables = (await session.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'"))).scalars()
        rows = [
            row
            for table in list(tables)
            for row in (await session.execute(text(f'SELECT t::text FROM "{table}" t'))).scalars()
        ]
    dump = " ".join(rows).lower()
    assert str(CLERK) in dump  # the scan reads the rows
    for personal in ("nouveau.commis", "clinique.example", "gisèle", "tremblay", "gisele@", "secret-du-lien", NAM):
        assert personal.lower() not in dump


async def test_citizens_own_doings_write_nothing(sessions):
    web = booked(source="web", staff_id=None)
    # A citizen's booking without an account never reaches verification's queue (its topic is not bound).
    assert web.routing_topic() not in ONLY_TOPICS[AppointmentBooked]
    assert booked().routing_topic() in ONLY_TOPICS[AppointmentBooked]
    from_account = web.model_copy(update={"account_id": uuid.uuid4(), "person_id": None})
    await deliver(sessions, from_account)
    await deliver(sessions, rescheduled(from_account, None))
    await deliver(sessions, cancelled(from_account, None))
    assert await audit_rows(sessions) == []


async def test_a_redelivered_event_writes_one_row(sessions, clean_databases, amqp_url, bus_namespace):
    """Through the broker, as accounts and appointments publish them: the queue is bound to the new events,
    and the inbox keeps a redelivery from writing a second row."""
    app = create_app(
        VerificationSettings(
            database_url=clean_databases["verification"],
            amqp_url=amqp_url,
            bus_namespace=bus_namespace,
            jwt_public_key=TEST_PUBLIC_KEY,
        )
    )
    events = [
        invited(),
        access_changed("disabled", MANAGER, "manager", HERE, role="clerk"),
        establishment_changed("created", OPERATOR, "operator"),
        booked(),
    ]
    booking = events[-1]
    assert isinstance(booking, AppointmentBooked)
    events += [rescheduled(booking, CLERK), cancelled(booking, CLERK)]
    async with app.router.lifespan_context(app):
        deadline = asyncio.get_running_loop().time() + 20
        while not app.state.runtime.bus.connected:  # its queue bound, before anything is published
            assert asyncio.get_running_loop().time() < deadline, "not connected in time"
            await asyncio.sleep(0.05)
        sender = Bus(amqp_url, "producers-test", namespace=bus_namespace)
        await sender.connect()
        try:
            for event in events:
                envelope = event.to_envelope()
                for _ in range(2):
                    await sender.publish(
                        envelope.routing_key, envelope.model_dump_json().encode(), message_id=str(envelope.id)
                    )
            deadline = asyncio.get_running_loop().time() + 20
            while len(await audit_rows(sessions)) < len(events):
                assert asyncio.get_running_loop().time() < deadline, "audit rows not written in time"
                await asyncio.sleep(0.05)
            await asyncio.sleep(0.5)  # a second row would be written within this time
        finally:
            await sender.close()
    assert sorted(row["action"] for row in await audit_rows(sessions)) == sorted(
        ["staff_invited", "disabled", "establishment_created", "caller_booked", "caller_rescheduled",
         "caller_cancelled"]
    )  # fmt: skip


def operator_headers(staff_id: uuid.UUID = OPERATOR) -> dict[str, str]:
    """An operator's token names no establishment (accounts' claims: role "operator", no "est")."""
    return bearer(access_token(staff_id, "staff", extra={"role": "operator"}))


async def test_the_operators_log_and_the_managers_log(sessions, clean_databases, amqp_url, bus_namespace):
    for event in [
        establishment_changed("created", OPERATOR, "operator"),
        invited(by=OPERATOR, by_role="operator"),
        invited(),
        access_changed("operator_created", OPERATOR, "operator", None),
        access_changed("factor_enrolled", uuid.uuid4(), "operator", None),
        booked(),
        establishment_changed("created", OPERATOR, "operator", est=ELSEWHERE),
        invited(by=OTHER_MANAGER, establishment_id=ELSEWHERE),
        booked(staff_id=uuid.uuid4(), establishment_id=ELSEWHERE),
    ]:
        await deliver(sessions, event)
    app = create_app(
        VerificationSettings(
            database_url=clean_databases["verification"],
            amqp_url=amqp_url,
            bus_namespace=bus_namespace,
            jwt_public_key=TEST_PUBLIC_KEY,
        )
    )
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://verification") as client,
    ):
        url = "/admin/operator-audit"
        assert (await client.get(url)).status_code == 401
        assert (await client.get(url, headers=citizen_headers(uuid.uuid4()))).status_code == 403
        for role in ("clerk", "manager"):
            refused = await client.get(url, headers=staff_headers(HERE, role, MANAGER))
            assert refused.status_code == 403, role
            assert refused.json()["errors"][0]["code"] == "operator_required"
        # Signed in without an establishment chosen yet: not an operator either.
        undecided = bearer(access_token(MANAGER, "staff", extra={"role": ""}))
        assert (await client.get(url, headers=undecided)).status_code == 403
        # An "operator" role inside an establishment's token is no operator.
        assert (await client.get(url, headers=staff_headers(HERE, "operator"))).status_code == 403

        answer = await client.get(url, headers=operator_headers())
        assert answer.status_code == 200, answer.text
        entries = answer.json()["entries"]
        assert [(e["action"], e["establishment_id"]) for e in entries] == [
            ("establishment_created", str(ELSEWHERE)),
            ("factor_enrolled", None),
            ("operator_created", None),
            ("staff_invited", str(HERE)),
            ("establishment_created", str(HERE)),
        ]
        assert {e["actor_role"] for e in entries} == {"operator"}
        assert [e["id"] for e in entries] == sorted((e["id"] for e in entries), reverse=True)
        paged = await client.get(f"{url}?limit=2", headers=operator_headers())
        assert paged.json()["entries"] == entries[:2]
        assert (await client.get(f"{url}?limit=0", headers=operator_headers())).status_code == 422
        assert (await client.get(f"{url}?limit=501", headers=operator_headers())).status_code == 422

        # The manager of HERE reads HERE's rows, operators' among them, and nothing of ELSEWHERE's.
        mine = await client.get(f"/admin/establishments/{HERE}/audit", headers=staff_headers(HERE, "manager", MANAGER))
        assert mine.status_code == 200
        assert [e["action"] for e in mine.json()["entries"]] == [
            "caller_booked",
            "staff_invited",
            "staff_invited",
            "establishment_created",
        ]
        assert {e["establishment_id"] for e in mine.json()["entries"]} == {str(HERE)}
        # Another establishment's manager, or an operator: as if it did not exist.
        for headers in (staff_headers(ELSEWHERE, "manager", OTHER_MANAGER), operator_headers()):
            assert (await client.get(f"/admin/establishments/{HERE}/audit", headers=headers)).status_code == 404
        clerk = await client.get(f"/admin/establishments/{HERE}/audit", headers=staff_headers(HERE, "clerk", CLERK))
        assert clerk.status_code == 403
