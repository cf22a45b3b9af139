"""Verification's events, applied through the consumer's handlers, colour the Suivi list's icons."""

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from services.appointments.front_desk import use_cases
from services.appointments.tests.integration.arrange import DAY, Clinic, deliver
from services.appointments.tests.worded import AsTheEdgeWordsIt
from shared.contracts.accounts import AccountDeleted
from shared.contracts.appointments import PatientRecordsViewed
from shared.contracts.verification import (
    AssociationRevoked,
    AssociationValidated,
    IdentityInvalidated,
    IdentityValidated,
)
from shared.errors import ApiError
from shared.staff import Staff
from shared.unit_of_work import UnitOfWork

front_desk = AsTheEdgeWordsIt(use_cases)


def identity_validated(account_id: uuid.UUID) -> IdentityValidated:
    return IdentityValidated(
        validation_id=uuid.uuid4(),
        account_id=account_id,
        establishment_id=uuid.uuid4(),
        fingerprint="f" * 64,
        nam_hmac=None,
        validated_at=datetime.now(UTC),
    )


def association_validated(account_id: uuid.UUID, person_id: uuid.UUID) -> AssociationValidated:
    return AssociationValidated(
        validation_id=uuid.uuid4(),
        account_id=account_id,
        person_id=person_id,
        establishment_id=uuid.uuid4(),
        validated_at=datetime.now(UTC),
    )


async def test_icons_follow_verification_events(sessions):
    clinic = await Clinic(sessions).open()
    holder, child = uuid.uuid4(), uuid.uuid4()
    await clinic.book(None, None, "Anonyme")
    await clinic.book(holder, holder, "Holder")
    await clinic.book(holder, child, "Child")

    # Nothing validated yet: grey for the booking without account, red elsewhere.
    assert await clinic.icons() == {"Anonyme": ("grey", "grey"), "Holder": ("red", "red"), "Child": ("red", "red")}

    await deliver(sessions, identity_validated(holder))
    assert await clinic.icons() == {
        "Anonyme": ("grey", "grey"),
        "Holder": ("green", "green"),  # own booking: the card follows the profile
        "Child": ("green", "red"),  # the holder is known, the child's association not yet
    }

    await deliver(sessions, association_validated(holder, child))
    assert (await clinic.icons())["Child"] == ("green", "green")

    await deliver(sessions, IdentityInvalidated(account_id=holder, reason="profile_changed"))
    assert await clinic.icons() == {
        "Anonyme": ("grey", "grey"),
        "Holder": ("red", "red"),
        "Child": ("red", "green"),  # verification revokes the association by its own event, if it must
    }

    await deliver(sessions, AssociationRevoked(account_id=holder, person_id=child, reason="dependant_removed"))
    assert (await clinic.icons())["Child"] == ("red", "red")


async def test_the_entry_carries_the_ids_the_console_needs(sessions):
    clinic = await Clinic(sessions).open()
    holder, child = uuid.uuid4(), uuid.uuid4()
    appointment = await clinic.book(holder, child, "Child")

    [entry] = await front_desk.day_list(UnitOfWork(sessions), Staff(uuid.uuid4(), clinic.id, "clerk"), DAY)
    assert (entry.id, entry.account_id, entry.person_id, entry.booked_with_account) == (
        appointment,
        holder,
        child,
        True,
    )
    assert set(entry.model_dump(mode="json")) >= {"account_id", "person_id", "profile_icon", "card_icon"}


