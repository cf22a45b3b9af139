"""The waitlist's pages (issue 22, item 1): join it from a service's booking page (signed in, for oneself or a
person of one's family; or without an account, with an e-mail and/or a mobile), see and leave one's entries
(the account's /account/waitlist, or an entry's own link), and answer a seat offered by the link its message
carries: accept (a booking, confirmed as any booking is) or decline (asked first).

The console's part (waitlist length per service, the hold time on /admin/rules) is in gateway/waitlist_console.py.
Appointments decides everything (who is next, what is held, for how long); these pages say it.
"""

import uuid
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from babel.dates import format_date
from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from gateway import composition
from gateway.auth import Principal
from gateway.page_sessions import CitizenPage, OptionalCitizen
from gateway.portal import _birth_date, _shown
from gateway.upstreams import Accounts, Appointments, OfferedService, UpstreamRefusal
from gateway.upstreams.appointments import WaitlistEntry, WaitlistOffer
from gateway.web.dates import LOCALES, local, time_label, today, written_when
from gateway.web.field_messages import contact_required
from gateway.web.pages import render
from gateway.web.texts import TEXTS, language_of

router = APIRouter(include_in_schema=False)
SEE_OTHER = 303
TIMES_OF_DAY = ("morning", "afternoon", "evening")
# The join form's fields, top to bottom: its error summary lists the reasons in this order.
FORM_ORDER = (
    "form",
    "person_id",
    "first_name",
    "last_name",
    "birth_date",
    "email",
    "phone",
    "language",
    "from_date",
    "to_date",
    "times_of_day",
)
# What the join form proposes: from today, for a month (appointments allows up to 60 days).
PROPOSED_SPAN = timedelta(days=30)
Text = Annotated[str, Form(max_length=320)]


# --- joining ---


@router.get("/waitlist/join", response_class=HTMLResponse)
async def join_form(
    request: Request,
    principal: OptionalCitizen,
    service: Annotated[uuid.UUID, Query()],
) -> HTMLResponse:
    """The form, under a service's free times: who (signed in) or their details (without an account), which days
    and which times of day. The establishment is the service's own (a link naming another is not believed)."""
    lang = language_of(request)
    start = today()
    values: dict[str, Any] = {
        "language": lang,
        "times_of_day": list(TIMES_OF_DAY),
        **_date_values("from", start),
        **_date_values("to", start + PROPOSED_SPAN),
    }
    context = await _join_context(request, service, principal)
    return render(request, "portal/waitlist_join.html", **context, values=values, errors={})


async def _join_context(request: Request, service_id: uuid.UUID, principal: Principal | None) -> dict[str, Any]:
    lang = language_of(request)
    offered = await Appointments.of(request).offered_service(service_id)
    people = await Accounts.of(request, principal).people() if principal is not None else []
    return {
        "active": "find",
        "offered": offered,
        "service_name": _service_name(offered, lang),
        "people": people,
        "times": [{"value": value, "text": TEXTS[lang][f"wl_{value}"]} for value in TIMES_OF_DAY],
        # Generated with the page: a second submit of this form (a double click, a reload) replays its entry.
        "idempotency_key": str(uuid.uuid4()),
    }


