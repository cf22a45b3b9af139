"""How the appointments service words each business refusal at the HTTP edge: the one table."""

from services.appointments.booking.rules import (
    AppointmentNotFound,
    IdempotencyKeyReused,
    NamWithoutBirthDate,
    NotCancellable,
    NotConfirmable,
    NotMovable,
    OverlappingAppointment,
    SlotElsewhere,
    SlotFull,
    SlotInPast,
    SlotUnavailable,
    TooLateToChange,
    TooLateToChangeNoPhone,
    TooManyBookings,
    UnknownSlot,
)
from services.appointments.catalogue.rules import (
    ExceptionOutOfRange,
    InvalidExceptionHours,
    InvalidHours,
    InvalidPostalCode,
    InvalidWeekdays,
    LatitudeMissing,
    LatitudeOutOfRange,
    LocationAmbiguous,
    LocationRequired,
    LongitudeMissing,
    LongitudeOutOfRange,
    ScheduleDatesReversed,
    ScheduleTooLong,
    SearchDatesReversed,
    SearchTooLong,
    ServiceNotFound,
    SlotLongerThanHours,
    UnknownPostalCode,
    UnknownService,
)
from services.appointments.establishments.rules import OpeningHoursOverlap, OpeningHoursReversed, PostalCodeIncomplete
from services.appointments.front_desk.rules import AttendanceNotAllowed
from services.appointments.waitlist.rules import (
    AlreadyWaiting,
    ContactAlreadyWaiting,
    FromDateInPast,
    OfferExpired,
    OfferNotFound,
    OfferNotOpen,
    TimesOfDayInvalid,
    ToDateBeforeFromDate,
    TooManyWaitlistEntries,
    WaitlistContactRequired,
    WaitlistEntryNotFound,
    WaitlistSpanTooLong,
)
from shared.contact import CONTACT_REFUSALS
from shared.refusals import RefusalTable, Wording
from shared.staff import STAFF_REFUSALS, ManagerRequired

