"""History after authentication: bookings made without an account join an account's history only through a
clinic's validation of the person (NAM keyed HMAC and birth date), and leave it when the validation goes."""

import re
import uuid
import zlib
from datetime import UTC, date, datetime, timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.appointments.booking import use_cases as booking_use_cases
from services.appointments.booking.rules import NamDigester
from services.appointments.booking.schemas import BookAppointmentRequest
from services.appointments.history import use_cases as history_use_cases
from services.appointments.history.rules import history_ics, history_pdf
from services.appointments.tests.integration.arrange import MONTREAL_NOON, Clinic, deliver
from services.appointments.tests.worded import AsTheEdgeWordsIt
from shared.contracts.accounts import AccountDeleted, AccountsLinked, DependantIdentified
from shared.contracts.verification import (
    AssociationRevoked,
    AssociationValidated,
    IdentityInvalidated,
    IdentityValidated,
)
from shared.errors import ApiError
from shared.nam import build_nam
from shared.unit_of_work import UnitOfWork

service = AsTheEdgeWordsIt(booking_use_cases)
history = AsTheEdgeWordsIt(history_use_cases, NamDigester=NamDigester)

SECRET = b"test-manage-token-secret"
DIGESTER = history.NamDigester("test-nam-key")
HOLDER_BIRTH = date(1954, 12, 28)
HOLDER_NAM = build_nam("TREM", HOLDER_BIRTH, "F", "1")
# Same name and birth date, another person: another NAM.
NAMESAKE_NAM = build_nam("TREM", HOLDER_BIRTH, "F", "2")
CHILD_BIRTH = date(2016, 5, 3)
CHILD_NAM = build_nam("TREL", CHILD_BIRTH, "M", "1")


class Booker:
    """Books through the real booking path (seat claim, NAM digest, outbox), one future slot each."""

    def __init__(self, clinic: Clinic) -> None:
        self.clinic = clinic
        self.count = 0

    async def without_account(self, nam: str | None, birth_date: date | None, last_name: str = "Tremblay") -> uuid.UUID:
        slot = uuid.uuid4()
        starts = MONTREAL_NOON + timedelta(days=1, minutes=15 * self.count)
        self.count += 1
        async with self.clinic.sessions() as session:
            await session.execute(
                text("INSERT INTO slots (id, service_id, starts_at, ends_at, capacity) VALUES (:id, :s, :a, :b, 1)"),
                {"id": slot, "s": self.clinic.service_id, "a": starts, "b": starts + timedelta(minutes=15)},
            )
            await session.commit()
        request = BookAppointmentRequest(
            slot_id=slot,
            first_name="Marie",
            last_name=last_name,
            email=f"{uuid.uuid4().hex[:8]}@example.org",
            birth_date=birth_date,
            nam=nam,
        )
        booked, _ = await service.book_appointment(
            UnitOfWork(self.clinic.sessions), SECRET, service.from_anonymous(request, DIGESTER.digest)
        )
        return booked.id


async def seen(sessions: async_sessionmaker[AsyncSession], account_id: uuid.UUID) -> set[uuid.UUID]:
    return {entry.id for entry in (await history.account_history(UnitOfWork(sessions), account_id)).appointments}


def identity_validated(account_id: uuid.UUID, nam: str | None, birth_date: date | None) -> IdentityValidated:
    return IdentityValidated(
        validation_id=uuid.uuid4(),
        account_id=account_id,
        establishment_id=uuid.uuid4(),
        fingerprint="f" * 64,
        nam_hmac="n" * 64 if nam else None,  # for linking accounts: not what the history matches on
        validated_at=datetime.now(UTC),
        identity_key=DIGESTER.digest(nam, birth_date) if nam else None,
    )


async def test_holder_sees_bookings_without_account_only_while_a_clinic_validated_them(sessions):
    clinic = await Clinic(sessions).open()
    booker = Booker(clinic)
    holder, stranger = uuid.uuid4(), uuid.uuid4()
    own = await clinic.book(holder, holder, "Tremblay")
    earlier = await booker.without_account(HOLDER_NAM, HOLDER_BIRTH)
    namesake = await booker.without_account(NAMESAKE_NAM, HOLDER_BIRTH)  # same name, another NAM
    wrong_birth = await booker.without_account(HOLDER_NAM, HOLDER_BIRTH + timedelta(days=1))
    no_nam = await booker.without_account(None, HOLDER_BIRTH)  # a name and a birth date are not enough

    assert await seen(sessions, holder) == {own}  # before any clinic validated the holder

    validated_at = datetime.now(UTC)
    await deliver(sessions, identity_validated(holder, HOLDER_NAM, HOLDER_BIRTH), validated_at)
    assert await seen(sessions, holder) == {own, earlier}
    later = await booker.without_account(HOLDER_NAM, HOLDER_BIRTH)  # booked after the validation
    assert await seen(sessions, holder) == {own, earlier, later}
    assert await seen(sessions, stranger) == set()

    await deliver(
        sessions, IdentityInvalidated(account_id=holder, reason="profile_changed"), validated_at + timedelta(1)
    )
    assert await seen(sessions, holder) == {own}
    # The validation redelivered late changes nothing: the newer invalidation stands.
    await deliver(sessions, identity_validated(holder, HOLDER_NAM, HOLDER_BIRTH), validated_at)
    assert await seen(sessions, holder) == {own}
    assert {namesake, wrong_birth, no_nam}.isdisjoint(await seen(sessions, holder))


