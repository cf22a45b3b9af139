"""Paging parameters are bounded before they reach PostgreSQL: the fuzzer found that an offset past
int64 made asyncpg fail with a 500 instead of a 422 naming the field."""

import pytest
from fastapi.testclient import TestClient

from services.appointments.main import create_app


@pytest.mark.parametrize("query", ["offset=5908441801897694724096", "offset=-1", "limit=0", "limit=101"])
def test_out_of_range_paging_is_a_422_on_its_field(query: str):
    client = TestClient(create_app())  # no lifespan: refused before any database work
    answer = client.get(f"/establishments?{query}")
    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"][0]["field"] == query.split("=")[0]
    assert answer.json()["errors"][0]["message"]["fr"]
