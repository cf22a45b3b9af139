"""The citizen's export ("Mes données" / "My data", Québec Law 25's portability): the one document of everything
the platform holds about an account and its family, composed here from each service's own part.

Each service answers GET /my/export for the caller's citizen token with what its own database holds (its
export/rules.py says, table by table, what it gives and what it withholds and why); the gateway asks the four at
once, adds the names of the establishments the validations name, and checks the whole against `MyDataExport`,
whose JSON Schema is published (docs/export.schema.json, python -m devstack.export_schema, /api/export-schema).
No service reads another's data, and nothing is stored: the document is assembled for each download.

The download link is signed here (HMAC-SHA256 with GATEWAY_SECRET_KEY) over the account, the session (the
access token's `sid`, which refreshes keep) and an expiry 15 minutes on: another account, another session, a
changed expiry or a forged signature is refused, and the link dies with the session (a sign-out, a password
change, the account's deletion).
"""

import asyncio
import base64
import binascii
import hashlib
import hmac
import json
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Final, Literal

import jwt
from pydantic import BaseModel, ConfigDict, Field

from gateway.auth import Principal
from gateway.proxy import Proxy, UpstreamUnavailable
from gateway.upstreams.base import UpstreamRefusal, errors_of

FORMAT: Final = "rendezvous-sante/my-data"
VERSION: Final = 1
LINK_SECONDS = 15 * 60
PARTS = ("accounts", "appointments", "verification", "notifications")
MOST_APPOINTMENTS = 5000  # what verification's record-access composition takes at once


class Strict(BaseModel):
    # additionalProperties: false in the schema: a field a service adds without the document knowing is refused.
    model_config = ConfigDict(extra="forbid")


# --- accounts ---


class Profile(Strict):
    id: uuid.UUID
    status: str = Field(description="pending (contact not yet proven) | active")
    first_name: str
    last_name: str
    birth_date: date
    sex: str = Field(description="F | M | X, as entered")
    nam: str | None = Field(description="Health insurance number, masked: only its last four characters")
    email: str | None
    phone: str | None
    language: str
    notify_email: bool
    notify_sms: bool
    address: str | None
    city: str | None
    postal_code: str | None
    created_at: datetime


class Dependant(Strict):
    id: uuid.UUID
    account_id: uuid.UUID
    first_name: str
    last_name: str
    birth_date: date
    sex: str
    nam: str | None = Field(description="Masked: only its last four characters")
    created_at: datetime


class PendingChange(Strict):
    challenge_id: uuid.UUID
    account_id: uuid.UUID
    purpose: str
    channel: str
    destination: str
    created_at: datetime


class Session(Strict):
    id: uuid.UUID
    subject_id: uuid.UUID
    audience: str
    started_at: datetime
    revoked_at: datetime | None


class LinkGroup(Strict):
    """Accounts carrying the same NAM, linked once a clinic validated one of them: one citizen."""

    id: uuid.UUID
    created_at: datetime
    account_ids: list[uuid.UUID]


class ValidatedDependant(Strict):
    person_id: uuid.UUID
    account_id: uuid.UUID


class AccountPart(Strict):
    profile: Profile
    dependants: list[Dependant]
    pending_changes: list[PendingChange]
    sessions: list[Session] = Field(description="Sign-ins to the portal, newest first")
    link_group: LinkGroup | None
    validated_dependants: list[ValidatedDependant]


# --- appointments ---


class Service(Strict):
    service_id: uuid.UUID
    name_fr: str
    name_en: str


class Place(Strict):
    establishment_id: uuid.UUID
    name: str
    address: str
    city: str
    postal_code: str
    timezone: str


class Appointment(Strict):
    id: uuid.UUID
    slot_id: uuid.UUID
    account_id: uuid.UUID | None
    person_id: uuid.UUID | None
    status: str = Field(description="FHIR R4 Appointment.status")
    starts_at: datetime
    ends_at: datetime
    service: Service
    place: Place
    first_name: str
    last_name: str
    birth_date: date | None
    sex: str | None
    # The booker's contact: null when another account (a shared child's other parent) or no account booked it.
    email: str | None
    phone: str | None
    language: str  # as the history shows it
    notify_email: bool | None
    notify_sms: bool | None
    holder_name: str | None
    source: str = Field(description="web: booked by the citizen; admin: booked by the clinic for them")
    created_at: datetime
    confirmed_at: datetime | None
    arrived_at: datetime | None
    noshow_at: datetime | None
    cancelled_at: datetime | None
    booked_without_account: bool


class WaitlistOffer(Strict):
    id: uuid.UUID
    entry_id: uuid.UUID
    slot_id: uuid.UUID
    status: str = Field(description="open | accepted | declined | expired")
    starts_at: datetime
    ends_at: datetime
    offered_at: datetime
    expires_at: datetime
    closed_at: datetime | None
    appointment_id: uuid.UUID | None


