"""Issue 22, item 5: after five wrong codes, "send a new code" no longer sends a code that is refused as locked.
The page says the code is locked, from when a new one can be asked for and what to do then; a resend before that
time is refused with it (the JSON API with 429, the field and Retry-After); once the time has come, the resend opens
a fresh chain whose code works. The time is simulated by ageing the lock in both databases."""

import re
from datetime import timedelta

import asyncpg
import httpx
import pytest
from playwright.sync_api import Page, expect

from devstack.mail_sink import MailSink
from devstack.supervisor import Supervisor
from devstack.testing.fixtures import run_sync
from tests.e2e.accounts_flow import PASSWORD, code_from_mail, fill_date, wait_until
from tests.e2e.page_checks import check_page, screenshot, sized_page_fixture, viewport_fixture  # noqa: F401

pytestmark = pytest.mark.browser
EMAIL = "gerard.lavoie@example.org"
LOCKED = re.compile(r"ce code est bloqué\. Vous pourrez demander un nouveau code à partir de \d{1,2}\u00a0h")


async def _fetchval(url: str, sql: str) -> object:
    conn = await asyncpg.connect(url.replace("+asyncpg", ""))
    try:
        return await conn.fetchval(sql)
    finally:
        await conn.close()


def _lock_heard_by_accounts(system: Supervisor) -> bool:
    """Accounts learns of the lock from verification's CodeLocked, a few milliseconds after the last wrong code."""
    url = system.config.database_urls["accounts"]
    return bool(run_sync(_fetchval(url, "SELECT count(*) FROM pending_changes WHERE new_code_from IS NOT NULL")))


def _age_the_lock(system: Supervisor, by: timedelta) -> None:
    """As if the cooldown had passed: the lock's time moves back in verification (the budget's last wrong try) and
    in accounts (the time CodeLocked gave), so both services agree, as they would had the time really passed."""
    urls = system.config.database_urls
    interval = f"interval '{int(by.total_seconds())} seconds'"
    run_sync(_fetchval(urls["verification"], f"UPDATE challenge_budgets SET locked_at = locked_at - {interval}"))
    run_sync(_fetchval(urls["accounts"], f"UPDATE pending_changes SET new_code_from = new_code_from - {interval}"))


def test_five_wrong_codes_then_a_new_code_only_after_the_cooldown(
    system: Supervisor, mail_sink: MailSink, sized_page: Page, viewport: str
):
    page = sized_page
    gateway = system.config.url("gateway")
    email = f"{viewport}.{EMAIL}"
    page.goto(gateway + "/account/register")
    page.get_by_label("Prénom").fill("Gérard")
    page.get_by_label("Nom", exact=True).fill("Lavoie")
    fill_date(page, "1942-09-17")
    page.get_by_label("Homme").check()
    page.get_by_label("Courriel").fill(email)
    page.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Créer mon compte").click()
    right = code_from_mail(mail_sink, email)
    wrong = f"{(int(right) + 1) % 10**6:06d}"

    for left in ("4 essais", "3 essais", "2 essais", "1 essai", "aucun essai"):
        page.get_by_label("Code", exact=True).fill(wrong)
        page.get_by_role("button", name="Confirmer").click()
        expect(page.locator("#code-error")).to_contain_text(left)
    # The last wrong code says at once that the code is locked, and until when.
    expect(page.locator("#code-error")).to_contain_text("ce code est bloqué. Vous pourrez demander un nouveau code")
    # Even the right code is refused now, and the page says so instead of asking for one.
    page.get_by_label("Code", exact=True).fill(right)
    page.get_by_role("button", name="Confirmer").click()
    expect(page.get_by_role("heading", name="Code bloqué")).to_be_visible()
    expect(page.locator(".govuk-error-summary")).to_contain_text(LOCKED)
    expect(page.get_by_text("Gardez cette page ouverte.")).to_be_visible()
    expect(page.get_by_label("Code", exact=True)).to_have_count(0)
    check_page(page, "code locked after five wrong codes")
    screenshot(page, "code-locked")

    # Before the cooldown: the JSON API refuses a resend with when to come back, and no code is sent.
    challenge_id = page.locator("input[name=challenge_id]").first.input_value()
    wait_until(lambda: _lock_heard_by_accounts(system), message="accounts never heard CodeLocked")
    with httpx.Client(base_url=gateway, timeout=10) as client:
        refused = client.post(f"/api/codes/{challenge_id}/resend", headers={"accept-language": "en"})
    assert refused.status_code == 429, refused.text
    [error] = refused.json()["errors"]
    assert (error["field"], error["code"]) == ("code", "resend_too_soon")
    assert re.search(r"from \d{1,2}:\d\d\u00a0[ap]\.m\. \(in 1[56]\u00a0min\)", error["message"]["en"]), error
    assert 14 * 60 < int(refused.headers["retry-after"]) <= 15 * 60

    # The same in the page: the button answers with the time again.
    page.get_by_role("button", name="Envoyer un nouveau code").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("ne peut être envoyé qu'à partir de")
    expect(page.get_by_role("button", name="Envoyer un nouveau code")).to_be_visible()
    check_page(page, "new code asked for too soon")
    assert len([m for m in mail_sink.messages() if email in m.recipients]) == 1

    # Fifteen minutes later (simulated): a new code is sent, with fresh tries, and it activates the account.
    _age_the_lock(system, timedelta(minutes=16))
    page.get_by_role("button", name="Envoyer un nouveau code").click()
    expect(page.get_by_text("Un nouveau code a été envoyé.")).to_be_visible()
    fresh = code_from_mail(mail_sink, email, already=1)
    page.get_by_label("Code", exact=True).fill(fresh)
    page.get_by_role("button", name="Confirmer").click()
    expect(page.get_by_text("Votre compte est activé")).to_be_visible()