@router.post("/waitlist/join", response_class=HTMLResponse)
async def join(
    request: Request,
    principal: OptionalCitizen,
    service_id: Annotated[str, Form(max_length=64)] = "",
    idempotency_key: Annotated[str, Form(max_length=64)] = "",
    person_id: Annotated[str, Form(max_length=64)] = "",
    first_name: Annotated[str, Form(max_length=200)] = "",
    last_name: Annotated[str, Form(max_length=200)] = "",
    email: Text = "",
    phone: Annotated[str, Form(max_length=64)] = "",
    language: Annotated[str, Form(max_length=8)] = "",
    notify_sms: Annotated[str, Form(max_length=8)] = "",
    birth_day: Annotated[str, Form(max_length=8)] = "",
    birth_month: Annotated[str, Form(max_length=8)] = "",
    birth_year: Annotated[str, Form(max_length=8)] = "",
    from_day: Annotated[str, Form(max_length=8)] = "",
    from_month: Annotated[str, Form(max_length=8)] = "",
    from_year: Annotated[str, Form(max_length=8)] = "",
    to_day: Annotated[str, Form(max_length=8)] = "",
    to_month: Annotated[str, Form(max_length=8)] = "",
    to_year: Annotated[str, Form(max_length=8)] = "",
    times_of_day: Annotated[list[str], Form(max_length=3)] = [],  # noqa: B006 - FastAPI copies a form's default
) -> Response:
    lang = language_of(request)
    service = _uuid(service_id)
    if service is None:
        # Only a forged form lacks it: there is no page to show the form again on.
        raise UpstreamRefusal(422, [_refusal("service_id", "invalid", "wl_person_invalid")])
    chosen_times = [value for value in TIMES_OF_DAY if value in times_of_day]
    values: dict[str, Any] = {
        "person_id": person_id,
        "first_name": first_name,
        "last_name": last_name,
        "email": email,
        "phone": phone,
        "language": language or lang,
        "notify_sms": notify_sms == "on",
        "birth_day": birth_day,
        "birth_month": birth_month,
        "birth_year": birth_year,
        "from_day": from_day,
        "from_month": from_month,
        "from_year": from_year,
        "to_day": to_day,
        "to_month": to_month,
        "to_year": to_year,
        "times_of_day": chosen_times,
    }
    # Checked here, said in the visitor's words; the rest (the dates' span, the contact...) by appointments,
    # asked in the same pass so that the form shows every problem at once.
    local_errors: dict[str, str] = {}
    from_date = _form_date(from_day, from_month, from_year, "from", lang, local_errors)
    to_date = _form_date(to_day, to_month, to_year, "to", lang, local_errors)
    if not chosen_times:
        local_errors["times_of_day"] = TEXTS[lang]["wl_times_missing"]
    key = idempotency_key if _uuid(idempotency_key) else str(uuid.uuid4())
    try:
        offered = await Appointments.of(request).offered_service(service)
        join_body = {
            "establishment_id": offered["establishment"]["id"],
            "service_id": str(service),
            "from_date": from_date.isoformat() if from_date else None,
            "to_date": to_date.isoformat() if to_date else None,
            "times_of_day": chosen_times,
        }
        if principal is not None:
            if person_id and _uuid(person_id) is None:
                local_errors["person_id"] = TEXTS[lang]["wl_person_invalid"]
            if local_errors:
                raise UpstreamRefusal(422, [])
            entry = await composition.joined_for_person(
                Accounts.of(request, principal), Appointments.of(request, principal), join_body, _uuid(person_id), key
            )
            token = None
        else:
            contact = {"email": email.strip() or None, "phone": phone.strip() or None}
            joined = await Appointments.of(request).join_waitlist(
                join_body
                | contact
                | {
                    "first_name": first_name,
                    "last_name": last_name,
                    "birth_date": _birth_date(birth_day, birth_month, birth_year),
                    "language": language if language in ("fr", "en") else lang,
                    "notify_email": contact["email"] is not None,
                    # A mobile alone is where the offer goes, ticked or not.
                    "notify_sms": notify_sms == "on" or (contact["phone"] is not None and contact["email"] is None),
                },
                key,
            )
            entry, token = joined["entry"], joined["token"]
        if local_errors:
            raise UpstreamRefusal(422, [])
    except UpstreamRefusal as refusal:
        if refusal.status >= 500 or refusal.status in (401, 403, 404):
            raise
        errors = local_errors | {k: v for k, v in refusal.by_field(lang).items() if k not in local_errors}
        if principal is None and refusal.status == 422 and not email.strip() and not phone.strip():
            errors.setdefault("email", contact_required(lang))
        errors = dict(sorted(errors.items(), key=lambda item: _place_in_form(item[0])))
        context = await _join_context(request, service, principal)
        if any(error["code"] == "idempotency_key_reused" for error in refusal.errors):
            # This form already made an entry, and was changed since: a new form joins anew.
            errors = {"form": TEXTS[lang]["wl_form_used"]}
        else:
            context["idempotency_key"] = key  # the same form, corrected: a double submit still joins once
        return render(
            request, "portal/waitlist_join.html", status=refusal.status, **context, values=values, errors=errors
        )
    return render(
        request,
        "portal/waitlist_joined.html",
        active="find",
        entry=entry_shown(entry, lang),
        token=token,
        sent_to={"email": email.strip(), "phone": phone.strip()} if principal is None else None,
        hold_minutes=entry["hold_minutes"],
    )


def _place_in_form(field: str) -> int:
    return FORM_ORDER.index(field) if field in FORM_ORDER else len(FORM_ORDER)


