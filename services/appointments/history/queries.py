"""The history's SQL: bookings made without an account that joined an account's history, and the keys of the
people a clinic validated."""

import uuid
from datetime import datetime

from sqlalchemy import delete, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.appointments.booking.queries import DETAILS, appointment_details
from services.appointments.booking.rules import AppointmentDetails
from services.appointments.models import validated_people

# Bookings made without an account whose keys equal those of a person validated, right now, for the
# account or an account linked with it (linked accounts are one citizen: their people are shared).
MATCHED_WITHOUT_ACCOUNT = text(
    DETAILS
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


async def matched_without_account(session: AsyncSession, account_id: uuid.UUID) -> list[AppointmentDetails]:
    rows = (await session.execute(MATCHED_WITHOUT_ACCOUNT, {"account_id": account_id})).all()
    return [appointment_details(row) for row in rows]


async def holder_validated(session: AsyncSession, account_id: uuid.UUID) -> bool:
    return bool((await session.execute(HOLDER_VALIDATED, {"account_id": account_id})).scalar())


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
