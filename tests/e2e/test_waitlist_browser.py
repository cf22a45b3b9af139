"""The waitlist in a browser (issue 22, item 1), at a desktop and a phone size, with axe on every page reached:

- a holder, signed in, finds no free time for a service and joins its waitlist for a person of their family; the
  account's waitlist shows the place in line; a booking of the only seat is cancelled, the matcher offers it, the
  e-mail's link opens the offer, and accepting it shows a booking's confirmation (the .ics and the cancel link);
- someone without an account joins (a form sent without their details first says each one), sees the entry by its
  link, declines the seat offered (asked first), stays on the list, then leaves it (asked first); the offer's
  link, once answered, says so on a page of its own;
- the console shows the waitlist's length per service, and a manager changes the hold time on /admin/rules.
"""

import re
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
import pytest
from playwright.sync_api import Page, expect

from devstack.mail_sink import MailSink, ReceivedMail
from devstack.supervisor import Supervisor
from devstack.testing.fixtures import run_sync
from tests.e2e.accounts_flow import PASSWORD, active_account
from tests.e2e.clinic_staff import add_staff, log_in
from tests.e2e.page_checks import check_page, screenshot, sized_page_fixture, viewport_fixture  # noqa: F401

pytestmark = pytest.mark.browser

OFFER_LINK = re.compile(r"(/waitlist/offers/[0-9a-f-]{36}\?token=[^\s]+)")


@dataclass(frozen=True)
class FullService:
    establishment_id: uuid.UUID
    service_id: uuid.UUID
    slot_id: uuid.UUID


async def _full_service(url: str) -> FullService:
    """A clinic whose one service has one seat, three days ahead at 10:30 Montréal: nobody can book it until the
    booking that holds it is cancelled."""
    conn = await asyncpg.connect(url.replace("+asyncpg", ""))
    try:
        establishment, service, slot = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        starts = (datetime.now(UTC) + timedelta(days=3)).replace(hour=15, minute=30, second=0, microsecond=0)
        await conn.execute(
            """INSERT INTO establishments (id, name, address, city, postal_code, latitude, longitude)
            VALUES ($1, 'CLSC Test Villeray', '1425, rue Jarry Est', 'Montréal', 'H2E 1A7', 45.55, -73.61)""",
            establishment,
        )
        await conn.execute(
            "INSERT INTO services (id, establishment_id, name_fr, name_en, duration_minutes) "
            "VALUES ($1, $2, 'Vaccination', 'Vaccination', 15)",
            service,
            establishment,
        )
        await conn.execute(
            "INSERT INTO slots (id, service_id, starts_at, ends_at, capacity) "
            "VALUES ($1, $2, $3::timestamptz, $3::timestamptz + interval '15 minutes', 1)",
            slot,
            service,
            starts,
        )
        return FullService(establishment, service, slot)
    finally:
        await conn.close()


