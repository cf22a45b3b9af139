"""Wording of the site pages (privacy, contact, accessibility), French first, English on request."""

TEXTS: dict[str, dict[str, str]] = {
    "fr": {
        "privacy_intro": "Comment Rendez-vous santé protège vos renseignements personnels. Dernière mise à jour\u00a0: 6 décembre 2026.",
        "contents": "Sur cette page",
        "contact_intro": "Nous pouvons vous aider à utiliser le site\u00a0: prendre, déplacer ou annuler un rendez-vous, gérer votre compte.",
        "contact_email": "Par courriel",
        "contact_email_detail": "Nous répondons en 2 jours ouvrables, en français ou en anglais.",
        "contact_health": "Une question sur votre santé\u202f?",
        "contact_health_detail": "Appelez Info-Santé au 811, jour et nuit. Nous ne pouvons pas donner d'avis médical.",
        "contact_emergency": "En cas d'urgence, composez le 911.",
        "contact_privacy": "Vos renseignements personnels",
        "contact_privacy_detail": "Écrivez à la personne responsable de leur protection\u00a0:",
        "accessibility_intro": "Rendez-vous santé veut être utilisable par tous, y compris au téléphone intelligent, au clavier et avec un lecteur d'écran.",
        "accessibility_standard": "Nos pages visent les niveaux A et AA des Règles pour l'accessibilité des contenus Web (WCAG) 2.2, qui sont à la base du standard québécois SGQRI 008. Elles sont vérifiées automatiquement avec axe-core à chaque modification, sur ordinateur et sur téléphone.",
        "accessibility_help": "Vous avez du mal à utiliser une page\u202f? Dites-le-nous\u00a0: nous vous aiderons à prendre votre rendez-vous et corrigerons la page.",
    },
    "en": {
        "privacy_intro": "How Rendez-vous santé protects your personal information. Last updated: December 6, 2026.",
        "contents": "On this page",
        "contact_intro": "We can help you use the site: book, move or cancel an appointment, manage your account.",
        "contact_email": "By e-mail",
        "contact_email_detail": "We answer within 2 business days, in French or English.",
        "contact_health": "A question about your health?",
        "contact_health_detail": "Call Info-Santé at 811, day and night. We cannot give medical advice.",
        "contact_emergency": "In an emergency, dial 911.",
        "contact_privacy": "Your personal information",
        "contact_privacy_detail": "Write to the person in charge of its protection:",
        "accessibility_intro": "Rendez-vous santé aims to be usable by everyone, on a smartphone, with a keyboard and with a screen reader.",
        "accessibility_standard": "Our pages aim at levels A and AA of the Web Content Accessibility Guidelines (WCAG) 2.2, on which Québec's SGQRI 008 standard is based. They are checked automatically with axe-core at every change, on a computer and on a phone.",
        "accessibility_help": "Having trouble using a page? Tell us: we will help you book your appointment and fix the page.",
    },
}
