"""One validation in the console, one read of the Suivi list (issue 20, item 6): the page the clerk lands on
shows the row validated at once, and the audit log holds one "list viewed" for it (each read of the list is
audited; the page used to re-read it until the event reached appointments, up to 21 reads for one action)."""

import re
import time
import uuid

import httpx

from devstack.mail_sink import MailSink
from devstack.supervisor import Supervisor
from devstack.testing.fixtures import run_sync
from tests.e2e.accounts_flow import active_account, wait_until
from tests.e2e.clinic_staff import STAFF_PASSWORD, add_staff, console_code, slot_soon, staff_auth
from tests.e2e.conftest import Catalogue
from tests.e2e.forms import submit

DAY_LIST = "patient_records_viewed:day_list"


def _icons(page: str, row: str) -> dict[str, str]:
    """The row's icons as drawn: {"profile": colour, "card": colour} (a holder's own booking has one icon)."""
    found = re.search(rf'<tr [^>]*data-id="{row}".*?</tr>', page, re.S)
    assert found, f"no row {row} on the page"
    return dict(re.findall(r'data-icon="(\w+)" data-state="(\w+)"', found.group(0)))


def test_a_validation_in_the_console_reads_the_suivi_list_once_and_shows_it(
    system: Supervisor, catalogue: Catalogue, mail_sink: MailSink
):
    urls = system.config.database_urls
    run_sync(add_staff(urls["accounts"], catalogue.establishment_id, "accueil.lecture@rosemont.example", "clerk"))
    run_sync(add_staff(urls["accounts"], catalogue.establishment_id, "gestion.lecture@rosemont.example", "manager"))
    slot = run_sync(slot_soon(urls["appointments"], catalogue.service_id))
    gateway = system.config.url("gateway")
    with httpx.Client(base_url=gateway, timeout=10) as api:
        holder = active_account(api, mail_sink, "thomas.lecture@example.org")
        booked = api.post("/api/my/appointments", json={"slot_id": str(slot.id)}, headers=holder)
        assert booked.status_code == 201, booked.text
        appointment = booked.json()["id"]
        manager = staff_auth(api, "gestion.lecture@rosemont.example")

    with httpx.Client(base_url=gateway, timeout=10, follow_redirects=False) as console:
        sign_in = console.get("/admin/login")
        signed_in = submit(
            console, sign_in, "/admin/login", {"email": "accueil.lecture@rosemont.example", "password": STAFF_PASSWORD}
        )
        assert signed_in.status_code == 303, signed_in.text  # to the second factor
        signed_in = console_code(console, "accueil.lecture@rosemont.example")
        assert signed_in.headers["location"] == "/admin"  # to Suivi, not opened: no read of the list yet
        window = console.get(f"/admin/appointments/{appointment}/identity?day={slot.day.isoformat()}")
        assert window.status_code == 200, window.text
        present = submit(console, window, f"/admin/appointments/{appointment}/arrived", {"day": slot.day.isoformat()})
        assert present.status_code == 303, present.text
        window = console.get(present.headers["location"])
        assert f"/admin/appointments/{appointment}/identity/confirm" in window.text  # Présent opened the window

        # The clerk's one action: the identity confirmed, then the page the redirect leads to.
        confirmed = submit(
            console,
            window,
            f"/admin/appointments/{appointment}/identity/confirm",
            {
                "day": slot.day.isoformat(),
                "first_name": "Thomas",
                "last_name": "Testeur",
                "birth_date-day": "28",
                "birth_date-month": "12",
                "birth_date-year": "1954",
                "sex": "M",
                "confirmed": "on",
            },
        )
        assert confirmed.status_code == 303, confirmed.text
        suivi = console.get(confirmed.headers["location"])
        assert suivi.status_code == 200, suivi.text
        assert _icons(suivi.text, appointment) == {"profile": "green"}  # validated, on the first read
        assert "Identité validée pour le rendez-vous de Thomas Testeur." in suivi.text

    audit = f"/api/admin/verification/establishments/{catalogue.establishment_id}/audit?limit=500"

    def list_reads() -> list[dict[str, object]]:
        entries = httpx.get(gateway + audit, headers=manager, timeout=10).json()["entries"]
        return [e for e in entries if e["action"] == DAY_LIST and appointment in str(e["details"])]

    wait_until(lambda: len(list_reads()) >= 1, message="the Suivi read was not audited")
    time.sleep(1.5)  # any further read of the same request would have reached the log by now, by the same path
    reads = list_reads()
    assert len(reads) == 1, reads
    assert uuid.UUID(str(reads[0]["actor"]))  # the clerk, by id
