"""The waitlist's pure rules: times of day, the dates one may wait for, where an offer goes, links, offer states."""

import uuid
from datetime import date, time

import pytest

from services.appointments.waitlist import rules


@pytest.mark.parametrize(
    ("local", "moment"),
    [
        (time(0, 0), "morning"),
        (time(11, 59), "morning"),
        (time(12, 0), "afternoon"),
        (time(16, 59), "afternoon"),
        (time(17, 0), "evening"),
        (time(23, 45), "evening"),
    ],
)
def test_the_times_of_day_split_at_noon_and_five(local: time, moment: str) -> None:
    assert rules.time_of_day(local) == moment


def test_times_of_day_are_a_non_empty_set_of_the_three_in_the_days_order() -> None:
    assert rules.check_times_of_day(["evening", "morning", "evening"]) == ["morning", "evening"]
    for wrong in ([], ["night"], ["morning", "Morning"]):
        with pytest.raises(rules.TimesOfDayInvalid):
            rules.check_times_of_day(wrong)


def test_one_waits_from_today_for_at_most_sixty_days_after_the_first() -> None:
    today = date(2030, 3, 1)
    rules.check_dates(today, today, today)
    rules.check_dates(today, date(2030, 4, 30), today)  # 60 days after
    with pytest.raises(rules.FromDateInPast):
        rules.check_dates(date(2030, 2, 28), today, today)
    with pytest.raises(rules.ToDateBeforeFromDate):
        rules.check_dates(date(2030, 3, 5), date(2030, 3, 4), today)
    with pytest.raises(rules.WaitlistSpanTooLong):
        rules.check_dates(today, date(2030, 5, 1), today)


def test_an_offer_goes_where_it_was_asked_and_can_be_received() -> None:
    account = uuid.uuid4()
    assert rules.notify_channels(account, "a@example.org", "+15145550100", True, True) == ("email", "sms")
    assert rules.notify_channels(account, "a@example.org", None, False, True) == ("email",)  # no mobile to text
    assert rules.notify_channels(None, None, "+15145550100", True, False) == ("sms",)
    assert rules.notify_channels(None, "a@example.org", "+15145550100", False, False) == ("email",)


def test_a_links_token_is_checked_against_its_hash_only() -> None:
    offer = uuid.uuid4()
    token = rules.link_token(b"key", "offer", offer)
    stored = rules.token_hash(token)
    assert token not in stored
    assert rules.token_matches(stored, token)
    assert not rules.token_matches(stored, rules.link_token(b"key", "entry", offer))  # another kind of link
    assert not rules.token_matches(stored, rules.link_token(b"other", "offer", offer))
    assert not rules.token_matches(None, token)
    assert not rules.token_matches(stored, "\udc80")  # what a URL may carry is compared, never raised on


def test_an_offer_is_accepted_only_while_open_and_in_time() -> None:
    rules.require_open("open", past_expiry=False)
    with pytest.raises(rules.OfferExpired):
        rules.require_open("open", past_expiry=True)
    with pytest.raises(rules.OfferExpired):
        rules.require_open("expired", past_expiry=True)
    for answered in ("accepted", "declined"):
        with pytest.raises(rules.OfferNotOpen):
            rules.require_open(answered, past_expiry=False)


@pytest.mark.parametrize(
    ("email", "key"),
    [
        ("alice@example.org", "alice@example.org"),
        ("Alice+waitlist@Example.org", "alice@example.org"),
        ("alice+1+2@example.org", "alice@example.org"),
        ("alice.b@example.org", "alice.b@example.org"),  # another address: dots are not dropped
        ("+Tag@example.org", "+tag@example.org"),
        (None, None),
    ],
)
def test_an_email_as_a_destination_ignores_case_and_its_tag(email: str | None, key: str | None) -> None:
    assert rules.email_key(email) == key


def test_an_entry_ends_at_its_second_offer_left_unanswered() -> None:
    assert rules.MAX_UNANSWERED_OFFERS == 2
    assert not rules.ends_after_expiry(1)
    assert rules.ends_after_expiry(2)
    assert rules.ends_after_expiry(3)  # expired before this rule existed


def test_one_client_address_holds_at_most_five_live_entries_without_an_account() -> None:
    rules.check_live_entries(0)
    rules.check_live_entries(rules.MAX_LIVE_ENTRIES_PER_SOURCE - 1)
    with pytest.raises(rules.TooManyWaitlistEntries) as refused:
        rules.check_live_entries(rules.MAX_LIVE_ENTRIES_PER_SOURCE)
    assert refused.value.max_entries == 5
