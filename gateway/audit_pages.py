"""The establishment's audit log in the console, for its managers: who validated, corrected, revoked or
read what, who invited or changed whose access, booked for a caller or changed the establishment, and when.
Verification keeps ids and reasons only; the page names the staff member (accounts' staff list) and says the
details in a sentence of the visitor's language, 50 entries at a time, newest first."""

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from gateway.console_render import render_console
from gateway.page_sessions import StaffPage
from gateway.upstreams import Accounts, AuditEntry, Verification
from gateway.upstreams.accounts import StaffName
from gateway.web.dates import when
from gateway.web.texts import TEXTS, language_of

router = APIRouter(prefix="/admin/audit", include_in_schema=False)

ACTIONS = {
    "fr": {
        "identity_validated": "Identité validée",
        "identity_invalidated": "Validation d'identité retirée",
        "association_validated": "Association validée",
        "association_revoked": "Association retirée",
        "association_requested": "Demande d'association reçue",
        "association_request_accepted": "Demande d'association acceptée",
        "association_request_refused": "Demande d'association refusée",
        "association_request_withdrawn": "Demande d'association retirée",
        "association_requests_viewed": "Consultation des demandes d'association",
        "patient_records_viewed:day_list": "Consultation de la liste Suivi",
        "patient_records_viewed:appointment": "Consultation d'un rendez-vous",
        # The console's administration (issue 21).
        "staff_invited": "Invitation d'un membre du personnel",
        "invitation_accepted": "Invitation acceptée",
        "role_changed": "Rôle modifié",
        "disabled": "Accès à la console désactivé",
        "enabled": "Accès à la console réactivé",
        "factor_enrolled": "Deuxième facteur configuré",
        "factor_reset": "Deuxième facteur réinitialisé",
        "operator_created": "Opérateur de la plateforme créé",
        "establishment_created": "Établissement créé",
        "establishment_updated": "Établissement modifié",
        "service_added": "Service ajouté",
        "rules_changed": "Règles de la clinique modifiées",
        "caller_booked": "Rendez-vous pris pour un appelant",
        "caller_cancelled": "Rendez-vous d'un appelant annulé",
        "caller_rescheduled": "Rendez-vous d'un appelant déplacé",
    },
    "en": {
        "identity_validated": "Identity validated",
        "identity_invalidated": "Identity validation withdrawn",
        "association_validated": "Association validated",
        "association_revoked": "Association withdrawn",
        "association_requested": "Association request received",
        "association_request_accepted": "Association request accepted",
        "association_request_refused": "Association request refused",
        "association_request_withdrawn": "Association request withdrawn",
        "association_requests_viewed": "Association requests read",
        "patient_records_viewed:day_list": "Daily list read",
        "patient_records_viewed:appointment": "Appointment read",
        "staff_invited": "Staff member invited",
        "invitation_accepted": "Invitation accepted",
        "role_changed": "Role changed",
        "disabled": "Console access disabled",
        "enabled": "Console access enabled again",
        "factor_enrolled": "Second factor set up",
        "factor_reset": "Second factor reset",
        "operator_created": "Platform operator created",
        "establishment_created": "Establishment created",
        "establishment_updated": "Establishment updated",
        "service_added": "Service added",
        "rules_changed": "Clinic rules changed",
        "caller_booked": "Appointment booked for a caller",
        "caller_cancelled": "Caller's appointment cancelled",
        "caller_rescheduled": "Caller's appointment moved",
    },
}


PAGE = 50
# Verification answers at most this many entries: the log's paging stops there.
FURTHEST = 500

# Why a validation ended (verification's validations/rules.py), as the manager reads it.
REASONS = {
    "fr": {
        "profile_changed": "le citoyen a changé ses renseignements personnels",
        "account_deleted": "le compte a été supprimé",
        "dependant_removed": "la personne a été retirée du compte",
        "identity_changed": "l'identité de la personne a changé",
        "holder_identity_invalidated": "l'identité du détenteur du compte n'est plus validée",
        "superseded": "remplacée par une validation plus récente",
        "nam_discrepancy": "le NAM ne correspond plus à celui validé",
    },
    "en": {
        "profile_changed": "the citizen changed their personal information",
        "account_deleted": "the account was deleted",
        "dependant_removed": "the person was removed from the account",
        "identity_changed": "the person's identity changed",
        "holder_identity_invalidated": "the account holder's identity is no longer validated",
        "superseded": "replaced by a newer validation",
        "nam_discrepancy": "the health insurance number no longer matches the validated one",
    },
}