def _date_values(prefix: str, day: date) -> dict[str, str]:
    return {f"{prefix}_day": str(day.day), f"{prefix}_month": str(day.month), f"{prefix}_year": str(day.year)}


def _form_date(day: str, month: str, year: str, which: str, lang: str, errors: dict[str, str]) -> date | None:
    """The three boxes as a date, or the reason they are not one (in `errors`, under `<which>_date`)."""
    parts = (day.strip(), month.strip(), year.strip())
    field = f"{which}_date"
    if not all(parts):
        errors[field] = TEXTS[lang]["wl_date_missing"].format(which=TEXTS[lang][f"wl_which_{which}"])
        return None
    try:
        return date(int(parts[2]), int(parts[1]), int(parts[0]))
    except ValueError:
        errors[field] = TEXTS[lang]["wl_date_invalid"]
        return None


def _refusal(field: str, code: str, key: str) -> Any:
    return {"field": field, "code": code, "message": {"fr": TEXTS["fr"][key], "en": TEXTS["en"][key]}}


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def _service_name(offered: OfferedService | Mapping[str, Any], lang: str) -> str:
    return str(offered["name_fr"] if lang == "fr" else offered["name_en"])


def _written_date(iso: str, lang: str) -> str:
    return format_date(date.fromisoformat(iso), format="long", locale=LOCALES[lang])


def _until(expires_at: str, lang: str) -> str:
    """The hold's end: its time when it ends today, else its day and time."""
    moment = local(expires_at)
    if moment.date() == today():
        return time_label(moment, lang)
    return written_when(expires_at, lang)


def offer_shown(offer: WaitlistOffer | dict[str, Any], lang: str) -> dict[str, Any]:
    place = offer["place"]
    person = offer.get("person") or {}
    return {
        "id": offer["id"],
        "status": offer["status"],
        "what": _service_name(offer["service"], lang),
        "when": written_when(offer["starts_at"], lang),
        "until": _until(offer["expires_at"], lang),
        "expires_at": offer["expires_at"],
        "expired": datetime.fromisoformat(offer["expires_at"]) <= datetime.now(UTC),
        "who": f"{person.get('first_name', '')} {person.get('last_name', '')}".strip(),
        "place": place,
        "token": offer.get("token"),
    }


def entry_shown(entry: WaitlistEntry, lang: str) -> dict[str, Any]:
    """What a page says of a waitlist entry, in the visitor's language."""
    t = TEXTS[lang]
    person = entry["person"]
    offer = entry.get("offer")
    # An ended entry says why: its dates passed, two offers went unanswered, or the person left the account.
    reason = entry.get("ended_reason") if entry["status"] == "ended" else None
    status_key = (
        f"wl_status_ended_{reason}" if reason and f"wl_status_ended_{reason}" in t else f"wl_status_{entry['status']}"
    )
    return {
        "id": entry["id"],
        "status": entry["status"],
        "status_label": t.get(status_key, entry["status"]),
        # Two offers left unanswered: said plainly, with the way back onto the line.
        "ended_unanswered": reason == "offers_unanswered",
        "service_id": entry["service"]["service_id"],
        "what": _service_name(entry["service"], lang),
        "place": entry["place"],
        "who": f"{person.get('first_name', '')} {person.get('last_name', '')}".strip(),
        "days": t["wl_days_value"].format(
            start=_written_date(entry["from_date"], lang), end=_written_date(entry["to_date"], lang)
        ),
        "times": [t[f"wl_{value}"] for value in TIMES_OF_DAY if value in entry["times_of_day"]],
        "position": entry.get("position"),
        "offer": offer_shown(offer, lang) if offer and offer.get("status") == "open" else None,
        "active": entry["status"] in ("waiting", "offered"),
    }


# --- an offer, by its link (with or without an account) ---


@router.get("/waitlist/offers/{offer_id}", response_class=HTMLResponse)
async def offer_page(
    request: Request, offer_id: uuid.UUID, token: Annotated[str, Query(max_length=200)] = ""
) -> HTMLResponse:
    """The seat (when, where, for whom, held until), Accept, and the way to decline; or why it is no longer open."""
    shown = await _open_offer(request, offer_id, token)
    if isinstance(shown, HTMLResponse):
        return shown
    return render(request, "portal/waitlist_offer.html", offer=shown, token=token, idempotency_key=str(uuid.uuid4()))


