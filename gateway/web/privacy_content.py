"""The privacy policy (Québec's Act respecting the protection of personal information in the private sector and
Law 25): who answers for personal information, what is collected and why, how long it is kept, the citizen's
rights and how to use them. Each statement matches what the services do (retention workers, account deletion).
"""

from dataclasses import dataclass

from gateway.web.help_content import SUPPORT_EMAIL

PRIVACY_OFFICER_EMAIL = "vie-privee@rendezvous-sante.example"


@dataclass(frozen=True)
class Section:
    anchor: str
    title: str
    paragraphs: tuple[str, ...]


PRIVACY: dict[str, tuple[Section, ...]] = {
    "fr": (
        Section(
            "responsable",
            "Qui est responsable de vos renseignements",
            (
                "La personne responsable de la protection des renseignements personnels de Rendez-vous santé "
                f"répond de leur collecte, de leur usage et de leur destruction. Écrivez-lui à {PRIVACY_OFFICER_EMAIL}.",
                "Chaque établissement de santé où vous prenez rendez-vous est responsable du dossier qu'il tient sur "
                "votre présence et la validation de votre identité.",
            ),
        ),
        Section(
            "collecte",
            "Ce que nous recueillons et pourquoi",
            (
                "Pour prendre rendez-vous\u00a0: nom, prénom, date de naissance, courriel ou téléphone, et le service "
                "choisi. Ils servent à réserver la plage, à vous envoyer la confirmation et les rappels, et à "
                "permettre à l'établissement de vous accueillir.",
                "Pour un compte\u00a0: ces renseignements, votre sexe et votre numéro d'assurance maladie (NAM), et ceux "
                "des membres de votre famille que vous ajoutez. Le NAM sert uniquement à ce qu'un établissement "
                "valide votre identité et à regrouper vos rendez-vous\u202f; il est chiffré et n'est jamais envoyé par "
                "courriel ni par texto.",
                "Pour la sécurité\u00a0: les tentatives de connexion et les codes de vérification, afin de bloquer qui "
                "tenterait de deviner un mot de passe ou un code.",
                "Nous ne vendons ni ne communiquons vos renseignements à des fins publicitaires, et nous n'utilisons "
                "aucun témoin (cookie) de suivi\u00a0: seulement ceux de votre session et de votre langue.",
            ),
        ),
        Section(
            "conservation",
            "Combien de temps nous les gardons",
            (
                "Votre compte et ses renseignements\u00a0: tant que le compte existe. Quand vous le supprimez, ils sont "
                "effacés, de même que vos adresses de contact dans l'historique des messages.",
                "Vos rendez-vous restent à l'établissement qui vous a reçu (qui est venu, pour quoi, quand), sans lien "
                "avec le compte supprimé, comme tout dossier de l'établissement.",
                "Les codes de vérification, les demandes de changement en attente et les compteurs de tentatives\u00a0: "
                "24 heures au plus.",
            ),
        ),
        Section(
            "droits",
            "Vos droits",
            (
                "Vous pouvez consulter les renseignements que nous détenons sur vous et en demander une copie, les "
                "faire corriger, retirer votre consentement, et supprimer votre compte en tout temps depuis la page "
                "«\u00a0Mon compte\u00a0».",
                "Si notre réponse ne vous satisfait pas, vous pouvez porter plainte auprès de la Commission d'accès à "
                "l'information du Québec.",
            ),
        ),
        Section(
            "exercer",
            "Comment exercer vos droits",
            (
                "La plupart des changements se font vous-même, dans «\u00a0Mon compte\u00a0». Pour toute autre demande, écrivez "
                f"à {PRIVACY_OFFICER_EMAIL}. Nous répondons dans les 30 jours.",
                f"Pour une question sur l'utilisation du site, écrivez à {SUPPORT_EMAIL}.",
            ),
        ),
    ),
    "en": (
        Section(
            "responsible",
            "Who is responsible for your information",
            (
                "Rendez-vous santé's person in charge of the protection of personal information answers for its "
                f"collection, use and destruction. Write to them at {PRIVACY_OFFICER_EMAIL}.",
                "Each health establishment where you book is responsible for the record it keeps of your attendance "
                "and of the validation of your identity.",
            ),
        ),
        Section(
            "collected",
            "What we collect and why",
            (
                "To book: last name, first name, date of birth, e-mail or phone, and the chosen service. They are "
                "used to book the time, send you the confirmation and reminders, and let the establishment welcome "
                "you.",
                "For an account: this information, your sex and your health insurance number (NAM), and that of the "
                "family members you add. The NAM is used only for an establishment to validate your identity and to "
                "group your appointments; it is encrypted and never sent by e-mail or text message.",
                "For security: sign-in attempts and verification codes, to stop anyone trying to guess a password "
                "or a code.",
                "We neither sell nor share your information for advertising, and we use no tracking cookie: only "
                "those of your session and your language.",
            ),
        ),
        Section(
            "kept",
            "How long we keep it",
            (
                "Your account and its information: as long as the account exists. When you delete it, they are "
                "erased, as are your contact addresses in the message history.",
                "Your appointments stay with the establishment that saw you (who came, for what, when), no longer "
                "tied to the deleted account, like any record of the establishment.",
                "Verification codes, pending change requests and attempt counts: 24 hours at most.",
            ),
        ),
        Section(
            "rights",
            "Your rights",
            (
                "You may see the information we hold about you and ask for a copy, have it corrected, withdraw "
                'your consent, and delete your account at any time from the "My account" page.',
                "If our answer does not satisfy you, you may complain to Québec's Commission d'accès à l'information.",
            ),
        ),
        Section(
            "exercise",
            "How to exercise your rights",
            (
                'Most changes you make yourself, in "My account". For any other request, write to '
                f"{PRIVACY_OFFICER_EMAIL}. We answer within 30 days.",
                f"For a question about using the site, write to {SUPPORT_EMAIL}.",
            ),
        ),
    ),
}
