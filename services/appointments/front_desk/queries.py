"""The front desk's SQL: the day's Suivi list and one appointment, attendance, and the read model of
verification's decisions.

Verification owns identity and association validations; appointments keeps only what the front
desk's list needs (validated or not, per account and per account-patient pair), updated from
verification's events so the list is served by one local query.
"""

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Row, delete, or_, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.appointments.booking.queries import DETAILS, appointment_details
from services.appointments.booking.rules import ARRIVED, NOSHOW, AppointmentDetails
from services.appointments.models import association_states, identity_states

# DETAILS stays the one definition of an appointment row; the read model is joined around it.
_WITH_ICONS = """SELECT d.*, coalesce(ids.validated, false) AS identity_validated,
       coalesce(ass.validated, false) AS association_validated
FROM ({details} WHERE e.id = :establishment_id AND {where}) d
LEFT JOIN identity_states ids ON ids.account_id = d.account_id
LEFT JOIN association_states ass ON ass.account_id = d.account_id AND ass.person_id = d.person_id
ORDER BY d.starts_at, d.last_name"""

DAY = text(
    _WITH_ICONS.format(
        details=DETAILS,
        where="""s.starts_at >= (CAST(:day AS date)::timestamp AT TIME ZONE e.timezone)
        AND s.starts_at < ((CAST(:day AS date) + 1)::timestamp AT TIME ZONE e.timezone)""",
    )
)
ONE = text(_WITH_ICONS.format(details=DETAILS, where="a.id = :appointment_id"))
# The time each attendance is stamped at, if any.
STAMPED = {ARRIVED: "arrived_at", NOSHOW: "noshow_at"}


@dataclass(frozen=True)
class SuiviRow:
    appointment: AppointmentDetails
    identity_validated: bool
    association_validated: bool


def _suivi_row(row: Row[Any]) -> SuiviRow:
    values = row._mapping
    return SuiviRow(appointment_details(row), bool(values["identity_validated"]), bool(values["association_validated"]))


async def day_list(session: AsyncSession, establishment_id: uuid.UUID, day: date) -> list[SuiviRow]:
    rows = (await session.execute(DAY, {"establishment_id": establishment_id, "day": day})).all()
    return [_suivi_row(row) for row in rows]


async def suivi_entry(session: AsyncSession, establishment_id: uuid.UUID, appointment_id: uuid.UUID) -> SuiviRow | None:
    found = await session.execute(ONE, {"establishment_id": establishment_id, "appointment_id": appointment_id})
    row = found.first()
    return _suivi_row(row) if row is not None else None


async def record_attendance(session: AsyncSession, appointment_id: uuid.UUID, wanted: str) -> None:
    column = STAMPED.get(wanted)
    stamp = f", {column} = now()" if column else ""
    await session.execute(
        text(f"UPDATE appointments SET status = :status{stamp} WHERE id = :id"),
        {"id": appointment_id, "status": wanted},
    )


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
