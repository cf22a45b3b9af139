"""What the gateway's own guards answer, before any route runs: the shared FR/EN error body.

The guards (canonical paths, CSRF) are pure ASGI middlewares that refuse before FastAPI routes the request, so
they answer with the same shape as shared/errors.py; on a page's path gateway/error_pages.py makes it the
bilingual error page, as it does for every other refusal.
"""

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Scope

from shared.errors import ApiError, error_body


def refusal(scope: Scope, error: ApiError) -> Response:
    message = {"fr": error.fr, "en": error.en}
    body = error_body(Request(scope), [{"field": error.field, "code": error.code, "message": message}])
    return JSONResponse(body, status_code=error.status)