async def _open_offer(request: Request, offer_id: uuid.UUID, token: str) -> dict[str, Any] | HTMLResponse:
    """The offer as shown, while it is open; otherwise the page that says why it no longer is."""
    try:
        offer = await Appointments.of(request).waitlist_offer(offer_id, token)
    except UpstreamRefusal as refusal:
        if refusal.status != 404:
            raise
        return _offer_gone(request, "unknown", None)
    shown = offer_shown(offer, language_of(request))
    if offer["status"] != "open" or shown["expired"]:
        return _offer_gone(request, "expired" if offer["status"] in ("open", "expired") else offer["status"], shown)
    return shown


def _offer_gone(request: Request, why: str, offer: dict[str, Any] | None) -> HTMLResponse:
    """An offer that can no longer be answered says why, in full, never as an error: the link came by e-mail or
    text, perhaps to a browser set to the other language, which the page also says it in (as error pages do)."""
    other = "en" if language_of(request) == "fr" else "fr"
    return render(
        request,
        "portal/waitlist_offer_gone.html",
        status=404 if why == "unknown" else 409,
        why=why,
        offer=offer,
        other_lang=other,
        other=TEXTS[other],
        other_until=_until(offer["expires_at"], other) if offer else "",
    )


def _gone_reason(refusal: UpstreamRefusal) -> str | None:
    codes = {error["code"] for error in refusal.errors}
    if "offer_expired" in codes:
        return "expired"
    if "offer_not_open" in codes:
        return "taken"
    return None


@router.post("/waitlist/offers/{offer_id}/accept", response_class=HTMLResponse)
async def accept_offer(
    request: Request,
    principal: OptionalCitizen,
    offer_id: uuid.UUID,
    token: Annotated[str, Form(max_length=200)] = "",
    idempotency_key: Annotated[str, Form(max_length=64)] = "",
) -> HTMLResponse:
    """Books the held seat; the answer is a booking's confirmation (its .ics and cancel link by its manage token)."""
    lang = language_of(request)
    appointments = Appointments.of(request)
    key = idempotency_key if _uuid(idempotency_key) else str(uuid.uuid4())
    try:
        booked = await appointments.accept_waitlist_offer(offer_id, token, key)
    except UpstreamRefusal as refusal:
        if refusal.status == 404:
            return _offer_gone(request, "unknown", None)
        why = _gone_reason(refusal)
        if refusal.status != 409 or why is None:
            raise
        offer = await appointments.waitlist_offer(offer_id, token)
        shown = offer_shown(offer, lang)
        return _offer_gone(request, "expired" if why == "expired" else offer["status"], shown)
    return render(
        request,
        "portal/booked.html",
        active="find",
        appointment=_shown(booked, lang),
        manage_token=booked["manage_token"],
        # The offer's message went to the entry's addresses; the confirmation follows them.
        sent_to=None if principal is not None else {"email": "", "phone": "", "as_offer": True},
    )


@router.get("/waitlist/offers/{offer_id}/decline", response_class=HTMLResponse)
async def decline_question(
    request: Request, offer_id: uuid.UUID, token: Annotated[str, Query(max_length=200)] = ""
) -> HTMLResponse:
    """Asks first, saying what declining does: the seat goes to the next person, the entry keeps its place."""
    shown = await _open_offer(request, offer_id, token)
    if isinstance(shown, HTMLResponse):
        return shown
    return render(request, "portal/waitlist_decline.html", offer=shown, token=token, done=False)


@router.post("/waitlist/offers/{offer_id}/decline", response_class=HTMLResponse)
async def decline(request: Request, offer_id: uuid.UUID, token: Annotated[str, Form(max_length=200)] = "") -> Response:
    lang = language_of(request)
    appointments = Appointments.of(request)
    try:
        declined = await appointments.decline_waitlist_offer(offer_id, token)
    except UpstreamRefusal as refusal:
        if refusal.status == 404:
            return _offer_gone(request, "unknown", None)
        why = _gone_reason(refusal)
        if refusal.status != 409 or why is None:
            raise
        offer = await appointments.waitlist_offer(offer_id, token)
        return _offer_gone(request, "expired" if why == "expired" else offer["status"], offer_shown(offer, lang))
    return render(request, "portal/waitlist_decline.html", offer=offer_shown(declined, lang), token="", done=True)


# --- an entry made without an account, by its link ---


