"""Login limits against real PostgreSQL: every try is reserved before argon2 runs, per account (citizen or
staff) and per address, and a limited login looks the same whether the identifier names an account or not.

Issue 18, finding 3: 59 of 100 simultaneous wrong passwords were hashed (the count was read, then the
password checked); staff had no per-account limit at all, so rotating the address let 60 wrong passwords
through in 2.3 s and then the right one; and only existing accounts ever answered 429.
"""

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import date

import pytest
from pydantic import SecretStr
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from devstack.jwt_keys import generate_es256_keypair
from services.accounts.links.rules import NamVault
from services.accounts.models import accounts, login_failures, staff_roles, staff_users
from services.accounts.sessions import use_cases as service
from services.accounts.sessions.use_cases import Deps, PasswordHashing
from services.accounts.settings import AccountsSettings
from services.accounts.tests.answered import ApiError, as_answered
from shared.db import make_engine, make_sessionmaker
from shared.unit_of_work import UnitOfWork

PASSWORD = "la riviere gele en janvier"
WRONG = "pas le bon mot de passe du tout"
SETTINGS = AccountsSettings.model_construct(jwt_private_key=SecretStr(generate_es256_keypair()[0]))
FREE = SETTINGS.login_failures_before_delay


class CountingHashing(PasswordHashing):
    """The real argon2 (light parameters), counting the passwords it was asked to check."""

    def __init__(self) -> None:
        super().__init__(8192, 1, 1, 2)
        self.verified = 0

    async def verify(self, stored_hash: str | None, password: str) -> bool:
        self.verified += 1
        return await super().verify(stored_hash, password)


@pytest.fixture
async def sessions(clean_databases: dict[str, str]) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = make_engine(clean_databases["accounts"])
    try:
        yield make_sessionmaker(engine)
    finally:
        await engine.dispose()


@pytest.fixture
def deps() -> Deps:
    return Deps(settings=SETTINGS, hashing=CountingHashing(), vault=NamVault(SETTINGS.nam_key.get_secret_value()))


async def citizen(sessions: async_sessionmaker[AsyncSession], deps: Deps, email: str) -> uuid.UUID:
    account_id = uuid.uuid4()
    async with sessions() as session:
        await session.execute(
            insert(accounts).values(
                id=account_id,
                status="active",
                first_name="Léa",
                last_name="Roy",
                birth_date=date(1990, 1, 2),
                sex="F",
                email=email,
                language="fr",
                password_hash=await deps.hashing.hash(PASSWORD),
            )
        )
        await session.commit()
    return account_id


async def staff_member(sessions: async_sessionmaker[AsyncSession], deps: Deps, email: str) -> uuid.UUID:
    staff_id = uuid.uuid4()
    async with sessions() as session:
        await session.execute(
            insert(staff_users).values(
                id=staff_id,
                email=email,
                name="Claire Commis",
                password_hash=await deps.hashing.hash(PASSWORD),
            )
        )
        await session.execute(
            insert(staff_roles).values(staff_id=staff_id, establishment_id=uuid.uuid4(), role="clerk")
        )
        await session.commit()
    return staff_id


async def citizen_try(sessions, deps: Deps, identifier: str, password: str, ip: str = "10.0.0.1") -> int:
    try:
        with as_answered():
            await service.log_in(UnitOfWork(sessions), deps, identifier, password, ip)
    except ApiError as error:
        return error.status
    return 200


async def staff_try(sessions, deps: Deps, email: str, password: str, ip: str = "10.0.0.1") -> int:
    try:
        with as_answered():
            await service.staff_log_in(UnitOfWork(sessions), deps, email, password, ip)
    except ApiError as error:
        return error.status
    return 200


async def test_simultaneous_wrong_passwords_reach_argon2_no_more_than_the_limit(sessions, deps):
    await citizen(sessions, deps, "lea@example.org")
    hashing: CountingHashing = deps.hashing  # type: ignore[assignment]
    hashing.verified = 0

    statuses = await asyncio.gather(*(citizen_try(sessions, deps, "lea@example.org", WRONG) for _ in range(100)))

    assert hashing.verified <= FREE
    assert statuses.count(401) == hashing.verified
    assert statuses.count(429) == 100 - hashing.verified
    # The right password, right after: refused too, without being checked.
    assert await citizen_try(sessions, deps, "lea@example.org", PASSWORD) == 429
    assert hashing.verified <= FREE


