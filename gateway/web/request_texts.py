"""Wording of association requests, in the portal and the console (French first)."""

from gateway.web.french import typeset

REQUEST_TEXTS: dict[str, dict[str, str]] = {
    "fr": {
        "title": "Demandes d'association",
        "citizen_intro": (
            "Demandez qu'une personne de votre famille soit associée à votre compte. La clinique de son prochain "
            "rendez-vous vérifiera son identité et son lien avec vous, puis acceptera ou refusera la demande."
        ),
        "ask": "Demander l'association",
        "family_link": "Demander l'association d'une personne à mon compte",
        "none_family": "Ajoutez d'abord une personne à votre compte.",
        "filed": "Votre demande est transmise à la clinique de son prochain rendez-vous.",
        "status_pending": "En attente de la clinique",
        "status_accepted": "Acceptée",
        "status_refused": "Refusée",
        "status_withdrawn": "Retirée",
        "reason": "Motif",
        "console_intro": (
            "Demandes des citoyens dont le patient a rendez-vous ici. Vérifiez l'identité du patient et son lien "
            "avec le détenteur du compte avant d'accepter; l'identité du détenteur doit déjà être validée."
        ),
        "no_requests": "Aucune demande en attente.",
        "patient": "Patient",
        "holder": "Détenteur du compte",
        "appointment": "Rendez-vous",
        "accept": "Accepter la demande",
        "refuse": "Refuser",
        "refuse_reason": "Motif du refus (transmis au citoyen)",
        "decided": "Demande traitée.",
        "menu": "Demandes d'association",
    },
    "en": {
        "title": "Association requests",
        "citizen_intro": (
            "Ask that a member of your family be associated with your account. The clinic of their next appointment "
            "will check their identity and their link with you, then accept or refuse the request."
        ),
        "ask": "Request association",
        "family_link": "Request a person's association with my account",
        "none_family": "First add a person to your account.",
        "filed": "Your request was sent to the clinic of their next appointment.",
        "status_pending": "Waiting for the clinic",
        "status_accepted": "Accepted",
        "status_refused": "Refused",
        "status_withdrawn": "Withdrawn",
        "reason": "Reason",
        "console_intro": (
            "Requests from citizens whose patient has an appointment here. Check the patient's identity and their "
            "link with the account holder before accepting; the holder's identity must already be validated."
        ),
        "no_requests": "No pending request.",
        "patient": "Patient",
        "holder": "Account holder",
        "appointment": "Appointment",
        "accept": "Accept the request",
        "refuse": "Refuse",
        "refuse_reason": "Reason for refusing (sent to the citizen)",
        "decided": "Request dealt with.",
        "menu": "Association requests",
    },
}
REQUEST_TEXTS["fr"] = {key: typeset(text) for key, text in REQUEST_TEXTS["fr"].items()}
