"""The operators' switch: open the waiting room before a big opening, close it after, each asked first.

The state lives in the gateway's database (queries.set_opened), so every replica follows it within its next
read. Each switch is logged with the operator's account id (the audit trail of the platform's logs).
"""

from typing import Literal

import structlog
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from gateway.console_render import render_console
from gateway.page_sessions import OperatorPage
from gateway.waiting_room.room import WaitingRoom
from gateway.web.texts import TEXTS, language_of

log = structlog.get_logger(__name__)
router = APIRouter(prefix="/admin/operator/waiting-room", include_in_schema=False)
HOME = "/admin/operator/waiting-room"
SEE_OTHER = 303
Action = Literal["open", "close"]


def _room(request: Request) -> WaitingRoom:
    room: WaitingRoom = request.app.state.waiting_room
    return room


@router.get("", response_class=HTMLResponse)
async def waiting_room_state(request: Request, staff: OperatorPage, done: str = "") -> Response:
    room = _room(request)
    if room.enabled:
        await room.refresh()  # the switch shows the shared state now, not this replica's last read
    state = room.effective()
    notice = TEXTS[language_of(request)][f"wr_console_done_{done}"] if done in ("open", "close") else None
    return await render_console(
        request,
        staff,
        "admin/waiting_room.html",
        active="operator_waiting_room",
        enabled=room.enabled,
        by_operator=room.state.opened_by_operator,
        by_setting=room.opened_by_setting,
        waiting=state.waiting,
        rate=f"{room.admit_per_second:.0f}",
        speed=f"{room.counter_speed:.0f}",
        notice=notice,
    )


@router.get("/{action}", response_class=HTMLResponse)
async def confirm_switch(request: Request, staff: OperatorPage, action: Action) -> Response:
    room = _room(request)
    if not room.enabled:
        return RedirectResponse(HOME, status_code=SEE_OTHER)
    await room.refresh()
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
    state = await room.set_opened(action == "open")
    log.info(
        "waiting_room_switched",
        opened=action == "open",
        operator=staff.subject,
        waiting=state.waiting,
        admitted_up_to=state.admitted_up_to,
    )
    return RedirectResponse(f"{HOME}?done={action}", status_code=SEE_OTHER)
