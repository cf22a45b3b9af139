"""The citizens' help section ("Comptes citoyens"): questions and answers in French and English.

Written for citizens, in this portal's own words and for what it does today (see the README). French puts a
non-breaking space (\u00a0) before a colon, so that the colon never starts a line.
"""

from dataclasses import dataclass

from gateway.web.wording import Wording

SUPPORT_EMAIL = "support@rendezvous-sante.example"


@dataclass(frozen=True)
class HelpEntry:
    """One question; its answer is paragraphs and, where the citizen follows steps, a numbered list."""

    slug: str
    question: Wording
    paragraphs: tuple[Wording, ...]
    steps: tuple[Wording, ...] = ()

    def text(self, lang: str) -> str:
        """Everything the search looks in, in one language."""
        return "\n".join([self.question(lang), *(p(lang) for p in self.paragraphs), *(s(lang) for s in self.steps)])


PAGE = {
    "title": Wording("Aide — Comptes citoyens", "Help — Citizen accounts"),
    "intro": Wording(
        "Questions fréquentes sur votre compte Rendez-vous santé, votre famille et vos rendez-vous.",
        "Frequently asked questions about your Rendez-vous santé account, your family and your appointments.",
    ),
    "search_label": Wording("Rechercher dans l'aide", "Search the help"),
    "search_button": Wording("Rechercher", "Search"),
    "show_all": Wording("Voir toutes les questions", "See all questions"),
    "contents": Wording("Sur cette page", "On this page"),
    "results_for": Wording("Réponses pour « {query} »\u00a0: {count}", "Answers for “{query}”: {count}"),
    "no_result": Wording(
        "Aucune réponse ne correspond à « {query} ». Essayez un autre mot (par exemple « NAM », « famille », "
        "« supprimer ») ou écrivez-nous à {email}.",
        "No answer matches “{query}”. Try another word (for example “NAM”, “family”, “delete”) or write to us "
        "at {email}.",
    ),
}


