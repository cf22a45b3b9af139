"""Requests and responses of citizens' association requests (portal and staff console)."""

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

from services.verification.validations.schemas import Name
from shared.request_models import BirthDate, RequestModel


class FileAssociationRequest(RequestModel):
    """From the gateway, which found the patient's next appointment in the citizen's own account."""

    model_config = ConfigDict(extra="forbid")

    person_id: uuid.UUID
    establishment_id: uuid.UUID
    appointment_id: uuid.UUID


class AssociationRequestView(BaseModel):
    id: uuid.UUID
    account_id: uuid.UUID
    person_id: uuid.UUID
    establishment_id: uuid.UUID
    appointment_id: uuid.UUID
    status: str  # pending | accepted | refused | withdrawn
    reason: str | None
    requested_at: datetime
    decided_at: datetime | None


class AssociationRequestsResponse(BaseModel):
    requests: list[AssociationRequestView]


class AcceptAssociationRequest(RequestModel):
    """The clerk saw the patient and their papers, as in the "Association du patient" window."""

    model_config = ConfigDict(extra="forbid")

    first_name: Name
    last_name: Name
    birth_date: BirthDate
    confirmed: bool


class RefuseAssociationRequest(RequestModel):
    model_config = ConfigDict(extra="forbid")

    # Shown to the citizen: why, and what to bring next time.
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=500)]
