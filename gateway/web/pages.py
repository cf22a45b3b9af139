"""Rendering a portal or console page in the visitor's language."""

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from gateway.web import templates
from gateway.web.texts import TEXTS, language_of


def render(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    lang = language_of(request)
    response = templates.TemplateResponse(
        request,
        name,
        {"t": TEXTS[lang], "lang": lang, "signed_in": "access_token" in request.cookies, **context},
        status_code=status,
    )
    if request.query_params.get("lang") == lang:
        response.set_cookie("lang", lang, max_age=31536000, samesite="lax")
    return response


def field_errors(errors: list[dict[str, Any]], lang: str) -> dict[str, str]:
    """field -> message, for showing each reason next to its input."""
    return {str(e.get("field") or "form"): e["message"][lang] for e in errors}
