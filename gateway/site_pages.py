"""The pages every visitor can reach from the footer: privacy policy, contact, accessibility; and the favicon."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from gateway.web.help_content import SUPPORT_EMAIL
from gateway.web.pages import render
from gateway.web.privacy_content import PRIVACY, PRIVACY_OFFICER_EMAIL
from gateway.web.texts import language_of

router = APIRouter(include_in_schema=False)


@router.get("/privacy", response_class=HTMLResponse)
async def privacy(request: Request) -> HTMLResponse:
    return render(
        request, "site/privacy.html", sections=PRIVACY[language_of(request)], privacy_email=PRIVACY_OFFICER_EMAIL
    )


@router.get("/contact", response_class=HTMLResponse)
async def contact(request: Request) -> HTMLResponse:
    return render(request, "site/contact.html", support_email=SUPPORT_EMAIL, privacy_email=PRIVACY_OFFICER_EMAIL)


@router.get("/accessibility", response_class=HTMLResponse)
async def accessibility(request: Request) -> HTMLResponse:
    return render(request, "site/accessibility.html", support_email=SUPPORT_EMAIL)


@router.get("/favicon.ico")
async def favicon() -> RedirectResponse:
    # Browsers ask for /favicon.ico whatever the page declares; the icon is an SVG.
    return RedirectResponse("/static/favicon.svg", status_code=301)