def _take_the_seat(client: httpx.Client, clinic: FullService) -> dict[str, str]:
    """Someone books the only seat without an account: {id, manage_token}."""
    booked = client.post(
        "/api/appointments",
        json={
            "slot_id": str(clinic.slot_id),
            "first_name": "Paul",
            "last_name": "Premier",
            "email": f"paul.premier+{uuid.uuid4().hex[:8]}@example.org",
        },
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    assert booked.status_code == 201, booked.text
    return {"id": booked.json()["id"], "manage_token": booked.json()["manage_token"]}


def _free_the_seat(client: httpx.Client, seat: dict[str, str]) -> None:
    cancelled = client.post(f"/api/appointments/{seat['id']}/cancel", json={"token": seat["manage_token"]})
    assert cancelled.status_code == 200, cancelled.text


# From the freed seat to the e-mail: the matcher offers on the slots' notice (or, had it missed it, at its poll
# of 5 s; a failed round is tried again within a second), the outbox relay publishes at the commit, notifications
# sends inline. Well under a second alone; the bound leaves room for a machine running several suites at once.
OFFER_MAIL_SECONDS = 30.0


def _offer_mail(system: Supervisor, mail_sink: MailSink, address: str, clinic: FullService) -> ReceivedMail:
    deadline = time.monotonic() + OFFER_MAIL_SECONDS
    while True:
        offers = [m for m in mail_sink.messages() if address in m.recipients and OFFER_LINK.search(m.body)]
        if offers:
            return offers[-1]
        if time.monotonic() > deadline:
            where = run_sync(_where_the_offer_is(system, clinic))
            raise AssertionError(f"no offer of a seat reached {address} in {OFFER_MAIL_SECONDS:.0f} s: {where}")
        time.sleep(0.1)


async def _where_the_offer_is(system: Supervisor, clinic: FullService) -> str:
    """How far the seat got (held? offered? its event published? its message sent or refused?), for a failure
    to say which step stalled rather than only that no e-mail came."""
    urls = {name: url.replace("+asyncpg", "") for name, url in system.config.database_urls.items()}
    appointments = await asyncpg.connect(urls["appointments"])
    try:
        seat = await appointments.fetchrow("SELECT booked, capacity FROM slots WHERE id = $1", clinic.slot_id)
        offers = await appointments.fetch(
            "SELECT id, status, offered_at FROM waitlist_offers WHERE slot_id = $1 ORDER BY offered_at", clinic.slot_id
        )
        waiting = await appointments.fetch(
            "SELECT status, count(*) AS n FROM waitlist_entries WHERE service_id = $1 GROUP BY status",
            clinic.service_id,
        )
        unpublished = await appointments.fetchval(
            "SELECT count(*) FROM outbox WHERE published_at IS NULL AND routing_key LIKE '%waitlist_seat_offered%'"
        )
    finally:
        await appointments.close()
    notifications = await asyncpg.connect(urls["notifications"])
    try:
        sent = await notifications.fetch(
            "SELECT event_id, status, last_error FROM deliveries WHERE kind = 'waitlist_seat_offered' "
            "AND event_id = ANY($1::uuid[])",
            [offer["id"] for offer in offers],
        )
    finally:
        await notifications.close()
    return (
        f"seat booked {seat['booked']}/{seat['capacity']}; entries {[(r['status'], r['n']) for r in waiting]}; "
        f"offers {[(str(o['id']), o['status'], o['offered_at'].isoformat()) for o in offers]}; "
        f"offer events not yet published {unpublished}; "
        f"messages {[(str(d['event_id']), d['status'], d['last_error']) for d in sent]}"
    )


def _offer_path(mail: ReceivedMail) -> str:
    found = OFFER_LINK.search(mail.body)
    assert found, mail.body
    return found.group(1)


def test_a_holder_joins_for_a_dependant_and_accepts_the_seat_offered_by_e_mail(
    system: Supervisor, mail_sink: MailSink, sized_page: Page, viewport: str
):
    page = sized_page
    gateway = system.config.url("gateway")
    clinic = run_sync(_full_service(system.config.database_urls["appointments"]))
    email = f"holder.wait.{viewport}.{uuid.uuid4().hex[:6]}@example.org"
    with httpx.Client(base_url=gateway, timeout=10) as client:
        seat = _take_the_seat(client, clinic)
        auth = active_account(client, mail_sink, email)
        added = client.post(
            "/api/me/dependants",
            json={"first_name": "Léa", "last_name": "Testeur", "birth_date": "2016-04-02", "sex": "F"},
            headers=auth,
        )
        assert added.status_code == 201, added.text

    page.goto(gateway + "/account/login")
    page.get_by_label("Courriel ou cellulaire").fill(email)
    page.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", name=re.compile("^Mon compte"))).to_be_visible()

    # No free time: the booking page offers the waitlist.
    page.goto(gateway + f"/book/{clinic.service_id}")
    expect(page.get_by_text("Aucune disponibilité pour le moment.")).to_be_visible()
    check_page(page, "booking page without a free time")
    screenshot(page, "waitlist-book-link")
    page.get_by_role("button", name="Inscrivez-vous sur la liste d'attente").click()
    expect(page.get_by_role("heading", name="S'inscrire sur la liste d'attente")).to_be_visible()
    check_page(page, "waitlist join, signed in")
    screenshot(page, "waitlist-join-account")

    # For the dependant, mornings and afternoons, the proposed month.
    page.get_by_label("Léa Testeur").check()
    page.get_by_label("Le soir (à partir de 17 h)").uncheck()
    page.get_by_role("button", name="M'inscrire sur la liste d'attente").click()
    expect(page.locator(".govuk-panel")).to_contain_text("Vous êtes sur la liste d'attente")
    expect(page.locator(".govuk-panel")).to_contain_text("Position dans la file : 1")
    summary = page.locator(".govuk-summary-list")
    expect(summary).to_contain_text("Léa Testeur")
    expect(summary).to_contain_text("Le matin (avant midi)")
    expect(summary).to_contain_text("L'après-midi (de midi à 17 h)")
    expect(summary).not_to_contain_text("Le soir")
    check_page(page, "waitlist joined, signed in")
    screenshot(page, "waitlist-joined-account")

    # The account's waitlist.
    page.goto(gateway + "/account")
    page.get_by_role("link", name="Ma liste d'attente").click()
    entry = page.locator("[data-status=waiting]")
    expect(entry).to_contain_text("Vaccination – Léa Testeur")
    expect(entry).to_contain_text("Position")
    check_page(page, "my waitlist, waiting")

    # The seat frees up: the matcher holds it for Léa, and the holder gets the e-mail.
    with httpx.Client(base_url=gateway, timeout=10) as client:
        _free_the_seat(client, seat)
    mail = _offer_mail(system, mail_sink, email, clinic)
    assert mail.subject.startswith("Une place s'est libérée : Vaccination, ")
    assert "Bonjour Léa Testeur," in mail.body
    offer_path = _offer_path(mail)

    page.reload()
    offered = page.locator("[data-status=offered]")
    expect(offered).to_contain_text("Une place vous est offerte")
    expect(offered.get_by_role("link", name="Voir la place offerte et l'accepter")).to_be_visible()
    check_page(page, "my waitlist, a seat offered")
    screenshot(page, "waitlist-account-offered")

    page.goto(gateway + offer_path)
    expect(page.get_by_role("heading", name="Une place s'est libérée pour vous")).to_be_visible()
    expect(page.locator(".govuk-summary-list")).to_contain_text("CLSC Test Villeray")
    expect(page.locator(".govuk-summary-list")).to_contain_text("Réservée pour vous jusqu'à")
    check_page(page, "seat offered")
    screenshot(page, "waitlist-offer")
    page.get_by_role("button", name="Accepter et réserver ce rendez-vous").click()

    # The same confirmation as a booking, with the calendar file and the cancel link.
    expect(page.locator(".govuk-panel")).to_contain_text("Rendez-vous confirmé")
    expect(page.locator(".govuk-summary-list")).to_contain_text("Léa Testeur")
    expect(page.get_by_role("link", name="Ajouter à mon agenda (.ics)")).to_be_visible()
    expect(page.get_by_role("link", name="Annuler ce rendez-vous")).to_be_visible()
    check_page(page, "seat accepted: booked")
    screenshot(page, "waitlist-offer-booked")

    # The link, answered, says so; the account's list no longer shows the entry as waiting.
    page.goto(gateway + offer_path)
    expect(page.locator("#offer-gone")).to_have_attribute("data-why", "accepted")
    check_page(page, "offer already accepted")
    page.goto(gateway + "/account/waitlist")
    expect(page.locator("[data-status=waiting], [data-status=offered]")).to_have_count(0)

    # The holder joins for themself, then leaves from the account: asked first, with what it will do.
    page.goto(gateway + f"/waitlist/join?service={clinic.service_id}")
    page.get_by_role("button", name="M'inscrire sur la liste d'attente").click()
    expect(page.locator(".govuk-panel")).to_contain_text("Vous êtes sur la liste d'attente")
    page.get_by_role("link", name="Voir ma liste d'attente").click()
    page.get_by_role("link", name=re.compile("^Quitter la liste d'attente")).click()
    expect(page.get_by_role("heading", name="Quitter la liste d'attente ?")).to_be_visible()
    expect(page.get_by_text("Thomas Testeur ne sera plus sur la liste d'attente de Vaccination")).to_be_visible()
    check_page(page, "leave from the account: asked first")
    screenshot(page, "waitlist-leave-ask")
    page.get_by_role("button", name="Oui, quitter la liste d'attente").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "Vous avez quitté la liste d'attente de Vaccination."
    )
    expect(page.locator("[data-status=waiting]")).to_have_count(0)
    check_page(page, "my waitlist after leaving")


