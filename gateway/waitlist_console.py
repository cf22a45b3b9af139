"""The console's view of the waitlist (issue 22, item 1): how many people wait for each service of the
establishment, and how many have a seat offered and not yet answered; the hold time is said, and a manager sets
it on /admin/rules (gateway/clinic_rules_pages.py)."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from gateway.console_render import render_console
from gateway.page_sessions import StaffPage
from gateway.upstreams import Appointments
from gateway.web.texts import language_of

router = APIRouter(prefix="/admin/waitlist", include_in_schema=False)


@router.get("", response_class=HTMLResponse)
async def waitlist_lengths(request: Request, staff: StaffPage) -> HTMLResponse:
    """Clerks and managers of the establishment: the line per service, longest first."""
    lang = language_of(request)
    lengths = await Appointments.of(request, staff).waitlist_lengths(str(staff.establishment_id))
    lines = sorted(lengths["services"], key=lambda line: (-line["waiting"] - line["offered"], line["name_fr"]))
    services = [
        {
            "id": line["service_id"],
            "name": line["name_fr"] if lang == "fr" else line["name_en"],
            "waiting": line["waiting"],
            "offered": line["offered"],
        }
        for line in lines
    ]
    return await render_console(
        request,
        staff,
        "admin/waitlist.html",
        active="waitlist",
        services=services,
        hold_minutes=lengths["hold_minutes"],
    )
