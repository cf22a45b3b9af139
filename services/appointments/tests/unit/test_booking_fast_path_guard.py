"""BookingFastPath answers POST /appointments without FastAPI's dependency solving: a dependency added to the
booking route would be skipped by every plain JSON booking. check_fast_path (run by create_app) refuses to
start such an app."""

import pytest
from fastapi import APIRouter, Depends, FastAPI

from devstack.testing.apps import app_without_lifespan
from services.appointments.booking.api import PATH, FastPathOutOfStepError, book_appointment, check_fast_path, router
from services.appointments.main import ROUTERS, create_app


async def rate_limit() -> None:
    """Stands for anything a later change might ask the booking route to do first."""


def test_the_service_as_it_is_starts():
    create_app()  # runs the check
    check_fast_path(app_without_lifespan("Appointments", ROUTERS))


def test_a_dependency_added_to_the_booking_route_stops_the_start():
    guarded = APIRouter()
    guarded.add_api_route(PATH, book_appointment, methods=["POST"], dependencies=[Depends(rate_limit)])
    app = FastAPI()
    app.include_router(guarded)
    with pytest.raises(FastPathOutOfStepError, match="rate_limit"):
        check_fast_path(app)


def test_a_dependency_of_the_router_as_main_includes_it_stops_the_start():
    app = FastAPI()
    app.include_router(router, dependencies=[Depends(rate_limit)])
    with pytest.raises(FastPathOutOfStepError, match="rate_limit"):
        check_fast_path(app)


def test_an_app_wide_dependency_stops_the_start():
    app = FastAPI(dependencies=[Depends(rate_limit)])
    app.include_router(router)
    with pytest.raises(FastPathOutOfStepError, match="rate_limit"):
        check_fast_path(app)


def test_an_app_without_the_booking_route_stops_the_start():
    with pytest.raises(FastPathOutOfStepError):
        check_fast_path(FastAPI())
