"""The citizen's "my data" page and downloads (Québec Law 25's portability), and the export's public schema.

/account/data explains what the export holds and prepares it: the POST assembles the document once (so the
page says what it holds, and a failing service shows now rather than at the download) and answers two links,
JSON and PDF, signed for this account and this session for 15 minutes (gateway/data_export.py). Each download
assembles the document afresh from the services: nothing of it is stored, nor logged.
"""

import json
import time
import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from gateway.auth import Principal
from gateway.data_export import LinkExpired, LinkForeign, MyDataExport, check_link, compose, export_schema, sign_link
from gateway.data_export_pdf import export_pdf
from gateway.page_sessions import CitizenPage
from gateway.web.dates import TZ, time_label
from gateway.web.export_texts import EXPORT_TEXTS
from gateway.web.pages import render
from gateway.web.texts import TEXTS, language_of

router = APIRouter(include_in_schema=False)
FILE_NAMES = {"fr": "mes-donnees", "en": "my-data"}
SCHEMA = json.dumps(export_schema(), indent=2, ensure_ascii=False).encode()


def _key(request: Request) -> bytes:
    return bytes(request.app.state.settings.secret_key.get_secret_value(), "utf-8")


def _page(request: Request, status: int = 200, **context: object) -> HTMLResponse:
    words = EXPORT_TEXTS[language_of(request)]
    return render(request, "account/data.html", status=status, x=words, active="account", **context)


@router.get("/account/data", response_class=HTMLResponse)
async def my_data(request: Request, principal: CitizenPage) -> HTMLResponse:
    return _page(request, link=None, idempotency_key=str(uuid.uuid4()))


@router.post("/account/data", response_class=HTMLResponse)
async def prepare_my_data(
    request: Request, principal: CitizenPage, idempotency_key: Annotated[str, Form()] = ""
) -> HTMLResponse:
    """Nothing is written: a second submit of the same form (its Idempotency-Key) only signs the links again."""
    document = await compose(request.app.state.proxy, principal, language_of(request))
    link, expires_at = sign_link(_key(request), principal)
    counts = {
        "appointments": len(document.appointments.appointments),
        "dependants": len(document.account.dependants),
        "notices": len(document.notifications.notices),
    }
    until = time_label(datetime.fromtimestamp(expires_at, TZ), language_of(request))
    return _page(request, link=link, until=until, counts=counts, idempotency_key=idempotency_key)


def _refused_link(request: Request, status: int, kind: str) -> HTMLResponse:
    """Said in the page's language, then in the other one, as every error page is."""
    lang = language_of(request)
    other = "en" if lang == "fr" else "fr"
    words, others = EXPORT_TEXTS[lang], EXPORT_TEXTS[other]
    return render(
        request,
        "error.html",
        status=status,
        heading=words[f"{kind}_title"],
        messages=[words[kind]],
        advice="",
        other_lang=other,
        other_heading=others[f"{kind}_title"],
        other_messages=[others[kind]],
        other_advice="",
        home="/account/data",
        home_text=words["title"],
    )


async def _download(request: Request, principal: Principal, link: str, extension: str) -> Response:
    try:
        check_link(_key(request), link, principal, time.time())
    except LinkExpired:
        return _refused_link(request, 410, "expired")
    except LinkForeign:
        return _refused_link(request, 403, "foreign")
    lang = language_of(request)
    document = await compose(request.app.state.proxy, principal, lang)
    return export_file(document, extension, lang)


def export_file(document: MyDataExport, extension: str, lang: str) -> Response:
    name = f"{FILE_NAMES[lang]}-{document.generated_at:%Y-%m-%d}.{extension}"
    headers = {"content-disposition": f'attachment; filename="{name}"', "cache-control": "no-store"}
    if extension == "pdf":
        return Response(export_pdf(document, lang), media_type="application/pdf", headers=headers)
    return Response(document.model_dump_json(indent=2), media_type="application/json", headers=headers)


@router.get("/account/data/export.json")
async def download_json(request: Request, principal: CitizenPage, link: str = "") -> Response:
    return await _download(request, principal, link, "json")


@router.get("/account/data/export.pdf")
async def download_pdf(request: Request, principal: CitizenPage, link: str = "") -> Response:
    return await _download(request, principal, link, "pdf")


__all__ = ["SCHEMA", "TEXTS", "export_file", "router"]
