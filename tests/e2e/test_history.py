"""History after authentication, through the gateway with every service running: an appointment booked
without an account for NAM X joins the account of the holder with NAM X only once a clinic validated that
holder (or, for a dependant, the association), and leaves it when the validation is revoked. Someone with the
same name but another NAM never joins."""

import uuid
from datetime import date

import httpx
from icalendar import Calendar

from devstack.mail_sink import MailSink
from devstack.supervisor import Supervisor
from devstack.testing.fixtures import run_sync
from shared.nam import build_nam
from tests.e2e.accounts_flow import active_account, traces_of, wait_until
from tests.e2e.clinic_staff import staff_auth
from tests.e2e.conftest import booking
from tests.e2e.forms import submit

HOLDER_BIRTH = date(1954, 12, 28)
HOLDER_NAM = "TEST54122816"  # Thomas Testeur, born 1954-12-28: the account helpers' holder
NAMESAKE_NAM = build_nam("TEST", HOLDER_BIRTH, "M", "2")  # same name and birth date, another person
CHILD_BIRTH = date(2019, 3, 3)
CHILD_NAM = build_nam("TESE", CHILD_BIRTH, "F", "1")
NAMESAKE_CHILD_NAM = build_nam("TESE", CHILD_BIRTH, "F", "3")


def _book_without_account(client: httpx.Client, slot: uuid.UUID, nam: str, birth: date, first_name: str) -> str:
    answer = client.post(
        "/api/appointments",
        json=booking(slot, first_name=first_name, last_name="Testeur", birth_date=birth.isoformat(), nam=nam),
    )
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


def _history(client: httpx.Client, citizen: dict[str, str]) -> set[str]:
    answer = client.get("/api/my/history", headers=citizen)
    assert answer.status_code == 200, answer.text
    return {entry["id"] for entry in answer.json()["appointments"]}


def _eventually_history(client: httpx.Client, citizen: dict[str, str], expected: set[str]) -> None:
    wait_until(lambda: _history(client, citizen) == expected, message=f"history never became {expected}")


def _validate(client: httpx.Client, url: str, body: dict[str, str | bool], clerk: dict[str, str]) -> None:
    """As the clerk at the desk: verification hears of the patient's appointment an event after booking."""
    wait_until(
        lambda: client.post(url, json=body, headers=clerk).status_code == 201,
        message=f"the clinic could not validate {url.rsplit('/', 1)[-1]}",
    )


def test_bookings_without_account_join_the_holder_only_while_a_clinic_validates_them(
    system: Supervisor, clinics, mail_sink: MailSink
):
    x, _, slots = clinics
    slot = slots[x.establishment_id].id
    with httpx.Client(base_url=system.config.url("gateway"), timeout=10) as client:
        mine = _book_without_account(client, slot, "test 5412 2816", HOLDER_BIRTH, "Thomas")
        namesake = _book_without_account(client, slot, NAMESAKE_NAM, HOLDER_BIRTH, "Thomas")

        malformed = client.post(
            "/api/appointments", json=booking(slot, birth_date="1954-12-28", nam="TEST54122817"), headers={}
        )
        assert malformed.status_code == 422
        error = malformed.json()["errors"][0]
        assert error["field"] == "nam"
        assert "assurance maladie" in error["message"]["fr"]
        assert "health insurance" in error["message"]["en"]
        form = submit(
            client,
            client.get(f"/book/{x.service_id}"),
            "/book",
            {"slot_id": str(slot), "first_name": "Thomas", "last_name": "Testeur", "email": "t@example.org"}
            | {"birth_date": "1954-12-28", "nam": "ABC"},
        )
        assert form.status_code == 422
        assert "assurance maladie" in form.text

        # The holder entered their NAM: the history follows it, confirmed by the clerk's reading of the card.
        citizen = active_account(client, mail_sink, "historique@example.org", nam=HOLDER_NAM)
        own = client.post("/api/my/appointments", json={"slot_id": str(slot)}, headers=citizen)
        assert own.status_code == 201, own.text
        account_id = own.json()["person_id"]
        assert _history(client, citizen) == {own.json()["id"]}  # before a clinic validated the holder

        clerk = staff_auth(client, "x@clinique-x.example")
        _validate(
            client,
            f"/api/admin/verification/establishments/{x.establishment_id}/identity-validations",
            {
                "account_id": account_id,
                "first_name": "Thomas",
                "last_name": "Testeur",
                "birth_date": HOLDER_BIRTH.isoformat(),
                "sex": "M",
                "nam": HOLDER_NAM,
                "confirmed": True,
            },
            clerk,
        )
        _eventually_history(client, citizen, {own.json()["id"], mine})

        listing = client.get("/api/my/history", headers=citizen).json()
        entry = next(e for e in listing["appointments"] if e["id"] == mine)
        assert entry["booked_without_account"]
        assert entry["state"] == "booked"
        assert entry["place"]["establishment_id"] == str(x.establishment_id)
        assert namesake not in {e["id"] for e in listing["appointments"]}

        ics = client.get("/api/my/history/ics", headers=citizen)
        assert ics.status_code == 200
        assert ics.headers["content-type"].startswith("text/calendar")
        uids = {str(e["uid"]) for e in Calendar.from_ical(ics.content).walk("VEVENT")}
        assert uids == {f"{own.json()['id']}@rendezvous-sante", f"{mine}@rendezvous-sante"}
        pdf = client.get("/api/my/history/pdf", headers=citizen)
        assert pdf.status_code == 200
        assert pdf.content.startswith(b"%PDF-")
        assert "attachment" in pdf.headers["content-disposition"]
        cookies = {"access_token": citizen["authorization"].split()[1]}
        with httpx.Client(base_url=system.config.url("gateway"), timeout=10, cookies=cookies) as browser_like:
            page = browser_like.get("/account/history")
        assert page.status_code == 200
        assert f'data-id="{mine}"' in page.text
        assert namesake not in page.text
        assert client.get("/api/my/history").status_code == 401

        # A change of identity fields revokes the clinic's validation: the match goes with it.
        assert client.patch("/api/me", json={"birth_date": "1954-12-29"}, headers=citizen).status_code == 200
        _eventually_history(client, citizen, {own.json()["id"]})
    # Only keyed digests of the NAMs typed in bookings were kept, nowhere the NAMs themselves.
    assert run_sync(traces_of(system.config.database_urls, [HOLDER_NAM, NAMESAKE_NAM])) == []