async def test_staff_sign_in_is_limited_per_account_whatever_the_address(sessions, deps):
    await staff_member(sessions, deps, "commis@clinique.example")
    # A new address for every try, as a forged X-Forwarded-For would give.
    statuses = [
        await staff_try(sessions, deps, "commis@clinique.example", WRONG, ip=f"203.0.113.{n}") for n in range(12)
    ]
    assert statuses == [401] * FREE + [429] * (12 - FREE)
    assert await staff_try(sessions, deps, "Commis@Clinique.example", PASSWORD, ip="198.51.100.7") == 429


async def test_simultaneous_staff_guesses_reach_argon2_no_more_than_the_limit(sessions, deps):
    await staff_member(sessions, deps, "gestion@clinique.example")
    hashing: CountingHashing = deps.hashing  # type: ignore[assignment]
    hashing.verified = 0

    statuses = await asyncio.gather(
        *(staff_try(sessions, deps, "gestion@clinique.example", WRONG, ip=f"203.0.113.{n}") for n in range(60))
    )

    assert hashing.verified <= FREE
    assert sorted(set(statuses)) == [401, 429]
    assert await staff_try(sessions, deps, "gestion@clinique.example", PASSWORD) == 429


async def test_an_unknown_identifier_is_refused_after_as_many_tries_as_an_account(sessions, deps):
    await citizen(sessions, deps, "existe@example.org")
    await staff_member(sessions, deps, "personnel@clinique.example")

    async def sequence(attempt) -> list[int]:
        return [await attempt(n) for n in range(FREE + 2)]

    existing = await sequence(lambda n: citizen_try(sessions, deps, "existe@example.org", WRONG, f"10.1.0.{n}"))
    unknown = await sequence(lambda n: citizen_try(sessions, deps, "personne@example.org", WRONG, f"10.2.0.{n}"))
    unknown_phone = await sequence(lambda n: citizen_try(sessions, deps, "514 555-0199", WRONG, f"10.3.0.{n}"))
    staff = await sequence(lambda n: staff_try(sessions, deps, "personnel@clinique.example", WRONG, f"10.4.0.{n}"))
    unknown_staff = await sequence(lambda n: staff_try(sessions, deps, "nul@clinique.example", WRONG, f"10.5.0.{n}"))

    assert existing == unknown == unknown_phone == staff == unknown_staff == [401] * FREE + [429, 429]
    # Counted by a keyed HMAC of what was typed, which may be anybody's address: never the address itself.
    async with sessions() as session:
        keys = " ".join((await session.execute(select(login_failures.c.key))).scalars())
    for typed in ("personne@example.org", "5145550199", "nul@clinique.example", "existe@example.org"):
        assert typed not in keys


async def test_the_address_limit_still_holds_across_accounts_and_a_success_gives_its_try_back(sessions, deps):
    settings = AccountsSettings.model_construct(
        jwt_private_key=SETTINGS.jwt_private_key, ip_failures_before_delay=3, login_failures_before_delay=5
    )
    limited = Deps(settings=settings, hashing=deps.hashing, vault=deps.vault)
    await citizen(sessions, deps, "a@example.org")
    await citizen(sessions, deps, "b@example.org")

    assert await citizen_try(sessions, limited, "a@example.org", PASSWORD, "192.0.2.1") == 200
    assert await citizen_try(sessions, limited, "a@example.org", WRONG, "192.0.2.1") == 401
    assert await citizen_try(sessions, limited, "b@example.org", WRONG, "192.0.2.1") == 401
    assert await citizen_try(sessions, limited, "c@example.org", WRONG, "192.0.2.1") == 401
    # Three failures from the address: the next try, whatever the account, waits.
    assert await citizen_try(sessions, limited, "b@example.org", PASSWORD, "192.0.2.1") == 429
    assert await citizen_try(sessions, limited, "b@example.org", PASSWORD, "192.0.2.2") == 200

    async with sessions() as session:
        counts = dict((await session.execute(select(login_failures.c.key, login_failures.c.failures))).all())
    # The successful login cleared b's count; the refused try changed nothing.
    assert not any(key.startswith("account:") and count > 1 for key, count in counts.items())
    assert counts["ip:192.0.2.1"] == 3
    assert counts["ip:192.0.2.2"] == 0
