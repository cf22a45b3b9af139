"""The Suivi icons and their legend (the clinic guide's "tableau récapitulatif des actions"), FR/EN.

One source for both pages: `state_of` says which legend row an appointment is in, and `icon` draws each icon of
that row, so Suivi and the legend cannot disagree. Each icon is an inline SVG (no emoji font needed) with its
state in words beside it, and the state also changes the badge's shape (cross, check mark, dash): never colour
alone (WCAG 1.4.1).
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from markupsafe import Markup

from gateway.web.wording import Wording

Kind = Literal["profile", "card"]
Colour = Literal["grey", "red", "green"]


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
        "Tableau récapitulatif des actions possibles concernant le compte citoyen. L'icône de profil indique "
        "l'identité du détenteur du compte; l'icône de carte indique l'association du patient au compte. Une croix "
        "signale ce qui reste à valider, un crochet ce qui est validé, un tiret l'absence de compte.",
        "Summary of the possible actions about the citizen account. The profile icon shows the account "
        "holder's identity; the card icon shows the patient's association with the account. A cross marks what "
        "is still to validate, a check mark what is validated, a dash that there is no account.",
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
        None,
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
        "holder-not-validated-association-validated",
        "red",
        "green",
        Wording(
            "Identité du détenteur du compte non validée et association du patient au compte validée",
            "Account holder's identity not validated and patient's association with the account validated",
        ),
        Wording(
            "Le lien avec le patient a été confirmé, mais l'identité du détenteur ne l'est plus (ses renseignements "
            "personnels ont changé).",
            "The link with the patient was confirmed, but the holder's identity no longer is (their personal "
            "information changed).",
        ),
        Wording(
            "Cliquez sur l'icône de profil rouge (ou marquez « Présent ») et identifiez le détenteur du compte.",
            "Click the red profile icon (or mark “Present”) and identify the account holder.",
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

BY_ICONS: dict[tuple[str, str | None], IconState] = {(s.profile, s.card): s for s in STATES}

LABELS: dict[tuple[Kind, Colour], Wording] = {
    ("profile", "grey"): Wording("Aucun compte", "No account"),
    ("profile", "red"): Wording("Identité non validée", "Identity not validated"),
    ("profile", "green"): Wording("Identité validée", "Identity validated"),
    ("card", "grey"): Wording("Aucun compte", "No account"),
    ("card", "red"): Wording("Association non validée", "Association not validated"),
    ("card", "green"): Wording("Association validée", "Association validated"),
}

# The person (profile) or the card, then the state's badge: a cross, a check mark or a dash.
_GLYPHS: dict[Kind, Markup] = {
    "profile": Markup('<circle cx="10" cy="7" r="4.5"/><path d="M1.5 21c0-5 3.8-8 8.5-8s8.5 3 8.5 8z"/>'),
    "card": Markup(
        '<rect x="1" y="4" width="19" height="14" rx="2"/><rect x="3.5" y="7" width="5" height="6" rx="1" '
        'fill="#fff"/><path d="M11 8h6M11 11h6M11 14h4" stroke="#fff" stroke-width="1.6"/>'
    ),
}
_BADGES: dict[Colour, Markup] = {
    "red": Markup('<path d="M16.6 16.6l4.8 4.8M21.4 16.6l-4.8 4.8"/>'),
    "green": Markup('<path d="M15.8 19.2l2.2 2.2 4-4.4"/>'),
    "grey": Markup('<path d="M15.6 19h6.8"/>'),
}


def booked_for_someone_else(entry: Mapping[str, Any]) -> bool:
    """Booked from an account for another person (a child, say): the association is then to validate too."""
    return bool(entry.get("account_id")) and entry.get("person_id") not in (None, entry.get("account_id"))


def state_of(entry: Mapping[str, Any]) -> IconState:
    """The legend's row for one appointment of the Suivi list (appointments' profile_icon and card_icon).

    A holder's own booking has no association: its card follows the profile in appointments' answer, and
    the legend's row for it shows the profile icon alone."""
    if not entry.get("account_id"):
        return BY_ICONS[("grey", None)]
    card = entry.get("card_icon") if booked_for_someone_else(entry) else None
    return BY_ICONS[(str(entry.get("profile_icon")), card)]


def icons(state: IconState) -> list[tuple[Kind, Colour]]:
    drawn: list[tuple[Kind, Colour]] = [("profile", state.profile)]  # type: ignore[list-item]
    if state.card is not None:
        drawn.append(("card", state.card))  # type: ignore[arg-type]
    return drawn


def icon(kind: Kind, colour: Colour, lang: str) -> Markup:
    """One icon with its state in words: the same markup wherever it is shown."""
    label = LABELS[(kind, colour)](lang)
    return Markup(
        '<span class="rvs-icon rvs-icon--{colour}" data-icon="{kind}" data-state="{colour}">'
        '<svg class="rvs-icon__svg" viewBox="0 0 24 24" width="28" height="28" aria-hidden="true" focusable="false">'
        '<g class="rvs-icon__glyph">{glyph}</g>'
        '<circle class="rvs-icon__badge" cx="19" cy="19" r="5"/>'
        '<g class="rvs-icon__mark" fill="none" stroke="#fff" stroke-width="2" stroke-linecap="round">{badge}</g>'
        '</svg><span class="rvs-icon__label">{label}</span></span>'
    ).format(kind=kind, colour=colour, glyph=_GLYPHS[kind], badge=_BADGES[colour], label=label)
