"""The operators' switch: open the waiting room before a big opening, close it after, each asked first.

The state lives in the gateway's database (queries.set_opened), so every replica follows it within its next
read. Each switch is logged with the operator's account id (the audit trail of the platform's logs).

With that database away (room.STORE_ERRORS: every statement is bounded, so within a second or so) the page
shows the state this replica last read, said to be perhaps out of date, with no switch; the switch's own
pages answer the console's "service unavailable" (503), as for a service that does not answer. Nothing
changed, and nothing claims to have.
"""

from typing import Literal

import structlog
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from gateway.console_render import render_console
from gateway.page_sessions import OperatorPage
from gateway.proxy import UpstreamUnavailable
from gateway.waiting_room.room import STORE_ERRORS, WaitingRoom
from gateway.web.texts import TEXTS, language_of

log = structlog.get_logger(__name__)
router = APIRouter(prefix="/admin/operator/waiting-room", include_in_schema=False)
HOME = "/admin/operator/waiting-room"
SEE_OTHER = 303
UNAVAILABLE = 503
Action = Literal["open", "close"]
# What the room's statements raise with its database away, or not migrated.
_UNREADABLE = (*STORE_ERRORS, LookupError)


def _room(request: Request) -> WaitingRoom:
    room: WaitingRoom = request.app.state.waiting_room
    return room


def _unavailable(exc: Exception, doing: str) -> UpstreamUnavailable:
    log.warning("waiting_room_console_store_away", doing=doing, error=type(exc).__name__)
    return UpstreamUnavailable("gateway database")


@router.get("", response_class=HTMLResponse)
async def waiting_room_state(request: Request, staff: OperatorPage, done: str = "") -> Response:
    room = _room(request)
    stale = False
    if room.enabled:
        try:
            await room.refresh()  # the switch shows the shared state now, not this replica's last read
        except _UNREADABLE as exc:
            log.warning("waiting_room_console_store_away", doing="read", error=type(exc).__name__)
            stale = True
    state = room.effective()
    notice = TEXTS[language_of(request)][f"wr_console_done_{done}"] if done in ("open", "close") else None
    return await render_console(
        request,
        staff,
        "admin/waiting_room.html",
        status=UNAVAILABLE if stale else 200,
        active="operator_waiting_room",
        enabled=room.enabled,
        stale=stale,
        by_operator=room.state.opened_by_operator,
        by_setting=room.opened_by_setting,
        waiting=state.waiting,
        rate=f"{room.admit_per_second:.0f}",
        speed=f"{room.counter_speed:.0f}",
        notice=None if stale else notice,
    )


@router.get("/{action}", response_class=HTMLResponse)
async def confirm_switch(request: Request, staff: OperatorPage, action: Action) -> Response:
    room = _room(request)
    if not room.enabled:
        return RedirectResponse(HOME, status_code=SEE_OTHER)
    try:
        await room.refresh()
    except _UNREADABLE as exc:
        raise _unavailable(exc, "confirm") from exc
    return await render_console(
        request,
        staff,
        "admin/waiting_room_confirm.html",
        active="operator_waiting_room",
        action=action,
        waiting=room.effective().waiting,
    )


@router.post("/{action}")
async def switch(request: Request, staff: OperatorPage, action: Action) -> Response:
    room = _room(request)
    if not room.enabled:
        return RedirectResponse(HOME, status_code=SEE_OTHER)
    try:
        state = await room.set_opened(action == "open")
    except _UNREADABLE as exc:
        raise _unavailable(exc, action) from exc
    log.info(
        "waiting_room_switched",
        opened=action == "open",
        operator=staff.subject,
        waiting=state.waiting,
        admitted_up_to=state.admitted_up_to,
    )
    return RedirectResponse(f"{HOME}?done={action}", status_code=SEE_OTHER)
