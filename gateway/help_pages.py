"""The citizens' help section: questions and answers, searched on the server (works without JavaScript)."""

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from gateway.web import help_content
from gateway.web.help_search import search
from gateway.web.pages import render
from gateway.web.texts import language_of

router = APIRouter(include_in_schema=False)

# Long enough for any real question; a longer query is cut, never refused.
MAX_QUERY = 200
# After each answer (GOV.UK's back-to-top pattern): the whole page is about 10,000 px tall on a phone.
BACK_TO_TOP = {"fr": "Retour en haut", "en": "Back to top"}


@router.get("/help", response_class=HTMLResponse)
async def help_page(request: Request, q: Annotated[str, Query()] = "") -> HTMLResponse:
    query = q.strip()[:MAX_QUERY]
    lang = language_of(request)
    entries = search(query, lang)
    # htmx asks for the results alone while the citizen types; a plain GET gets the whole page.
    name = "help/_results.html" if request.headers.get("hx-request") else "help/index.html"
    return render(
        request,
        name,
        query=query,
        entries=entries,
        page=help_content.PAGE,
        support_email=help_content.SUPPORT_EMAIL,
        back_to_top=BACK_TO_TOP[lang],
        active="help",
    )
