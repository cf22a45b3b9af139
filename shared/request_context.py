"""FastAPI dependencies every service's routers share: the unit of work, the signed-in citizen, staff.

They are async on purpose: FastAPI runs plain `def` dependencies in a thread pool, a costly hop on
every request of the hot path. Who is calling comes only from the access token the gateway forwards
(`Authorization: Bearer`), verified here with the accounts service's public key (shared/caller.py):
never from a header a caller could set itself.
"""

import uuid
from typing import Annotated

from fastapi import Depends, Request

from shared.caller import LOGIN_REQUIRED, Caller, CallerVerifier, UnverifiedCaller
from shared.errors import ApiError
from shared.staff import Staff
from shared.unit_of_work import UnitOfWork

__all__ = ["LOGIN_REQUIRED", "Citizen", "OptionalCitizen", "Staff", "StaffMember", "UoW"]

NOT_FOR_THIS_ACCOUNT = ApiError(
    403,
    "forbidden",
    None,
    "Cet espace n'est pas accessible avec ce compte.",
    "This area is not available to this account.",
)


async def unit_of_work(request: Request) -> UnitOfWork:
    uow: UnitOfWork = request.app.state.runtime.unit_of_work()
    return uow


def _verifier(request: Request) -> CallerVerifier:
    callers: CallerVerifier = request.app.state.runtime.callers
    return callers


def _caller(request: Request) -> Caller:
    try:
        return _verifier(request).caller(request.headers.get("authorization"))
    except UnverifiedCaller:
        raise LOGIN_REQUIRED from None


async def citizen(request: Request) -> uuid.UUID:
    caller = _caller(request)
    if caller.audience != "citizen":
        raise NOT_FOR_THIS_ACCOUNT
    return caller.subject


async def optional_citizen(request: Request) -> uuid.UUID | None:
    """For flows that also run before login (activation, password reset): the citizen when one is signed in.

    No token is no citizen; a token that does not verify is refused as anywhere else, never taken for none.
    """
    if request.headers.get("authorization") is None:
        return None
    caller = _caller(request)
    return caller.subject if caller.audience == "citizen" else None


async def staff_member(request: Request) -> Staff:
    caller = _caller(request)
    # No establishment: an operator, or staff who have not chosen one yet; Staff.authorise refuses them any.
    if caller.audience != "staff":
        raise NOT_FOR_THIS_ACCOUNT
    return Staff(caller.subject, caller.establishment_id, caller.role)


UoW = Annotated[UnitOfWork, Depends(unit_of_work)]
Citizen = Annotated[uuid.UUID, Depends(citizen)]
OptionalCitizen = Annotated[uuid.UUID | None, Depends(optional_citizen)]
StaffMember = Annotated[Staff, Depends(staff_member)]