ENTRIES: tuple[HelpEntry, ...] = (
    HelpEntry(
        "create-account",
        Wording("Comment créer mon compte ?", "How do I create my account?"),
        (
            Wording(
                "Le compte est gratuit, sans abonnement. Il vous permet de prendre rendez-vous plus vite avec un "
                "formulaire déjà rempli, de voir vos rendez-vous au même endroit, de confirmer votre présence ou "
                "d'annuler, et de recevoir vos confirmations et rappels par courriel ou par SMS.",
                "The account is free, with no subscription. It lets you book faster with a form already filled "
                "in, see your appointments in one place, confirm your presence or cancel, and get your "
                "confirmations and reminders by email or text message (SMS).",
            ),
        ),
        (
            Wording(
                "Cliquez sur « Créer un compte » en haut de la page.",
                "Click “Create an account” at the top of the page.",
            ),
            Wording(
                "Indiquez vos nom, prénom, date de naissance, un courriel ou un numéro de cellulaire (au moins un "
                "des deux) et un mot de passe d'au moins 15 caractères. Votre numéro d'assurance maladie (NAM) "
                "est facultatif.",
                "Enter your name, first name, date of birth, an email address or a mobile phone number (at least "
                "one of the two) and a password of at least 15 characters. Your health insurance number (NAM) "
                "is optional.",
            ),
            Wording(
                "Nous vous envoyons un code à 6 chiffres par courriel ou par SMS. Entrez-le pour activer votre "
                "compte, puis connectez-vous.",
                "We send you a 6-digit code by email or SMS. Enter it to activate your account, then log in.",
            ),
        ),
    ),
    HelpEntry(
        "family",
        Wording("Un seul compte pour toute la famille ?", "One account for the whole family?"),
        (
            Wording(
                "Oui. Dans « Mon compte », section « Ma famille », ajoutez les personnes pour qui vous prenez "
                "rendez-vous, par exemple vos enfants (nombre illimité). Au moment de réserver, choisissez pour "
                "qui est le rendez-vous\u00a0: le formulaire est rempli pour cette personne.",
                "Yes. In “My account”, section “My family”, add the people you book for, for example your "
                "children (no limit). When you book, choose who the appointment is for: the form is filled in "
                "for that person.",
            ),
            Wording(
                "Vous voyez les rendez-vous de ces personnes dans « Mes rendez-vous ». Lors du premier rendez-vous "
                "d'un membre de votre famille, l'établissement vérifie que cette personne est bien associée à "
                "votre compte (voir « Pourquoi l'établissement doit-il authentifier mon compte ? »).",
                "You see their appointments in “My appointments”. At a family member's first appointment, the "
                "clinic checks that this person is indeed associated with your account (see “Why must a clinic "
                "authenticate my account?”).",
            ),
            Wording(
                "Vous pouvez aussi le demander d'avance\u00a0: dans « Mon compte », cliquez sur « Demander l'association "
                "d'une personne à mon compte ». L'établissement du prochain rendez-vous de cette personne accepte ou "
                "refuse la demande, et vous en voyez la réponse au même endroit.",
                "You can also ask for it ahead of time: in “My account”, click “Request a person's association with "
                "my account”. The clinic of that person's next appointment accepts or refuses the request, and you "
                "see the answer in the same place.",
            ),
        ),
    ),
    HelpEntry(
        "clinic-authentication",
        Wording(
            "Pourquoi l'établissement doit-il authentifier mon compte ?",
            "Why must a clinic authenticate my account?",
        ),
        (
            Wording(
                "Créer un compte en ligne ne prouve pas qui vous êtes. Lors de votre premier rendez-vous pris avec "
                "votre compte, le personnel de l'accueil vérifie votre identité, par exemple avec votre carte "
                "d'assurance maladie. Si vous avez pris rendez-vous pour un membre de votre famille, il valide "
                "aussi le lien entre cette personne et votre compte.",
                "Creating an account online does not prove who you are. At your first appointment booked with "
                "your account, the front desk checks your identity, for example with your health insurance card. "
                "If you booked for a family member, they also validate the link between that person and your "
                "account.",
            ),
            Wording(
                "Dans sa liste du jour, l'établissement voit un repère pour chaque rendez-vous\u00a0: gris s'il a été "
                "pris sans compte, une icône de profil rouge tant que l'identité du titulaire du compte n'est pas "
                "validée (verte ensuite), et une icône de carte rouge tant que le lien entre le patient et le "
                "compte n'est pas validé (verte ensuite). Vous n'avez rien à faire\u00a0: présentez-vous avec votre "
                "carte d'assurance maladie.",
                "In its list of the day, the clinic sees a marker for each appointment: grey if it was booked "
                "without an account, a red profile icon until the account holder's identity is validated (green "
                "afterwards), and a red card icon until the link between the patient and the account is validated "
                "(green afterwards). You have nothing to do: bring your health insurance card.",
            ),
            Wording(
                "Cette validation se fait une seule fois. Elle est à refaire seulement si vos renseignements "
                "personnels (nom, date de naissance, NAM...) ou la situation d'un membre de votre famille changent. "
                "Une fois votre identité validée, vos comptes qui portent le même NAM sont réunis.",
                "This validation is done once. It must be done again only if your personal information (name, date "
                "of birth, NAM...) or a family member's situation changes. Once your identity is validated, your "
                "accounts carrying the same NAM are brought together.",
            ),
        ),
    ),
    HelpEntry(
        "why-nam",
        Wording(
            "Pourquoi donner mon numéro d'assurance maladie (NAM) ?",
            "Why give my health insurance number (NAM)?",
        ),
        (
            Wording(
                "Le NAM est facultatif pour créer un compte. Il sert à reconnaître la même personne d'un compte à "
                "l'autre\u00a0: après la validation de votre identité par un établissement, les comptes qui portent "
                "votre NAM sont réunis et vous voyez tous vos rendez-vous. Votre NAM est conservé chiffré; le "
                "portail n'en affiche qu'une partie.",
                "The NAM is optional to create an account. It is how we recognise the same person from one "
                "account to another: after a clinic validates your identity, the accounts carrying your NAM are "
                "brought together and you see all your appointments. Your NAM is stored encrypted; the portal "
                "only shows part of it.",
            ),
        ),
    ),
    HelpEntry(
        "change-nam",
        Wording(
            "Comment changer ou corriger mon NAM ?",
            "How do I change or correct my NAM?",
        ),
        (
            Wording(
                "Votre nouveau NAM est appliqué dès que vous entrez le code. L'établissement devra ensuite valider "
                "de nouveau votre identité lors de votre prochain rendez-vous, puisque le NAM fait partie de vos "
                "renseignements d'identité.",
                "Your new NAM applies as soon as you enter the code. The clinic will then validate your identity "
                "again at your next appointment, since the NAM is part of your identity information.",
            ),
        ),
        (
            Wording("Connectez-vous et ouvrez « Mon compte ».", "Log in and open “My account”."),
            Wording(
                "Dans « Changer mon courriel, cellulaire, mot de passe ou NAM », choisissez « NAM » et entrez le "
                "nouveau numéro (4 lettres et 8 chiffres) et votre mot de passe actuel.",
                "In “Change my email, mobile phone, password or NAM”, choose “NAM” and enter the new number "
                "(4 letters and 8 digits) and your current password.",
            ),
            Wording(
                "Entrez le code à 6 chiffres reçu par courriel ou par SMS.",
                "Enter the 6-digit code you receive by email or SMS.",
            ),
        ),
    ),
    HelpEntry(
        "delete-account",
        Wording("Comment supprimer mon compte ?", "How do I delete my account?"),
        (
            Wording(
                "Vos informations et celles des membres de votre famille sont effacées de votre compte. Les "
                "rendez-vous déjà pris restent auprès des établissements\u00a0: annulez d'abord ceux où vous n'irez "
                "pas. Une confirmation de la suppression vous est envoyée.",
                "Your information and your family members' are erased from your account. Appointments already "
                "booked stay with the clinics: cancel first those you will not attend. A confirmation of the "
                "deletion is sent to you.",
            ),
        ),
        (
            Wording("Connectez-vous et ouvrez « Mon compte ».", "Log in and open “My account”."),
            Wording(
                "Sous « Informations personnelles », cliquez sur « Supprimer mon compte ».",
                "Under “Personal information”, click “Delete my account”.",
            ),
            Wording("Entrez votre mot de passe.", "Enter your password."),
            Wording(
                "Cliquez sur « Supprimer définitivement ». Un message confirme que votre compte est supprimé.",
                "Click “Delete for good”. A message confirms that your account is deleted.",
            ),
        ),
    ),
    HelpEntry(
        "history",
        Wording(
            "Pourquoi je ne vois pas tous mes rendez-vous ? Où est mon historique ?",
            "Why don't I see all my appointments? Where is my history?",
        ),
        (
            Wording(
                "Dans « Mes rendez-vous », le lien « Historique complet de mes rendez-vous » montre, pour chaque "
                "rendez-vous, le lieu, le service et l'état (réservé, présent, annulé, absent). Vous pouvez le "
                "télécharger en PDF ou pour votre calendrier (.ics).",
                "In “My appointments”, the link “Full history of my appointments” shows, for each appointment, the "
                "place, the service and the state (booked, attended, cancelled, no-show). You can download it as a "
                "PDF or for your calendar (.ics).",
            ),
            Wording(
                "Avant qu'un établissement ait validé votre identité, seuls les rendez-vous pris depuis votre compte "
                "y figurent. Ensuite, ceux que vous avez pris sans compte en donnant votre NAM et votre date de "
                "naissance s'ajoutent, avant comme après la validation. Il en va de même pour un membre de votre "
                "famille une fois son association à votre compte validée. Un rendez-vous d'une autre personne qui "
                "porte le même nom que vous n'y apparaît jamais.",
                "Before a clinic has validated your identity, only the appointments booked from your account are "
                "listed. Then the ones you booked without an account, giving your NAM and date of birth, are "
                "added, from before as well as after the validation. The same goes for a family member once their "
                "association with your account is validated. An appointment of someone else with the same name as "
                "you never appears.",
            ),
        ),
    ),
    HelpEntry(
        "several-accounts",
        Wording(
            "J'ai créé plusieurs comptes avec le même NAM. Que faire ?",
            "I created several accounts with the same NAM. What should I do?",
        ),
        (
            Wording(
                "Rien. Il arrive de créer par erreur plus d'un compte avec son numéro d'assurance maladie (NAM), "
                "par exemple un avec votre courriel et un autre avec votre cellulaire.",
                "Nothing. It happens that someone creates more than one account with their health insurance "
                "number (NAM) by mistake, for example one with their email and another with their mobile phone.",
            ),
            Wording(
                "Dès qu'un établissement de santé a validé votre identité, vos comptes qui portent le même NAM "
                "sont réunis automatiquement\u00a0: vous vous connectez avec l'un ou l'autre de vos identifiants et "
                "vous voyez la liste complète de vos rendez-vous.",
                "As soon as a health clinic has validated your identity, your accounts carrying the same NAM are "
                "brought together automatically: you log in with either of your identifiers and you see the "
                "complete list of your appointments.",
            ),
        ),
    ),
    HelpEntry(
        "forgot-password",
        Wording("J'ai oublié mon mot de passe. Que faire ?", "I forgot my password. What can I do?"),
        (
            Wording(
                "Choisissez-en un nouveau depuis la page « Se connecter »\u00a0: un code à 6 chiffres envoyé à "
                "votre courriel ou à votre cellulaire le confirme.",
                "Choose a new one from the “Log in” page: a 6-digit code sent to your email or mobile phone "
                "confirms it.",
            ),
            Wording(
                "Pour protéger les comptes, la page ne dit jamais si un compte utilise l'adresse ou le numéro "
                "entré. Si aucun code n'arrive, vérifiez ce que vous avez entré.",
                "To protect accounts, the page never says whether an account uses the address or number you "
                "entered. If no code arrives, check what you entered.",
            ),
        ),
        (
            Wording(
                "Sur la page « Se connecter », cliquez sur « Mot de passe oublié ? ».",
                "On the “Log in” page, click “Forgot your password?”.",
            ),
            Wording(
                "Entrez le courriel ou le numéro de cellulaire de votre compte, puis cliquez sur « Continuer ».",
                "Enter the email or mobile phone number of your account, then click “Continue”.",
            ),
            Wording(
                "Choisissez un nouveau mot de passe d'au moins 15 caractères, puis cliquez sur « Recevoir le code ».",
                "Choose a new password of at least 15 characters, then click “Get the code”.",
            ),
            Wording(
                "Entrez le code reçu. Votre nouveau mot de passe s'applique aussitôt\u00a0: connectez-vous avec lui.",
                "Enter the code you received. Your new password applies at once: log in with it.",
            ),
        ),
    ),
    HelpEntry(
        "update-information",
        Wording(
            "Comment modifier mes informations ? Qu'est-ce que le code à 6 chiffres ?",
            "How do I update my information? What is the 6-digit code?",
        ),
        (
            Wording(
                "Dans « Mon compte », vous pouvez modifier en tout temps, même avant l'authentification par un "
                "établissement\u00a0: vos renseignements personnels (prénom, nom, date de naissance, adresse), la "
                "façon de recevoir vos rappels (courriel, SMS ou les deux), votre courriel et votre cellulaire, "
                "votre mot de passe et votre NAM.",
                "In “My account”, you can change at any time, even before a clinic authenticates you: your "
                "personal information (first name, last name, date of birth, address), how you receive your "
                "reminders (email, SMS or both), your email and mobile phone, your password and your NAM.",
            ),
            Wording(
                "Pour votre sécurité, un changement de courriel, de cellulaire, de mot de passe ou de NAM est "
                "confirmé par un code à 6 chiffres. Pour un nouveau courriel ou cellulaire, le code est envoyé à "
                "cette nouvelle adresse ou à ce nouveau numéro; sinon, à votre courriel ou à votre cellulaire "
                "habituel. Le code expire après 10 minutes et ne sert qu'une fois\u00a0: ne le communiquez à personne. "
                "Vous pouvez demander un nouveau code.",
                "For your security, a change of email, mobile phone, password or NAM is confirmed with a 6-digit "
                "code. For a new email or mobile phone, the code goes to that new address or number; otherwise, "
                "to your usual email or mobile phone. The code expires after 10 minutes and works only once: "
                "never share it. You can ask for a new code.",
            ),
            Wording(
                "Si vous changez votre nom, votre date de naissance ou votre NAM, l'établissement validera de "
                "nouveau votre identité à votre prochain rendez-vous.",
                "If you change your name, date of birth or NAM, the clinic will validate your identity again at "
                "your next appointment.",
            ),
        ),
    ),
    HelpEntry(
        "shared-child",
        Wording(
            "Mon enfant est dans le compte de ses deux parents. Qui voit ses rendez-vous ?",
            "My child is in both parents' accounts. Who sees their appointments?",
        ),
        (
            Wording(
                "Chaque parent peut, s'il le souhaite, ajouter l'enfant dans sa famille et lui prendre rendez-vous "
                "depuis son propre compte.",
                "Each parent can, if they wish, add the child to their family and book for the child from their "
                "own account.",
            ),
            Wording(
                "Quand un établissement a validé l'identité de chaque parent et l'association de l'enfant à "
                "chacun des deux comptes, la liste complète des rendez-vous de l'enfant est visible dans le compte "
                "de chaque parent, et chacun peut les gérer. Indiquez le NAM de l'enfant dans les deux comptes\u00a0: "
                "c'est ainsi que nous reconnaissons qu'il s'agit du même enfant.",
                "Once a clinic has validated each parent's identity and the child's association with each of the "
                "two accounts, the complete list of the child's appointments is visible in each parent's account, "
                "and each of them can manage them. Enter the child's NAM in both accounts: that is how we "
                "recognise it is the same child.",
            ),
        ),
    ),
    HelpEntry(
        "who-sees-what",
        Wording("Qui peut voir mes informations ?", "Who can see my information?"),
        (
            Wording(
                "Vous seul ouvrez votre compte, avec votre mot de passe. Un établissement de santé ne peut ni "
                "créer un compte à votre place, ni ouvrir votre compte, ni lire ce que vous y avez inscrit.",
                "Only you open your account, with your password. A health clinic can neither create an account "
                "for you, nor open your account, nor read what you entered in it.",
            ),
            Wording(
                "Quand vous prenez rendez-vous, l'établissement choisi reçoit seulement ce qu'il faut pour ce "
                "rendez-vous\u00a0: le nom et la date de naissance du patient, le service, l'heure, vos coordonnées et "
                "le nom du titulaire du compte. Il ne voit pas les rendez-vous pris dans d'autres établissements, "
                "ni les autres membres de votre famille, ni votre mot de passe.",
                "When you book, the chosen clinic only receives what it needs for that appointment: the patient's "
                "name and date of birth, the service, the time, your contact details and the account holder's "
                "name. It does not see appointments booked at other clinics, your other family members, or your "
                "password.",
            ),
            Wording(
                "Les membres de votre famille ajoutés à votre compte n'ont pas accès à votre compte. Un parent "
                "voit les rendez-vous d'un enfant partagé seulement après les validations décrites dans « Mon "
                "enfant est dans le compte de ses deux parents ».",
                "Family members added to your account have no access to it. A parent sees a shared child's "
                "appointments only after the validations described in “My child is in both parents' accounts”.",
            ),
        ),
    ),
    HelpEntry(
        "book-without-account",
        Wording("Puis-je prendre rendez-vous sans compte ?", "Can I book without an account?"),
        (
            Wording(
                "Oui. Cherchez un service près de chez vous avec votre code postal, choisissez une heure et "
                "remplissez le formulaire. Vous recevez la confirmation, un lien pour annuler et un rappel par "
                "courriel ou par SMS. Comme aucun compte n'y est associé, l'établissement n'a rien à valider "
                "(il voit un repère gris).",
                "Yes. Search for a service near you with your postal code, choose a time and fill in the form. You "
                "get the confirmation, a link to cancel and a reminder by email or SMS. As no account is linked to it, "
                "the clinic has nothing to validate (it sees a grey marker).",
            ),
        ),
    ),
    HelpEntry(
        "health-staff",
        Wording(
            "Je travaille dans un établissement de santé. Puis-je utiliser mon courriel professionnel ?",
            "I work at a health clinic. Can I use my work email?",
        ),
        (
            Wording(
                "Non. Le courriel de votre accès à la console des établissements ne peut pas servir pour votre "
                "compte citoyen. Créez votre compte citoyen avec une autre adresse courriel ou avec votre "
                "cellulaire.",
                "No. The email of your clinic console access cannot be used for your citizen account. Create your "
                "citizen account with another email address or with your mobile phone.",
            ),
        ),
    ),
    HelpEntry(
        "support",
        Wording("Comment joindre le soutien ?", "How do I reach support?"),
        (
            Wording(
                f"Écrivez-nous à {SUPPORT_EMAIL}. Décrivez votre question sans jamais inscrire votre mot de "
                "passe, un code à 6 chiffres ni votre NAM au complet\u00a0: nous ne vous les demanderons jamais.",
                f"Write to us at {SUPPORT_EMAIL}. Describe your question without ever writing your password, a "
                "6-digit code or your full NAM: we will never ask for them.",
            ),
            Wording(
                "Pour un rendez-vous (retard, document à apporter, service offert), communiquez directement avec "
                "l'établissement indiqué dans votre confirmation. Pour une urgence, composez le 911; pour un "
                "conseil santé, le 811.",
                "For an appointment (being late, documents to bring, services offered), contact the clinic shown "
                "in your confirmation directly. In an emergency, call 911; for health advice, call 811.",
            ),
        ),
    ),
)
