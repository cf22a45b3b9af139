"""Rendering a console page: the header names the establishment and the staff member signed in, and offers to
switch establishment to someone who holds roles at several."""

import asyncio
from typing import Any, TypedDict

from fastapi import Request
from fastapi.responses import HTMLResponse

from gateway.auth import Principal
from gateway.upstreams import Accounts, Appointments
from gateway.web.pages import render


class StaffCard(TypedDict):
    name: str
    establishment: str  # "" for an operator, who acts for no establishment
    several: bool  # holds roles at several establishments: the header links to the chooser


async def staff_card(request: Request, staff: Principal) -> StaffCard:
    if staff.establishment_id is None:
        profile = await Accounts.of(request, staff).staff_profile()
        return {"name": profile["name"], "establishment": "", "several": len(profile.get("roles") or []) > 1}
    profile, establishment = await asyncio.gather(
        Accounts.of(request, staff).staff_profile(),
        Appointments.of(request, staff).own_establishment(str(staff.establishment_id)),
    )
    several = len(profile.get("roles") or []) > 1
    return {"name": profile["name"], "establishment": establishment["name"], "several": several}


async def render_console(
    request: Request, staff: Principal, name: str, status: int = 200, **context: Any
) -> HTMLResponse:
    return render(request, name, status=status, staff=staff, staff_card=await staff_card(request, staff), **context)
