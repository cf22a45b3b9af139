"""What the gateway's own guards answer, before any route runs: JSON on /api, a bilingual page elsewhere.

The guards (canonical paths, CSRF) are pure ASGI middlewares that refuse before FastAPI routes the request,
so they answer here with the same shapes as shared/errors.py (API) and the portal's pages (HTML).
"""

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.types import Scope

from gateway.web import templates
from shared.errors import DomainError, error_body


def refusal(scope: Scope, error: DomainError) -> Response:
    request = Request(scope)
    if scope["path"].startswith("/api/") or scope["path"] == "/api":
        message = {"fr": error.fr, "en": error.en}
        body = error_body(request, [{"field": error.field, "code": error.code, "message": message}])
        return JSONResponse(body, status_code=error.status)
    # Both languages: the page is shown before the visitor's language is known to be trustworthy.
    html = templates.get_template("refused.html").render(fr=error.fr, en=error.en, status=error.status)
    return HTMLResponse(html, status_code=error.status)
