"""Every message ends with a link to the portal's help section, in the message's language."""

from services.notifications.rendering import with_help_footer
from services.notifications.rules import help_url

PORTAL = "https://rendezvous-sante.example/"


def test_the_link_opens_the_help_in_the_messages_language():
    assert help_url(PORTAL, "fr") == "https://rendezvous-sante.example/help?lang=fr"
    assert help_url("http://127.0.0.1:8000", "en") == "http://127.0.0.1:8000/help?lang=en"


def test_an_email_gets_the_footer_after_a_blank_line():
    body = with_help_footer("Bonjour,\n\nVotre rendez-vous est confirmé.\n", "email", "fr", PORTAL)
    assert body == (
        "Bonjour,\n\nVotre rendez-vous est confirmé.\n\n"
        "Aide et questions fréquentes (compte, NAM, famille, soutien) :\n"
        "https://rendezvous-sante.example/help?lang=fr\n"
    )
    english = with_help_footer("Hello,\n", "email", "en", PORTAL)
    assert english.endswith(
        "Help and frequently asked questions (account, NAM, family, support):\n"
        "https://rendezvous-sante.example/help?lang=en\n"
    )


def test_an_sms_gets_a_short_footer_on_the_same_line():
    assert with_help_footer("Rendez-vous santé – RDV confirmé.", "sms", "fr", PORTAL) == (
        "Rendez-vous santé – RDV confirmé. Aide : https://rendezvous-sante.example/help?lang=fr"
    )
    assert with_help_footer("Appointment confirmed.", "sms", "en", PORTAL).endswith(
        " Help: https://rendezvous-sante.example/help?lang=en"
    )


def test_an_unknown_language_still_gets_a_footer():
    assert with_help_footer("Bonjour", "sms", "de", PORTAL).endswith("/help?lang=fr")