def test_someone_without_an_account_joins_declines_the_seat_then_leaves(
    system: Supervisor, mail_sink: MailSink, sized_page: Page, viewport: str
):
    page = sized_page
    gateway = system.config.url("gateway")
    clinic = run_sync(_full_service(system.config.database_urls["appointments"]))
    email = f"sans.compte.{viewport}.{uuid.uuid4().hex[:6]}@example.org"
    with httpx.Client(base_url=gateway, timeout=10) as client:
        seat = _take_the_seat(client, clinic)

    page.goto(gateway + f"/waitlist/join?service={clinic.service_id}")
    expect(page.get_by_role("heading", name="S'inscrire sur la liste d'attente")).to_be_visible()
    # Sent without the person's details nor a time of day: each is said, in the summary and at its field.
    for box in page.locator("input[name=times_of_day]").all():
        box.uncheck()
    page.get_by_role("button", name="M'inscrire sur la liste d'attente").click()
    errors = page.locator(".govuk-error-summary")
    expect(errors).to_contain_text("Il y a un problème")
    expect(errors).to_contain_text("Cochez au moins un moment de la journée.")
    expect(errors).to_contain_text("prénom")
    expect(errors).to_contain_text("courriel")
    check_page(page, "waitlist join without an account, refused")
    screenshot(page, "waitlist-join-refused")

    page.get_by_label("Prénom").fill("Jeanne")
    page.get_by_label("Nom", exact=True).fill("Attente")
    page.locator("#birth_date").fill("3")
    page.locator("#birth_month").fill("2")
    page.locator("#birth_year").fill("1944")
    page.get_by_label("Courriel").fill(email)
    page.get_by_label("Le matin (avant midi)").check()
    page.get_by_role("button", name="M'inscrire sur la liste d'attente").click()
    expect(page.locator(".govuk-panel")).to_contain_text("Vous êtes sur la liste d'attente")
    expect(page.get_by_text(f"Si une place se libère, nous vous écrivons à {email}.")).to_be_visible()
    check_page(page, "waitlist joined without an account")
    screenshot(page, "waitlist-joined-anonymous")
    entry_path = page.get_by_role("link", name="Voir mon inscription sur la liste d'attente").get_attribute("href")
    assert entry_path is not None

    # The seat frees up; the e-mail names nobody (an address nobody proved), and its link opens the offer.
    with httpx.Client(base_url=gateway, timeout=10) as client:
        _free_the_seat(client, seat)
    mail = _offer_mail(system, mail_sink, email, clinic)
    assert mail.body.startswith("Bonjour,")
    assert "Jeanne" not in mail.body
    offer_path = _offer_path(mail)
    page.goto(gateway + offer_path)
    expect(page.get_by_role("heading", name="Une place s'est libérée pour vous")).to_be_visible()
    check_page(page, "seat offered, without an account")

    # Declining asks first, saying what it does.
    page.get_by_role("link", name="Refuser cette place").click()
    expect(page.get_by_role("heading", name="Refuser cette place ?")).to_be_visible()
    expect(page.get_by_text("Vous restez sur la liste d'attente, à la même position")).to_be_visible()
    check_page(page, "decline: asked first")
    screenshot(page, "waitlist-decline-ask")
    page.get_by_role("button", name="Oui, refuser cette place").click()
    expect(page.locator(".govuk-panel")).to_contain_text("Vous avez refusé cette place")
    check_page(page, "declined")

    # Answered, the link says so on its own page; the entry waits again, in first place.
    page.goto(gateway + offer_path)
    expect(page.get_by_role("heading", name="Cette place a déjà reçu une réponse")).to_be_visible()
    check_page(page, "offer already declined")
    screenshot(page, "waitlist-offer-answered")
    page.goto(gateway + entry_path)
    entry = page.locator("#waitlist-entry")
    expect(entry).to_have_attribute("data-status", "waiting")
    check_page(page, "entry by its link")
    screenshot(page, "waitlist-entry")

    # Leaving asks first, then the page says it is done.
    page.get_by_role("link", name="Quitter la liste d'attente").click()
    expect(page.get_by_role("heading", name="Quitter la liste d'attente ?")).to_be_visible()
    check_page(page, "leave: asked first")
    page.get_by_role("button", name="Oui, quitter la liste d'attente").click()
    expect(page.locator(".govuk-panel")).to_contain_text("Vous avez quitté la liste d'attente")
    expect(page.locator("#waitlist-entry")).to_have_attribute("data-status", "left")
    check_page(page, "left the waitlist")

    # A link with a wrong token: a page that says so, never an error.
    page.goto(gateway + offer_path.split("?token=")[0] + "?token=nope")
    expect(page.get_by_role("heading", name="Ce lien ne fonctionne pas")).to_be_visible()
    check_page(page, "offer link with a wrong token")


