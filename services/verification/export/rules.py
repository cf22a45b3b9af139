"""The verification service's part of the citizen's export: what each of its tables gives, and what it keeps back."""

from shared.export_coverage import (
    CREDENTIAL,
    KEYED_DIGEST,
    MESSAGING,
    STAFF_NOT_NAMED,
    TECHNICAL,
    Coverage,
    NotPersonal,
    PersonalTable,
    copy_of,
)

COVERAGE: Coverage = {
    **MESSAGING,
    "challenge_budgets": NotPersonal("the wrong-code budget shared by a chain of resent codes (" + TECHNICAL + ")"),
    "challenges": PersonalTable(
        owner="account_id",
        exported=("id", "account_id", "purpose", "channel", "status", "expires_at", "used_at", "created_at"),
        withheld={
            "destination_hmac": "where the code went, as a " + KEYED_DIGEST + " (the notices exported say where)",
            "destination_sealed": "the same address, sealed until the code is used, then erased (" + CREDENTIAL + ")",
            "code_hash": CREDENTIAL,
            "budget_id": TECHNICAL,
        },
    ),
    "wrong_codes": NotPersonal(
        "one row per wrong code, for the guessing limits, forgotten after a day (" + TECHNICAL + ")"
    ),
    "identity_validations": PersonalTable(
        owner="account_id",
        exported=("id", "account_id", "establishment_id", "validated_at", "invalidated_at", "invalidation_reason"),
        withheld={"staff_id": STAFF_NOT_NAMED, "fingerprint": KEYED_DIGEST, "nam_hmac": KEYED_DIGEST},
    ),
    "association_validations": PersonalTable(
        owner="account_id",
        exported=("id", "account_id", "person_id", "establishment_id", "validated_at", "revoked_at", "revoke_reason"),
        withheld={"staff_id": STAFF_NOT_NAMED},
    ),
    "association_requests": PersonalTable(
        owner="account_id",
        exported=(
            "id",
            "account_id",
            "person_id",
            "establishment_id",
            "appointment_id",
            "status",
            "reason",
            "requested_at",
            "decided_at",
        ),
        withheld={"decided_by": STAFF_NOT_NAMED},
    ),
    "audit_log": PersonalTable(
        owner="account_id",
        exported=("at", "establishment_id", "action", "account_id", "person_id", "actor_role"),
        withheld={
            "id": "the log's sequence number (" + TECHNICAL + ")",
            "actor": STAFF_NOT_NAMED + " (shown by actor_role)",
            "details": "the clinic's internal ids and reasons of the act",
        },
    ),
    "clinic_patients": NotPersonal(copy_of("appointments' bookings")),
}