class WaitlistEntry(Strict):
    id: uuid.UUID
    service: Service
    establishment_id: uuid.UUID
    establishment_name: str
    account_id: uuid.UUID | None
    person_id: uuid.UUID | None
    first_name: str
    last_name: str
    birth_date: date | None
    sex: str | None
    # The booker's contact: null when another account (a shared child's other parent) or no account made it.
    holder_name: str | None
    email: str | None
    phone: str | None
    language: str
    notify_email: bool | None
    notify_sms: bool | None
    from_date: date
    to_date: date
    times_of_day: list[str]
    status: str = Field(description="waiting | offered | booked | left | ended")
    joined_at: datetime
    changed_at: datetime
    ended_reason: str | None = Field(
        description="Why an ended entry ended: dates_passed | offers_unanswered (two offers expired without an "
        "answer) | dependant_removed; null unless ended"
    )
    offers: list[WaitlistOffer]


class AppointmentsPart(Strict):
    holder_validated: bool
    appointments: list[Appointment] = Field(description="The account's history, most recent first")
    waitlist: list[WaitlistEntry]


# --- verification ---


class CodeSent(Strict):
    id: uuid.UUID
    account_id: uuid.UUID
    purpose: str
    channel: str
    status: str
    expires_at: datetime
    used_at: datetime | None
    created_at: datetime


class IdentityValidation(Strict):
    id: uuid.UUID
    account_id: uuid.UUID
    establishment_id: uuid.UUID
    validated_at: datetime
    invalidated_at: datetime | None
    invalidation_reason: str | None


class AssociationValidation(Strict):
    id: uuid.UUID
    account_id: uuid.UUID
    person_id: uuid.UUID
    establishment_id: uuid.UUID
    validated_at: datetime
    revoked_at: datetime | None
    revoke_reason: str | None


class AssociationRequest(Strict):
    id: uuid.UUID
    account_id: uuid.UUID
    person_id: uuid.UUID
    establishment_id: uuid.UUID
    appointment_id: uuid.UUID
    status: str
    reason: str | None
    requested_at: datetime
    decided_at: datetime | None


class AuditEntry(Strict):
    at: datetime
    establishment_id: uuid.UUID | None
    action: str
    account_id: uuid.UUID | None
    person_id: uuid.UUID | None
    actor_role: str | None = Field(description="Staff are shown by role, never by name")


class RecordAccess(Strict):
    """A clinic's access recorded in the audit log that concerns the account's people (as /account/record-access
    shows it): where, what, when, and the staff's role, never who."""

    id: int
    at: datetime
    action: str
    establishment_id: uuid.UUID | None
    staff_role: str | None
    appointment_ids: list[uuid.UUID]
    person_id: uuid.UUID | None


class VerificationPart(Strict):
    codes: list[CodeSent] = Field(description="6-digit codes sent (never the code)")
    identity_validations: list[IdentityValidation]
    association_validations: list[AssociationValidation]
    association_requests: list[AssociationRequest]
    audit: list[AuditEntry]
    record_access: list[RecordAccess] = Field(
        description="Who read my record: the audit rows about the account's appointments and validations"
    )


# --- notifications ---


class Notice(Strict):
    id: uuid.UUID
    kind: str
    channel: str
    recipient: str
    account_id: uuid.UUID | None
    language: str
    subject: str
    status: str
    attempts: int
    created_at: datetime
    sent_at: datetime | None


class Reminder(Strict):
    id: uuid.UUID
    appointment_id: uuid.UUID
    account_id: uuid.UUID | None
    offset_minutes: int
    starts_at: datetime
    local_day: date
    due_at: datetime
    state: str
    destinations: dict[str, str]
    created_at: datetime
    settled_at: datetime | None


class NotificationsPart(Strict):
    notices: list[Notice] = Field(description="Messages sent about the account, newest first, without their bodies")
    reminders: list[Reminder]


class Establishment(Strict):
    id: uuid.UUID
    name: str
    address: str
    city: str
    postal_code: str


class MyDataExport(Strict):
    """Everything the platform holds about a citizen account and its family, as of `generated_at`."""

    model_config = ConfigDict(extra="forbid", title="Rendez-vous santé: my data")

    format: Literal["rendezvous-sante/my-data"] = FORMAT
    version: Literal[1] = VERSION
    generated_at: datetime
    language: Literal["fr", "en"]
    account: AccountPart
    appointments: AppointmentsPart
    verification: VerificationPart
    notifications: NotificationsPart
    establishments: list[Establishment] = Field(
        description="The establishments the validations, requests and record accesses name"
    )


def export_schema() -> dict[str, Any]:
    schema = MyDataExport.model_json_schema(mode="serialization")
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": "/api/export-schema", **schema}


# --- composing ---


async def _part(proxy: Proxy, service: str, principal: Principal) -> Any:
    answer = await proxy.request(service, "GET", "/my/export", identity=principal.identity_headers())
    if answer.status != 200:
        raise UpstreamRefusal(answer.status, errors_of(answer))
    return answer.json()


