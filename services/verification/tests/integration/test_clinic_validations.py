"""Clinic identity and association validations against the real database (and, for the API, the real broker)."""

import asyncio
import hashlib
import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import aio_pika
import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from devstack.testing.tokens import TEST_PUBLIC_KEY
from devstack.testing.tokens import staff_headers as signed_staff_headers
from services.verification.consumers import HANDLERS, CodeIssuer
from services.verification.main import create_app
from services.verification.settings import VerificationSettings
from services.verification.tests.http_edge import worded
from services.verification.validations import use_cases as clinic_validations
from services.verification.validations.schemas import ValidateAssociationRequest, ValidateIdentityRequest
from shared.bus import Bus
from shared.consumer import route_handlers
from shared.contracts.accounts import AccountDeleted, DependantRemoved, NamDiscrepancyFound, ProfileChanged
from shared.contracts.appointments import (
    AppointmentBooked,
    AppointmentCancelled,
    AppointmentRescheduled,
    PatientContactV1,
    PlaceV1,
    ServiceOfferedV1,
)
from shared.contracts.verification import (
    AssociationRevoked,
    AssociationValidated,
    IdentityInvalidated,
    IdentityValidated,
)
from shared.db import make_engine, make_sessionmaker
from shared.errors import ApiError
from shared.messages import Contract
from shared.nam import nam_hmac
from shared.staff import Staff
from shared.unit_of_work import UnitOfWork

SETTINGS = VerificationSettings(environment="test")
KEYS = clinic_validations.identity_keys(SETTINGS)
NAM = "TEST54122816"
HERE, ELSEWHERE = uuid.uuid4(), uuid.uuid4()
CLERK = Staff(uuid.uuid4(), HERE, "clerk")
# routing key -> (event, handler), as the consumer dispatches.
ROUTES = route_handlers([CodeIssuer(SETTINGS).on_code_requested, *HANDLERS])

Sessions = async_sessionmaker[AsyncSession]


@pytest.fixture
async def sessions(clean_databases: dict[str, str]) -> AsyncIterator[Sessions]:
    engine = make_engine(clean_databases["verification"], pool_size=5)
    yield make_sessionmaker(engine)
    await engine.dispose()


def identity_body(account_id: uuid.UUID, **changes: Any) -> dict[str, Any]:
    values = {
        "account_id": str(account_id),
        "first_name": "Thomas",
        "last_name": "Testé",
        "birth_date": "1954-12-28",
        "sex": "M",
        "nam": "test 5412 2816",
        "confirmed": True,
    }
    return values | changes


def association_body(account_id: uuid.UUID, person_id: uuid.UUID, **changes: Any) -> dict[str, Any]:
    values = {
        "account_id": str(account_id),
        "person_id": str(person_id),
        "first_name": "Léa",
        "last_name": "Testé",
        "birth_date": "2019-03-04",
        "confirmed": True,
    }
    return values | changes


def place(establishment_id: uuid.UUID) -> PlaceV1:
    return PlaceV1(
        establishment_id=establishment_id,
        name="Clinique",
        address="1 rue Principale",
        city="Montréal",
        postal_code="H2X 1Y4",
        timezone="America/Montreal",
    )


def booked(
    account_id: uuid.UUID | None, person_id: uuid.UUID | None = None, establishment_id: uuid.UUID = HERE
) -> AppointmentBooked:
    """The event appointments publishes for a booking (from an account unless account_id is None)."""
    starts = datetime.now(UTC) + timedelta(days=1)
    return AppointmentBooked(
        appointment_id=uuid.uuid4(),
        slot_id=uuid.uuid4(),
        account_id=account_id,
        person_id=person_id or account_id,
        starts_at=starts,
        ends_at=starts + timedelta(minutes=15),
        place=place(establishment_id),
        service=ServiceOfferedV1(service_id=uuid.uuid4(), name_fr="Vaccin", name_en="Vaccine"),
        patient=PatientContactV1(first_name="Léa", last_name="Testé", email=None, phone=None),
        language="fr",
        manage_token="jeton",
    )


def cancelled(appointment: AppointmentBooked) -> AppointmentCancelled:
    return AppointmentCancelled(**appointment.model_dump(include=set(AppointmentCancelled.model_fields)))


async def book_here(sessions: Sessions, account_id: uuid.UUID, person_id: uuid.UUID | None = None) -> None:
    """The patient has an appointment at the clerk's establishment, as appointments' event says."""
    await deliver(sessions, booked(account_id, person_id))


