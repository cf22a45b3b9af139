"""Renders messages from templates, in the patient's language and the place's time zone (no I/O)."""

import functools
from datetime import datetime
from pathlib import Path
from urllib.parse import quote
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from services.notifications.rules import PLATFORM_TIMEZONE, RenderedMessage, help_url, mask_email, minutes_left
from shared.contracts.accounts import (
    Channel,
    CodePurpose,
    ContactChanged,
    HolderNoticeRequested,
    Language,
    StaffInvited,
    StaffRole,
)
from shared.contracts.verification import CodeIssued

_templates = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    undefined=StrictUndefined,
    autoescape=False,  # noqa: S701 - plain-text email bodies, never HTML
    keep_trailing_newline=True,
    # Templates ship with the code: no stat() of the file on every render to see whether it changed.
    auto_reload=False,
)
LOCALES = {"fr": "fr_CA", "en": "en_CA"}


# What a code is for, as the end of "Your verification code ..." in each language.
CODE_PURPOSES: dict[CodePurpose, dict[Language, str]] = {
    "activate_account": {"fr": "pour activer votre compte", "en": "to activate your account"},
    "reset_password": {"fr": "pour réinitialiser votre mot de passe", "en": "to reset your password"},
    "change_email": {"fr": "pour changer votre adresse courriel", "en": "to change your email address"},
    "change_phone": {"fr": "pour changer votre numéro de cellulaire", "en": "to change your mobile phone number"},
    "change_password": {"fr": "pour changer votre mot de passe", "en": "to change your password"},
    "change_nam": {
        "fr": "pour changer votre numéro d'assurance maladie",
        "en": "to change your health insurance number",
    },
}


STAFF_ROLES: dict[StaffRole, dict[Language, str]] = {
    "clerk": {"fr": "commis", "en": "clerk"},
    "manager": {"fr": "gestionnaire", "en": "manager"},
}


def render(template_name: str, language: str, context: dict[str, object]) -> RenderedMessage:
    """Email templates have a subject and a body block; SMS templates (`<kind>.sms`) only a body."""
    template = _templates.get_template(f"{template_name}.{language}.txt")
    ctx = template.new_context(context)
    if "subject" not in template.blocks:
        return RenderedMessage(subject="", body="".join(template.blocks["body"](ctx)).strip())
    subject = "".join(template.blocks["subject"](ctx)).strip()
    body = "".join(template.blocks["body"](ctx))
    return RenderedMessage(subject=subject, body=body)


def template_for(kind: str, channel: Channel) -> str:
    return kind if channel == "email" else f"{kind}.{channel}"


@functools.lru_cache(maxsize=4096)
def local_date_time(moment: datetime, timezone: str, language: str) -> tuple[str, str]:
    # Cached: babel's formatting is a good part of rendering, and many bookings share a slot's start time.
    local = moment.astimezone(ZoneInfo(timezone))
    locale = LOCALES[language]
    return format_date(local, format="full", locale=locale), format_time(local, format="short", locale=locale)


def manage_url(portal_base_url: str, appointment_id: object, action: str, token: str) -> str:
    """A portal link acting on one appointment, authorised by its manage token (no login needed)."""
    return f"{portal_base_url.rstrip('/')}/appointments/{appointment_id}/{action}?token={quote(token)}"


def cancel_url(portal_base_url: str, appointment_id: object, token: str) -> str:
    return manage_url(portal_base_url, appointment_id, "cancel", token)


def confirm_url(portal_base_url: str, appointment_id: object, token: str) -> str:
    return manage_url(portal_base_url, appointment_id, "confirm", token)


def calendar_url(portal_base_url: str, appointment_id: object, token: str) -> str:
    """The appointment as a calendar file (.ics), by the same token: a booking without an account has no other."""
    return manage_url(portal_base_url, appointment_id, "calendar.ics", token)


def verification_code(event: CodeIssued, now: datetime) -> RenderedMessage:
    return render(
        template_for("code_issued", event.channel),
        event.language,
        {
            "code": event.code,
            "purpose": CODE_PURPOSES[event.purpose][event.language],
            "minutes": minutes_left(event.expires_at, now),
        },
    )


def registration_attempt_notice(
    channel: Channel, language: Language, portal_base_url: str, staff_account: bool = False
) -> RenderedMessage:
    context = {"portal_url": portal_base_url, "staff_account": staff_account}
    return render(template_for("registration_attempted", channel), language, context)


def email_changed_notice(event: ContactChanged, portal_base_url: str) -> RenderedMessage:
    # Masked: the old address may no longer belong to the holder, and need not learn the new one.
    return render(
        "email_changed",
        event.language,
        {"new_address": mask_email(event.new_destination), "portal_url": portal_base_url},
    )


def account_deletion_confirmation(channel: Channel, language: Language) -> RenderedMessage:
    return render(template_for("account_deleted", channel), language, {})


def holder_notice(event: HolderNoticeRequested, portal_base_url: str) -> RenderedMessage:
    return render(
        template_for("holder_notice", event.channel),
        event.language,
        {
            "topic": event.topic,
            "linked_accounts": event.linked_accounts or 2,
            "patient_first_name": event.patient_first_name or "",
            "reason": event.reason or "",
            "portal_url": f"{portal_base_url.rstrip('/')}/account",
        },
    )


def invitation_url(portal_base_url: str, token: str) -> str:
    """The console's invitation page (the gateway's /admin/invitation), carrying the single-use token."""
    return f"{portal_base_url.rstrip('/')}/admin/invitation?token={quote(token)}"


def staff_invitation(event: StaffInvited, portal_base_url: str) -> RenderedMessage:
    """The e-mail inviting someone to the console: who invites, where (the establishment's name when accounts
    sends it, else "an establishment"), as what, the link and its expiry in Montréal time."""
    date, time = local_date_time(event.expires_at, PLATFORM_TIMEZONE, event.language)
    establishment = (event.establishment_name or "").strip()
    return render(
        "staff_invited",
        event.language,
        {
            "by_operator": event.invited_by_role == "operator",
            "establishment": establishment,
            "role": STAFF_ROLES[event.role][event.language],
            "invitation_url": invitation_url(portal_base_url, event.invitation_token),
            "date": date,
            "time": time,
        },
    )


@functools.lru_cache(maxsize=64)
def _footer(sms: bool, language: str, portal_base_url: str) -> str:
    # The same few texts for every message: rendered once each rather than once per send.
    template = "help_footer.sms" if sms else "help_footer"
    return render(template, language, {"help_url": help_url(portal_base_url, language)}).body


def with_help_footer(body: str, channel: str, language: str, portal_base_url: str) -> str:
    """The help link that ends every message, email or SMS, in the message's language."""
    if language not in ("fr", "en"):
        language = "fr"  # an unexpected language must never stop a message from leaving
    sms = channel == "sms"
    footer = _footer(sms, language, portal_base_url)
    if sms:
        return f"{body.rstrip()} {footer}"
    return f"{body.rstrip()}\n\n{footer}\n"
