from urllib.parse import unquote

import pytest

from gateway.canonical_path import is_canonical
from gateway.proxy import upstream_url
from gateway.routes import resolve


@pytest.mark.parametrize(
    "raw",
    [
        "/api/appointments/%2e%2e/my/appointments",
        "/api/appointments/%2E%2E/my/appointments",
        "/api/challenges/.%2e/my/association-requests",
        "/api/establishments/../metrics",
        "/api/establishments/./metrics",
        "/api/establishments//metrics",
        "/api/establishments/..%2fmetrics",
        "/api/establishments/..%5cmetrics",
        "/api/establishments/..\\metrics",
        "/api/me/%00",
        "/account/",
    ],
)
def test_paths_with_dot_or_empty_segments_or_encoded_separators_are_not_canonical(raw: str):
    assert not is_canonical(raw.encode(), unquote(raw))


@pytest.mark.parametrize(
    "raw", ["/", "/api/my/appointments/4b0e.ics", "/api/search?postal_code=H2X", "/admin", "/static/site.css"]
)
def test_ordinary_paths_are_canonical(raw: str):
    path = raw.split("?")[0]
    assert is_canonical(path.encode(), path)


def test_the_routing_table_never_hands_on_a_remainder_that_climbs():
    assert resolve("/api/appointments/../my/appointments", "POST") is None
    assert resolve("/api/establishments/./metrics", "GET") is None
    assert resolve("/api/establishments//metrics", "GET") is None
    assert resolve("/api/establishments/x/../../metrics", "GET") is None
    assert resolve("/api/establishments/42/services", "GET")[1] == "/establishments/42/services"


def test_the_upstream_url_is_sent_as_built_never_decoded_nor_normalised():
    # `%252e%252e` arrives decoded once as the literal segment `%2e%2e`; left to yarl it became `..`.
    url = upstream_url("http://127.0.0.1:8002", "/establishments/%2e%2e/metrics", "a=1")
    assert str(url) == "http://127.0.0.1:8002/establishments/%252e%252e/metrics?a=1"
    assert url.raw_path == "/establishments/%252e%252e/metrics"
    assert str(upstream_url("http://s", "/a b/ç", "")) == "http://s/a%20b/%C3%A7"
