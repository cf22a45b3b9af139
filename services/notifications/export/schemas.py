"""The notifications service's part of the citizen's export, as JSON (the gateway composes the whole document)."""

import uuid
from datetime import date, datetime

from pydantic import BaseModel


class ExportedNotice(BaseModel):
    """A message sent (or being sent) about the account: never its body, which can hold a link's token."""

    id: uuid.UUID
    kind: str
    channel: str  # email | sms
    recipient: str  # "[erased]" once an account deletion reached it
    account_id: uuid.UUID | None
    language: str
    subject: str
    status: str  # pending | sent | failed
    attempts: int
    created_at: datetime
    sent_at: datetime | None


class ExportedReminder(BaseModel):
    id: uuid.UUID
    appointment_id: uuid.UUID
    account_id: uuid.UUID | None
    offset_minutes: int
    starts_at: datetime
    local_day: date  # the appointment's date at the place: one reminder per destination and day
    due_at: datetime
    state: str  # pending | queued | cancelled | skipped
    destinations: dict[str, str]  # channel -> address or number
    created_at: datetime
    settled_at: datetime | None


class NotificationsExportResponse(BaseModel):
    notices: list[ExportedNotice]  # newest first
    reminders: list[ExportedReminder]