async def validate_identity(sessions: Sessions, account_id: uuid.UUID, *, book: bool = True, **changes: Any) -> None:
    if book:
        await book_here(sessions, account_id)
    request = ValidateIdentityRequest(**identity_body(account_id, **changes))
    await worded(clinic_validations.validate_identity(UnitOfWork(sessions), CLERK, request, KEYS))


async def validate_association(
    sessions: Sessions, account_id: uuid.UUID, person_id: uuid.UUID, *, book: bool = True
) -> None:
    if book:
        await book_here(sessions, account_id, person_id)
    request = ValidateAssociationRequest(**association_body(account_id, person_id))
    await worded(clinic_validations.validate_association(UnitOfWork(sessions), CLERK, request))


async def deliver(sessions: Sessions, event: Contract) -> None:
    """As the consumer does: the handler inside a unit of work that commits."""
    async with UnitOfWork(sessions) as uow:
        await ROUTES[event.routing_key()].handler(uow, [event], [event.to_envelope()])
        await uow.commit()


async def outbox_events(sessions: Sessions, contract: type[Contract]) -> list[dict[str, Any]]:
    async with sessions() as session:
        bodies = (
            await session.execute(
                text("SELECT body FROM outbox WHERE routing_key = :key ORDER BY id"), {"key": contract.routing_key()}
            )
        ).scalars()
        return [json.loads(body)["payload"] for body in bodies]


async def states(sessions: Sessions, *account_ids: uuid.UUID) -> dict[uuid.UUID, tuple[bool, list[uuid.UUID]]]:
    found = await worded(clinic_validations.verification_states(UnitOfWork(sessions), HERE, list(account_ids)))
    return {s.account_id: (s.identity_validated, s.validated_person_ids) for s in found}


async def scalar(sessions: Sessions, sql: str, **params: Any) -> Any:
    async with sessions() as session:
        return (await session.execute(text(sql), params)).scalar()


async def test_identity_then_association_publish_their_events(sessions):
    holder, child = uuid.uuid4(), uuid.uuid4()
    await validate_identity(sessions, holder)
    await validate_association(sessions, holder, child)

    [identity] = await outbox_events(sessions, IdentityValidated)
    assert identity["account_id"] == str(holder)
    assert identity["establishment_id"] == str(HERE)
    # The accounts service's digest of the same NAM (services/accounts/links/rules.py).
    accounts_key = hashlib.sha256(b"nam-hmac:" + SETTINGS.nam_key.get_secret_value().encode()).digest()
    assert identity["nam_hmac"] == nam_hmac(accounts_key, NAM)
    assert len(identity["fingerprint"]) == 64
    [association] = await outbox_events(sessions, AssociationValidated)
    assert (association["account_id"], association["person_id"]) == (str(holder), str(child))
    assert await states(sessions, holder) == {holder: (True, [child])}
    stored = await scalar(sessions, "SELECT staff_id FROM identity_validations WHERE account_id = :a", a=holder)
    assert stored == CLERK.id


async def test_an_association_needs_the_holder_identity_first(sessions):
    holder = uuid.uuid4()
    with pytest.raises(ApiError) as refused:
        await validate_association(sessions, holder, uuid.uuid4())
    assert (refused.value.status, refused.value.code) == (409, "identity_not_validated")
    assert refused.value.fr.startswith("Validez d'abord l'identité")
    assert await scalar(sessions, "SELECT count(*) FROM association_validations") == 0
    assert await scalar(sessions, "SELECT count(*) FROM audit_log") == 0
    assert await outbox_events(sessions, AssociationValidated) == []


async def test_a_new_confirmation_supersedes_the_current_one_without_turning_red(sessions):
    holder = uuid.uuid4()
    await validate_identity(sessions, holder)
    await validate_identity(sessions, holder, first_name="Thomas-Marc")
    current = await scalar(
        sessions, "SELECT count(*) FROM identity_validations WHERE account_id = :a AND invalidated_at IS NULL", a=holder
    )
    assert current == 1
    assert await outbox_events(sessions, IdentityInvalidated) == []
    fingerprints = {e["fingerprint"] for e in await outbox_events(sessions, IdentityValidated)}
    assert len(fingerprints) == 2


