"""Responses of the account's history."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel

from services.appointments.booking.schemas import AppointmentResponse


class HistoryEntry(AppointmentResponse):
    state: Literal["booked", "attended", "cancelled", "noshow"]
    # Joined the history through a clinic's validation of the person (managed with its own link, not here).
    booked_without_account: bool


class HistoryResponse(BaseModel):
    holder_validated: bool  # until a clinic validates the holder, only what was booked from the account
    generated_at: datetime
    appointments: list[HistoryEntry]  # most recent first
