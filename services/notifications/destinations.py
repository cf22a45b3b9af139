"""Which channels an appointment message goes to, and at which address (no I/O)."""

from collections.abc import Iterable

from shared.contracts.appointments import Channel, PatientContactV1


def address_for(patient: PatientContactV1, channel: Channel) -> str | None:
    return patient.email if channel == "email" else patient.phone


def destinations(patient: PatientContactV1, notify_channels: Iterable[Channel]) -> dict[Channel, str]:
    """Every preferred channel the patient has an address for; failing that, whichever contact exists
    (email first): a patient who asked for SMS but gave no number still hears about the appointment."""
    chosen: dict[Channel, str] = {}
    for channel in notify_channels:
        address = address_for(patient, channel)
        if address and channel not in chosen:
            chosen[channel] = address
    if chosen:
        return chosen
    for channel in ("email", "sms"):
        address = address_for(patient, channel)
        if address:
            return {channel: address}
    return {}
