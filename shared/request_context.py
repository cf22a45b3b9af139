"""FastAPI dependencies every service's routers share: the unit of work, and the signed-in citizen.

They are async on purpose: FastAPI runs plain `def` dependencies in a thread pool, a costly hop on
every request of the hot path. Identity headers are set only by the gateway, after it checked a token.
"""

import uuid
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


UoW = Annotated[UnitOfWork, Depends(unit_of_work)]
Citizen = Annotated[uuid.UUID, Depends(citizen)]
