"""The per-address login limit counts by shared/client_address.py's key, over the service's real routes and
PostgreSQL (issue 18, follow-up on finding 3).

Before, the route read X-Client-Ip as it came: a missing one went to an "unknown" bucket, but each garbage
value was a fresh bucket, and each IPv6 address of a subscriber's /64 a fresh allowance, so a caller reaching
the port rotated its way past the limit.
"""

import uuid
from collections.abc import AsyncIterator
from types import SimpleNamespace

import httpx
import pytest
from sqlalchemy import select

from devstack.testing.apps import app_without_lifespan
from services.accounts.main import ROUTERS
from services.accounts.models import login_failures
from services.accounts.refusals import REFUSALS
from services.accounts.sessions.use_cases import Deps
from services.accounts.settings import AccountsSettings
from services.accounts.tests.integration.test_login_limits import SETTINGS, WRONG, CountingHashing, deps, sessions
from shared.client_address import UNATTRIBUTED
from shared.unit_of_work import UnitOfWork

__all__ = ["deps", "sessions"]  # the fixtures, shared with test_login_limits
PER_ADDRESS = 3


@pytest.fixture
async def http(sessions, deps: Deps) -> AsyncIterator[httpx.AsyncClient]:
    settings = AccountsSettings.model_construct(
        jwt_private_key=SETTINGS.jwt_private_key, ip_failures_before_delay=PER_ADDRESS, login_failures_before_delay=50
    )
    app = app_without_lifespan("Accounts", ROUTERS, refusals=REFUSALS)
    app.state.deps = Deps(settings=settings, hashing=CountingHashing(), vault=deps.vault)
    app.state.runtime = SimpleNamespace(unit_of_work=lambda: UnitOfWork(sessions))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://accounts") as client:
        yield client


async def _tries(http: httpx.AsyncClient, sources: list[str | None], staff: bool = False) -> list[int]:
    """A wrong password for a new unknown identifier each time, so that only the address limit can refuse."""
    statuses = []
    for source in sources:
        headers = {"X-Client-Ip": source} if source is not None else {}
        who = f"{uuid.uuid4().hex[:10]}@example.org"
        path, body = ("/staff/sessions", {"email": who}) if staff else ("/sessions", {"identifier": who})
        answer = await http.post(path, json={**body, "password": WRONG}, headers=headers)
        statuses.append(answer.status_code)
    return statuses


async def test_missing_and_unreadable_addresses_share_one_login_limit(http, sessions):
    assert await _tries(http, [None] * PER_ADDRESS) == [401] * PER_ADDRESS
    garbage = [None, "", "unknown", "not-an-address", "10.0.0.300", "x" * 500]
    assert await _tries(http, garbage) == [429] * len(garbage)
    assert await _tries(http, garbage[:2], staff=True) == [429, 429]
    assert await _tries(http, ["192.0.2.1"]) == [401]

    async with sessions() as session:
        keys = set((await session.execute(select(login_failures.c.key))).scalars())
    assert {key for key in keys if key.startswith("ip:")} == {f"ip:{UNATTRIBUTED}", "ip:192.0.2.1"}


@pytest.mark.parametrize("staff", [False, True])
async def test_rotating_ipv6_addresses_within_a_slash_64_hits_the_same_login_limit(http, staff):
    rotated = [f"2001:db8:5:6:{n:x}::{n + 1:x}" for n in range(PER_ADDRESS + 2)]
    assert await _tries(http, rotated, staff) == [401] * PER_ADDRESS + [429, 429]
    # Another /64 is another client.
    assert await _tries(http, ["2001:db8:5:7::1"], staff) == [401]
