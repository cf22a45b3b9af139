"""Words of the "my data" page (gateway/data_export_pages.py), French and English."""

from gateway.web.french import typeset

EXPORT_TEXTS: dict[str, dict[str, str]] = {
    "fr": {
        "title": "Mes données",
        "intro": "Vous pouvez obtenir une copie de tout ce que la plateforme conserve sur vous et les personnes de "
        "votre compte, pour la garder ou la transmettre à un autre service (droit à la portabilité, Loi 25).",
        "included": "Ce que contient la copie",
        "items": "Votre profil, avec votre numéro d'assurance maladie masqué (4 derniers caractères)|"
        "Vos personnes à charge et vos préférences d'avis (courriel, texto)|"
        "Vos rendez-vous et leur historique, y compris ceux pris sans compte une fois votre identité validée|"
        "Les validations faites par un établissement : dates et établissements|"
        "Vos demandes d'association et vos inscriptions aux listes d'attente, avec les places offertes|"
        "Les avis envoyés : type, canal, destinataire, objet, état et dates|"
        "Vos connexions (date de début) et les codes à 6 chiffres envoyés (jamais le code)",
        "not_included": "Ne sont jamais inclus : votre mot de passe, les codes et jetons de sécurité, ni le nom du "
        "personnel des établissements (désigné par son rôle).",
        "formats": "Deux fichiers : un fichier JSON complet, dont la structure est publiée, et un PDF lisible.",
        "prepare": "Préparer mon export",
        "ready_title": "Votre export est prêt",
        "ready_until": "Les liens sont valides 15 minutes (jusqu'à {time}), dans cette session seulement.",
        "download_json": "Télécharger mes données (JSON)",
        "download_pdf": "Télécharger mes données (PDF)",
        "counts": "Ce que contient votre export",
        "count_appointments": "Rendez-vous",
        "count_dependants": "Personnes à charge",
        "count_notices": "Avis envoyés",
        "schema": "Structure du fichier JSON (JSON Schema)",
        "again": "Préparer un nouvel export",
        "expired_title": "Ce lien a expiré",
        "expired": "Les liens de téléchargement sont valides 15 minutes. Préparez un nouvel export depuis la page "
        "Mes données.",
        "foreign_title": "Ce lien n'est pas le vôtre",
        "foreign": "Ce lien de téléchargement a été préparé pour un autre compte ou une autre session. Préparez "
        "votre propre export depuis la page Mes données.",
        "back": "Retour à mon compte",
    },
    "en": {
        "title": "My data",
        "intro": "You can get a copy of everything the platform keeps about you and the people in your account, to "
        "keep it or take it to another service (right to data portability, Québec Law 25).",
        "included": "What the copy holds",
        "items": "Your profile, with your health insurance number masked (last 4 characters)|"
        "Your dependants and your notice preferences (e-mail, text)|"
        "Your appointments and their history, including those booked without an account once your identity is "
        "validated|"
        "Validations by an establishment: dates and establishments|"
        "Your association requests and waitlist entries, with the seats offered|"
        "Notices sent: kind, channel, recipient, subject, status and dates|"
        "Your sign-ins (start date) and the 6-digit codes sent (never the code)",
        "not_included": "Never included: your password, security codes and tokens, or the names of establishment "
        "staff (shown by role).",
        "formats": "Two files: a complete JSON file, whose structure is published, and a readable PDF.",
        "prepare": "Prepare my export",
        "ready_title": "Your export is ready",
        "ready_until": "The links are valid for 15 minutes (until {time}), in this session only.",
        "download_json": "Download my data (JSON)",
        "download_pdf": "Download my data (PDF)",
        "counts": "What your export holds",
        "count_appointments": "Appointments",
        "count_dependants": "Dependants",
        "count_notices": "Notices sent",
        "schema": "Structure of the JSON file (JSON Schema)",
        "again": "Prepare a new export",
        "expired_title": "This link has expired",
        "expired": "Download links are valid for 15 minutes. Prepare a new export from the My data page.",
        "foreign_title": "This link is not yours",
        "foreign": "This download link was prepared for another account or another session. Prepare your own export "
        "from the My data page.",
        "back": "Back to my account",
    },
}
EXPORT_TEXTS["fr"] = {key: typeset(text) for key, text in EXPORT_TEXTS["fr"].items()}
