from datetime import UTC, datetime, timedelta

import pytest

from services.accounts.registration import rules as domain
from services.accounts.sessions.rules import login_delay
from services.accounts.tests.answered import ApiError, as_answered

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "password",
    [
        "un matin de givre sur le fleuve",
        "correct horse battery staple",
        "J'aime les tourtières de ma grand-mère",
        "🙂🙂 emoji and spaces are fine 🙂🙂",
        "x" * 3 + "a long passphrase without any digits",
        "girafe pluvieuse mange des crêpes au tofu",
        # 64 characters: NIST asks that at least 64 be accepted
        "le castor du parc Lafontaine ronge un érable sous la neige molle",
        # Past the 72 characters estimated: the start decides
        "les bernaches du lac Saint-Pierre repartent vers le sud quand les érables rougissent en octobre",
    ],
)
def test_long_passphrases_are_accepted_without_composition_rules(password):
    domain.check_password(password, ["Thomas", "Testeur"])


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("short pass 123", "at least 15"),
        ("123456789987654321", "too common"),  # in the shipped breach list
        ("qwertyuiopasdfghjkl", "too common"),  # keyboard run is in the list too
        ("aaaaaaaaaaaaaaaaaaaa", "too common"),
        ("abcabcabcabcabcabc", "too common"),
        ("abcdefghijklmnopq", "too common"),
        ("passwordpasswordpassword", "too common"),
        ("thomastesteur2026", "name"),
        ("x" * 129, "longer than 128"),
        # The shipped list, under the digits, years and punctuation added to reach the length
        ("Montreal2026!!!!", "too common"),
        ("!!password 1987-2026", "too common"),
        ("Soleil2026Soleil2026", "too common"),
        ("password123456789", "too common"),
        ("qwerty123456789012", "too common"),
        # On no list, but among a cracker's early guesses: common words, a year (zxcvbn)
        ("football basketball", "too easy to guess"),
        ("batman superman", "too easy to guess"),
        ("x" * 80 + " une longue suite de mots", "too easy to guess"),
    ],
)
def test_weak_passwords_are_refused_with_a_reason(password, why):
    with pytest.raises(ApiError) as refused, as_answered():
        domain.check_password(password, ["Thomas", "Testeur"])
    assert refused.value.code == "weak_password"
    assert refused.value.field == "password"
    assert why in refused.value.en


@pytest.mark.parametrize(
    "password", ["MarieTremblay1954", "tremblay12345678", "1954-03-12 Marie!!", "mtremblay1954!!!!"]
)
def test_the_holders_own_name_plus_digits_is_refused(password):
    with pytest.raises(ApiError) as refused, as_answered():
        domain.check_password(password, ["Marie", "Tremblay", "m.tremblay"])
    assert refused.value.code == "weak_password"
    assert refused.value.field == "password"


def test_a_guessable_password_is_refused_with_a_way_out_in_both_languages():
    with pytest.raises(ApiError) as refused, as_answered():
        domain.check_password("football basketball", [])
    assert "phrase" in refused.value.en
    assert "phrase" in refused.value.fr


@pytest.mark.parametrize("field", ["new_password", "new_value"])
def test_a_weak_password_is_refused_on_the_field_of_the_request_that_held_it(field):
    """A reset's new_password, a change's new_value: the refusal names the caller's own field, same words."""
    for password in ("short pass 123", "Montreal2026!!!!", "thomastesteur2026", "football basketball"):
        with pytest.raises(ApiError) as on_field, as_answered():
            domain.check_password(password, ["Thomas", "Testeur"], field)
        with pytest.raises(ApiError) as on_password, as_answered():
            domain.check_password(password, ["Thomas", "Testeur"])
        assert (on_field.value.field, on_field.value.code) == (field, "weak_password")
        assert (on_field.value.fr, on_field.value.en) == (on_password.value.fr, on_password.value.en)
        assert on_password.value.field == "password"


def test_the_blocklist_ships_with_the_project():
    assert len(domain._blocklist()) >= 30000


def test_login_delay_grows_but_never_locks_forever():
    assert login_delay(4, NOW, NOW, free_failures=5) == timedelta(0)
    assert login_delay(5, NOW, NOW, free_failures=5) == timedelta(seconds=2)
    assert login_delay(8, NOW, NOW, free_failures=5) == timedelta(seconds=16)
    assert login_delay(100, NOW, NOW, free_failures=5) == timedelta(minutes=15)
    assert login_delay(100, NOW, NOW + timedelta(minutes=16), free_failures=5) == timedelta(0)


def test_masks_keep_just_enough_to_recognise_the_destination():
    assert domain.mask_email("marie.tremblay@example.org") == "m***@example.org"
    assert domain.mask_phone("+15145550123") == "***0123"


def test_a_login_identifier_is_an_email_in_lower_case_or_a_phone_number_in_e164():
    from services.accounts.sessions.rules import login_identifier

    assert login_identifier("  Lea.Roy@Example.ORG ") == ("email", "lea.roy@example.org")
    assert login_identifier("514 555-0111") == ("phone", "+15145550111")
    assert login_identifier("not a number") == ("phone", None)