async def test_validation_without_nam_matches_nothing_and_linked_accounts_share_the_history(sessions):
    clinic = await Clinic(sessions).open()
    booker = Booker(clinic)
    holder, other_account = uuid.uuid4(), uuid.uuid4()
    anonymous = await booker.without_account(HOLDER_NAM, HOLDER_BIRTH)

    await deliver(sessions, identity_validated(holder, None, HOLDER_BIRTH))
    assert await seen(sessions, holder) == set()

    await deliver(sessions, identity_validated(holder, HOLDER_NAM, HOLDER_BIRTH))
    await deliver(sessions, AccountsLinked(link_group_id=uuid.uuid4(), account_ids=[holder, other_account]))
    assert await seen(sessions, other_account) == {anonymous}

    await deliver(sessions, AccountDeleted(account_id=holder, dependant_ids=[], email=None, phone=None, language="fr"))
    assert await seen(sessions, other_account) == set()
    async with sessions() as session:
        keys = (await session.execute(text("SELECT count(*) FROM validated_people"))).scalar()
    assert keys == 0  # a deleted account's keys go with it


async def test_dependant_bookings_join_once_the_association_is_validated_and_leave_when_revoked(sessions):
    clinic = await Clinic(sessions).open()
    booker = Booker(clinic)
    holder, child, other_parent = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    child_booking = await booker.without_account(CHILD_NAM, CHILD_BIRTH, "Tremblay")
    namesake_child = await booker.without_account(build_nam("TREL", CHILD_BIRTH, "M", "2"), CHILD_BIRTH)
    await deliver(sessions, identity_validated(holder, HOLDER_NAM, HOLDER_BIRTH))

    # Accounts' keys alone do not show anything: the association must be validated too.
    identified = DependantIdentified(
        account_id=holder, person_id=child, identity_key=DIGESTER.digest(CHILD_NAM, CHILD_BIRTH)
    )
    await deliver(sessions, identified)
    assert await seen(sessions, holder) == set()

    association = AssociationValidated(
        validation_id=uuid.uuid4(),
        account_id=holder,
        person_id=child,
        establishment_id=clinic.id,
        validated_at=datetime.now(UTC),
    )
    await deliver(sessions, association)
    assert await seen(sessions, holder) == {child_booking}
    assert await seen(sessions, other_parent) == set()  # the child's association with this parent is not validated

    await deliver(sessions, AssociationRevoked(account_id=holder, person_id=child, reason="identity_changed"))
    assert await seen(sessions, holder) == set()
    assert namesake_child not in await seen(sessions, holder)


async def test_history_states_and_documents(sessions):
    clinic = await Clinic(sessions).open()
    booker = Booker(clinic)
    holder = uuid.uuid4()
    await deliver(sessions, identity_validated(holder, HOLDER_NAM, HOLDER_BIRTH))
    cancelled = await booker.without_account(HOLDER_NAM, HOLDER_BIRTH)
    attended = await booker.without_account(HOLDER_NAM, HOLDER_BIRTH)
    absent = await booker.without_account(HOLDER_NAM, HOLDER_BIRTH)
    booked = await clinic.book(holder, holder, "Tremblay")
    async with sessions() as session:
        await session.execute(
            text(
                "UPDATE appointments SET status = CASE id WHEN :c THEN 'cancelled' WHEN :a THEN 'fulfilled' "
                "ELSE 'noshow' END WHERE id IN (:c, :a, :n)"
            ),
            {"c": cancelled, "a": attended, "n": absent},
        )
        await session.commit()

    listing = await history.account_history(UnitOfWork(sessions), holder)
    states = {entry.id: (entry.state, entry.booked_without_account) for entry in listing.appointments}
    assert states == {
        cancelled: ("cancelled", True),
        attended: ("attended", True),
        absent: ("noshow", True),
        booked: ("booked", False),
    }
    assert listing.holder_validated
    starts = [entry.starts_at for entry in listing.appointments]
    assert starts == sorted(starts, reverse=True)

    calendar = Calendar.from_ical(history_ics(listing, "fr"))
    events = {str(event["uid"]): event for event in calendar.walk("VEVENT")}
    assert set(events) == {f"{i}@rendezvous-sante" for i in states}
    assert str(events[f"{cancelled}@rendezvous-sante"]["status"]) == "CANCELLED"
    assert "Absent" in str(events[f"{absent}@rendezvous-sante"]["description"])

    pdf = history_pdf(listing, "en")
    assert pdf.startswith(b"%PDF-")
    shown = b"".join(
        zlib.decompress(stream)
        for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S)
        if stream[:1] == b"x"
    )
    for label in (b"Cancelled", b"Attended", b"No-show", b"Booked", b"CLSC Test", b"Appointment history"):
        assert label in shown, label


async def test_a_nam_needs_a_birth_date_and_only_its_digest_is_stored(sessions):
    clinic = await Clinic(sessions).open()
    with pytest.raises(ApiError) as refused:
        await Booker(clinic).without_account(HOLDER_NAM, None)
    assert (refused.value.status, refused.value.field) == (422, "birth_date")

    await Booker(clinic).without_account(HOLDER_NAM, HOLDER_BIRTH)
    async with sessions() as session:
        stored = (await session.execute(text("SELECT identity_key FROM appointments"))).scalar_one()
    assert stored == DIGESTER.digest(HOLDER_NAM, HOLDER_BIRTH)
    assert HOLDER_NAM not in stored
