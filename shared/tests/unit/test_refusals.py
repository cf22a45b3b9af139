"""A business refusal (shared.refusals.Refused) knows no HTTP: the service's table words it at the edge."""

import uuid

import httpx
import pytest
from fastapi import APIRouter

from devstack.testing.apps import app_without_lifespan
from shared.refusals import Refused, Wording, wording_of
from shared.staff import STAFF_REFUSALS, EstablishmentNotFound, ManagerRequired, Staff, StaffRoleRequired


class NotCancellable(Refused):
    def __init__(self, status: str) -> None:
        super().__init__(status)
        self.status = status


class CodeLocked(Refused):
    retry_after = 120


class TooLateToCancel(NotCancellable):
    pass


class Unworded(Refused):
    pass


TABLE = {
    NotCancellable: Wording(
        409,
        "not_cancellable",
        "status",
        "Ne peut plus être annulé (état : {status}).",
        "Can no longer be cancelled (status: {status}).",
    ),
    CodeLocked: Wording(429, "code_locked", "code", "Code bloqué.", "Code locked."),
}

router = APIRouter()


@router.get("/cancel")
async def cancel() -> None:
    raise TooLateToCancel("fulfilled")


@router.get("/code")
async def code() -> None:
    raise CodeLocked


def test_a_subclass_takes_its_nearest_ancestors_wording():
    assert wording_of(TABLE, TooLateToCancel("booked")).code == "not_cancellable"


def test_a_refusal_missing_from_the_table_is_a_programming_error():
    with pytest.raises(LookupError, match="Unworded"):
        wording_of(TABLE, Unworded())


@pytest.mark.parametrize("language", ["fr", "en"])
async def test_the_edge_answers_with_the_status_code_field_and_reason_filled_from_the_facts(language):
    app = app_without_lifespan("t", [router], refusals=TABLE)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://t") as client:
        answer = await client.get("/cancel", headers={"accept-language": language})
        locked = await client.get("/code")
    assert answer.status_code == 409
    error = answer.json()["errors"][0]
    assert (error["field"], error["code"]) == ("status", "not_cancellable")
    assert error["message"] == {
        "fr": "Ne peut plus être annulé (état : fulfilled).",
        "en": "Can no longer be cancelled (status: fulfilled).",
    }
    assert answer.json()["detail"] == error["message"][language]
    assert locked.status_code == 429
    assert locked.headers["retry-after"] == "120"


def test_staff_act_only_within_their_establishment_and_some_acts_take_a_manager():
    here, there = uuid.uuid4(), uuid.uuid4()
    clerk = Staff(uuid.uuid4(), here, "clerk")
    manager = Staff(uuid.uuid4(), here, "manager")
    clerk.authorise(here)
    manager.authorise(here, manager_only=True)
    with pytest.raises(EstablishmentNotFound):
        manager.authorise(there)
    with pytest.raises(ManagerRequired):
        clerk.authorise(here, manager_only=True)
    with pytest.raises(StaffRoleRequired):
        Staff(uuid.uuid4(), here, "operator").authorise(here)
    for refusal in (EstablishmentNotFound(), ManagerRequired(), StaffRoleRequired()):
        assert wording_of(STAFF_REFUSALS, refusal).status in (403, 404)
