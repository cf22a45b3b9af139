"""One-time codes against the real database (and, for the consumer and the API, the real broker)."""

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from devstack.jwt_keys import generate_es256_keypair
from devstack.testing.tokens import TEST_PUBLIC_KEY, citizen_headers
from services.verification.codes import use_cases
from services.verification.codes.schemas import ChallengeResponse
from services.verification.codes.use_cases import forget_account, issue_challenge
from services.verification.consumers import HANDLERS, CodeIssuer
from services.verification.main import create_app
from services.verification.settings import VerificationSettings
from services.verification.tests.http_edge import worded
from shared.bus import Bus
from shared.consumer import EventConsumer
from shared.contracts.accounts import AccountDeleted, CodeRequested
from shared.contracts.verification import ChallengePassed, CodeIssued
from shared.db import make_engine, make_sessionmaker
from shared.errors import ApiError
from shared.unit_of_work import UnitOfWork

SETTINGS = VerificationSettings(environment="test")
PURPOSE = "change_email"

Sessions = async_sessionmaker[AsyncSession]


async def verify_code(uow: UnitOfWork, *args: Any) -> ChallengeResponse:
    return await worded(use_cases.verify_code(uow, *args))


async def challenge_status(uow: UnitOfWork, *args: Any) -> ChallengeResponse:
    return await worded(use_cases.challenge_status(uow, *args))


@pytest.fixture
async def sessions(clean_databases: dict[str, str]) -> AsyncIterator[Sessions]:
    engine = make_engine(clean_databases["verification"], pool_size=5)
    yield make_sessionmaker(engine)
    await engine.dispose()


def code_request(**changes: Any) -> CodeRequested:
    values = {
        "request_id": uuid.uuid4(),
        "account_id": uuid.uuid4(),
        "purpose": PURPOSE,
        "channel": "email",
        "destination": f"marie.{uuid.uuid4().hex[:8]}@example.org",
        "language": "fr",
    }
    return CodeRequested(**(values | changes))


async def request_code(sessions: Sessions, event: CodeRequested) -> CodeRequested:
    async with UnitOfWork(sessions) as uow:
        await issue_challenge(uow, event, SETTINGS)
        await uow.commit()
    return event


async def outbox_events(sessions: Sessions, contract: type[CodeIssued | ChallengePassed]) -> list[dict[str, Any]]:
    async with sessions() as session:
        bodies = (
            await session.execute(
                text("SELECT body FROM outbox WHERE routing_key = :key ORDER BY id"), {"key": contract.routing_key()}
            )
        ).scalars()
        return [json.loads(body)["payload"] for body in bodies]


async def code_sent_for(sessions: Sessions, challenge_id: uuid.UUID) -> str:
    [issued] = [e for e in await outbox_events(sessions, CodeIssued) if e["challenge_id"] == str(challenge_id)]
    return issued["code"]


