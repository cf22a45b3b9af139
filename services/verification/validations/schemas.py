"""Requests and responses of the clinic validation endpoints (staff console)."""

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, StringConstraints

from shared.nam import Nam, Sex
from shared.request_models import BirthDate, RequestModel

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class ValidateIdentityRequest(RequestModel):
    """What the clerk confirmed in "Confirmation de l'identité du patient" (possibly corrected)."""

    model_config = ConfigDict(extra="forbid")

    account_id: uuid.UUID
    first_name: Name
    last_name: Name
    birth_date: BirthDate
    sex: Sex
    nam: Nam | None = None
    # The checkbox "Je confirme avoir validé l'identité du patient".
    confirmed: bool


class IdentityValidationResponse(BaseModel):
    validation_id: uuid.UUID
    account_id: uuid.UUID
    validated_at: datetime
    # What the clerk should double-check (shared.nam codes), e.g. "nam_birth_date_mismatch": not errors.
    nam_warnings: list[str] = []


class ValidateAssociationRequest(RequestModel):
    """What the clerk confirmed in "Association du patient": the patient, and that they belong with the holder."""

    model_config = ConfigDict(extra="forbid")

    account_id: uuid.UUID  # the holder
    person_id: uuid.UUID  # the dependant
    first_name: Name
    last_name: Name
    birth_date: BirthDate
    # The checkbox "Je confirme avoir validé l'identité du patient ... associé au compte de ...".
    confirmed: bool


class AssociationValidationResponse(BaseModel):
    validation_id: uuid.UUID
    account_id: uuid.UUID
    person_id: uuid.UUID
    validated_at: datetime


class VerificationState(BaseModel):
    account_id: uuid.UUID
    identity_validated: bool
    validated_person_ids: list[uuid.UUID]


class VerificationStatesResponse(BaseModel):
    states: list[VerificationState]


class AuditEntry(BaseModel):
    id: int
    at: datetime
    actor: str
    # clerk | manager | operator when known (issue 21); None for earlier entries and the system's.
    actor_role: str | None = None
    establishment_id: uuid.UUID | None
    action: str
    account_id: uuid.UUID | None
    person_id: uuid.UUID | None
    details: dict[str, Any]


class AuditResponse(BaseModel):
    entries: list[AuditEntry]