REFUSALS: RefusalTable = {
    **STAFF_REFUSALS,
    **CONTACT_REFUSALS,
    # The acts here that take a manager.
    ManagerRequired: Wording(
        403,
        "manager_required",
        None,
        "Seul un gestionnaire de l'établissement peut modifier les horaires et les règles de la clinique.",
        "Only a manager of the establishment can change schedules and clinic rules.",
    ),
    # --- booking ---
    AppointmentNotFound: Wording(
        404, "appointment_not_found", "appointment_id", "Rendez-vous introuvable.", "Appointment not found."
    ),
    UnknownSlot: Wording(422, "unknown_slot", "slot_id", "Ce créneau n'existe pas.", "This slot does not exist."),
    SlotInPast: Wording(422, "slot_in_past", "slot_id", "Ce créneau est déjà passé.", "This slot is in the past."),
    SlotFull: Wording(
        409,
        "slot_full",
        "slot_id",
        "Ce créneau est complet. Choisissez une autre heure.",
        "This slot is full. Please choose another time.",
    ),
    SlotUnavailable: Wording(
        409, "slot_unavailable", "slot_id", "Ce créneau n'est plus disponible.", "This slot is no longer available."
    ),
    IdempotencyKeyReused: Wording(
        422,
        "idempotency_key_reused",
        "Idempotency-Key",
        "Cette clé d'idempotence a déjà servi pour une autre réservation.",
        "This Idempotency-Key was already used for a different booking.",
    ),
    OverlappingAppointment: Wording(
        409,
        "overlapping_appointment",
        "slot_id",
        "Cette personne a déjà un rendez-vous à ce moment-là.",
        "This person already has an appointment at that time.",
    ),
    NotCancellable: Wording(
        409,
        "not_cancellable",
        "status",
        "Ce rendez-vous ne peut plus être annulé (état : {status}).",
        "This appointment can no longer be cancelled (status: {status}).",
    ),
    NotMovable: Wording(
        409,
        "not_movable",
        "status",
        "Ce rendez-vous ne peut plus être déplacé (état : {status}).",
        "This appointment can no longer be rescheduled (status: {status}).",
    ),
    TooLateToChange: Wording(
        409,
        "too_late_to_change",
        None,
        "Ce rendez-vous ne peut plus être annulé ni déplacé en ligne : la clinique l'accepte jusqu'à {hours} h "
        "avant. Appelez la clinique au {phone}.",
        "This appointment can no longer be cancelled or moved online: the clinic allows it up to {hours} h before. "
        "Call the clinic at {phone}.",
    ),
    TooLateToChangeNoPhone: Wording(
        409,
        "too_late_to_change",
        None,
        "Ce rendez-vous ne peut plus être annulé ni déplacé en ligne : la clinique l'accepte jusqu'à {hours} h "
        "avant. Appelez la clinique.",
        "This appointment can no longer be cancelled or moved online: the clinic allows it up to {hours} h before. "
        "Call the clinic.",
    ),
    SlotElsewhere: Wording(
        404,
        "slot_not_found",
        "slot_id",
        "Ce créneau n'est pas offert par votre établissement.",
        "This slot is not one of your establishment's.",
    ),
    NotConfirmable: Wording(
        409,
        "not_confirmable",
        "status",
        "La présence à ce rendez-vous ne peut plus être confirmée (état : {status}).",
        "Attendance at this appointment can no longer be confirmed (status: {status}).",
    ),
    TooManyBookings: Wording(
        429,
        "too_many_bookings",
        None,
        "Trop de rendez-vous ont été pris sans compte depuis votre connexion. Réessayez dans {minutes} "
        "minute{plural}, ou connectez-vous à votre compte.",
        "Too many appointments were booked without an account from your connection. Please try again in "
        "{minutes} minute{plural}, or log in to your account.",
    ),
    # --- front desk ---
    AttendanceNotAllowed: Wording(
        409,
        "attendance_not_allowed",
        "status",
        "Impossible de passer de « {status} » à « {wanted} ».",
        "Cannot go from '{status}' to '{wanted}'.",
    ),
    NamWithoutBirthDate: Wording(
        422,
        "birth_date_required_with_nam",
        "birth_date",
        "Indiquez la date de naissance avec le numéro d'assurance maladie.",
        "Give the birth date with the health insurance number (NAM).",
    ),
    # --- catalogue: schedules ---
    UnknownService: Wording(
        404,
        "unknown_service",
        "service_id",
        "Ce service n'est pas offert par votre établissement.",
        "Your establishment does not offer this service.",
    ),
    ServiceNotFound: Wording(404, "service_not_found", "service_id", "Service introuvable.", "Service not found."),
    InvalidWeekdays: Wording(
        422,
        "invalid_weekdays",
        "weekdays",
        "Choisissez au moins un jour parmi mon, tue, wed, thu, fri, sat, sun.",
        "Choose at least one day among mon, tue, wed, thu, fri, sat, sun.",
    ),
    ScheduleDatesReversed: Wording(
        422,
        "invalid_date_range",
        "valid_to",
        "La date de fin doit suivre la date de début.",
        "The end date must not be before the start date.",
    ),
    ScheduleTooLong: Wording(
        422,
        "date_range_too_long",
        "valid_to",
        "Un horaire couvre au plus {max_days} jours.",
        "A schedule covers at most {max_days} days.",
    ),
    ExceptionOutOfRange: Wording(
        422,
        "exception_out_of_range",
        "exceptions",
        "L'exception du {day} est hors de la période de l'horaire.",
        "The exception on {day} is outside the schedule's dates.",
    ),
    InvalidHours: Wording(
        422,
        "invalid_hours",
        "start_time",
        "L'heure de fin doit suivre l'heure de début.",
        "The end time must be after the start time.",
    ),
    InvalidExceptionHours: Wording(
        422,
        "invalid_hours",
        "exceptions",
        "L'heure de fin doit suivre l'heure de début.",
        "The end time must be after the start time.",
    ),
    SlotLongerThanHours: Wording(
        422,
        "slot_longer_than_hours",
        "slot_minutes",
        "La plage horaire est plus courte qu'un créneau.",
        "The opening hours are shorter than one slot.",
    ),
    # --- catalogue: nearby search ---
    InvalidPostalCode: Wording(
        422,
        "invalid_postal_code",
        "postal_code",
        "Code postal invalide : utilisez le format A1A 1A1 (ou ses trois premiers caractères).",
        "Invalid postal code: use the format A1A 1A1 (or its first three characters).",
    ),
    UnknownPostalCode: Wording(
        422,
        "unknown_postal_code",
        "postal_code",
        "Ce code postal ne correspond à aucune région connue.",
        "This postal code does not match any known area.",
    ),
    LatitudeMissing: Wording(
        422,
        "coordinates_incomplete",
        "lat",
        "Indiquez la latitude et la longitude.",
        "Give both the latitude and the longitude.",
    ),
    LongitudeMissing: Wording(
        422,
        "coordinates_incomplete",
        "lon",
        "Indiquez la latitude et la longitude.",
        "Give both the latitude and the longitude.",
    ),
    LatitudeOutOfRange: Wording(
        422,
        "latitude_out_of_range",
        "lat",
        "La latitude doit être comprise entre -90 et 90.",
        "The latitude must be between -90 and 90.",
    ),
    LongitudeOutOfRange: Wording(
        422,
        "longitude_out_of_range",
        "lon",
        "La longitude doit être comprise entre -180 et 180.",
        "The longitude must be between -180 and 180.",
    ),
    LocationAmbiguous: Wording(
        422,
        "location_ambiguous",
        "postal_code",
        "Indiquez un code postal ou des coordonnées, pas les deux.",
        "Give a postal code or coordinates, not both.",
    ),
    LocationRequired: Wording(
        422,
        "location_required",
        "postal_code",
        "Indiquez un code postal ou des coordonnées.",
        "Give a postal code or coordinates.",
    ),
    SearchDatesReversed: Wording(
        422,
        "invalid_date_range",
        "date_to",
        "La date de fin doit suivre la date de début (et ne pas être passée).",
        "The end date must come after the start date (and not be in the past).",
    ),
    SearchTooLong: Wording(
        422,
        "date_range_too_long",
        "date_to",
        "Cherchez sur au plus {max_days} jours.",
        "Search at most {max_days} days at a time.",
    ),
    # --- establishments (operators) ---
    PostalCodeIncomplete: Wording(
        422,
        "postal_code_incomplete",
        "postal_code",
        "Indiquez le code postal complet de l'établissement (A1A 1A1).",
        "Give the establishment's full postal code (A1A 1A1).",
    ),
    OpeningHoursReversed: Wording(
        422,
        "invalid_opening_hours",
        "opening_hours",
        "Heures d'ouverture ({day}) : l'heure de fermeture doit suivre l'heure d'ouverture.",
        "Opening hours ({day}): the closing time must be after the opening time.",
    ),
    OpeningHoursOverlap: Wording(
        422,
        "overlapping_opening_hours",
        "opening_hours",
        "Heures d'ouverture ({day}) : deux plages se chevauchent.",
        "Opening hours ({day}): two periods overlap.",
    ),
    # --- waitlist ---
    FromDateInPast: Wording(
        422,
        "waitlist_dates_invalid",
        "from_date",
        "La première date ne peut pas être passée.",
        "The first date cannot be in the past.",
    ),
    ToDateBeforeFromDate: Wording(
        422,
        "waitlist_dates_invalid",
        "to_date",
        "La dernière date doit suivre la première.",
        "The last date must be on or after the first.",
    ),
    WaitlistSpanTooLong: Wording(
        422,
        "waitlist_dates_invalid",
        "to_date",
        "Attendez sur au plus {max_days} jours après la première date.",
        "Wait for at most {max_days} days after the first date.",
    ),
    TimesOfDayInvalid: Wording(
        422,
        "times_of_day_invalid",
        "times_of_day",
        "Choisissez au moins un moment de la journée : matin, après-midi ou soir.",
        "Choose at least one time of day: morning, afternoon or evening.",
    ),
    WaitlistContactRequired: Wording(
        422,
        "waitlist_contact_required",
        "email",
        "Indiquez un courriel ou un numéro de cellulaire pour être prévenu d'une place libérée.",
        "Give an email address or a mobile number to be told when a seat frees up.",
    ),
    AlreadyWaiting: Wording(
        409,
        "already_waiting",
        "service_id",
        "Cette personne est déjà sur la liste d'attente de ce service.",
        "This person is already on the waitlist for this service.",
    ),
    # The same code as a person's: one destination (an e-mail whatever its +tag, a mobile) waits once per line.
    ContactAlreadyWaiting: Wording(
        409,
        "already_waiting",
        "{field}",
        "Quelqu'un attend déjà une place pour ce service avec ce courriel ou ce numéro de cellulaire.",
        "Someone is already waiting for a seat for this service with this email address or mobile number.",
    ),
    # 409, not 429: waiting longer does not lift it, an entry ending or leaving does (no Retry-After to give).
    TooManyWaitlistEntries: Wording(
        409,
        "too_many_waitlist_entries",
        None,
        "Vous avez déjà {max_entries} inscriptions en cours sur des listes d'attente sans compte depuis votre "
        "connexion. Quittez-en une, ou connectez-vous à votre compte pour vous inscrire.",
        "You already have {max_entries} waitlist entries in progress made without an account from your "
        "connection. Leave one, or log in to your account to join.",
    ),
    WaitlistEntryNotFound: Wording(
        404,
        "waitlist_entry_not_found",
        "entry_id",
        "Inscription à la liste d'attente introuvable.",
        "Waitlist entry not found.",
    ),
    OfferNotFound: Wording(404, "offer_not_found", "offer_id", "Offre introuvable.", "Offer not found."),
    OfferExpired: Wording(
        409,
        "offer_expired",
        "offer_id",
        "Le délai pour accepter cette place est passé : elle a été offerte à la personne suivante.",
        "The time to accept this seat has passed: it was offered to the next person.",
    ),
    OfferNotOpen: Wording(
        409,
        "offer_not_open",
        "offer_id",
        "Cette offre n'est plus ouverte.",
        "This offer is no longer open.",
    ),
}
