"""Three services derive the history's matching key from one NAM key; they must agree, or bookings made
without an account would never join a validated person's history (and no test of one service would see it)."""

from datetime import date

from services.accounts.links.rules import NamVault
from services.appointments.booking.rules import NamDigester
from services.verification.validations.rules import IdentityKeys, identity_nam_hmac
from shared.nam import identity_key

NAM_KEY = "clé NAM partagée"
NAM, BIRTH = "TEST54122816", date(1954, 12, 28)


def test_accounts_verification_and_appointments_derive_the_same_identity_key():
    verification = IdentityKeys.derive("secret de vérification", NAM_KEY)
    from_verification = identity_key(verification.nam, identity_nam_hmac(verification.nam, NAM), BIRTH)
    vault = NamVault(NAM_KEY)
    _, nam_digest = vault.protect(NAM)
    from_accounts = vault.identity_key(nam_digest, BIRTH)
    from_appointments = NamDigester(NAM_KEY).digest("test 5412 2816", BIRTH)
    assert from_verification == from_accounts == from_appointments


def test_the_key_changes_with_the_birth_date_the_nam_or_the_secret():
    digester = NamDigester(NAM_KEY)
    key = digester.digest(NAM, BIRTH)
    assert digester.digest(NAM, date(1954, 12, 29)) != key
    assert digester.digest("TEST54122827", BIRTH) != key
    assert NamDigester("another key").digest(NAM, BIRTH) != key
    assert NAM not in key
    assert BIRTH.isoformat() not in key