def _count(n: int, zero: str, one: str, many: str) -> str:
    return zero if n == 0 else one if n == 1 else many.format(n=n)


# Actions on a staff member's access: the details name whom (staff_id) and the role they hold after it.
STAFF_ACCESS_ACTIONS = frozenset(
    {"invitation_accepted", "role_changed", "disabled", "enabled", "factor_enrolled", "factor_reset"}
)


def role_name(role: str, lang: str) -> str:
    t = TEXTS[lang]
    return t.get("role_" + role, role)


def details_sentence(entry: AuditEntry, lang: str, staff: dict[str, StaffName] | None = None) -> str:
    """What the entry's details say, as a sentence; ids (appointment, request, validation, service) are left
    out, a staff member whose access changed is named from the establishment's staff list."""
    t = TEXTS[lang]
    details = entry.get("details") or {}
    action = entry["action"]
    parts: list[str] = []
    if action.startswith("patient_records_viewed"):
        n = int(details.get("appointments") or 0)
        parts.append(_count(n, t["audit_shown_none"], t["audit_shown_one"], t["audit_shown_many"]))
    elif action == "association_requests_viewed":
        n = int(details.get("count") or 0)
        parts.append(_count(n, t["audit_requests_none"], t["audit_requests_one"], t["audit_requests_many"]))
    elif action == "identity_validated":
        parts.append(t["audit_with_nam"] if details.get("with_nam") == "yes" else t["audit_without_nam"])
        if details.get("superseded"):
            parts.append(t["audit_superseded"])
    elif action == "association_requested":
        parts.append(t["audit_requested"])
    elif action == "staff_invited" and details.get("role"):
        parts.append(t["audit_invited_as"].format(role=role_name(details["role"], lang)))
    elif action in STAFF_ACCESS_ACTIONS and details.get("staff_id"):
        member = (staff or {}).get(details["staff_id"])
        role = details.get("role")
        if member is None:  # since removed, or (an operator's act) not in this establishment's list
            parts.append(f"{t['audit_by_former_staff']}.")
        elif role:
            parts.append(t["audit_staff_member_role"].format(name=member["name"], role=role_name(role, lang)))
        else:
            parts.append(t["audit_staff_member"].format(name=member["name"]))
    reason = details.get("reason")
    if reason:
        parts.append(t["audit_reason"].format(reason=REASONS[lang].get(reason, reason)))
    return " ".join(parts)


def actor_name(actor: str, staff: dict[str, StaffName], lang: str, actor_role: str | None = None) -> str:
    t = TEXTS[lang]
    if actor == "system":
        return t["audit_by_system"]
    if actor_role == "operator":  # not the establishment's staff: the platform's
        return t["audit_by_operator"]
    if actor.startswith("account:"):
        return t["audit_by_citizen"]
    member = staff.get(actor)
    if member is None:  # a staff member since removed, or of another establishment (a validation's revocation)
        return t["audit_by_former_staff"]
    return f"{member['name']} ({role_name(member['role'], lang)})"


@router.get("", response_class=HTMLResponse)
async def audit_log(request: Request, staff: StaffPage, older: int = 0) -> Response:
    if staff.role != "manager":  # the log is for managers: a clerk is told so, on a page of its own
        return await render_console(request, staff, "admin/forbidden.html", status=403, active="audit")
    skip = max(0, min(older, FURTHEST - PAGE))
    establishment = str(staff.establishment_id)
    entries, names = await asyncio.gather(
        Verification.of(request, staff).audit_log(establishment, limit=min(skip + PAGE + 1, FURTHEST)),
        Accounts.of(request, staff).staff_names(establishment),
    )
    lang = language_of(request)
    by_id = {member["id"]: member for member in names}
    page = entries[skip : skip + PAGE]
    shown = [
        {
            **entry,
            "when": when(entry["at"], lang),
            "label": ACTIONS[lang].get(entry["action"], entry["action"]),
            "by": actor_name(entry["actor"], by_id, lang, entry.get("actor_role")),
            "sentence": details_sentence(entry, lang, by_id),
        }
        for entry in page
    ]
    return await render_console(
        request,
        staff,
        "admin/audit.html",
        active="audit",
        entries=shown,
        newer=max(0, skip - PAGE) if skip else None,
        older=skip + PAGE if len(entries) > skip + PAGE else None,
        first=skip + 1,
        last=skip + len(page),
    )
