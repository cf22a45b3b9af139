import hashlib
import uuid
from datetime import date

import pytest
from pydantic import ValidationError

from services.verification.refusals import REFUSALS
from services.verification.validations.rules import (
    ConfirmedIdentity,
    IdentityKeys,
    fold_name,
    identity_fingerprint,
    identity_nam_hmac,
)
from services.verification.validations.schemas import ValidateIdentityRequest
from shared.errors import ApiError
from shared.nam import nam_hmac
from shared.refusals import Refused
from shared.staff import EstablishmentNotFound, ManagerRequired, Staff

# One ApiError per refusal, as verification worded them before the table (the test compares identities).
WORDED = {cls: ApiError(w.status, w.code, w.field, w.fr, w.en) for cls, w in REFUSALS.items()}
ESTABLISHMENT_NOT_FOUND, MANAGER_REQUIRED = WORDED[EstablishmentNotFound], WORDED[ManagerRequired]


def authorise(staff: Staff, establishment_id: uuid.UUID, *, manager_only: bool = False) -> None:
    """Staff.authorise as verification's HTTP edge answers it."""
    try:
        staff.authorise(establishment_id, manager_only=manager_only)
    except Refused as refused:
        raise WORDED[type(refused)] from refused


KEYS = IdentityKeys.derive("service-secret", "nam-secret")
MARIE = ConfirmedIdentity("Marie-Ève", "Lévesque", date(1954, 12, 28), "F", "TEST54122816")


def fingerprint(**changes) -> str:
    values = {**MARIE.__dict__, **changes}
    return identity_fingerprint(KEYS.fingerprint, ConfirmedIdentity(**values))


@pytest.mark.parametrize(
    ("typed", "folded"),
    [
        ("Lévesque", "LEVESQUE"),
        ("  lévesque ", "LEVESQUE"),
        ("D'Amour-Côté", "DAMOURCOTE"),
        ("Cœur", "COEUR"),
        ("Ñúñez", "NUNEZ"),
    ],
)
def test_names_fold_case_accents_and_punctuation(typed, folded):
    assert fold_name(typed) == folded


def test_the_fingerprint_ignores_how_names_were_typed():
    assert fingerprint(first_name="MARIE EVE", last_name="levesque ") == fingerprint()
    assert fingerprint(sex=" f") == fingerprint()
    assert fingerprint(nam="test 5412 2816") == fingerprint()


@pytest.mark.parametrize(
    "change",
    [
        {"first_name": "Marie"},
        {"last_name": "Levesques"},
        {"birth_date": date(1954, 12, 29)},
        {"sex": "M"},
        {"nam": None},
        {"nam": "TEST12542819"},
    ],
)
def test_any_identity_field_changes_the_fingerprint(change):
    assert fingerprint(**change) != fingerprint()


def test_the_fingerprint_is_keyed_and_holds_no_field_in_clear():
    other = IdentityKeys.derive("another-secret", "nam-secret")
    assert identity_fingerprint(other.fingerprint, MARIE) != fingerprint()
    assert len(fingerprint()) == 64
    assert "LEVESQUE" not in fingerprint().upper()


def test_the_nam_digest_equals_the_accounts_service_one():
    # services/accounts/links/rules.py keys shared.nam.nam_hmac with sha256(b"nam-hmac:" + key).
    accounts_key = hashlib.sha256(b"nam-hmac:nam-secret").digest()
    assert identity_nam_hmac(KEYS.nam, "test 5412 2816") == nam_hmac(accounts_key, "TEST54122816")
    assert identity_nam_hmac(KEYS.nam, None) is None


def test_a_nam_in_the_request_is_checked():
    body = {
        "account_id": str(uuid.uuid4()),
        "first_name": "Marie",
        "last_name": "Test",
        "birth_date": "1954-12-28",
        "sex": "M",
        "confirmed": True,
    }
    assert ValidateIdentityRequest(**body, nam="test 5412 2816").nam == "TEST54122816"
    with pytest.raises(ValidationError) as refused:
        ValidateIdentityRequest(**body, nam="TEST54122817")
    assert refused.value.errors()[0]["type"] == "invalid_nam"


def test_staff_act_within_their_establishment_and_only_managers_read_the_audit():
    here, elsewhere = uuid.uuid4(), uuid.uuid4()
    clerk = Staff(uuid.uuid4(), here, "clerk")
    authorise(clerk, here)
    with pytest.raises(ApiError) as refused:
        authorise(clerk, elsewhere)
    assert refused.value is ESTABLISHMENT_NOT_FOUND
    with pytest.raises(ApiError) as refused:
        authorise(clerk, here, manager_only=True)
    assert refused.value is MANAGER_REQUIRED
    authorise(Staff(uuid.uuid4(), here, "manager"), here, manager_only=True)
    with pytest.raises(ApiError):
        authorise(Staff(uuid.uuid4(), here, "citizen"), here)
