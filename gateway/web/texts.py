"""Portal and console wording, French first, English on request."""

from fastapi import Request

TEXTS: dict[str, dict[str, str]] = {
    "fr": {
        "portal_title": "Prendre rendez-vous",
        "other_language": "English",
        "choose_time": "Choisissez une heure",
        "no_slots": "Aucune disponibilité pour le moment.",
        "your_details": "Vos coordonnées",
        "first_name": "Prénom",
        "last_name": "Nom",
        "email": "Courriel",
        "phone": "Cellulaire",
        "language": "Langue des messages",
        "book": "Réserver",
        "booked_title": "Rendez-vous confirmé",
        "booked_text": "Un courriel de confirmation vous a été envoyé.",
        "cancel_link": "Annuler ce rendez-vous",
        "errors_title": "Veuillez corriger ces champs :",
        "cancel_title": "Annuler mon rendez-vous",
        "cancel_confirm": "Confirmer l'annulation",
        "cancelled": "Votre rendez-vous est annulé. La place est libérée.",
        "admin_title": "Console des établissements",
        "admin_text": "La connexion du personnel et la liste Suivi arrivent bientôt.",
        "service_down": "Service momentanément indisponible, réessayez dans un instant.",
        "seats_left": "place(s)",
    },
    "en": {
        "portal_title": "Book an appointment",
        "other_language": "Français",
        "choose_time": "Choose a time",
        "no_slots": "No availability at the moment.",
        "your_details": "Your contact details",
        "first_name": "First name",
        "last_name": "Last name",
        "email": "Email",
        "phone": "Mobile phone",
        "language": "Language of messages",
        "book": "Book",
        "booked_title": "Appointment confirmed",
        "booked_text": "A confirmation email has been sent to you.",
        "cancel_link": "Cancel this appointment",
        "errors_title": "Please correct these fields:",
        "cancel_title": "Cancel my appointment",
        "cancel_confirm": "Confirm cancellation",
        "cancelled": "Your appointment is cancelled. The seat is freed.",
        "admin_title": "Clinic console",
        "admin_text": "Staff sign-in and the Suivi list are coming soon.",
        "service_down": "Service temporarily unavailable, please retry shortly.",
        "seats_left": "seat(s) left",
    },
}


def language_of(request: Request) -> str:
    asked = request.query_params.get("lang") or request.cookies.get("lang")
    if asked in TEXTS:
        return asked
    return "en" if request.headers.get("accept-language", "").lower().startswith("en") else "fr"
