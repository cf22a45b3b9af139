import pytest

from gateway.auth import Principal, require
from gateway.routes import ROUTES, resolve
from shared.errors import ApiError


def test_public_paths_map_to_service_paths():
    route, upstream = resolve("/api/appointments", "POST")
    assert (route.service, upstream) == ("appointments", "/appointments")
    route, upstream = resolve("/api/slots", "GET")
    assert (route.service, upstream) == ("appointments", "/slots")


def test_sub_paths_keep_their_suffix_but_prefixes_must_end_at_a_slash():
    assert resolve("/api/establishments/42", "GET")[1] == "/establishments/42"
    assert resolve("/api/establishmentsX", "GET") is None


def test_methods_not_listed_are_not_routed():
    assert resolve("/api/appointments", "DELETE") is None
    assert resolve("/api/establishments", "POST") is None


def test_every_route_targets_a_known_service():
    assert {route.service for route in ROUTES} <= {"accounts", "appointments", "verification", "notifications"}


def test_registration_is_open_to_anyone_but_staff():
    """Issue 18: staff cannot open a citizen account, not even with their staff session at hand."""
    route, _ = resolve("/api/registrations", "POST")
    staff = Principal("staff-id", "staff", "establishment-id", "clerk")
    with pytest.raises(ApiError) as refused:
        require(staff, route.audience)
    assert (refused.value.status, refused.value.code) == (403, "staff_cannot_register")
    require(None, route.audience)
    require(Principal("citizen-id", "citizen"), route.audience)
