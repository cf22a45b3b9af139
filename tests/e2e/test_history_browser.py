"""In a browser: a booking without an account with a NAM, then the holder's history once a clinic validated them,
downloaded as PDF."""

import httpx
import pytest
from playwright.sync_api import Page, expect

from devstack.mail_sink import MailSink
from devstack.supervisor import Supervisor
from tests.e2e.accounts_flow import PASSWORD, active_account, fill_date, wait_until
from tests.e2e.clinic_staff import staff_auth

pytestmark = pytest.mark.browser
EMAIL = "historique.web@example.org"


def test_book_with_a_nam_then_see_it_in_the_validated_holders_history(
    system: Supervisor, clinics, mail_sink: MailSink, page: Page
):
    x, _, _ = clinics
    gateway = system.config.url("gateway")

    page.goto(f"{gateway}/book/{x.service_id}")
    page.get_by_role("radio").first.check()  # the first time offered (roles, not the portal's classes)
    page.get_by_label("Prénom").fill("Thomas")
    page.get_by_label("Nom", exact=True).fill("Testeur")
    page.get_by_label("Courriel").fill("thomas.sans.compte@example.org")
    fill_date(page, "1954-12-28")
    page.get_by_label("Numéro d'assurance maladie").fill("TEST 5412 2817")  # wrong check digit
    page.get_by_role("button", name="Réserver").click()
    expect(page.get_by_role("alert")).to_contain_text("Numéro d'assurance maladie invalide.")
    page.get_by_label("Numéro d'assurance maladie").fill("TEST 5412 2816")
    page.get_by_role("button", name="Réserver").click()
    expect(page.get_by_role("main")).to_contain_text("Thomas Testeur")

    with httpx.Client(base_url=gateway, timeout=10) as client:
        citizen = active_account(client, mail_sink, EMAIL, nam="TEST54122816")
        account_id = client.get("/api/me", headers=citizen).json()["id"]
        # The clinic validates the holder at an appointment of theirs there.
        own = client.post("/api/my/appointments", json={"slot_id": str(x.open_slot)}, headers=citizen)
        assert own.status_code == 201, own.text
        identity = {"account_id": account_id, "first_name": "Thomas", "last_name": "Testeur"}
        identity |= {"birth_date": "1954-12-28", "sex": "M", "nam": "TEST54122816", "confirmed": True}
        clerk = staff_auth(client, "x@clinique-x.example")
        base = f"/api/admin/verification/establishments/{x.establishment_id}"

        def validated() -> bool:  # once verification heard of the appointment (an event away)
            return client.post(f"{base}/identity-validations", json=identity, headers=clerk).status_code == 201

        wait_until(validated, message="the clinic never learnt of the appointment")
        wait_until(lambda: len(client.get("/api/my/history", headers=citizen).json()["appointments"]) == 2)

    page.goto(gateway + "/account/login")
    page.get_by_label("Courriel ou cellulaire").fill(EMAIL)
    page.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").last.click()
    page.goto(gateway + "/account/appointments")
    page.get_by_role("link", name="Historique complet de mes rendez-vous").click()
    table = page.get_by_role("table", name="Historique de mes rendez-vous")
    expect(table.get_by_role("row")).to_have_count(3)  # the header and two appointments
    rows = table.get_by_role("row").filter(has_text="pris sans compte")
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text("Réservé")
    expect(rows).to_contain_text("Clinique Test Rosemont")
    expect(rows).to_contain_text("Prise de sang")

    with page.expect_download() as download:
        page.get_by_role("link", name="Télécharger en PDF").click()
    assert download.value.suggested_filename == "historique-rendez-vous.pdf"
    with open(download.value.path(), "rb") as document:
        assert document.read(5) == b"%PDF-"
