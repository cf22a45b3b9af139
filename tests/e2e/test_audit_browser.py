"""The audit log in the console: managers read it (staff reads included), clerks are told it is not theirs."""

import time

import pytest
from playwright.sync_api import Page, expect

from devstack.supervisor import Supervisor
from devstack.testing.fixtures import run_sync
from tests.e2e.clinic_staff import add_staff
from tests.e2e.conftest import Catalogue
from tests.e2e.test_console_browser import _log_in

pytestmark = pytest.mark.browser


def test_a_manager_reads_the_log_a_clerk_cannot(system: Supervisor, catalogue: Catalogue, page: Page):
    urls = system.config.database_urls
    run_sync(add_staff(urls["accounts"], catalogue.establishment_id, "gestion@audit.example", "manager"))
    run_sync(add_staff(urls["accounts"], catalogue.establishment_id, "commis@audit.example", "clerk"))
    gateway = system.config.url("gateway")

    _log_in(page, gateway, "commis@audit.example")
    expect(page.get_by_role("heading", name="Suivi")).to_be_visible()  # a read of patient records
    expect(page.get_by_role("link", name="Journal d'audit")).to_have_count(0)
    page.goto(gateway + "/admin/audit")
    expect(page.get_by_role("heading", name="Réservé aux gestionnaires")).to_be_visible()
    expect(page.locator("[data-refusal]")).to_contain_text("Seul un gestionnaire")
    page.context.clear_cookies()

    _log_in(page, gateway, "gestion@audit.example")
    page.get_by_role("link", name="Journal d'audit").click()
    expect(page.get_by_role("heading", name="Journal d'audit")).to_be_visible()
    deadline = time.monotonic() + 10  # the read reaches the log by event
    while page.locator("tr[data-action='patient_records_viewed:day_list']").count() < 2:
        assert time.monotonic() < deadline, page.content()
        time.sleep(0.2)
        page.reload()
    expect(page.locator("tr[data-action='patient_records_viewed:day_list']").first).to_contain_text(
        "Consultation de la liste Suivi"
    )