async def test_holder_identity_change_invalidates_identity_and_associations(sessions):
    holder, child, other = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await validate_identity(sessions, holder)
    await validate_association(sessions, holder, child)
    await validate_identity(sessions, other)

    # Not an identity field: nothing a clinic vouched for changed.
    await deliver(
        sessions,
        ProfileChanged(account_id=holder, person_id=holder, changed_fields=["postal_code"], identity_changed=False),
    )
    assert await states(sessions, holder) == {holder: (True, [child])}

    changed = ProfileChanged(account_id=holder, person_id=holder, changed_fields=["birth_date"], identity_changed=True)
    await deliver(sessions, changed)
    await deliver(sessions, changed)  # a second change (or a replay) has nothing left to end
    assert await states(sessions, holder, other) == {holder: (False, []), other: (True, [])}
    assert await outbox_events(sessions, IdentityInvalidated) == [
        {"account_id": str(holder), "reason": "profile_changed"}
    ]
    assert await outbox_events(sessions, AssociationRevoked) == [
        {"account_id": str(holder), "person_id": str(child), "reason": "holder_identity_invalidated"}
    ]


async def test_a_dependant_identity_change_or_removal_revokes_that_association_only(sessions):
    holder, changed_child, removed_child, kept_child = uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await validate_identity(sessions, holder)
    for child in (changed_child, removed_child, kept_child):
        await validate_association(sessions, holder, child)

    await deliver(
        sessions,
        ProfileChanged(account_id=holder, person_id=changed_child, changed_fields=["last_name"], identity_changed=True),
    )
    await deliver(sessions, DependantRemoved(account_id=holder, dependant_id=removed_child))
    assert await states(sessions, holder) == {holder: (True, [kept_child])}
    revoked = {(e["person_id"], e["reason"]) for e in await outbox_events(sessions, AssociationRevoked)}
    assert revoked == {(str(changed_child), "identity_changed"), (str(removed_child), "dependant_removed")}
    assert await outbox_events(sessions, IdentityInvalidated) == []


async def test_account_deletion_ends_everything_and_keeps_only_ids(sessions):
    holder, child = uuid.uuid4(), uuid.uuid4()
    await validate_identity(sessions, holder)
    await validate_association(sessions, holder, child)
    await deliver(
        sessions, AccountDeleted(account_id=holder, dependant_ids=[child], email=None, phone=None, language="fr")
    )
    # Gone from the clinic's patients too: nobody reads its state any more.
    with pytest.raises(ApiError) as refused:
        await states(sessions, holder)
    assert (refused.value.status, refused.value.code) == (404, "not_a_patient_here")
    current = "SELECT count(*) FROM identity_validations WHERE account_id = :a AND invalidated_at IS NULL"
    assert await scalar(sessions, current, a=holder) == 0
    assert await outbox_events(sessions, IdentityInvalidated) == [
        {"account_id": str(holder), "reason": "account_deleted"}
    ]
    [revoked] = await outbox_events(sessions, AssociationRevoked)
    assert revoked["reason"] == "account_deleted"
    digests = await scalar(
        sessions, "SELECT count(*) FROM identity_validations WHERE fingerprint IS NOT NULL OR nam_hmac IS NOT NULL"
    )
    assert digests == 0


async def test_the_audit_log_grows_and_the_database_refuses_to_rewrite_it(sessions):
    holder, child = uuid.uuid4(), uuid.uuid4()
    await validate_identity(sessions, holder)
    await validate_association(sessions, holder, child)
    await deliver(sessions, DependantRemoved(account_id=holder, dependant_id=child))
    async with sessions() as session:
        rows = (await session.execute(text("SELECT actor, action, establishment_id FROM audit_log ORDER BY id"))).all()
    assert [(r.actor, r.action) for r in rows] == [
        (str(CLERK.id), "identity_validated"),
        (str(CLERK.id), "association_validated"),
        ("system", "association_revoked"),
    ]
    assert {r.establishment_id for r in rows} == {HERE}

    for statement in ("UPDATE audit_log SET actor = 'someone else'", "DELETE FROM audit_log"):
        async with sessions() as session:
            with pytest.raises(DBAPIError, match="append-only"):
                await session.execute(text(statement))
    assert await scalar(sessions, "SELECT count(*) FROM audit_log WHERE actor = 'someone else'") == 0
    assert await scalar(sessions, "SELECT count(*) FROM audit_log") == 3


