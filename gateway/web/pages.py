"""Rendering a portal or console page in the visitor's language."""

from typing import Any
from urllib.parse import parse_qsl, urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from gateway.csrf import FORM_FIELD
from gateway.web import templates
from gateway.web.texts import TEXTS, language_of


def render(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    lang = language_of(request)
    response = templates.TemplateResponse(
        request,
        name,
        {
            "t": TEXTS[lang],
            "lang": lang,
            # Or signed in again by this very request (gateway/page_sessions.py refreshed the session).
            "signed_in": request.app.state.cookies.citizen_access in request.cookies
            or getattr(getattr(request.state, "refreshed_session", None), "audience", None) == "citizen",
            "active": None,
            "csrf_input": csrf_input(request),
            "switch_language_url": switch_language_url(request.method, request.url.path, request.url.query, lang),
            **context,
        },
        status_code=status,
    )
    if request.query_params.get("lang") == lang:
        response.set_cookie("lang", lang, max_age=31536000, samesite="lax")
    return response


def switch_language_url(method: str, path: str, query: str, lang: str) -> str:
    """This page in the other language. A GET keeps its query, so search results or the day shown stay on
    screen; the answer to a form's POST cannot be asked again, so its link leads to the form's own page."""
    kept = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k != "lang"] if method == "GET" else []
    return path + "?" + urlencode([*kept, ("lang", "en" if lang == "fr" else "fr")])


def csrf_input(request: Request) -> Markup:
    """The hidden field every state-changing form carries (gateway/csrf.py checks it against its cookie)."""
    token = request.state.csrf_token if hasattr(request.state, "csrf_token") else ""
    return Markup('<input type="hidden" name="{}" value="{}">').format(FORM_FIELD, token)


def field_errors(errors: list[dict[str, Any]], lang: str) -> dict[str, str]:
    """field -> message, for showing each reason next to its input."""
    return {str(e.get("field") or "form"): e["message"][lang] for e in errors}