def test_the_console_shows_the_waitlist_length_and_a_manager_sets_the_hold(
    system: Supervisor, mail_sink: MailSink, sized_page: Page, viewport: str
):
    page = sized_page
    gateway = system.config.url("gateway")
    urls = system.config.database_urls
    clinic = run_sync(_full_service(urls["appointments"]))
    manager = f"gestion.{viewport}@villeray.example"
    run_sync(add_staff(urls["accounts"], clinic.establishment_id, manager, "manager"))
    with httpx.Client(base_url=gateway, timeout=10) as client:
        _take_the_seat(client, clinic)
        for number in range(3):
            joined = client.post(
                "/api/waitlist",
                json={
                    "establishment_id": str(clinic.establishment_id),
                    "service_id": str(clinic.service_id),
                    "from_date": datetime.now(UTC).date().isoformat(),
                    "to_date": (datetime.now(UTC).date() + timedelta(days=20)).isoformat(),
                    "times_of_day": ["morning", "afternoon"],
                    "first_name": "Personne",
                    "last_name": f"Numéro{number}",
                    "birth_date": "1950-01-0" + str(number + 1),
                    "email": f"file.{number}.{uuid.uuid4().hex[:6]}@example.org",
                    "phone": None,
                    "language": "fr",
                    "notify_email": True,
                    "notify_sms": False,
                },
                headers={"Idempotency-Key": str(uuid.uuid4())},
            )
            assert joined.status_code == 201, joined.text

    log_in(page, gateway, manager)
    if viewport == "phone":
        page.get_by_role("button", name="Menu").click()  # the console's menu folds on a phone
    page.get_by_role("navigation").get_by_role("link", name="Liste d'attente").click()
    expect(page.get_by_role("heading", name="Liste d'attente")).to_be_visible()
    row = page.locator("#waitlist-lengths tbody tr").filter(has_text="Vaccination")
    expect(row.locator("td").nth(0)).to_have_text("3")
    expect(row.locator("td").nth(1)).to_have_text("0")
    expect(page.get_by_text("Une place offerte est réservée pendant 15 minutes.")).to_be_visible()
    check_page(page, "console waitlist lengths")
    screenshot(page, "console-waitlist")

    page.get_by_role("link", name="Changer ce délai dans les règles de l'établissement").click()
    hold = page.get_by_label("Délai pour accepter une place offerte")
    hold.fill("une heure")
    page.get_by_role("button", name="Enregistrer le délai de la liste d'attente").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Entrez un nombre de minutes de 1 à 1440.")
    check_page(page, "waitlist hold refused")
    page.get_by_label("Délai pour accepter une place offerte").fill("30")
    page.get_by_role("button", name="Enregistrer le délai de la liste d'attente").click()
    expect(page.get_by_text("Le délai pour accepter une place offerte est maintenant de 30 minutes.")).to_be_visible()
    expect(page.get_by_label("Délai pour accepter une place offerte")).to_have_value("30")
    check_page(page, "waitlist hold saved")
    screenshot(page, "console-rules-waitlist")
    page.goto(gateway + "/admin/waitlist")
    expect(page.get_by_text("Une place offerte est réservée pendant 30 minutes.")).to_be_visible()


