"""Read model of verification's decisions, and the Suivi icons derived from it.

Verification owns identity and association validations; appointments keeps only what the front
desk's list needs (validated or not, per account and per account-patient pair), updated from
verification's events so the list is served by one local query.
"""

import uuid
from datetime import datetime
from typing import Literal

from sqlalchemy import delete, or_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.appointments.models import association_states, identity_states

Icon = Literal["grey", "red", "green"]


def suivi_icons(
    account_id: uuid.UUID | None,
    person_id: uuid.UUID | None,
    identity_validated: bool,
    association_validated: bool,
) -> tuple[Icon, Icon]:
    """(profile icon, card icon) of one appointment, as the clinic guide (sections 3.1-3.4) shows them."""
    if account_id is None:
        return "grey", "grey"  # booked without an account: nobody to identify or associate
    profile: Icon = "green" if identity_validated else "red"
    if person_id is None or person_id == account_id:
        # The holder booked for themself: no association to validate, the card follows the profile.
        return profile, profile
    return profile, "green" if association_validated else "red"


async def record_identity(session: AsyncSession, account_id: uuid.UUID, validated: bool, at: datetime) -> None:
    """Store the holder's identity state unless a newer event was already applied."""
    statement = insert(identity_states).values(account_id=account_id, validated=validated, changed_at=at)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[identity_states.c.account_id],
            set_={"validated": statement.excluded.validated, "changed_at": statement.excluded.changed_at},
            where=identity_states.c.changed_at < statement.excluded.changed_at,
        )
    )


async def record_association(
    session: AsyncSession, account_id: uuid.UUID, person_id: uuid.UUID, validated: bool, at: datetime
) -> None:
    """Store a patient's association with an account unless a newer event was already applied."""
    statement = insert(association_states).values(
        account_id=account_id, person_id=person_id, validated=validated, changed_at=at
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[association_states.c.account_id, association_states.c.person_id],
            set_={"validated": statement.excluded.validated, "changed_at": statement.excluded.changed_at},
            where=association_states.c.changed_at < statement.excluded.changed_at,
        )
    )


async def forget_account(session: AsyncSession, account_id: uuid.UUID, dependant_ids: list[uuid.UUID]) -> None:
    """A deleted account's states go with it; its appointments are unlinked, so nothing shows them anymore."""
    await session.execute(delete(identity_states).where(identity_states.c.account_id == account_id))
    people = [account_id, *dependant_ids]
    await session.execute(
        delete(association_states).where(
            or_(association_states.c.account_id == account_id, association_states.c.person_id.in_(people))
        )
    )
