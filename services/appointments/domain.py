"""Booking rules, free of I/O."""

import base64
import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.errors import ApiError

# FHIR R4 Appointment.status values this service uses.
BOOKED, CANCELLED, ARRIVED, FULFILLED, NOSHOW = "booked", "cancelled", "arrived", "fulfilled", "noshow"
CANCELLABLE = frozenset({BOOKED})
MOVABLE = frozenset({BOOKED})
# Where staff may move an appointment from each state (FHIR R4 names).
ATTENDANCE = {ARRIVED: frozenset({BOOKED}), NOSHOW: frozenset({BOOKED}), FULFILLED: frozenset({ARRIVED})}


@dataclass(frozen=True)
class SlotState:
    starts_at: datetime
    capacity: int
    booked: int


def refusal_for(slot: SlotState | None, now: datetime) -> ApiError:
    """Why a seat could not be claimed on this slot (called only after the claim failed)."""
    if slot is None:
        return ApiError(422, "unknown_slot", "slot_id", "Ce créneau n'existe pas.", "This slot does not exist.")
    if slot.starts_at <= now:
        return ApiError(422, "slot_in_past", "slot_id", "Ce créneau est déjà passé.", "This slot is in the past.")
    if slot.booked >= slot.capacity:
        return ApiError(
            409,
            "slot_full",
            "slot_id",
            "Ce créneau est complet. Choisissez une autre heure.",
            "This slot is full. Please choose another time.",
        )
    return ApiError(
        409, "slot_unavailable", "slot_id", "Ce créneau n'est plus disponible.", "This slot is no longer available."
    )


# A manage link works until a day after the appointment's start: long enough to download the .ics or read the
# outcome afterwards, not forever.
MANAGE_LINK_LIFETIME_AFTER_START = timedelta(days=1)
# States in which a manage link no longer acts on the appointment: cancelled, it is over.
LINK_ENDED = frozenset({CANCELLED})


def manage_token(secret: bytes, appointment_id: uuid.UUID, generation: int = 0) -> str:
    """The capability in confirmation links: derived, so an idempotent replay can show it again. Each
    reschedule moves the appointment to its next generation, whose token differs (generation 0 is the one
    every booking is first sent)."""
    message = b"manage:" + appointment_id.bytes + (generation.to_bytes(4, "big") if generation else b"")
    digest = hmac.new(secret, message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:24]).decode()


def token_matches(secret: bytes, appointment_id: uuid.UUID, token: str, generation: int = 0) -> bool:
    # As bytes: compare_digest refuses a str with anything but ASCII, and a link's token is whatever was sent.
    expected = manage_token(secret, appointment_id, generation).encode()
    return hmac.compare_digest(expected, token.encode("utf-8", "surrogatepass"))


def manage_link_valid(status: str, starts_at: datetime, now: datetime) -> bool:
    """A manage token acts only on a live appointment, and only until a day after its start."""
    return status not in LINK_ENDED and now <= starts_at + MANAGE_LINK_LIFETIME_AFTER_START


def person_key(person_id: uuid.UUID | None, email: str | None, phone: str | None) -> str:
    """Who the patient is for the no-overlap rule."""
    if person_id is not None:
        return f"person:{person_id}"
    return f"email:{email.lower()}" if email else f"phone:{phone}"


def request_fingerprint(payload: dict[str, object]) -> str:
    """Identifies what an Idempotency-Key was first used for."""
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


IDEMPOTENCY_KEY_REUSED = ApiError(
    422,
    "idempotency_key_reused",
    "Idempotency-Key",
    "Cette clé d'idempotence a déjà servi pour une autre réservation.",
    "This Idempotency-Key was already used for a different booking.",
)
OVERLAPPING = ApiError(
    409,
    "overlapping_appointment",
    "slot_id",
    "Cette personne a déjà un rendez-vous à ce moment-là.",
    "This person already has an appointment at that time.",
)


def cannot_cancel(status: str) -> ApiError:
    return ApiError(
        409,
        "not_cancellable",
        "status",
        f"Ce rendez-vous ne peut plus être annulé (état : {status}).",
        f"This appointment can no longer be cancelled (status: {status}).",
    )


def cannot_move(status: str) -> ApiError:
    return ApiError(
        409,
        "not_movable",
        "status",
        f"Ce rendez-vous ne peut plus être déplacé (état : {status}).",
        f"This appointment can no longer be rescheduled (status: {status}).",
    )


def wrong_attendance(status: str, wanted: str) -> ApiError:
    return ApiError(
        409,
        "attendance_not_allowed",
        "status",
        f"Impossible de passer de « {status} » à « {wanted} ».",
        f"Cannot go from '{status}' to '{wanted}'.",
    )


APPOINTMENT_NOT_FOUND = ApiError(
    404, "appointment_not_found", "appointment_id", "Rendez-vous introuvable.", "Appointment not found."
)
