"""FastAPI dependencies every service's routers share: the unit of work, the signed-in citizen, staff.

They are async on purpose: FastAPI runs plain `def` dependencies in a thread pool, a costly hop on
every request of the hot path. Identity headers are set only by the gateway, after it checked a token.
"""

import uuid
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, Request

from shared.errors import DomainError
from shared.unit_of_work import UnitOfWork

LOGIN_REQUIRED = DomainError(401, "login_required", None, "Connectez-vous d'abord.", "Please log in first.")


async def unit_of_work(request: Request) -> UnitOfWork:
    return request.app.state.runtime.unit_of_work()


async def citizen(x_account_id: Annotated[uuid.UUID | None, Header()] = None) -> uuid.UUID:
    if x_account_id is None:
        raise LOGIN_REQUIRED
    return x_account_id


@dataclass(frozen=True)
class Staff:
    """A staff member as the gateway vouches for them (X-Staff-Id, X-Establishment-Id, X-Staff-Role)."""

    id: uuid.UUID
    establishment_id: uuid.UUID
    role: str


def _uuid(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None


async def staff_member(
    x_staff_id: Annotated[str | None, Header()] = None,
    x_establishment_id: Annotated[str | None, Header()] = None,
    x_staff_role: Annotated[str | None, Header()] = None,
) -> Staff:
    # Only the gateway sets these, after checking a staff token: anything missing or garbled is no login.
    staff_id, establishment_id = _uuid(x_staff_id), _uuid(x_establishment_id)
    if staff_id is None or establishment_id is None:
        raise LOGIN_REQUIRED
    return Staff(staff_id, establishment_id, (x_staff_role or "").strip().lower())


UoW = Annotated[UnitOfWork, Depends(unit_of_work)]
Citizen = Annotated[uuid.UUID, Depends(citizen)]
StaffMember = Annotated[Staff, Depends(staff_member)]
