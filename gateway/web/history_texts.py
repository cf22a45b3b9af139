"""Wording of the account's appointment history (French first)."""

from gateway.web.french import typeset

HISTORY_TEXTS: dict[str, dict[str, str]] = {
    "fr": {
        "title": "Historique de mes rendez-vous",
        "link": "Historique complet de mes rendez-vous",
        "intro_validated": (
            "Tous vos rendez-vous au même endroit\u00a0: ceux pris depuis votre compte et, depuis qu'un établissement "
            "de santé a validé votre identité, ceux pris sans compte avec votre numéro d'assurance maladie et votre "
            "date de naissance (et ceux des personnes dont l'association à votre compte est validée)."
        ),
        "intro_pending": (
            "Seuls les rendez-vous pris depuis votre compte sont affichés. Ceux pris sans compte s'ajouteront "
            "lorsqu'un établissement de santé aura validé votre identité."
        ),
        "none": "Aucun rendez-vous.",
        "when": "Date",
        "patient": "Patient",
        "service": "Service",
        "place": "Lieu",
        "state": "État",
        "without_account": "pris sans compte",
        "state_booked": "Réservé",
        "state_attended": "Présent",
        "state_cancelled": "Annulé",
        "state_noshow": "Absent",
        "pdf": "Télécharger en PDF",
        "ics": "Télécharger pour mon calendrier (.ics)",
    },
    "en": {
        "title": "My appointment history",
        "link": "Full history of my appointments",
        "intro_validated": (
            "All your appointments in one place: those booked from your account and, since a health establishment "
            "validated your identity, those booked without an account with your health insurance number and birth "
            "date (and those of the people whose association with your account is validated)."
        ),
        "intro_pending": (
            "Only appointments booked from your account are shown. Those booked without an account will be added "
            "once a health establishment has validated your identity."
        ),
        "none": "No appointments.",
        "when": "Date",
        "patient": "Patient",
        "service": "Service",
        "place": "Place",
        "state": "State",
        "without_account": "booked without an account",
        "state_booked": "Booked",
        "state_attended": "Attended",
        "state_cancelled": "Cancelled",
        "state_noshow": "No-show",
        "pdf": "Download as PDF",
        "ics": "Download for my calendar (.ics)",
    },
}
HISTORY_TEXTS["fr"] = {key: typeset(text) for key, text in HISTORY_TEXTS["fr"].items()}
