"""The notifications service's part of the citizen's export: what each of its tables gives, and what it keeps back."""

from shared.export_coverage import CREDENTIAL, MESSAGING, TECHNICAL, Coverage, NotPersonal, PersonalTable, copy_of

COVERAGE: Coverage = {
    **MESSAGING,
    "deliveries": PersonalTable(
        owner="account_id",
        exported=(
            "id",
            "kind",
            "channel",
            "recipient",
            "account_id",
            "language",
            "subject",
            "status",
            "attempts",
            "created_at",
            "sent_at",
        ),
        withheld={
            "event_id": "the event that asked for the message (" + TECHNICAL + ")",
            "body": "blanked once sent: it can hold a manage link's token or a code (" + CREDENTIAL + ")",
            "next_attempt_at": "when a failed send is tried again (" + TECHNICAL + ")",
            "last_error": "the provider's error text for a failed send (" + TECHNICAL + ")",
            "provider_message_id": "the SMS or mail provider's id of the message (" + TECHNICAL + ")",
        },
    ),
    "reminders": PersonalTable(
        owner="account_id",
        exported=(
            "id",
            "appointment_id",
            "account_id",
            "offset_minutes",
            "starts_at",
            "local_day",
            "due_at",
            "state",
            "destinations",
            "created_at",
            "settled_at",
        ),
        withheld={
            "source_event_id": "the event that planned it (" + TECHNICAL + ")",
            "details": copy_of("appointments (names, service, place at booking time)"),
            "manage_token": "the confirm and cancel links' token, erased once sent (" + CREDENTIAL + ")",
        },
    ),
    "reminder_deliveries": NotPersonal(
        "which reminders a grouped reminder message lists, ids only (" + TECHNICAL + "); the notices are exported"
    ),
    "appointment_versions": NotPersonal("the latest appointment event applied, ids and times only (" + TECHNICAL + ")"),
}
