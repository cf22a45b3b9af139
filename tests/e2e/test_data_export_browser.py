"""In a browser, at desktop and phone sizes with axe: a signed-in citizen with a dependant and an appointment
finds "Mes données" from the account, prepares the export, downloads the JSON and the PDF (names and the
appointment in both), and an expired link gets its own bilingual page (issue 22, item 3)."""

import json
import re
import time
import uuid
import zlib
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from devstack.mail_sink import MailSink
from devstack.supervisor import Supervisor, stack_setting
from gateway.auth import Principal
from gateway.data_export import LINK_SECONDS, sign_link
from tests.e2e.accounts_flow import PASSWORD, active_account
from tests.e2e.page_checks import check_page, screenshot, sized_page_fixture, viewport_fixture  # noqa: F401

pytestmark = pytest.mark.browser
STREAM = re.compile(rb"stream\r?\n(.*?)\r?\nendstream", re.S)
SHOWN = re.compile(rb"\(((?:[^()\\]|\\.)*)\) Tj")


def pdf_text(path: Path) -> str:
    """The strings a PDF written by fpdf2 shows (its page streams are deflated; core fonts are Latin-1)."""
    shown = []
    for stream in STREAM.finditer(path.read_bytes()):
        try:
            content = zlib.decompress(stream.group(1))
        except zlib.error:
            continue
        shown += [re.sub(rb"\\(.)", rb"\1", m.group(1)).decode("latin-1") for m in SHOWN.finditer(content)]
    return "\n".join(shown)


KID = {"first_name": "Éloïse", "last_name": "Testeur", "birth_date": "2017-06-02", "sex": "F"}


def test_a_citizen_downloads_their_data_as_json_and_pdf(
    system: Supervisor, catalogue, mail_sink: MailSink, sized_page: Page, viewport: str
):
    page = sized_page
    gateway = system.config.url("gateway")
    email = f"donnees.{viewport}.{uuid.uuid4().hex[:6]}@example.org"
    with httpx.Client(base_url=gateway, timeout=10) as client:
        citizen = active_account(client, mail_sink, email)
        kid = client.post("/api/me/dependants", json=KID, headers=citizen).json()
        booked = client.post(
            "/api/my/appointments", json={"slot_id": str(catalogue.open_slot), "person_id": kid["id"]}, headers=citizen
        )
        assert booked.status_code == 201, booked.text

    page.goto(gateway + "/account/login")
    page.get_by_label("Courriel ou cellulaire").fill(email)
    page.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").last.click()
    page.goto(gateway + "/account")
    page.get_by_role("link", name="Télécharger mes données").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mes données")
    expect(page.get_by_role("main")).to_contain_text("numéro d'assurance maladie masqué")
    check_page(page, "my data")
    screenshot(page, "my-data")

    page.get_by_role("button", name="Préparer mon export").click()
    expect(page.get_by_role("heading", name="Votre export est prêt")).to_be_visible()
    counts = page.locator("#export-counts .govuk-summary-list__row")
    expect(counts.filter(has_text="Rendez-vous").locator("dd")).to_have_text("1")
    expect(counts.filter(has_text="Personnes à charge").locator("dd")).to_have_text("1")
    check_page(page, "my data ready")
    screenshot(page, "my-data-ready")

    with page.expect_download() as download:
        page.get_by_role("button", name="Télécharger mes données (JSON)").click()
    assert download.value.suggested_filename.startswith("mes-donnees-")
    assert download.value.suggested_filename.endswith(".json")
    with open(download.value.path(), encoding="utf-8") as file:
        document = json.load(file)
    assert document["account"]["profile"]["email"] == email
    assert [d["first_name"] for d in document["account"]["dependants"]] == ["Éloïse"]
    (appointment,) = document["appointments"]["appointments"]
    assert (appointment["first_name"], appointment["service"]["name_fr"]) == ("Éloïse", "Prise de sang")

    with page.expect_download() as download:
        page.get_by_role("button", name="Télécharger mes données (PDF)").click()
    assert download.value.suggested_filename.endswith(".pdf")
    text = pdf_text(Path(download.value.path()))
    for expected in ("Mes données", "Thomas Testeur", "Éloïse Testeur", "Prise de sang", "Clinique Test Rosemont"):
        assert expected in text, (expected, text)

    # An expired link: signed as the gateway signs, for this very session, 15 minutes and a second ago.
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    key = (stack_setting(system.config.database_urls["accounts"], "GATEWAY_SECRET_KEY") or "").encode()
    holder = Principal(document["account"]["profile"]["id"], "citizen", token=cookies["access_token"])
    stale, _ = sign_link(key, holder, time.time() - LINK_SECONDS - 1)
    answer = page.goto(f"{gateway}/account/data/export.json?link={stale}")
    assert answer is not None
    assert answer.status == 410
    expect(page.get_by_role("heading", level=1)).to_have_text("Ce lien a expiré")
    expect(page.get_by_role("main")).to_contain_text("This link has expired")
    check_page(page, "my data link expired")
    screenshot(page, "my-data-expired")

    page.goto(f"{gateway}/account/data?lang=en")
    expect(page.get_by_role("heading", level=1)).to_have_text("My data")
    page.get_by_role("button", name="Prepare my export").click()
    expect(page.get_by_role("heading", name="Your export is ready")).to_be_visible()
    check_page(page, "my data ready, in English")