async def _establishments(proxy: Proxy, ids: set[str]) -> list[dict[str, Any]]:
    """Names of the establishments the validations and requests name (verification keeps ids only), from the
    public list, a page at a time until all are found."""
    found: dict[str, dict[str, Any]] = {}
    offset = 0
    while ids - found.keys() and offset < 10_000:
        answer = await proxy.request("appointments", "GET", "/establishments", query=f"limit=100&offset={offset}")
        if answer.status != 200:
            raise UpstreamRefusal(answer.status, errors_of(answer))
        page = answer.json()
        for place in page:
            if place["id"] in ids:
                found[place["id"]] = {k: place[k] for k in ("id", "name", "address", "city", "postal_code")}
        if len(page) < 100:
            break
        offset += 100
    return [found[i] for i in sorted(found)]


async def _record_access(proxy: Proxy, principal: Principal, appointment_ids: list[str]) -> list[Any]:
    entries: dict[int, Any] = {}
    for start in range(0, max(len(appointment_ids), 1), MOST_APPOINTMENTS):
        answer = await proxy.call_json(
            "verification",
            "POST",
            "/composed/record-access",
            {"appointment_ids": appointment_ids[start : start + MOST_APPOINTMENTS]},
            identity=principal.identity_headers(),
        )
        if answer.status != 200:
            raise UpstreamRefusal(answer.status, errors_of(answer))
        entries |= {entry["id"]: entry for entry in answer.json()["entries"]}
    return [entries[i] for i in sorted(entries, reverse=True)]


async def compose(proxy: Proxy, principal: Principal, language: str) -> MyDataExport:
    """Raises UpstreamRefusal (the account is gone: 404; the session: 401) or UpstreamUnavailable."""
    accounts, appointments, verification, notifications = await asyncio.gather(
        *(_part(proxy, service, principal) for service in PARTS)
    )
    # Verification knows which audit rows name which appointments; appointments alone knows which the account sees.
    verification["record_access"] = await _record_access(
        proxy, principal, [a["id"] for a in appointments["appointments"]]
    )
    named = {
        str(row["establishment_id"])
        for key in ("identity_validations", "association_validations", "association_requests", "record_access")
        for row in verification[key]
        if row["establishment_id"] is not None
    }
    places = {a["place"]["establishment_id"]: a["place"] for a in appointments["appointments"]}
    missing = named - places.keys()
    establishments = await _establishments(proxy, missing) if missing else []
    establishments += [
        {"id": i, **{k: places[i][k] for k in ("name", "address", "city", "postal_code")}}
        for i in named & places.keys()
    ]
    return MyDataExport(
        generated_at=datetime.now(UTC),
        language="en" if language == "en" else "fr",
        account=accounts,
        appointments=appointments,
        verification=verification,
        notifications=notifications,
        establishments=sorted(establishments, key=lambda e: str(e["id"])),
    )


# --- the signed link ---


@dataclass(frozen=True)
class ExportLink:
    account_id: str
    session_id: str
    expires_at: int  # Unix seconds


class LinkExpired(Exception):  # noqa: N818 - reads better at the raise site
    pass


class LinkForeign(Exception):  # noqa: N818
    """Forged, or for another account or another session."""


def session_of(principal: Principal) -> str:
    """The access token's session (`sid`): already verified by the page's dependency, only read here."""
    claims = jwt.decode(principal.token, options={"verify_signature": False})
    return str(claims.get("sid") or "")


def _signature(key: bytes, body: str) -> str:
    digest = hmac.new(key, b"my-data-export-link:" + body.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def sign_link(key: bytes, principal: Principal, now: float | None = None) -> tuple[str, int]:
    """(the link's token, its expiry in Unix seconds)."""
    expires_at = int(now if now is not None else time.time()) + LINK_SECONDS
    body = json.dumps([principal.subject, session_of(principal), expires_at], separators=(",", ":"))
    encoded = base64.urlsafe_b64encode(body.encode()).rstrip(b"=").decode()
    return f"{encoded}.{_signature(key, encoded)}", expires_at


def check_link(key: bytes, token: str, principal: Principal, now: float | None = None) -> ExportLink:
    encoded, _, signature = token.partition(".")
    # As bytes: compare_digest refuses a str holding a non-ASCII character (a TypeError, so a 500).
    if not hmac.compare_digest(_signature(key, encoded).encode(), signature.encode("utf-8", "replace")):
        raise LinkForeign
    try:
        account_id, session_id, expires_at = json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
    except (ValueError, TypeError, binascii.Error):
        raise LinkForeign from None
    if account_id != principal.subject or session_id != session_of(principal):
        raise LinkForeign
    if int(expires_at) <= (now if now is not None else time.time()):
        raise LinkExpired
    return ExportLink(str(account_id), str(session_id), int(expires_at))


__all__ = ["MyDataExport", "UpstreamUnavailable", "check_link", "compose", "export_schema", "sign_link"]