async def test_an_older_event_arriving_late_does_not_undo_a_newer_one(sessions):
    clinic = await Clinic(sessions).open()
    holder, child = uuid.uuid4(), uuid.uuid4()
    await clinic.book(holder, holder, "Holder")
    await clinic.book(holder, child, "Child")
    now = datetime.now(UTC)

    await deliver(sessions, IdentityInvalidated(account_id=holder, reason="profile_changed"), now)
    await deliver(sessions, identity_validated(holder), now - timedelta(seconds=5))  # stale, redelivered late
    assert (await clinic.icons())["Holder"] == ("red", "red")

    await deliver(sessions, AssociationRevoked(account_id=holder, person_id=child, reason="dependant_removed"), now)
    await deliver(sessions, association_validated(holder, child), now - timedelta(seconds=5))
    assert (await clinic.icons())["Child"] == ("red", "red")

    # A newer validation does apply.
    await deliver(sessions, identity_validated(holder), now + timedelta(seconds=5))
    await deliver(sessions, association_validated(holder, child), now + timedelta(seconds=5))
    assert await clinic.icons() == {"Holder": ("green", "green"), "Child": ("green", "green")}


async def test_identity_validated_before_anything_was_booked_still_shows(sessions):
    clinic = await Clinic(sessions).open()
    holder = uuid.uuid4()
    await deliver(sessions, identity_validated(holder))  # validated at another clinic, earlier
    await clinic.book(holder, holder, "Holder")
    assert await clinic.icons() == {"Holder": ("green", "green")}


async def test_a_deleted_account_leaves_grey_rows_and_no_states(sessions):
    clinic = await Clinic(sessions).open()
    holder, child = uuid.uuid4(), uuid.uuid4()
    await clinic.book(holder, child, "Child")
    await deliver(sessions, identity_validated(holder))
    await deliver(sessions, association_validated(holder, child))

    await deliver(
        sessions,
        AccountDeleted(account_id=holder, dependant_ids=[child], email="p@example.org", phone=None, language="fr"),
    )
    assert await clinic.icons() == {"Child": ("grey", "grey")}
    async with sessions() as session:
        left = (
            await session.execute(
                text("SELECT (SELECT count(*) FROM identity_states) + (SELECT count(*) FROM association_states)")
            )
        ).scalar()
    assert left == 0
    async with sessions() as session:
        kept = (
            await session.execute(text("SELECT first_name, last_name, email, phone, holder_name FROM appointments"))
        ).one()
    # The clinic keeps who came; the account's contact details and the holder's name went with the account.
    assert tuple(kept) == ("Patient", "Child", None, None, None)


async def _reports(sessions) -> list[dict]:
    async with sessions() as session:
        rows = await session.execute(
            text("SELECT body FROM outbox WHERE routing_key = :key ORDER BY id"),
            {"key": PatientRecordsViewed.routing_key()},
        )
        return [json.loads(body) for (body,) in rows]


async def test_every_staff_read_of_patient_records_is_reported_with_ids_only(sessions):
    clinic = await Clinic(sessions).open()
    holder = uuid.uuid4()
    first = await clinic.book(holder, holder, "Holder")
    second = await clinic.book(None, None, "Anonyme")
    clerk = Staff(uuid.uuid4(), clinic.id, "clerk")
    before = len(await _reports(sessions))

    await front_desk.day_list(UnitOfWork(sessions), clerk, DAY)
    await front_desk.appointment_entry(UnitOfWork(sessions), clerk, second)

    reports = (await _reports(sessions))[before:]
    assert [r["payload"]["view"] for r in reports] == ["day_list", "appointment"]
    assert set(reports[0]["payload"]["appointment_ids"]) == {str(first), str(second)}
    assert reports[1]["payload"]["appointment_ids"] == [str(second)]
    assert {r["payload"]["staff_id"] for r in reports} == {str(clerk.id)}
    assert "Holder" not in json.dumps(reports)
    assert "Anonyme" not in json.dumps(reports)


async def test_a_clerk_cannot_read_another_establishments_appointment(sessions):
    clinic = await Clinic(sessions).open()
    other = await Clinic(sessions).open()
    theirs = await other.book(None, None, "Autre")
    before = len(await _reports(sessions))
    with pytest.raises(ApiError) as refused:
        await front_desk.appointment_entry(UnitOfWork(sessions), Staff(uuid.uuid4(), clinic.id, "clerk"), theirs)
    assert refused.value.status == 404
    assert len(await _reports(sessions)) == before  # nothing was read, nothing to report
