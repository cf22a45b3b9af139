"""Wording of "Who read my record" (French first): what the clinics' staff did about the citizen and family."""

from gateway.web.french import typeset

RECORD_ACCESS_TEXTS: dict[str, dict[str, str]] = {
    "fr": {
        "title": "Qui a consulté mon dossier",
        "intro": (
            "Chaque fois que le personnel d'une clinique consulte ou modifie un renseignement vous concernant sur "
            "cette plateforme, l'action est inscrite dans un journal que personne ne peut modifier ni effacer. "
            "La Loi 25 (Loi sur la protection des renseignements personnels) vous donne le droit de savoir comment "
            "vos renseignements sont utilisés : voici ce que ce journal contient à votre sujet et au sujet des "
            "personnes de votre famille."
        ),
        "what_title": "Ce qui est inscrit",
        "what_1": "la consultation de la liste des rendez-vous du jour où figure l'un de vos rendez-vous ;",
        "what_2": "l'ouverture de l'un de vos rendez-vous par le personnel ;",
        "what_3": "la validation de votre identité ou de l'association d'une personne à votre compte ;",
        "what_4": "la décision sur une demande d'association ;",
        "what_5": "un rendez-vous pris, déplacé ou annulé pour vous par le personnel.",
        "who_note": (
            "Le journal indique le rôle de la personne (commis ou gestionnaire), jamais son nom. Les rendez-vous "
            "d'une personne à votre charge s'affichent ici comme dans vos rendez-vous : ceux pris depuis votre "
            "compte, et les autres une fois que la clinique a validé son association à votre compte."
        ),
        "none_at_all": "Aucun accès n'est inscrit pour l'instant à votre sujet ni au sujet de votre famille.",
        "none_person": "Aucun accès inscrit.",
        "holder": "Vous",
        "when": "Date et heure",
        "place": "Établissement",
        "action": "Action",
        "by": "Par",
        "about": "Concerne",
        "about_account": "votre compte",
        "role_clerk": "Commis",
        "role_manager": "Gestionnaire",
        "role_unknown": "Personnel de la clinique",
        "unknown_place": "Établissement",
        "action_patient_records_viewed:day_list": "Liste des rendez-vous du jour consultée",
        "action_patient_records_viewed:appointment": "Rendez-vous ouvert",
        "action_identity_validated": "Identité validée",
        "action_association_validated": "Association au compte validée",
        "action_association_request_accepted": "Demande d'association acceptée",
        "action_association_request_refused": "Demande d'association refusée",
        "action_caller_booked": "Rendez-vous pris par la clinique",
        "action_caller_rescheduled": "Rendez-vous déplacé par la clinique",
        "action_caller_cancelled": "Rendez-vous annulé par la clinique",
        "link": "Qui a consulté mon dossier",
    },
    "en": {
        "title": "Who read my record",
        "intro": (
            "Each time a clinic's staff read or change information about you on this platform, the action is "
            "written to a log that nobody can change or erase. Québec's Law 25 (Act respecting the protection of "
            "personal information) gives you the right to know how your information is used: here is what that "
            "log holds about you and the people in your family."
        ),
        "what_title": "What is recorded",
        "what_1": "reading the day's list of appointments when one of yours is on it;",
        "what_2": "staff opening one of your appointments;",
        "what_3": "validating your identity or a person's association with your account;",
        "what_4": "deciding an association request;",
        "what_5": "an appointment booked, moved or cancelled for you by staff.",
        "who_note": (
            "The log shows the person's role (clerk or manager), never their name. A dependant's appointments "
            "show here as they do in your appointments: those booked from your account, and the others once the "
            "clinic has validated their association with your account."
        ),
        "none_at_all": "Nothing has been recorded about you or your family yet.",
        "none_person": "Nothing recorded.",
        "holder": "You",
        "when": "Date and time",
        "place": "Establishment",
        "action": "Action",
        "by": "By",
        "about": "Concerns",
        "about_account": "your account",
        "role_clerk": "Clerk",
        "role_manager": "Manager",
        "role_unknown": "Clinic staff",
        "unknown_place": "Establishment",
        "action_patient_records_viewed:day_list": "Day's appointment list read",
        "action_patient_records_viewed:appointment": "Appointment opened",
        "action_identity_validated": "Identity validated",
        "action_association_validated": "Association with the account validated",
        "action_association_request_accepted": "Association request accepted",
        "action_association_request_refused": "Association request refused",
        "action_caller_booked": "Appointment booked by the clinic",
        "action_caller_rescheduled": "Appointment moved by the clinic",
        "action_caller_cancelled": "Appointment cancelled by the clinic",
        "link": "Who read my record",
    },
}
RECORD_ACCESS_TEXTS["fr"] = {key: typeset(value) for key, value in RECORD_ACCESS_TEXTS["fr"].items()}
