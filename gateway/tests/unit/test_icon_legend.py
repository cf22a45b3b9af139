"""Suivi and the legend draw the icons from one source: each appointment falls in exactly one legend row."""

import itertools

from gateway.web import icon_legend


def _entry(account: str | None, person: str | None, profile: str, card: str) -> dict[str, str | None]:
    return {"account_id": account, "person_id": person, "profile_icon": profile, "card_icon": card}


def test_a_holders_own_booking_is_the_legends_one_icon_row():
    # appointments answers the card as the profile for the holder's own booking: the legend shows one icon.
    state = icon_legend.state_of(_entry("a", "a", "red", "red"))
    assert state.slug == "identity-not-validated"
    assert icon_legend.icons(state) == [("profile", "red")]


def test_every_icon_pair_appointments_can_answer_has_a_legend_row():
    for profile, card in itertools.product(("red", "green"), repeat=2):
        assert icon_legend.state_of(_entry("a", "child", profile, card)).card == card
        assert icon_legend.state_of(_entry("a", None, profile, card)).card is None
    assert icon_legend.state_of(_entry(None, None, "grey", "grey")).slug == "no-account"


def test_states_differ_in_shape_and_words_not_colour_alone():
    drawn = {(k, c): str(icon_legend.icon(k, c, "fr")) for k, c in icon_legend.LABELS}
    assert len(set(drawn.values())) == len(drawn)
    for (kind, colour), html in drawn.items():
        assert icon_legend.LABELS[(kind, colour)]("fr") in html
        assert "<svg" in html
        assert "aria-hidden" in html
    marks = {c: str(icon_legend.icon("profile", c, "fr")).split('rvs-icon__mark"')[1] for c in ("red", "green", "grey")}
    assert len(set(marks.values())) == 3  # cross, check mark, dash
