"""Wording of the booking pages, French first, English on request (merged into texts.TEXTS).

Counted phrases come as `<key>_one` / `<key>_other` with a `{count}` (chosen by `counted`, CLDR's plural rule:
French says "0 place restante", "1 place restante", "2 places restantes"). French puts a no-break space before
":" and a narrow one before "?" and "!"; English puts none.
"""

from babel import Locale
from babel.numbers import format_decimal

from gateway.web.dates import LOCALES

TEXTS: dict[str, dict[str, str]] = {
    "fr": {
        "booking_results_heading": "Résultats",
        "booking_form_used": "Ce formulaire a déjà servi pour un rendez-vous, qui est bien réservé. Pour en prendre un autre, vérifiez l'heure et vos coordonnées, puis réservez de nouveau.",
        "booking_postal_code_missing": "Entrez votre code postal, par exemple H2X 1Y4.",
        "booking_results_one": "{count} établissement offre des disponibilités.",
        "booking_results_other": "{count} établissements offrent des disponibilités.",
        "booking_distance": "à {distance}\u00a0km",
        "booking_free_slots_one": "{count} plage horaire libre",
        "booking_free_slots_other": "{count} plages horaires libres",
        "booking_earliest": "Première disponibilité\u00a0: {when}",
        "booking_previous_results": "Résultats précédents",
        "booking_back": "Retour à la recherche",
        "error_title_prefix": "Erreur\u00a0: ",
        "booking_place": "Lieu",
        "booking_time_legend": "Choisissez une heure le {day}",
        "booking_day_heading": "Heures libres",
        "booking_seats_left_one": "{count} place restante",
        "booking_seats_left_other": "{count} places restantes",
        "booking_seats_many": "Places disponibles",
        "booking_previous_day": "Jour disponible précédent",
        "booking_next_day": "Prochain jour disponible",
        "booking_day_navigation": "Autres jours",
        "booking_no_slots_from": "Aucune disponibilité à partir de cette date.",
        "booking_earliest_link": "Voir la première disponibilité",
        "booking_contact_hint": "Indiquez au moins un courriel ou un cellulaire\u00a0: la confirmation et le lien pour annuler y seront envoyés.",
        "booking_birth_date_hint": "Facultatif. Par exemple\u00a0: 27 3 1985",
        "booking_nam_hint": "4 lettres et 8 chiffres, comme sur votre carte. Par exemple\u00a0: ABCD 1234 5678",
        "booking_day": "Jour",
        "booking_month": "Mois",
        "booking_year": "Année",
        "booking_busy": "Réservation en cours…",
        "booking_what": "Quoi",
        "booking_who": "Pour qui",
        "booking_where": "Où",
        "booking_when": "Quand",
        "booking_next_heading": "Et ensuite\u202f?",
        "booking_sent_email": "Nous avons envoyé la confirmation à {email}, avec un lien pour annuler.",
        "booking_sent_sms": "Nous avons envoyé la confirmation par SMS au {phone}, avec un lien pour annuler.",
        "booking_sent_account": "La confirmation vous est envoyée selon vos préférences de rappel. Le rendez-vous figure dans «\u00a0Mes rendez-vous\u00a0».",
        "booking_reminder": "Vous recevrez un rappel avant le rendez-vous, avec un lien pour confirmer votre présence.",
        "booking_cannot_come": "Vous ne pourrez pas venir\u202f? Annulez pour libérer la place pour quelqu'un d'autre.",
        "booking_another": "Prendre un autre rendez-vous",
        # After "Choisir une heure" in a visually hidden span: each button of the results has its own name.
        "booking_choose_time_for": " pour {service} à {place}",
        "booking_unknown_date": "Entrez une vraie date de naissance, par exemple 27 3 1985.",
        "manage_cancel_heading": "Annuler ce rendez-vous\u202f?",
        "manage_cancel_effect": "La place sera libérée pour quelqu'un d'autre, et vous recevrez une confirmation de l'annulation. Pour un autre moment, prenez un nouveau rendez-vous.",
        "manage_cancel_yes": "Oui, annuler le rendez-vous",
        "manage_keep": "Non, garder ce rendez-vous",
        "manage_cancelled_heading": "Rendez-vous annulé",
        "manage_cancelled_sent": "Une confirmation de l'annulation vous est envoyée.",
        "manage_confirm_heading": "Confirmer votre présence\u202f?",
        "manage_confirm_effect": "L'établissement saura que vous viendrez. Si vous ne pouvez plus venir, annulez plutôt le rendez-vous pour libérer la place.",
        "manage_confirm_yes": "Oui, je serai là",
        "manage_confirmed_heading": "Présence confirmée",
        "manage_confirmed_text": "Merci. L'établissement vous attend.",
        "manage_already_confirmed": "Votre présence est déjà confirmée. Vous n'avez rien d'autre à faire.",
        "manage_not_possible": "Ce rendez-vous a commencé ou est terminé\u00a0: il ne peut plus être modifié par ce lien.",
        "manage_link_spent_heading": "Ce lien ne fonctionne plus",
        "manage_link_spent_text": "Le rendez-vous a déjà été annulé ou déplacé, ou sa date est passée.",
        "manage_link_spent_moved": "Si le rendez-vous a été déplacé, utilisez le lien du dernier message reçu.",
    },
    "en": {
        "booking_results_heading": "Results",
        "booking_form_used": "This form was already used for an appointment, which is booked. To book another one, check the time and your details, then book again.",
        "booking_postal_code_missing": "Enter your postal code, for example H2X 1Y4.",
        "booking_results_one": "{count} place has availability.",
        "booking_results_other": "{count} places have availability.",
        "booking_distance": "{distance} km away",
        "booking_free_slots_one": "{count} time available",
        "booking_free_slots_other": "{count} times available",
        "booking_earliest": "Earliest availability: {when}",
        "booking_previous_results": "Previous results",
        "booking_back": "Back to search",
        "error_title_prefix": "Error: ",
        "booking_place": "Place",
        "booking_time_legend": "Choose a time on {day}",
        "booking_day_heading": "Free times",
        "booking_seats_left_one": "{count} spot left",
        "booking_seats_left_other": "{count} spots left",
        "booking_seats_many": "Spots available",
        "booking_previous_day": "Previous available day",
        "booking_next_day": "Next available day",
        "booking_day_navigation": "Other days",
        "booking_no_slots_from": "No availability from this date.",
        "booking_earliest_link": "See the earliest availability",
        "booking_contact_hint": "Give at least an email or a mobile phone: the confirmation and the link to cancel are sent there.",
        "booking_birth_date_hint": "Optional. For example: 27 3 1985",
        "booking_nam_hint": "4 letters and 8 digits, as on your card. For example: ABCD 1234 5678",
        "booking_day": "Day",
        "booking_month": "Month",
        "booking_year": "Year",
        "booking_busy": "Booking…",
        "booking_what": "What",
        "booking_who": "Who for",
        "booking_where": "Where",
        "booking_when": "When",
        "booking_next_heading": "What happens next",
        "booking_sent_email": "We sent the confirmation to {email}, with a link to cancel.",
        "booking_sent_sms": "We sent the confirmation by text message to {phone}, with a link to cancel.",
        "booking_sent_account": "The confirmation is sent to you as your reminder settings say. The appointment is listed in “My appointments”.",
        "booking_reminder": "You will get a reminder before the appointment, with a link to confirm you will attend.",
        "booking_cannot_come": "Cannot come? Cancel to free the seat for someone else.",
        "booking_another": "Book another appointment",
        # After "Choisir une heure" in a visually hidden span: each button of the results has its own name.
        "booking_choose_time_for": " for {service} at {place}",
        "booking_unknown_date": "Enter a real date of birth, for example 27 3 1985.",
        "manage_cancel_heading": "Cancel this appointment?",
        "manage_cancel_effect": "The seat will be freed for someone else, and you will get a confirmation of the cancellation. For another time, book a new appointment.",
        "manage_cancel_yes": "Yes, cancel the appointment",
        "manage_keep": "No, keep this appointment",
        "manage_cancelled_heading": "Appointment cancelled",
        "manage_cancelled_sent": "A confirmation of the cancellation is being sent to you.",
        "manage_confirm_heading": "Confirm you will attend?",
        "manage_confirm_effect": "The clinic will know you are coming. If you can no longer come, cancel the appointment instead to free the seat.",
        "manage_confirm_yes": "Yes, I will be there",
        "manage_confirmed_heading": "Attendance confirmed",
        "manage_confirmed_text": "Thank you. The clinic expects you.",
        "manage_already_confirmed": "Your attendance is already confirmed. There is nothing else to do.",
        "manage_not_possible": "This appointment has started or is over: it can no longer be changed with this link.",
        "manage_link_spent_heading": "This link no longer works",
        "manage_link_spent_text": "The appointment was already cancelled or moved, or its date has passed.",
        "manage_link_spent_moved": "If the appointment was moved, use the link in the latest message you received.",
    },
}


def counted(lang: str, key: str, count: int) -> str:
    """The `<key>_one` or `<key>_other` phrase for `count`, with the count in it."""
    form = Locale.parse(LOCALES[lang]).plural_form(count)
    number = format_decimal(count, locale=LOCALES[lang])  # "1 000" in French, "1,000" in English
    return TEXTS[lang][f"{key}_{'one' if form == 'one' else 'other'}"].format(count=number)


# Above this, the count means nothing to someone choosing a time: the page says only that there are spots.
SEATS_COUNTED_UP_TO = 10


def seats_left(count: int, lang: str) -> str:
    """'3 places restantes' / '3 spots left'; 'Places disponibles' / 'Spots available' above ten."""
    return (
        counted(lang, "booking_seats_left", count)
        if count <= SEATS_COUNTED_UP_TO
        else TEXTS[lang]["booking_seats_many"]
    )


def kilometres(distance: float, lang: str) -> str:
    """One decimal, the language's separator: '0,2' in French, '0.2' in English."""
    return format_decimal(distance, "#,##0.0", locale=LOCALES[lang])
