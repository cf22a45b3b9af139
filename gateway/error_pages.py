"""Every refusal on a page answers a full page: the visitor's language first, the other one below.

The services, FastAPI's routing and the request limits all answer errors as the shared JSON body
(shared/errors.py); on a page's path (anything but /api and the probes) `HtmlErrorPages` turns that body into
the page, with the same status, the same messages and the headers (Retry-After, cookies) kept. So a 404 of an
unknown URL, a 413 of an oversized form, a 422 of a malformed identifier in a URL, a 429, a 500 and a service
that is down (503) all read the same, whichever layer refused. `install` adds the handlers that make a page's
own exceptions (sign-in needed, an operator's page asked by someone else, a service refusing or away) into
those answers.
"""

import json
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.page_sessions import (
    ElsewhereInConsole,
    OperatorsOnly,
    SignInRequired,
    elsewhere_redirect,
    sign_in_redirect,
)
from gateway.proxy import UpstreamUnavailable
from gateway.staff_pages import refused_page
from gateway.upstreams import UpstreamRefusal
from gateway.web import templates
from gateway.web.pages import switch_language_url
from gateway.web.texts import TEXTS, language_of
from shared.errors import error_body

JSON_PATHS = ("/api/", "/healthz", "/readyz")

# status -> (heading, advice), per language
PAGES: dict[str, dict[int, tuple[str, str]]] = {
    "fr": {
        400: ("Adresse de page invalide", "Vérifiez l'adresse, ou repartez de la page d'accueil."),
        403: ("Accès refusé", "Cette page n'est pas accessible avec votre session."),
        404: ("Page introuvable", "L'adresse est peut-être mal écrite, ou la page n'existe plus."),
        405: ("Page introuvable", "Cette adresse ne s'utilise pas ainsi. Repartez de la page d'accueil."),
        409: ("Action impossible pour le moment", "La situation a changé entre-temps. Rechargez la page."),
        413: ("Envoi trop volumineux", "Raccourcissez ce que vous avez saisi, puis réessayez."),
        422: ("Renseignements invalides", "Revenez à la page précédente pour corriger."),
        429: ("Trop de tentatives", "Attendez quelques minutes avant de réessayer."),
        500: ("Une erreur s'est produite de notre côté", "Réessayez dans quelques minutes. Rien n'a été perdu."),
        503: ("Service momentanément indisponible", "Réessayez dans quelques minutes. Rien n'a été perdu."),
    },
    "en": {
        400: ("Invalid page address", "Check the address, or start again from the home page."),
        403: ("Access denied", "This page cannot be opened with your session."),
        404: ("Page not found", "The address may be mistyped, or the page no longer exists."),
        405: ("Page not found", "This address is not used this way. Start again from the home page."),
        409: ("Not possible right now", "Things changed in the meantime. Reload the page."),
        413: ("What you sent is too large", "Shorten what you entered, then try again."),
        422: ("Invalid information", "Go back to the previous page to correct it."),
        429: ("Too many attempts", "Wait a few minutes before trying again."),
        500: ("Something went wrong on our side", "Try again in a few minutes. Nothing was lost."),
        503: ("Service temporarily unavailable", "Try again in a few minutes. Nothing was lost."),
    },
}


def _language(scope: Scope) -> str:
    query_string: bytes = scope.get("query_string", b"")
    query = query_string.decode("latin-1")
    for part in query.split("&"):
        if part in ("lang=fr", "lang=en"):
            return part[5:]
    headers: dict[bytes, bytes] = dict(scope["headers"])
    for cookie in headers.get(b"cookie", b"").decode("latin-1").split(";"):
        name, _, value = cookie.strip().partition("=")
        if name == "lang" and value in TEXTS:
            return value
    return "en" if headers.get(b"accept-language", b"").lower().startswith(b"en") else "fr"


def _heading(lang: str, status: int) -> tuple[str, str]:
    pages = PAGES[lang]
    return pages.get(status) or pages[500 if status >= 500 else 422 if status == 400 else 404]


# What the API says of an unknown address ("Resource not found.") is for programs: the page's own words say it.
GENERIC_CODES = ("not_found", "http_")


