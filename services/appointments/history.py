"""An account's history: what was booked from it, and, once a clinic validated the person, their bookings
made without an account.

A booking made without an account joins the history of an account only when its NAM AND its birth date
equal those of a person a clinic validated for that account, compared as one keyed digest of both
(shared.nam.identity_key) so neither field travels on the bus: the holder (IdentityValidated) or
a dependant whose association is validated (accounts' DependantIdentified, then AssociationValidated).
Never on a name. The keys live in `validated_people`; whether the person is validated right now is read
from identity_states / association_states at query time, so a revocation hides the matches at once, and a
booking made after the validation matches without any further event.
"""

import hashlib
import uuid
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import delete, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.appointments import service
from services.appointments.models import validated_people
from services.appointments.schemas import HistoryEntry, HistoryResponse
from shared.errors import ApiError
from shared.nam import identity_key, nam_hmac
from shared.unit_of_work import UnitOfWork

# FHIR statuses as the citizen reads them.
STATES = {
    "booked": "booked",
    "pending": "booked",
    "proposed": "booked",
    "waitlist": "booked",
    "arrived": "attended",
    "checked-in": "attended",
    "fulfilled": "attended",
    "cancelled": "cancelled",
    "entered-in-error": "cancelled",
    "noshow": "noshow",
}

NAM_WITHOUT_BIRTH_DATE = ApiError(
    422,
    "birth_date_required_with_nam",
    "birth_date",
    "Indiquez la date de naissance avec le numéro d'assurance maladie.",
    "Give the birth date with the health insurance number (NAM).",
)

# Bookings made without an account whose keys equal those of a person validated, right now, for the
# account or an account linked with it (linked accounts are one citizen: their people are shared).
MATCHED_WITHOUT_ACCOUNT = text(
    service.DETAILS
    + """ WHERE a.account_id IS NULL AND a.identity_key IS NOT NULL
    AND a.identity_key IN (
      SELECT vp.identity_key FROM validated_people vp
      LEFT JOIN identity_states i ON i.account_id = vp.account_id AND vp.person_id = vp.account_id
      LEFT JOIN association_states s ON s.account_id = vp.account_id AND s.person_id = vp.person_id
      WHERE (vp.account_id = :account_id OR vp.account_id IN (
          SELECT m.account_id FROM account_links l JOIN account_links m ON m.group_id = l.group_id
          WHERE l.account_id = :account_id))
        AND coalesce(i.validated, s.validated, false))
    ORDER BY s.starts_at, a.id"""
)
HOLDER_VALIDATED = text(
    "SELECT coalesce((SELECT validated FROM identity_states WHERE account_id = :account_id), false)"
)


class NamDigester:
    """The keyed HMAC of a NAM, derived from the accounts service's NAM key as accounts and verification do,
    so that one NAM gives one digest in all three services."""

    def __init__(self, nam_key: str) -> None:
        self._key = hashlib.sha256(b"nam-hmac:" + nam_key.encode()).digest()

    def digest(self, nam: str | None, birth_date: date | None) -> str | None:
        if nam is None:
            return None
        if birth_date is None:
            raise NAM_WITHOUT_BIRTH_DATE  # a NAM alone would never be matched: say so rather than keep it
        return identity_key(self._key, nam_hmac(self._key, nam), birth_date)


async def record_person(
    session: AsyncSession,
    account_id: uuid.UUID,
    person_id: uuid.UUID,
    key: str | None,
    at: datetime,
) -> None:
    """Keep the person's key unless a newer one was applied; a validation without one clears it."""
    if key is None:
        await session.execute(
            delete(validated_people).where(
                validated_people.c.account_id == account_id,
                validated_people.c.person_id == person_id,
                validated_people.c.changed_at < at,
            )
        )
        return
    statement = insert(validated_people).values(
        account_id=account_id, person_id=person_id, identity_key=key, changed_at=at
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[validated_people.c.account_id, validated_people.c.person_id],
            set_={
                "identity_key": statement.excluded.identity_key,
                "changed_at": statement.excluded.changed_at,
            },
            where=validated_people.c.changed_at < statement.excluded.changed_at,
        )
    )


async def forget_account(session: AsyncSession, account_id: uuid.UUID) -> None:
    await session.execute(delete(validated_people).where(validated_people.c.account_id == account_id))


def _entry(row: Any, source: str) -> HistoryEntry:
    return HistoryEntry(
        **service.appointment_response(row).model_dump(),
        state=STATES.get(row.status, "booked"),  # type: ignore[arg-type]
        booked_without_account=source == "without_account",
    )


async def account_history(uow: UnitOfWork, account_id: uuid.UUID) -> HistoryResponse:
    """Everything the account may see, most recent first."""
    async with uow:
        own = (await uow.session.execute(service.APPOINTMENTS_OF_ACCOUNT, {"account_id": account_id})).all()
        matched = (await uow.session.execute(MATCHED_WITHOUT_ACCOUNT, {"account_id": account_id})).all()
        validated = bool((await uow.session.execute(HOLDER_VALIDATED, {"account_id": account_id})).scalar())
    entries = [_entry(r, "account") for r in own] + [_entry(r, "without_account") for r in matched]
    entries.sort(key=lambda e: (e.starts_at, str(e.id)), reverse=True)
    return HistoryResponse(holder_validated=validated, generated_at=datetime.now(UTC), appointments=entries)
