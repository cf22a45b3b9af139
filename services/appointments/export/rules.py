"""The appointments service's part of the citizen's export: what each of its tables gives, and what it keeps back."""

import uuid

from shared.export_coverage import (
    CREDENTIAL,
    KEYED_DIGEST,
    MESSAGING,
    NOT_ABOUT_PERSONS,
    STAFF_NOT_NAMED,
    TECHNICAL,
    Coverage,
    NotPersonal,
    PersonalTable,
    copy_of,
)

# A shared child's booking made by the other parent, or a booking made without an account that a clinic matched to
# the person, carries the contact of whoever booked it: another adult (or someone who did not give it to this
# account), whose current e-mail and mobile must not travel in this citizen's file (custody, domestic violence).
# The history never shows them; the patient, the time, the place and the status stay.
_BOOKERS = "of whoever booked it, exported only on the rows of the account and of the accounts linked with it"
BOOKER_CONTACT = {
    "email": "the e-mail " + _BOOKERS,
    "phone": "the mobile " + _BOOKERS,
    "holder_name": "the name of the adult who booked, " + _BOOKERS,
    "notify_email": "whether the booker asked for e-mail notices, " + _BOOKERS,
    "notify_sms": "whether the booker asked for SMS notices, " + _BOOKERS,
}


def booked_by_someone_else(owner: uuid.UUID | None, own_accounts: frozenset[uuid.UUID]) -> bool:
    """Whether a row the account sees was made from outside its link group (another parent's account, or no
    account at all): its booker's contact is then blanked."""
    return owner is None or owner not in own_accounts


COVERAGE: Coverage = {
    **MESSAGING,
    "establishments": NotPersonal(NOT_ABOUT_PERSONS),
    "services": NotPersonal(NOT_ABOUT_PERSONS),
    "slots": NotPersonal(NOT_ABOUT_PERSONS),
    "schedules": NotPersonal(NOT_ABOUT_PERSONS),
    "appointments": PersonalTable(
        owner="account_id",
        exported=(
            "id",
            "slot_id",
            "account_id",
            "person_id",
            "status",
            "first_name",
            "last_name",
            "birth_date",
            "sex",
            "email",
            "phone",
            "language",
            "notify_email",
            "notify_sms",
            "created_at",
            "confirmed_at",
            "arrived_at",
            "noshow_at",
            "cancelled_at",
            "holder_name",
            "source",
        ),
        withheld={
            "person_key": "the overlap rule's key: the person's id, or the contact exported beside it ("
            + TECHNICAL
            + ")",
            "during": "the slot's time as a range, exported as starts_at and ends_at",
            "idempotency_key": "the key the booking form sent, so a double submit books once (" + TECHNICAL + ")",
            "request_fingerprint": "a digest of the booking request, for the same purpose (" + TECHNICAL + ")",
            "manage_generation": "which manage link is current (" + TECHNICAL + ")",
            "identity_key": "NAM and birth date of a booking made without an account, as one " + KEYED_DIGEST,
            "booked_by_staff_id": STAFF_NOT_NAMED + " (the export says the clinic booked it: source 'admin')",
        },
        own_rows_only=BOOKER_CONTACT,
    ),
    "identity_states": NotPersonal(copy_of("verification's identity validations")),
    "association_states": NotPersonal(copy_of("verification's association validations")),
    "account_links": NotPersonal(copy_of("accounts' linked accounts")),
    "dependant_links": NotPersonal(copy_of("accounts' shared children")),
    "validated_people": NotPersonal(
        "who a clinic validated, reduced to a " + KEYED_DIGEST + "; the validations themselves are exported by "
        "verification"
    ),
    "waitlist_entries": PersonalTable(
        owner="account_id",
        exported=(
            "id",
            "service_id",
            "account_id",
            "person_id",
            "first_name",
            "last_name",
            "birth_date",
            "sex",
            "holder_name",
            "email",
            "phone",
            "language",
            "notify_email",
            "notify_sms",
            "from_date",
            "to_date",
            "times_of_day",
            "status",
            "joined_at",
            "changed_at",
            "ended_reason",
        ),
        withheld={
            "person_key": "the one-entry-per-person rule's key: the person's id or the contact exported beside it",
            "email_key": "the one-entry-per-destination rule's key: the e-mail exported beside it, lower-cased",
            "phone_key": "the one-entry-per-destination rule's key: the mobile exported beside it",
            "source_hmac": "the client address an entry without an account came from, as a " + KEYED_DIGEST,
            "token_hash": "the digest of an entry's link made without an account (" + CREDENTIAL + ")",
            "idempotency_key": "the key the form sent, so a double submit joins once (" + TECHNICAL + ")",
            "request_fingerprint": "a digest of the request, for the same purpose (" + TECHNICAL + ")",
        },
        own_rows_only=BOOKER_CONTACT,
    ),
    "waitlist_offers": PersonalTable(
        owner=None,  # through its entry
        exported=("id", "entry_id", "slot_id", "status", "offered_at", "expires_at", "closed_at", "appointment_id"),
        withheld={"token_hash": "the digest of the offer link's token (" + CREDENTIAL + ")"},
    ),
    "booking_sources": NotPersonal("bookings without an account counted per hour and client address, as keyed digests"),
}
