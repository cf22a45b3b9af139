"""Staff routes of clinic validations (the gateway maps /api/admin/verification/... to /admin/...).

The staff member, their establishment and role come from the staff token the gateway forwards, verified
again here (shared/request_context.py); the establishment in the path must be the staff member's own,
checked before the body is even read. The person validated, or whose state is read, must have an
appointment there (use_cases.require_patient).
"""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, status

from services.verification.validations import use_cases
from services.verification.validations.rules import IdentityKeys
from services.verification.validations.schemas import (
    AssociationValidationResponse,
    AuditResponse,
    IdentityValidationResponse,
    ValidateAssociationRequest,
    ValidateIdentityRequest,
    VerificationStatesResponse,
)
from shared.errors import ApiError
from shared.request_context import Staff, StaffMember, UoW

router = APIRouter(prefix="/admin/establishments/{establishment_id}")
# The platform operators' own log (issue 21): no establishment in the path, their tokens name none.
operator_router = APIRouter(prefix="/admin")

MAX_ACCOUNTS_PER_QUERY = 200  # a day's Suivi list of one establishment fits, a dump of all accounts does not


async def identity_keys(request: Request) -> IdentityKeys:
    return use_cases.identity_keys(request.app.state.runtime.settings)


async def front_desk(establishment_id: uuid.UUID, member: StaffMember) -> Staff:
    member.authorise(establishment_id)
    return member


async def manager(establishment_id: uuid.UUID, member: StaffMember) -> Staff:
    member.authorise(establishment_id, manager_only=True)
    return member


Keys = Annotated[IdentityKeys, Depends(identity_keys)]
FrontDesk = Annotated[Staff, Depends(front_desk)]
Manager = Annotated[Staff, Depends(manager)]


def _account_ids(raw: str) -> list[uuid.UUID]:
    parts = [part.strip() for part in raw.split(",") if part.strip()]
    if len(parts) > MAX_ACCOUNTS_PER_QUERY:
        raise ApiError(
            422,
            "too_long",
            "account_ids",
            f"Au plus {MAX_ACCOUNTS_PER_QUERY} comptes par demande.",
            f"At most {MAX_ACCOUNTS_PER_QUERY} accounts per request.",
        )
    try:
        return [uuid.UUID(part) for part in parts]
    except ValueError:
        raise ApiError(422, "uuid_parsing", "account_ids", "Identifiant invalide.", "Invalid identifier.") from None


@router.post("/identity-validations", status_code=status.HTTP_201_CREATED)
async def validate_identity(
    establishment_id: uuid.UUID, body: ValidateIdentityRequest, uow: UoW, keys: Keys, member: FrontDesk
) -> IdentityValidationResponse:
    return await use_cases.validate_identity(uow, member, body, keys)


@router.post("/association-validations", status_code=status.HTTP_201_CREATED)
async def validate_association(
    establishment_id: uuid.UUID, body: ValidateAssociationRequest, uow: UoW, member: FrontDesk
) -> AssociationValidationResponse:
    return await use_cases.validate_association(uow, member, body)


@router.get("/verification-states")
async def verification_states(
    establishment_id: uuid.UUID,
    uow: UoW,
    member: FrontDesk,
    account_ids: Annotated[str, Query(max_length=MAX_ACCOUNTS_PER_QUERY * 40)] = "",
) -> VerificationStatesResponse:
    # The path's establishment: FrontDesk checked it is the member's.
    states = await use_cases.verification_states(uow, establishment_id, _account_ids(account_ids))
    return VerificationStatesResponse(states=states)


@router.get("/audit")
async def audit(
    establishment_id: uuid.UUID, uow: UoW, member: Manager, limit: Annotated[int, Query(ge=1, le=500)] = 100
) -> AuditResponse:
    """Newest first; a manager's view of what was done in (or to validations of) their establishment."""
    return AuditResponse(entries=await use_cases.read_audit_log(uow, establishment_id, limit))


@operator_router.get("/operator-audit")
async def operator_audit(
    uow: UoW, member: StaffMember, limit: Annotated[int, Query(ge=1, le=500)] = 100
) -> AuditResponse:
    """Newest first; what platform operators did, and what concerns no establishment. Operators only."""
    return AuditResponse(entries=await use_cases.read_operator_audit_log(uow, member, limit))
