"""The appointments service's part of the citizen's export: the same appointments the account's history shows
(its own, those of linked accounts and shared children, and those booked without an account once a clinic
validated the person), with every column the export declares; the booker's contact only on the rows the account or
an account linked with it made (rules.BOOKER_CONTACT)."""

import uuid
from dataclasses import asdict
from typing import Any

from services.appointments.booking import queries as booking_queries
from services.appointments.export import queries
from services.appointments.export.rules import BOOKER_CONTACT, booked_by_someone_else
from services.appointments.export.schemas import (
    AppointmentsExportResponse,
    ExportedAppointment,
    ExportedPlace,
    ExportedService,
    ExportedWaitlistEntry,
    ExportedWaitlistOffer,
)
from services.appointments.history import queries as history_queries
from shared.unit_of_work import UnitOfWork

_JOINED = {"service_id", "name_fr", "name_en", "establishment_id", "name", "address", "city", "postal_code", "timezone"}
_BLANK = dict.fromkeys(BOOKER_CONTACT)


def _booker_kept(columns: dict[str, Any], owner: uuid.UUID | None, own: frozenset[uuid.UUID]) -> dict[str, Any]:
    return columns | _BLANK if booked_by_someone_else(owner, own) else columns


def _exported(
    row: queries.ExportedAppointmentRow, without_account: bool, own_accounts: frozenset[uuid.UUID]
) -> ExportedAppointment:
    columns = _booker_kept({k: v for k, v in asdict(row).items() if k not in _JOINED}, row.account_id, own_accounts)
    return ExportedAppointment(
        **columns,
        service=ExportedService(service_id=row.service_id, name_fr=row.name_fr, name_en=row.name_en),
        place=ExportedPlace(
            establishment_id=row.establishment_id,
            name=row.name,
            address=row.address,
            city=row.city,
            postal_code=row.postal_code,
            timezone=row.timezone,
        ),
        booked_without_account=without_account,
    )


def _entry(
    row: queries.WaitlistEntryRow, offers: list[ExportedWaitlistOffer], own_accounts: frozenset[uuid.UUID]
) -> ExportedWaitlistEntry:
    columns = {k: v for k, v in asdict(row).items() if k not in ("service_id", "name_fr", "name_en")}
    service = ExportedService(service_id=row.service_id, name_fr=row.name_fr, name_en=row.name_en)
    return ExportedWaitlistEntry(**_booker_kept(columns, row.account_id, own_accounts), service=service, offers=offers)


async def export_appointments(uow: UnitOfWork, account_id: uuid.UUID) -> AppointmentsExportResponse:
    async with uow:
        own = await booking_queries.appointments_of_account(uow.session, account_id)
        matched = await history_queries.matched_without_account(uow.session, account_id)
        validated = await history_queries.holder_validated(uow.session, account_id)
        own_accounts = await queries.link_group(uow.session, account_id)
        without_account = {row.id for row in matched}
        rows = await queries.exported_appointments(uow.session, [row.id for row in own] + list(without_account))
        entries = await queries.waitlist_entries(uow.session, account_id)
        offers = await queries.waitlist_offers(uow.session, [entry.id for entry in entries])
    offers_of: dict[uuid.UUID, list[ExportedWaitlistOffer]] = {}
    for offer in offers:
        offers_of.setdefault(offer.entry_id, []).append(ExportedWaitlistOffer(**asdict(offer)))
    return AppointmentsExportResponse(
        holder_validated=validated,
        appointments=[_exported(row, row.id in without_account, own_accounts) for row in rows],
        waitlist=[_entry(entry, offers_of.get(entry.id, []), own_accounts) for entry in entries],
    )
