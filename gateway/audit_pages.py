"""The establishment's audit log in the console, for its managers: who validated, corrected, revoked or
read what, and when (ids and reasons only, as verification keeps them)."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from gateway import admin_pages
from gateway.web.dates import when
from gateway.web.pages import field_errors, render
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
async def audit_log(request: Request) -> Response:
    staff = admin_pages.staff_of(request)
    if staff is None:
        return admin_pages.to_login()
    answer = await request.app.state.proxy.request(
        "verification",
        "GET",
        f"/admin/establishments/{staff.establishment_id}/audit",
        query="limit=500",
        identity=staff.identity_headers(),
    )
    lang = language_of(request)
    if answer.status != 200:  # a clerk: the log is for managers, and the page says why
        errors = field_errors(answer.json().get("errors", []), lang)
        return render(request, "admin/audit.html", status=answer.status, staff=staff, entries=[], errors=errors)
    entries = answer.json()["entries"]
    for entry in entries:
        entry["when"] = when(entry["at"], lang)
        entry["label"] = ACTIONS[lang].get(entry["action"], entry["action"])
    return render(request, "admin/audit.html", staff=staff, entries=entries, errors={})
