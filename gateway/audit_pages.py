"""The establishment's audit log in the console, for its managers: who validated, corrected, revoked or
read what, and when (ids and reasons only, as verification keeps them)."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from gateway.console_render import render_console
from gateway.page_sessions import StaffPage
from gateway.upstreams import Verification
from gateway.web.dates import when
from gateway.web.texts import language_of

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
    },
}


@router.get("", response_class=HTMLResponse)
async def audit_log(request: Request, staff: StaffPage) -> Response:
    if staff.role != "manager":  # the log is for managers: a clerk is told so, on a page of its own
        return await render_console(request, staff, "admin/forbidden.html", status=403, active="audit")
    entries = await Verification.of(request, staff).audit_log(str(staff.establishment_id))
    lang = language_of(request)
    shown = [
        {**entry, "when": when(entry["at"], lang), "label": ACTIONS[lang].get(entry["action"], entry["action"])}
        for entry in entries
    ]
    return await render_console(request, staff, "admin/audit.html", active="audit", entries=shown)