def another_code(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


async def attempt(
    sessions: Sessions, challenge_id: uuid.UUID, code: str, purpose: str = PURPOSE, account_id: uuid.UUID | None = None
) -> str:
    """'passed', or the code of the refusal."""
    try:
        await verify_code(UnitOfWork(sessions), challenge_id, code, purpose, account_id, SETTINGS)
    except ApiError as refused:
        return refused.code
    return "passed"


async def scalar(sessions: Sessions, sql: str, **params: Any) -> Any:
    async with sessions() as session:
        return (await session.execute(text(sql), params)).scalar()


async def test_issue_then_verify_publishes_challenge_passed(sessions):
    event = await request_code(sessions, code_request())
    code = await code_sent_for(sessions, event.request_id)
    assert len(code) == 6
    assert code.isdigit()

    status = await challenge_status(UnitOfWork(sessions), event.request_id, SETTINGS)
    assert (status.status, status.channel, status.attempts_left) == ("issued", "email", 5)

    passed = await verify_code(UnitOfWork(sessions), event.request_id, code, PURPOSE, event.account_id, SETTINGS)
    assert passed.status == "passed"
    [published] = await outbox_events(sessions, ChallengePassed)
    assert published == {
        "challenge_id": str(event.request_id),
        "account_id": str(event.account_id),
        "purpose": PURPOSE,
        "channel": "email",
        "destination": event.destination,
    }
    assert (await challenge_status(UnitOfWork(sessions), event.request_id, SETTINGS)).status == "passed"


async def test_expired_code_is_refused(sessions):
    event = await request_code(sessions, code_request())
    code = await code_sent_for(sessions, event.request_id)
    async with sessions() as session:
        await session.execute(text("UPDATE challenges SET expires_at = now() - interval '1 second'"))
        await session.commit()
    assert await attempt(sessions, event.request_id, code) == "code_expired"
    assert (await challenge_status(UnitOfWork(sessions), event.request_id, SETTINGS)).status == "expired"


async def test_a_code_works_once(sessions):
    event = await request_code(sessions, code_request())
    code = await code_sent_for(sessions, event.request_id)
    assert await attempt(sessions, event.request_id, code) == "passed"
    assert await attempt(sessions, event.request_id, code) == "code_used"
    assert len(await outbox_events(sessions, ChallengePassed)) == 1


async def test_a_code_is_bound_to_its_purpose_and_account(sessions):
    event = await request_code(sessions, code_request())
    code = await code_sent_for(sessions, event.request_id)
    assert await attempt(sessions, event.request_id, code, purpose="reset_password") == "wrong_purpose"
    assert await attempt(sessions, event.request_id, code, account_id=uuid.uuid4()) == "challenge_not_found"
    assert await attempt(sessions, uuid.uuid4(), code) == "challenge_not_found"
    assert await attempt(sessions, event.request_id, code, account_id=event.account_id) == "passed"


async def test_five_wrong_tries_then_even_the_right_code_is_refused(sessions):
    event = await request_code(sessions, code_request())
    code = await code_sent_for(sessions, event.request_id)
    messages = []
    for _ in range(5):
        with pytest.raises(ApiError) as refused:
            await verify_code(UnitOfWork(sessions), event.request_id, another_code(code), PURPOSE, None, SETTINGS)
        assert (refused.value.status, refused.value.code) == (422, "wrong_code")
        messages.append(refused.value.en)
    assert messages[0] == "Wrong code. 4 tries left."
    # The last one says at once that the code is locked, and from when a new one can be asked for (issue 22).
    assert messages[-1].startswith("Wrong code. No tries left: for your security, this code is locked. You can ask")
    # Each wrong try was committed although its request failed.
    assert await scalar(sessions, "SELECT wrong_attempts FROM challenge_budgets") == 5
    assert await attempt(sessions, event.request_id, code) == "too_many_attempts"
    assert (await challenge_status(UnitOfWork(sessions), event.request_id, SETTINGS)).attempts_left == 0
    assert await outbox_events(sessions, ChallengePassed) == []


async def test_concurrent_wrong_tries_cannot_exceed_the_budget(sessions):
    event = await request_code(sessions, code_request())
    wrong = another_code(await code_sent_for(sessions, event.request_id))
    outcomes = await asyncio.gather(*(attempt(sessions, event.request_id, wrong) for _ in range(20)))
    assert sorted(outcomes) == ["too_many_attempts"] * 15 + ["wrong_code"] * 5
    assert await scalar(sessions, "SELECT wrong_attempts FROM challenge_budgets") == 5


async def test_a_resend_supersedes_the_old_code_but_keeps_the_try_budget(sessions):
    first = await request_code(sessions, code_request())
    old_code = await code_sent_for(sessions, first.request_id)
    for _ in range(3):
        assert await attempt(sessions, first.request_id, another_code(old_code)) == "wrong_code"

    resend = await request_code(
        sessions,
        code_request(account_id=first.account_id, destination=first.destination, resend_of=first.request_id),
    )
    new_code = await code_sent_for(sessions, resend.request_id)
    assert await attempt(sessions, first.request_id, old_code) == "code_superseded"
    assert (await challenge_status(UnitOfWork(sessions), resend.request_id, SETTINGS)).attempts_left == 2
    for _ in range(2):
        assert await attempt(sessions, resend.request_id, another_code(new_code)) == "wrong_code"
    assert await attempt(sessions, resend.request_id, new_code) == "too_many_attempts"
    assert await scalar(sessions, "SELECT count(*) FROM challenge_budgets") == 1


async def test_a_redelivered_request_issues_one_challenge(sessions):
    event = code_request()
    for _ in range(3):
        await request_code(sessions, event)
    assert await scalar(sessions, "SELECT count(*) FROM challenges") == 1
    assert len(await outbox_events(sessions, CodeIssued)) == 1


async def test_at_most_five_codes_per_account_per_hour(sessions):
    account = uuid.uuid4()
    for _ in range(5):
        await request_code(sessions, code_request(account_id=account))
    throttled = await request_code(sessions, code_request(account_id=account))
    assert len(await outbox_events(sessions, CodeIssued)) == 5
    status = await challenge_status(UnitOfWork(sessions), throttled.request_id, SETTINGS)
    assert status.status == "throttled"
    assert await attempt(sessions, throttled.request_id, "123456") == "too_many_codes"
    # Another account is not affected.
    await request_code(sessions, code_request())
    assert len(await outbox_events(sessions, CodeIssued)) == 6


async def test_at_most_five_codes_per_destination_per_hour_whatever_the_account(sessions):
    for _ in range(5):
        await request_code(sessions, code_request(destination="victim@example.org"))
    await request_code(sessions, code_request(destination="VICTIM@example.org"))
    assert len(await outbox_events(sessions, CodeIssued)) == 5
    assert await scalar(sessions, "SELECT count(*) FROM challenges WHERE status = 'throttled'") == 1


async def test_a_throttled_resend_leaves_the_current_code_valid(sessions):
    first = await request_code(sessions, code_request())
    code = await code_sent_for(sessions, first.request_id)
    for _ in range(4):
        await request_code(sessions, code_request(account_id=first.account_id))
    await request_code(sessions, code_request(account_id=first.account_id, resend_of=first.request_id))
    assert await attempt(sessions, first.request_id, code) == "passed"


async def test_account_deletion_forgets_its_challenges(sessions):
    gone = await request_code(sessions, code_request())
    await request_code(sessions, code_request(account_id=gone.account_id, resend_of=gone.request_id))
    kept = await request_code(sessions, code_request())
    async with UnitOfWork(sessions) as uow:
        await forget_account(uow, gone.account_id)
        await uow.commit()
    assert await scalar(sessions, "SELECT count(*) FROM challenges") == 1
    assert await scalar(sessions, "SELECT count(*) FROM challenge_budgets") == 1
    assert await attempt(sessions, gone.request_id, "123456") == "challenge_not_found"
    assert (await challenge_status(UnitOfWork(sessions), kept.request_id, SETTINGS)).status == "issued"


async def _text_columns(sessions: Sessions) -> list[tuple[str, str]]:
    async with sessions() as session:
        rows = await session.execute(
            text("""
            SELECT table_name, column_name FROM information_schema.columns
            WHERE table_schema = 'public' AND data_type IN ('text', 'character varying', 'character', 'json', 'jsonb')
            ORDER BY table_name, column_name
            """)
        )
        return [(row.table_name, row.column_name) for row in rows]


async def _tables_holding(sessions: Sessions, needle: str) -> set[str]:
    found = set()
    async with sessions() as session:
        for table, column in await _text_columns(sessions):
            hits = await session.execute(
                text(f'SELECT count(*) FROM "{table}" WHERE "{column}"::text LIKE :pattern'), {"pattern": f"%{needle}%"}
            )
            if hits.scalar():
                found.add(table)
    return found


async def test_neither_the_code_nor_the_destination_is_stored_in_clear(sessions):
    wrong_then_right = await request_code(sessions, code_request())
    pending = await request_code(sessions, code_request())
    codes = [await code_sent_for(sessions, e.request_id) for e in (wrong_then_right, pending)]
    assert await attempt(sessions, wrong_then_right.request_id, another_code(codes[0])) == "wrong_code"
    assert await attempt(sessions, wrong_then_right.request_id, codes[0]) == "passed"

    assert ("challenges", "code_hash") in await _text_columns(sessions)
    for secret in [*codes, wrong_then_right.destination, pending.destination]:
        # The outbox row of CodeIssued (and ChallengePassed) holds them until the relay has
        # published it and blanked its body; every other table never does.
        assert await _tables_holding(sessions, secret) <= {"outbox"}, secret


async def _wait_until(predicate, timeout: float = 20.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await predicate():
        assert asyncio.get_running_loop().time() < deadline, "condition not reached in time"
        await asyncio.sleep(0.05)


async def test_consumer_issues_once_per_request_and_forgets_deleted_accounts(sessions, amqp_url, bus_namespace):
    bus = Bus(amqp_url, "verification", namespace=bus_namespace, prefetch=8, delivery_limit=3)
    consumer = EventConsumer(sessions, [CodeIssuer(SETTINGS).on_code_requested, *HANDLERS])
    bus.subscribe(consumer.binding_keys, consumer)
    await bus.connect()
    try:
        event = code_request()
        envelope = event.to_envelope()
        # The same delivery twice (inbox) and the same request in another envelope (request_id).
        for sent in (envelope, envelope, event.to_envelope()):
            await bus.publish(sent.routing_key, sent.model_dump_json().encode(), message_id=str(sent.id))

        async def all_applied() -> bool:
            return await scalar(sessions, "SELECT count(*) FROM inbox") == 2

        await _wait_until(all_applied)
        assert await scalar(sessions, "SELECT count(*) FROM challenges") == 1
        [issued] = await outbox_events(sessions, CodeIssued)
        assert issued["challenge_id"] == str(event.request_id)

        deleted = AccountDeleted(
            account_id=event.account_id, dependant_ids=[], email=event.destination, phone=None, language="fr"
        ).to_envelope()
        await bus.publish(deleted.routing_key, deleted.model_dump_json().encode(), message_id=str(deleted.id))

        async def forgotten() -> bool:
            return await scalar(sessions, "SELECT count(*) FROM challenges") == 0

        await _wait_until(forgotten)
        assert await scalar(sessions, "SELECT count(*) FROM challenge_budgets") == 0
    finally:
        await bus.close()


async def test_api_answers_field_level_errors_and_verifies(sessions, clean_databases, amqp_url, bus_namespace):
    event = await request_code(sessions, code_request())
    code = await code_sent_for(sessions, event.request_id)
    app = create_app(
        VerificationSettings(
            database_url=clean_databases["verification"],
            amqp_url=amqp_url,
            bus_namespace=bus_namespace,
            jwt_public_key=TEST_PUBLIC_KEY,
        )
    )
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://verification") as client,
    ):
        url = f"/challenges/{event.request_id}/verify"

        malformed = await client.post(url, json={"code": "12a45", "purpose": PURPOSE})
        assert malformed.status_code == 422
        [error] = malformed.json()["errors"]
        assert (error["field"], error["code"]) == ("code", "invalid_code_format")
        assert error["message"]["en"] == "The code must be exactly 6 digits."

        incomplete = await client.post(url, json={"code": "1234567"}, headers={"Accept-Language": "en"})
        assert incomplete.status_code == 422
        fields = {(e["field"], e["code"]) for e in incomplete.json()["errors"]}
        assert fields == {("code", "invalid_code_format"), ("purpose", "missing")}
        assert incomplete.json()["detail"] == "The code must be exactly 6 digits."

        bad_purpose = await client.post(url, json={"code": code, "purpose": "launch_rockets"})
        assert bad_purpose.status_code == 422
        assert bad_purpose.json()["errors"][0]["field"] == "purpose"

        wrong = await client.post(url, json={"code": another_code(code), "purpose": PURPOSE})
        assert wrong.status_code == 422
        assert wrong.json()["errors"][0] == {
            "field": "code",
            "code": "wrong_code",
            "message": {"fr": "Code incorrect. Il vous reste 4 essais.", "en": "Wrong code. 4 tries left."},
        }

        stranger = await client.post(
            url, json={"code": code, "purpose": PURPOSE}, headers=citizen_headers(uuid.uuid4())
        )
        assert stranger.status_code == 404
        assert stranger.json()["errors"][0]["code"] == "challenge_not_found"

        # Who is signed in is only what a token signed by accounts says: one signed by another key is refused
        # before the code is even looked at.
        foreign_key, _ = generate_es256_keypair()
        foreign = await client.post(
            url,
            json={"code": code, "purpose": PURPOSE},
            headers=citizen_headers(event.account_id, private_key=foreign_key),
        )
        assert (foreign.status_code, foreign.json()["errors"][0]["code"]) == (401, "login_required")

        passed = await client.post(
            url, json={"code": f" {code} ", "purpose": PURPOSE}, headers=citizen_headers(event.account_id)
        )
        assert passed.status_code == 200, passed.text
        assert passed.json()["status"] == "passed"
        assert passed.json()["attempts_left"] == 4

        status = await client.get(f"/challenges/{event.request_id}")
        assert status.status_code == 200
        assert status.json()["status"] == "passed"
        assert (await client.get(f"/challenges/{uuid.uuid4()}")).status_code == 404