async def test_no_identity_field_is_stored_in_clear(sessions):
    holder, child = uuid.uuid4(), uuid.uuid4()
    await validate_identity(sessions, holder)
    await validate_association(sessions, holder, child)
    await deliver(
        sessions, ProfileChanged(account_id=holder, person_id=holder, changed_fields=["nam"], identity_changed=True)
    )
    async with sessions() as session:
        columns = (
            await session.execute(
                text("""
                SELECT table_name, column_name FROM information_schema.columns
                WHERE table_schema = 'public' AND data_type IN ('text', 'character varying', 'json', 'jsonb')
                """)
            )
        ).all()
        assert ("identity_validations", "fingerprint") in {(c.table_name, c.column_name) for c in columns}
        for needle in (NAM, "5412 2816", "Thomas", "Testé", "TESTE", "Léa", "1954-12-28", "2019-03-04"):
            for table, column in columns:
                hits = await session.execute(
                    text(f'SELECT count(*) FROM "{table}" WHERE "{column}"::text ILIKE :pattern'),
                    {"pattern": f"%{needle}%"},
                )
                assert hits.scalar() == 0, (needle, table, column)


@pytest.fixture
async def published(amqp_url: str, bus_namespace: str) -> AsyncIterator[list[dict[str, Any]]]:
    """Everything verification publishes on this test's topology, as the other services would see it."""
    received: list[dict[str, Any]] = []

    async def collect(message: aio_pika.abc.AbstractIncomingMessage) -> None:
        async with message.process():
            received.append(json.loads(message.body))

    bus = Bus(amqp_url, "test", namespace=bus_namespace)
    bus.subscribe(["verification.#"], collect)
    await bus.connect()
    try:
        yield received
    finally:
        await bus.close()


