"""The help link that ends every message, email or SMS, in the message's language (no I/O)."""

from services.notifications.rendering import render


def help_url(portal_base_url: str, language: str) -> str:
    """The portal's help section, opened in the message's language."""
    return f"{portal_base_url.rstrip('/')}/help?lang={language}"


def with_help_footer(body: str, channel: str, language: str, portal_base_url: str) -> str:
    if language not in ("fr", "en"):
        language = "fr"  # an unexpected language must never stop a message from leaving
    sms = channel == "sms"
    template = "help_footer.sms" if sms else "help_footer"
    footer = render(template, language, {"help_url": help_url(portal_base_url, language)})
    if sms:
        return f"{body.rstrip()} {footer.body}"
    return f"{body.rstrip()}\n\n{footer.body}\n"
