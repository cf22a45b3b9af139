"""No request field of any app escapes shared/request_models.py: walking every route of the gateway and of each
service, every field of every JSON body refuses a NUL and a lone surrogate (a 422 naming the field, never a
500 from PostgreSQL), and every date or datetime, in a body or in the query, refuses year 1 at +14:00 (which
overflows once converted to UTC). A schema added later without RequestModel, or a date query parameter
typed plain `datetime`, fails here."""

import datetime
import typing
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import params
from fastapi.dependencies.utils import _get_flat_body_params, get_flat_params
from fastapi.routing import APIRoute
from pydantic import BaseModel

from devstack.jwt_keys import generate_es256_keypair
from devstack.testing.apps import api_routes

APPS = ("services.accounts.main", "services.appointments.main", "services.verification.main",
        "services.notifications.main", "gateway.main")  # fmt: skip
HOSTILE_TEXT = {"nul": "Léa\x00Roy", "surrogate": "L\ud800a"}
YEAR_ONE = {datetime.datetime: "0001-01-01T00:00:00+14:00", datetime.date: "0001-01-01"}


@pytest.fixture(scope="module")
def routes() -> list[tuple[str, APIRoute]]:
    private, public = generate_es256_keypair()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ACCOUNTS_JWT_PRIVATE_KEY", private)
        for app in ("GATEWAY", "ACCOUNTS", "APPOINTMENTS", "VERIFICATION", "NOTIFICATIONS"):
            patch.setenv(f"{app}_JWT_PUBLIC_KEY", public)
        found = []
        for module in APPS:
            app = __import__(module, fromlist=["create_app"]).create_app()
            found += [(f"{module} {sorted(r.methods)} {r.path}", r) for r in api_routes(app.routes)]
    return found


def _types_in(annotation: Any) -> Iterator[Any]:
    yield annotation
    for argument in typing.get_args(annotation):
        yield from _types_in(argument)


def _dated(annotation: Any) -> type | None:
    for kind in _types_in(annotation):
        if kind in (datetime.datetime, datetime.date):
            return kind
    return None


def _body_models(route: APIRoute) -> list[type[BaseModel]]:
    models = []
    for field in _get_flat_body_params(route.dependant):
        for kind in _types_in(field.field_info.annotation):
            if isinstance(kind, type) and issubclass(kind, BaseModel):
                models.append(kind)
    return models


def _refused_at(model: type[BaseModel], name: str, value: Any) -> list[str]:
    try:
        model.model_validate({name: value})
    except Exception as refusal:  # noqa: BLE001 - a pydantic ValidationError, its errors read below
        return [error["type"] for error in refusal.errors() if error["loc"][:1] == (name,)]  # type: ignore[attr-defined]
    return []


def test_the_walk_finds_the_request_models(routes):
    models = {model.__name__ for _, route in routes for model in _body_models(route)}
    expected = {"RegisterAccountRequest", "BookAppointmentRequest", "CreateScheduleRequest", "ValidateIdentityRequest"}
    assert expected <= models


@pytest.mark.parametrize("kind", HOSTILE_TEXT)
def test_every_body_field_refuses_unstorable_text(routes, kind):
    escaped = []
    for label, route in routes:
        for model in _body_models(route):
            for name in model.model_fields:
                for value in (HOSTILE_TEXT[kind], [HOSTILE_TEXT[kind]], {"key": HOSTILE_TEXT[kind]}):
                    if not _refused_at(model, name, value):
                        escaped.append(f"{label}: {model.__name__}.{name} = {value!r}")
    assert escaped == []


def test_every_body_date_refuses_year_one(routes):
    escaped = []
    for label, route in routes:
        for model in _body_models(route):
            for name, field in model.model_fields.items():
                kind = _dated(field.annotation)
                if kind is not None and not _refused_at(model, name, YEAR_ONE[kind]):
                    escaped.append(f"{label}: {model.__name__}.{name}")
    assert escaped == []


def test_every_date_in_a_url_refuses_year_one(routes):
    escaped, checked = [], 0
    for label, route in routes:
        for field in get_flat_params(route.dependant):
            kind = _dated(field.field_info.annotation)
            if kind is None or not isinstance(field.field_info, params.Query | params.Path):
                continue
            checked += 1
            _, errors = field.validate(YEAR_ONE[kind], {}, loc=("query", field.name))
            if not errors:
                escaped.append(f"{label}: {field.name}")
    assert checked >= 3  # /slots and /search date_from, date_to; the Suivi's day
    assert escaped == []


def test_a_birth_date_in_the_future_is_refused():
    from services.accounts.registration.schemas import RegisterAccountRequest

    tomorrow = datetime.date.today() + datetime.timedelta(days=2)
    assert _refused_at(RegisterAccountRequest, "birth_date", tomorrow.isoformat()) == ["date_in_future"]
