"""The accounts service's part of the citizen's export, as JSON (the gateway composes the whole document)."""

import uuid
from datetime import date, datetime

from pydantic import BaseModel


class ExportedProfile(BaseModel):
    id: uuid.UUID
    status: str
    first_name: str
    last_name: str
    birth_date: date
    sex: str
    nam: str | None  # masked: the last four characters only
    email: str | None
    phone: str | None
    language: str
    notify_email: bool
    notify_sms: bool
    address: str | None
    city: str | None
    postal_code: str | None
    created_at: datetime


class ExportedDependant(BaseModel):
    id: uuid.UUID
    account_id: uuid.UUID
    first_name: str
    last_name: str
    birth_date: date
    sex: str
    nam: str | None
    created_at: datetime


class ExportedPendingChange(BaseModel):
    challenge_id: uuid.UUID
    account_id: uuid.UUID
    purpose: str
    channel: str
    destination: str
    created_at: datetime


class ExportedSession(BaseModel):
    id: uuid.UUID
    subject_id: uuid.UUID
    audience: str
    started_at: datetime
    revoked_at: datetime | None


class ExportedLinkGroup(BaseModel):
    id: uuid.UUID
    created_at: datetime
    account_ids: list[uuid.UUID]


class ExportedValidatedDependant(BaseModel):
    person_id: uuid.UUID
    account_id: uuid.UUID


class AccountsExportResponse(BaseModel):
    profile: ExportedProfile
    dependants: list[ExportedDependant]
    pending_changes: list[ExportedPendingChange]
    sessions: list[ExportedSession]
    link_group: ExportedLinkGroup | None
    validated_dependants: list[ExportedValidatedDependant]