def test_a_dependants_bookings_without_account_join_once_the_association_is_validated(
    system: Supervisor, clinics, mail_sink: MailSink
):
    x, _, slots = clinics
    slot = slots[x.establishment_id].id
    with httpx.Client(base_url=system.config.url("gateway"), timeout=10) as client:
        childs = _book_without_account(client, slot, CHILD_NAM, CHILD_BIRTH, "Éva")
        namesake = _book_without_account(client, slot, NAMESAKE_CHILD_NAM, CHILD_BIRTH, "Éva")

        citizen = active_account(client, mail_sink, "famille.historique@example.org")
        kid = {"first_name": "Éva", "last_name": "Testeur", "birth_date": CHILD_BIRTH.isoformat(), "sex": "F"}
        child = client.post("/api/me/dependants", json=kid | {"nam": CHILD_NAM}, headers=citizen)
        assert child.status_code == 201, child.text
        account_id = client.get("/api/me", headers=citizen).json()["id"]
        # The parent brings the child to an appointment booked from the account: the clinic validates both.
        visit = client.post(
            "/api/my/appointments", json={"slot_id": str(slot), "person_id": child.json()["id"]}, headers=citizen
        )
        assert visit.status_code == 201, visit.text
        clerk = staff_auth(client, "x@clinique-x.example")
        base = f"/api/admin/verification/establishments/{x.establishment_id}"
        identity = {"account_id": account_id, "first_name": "Thomas", "last_name": "Testeur"}
        identity |= {"birth_date": HOLDER_BIRTH.isoformat(), "sex": "M", "nam": HOLDER_NAM, "confirmed": True}
        _validate(client, f"{base}/identity-validations", identity, clerk)
        # The holder is validated, the child's association not yet: the child's bookings stay out.
        wait_until(lambda: client.get("/api/my/history", headers=citizen).json()["holder_validated"])
        assert _history(client, citizen) == {visit.json()["id"]}

        association = {"account_id": account_id, "person_id": child.json()["id"], "confirmed": True}
        association |= {k: kid[k] for k in ("first_name", "last_name", "birth_date")}
        assert client.post(f"{base}/association-validations", json=association, headers=clerk).status_code == 201
        _eventually_history(client, citizen, {visit.json()["id"], childs})
        assert namesake not in _history(client, citizen)

        # Removing the child revokes the association: its bookings without an account leave the history
        # (the visit booked from the account stays with the account).
        assert client.delete(f"/api/me/dependants/{child.json()['id']}", headers=citizen).status_code == 204
        _eventually_history(client, citizen, {visit.json()["id"]})