async def _expire_offers(url: str, service_id: uuid.UUID) -> None:
    """The hold runs out (as if its minutes had passed): the offers of that service expire now."""
    conn = await asyncpg.connect(url.replace("+asyncpg", ""))
    try:
        await conn.execute(
            "UPDATE waitlist_offers SET expires_at = now() - interval '1 second' WHERE slot_id IN "
            "(SELECT id FROM slots WHERE service_id = $1)",
            service_id,
        )
    finally:
        await conn.close()


def test_accepting_after_the_hold_ran_out_says_so_and_keeps_the_place_in_line(
    system: Supervisor, mail_sink: MailSink, sized_page: Page, viewport: str
):
    page = sized_page
    gateway = system.config.url("gateway")
    clinic = run_sync(_full_service(system.config.database_urls["appointments"]))
    email = f"trop.tard.{viewport}.{uuid.uuid4().hex[:6]}@example.org"
    with httpx.Client(base_url=gateway, timeout=10) as client:
        seat = _take_the_seat(client, clinic)
        joined = client.post(
            "/api/waitlist",
            json={
                "establishment_id": str(clinic.establishment_id),
                "service_id": str(clinic.service_id),
                "from_date": datetime.now(UTC).date().isoformat(),
                "to_date": (datetime.now(UTC).date() + timedelta(days=20)).isoformat(),
                "times_of_day": ["morning"],
                "first_name": "Gilles",
                "last_name": "Tardif",
                "birth_date": "1939-11-30",
                "email": email,
                "language": "en",
            },
            headers={"Idempotency-Key": str(uuid.uuid4())},
        )
        assert joined.status_code == 201, joined.text
        _free_the_seat(client, seat)
    mail = _offer_mail(system, mail_sink, email, clinic)
    assert mail.subject.startswith("A seat has opened up: Vaccination, ")
    offer_path = _offer_path(mail)

    # The page opens in the message's language; the hold runs out before the button is pressed.
    page.goto(gateway + offer_path)
    expect(page.get_by_role("heading", name="A seat has opened up for you")).to_be_visible()
    run_sync(_expire_offers(system.config.database_urls["appointments"], clinic.service_id))
    page.get_by_role("button", name="Accept and book this appointment").click()
    expect(page.get_by_role("heading", name="This seat is no longer held for you")).to_be_visible()
    expect(page.get_by_text("You stay on the waitlist")).to_be_visible()
    expect(page.locator(".govuk-inset-text[lang=fr]")).to_contain_text("Cette place n'est plus réservée pour vous")
    check_page(page, "offer accepted too late")
    screenshot(page, "waitlist-offer-expired")