@router.get("/waitlist/entries/{entry_id}", response_class=HTMLResponse)
async def entry_page(
    request: Request, entry_id: uuid.UUID, token: Annotated[str, Query(max_length=200)] = ""
) -> HTMLResponse:
    entry = await _entry_by_link(request, entry_id, token)
    if entry is None:
        return _entry_gone(request)
    return render(request, "portal/waitlist_entry.html", entry=entry_shown(entry, language_of(request)), token=token)


async def _entry_by_link(request: Request, entry_id: uuid.UUID, token: str) -> WaitlistEntry | None:
    try:
        return await Appointments.of(request).waitlist_entry_by_link(entry_id, token)
    except UpstreamRefusal as refusal:
        if refusal.status != 404:
            raise
        return None


@router.get("/waitlist/entries/{entry_id}/leave", response_class=HTMLResponse)
async def leave_by_link_question(
    request: Request, entry_id: uuid.UUID, token: Annotated[str, Query(max_length=200)] = ""
) -> HTMLResponse:
    entry = await _entry_by_link(request, entry_id, token)
    if entry is None:
        return _entry_gone(request)
    shown = entry_shown(entry, language_of(request))
    if not shown["active"]:
        return render(request, "portal/waitlist_entry.html", entry=shown, token=token)
    return render(
        request,
        "portal/waitlist_leave.html",
        entry=shown,
        action=f"/waitlist/entries/{entry_id}/leave",
        back=f"/waitlist/entries/{entry_id}?token={token}",
        token=token,
    )


@router.post("/waitlist/entries/{entry_id}/leave", response_class=HTMLResponse)
async def leave_by_link(
    request: Request, entry_id: uuid.UUID, token: Annotated[str, Form(max_length=200)] = ""
) -> HTMLResponse:
    try:
        left = await Appointments.of(request).leave_waitlist_entry_by_link(entry_id, token)
    except UpstreamRefusal as refusal:
        if refusal.status != 404:
            raise
        return _entry_gone(request)
    return render(
        request, "portal/waitlist_entry.html", entry=entry_shown(left, language_of(request)), token=token, left=True
    )


def _entry_gone(request: Request) -> HTMLResponse:
    other = "en" if language_of(request) == "fr" else "fr"
    return render(request, "portal/waitlist_entry_gone.html", status=404, other_lang=other, other=TEXTS[other])


# --- the account's waitlist ---


@router.get("/account/waitlist", response_class=HTMLResponse)
async def my_waitlist(request: Request, principal: CitizenPage, left: str = "") -> HTMLResponse:
    lang = language_of(request)
    entries = [entry_shown(entry, lang) for entry in await Appointments.of(request, principal).my_waitlist()]
    notice = None
    left_service = _uuid(left)
    if left_service is not None:
        # Named from the catalogue, not from the address: the banner says only a real service's name.
        offered = await Appointments.of(request).offered_service(left_service)
        notice = TEXTS[lang]["wl_left_notice"].format(service=_service_name(offered, lang))
    return render(
        request,
        "account/waitlist.html",
        active="account",
        current=[entry for entry in entries if entry["active"]],
        past=[entry for entry in entries if not entry["active"]],
        notice=notice,
    )


async def _mine(request: Request, principal: Principal, entry_id: uuid.UUID) -> dict[str, Any] | None:
    """One of the account's entries still on the list; None otherwise (someone else's is never shown)."""
    lang = language_of(request)
    for entry in await Appointments.of(request, principal).my_waitlist():
        if entry["id"] == str(entry_id):
            shown = entry_shown(entry, lang)
            return shown if shown["active"] else None
    return None


@router.get("/account/waitlist/{entry_id}/leave", response_class=HTMLResponse)
async def leave_question(request: Request, principal: CitizenPage, entry_id: uuid.UUID) -> Response:
    entry = await _mine(request, principal, entry_id)
    if entry is None:
        return RedirectResponse("/account/waitlist", status_code=SEE_OTHER)
    return render(
        request,
        "portal/waitlist_leave.html",
        active="account",
        entry=entry,
        action=f"/account/waitlist/{entry_id}/leave",
        back="/account/waitlist",
        token=None,
    )


@router.post("/account/waitlist/{entry_id}/leave")
async def leave(request: Request, principal: CitizenPage, entry_id: uuid.UUID) -> Response:
    left = await Appointments.of(request, principal).leave_my_waitlist_entry(entry_id)
    return RedirectResponse(f"/account/waitlist?left={left['service']['service_id']}", status_code=SEE_OTHER)
