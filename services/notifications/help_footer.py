"""The help link that ends every message, email or SMS, in the message's language (no I/O)."""

import functools

from services.notifications.rendering import render


def help_url(portal_base_url: str, language: str) -> str:
    """The portal's help section, opened in the message's language."""
    return f"{portal_base_url.rstrip('/')}/help?lang={language}"


@functools.lru_cache(maxsize=64)
def _footer(sms: bool, language: str, portal_base_url: str) -> str:
    # The same few texts for every message: rendered once each rather than once per send.
    template = "help_footer.sms" if sms else "help_footer"
    return render(template, language, {"help_url": help_url(portal_base_url, language)}).body


def with_help_footer(body: str, channel: str, language: str, portal_base_url: str) -> str:
    if language not in ("fr", "en"):
        language = "fr"  # an unexpected language must never stop a message from leaving
    sms = channel == "sms"
    footer = _footer(sms, language, portal_base_url)
    if sms:
        return f"{body.rstrip()} {footer}"
    return f"{body.rstrip()}\n\n{footer}\n"
