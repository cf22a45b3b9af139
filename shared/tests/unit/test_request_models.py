"""RequestModel's single model validator keeps the per-field guarantees of the two field validators it replaced:
unstorable text anywhere in a field's raw value, and a date out of range alone or in a list, are refused under
the field's name, even when other fields fail too."""

from datetime import date, datetime

import pytest
from pydantic import Field, ValidationError

from shared.request_models import RequestModel


class Nested(RequestModel):
    day: date


class Body(RequestModel):
    name: str
    count: int = 0
    tags: list[str] = Field(default_factory=list)
    labels: dict[str, str] = Field(default_factory=dict)
    at: datetime | None = None
    days: list[date] = Field(default_factory=list)
    nested: list[Nested] = Field(default_factory=list)
    renamed: str = Field(default="", alias="otherName")


def _refusals(data: dict) -> list[tuple[str, tuple]]:
    with pytest.raises(ValidationError) as refused:
        Body.model_validate(data)
    return [(error["type"], error["loc"]) for error in refused.value.errors()]


@pytest.mark.parametrize("text", ["Léa\x00", "L\ud800a", "\udfff"])
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "{}"),
        ("tags", ["ok", "{}"]),
        ("labels", {"k": "{}"}),
        ("labels", {"{}": "v"}),
        ("otherName", "{}"),
    ],
)
def test_unstorable_text_is_refused_under_the_field(field, value, text):
    value = value.format(text) if isinstance(value, str) else _fill(value, text)
    data = {"name": "Léa", "count": 3, field: value}
    assert _refusals(data) == [("unsafe_text", (field,))]


def _fill(value, text):
    if isinstance(value, list):
        return [item.format(text) for item in value]
    return {key.format(text): item.format(text) for key, item in value.items()}


def test_a_body_of_storable_text_passes():
    body = Body.model_validate({"name": "Léa Tremblay-Côté ✓", "tags": ["é"], "labels": {"clé": "valeur"}})
    assert body.name == "Léa Tremblay-Côté ✓"


@pytest.mark.parametrize(
    ("field", "value", "loc"),
    [
        ("at", "0001-01-01T00:00:00+14:00", ("at",)),
        ("days", ["2020-01-01", "2201-01-01"], ("days",)),
        ("nested", [{"day": "1899-12-31"}], ("nested", 0, "day")),
    ],
)
def test_a_date_out_of_range_is_named_alone_and_beside_other_refusals(field, value, loc):
    assert _refusals({"name": "Léa", field: value}) == [("date_out_of_range", loc)]
    # `name` missing and `count` wrong: pydantic refuses them, and the date is still named.
    assert _refusals({"count": "many", field: value}) == [
        ("missing", ("name",)),
        ("int_parsing", ("count",)),
        ("date_out_of_range", loc),
    ]


def test_dates_in_range_pass():
    body = Body.model_validate({"name": "Léa", "at": "2200-12-31T23:59:00+14:00", "days": ["1900-01-01"]})
    assert body.days == [date(1900, 1, 1)]
