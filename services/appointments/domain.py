"""Booking rules, free of I/O."""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from shared.errors import DomainError

# FHIR R4 Appointment.status values this service uses.
BOOKED, CANCELLED, ARRIVED, FULFILLED, NOSHOW = "booked", "cancelled", "arrived", "fulfilled", "noshow"
CANCELLABLE = frozenset({BOOKED})


@dataclass(frozen=True)
class SlotState:
    starts_at: datetime
    capacity: int
    booked: int


def refusal_for(slot: SlotState | None, now: datetime) -> DomainError:
    """Why a seat could not be claimed on this slot (called only after the claim failed)."""
    if slot is None:
        return DomainError(422, "unknown_slot", "slot_id", "Ce créneau n'existe pas.", "This slot does not exist.")
    if slot.starts_at <= now:
        return DomainError(422, "slot_in_past", "slot_id", "Ce créneau est déjà passé.", "This slot is in the past.")
    if slot.booked >= slot.capacity:
        return DomainError(
            409,
            "slot_full",
            "slot_id",
            "Ce créneau est complet. Choisissez une autre heure.",
            "This slot is full. Please choose another time.",
        )
    return DomainError(
        409, "slot_unavailable", "slot_id", "Ce créneau n'est plus disponible.", "This slot is no longer available."
    )


def require_contact(email: str | None, phone: str | None) -> None:
    if not email and not phone:
        raise DomainError(
            422,
            "contact_required",
            "email",
            "Indiquez au moins un courriel ou un numéro de cellulaire.",
            "Give at least an email address or a mobile phone number.",
        )


def new_manage_token() -> tuple[str, str]:
    """A token for managing a booking made without an account, and the hash we keep of it."""
    token = secrets.token_urlsafe(24)
    return token, hash_manage_token(token)


def hash_manage_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_matches(token: str, stored_hash: str) -> bool:
    return secrets.compare_digest(hash_manage_token(token), stored_hash)


def cannot_cancel(status: str) -> DomainError:
    return DomainError(
        409,
        "not_cancellable",
        "status",
        f"Ce rendez-vous ne peut plus être annulé (état : {status}).",
        f"This appointment can no longer be cancelled (status: {status}).",
    )


APPOINTMENT_NOT_FOUND = DomainError(
    404, "appointment_not_found", "appointment_id", "Rendez-vous introuvable.", "Appointment not found."
)
