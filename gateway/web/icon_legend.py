"""The console's legend of the Suivi icons: the clinic guide's "tableau récapitulatif des actions", FR/EN."""

from dataclasses import dataclass

from gateway.web.wording import Wording


@dataclass(frozen=True)
class IconState:
    """One row of the table: the icons as Suivi draws them, what they mean, what the clerk does."""

    slug: str
    profile: str  # "grey", "red" or "green": the account holder's identity
    card: str | None  # the patient's association with the account; None where the row is about identity alone
    state: Wording
    meaning: Wording
    action: Wording


PAGE = {
    "title": Wording("Légende des icônes du Suivi", "Daily list icon legend"),
    "intro": Wording(
        "Tableau récapitulatif des actions possibles concernant le compte citoyen. L'icône de profil 👤 indique "
        "l'identité du détenteur du compte; l'icône de carte 🪪 indique l'association du patient au compte.",
        "Summary of the possible actions about the citizen account. The profile icon 👤 shows the account "
        "holder's identity; the card icon 🪪 shows the patient's association with the account.",
    ),
    "icons": Wording("Icônes", "Icons"),
    "state": Wording("État", "State"),
    "meaning": Wording("Ce que cela veut dire", "What it means"),
    "action": Wording("Action à poser", "What to do"),
    "present_note": Wording(
        "Marquer le statut « Présent » initie la séquence d'authentification : présence, puis identité, puis "
        "association, pour ce qui est encore rouge.",
        "Marking “Present” starts the authentication sequence: presence, then identity, then association, for "
        "whatever is still red.",
    ),
    "back": Wording("Retour au Suivi", "Back to the daily list"),
}

STATES: tuple[IconState, ...] = (
    IconState(
        "no-account",
        "grey",
        "grey",
        Wording("Aucun compte associé au rendez-vous", "No account linked to the appointment"),
        Wording(
            "Le rendez-vous a été pris sans connexion à un compte citoyen.",
            "The appointment was booked without signing in to a citizen account.",
        ),
        Wording(
            "Aucune validation possible ni nécessaire : accueillez le patient comme d'habitude.",
            "No validation is possible or needed: welcome the patient as usual.",
        ),
    ),
    IconState(
        "identity-not-validated",
        "red",
        None,
        Wording("Identité non validée par l'établissement de santé", "Identity not validated by the clinic"),
        Wording(
            "Le détenteur du compte n'a encore été identifié par aucun établissement, ou ses renseignements "
            "personnels ont changé depuis.",
            "No clinic has identified the account holder yet, or their personal information changed since.",
        ),
        Wording(
            "Cliquez sur l'icône de profil rouge (ou marquez « Présent »), vérifiez les renseignements avec la carte "
            "d'assurance maladie, cochez « Je confirme avoir validé l'identité du patient » et confirmez.",
            "Click the red profile icon (or mark “Present”), check the information against the health insurance "
            "card, tick “I confirm that I checked the patient's identity” and confirm.",
        ),
    ),
    IconState(
        "identity-validated",
        "green",
        None,
        Wording("Identité validée par l'établissement de santé", "Identity validated by the clinic"),
        Wording(
            "Un établissement a confirmé l'identité du détenteur du compte. Elle reste validée tant que ses "
            "renseignements personnels ne changent pas.",
            "A clinic confirmed the account holder's identity. It stays validated as long as their personal "
            "information does not change.",
        ),
        Wording("Rien à faire.", "Nothing to do."),
    ),
    IconState(
        "holder-and-association-not-validated",
        "red",
        "red",
        Wording(
            "Identité du détenteur du compte non validée et association du patient au compte non validée",
            "Account holder's identity not validated and patient's association with the account not validated",
        ),
        Wording(
            "Le rendez-vous a été pris depuis le compte d'une autre personne (ex. un parent pour son enfant); ni "
            "le détenteur ni le lien avec le patient ne sont validés.",
            "The appointment was booked from someone else's account (e.g. a parent for their child); neither the "
            "holder nor the link with the patient is validated.",
        ),
        Wording(
            "Identifiez d'abord le détenteur du compte (icône de profil rouge), puis validez l'association (icône "
            "de carte rouge). Marquer « Présent » enchaîne les deux fenêtres.",
            "First identify the account holder (red profile icon), then validate the association (red card icon). "
            "Marking “Present” opens both windows in turn.",
        ),
    ),
    IconState(
        "association-not-validated",
        "green",
        "red",
        Wording(
            "Identité du détenteur du compte validée et association du patient au compte non validée",
            "Account holder's identity validated and patient's association with the account not validated",
        ),
        Wording(
            "Le détenteur est identifié, mais aucun établissement n'a encore confirmé que ce patient lui est "
            "associé, ou la situation du patient a changé.",
            "The holder is identified, but no clinic has confirmed yet that this patient is associated with them, "
            "or the patient's situation changed.",
        ),
        Wording(
            "Cliquez sur l'icône de carte rouge, vérifiez l'identité du patient et son lien avec le détenteur, "
            "cochez la case et cliquez sur « Je confirme l'identité du patient et son association avec le "
            "détenteur du compte ».",
            "Click the red card icon, check the patient's identity and their link with the holder, tick the box and "
            "click “I confirm the patient's identity and their association with the account holder”.",
        ),
    ),
    IconState(
        "both-validated",
        "green",
        "green",
        Wording(
            "Identité du détenteur du compte validée et association du patient au compte validée",
            "Account holder's identity validated and patient's association with the account validated",
        ),
        Wording(
            "Le détenteur et son lien avec le patient sont confirmés.",
            "The holder and their link with the patient are confirmed.",
        ),
        Wording(
            "Rien à faire, sauf si la situation du patient change.",
            "Nothing to do, unless the patient's situation changes.",
        ),
    ),
)