def _messages(body: bytes, lang: str) -> list[str]:
    try:
        errors = json.loads(body).get("errors") or []
    except (ValueError, AttributeError):
        return []
    found: list[str] = []
    for error in errors[:5]:
        if not isinstance(error, dict) or str(error.get("code", "")).startswith(GENERIC_CODES):
            continue
        message = (error.get("message") or {}).get(lang)
        if message and message not in found:
            found.append(message)
    return found


def error_page(scope: Scope, status: int, body: bytes) -> bytes:
    lang = _language(scope)
    other = "en" if lang == "fr" else "fr"
    heading, advice = _heading(lang, status)
    other_heading, other_advice = _heading(other, status)
    console = scope["path"].startswith("/admin")
    html = templates.get_template("error.html").render(
        # The console's own header under /admin: a clerk who mistypes an address is still in the console.
        layout="admin/base.html" if console else "base.html",
        staff=None,
        switch_language_url=switch_language_url(
            scope["method"], scope["path"], scope.get("query_string", b"").decode("latin-1"), lang
        ),
        t=TEXTS[lang],
        lang=lang,
        signed_in=False,
        csrf_input="",
        active=None,
        heading=heading,
        advice=advice,
        messages=_messages(body, lang),
        other_lang=other,
        other_heading=other_heading,
        other_advice=other_advice,
        other_messages=_messages(body, other),
        home="/admin" if console else "/",
        home_text=TEXTS[lang]["back_to_console" if console else "back_home"],
    )
    return html.encode()


class HtmlErrorPages:
    """On a page's path, a JSON error answer (any layer's) becomes the bilingual error page."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(JSON_PATHS) or scope["path"] == "/api":
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        chunks: list[bytes] = []

        async def send_page(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if message["status"] >= 400 and headers.get("content-type", "").startswith("application/json"):
                    start = message
                    return
            elif message["type"] == "http.response.body" and start is not None:
                chunks.append(message.get("body", b""))
                if message.get("more_body"):
                    return
                page = error_page(scope, start["status"], b"".join(chunks))
                headers = MutableHeaders(scope=start)
                headers["content-type"] = "text/html; charset=utf-8"
                headers["content-length"] = str(len(page))
                await send(start)
                await send({"type": "http.response.body", "body": page})
                return
            await send(message)

        await self.app(scope, receive, send_page)


class HeadAsGet:
    """HEAD of a page answers as its GET would, without the body (FastAPI's routes accept GET only)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD" or scope["path"].startswith(JSON_PATHS):
            await self.app(scope, receive, send)
            return

        async def without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                message = {"type": "http.response.body", "body": b"", "more_body": message.get("more_body", False)}
            await send(message)

        await self.app(dict(scope, method="GET"), receive, without_body)


def _json_refusal(request: Request, status: int, errors: list[Any]) -> JSONResponse:
    return JSONResponse(error_body(request, errors), status_code=status)


def install(app: FastAPI) -> None:
    @app.exception_handler(SignInRequired)
    async def _sign_in(_: Request, exc: SignInRequired) -> Response:
        return sign_in_redirect(exc)

    @app.exception_handler(ElsewhereInConsole)
    async def _elsewhere(_: Request, exc: ElsewhereInConsole) -> Response:
        return elsewhere_redirect(exc)

    @app.exception_handler(OperatorsOnly)
    async def _operators_only(request: Request, exc: OperatorsOnly) -> Response:
        words = TEXTS[language_of(request)]
        return await refused_page(request, exc.staff, words["forbidden_operator_title"], words["forbidden_operator"])

    @app.exception_handler(UpstreamRefusal)
    async def _refused(request: Request, exc: UpstreamRefusal) -> Response:
        # A service's own failure is this platform's being unavailable, not the visitor's mistake.
        return _json_refusal(request, 503 if exc.status >= 500 else exc.status, list(exc.errors))

    @app.exception_handler(UpstreamUnavailable)
    async def _unavailable(request: Request, _: UpstreamUnavailable) -> Response:
        message = {"fr": TEXTS["fr"]["service_down"], "en": TEXTS["en"]["service_down"]}
        return _json_refusal(request, 503, [{"field": None, "code": "service_unavailable", "message": message}])
