"""Clinic rules, pure: the citizens' cut-off, the clinic's phone as people dial it, where a caller's messages go,
opening hours and postal codes of a new establishment."""

import uuid
from datetime import UTC, datetime, time, timedelta

import pytest

from services.appointments.booking import rules
from services.appointments.catalogue.rules import InvalidPostalCode, UnknownPostalCode
from services.appointments.establishments import rules as establishments

START = datetime(2030, 3, 14, 16, 0, tzinfo=UTC)


def test_a_citizen_may_change_until_the_cut_off_and_not_after():
    rules.require_changeable(START, 24, "+15145550100", START - timedelta(hours=24))
    with pytest.raises(rules.TooLateToChange) as refused:
        rules.require_changeable(START, 24, "+15145550100", START - timedelta(hours=23, minutes=59))
    assert (refused.value.hours, refused.value.phone) == (24, "(514) 555-0100")
    with pytest.raises(rules.TooLateToChangeNoPhone):
        rules.require_changeable(START, 2, None, START)


def test_without_a_cut_off_nothing_is_refused_as_before():
    rules.require_changeable(START, 0, "+15145550100", START + timedelta(hours=1))
    assert rules.changeable_until(rules.BOOKED, START, 0) == START


def test_changeable_until_is_the_cut_off_before_the_start_while_booked():
    assert rules.changeable_until(rules.BOOKED, START, 48) == START - timedelta(hours=48)
    for status in (rules.CANCELLED, rules.ARRIVED, rules.FULFILLED, rules.NOSHOW):
        assert rules.changeable_until(status, START, 48) is None


@pytest.mark.parametrize(
    ("stored", "shown"),
    [("+15145550100", "(514) 555-0100"), ("514 555-0100", "(514) 555-0100"), ("poste 12", "poste 12")],
)
def test_the_clinics_phone_is_shown_as_people_dial_it(stored, shown):
    assert rules.phone_for_display(stored) == shown


def test_a_caller_chooses_texts_as_well_the_web_keeps_its_one_channel():
    both = ("a@example.org", "+15145550100")
    assert rules.notify_channels(None, *both, True, True, rules.ADMIN) == ("email", "sms")
    assert rules.notify_channels(None, *both, True, False, rules.ADMIN) == ("email",)
    assert rules.notify_channels(None, None, "+15145550100", True, False, rules.ADMIN) == ("sms",)
    assert rules.notify_channels(None, *both, True, True, rules.WEB) == ("email",)
    assert rules.notify_channels(uuid.uuid4(), *both, True, True, rules.WEB) == ("email", "sms")


def test_a_web_bookings_fingerprint_is_the_one_it_had_before_bookings_had_a_source():
    booking = rules.NewBooking(uuid.uuid4(), "Léa", "Roy", "l@example.org", None, "fr")
    before = {key: value for key, value in booking.__dict__.items() if key not in ("source", "booked_by_staff_id")}
    assert rules.booking_fingerprint(booking) == rules.request_fingerprint(before)
    by_clerk = rules.NewBooking(
        booking.slot_id, "Léa", "Roy", "l@example.org", None, "fr", source=rules.ADMIN, booked_by_staff_id=uuid.uuid4()
    )
    assert rules.booking_fingerprint(by_clerk) != rules.booking_fingerprint(booking)


def test_opening_hours_close_after_they_open_and_do_not_overlap():
    establishments.check_opening_hours({"mon": [(time(13), time(16)), (time(8), time(12))], "sat": []})
    with pytest.raises(establishments.OpeningHoursReversed) as reversed_hours:
        establishments.check_opening_hours({"tue": [(time(16), time(8))]})
    assert reversed_hours.value.day == "tue"
    with pytest.raises(establishments.OpeningHoursOverlap):
        establishments.check_opening_hours({"wed": [(time(8), time(12)), (time(11, 30), time(16))]})
    assert establishments.opening_hours_document(
        {"sat": [(time(9), time(12))], "mon": [(time(13), time(16)), (time(8), time(12))], "sun": []}
    ) == {"mon": [["08:00", "12:00"], ["13:00", "16:00"]], "sat": [["09:00", "12:00"]]}


def test_an_establishment_is_located_from_its_whole_postal_code():
    located = establishments.locate(" h2l-3c3 ")
    assert located.postal_code == "H2L 3C3"
    assert (located.point.latitude, located.point.longitude) == (45.5252, -73.5744)
    with pytest.raises(establishments.PostalCodeIncomplete):
        establishments.locate("H2L")
    with pytest.raises(InvalidPostalCode):
        establishments.locate("12345")
    with pytest.raises(UnknownPostalCode):
        establishments.locate("T0T 0T0")


def test_blank_instructions_are_none():
    assert establishments.instructions("  \n ") is None
    assert establishments.instructions(None) is None
    assert establishments.instructions(" Venez à jeun. ") == "Venez à jeun."
