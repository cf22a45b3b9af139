"""HTTP routes of the account's history: the list, and the same as PDF and iCalendar downloads."""

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response

from services.appointments import history
from services.appointments.history_documents import history_ics, history_pdf
from services.appointments.schemas import HistoryResponse
from shared.request_context import Citizen, UoW

router = APIRouter()
Language = Annotated[Literal["fr", "en"], Query()]


def nam_digester(request: Request) -> history.NamDigester:
    """One per process: the key derivation runs once, the booking path only computes an HMAC."""
    state = request.app.state
    digester: history.NamDigester | None = getattr(state, "nam_digester", None)
    if digester is None:
        digester = history.NamDigester(state.runtime.settings.nam_key.get_secret_value())
        state.nam_digester = digester
    return digester


@router.get("/my/history")
async def my_history(account_id: Citizen, uow: UoW) -> HistoryResponse:
    return await history.account_history(uow, account_id)


@router.get("/my/history/pdf")
async def my_history_pdf(account_id: Citizen, uow: UoW, language: Language = "fr") -> Response:
    document = history_pdf(await history.account_history(uow, account_id), language)
    return Response(document, media_type="application/pdf", headers=_attachment("pdf", language))


@router.get("/my/history/ics")
async def my_history_ics(account_id: Citizen, uow: UoW, language: Language = "fr") -> Response:
    document = history_ics(await history.account_history(uow, account_id), language)
    return Response(document, media_type="text/calendar", headers=_attachment("ics", language))


def _attachment(extension: str, language: str) -> dict[str, str]:
    name = "historique-rendez-vous" if language == "fr" else "appointment-history"
    return {"content-disposition": f'attachment; filename="{name}.{extension}"'}
