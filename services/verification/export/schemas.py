"""The verification service's part of the citizen's export, as JSON (the gateway composes the whole document)."""

import uuid
from datetime import datetime

from pydantic import BaseModel


class ExportedChallenge(BaseModel):
    """A 6-digit code sent to the person (never the code itself)."""

    id: uuid.UUID
    account_id: uuid.UUID
    purpose: str
    channel: str
    status: str
    expires_at: datetime
    used_at: datetime | None
    created_at: datetime


class ExportedIdentityValidation(BaseModel):
    id: uuid.UUID
    account_id: uuid.UUID
    establishment_id: uuid.UUID
    validated_at: datetime
    invalidated_at: datetime | None
    invalidation_reason: str | None


class ExportedAssociationValidation(BaseModel):
    id: uuid.UUID
    account_id: uuid.UUID
    person_id: uuid.UUID
    establishment_id: uuid.UUID
    validated_at: datetime
    revoked_at: datetime | None
    revoke_reason: str | None


class ExportedAssociationRequest(BaseModel):
    id: uuid.UUID
    account_id: uuid.UUID
    person_id: uuid.UUID
    establishment_id: uuid.UUID
    appointment_id: uuid.UUID
    status: str
    reason: str | None
    requested_at: datetime
    decided_at: datetime | None


class ExportedAuditEntry(BaseModel):
    at: datetime
    establishment_id: uuid.UUID | None
    action: str
    account_id: uuid.UUID | None
    person_id: uuid.UUID | None
    actor_role: str | None  # staff are shown by role, never by name


class VerificationExportResponse(BaseModel):
    codes: list[ExportedChallenge]
    identity_validations: list[ExportedIdentityValidation]
    association_validations: list[ExportedAssociationValidation]
    association_requests: list[ExportedAssociationRequest]
    audit: list[ExportedAuditEntry]
