"""Responses of the front desk: the Suivi list's entries."""

import uuid
from datetime import date
from typing import Literal

from services.appointments.booking.schemas import AppointmentResponse, Sex


class DayListEntry(AppointmentResponse):
    """One row of the admin Suivi list."""

    account_id: uuid.UUID | None = None  # who booked; the console needs it (and person_id) to call verification
    # What the booking shared with the clinic, shown in the identity and association windows.
    birth_date: date | None = None
    holder_name: str | None = None
    sex: Sex | None = None  # the patient's as entered in the account; none for a booking without one
    booked_with_account: bool  # both icons are grey when False
    # "admin" when staff booked it for a caller (who then cancel or move it for them), "web" otherwise.
    source: Literal["web", "admin"] = "web"
    # Profile icon: the account holder's identity validated by a clinic (green) or not yet (red).
    profile_icon: Literal["grey", "red", "green"]
    # Card icon: the patient's association with the account validated (green) or not (red);
    # for the holder's own booking it follows the profile icon.
    card_icon: Literal["grey", "red", "green"]
