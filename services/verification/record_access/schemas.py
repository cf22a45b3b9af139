"""The record-access contract between verification and the gateway (not a public API: see api.py)."""

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field

from services.verification.record_access.rules import MOST_APPOINTMENTS, StaffRole
from shared.request_models import RequestModel


class RecordAccessRequest(RequestModel):
    # The appointments the citizen's account may see, as appointments answered the gateway.
    appointment_ids: Annotated[list[uuid.UUID], Field(max_length=MOST_APPOINTMENTS)]


class RecordAccessEntry(BaseModel):
    id: int
    at: datetime
    action: str
    establishment_id: uuid.UUID | None
    # In which capacity, never who: None for rows written before the log kept roles.
    staff_role: StaffRole | None
    # Of the asked appointments, those the row names (a day list: the family's only, never the other patients').
    appointment_ids: list[uuid.UUID]
    # A validation's person: the holder (an identity) or one of the account's people (an association).
    person_id: uuid.UUID | None


class RecordAccessResponse(BaseModel):
    entries: list[RecordAccessEntry]  # newest first
