"""An account's history: what was booked from it, and, once a clinic validated the person, their bookings
made without an account.

A booking made without an account joins the history of an account only when its NAM AND its birth date
equal those of a person a clinic validated for that account, compared as one keyed digest of both
(shared.nam.identity_key) so neither field travels on the bus: the holder (IdentityValidated) or
a dependant whose association is validated (accounts' DependantIdentified, then AssociationValidated).
Never on a name. The keys live in `validated_people`; whether the person is validated right now is read
from identity_states / association_states at query time, so a revocation hides the matches at once, and a
booking made after the validation matches without any further event.
"""

import uuid
from datetime import UTC, datetime

from services.appointments.booking import queries as booking_queries
from services.appointments.booking.rules import AppointmentDetails
from services.appointments.booking.use_cases import appointment_response
from services.appointments.history import queries
from services.appointments.history.rules import STATES
from services.appointments.history.schemas import HistoryEntry, HistoryResponse
from shared.unit_of_work import UnitOfWork


def _entry(row: AppointmentDetails, source: str) -> HistoryEntry:
    return HistoryEntry(
        **appointment_response(row).model_dump(),
        state=STATES.get(row.status, "booked"),
        booked_without_account=source == "without_account",
    )


async def account_history(uow: UnitOfWork, account_id: uuid.UUID) -> HistoryResponse:
    """Everything the account may see, most recent first."""
    async with uow:
        own = await booking_queries.appointments_of_account(uow.session, account_id)
        matched = await queries.matched_without_account(uow.session, account_id)
        validated = await queries.holder_validated(uow.session, account_id)
    entries = [_entry(r, "account") for r in own] + [_entry(r, "without_account") for r in matched]
    entries.sort(key=lambda e: (e.starts_at, str(e.id)), reverse=True)
    return HistoryResponse(holder_validated=validated, generated_at=datetime.now(UTC), appointments=entries)
