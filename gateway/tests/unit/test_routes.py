from gateway.routes import ROUTES, resolve


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
