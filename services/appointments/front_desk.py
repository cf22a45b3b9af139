"""What the front desk reads: the day's Suivi list and one appointment, with the identity and
association icons from the local read model of verification states.

Every read of patient records is reported (PatientRecordsViewed, ids only) in the same transaction as
the read, through the outbox: verification's append-only audit log keeps who read what, where and when.
A read whose report cannot be written fails, so nothing is shown without a trace.
"""

import uuid
from datetime import UTC, date, datetime
from typing import Any, Literal

from sqlalchemy import text

from services.appointments.catalogue import ESTABLISHMENT_NOT_FOUND, Staff
from services.appointments.schemas import DayListEntry
from services.appointments.service import DETAILS, appointment_response
from services.appointments.verification_states import suivi_icons
from shared.contracts.appointments import PatientRecordsViewed
from shared.unit_of_work import UnitOfWork

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


def _entry(row: Any) -> DayListEntry:
    profile_icon, card_icon = suivi_icons(
        row.account_id, row.person_id, bool(row.identity_validated), bool(row.association_validated)
    )
    return DayListEntry(
        **appointment_response(row).model_dump(),
        account_id=row.account_id,
        birth_date=row.birth_date,
        holder_name=row.holder_name,
        sex=row.sex,
        booked_with_account=row.account_id is not None,
        profile_icon=profile_icon,
        card_icon=card_icon,
    )


def _report(uow: UnitOfWork, staff: Staff, view: Literal["day_list", "appointment"], ids: list[uuid.UUID]) -> None:
    uow.publish(
        PatientRecordsViewed(
            staff_id=staff.id,
            establishment_id=staff.establishment_id,
            view=view,
            appointment_ids=ids,
            at=datetime.now(UTC),
        )
    )


async def day_list(uow: UnitOfWork, staff: Staff, day: date) -> list[DayListEntry]:
    """The front desk's list for one local day of the staff member's establishment, by time."""
    async with uow:
        rows = (await uow.session.execute(DAY, {"establishment_id": staff.establishment_id, "day": day})).all()
        entries = [_entry(row) for row in rows]
        _report(uow, staff, "day_list", [entry.id for entry in entries])
        await uow.commit()
    return entries


async def appointment_entry(uow: UnitOfWork, staff: Staff, appointment_id: uuid.UUID) -> DayListEntry:
    """One appointment of the staff member's establishment; another establishment's does not exist."""
    async with uow:
        row = (
            await uow.session.execute(
                ONE, {"establishment_id": staff.establishment_id, "appointment_id": appointment_id}
            )
        ).first()
        if row is None:
            raise ESTABLISHMENT_NOT_FOUND
        entry = _entry(row)
        _report(uow, staff, "appointment", [entry.id])
        await uow.commit()
    return entry
