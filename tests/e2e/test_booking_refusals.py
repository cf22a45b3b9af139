"""Bad booking input gets a 4xx naming the field, in French and English, and writes nothing."""

import uuid

import httpx
import pytest

from devstack.supervisor import Supervisor
from devstack.testing.fixtures import run_sync
from tests.e2e.conftest import Catalogue, booking, db_counts

CASES = {
    "missing fields": (lambda c: {"slot_id": str(c.open_slot)}, 422, {"first_name", "last_name"}, "missing"),
    "bad email": (lambda c: booking(c.open_slot, email="marie@@example"), 422, {"email"}, "invalid_email"),
    "bad phone": (lambda c: booking(c.open_slot, phone="12"), 422, {"phone"}, "invalid_phone"),
    "no contact at all": (lambda c: booking(c.open_slot, email=None, phone=None), 422, {"email"}, "contact_required"),
    "empty name": (lambda c: booking(c.open_slot, first_name="   "), 422, {"first_name"}, "string_too_short"),
    "unknown slot": (lambda c: booking(uuid.uuid4()), 422, {"slot_id"}, "unknown_slot"),
    "malformed slot id": (lambda c: {**booking(c.open_slot), "slot_id": "abc"}, 422, {"slot_id"}, "uuid_parsing"),
    "slot in the past": (lambda c: booking(c.past_slot), 422, {"slot_id"}, "slot_in_past"),
    "full slot": (lambda c: booking(c.full_slot), 409, {"slot_id"}, "slot_full"),
    "unknown field": (lambda c: booking(c.open_slot, sex="M"), 422, {"sex"}, "extra_forbidden"),
    "bad language": (lambda c: booking(c.open_slot, language="de"), 422, {"language"}, "literal_error"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_booking_input_is_refused_with_field_level_messages(system: Supervisor, catalogue: Catalogue, case: str):
    make_body, status, fields, code = CASES[case]
    before = run_sync(db_counts(system))
    response = httpx.post(
        f"{system.config.url('gateway')}/api/appointments",
        json=make_body(catalogue),
        headers={"accept-language": "en"},
    )
    assert response.status_code == status, response.text
    body = response.json()
    assert {e["field"] for e in body["errors"]} >= fields
    assert code in {e["code"] for e in body["errors"]}
    for error in body["errors"]:
        assert error["message"]["fr"]
        assert error["message"]["en"]
        assert error["message"]["fr"] != error["message"]["en"] or error["code"] == "literal_error"
    assert body["detail"] == body["errors"][0]["message"]["en"]  # Accept-Language picks the summary
    assert run_sync(db_counts(system)) == before


def test_body_that_is_not_json_is_a_422_not_a_500(system: Supervisor):
    response = httpx.post(
        f"{system.config.url('gateway')}/api/appointments",
        content=b"{oops",
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "json_invalid"


def test_unknown_api_path_is_a_bilingual_404(system: Supervisor):
    response = httpx.get(f"{system.config.url('gateway')}/api/nothing-here")
    assert response.status_code == 404
    assert response.json()["errors"][0]["message"] == {"fr": "Ressource introuvable.", "en": "Resource not found."}