async def _wait_until(predicate, timeout: float = 20.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await predicate():
        assert asyncio.get_running_loop().time() < deadline, "condition not reached in time"
        await asyncio.sleep(0.05)


def staff_headers(establishment_id: uuid.UUID = HERE, role: str = "clerk") -> dict[str, str]:
    return signed_staff_headers(establishment_id, role, CLERK.id)


async def test_front_desk_api(sessions, clean_databases, amqp_url, bus_namespace, published):
    holder, child = uuid.uuid4(), uuid.uuid4()
    app = create_app(
        VerificationSettings(
            database_url=clean_databases["verification"],
            amqp_url=amqp_url,
            bus_namespace=bus_namespace,
            jwt_public_key=TEST_PUBLIC_KEY,
        )
    )
    base = f"/admin/establishments/{HERE}"
    await book_here(sessions, holder)
    await book_here(sessions, holder, child)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://verification") as client,
    ):
        calls = [
            ("POST", "/identity-validations", identity_body(holder)),
            ("POST", "/association-validations", association_body(holder, child)),
            ("GET", f"/verification-states?account_ids={holder}", None),
            ("GET", "/audit", None),
        ]
        for method, path, body in calls:
            anonymous = await client.request(method, base + path, json=body)
            assert anonymous.status_code == 401, path
            assert anonymous.json()["errors"][0]["code"] == "login_required"
            # Another establishment's clerk (or manager): as if it did not exist.
            foreign = await client.request(
                method, base + path, json=body, headers=staff_headers(ELSEWHERE, role="manager")
            )
            assert foreign.status_code == 404, path
            patient = await client.request(method, base + path, json=body, headers=staff_headers(role="citizen"))
            assert patient.status_code == 403, path

        unchecked = await client.post(
            f"{base}/identity-validations", json=identity_body(holder, confirmed=False), headers=staff_headers()
        )
        assert unchecked.status_code == 422
        assert unchecked.json()["errors"][0]["field"] == "confirmed"
        bad_nam = await client.post(
            f"{base}/identity-validations", json=identity_body(holder, nam="TEST54122817"), headers=staff_headers()
        )
        assert (bad_nam.status_code, bad_nam.json()["errors"][0]["field"]) == (422, "nam")

        too_early = await client.post(
            f"{base}/association-validations",
            json=association_body(holder, child),
            headers={**staff_headers(), "Accept-Language": "en"},
        )
        assert too_early.status_code == 409
        assert too_early.json()["errors"][0]["code"] == "identity_not_validated"
        assert (
            too_early.json()["detail"]
            == "First validate the account holder's identity, then the patient's association."
        )

        identified = await client.post(
            f"{base}/identity-validations", json=identity_body(holder, birth_date="1954-12-29"), headers=staff_headers()
        )
        assert identified.status_code == 201, identified.text
        assert set(identified.json()) == {"validation_id", "account_id", "validated_at", "nam_warnings"}
        assert identified.json()["account_id"] == str(holder)
        assert identified.json()["nam_warnings"] == ["nam_birth_date_mismatch"]

        unchecked = await client.post(
            f"{base}/association-validations",
            json=association_body(holder, child, confirmed=False),
            headers=staff_headers(),
        )
        assert (unchecked.status_code, unchecked.json()["errors"][0]["field"]) == (422, "confirmed")
        associated = await client.post(
            f"{base}/association-validations", json=association_body(holder, child), headers=staff_headers()
        )
        assert associated.status_code == 201, associated.text
        assert associated.json()["person_id"] == str(child)

        states_url = f"{base}/verification-states?account_ids={holder}"
        shown = await client.get(states_url, headers=staff_headers())
        assert shown.status_code == 200
        assert shown.json() == {
            "states": [{"account_id": str(holder), "identity_validated": True, "validated_person_ids": [str(child)]}]
        }
        # Someone with no appointment here: not even their state is read (issue 18, finding 2).
        stranger = uuid.uuid4()
        mixed = await client.get(f"{states_url},{stranger}", headers=staff_headers())
        assert (mixed.status_code, mixed.json()["errors"][0]["code"]) == (404, "not_a_patient_here")
        garbled = await client.get(f"{base}/verification-states?account_ids=nope", headers=staff_headers())
        assert (garbled.status_code, garbled.json()["errors"][0]["field"]) == (422, "account_ids")

        async def announced(count: int) -> bool:
            return len(published) >= count

        await _wait_until(lambda: announced(2))
        assert [m["type"] for m in published] == ["IdentityValidated", "AssociationValidated"]

        # The citizen changes their birth date: accounts says so, the icons turn red.
        changed = ProfileChanged(
            account_id=holder, person_id=holder, changed_fields=["birth_date"], identity_changed=True
        ).to_envelope()
        sender = Bus(amqp_url, "accounts-test", namespace=bus_namespace)
        await sender.connect()
        try:
            await sender.publish(changed.routing_key, changed.model_dump_json().encode(), message_id=str(changed.id))
        finally:
            await sender.close()

        async def red() -> bool:
            state = (await client.get(states_url, headers=staff_headers())).json()["states"][0]
            return not state["identity_validated"] and state["validated_person_ids"] == []

        await _wait_until(red)
        await _wait_until(lambda: announced(4))
        assert {m["type"] for m in published[2:]} == {"IdentityInvalidated", "AssociationRevoked"}

        assert (await client.get(f"{base}/audit", headers=staff_headers())).status_code == 403  # clerks do not
        audit = await client.get(f"{base}/audit?limit=10", headers=staff_headers(role="manager"))
        assert audit.status_code == 200
        actions = [(e["actor"], e["action"]) for e in audit.json()["entries"]]
        assert actions == [
            ("system", "association_revoked"),
            ("system", "identity_invalidated"),
            (str(CLERK.id), "association_validated"),
            (str(CLERK.id), "identity_validated"),
        ]
        assert audit.json()["entries"][0]["details"] == {
            "validation_id": audit.json()["entries"][0]["details"]["validation_id"],
            "reason": "holder_identity_invalidated",
        }
        foreign_audit = await client.get(
            f"/admin/establishments/{ELSEWHERE}/audit", headers=staff_headers(ELSEWHERE, "manager")
        )
        assert foreign_audit.json() == {"entries": []}


async def refusal(call) -> tuple[int, str, str | None]:
    with pytest.raises(ApiError) as refused:
        await call
    return refused.value.status, refused.value.code, refused.value.field


