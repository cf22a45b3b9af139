"""The verification service's part of the citizen's export: everything it keeps under the account's id."""

import uuid
from dataclasses import asdict

from services.verification.export import queries
from services.verification.export.schemas import (
    ExportedAssociationRequest,
    ExportedAssociationValidation,
    ExportedAuditEntry,
    ExportedChallenge,
    ExportedIdentityValidation,
    VerificationExportResponse,
)
from shared.unit_of_work import UnitOfWork


async def export_verification(uow: UnitOfWork, account_id: uuid.UUID) -> VerificationExportResponse:
    async with uow:
        codes = await queries.challenges_of(uow.session, account_id)
        identities = await queries.identity_validations_of(uow.session, account_id)
        associations = await queries.association_validations_of(uow.session, account_id)
        requests = await queries.association_requests_of(uow.session, account_id)
        audit = await queries.audit_rows_of(uow.session, account_id)
    return VerificationExportResponse(
        codes=[ExportedChallenge(**asdict(row)) for row in codes],
        identity_validations=[ExportedIdentityValidation(**asdict(row)) for row in identities],
        association_validations=[ExportedAssociationValidation(**asdict(row)) for row in associations],
        association_requests=[ExportedAssociationRequest(**asdict(row)) for row in requests],
        audit=[ExportedAuditEntry(**asdict(row)) for row in audit],
    )
