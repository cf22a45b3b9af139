"""Rendering a console page: the header names the establishment and the staff member signed in."""

import asyncio
from typing import Any, TypedDict

from fastapi import Request
from fastapi.responses import HTMLResponse

from gateway.auth import Principal
from gateway.upstreams import Accounts, Appointments
from gateway.web.pages import render


class StaffCard(TypedDict):
    name: str
    establishment: str


async def staff_card(request: Request, staff: Principal) -> StaffCard:
    profile, establishment = await asyncio.gather(
        Accounts.of(request, staff).staff_profile(),
        Appointments.of(request, staff).own_establishment(str(staff.establishment_id)),
    )
    return {"name": profile["name"], "establishment": establishment["name"]}


async def render_console(
    request: Request, staff: Principal, name: str, status: int = 200, **context: Any
) -> HTMLResponse:
    return render(request, name, status=status, staff=staff, staff_card=await staff_card(request, staff), **context)
