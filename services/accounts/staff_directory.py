"""Who works at an establishment, by name and role: the console's audit log names the staff member behind each
entry. Only that establishment's managers read it (they already read its audit log); emails and password hashes
never leave the service."""

import uuid

from pydantic import BaseModel
from sqlalchemy import select

from services.accounts.models import staff_users
from shared.errors import ApiError
from shared.request_context import Staff
from shared.unit_of_work import UnitOfWork

MANAGERS_OF_THEIR_OWN = ApiError(
    403,
    "managers_only",
    None,
    "Seul un gestionnaire de l'établissement peut consulter la liste de son personnel.",
    "Only a manager of the establishment can read its staff list.",
)


class StaffName(BaseModel):
    id: uuid.UUID
    name: str
    role: str


class StaffNamesResponse(BaseModel):
    staff: list[StaffName]


async def staff_names(uow: UnitOfWork, caller: Staff, establishment_id: uuid.UUID) -> StaffNamesResponse:
    if caller.role != "manager" or caller.establishment_id != establishment_id:
        raise MANAGERS_OF_THEIR_OWN
    async with uow:
        rows = await uow.session.execute(
            select(staff_users.c.id, staff_users.c.name, staff_users.c.role)
            .where(staff_users.c.establishment_id == establishment_id)
            .order_by(staff_users.c.name)
        )
        return StaffNamesResponse(staff=[StaffName.model_validate(row._asdict()) for row in rows])
