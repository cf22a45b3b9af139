"""The appointments service's SQL for the citizen's export: every column the export carries of an appointment."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

EXPORTED_APPOINTMENTS = text("""
SELECT a.id, a.slot_id, a.account_id, a.person_id, a.status, a.first_name, a.last_name, a.birth_date, a.sex,
       a.email, a.phone, a.language, a.notify_email, a.notify_sms, a.created_at, a.confirmed_at, a.arrived_at,
       a.noshow_at, a.cancelled_at, a.holder_name, a.source,
       s.starts_at, s.ends_at, sv.id AS service_id, sv.name_fr, sv.name_en,
       e.id AS establishment_id, e.name, e.address, e.city, e.postal_code, e.timezone
FROM appointments a JOIN slots s ON s.id = a.slot_id JOIN services sv ON sv.id = s.service_id
JOIN establishments e ON e.id = sv.establishment_id
WHERE a.id = ANY(:ids)
ORDER BY s.starts_at DESC, a.id
""")


@dataclass(frozen=True)
class ExportedAppointmentRow:
    id: uuid.UUID
    slot_id: uuid.UUID
    account_id: uuid.UUID | None
    person_id: uuid.UUID | None
    status: str
    first_name: str
    last_name: str
    birth_date: date | None
    sex: str | None
    email: str | None
    phone: str | None
    language: str
    notify_email: bool
    notify_sms: bool
    created_at: datetime
    confirmed_at: datetime | None
    arrived_at: datetime | None
    noshow_at: datetime | None
    cancelled_at: datetime | None
    holder_name: str | None
    source: str
    starts_at: datetime
    ends_at: datetime
    service_id: uuid.UUID
    name_fr: str
    name_en: str
    establishment_id: uuid.UUID
    name: str
    address: str
    city: str
    postal_code: str
    timezone: str


# The entries the account made, and those of the accounts linked with it and of its shared children, as for
# appointments (booking/queries.py's APPOINTMENTS_OF_ACCOUNT).
WAITLIST_ENTRIES = text("""
SELECT w.id, w.service_id, w.account_id, w.person_id, w.first_name, w.last_name, w.birth_date, w.sex, w.holder_name,
       w.email, w.phone, w.language, w.notify_email, w.notify_sms, w.from_date, w.to_date, w.times_of_day, w.status,
       w.joined_at, w.changed_at, w.ended_reason, sv.name_fr, sv.name_en, e.id AS establishment_id,
       e.name AS establishment_name
FROM waitlist_entries w JOIN services sv ON sv.id = w.service_id JOIN establishments e ON e.id = sv.establishment_id
WHERE w.account_id = ANY (ARRAY(
    SELECT CAST(:account_id AS uuid) UNION
    SELECT m.account_id FROM account_links l JOIN account_links m ON m.group_id = l.group_id
    WHERE l.account_id = :account_id))
  OR w.person_id = ANY (ARRAY(
    SELECT m.person_id FROM dependant_links l JOIN dependant_links m ON m.group_id = l.group_id
    WHERE l.account_id = :account_id))
ORDER BY w.joined_at DESC, w.id
""")
WAITLIST_OFFERS = text("""
SELECT o.id, o.entry_id, o.slot_id, o.status, o.offered_at, o.expires_at, o.closed_at, o.appointment_id,
       s.starts_at, s.ends_at
FROM waitlist_offers o JOIN slots s ON s.id = o.slot_id
WHERE o.entry_id = ANY(:entry_ids)
ORDER BY o.offered_at, o.id
""")


@dataclass(frozen=True)
class WaitlistEntryRow:
    id: uuid.UUID
    service_id: uuid.UUID
    account_id: uuid.UUID | None
    person_id: uuid.UUID | None
    first_name: str
    last_name: str
    birth_date: date | None
    sex: str | None
    holder_name: str | None
    email: str | None
    phone: str | None
    language: str
    notify_email: bool
    notify_sms: bool
    from_date: date
    to_date: date
    times_of_day: list[str]
    status: str
    joined_at: datetime
    changed_at: datetime
    ended_reason: str | None
    name_fr: str
    name_en: str
    establishment_id: uuid.UUID
    establishment_name: str


@dataclass(frozen=True)
class WaitlistOfferRow:
    id: uuid.UUID
    entry_id: uuid.UUID
    slot_id: uuid.UUID
    status: str
    offered_at: datetime
    expires_at: datetime
    closed_at: datetime | None
    appointment_id: uuid.UUID | None
    starts_at: datetime
    ends_at: datetime


# The account and the accounts linked with it by the NAM: the same citizen, whose own contact its rows carry.
LINK_GROUP = text("""
SELECT CAST(:account_id AS uuid) UNION
SELECT m.account_id FROM account_links l JOIN account_links m ON m.group_id = l.group_id
WHERE l.account_id = :account_id
""")


async def link_group(session: AsyncSession, account_id: uuid.UUID) -> frozenset[uuid.UUID]:
    return frozenset((await session.execute(LINK_GROUP, {"account_id": account_id})).scalars())


async def waitlist_entries(session: AsyncSession, account_id: uuid.UUID) -> list[WaitlistEntryRow]:
    rows = (await session.execute(WAITLIST_ENTRIES, {"account_id": account_id})).all()
    return [WaitlistEntryRow(**row._mapping) for row in rows]


async def waitlist_offers(session: AsyncSession, entry_ids: Sequence[uuid.UUID]) -> list[WaitlistOfferRow]:
    rows = (await session.execute(WAITLIST_OFFERS, {"entry_ids": list(entry_ids)})).all()
    return [WaitlistOfferRow(**row._mapping) for row in rows]


async def exported_appointments(session: AsyncSession, ids: Sequence[uuid.UUID]) -> list[ExportedAppointmentRow]:
    rows = (await session.execute(EXPORTED_APPOINTMENTS, {"ids": list(ids)})).all()
    return [ExportedAppointmentRow(**row._mapping) for row in rows]
