"""The accounts service's part of the citizen's export: what each of its tables gives, and what it keeps back."""

from shared.export_coverage import (
    CREDENTIAL,
    KEYED_DIGEST,
    MESSAGING,
    NAM_MASKED,
    TECHNICAL,
    Coverage,
    NotPersonal,
    PersonalTable,
)

STAFF_TABLE = "clinic staff and their console access, not citizens: no citizen account holds any of it"

COVERAGE: Coverage = {
    **MESSAGING,
    "accounts": PersonalTable(
        owner="id",
        exported=(
            "id",
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
            "address",
            "city",
            "postal_code",
            "created_at",
        ),
        withheld={"nam_encrypted": NAM_MASKED, "nam_hmac": KEYED_DIGEST, "password_hash": CREDENTIAL},
    ),
    "dependants": PersonalTable(
        owner="account_id",
        exported=("id", "account_id", "first_name", "last_name", "birth_date", "sex", "created_at"),
        withheld={"nam_encrypted": NAM_MASKED, "nam_hmac": KEYED_DIGEST},
    ),
    "pending_changes": PersonalTable(
        owner="account_id",
        exported=("challenge_id", "account_id", "purpose", "channel", "destination", "created_at"),
        withheld={
            "new_value": "the value waiting for its code: a new password's hash or a sealed NAM (" + CREDENTIAL + ")",
            "new_code_from": "when a code may be sent again after too many wrong ones (" + TECHNICAL + ")",
        },
    ),
    "session_families": PersonalTable(
        owner="subject_id",
        exported=("id", "subject_id", "audience", "started_at", "revoked_at"),
        withheld={"establishment_id": "a staff session's establishment; always empty for a citizen"},
    ),
    "refresh_tokens": NotPersonal(
        "the sessions' rotating tokens, as digests (" + CREDENTIAL + "); sessions are exported"
    ),
    "session_revocations": NotPersonal("the gateway's list of sessions ended early (" + TECHNICAL + ")"),
    "decoy_challenges": NotPersonal(
        "codes asked where no account could be proven; the contact typed may be anybody's, sealed, and belongs to "
        "no account"
    ),
    "login_failures": NotPersonal("failed sign-in counters, forgotten after minutes (" + TECHNICAL + ")"),
    "staff_users": NotPersonal(STAFF_TABLE),
    "staff_roles": NotPersonal(STAFF_TABLE),
    "staff_invitations": NotPersonal(STAFF_TABLE),
    "staff_recovery_codes": NotPersonal(STAFF_TABLE),
    "staff_factor_challenges": NotPersonal(STAFF_TABLE),
    "account_link_groups": PersonalTable(owner=None, exported=("id", "created_at")),
    "account_links": PersonalTable(owner="account_id", exported=("account_id", "group_id")),
    "validated_dependants": PersonalTable(
        owner="account_id", exported=("person_id", "account_id"), withheld={"nam_hmac": KEYED_DIGEST}
    ),
}