async def test_a_clinic_validates_only_people_with_an_appointment_there(sessions):
    """Issue 18, finding 2: a clerk validated any account id, which accounts then linked to anyone."""
    holder, child, stranger = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    not_a_patient = (404, "not_a_patient_here", "account_id")
    assert await refusal(validate_identity(sessions, stranger, book=False)) == not_a_patient
    # An appointment elsewhere, or one booked without an account, does not make a patient here.
    await deliver(sessions, booked(stranger, establishment_id=ELSEWHERE))
    await deliver(sessions, booked(None))
    assert await refusal(validate_identity(sessions, stranger, book=False)) == not_a_patient

    # The parent brings the child: the appointment is the child's, booked from the parent's account.
    await book_here(sessions, holder, child)
    await validate_identity(sessions, holder, book=False)
    await validate_association(sessions, holder, child, book=False)
    assert await states(sessions, holder) == {holder: (True, [child])}
    # A patient of another account, or one with no appointment here, cannot be associated with it.
    other_child = uuid.uuid4()
    await book_here(sessions, stranger, other_child)
    patient_not_here = (404, "not_a_patient_here", "person_id")
    assert await refusal(validate_association(sessions, holder, other_child, book=False)) == patient_not_here
    assert await refusal(validate_association(sessions, holder, uuid.uuid4(), book=False)) == patient_not_here

    # A cancelled appointment no longer opens the door; a reschedule to another clinic neither.
    late, moved = uuid.uuid4(), uuid.uuid4()
    late_booking, moved_booking = booked(late), booked(moved)
    await deliver(sessions, late_booking)
    await deliver(sessions, cancelled(late_booking))
    assert await refusal(validate_identity(sessions, late, book=False)) == not_a_patient
    await deliver(sessions, moved_booking)
    await deliver(
        sessions,
        AppointmentRescheduled(
            **moved_booking.model_dump(include=set(AppointmentRescheduled.model_fields) - {"place"}),
            old_slot_id=moved_booking.slot_id,
            old_starts_at=moved_booking.starts_at,
            place=place(ELSEWHERE),
        ),
    )
    assert await refusal(validate_identity(sessions, moved, book=False)) == not_a_patient

    validated = {e["account_id"] for e in await outbox_events(sessions, IdentityValidated)}
    assert validated == {str(holder)}
    assert {e["person_id"] for e in await outbox_events(sessions, AssociationValidated)} == {str(child)}


async def test_staff_read_the_state_of_their_own_patients_only(sessions):
    patient, stranger = uuid.uuid4(), uuid.uuid4()
    visit = booked(patient)
    await deliver(sessions, visit)
    await validate_identity(sessions, patient, book=False)
    await validate_identity(sessions, stranger)
    # Validations hold across clinics, but the other clinic reads only its own patients' states.
    await deliver(sessions, booked(stranger, establishment_id=ELSEWHERE))
    read_there = worded(clinic_validations.verification_states(UnitOfWork(sessions), ELSEWHERE, [stranger, patient]))
    assert await refusal(read_there) == (404, "not_a_patient_here", "account_ids")
    there = await clinic_validations.verification_states(UnitOfWork(sessions), ELSEWHERE, [stranger])
    assert [(s.account_id, s.identity_validated) for s in there] == [(stranger, True)]
    assert await states(sessions, patient, stranger) == {patient: (True, []), stranger: (True, [])}
    # The patient cancelled their only appointment here: no longer this clinic's to read.
    await deliver(sessions, cancelled(visit))
    assert await refusal(states(sessions, patient, stranger)) == (404, "not_a_patient_here", "account_ids")


async def test_the_identity_event_names_no_key_typed_by_the_clerk(sessions):
    """The history's key comes from accounts, built from what the account holds (DependantIdentified)."""
    holder = uuid.uuid4()
    await validate_identity(sessions, holder)
    [identity] = await outbox_events(sessions, IdentityValidated)
    assert identity["identity_key"] is None


async def test_a_nam_discrepancy_ends_that_validation_and_the_holder_associations(sessions):
    holder, child = uuid.uuid4(), uuid.uuid4()
    await validate_identity(sessions, holder)
    await validate_association(sessions, holder, child)
    current = await scalar(sessions, "SELECT id FROM identity_validations WHERE invalidated_at IS NULL")
    discrepancy = NamDiscrepancyFound(account_id=holder, validation_id=current)
    await deliver(sessions, discrepancy)
    await deliver(sessions, discrepancy)  # a replay has nothing left to end
    assert await states(sessions, holder) == {holder: (False, [])}
    assert await outbox_events(sessions, IdentityInvalidated) == [
        {"account_id": str(holder), "reason": "nam_discrepancy"}
    ]
    [revoked] = await outbox_events(sessions, AssociationRevoked)
    assert revoked["reason"] == "holder_identity_invalidated"
    reason = "SELECT invalidation_reason FROM identity_validations WHERE id = :id"
    assert await scalar(sessions, reason, id=current) == "nam_discrepancy"

    # The clinic validated again meanwhile: accounts' late word on an older confirmation ends nothing.
    await validate_identity(sessions, holder)
    await deliver(sessions, NamDiscrepancyFound(account_id=holder, validation_id=current))
    assert await states(sessions, holder) == {holder: (True, [])}
    assert len(await outbox_events(sessions, IdentityInvalidated)) == 1
