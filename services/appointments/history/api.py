"""HTTP routes of the account's history: the list, and the same as PDF and iCalendar downloads."""

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from services.appointments.history import use_cases
from services.appointments.history.rules import history_ics, history_pdf
from services.appointments.history.schemas import HistoryResponse
from shared.request_context import Citizen, UoW

router = APIRouter()
Language = Annotated[Literal["fr", "en"], Query()]


@router.get("/my/history")
async def my_history(account_id: Citizen, uow: UoW) -> HistoryResponse:
    return await use_cases.account_history(uow, account_id)


@router.get("/my/history/pdf")
async def my_history_pdf(account_id: Citizen, uow: UoW, language: Language = "fr") -> Response:
    document = history_pdf(await use_cases.account_history(uow, account_id), language)
    return Response(document, media_type="application/pdf", headers=_attachment("pdf", language))


@router.get("/my/history/ics")
async def my_history_ics(account_id: Citizen, uow: UoW, language: Language = "fr") -> Response:
    document = history_ics(await use_cases.account_history(uow, account_id), language)
    return Response(document, media_type="text/calendar", headers=_attachment("ics", language))


def _attachment(extension: str, language: str) -> dict[str, str]:
    name = "historique-rendez-vous" if language == "fr" else "appointment-history"
    return {"content-disposition": f'attachment; filename="{name}.{extension}"'}
