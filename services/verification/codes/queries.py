"""The codes' SQL: challenges, their budgets of wrong tries, and the wrong codes counted across them."""

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text

from shared.unit_of_work import UnitOfWork

# Transaction-scoped: released at commit or rollback.
ADVISORY_LOCK = text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))")

CHALLENGE_EXISTS = text("SELECT 1 FROM challenges WHERE id = :id")

# Throttled requests sent nothing, so they do not use up the limits.
CODES_SENT_SINCE = text("""
SELECT count(*) FILTER (WHERE account_id = :account_id) AS by_account,
       count(*) FILTER (WHERE destination_hmac = :destination_hmac) AS by_destination
FROM challenges
WHERE (account_id = :account_id OR destination_hmac = :destination_hmac)
  AND created_at > :since AND status <> 'throttled'
""")

RESENT_CHALLENGE = text("""
SELECT c.budget_id, c.account_id, c.purpose, b.wrong_attempts, b.locked_at
FROM challenges c JOIN challenge_budgets b ON b.id = c.budget_id
WHERE c.id = :id
""")

INSERT_BUDGET = text("INSERT INTO challenge_budgets (id, created_at) VALUES (:id, :now)")

SUPERSEDE_PENDING = text("""
UPDATE challenges SET status = 'superseded', destination_sealed = NULL
WHERE budget_id = :budget_id AND status = 'issued'
""")

INSERT_CHALLENGE = text("""
INSERT INTO challenges (id, account_id, purpose, channel, destination_hmac, destination_sealed, code_hash, status,
                        budget_id, expires_at, created_at)
VALUES (:id, :account_id, :purpose, :channel, :destination_hmac, :destination_sealed, :code_hash, :status,
        :budget_id, :expires_at, :now)
""")

# Locks the challenge and its budget: concurrent attempts on one chain are counted one after the other.
CHALLENGE_FOR_ATTEMPT = text("""
SELECT c.account_id, c.purpose, c.channel, c.status, c.expires_at, c.code_hash, c.destination_sealed, c.budget_id,
       c.destination_hmac, b.wrong_attempts, b.locked_at
FROM challenges c JOIN challenge_budgets b ON b.id = c.budget_id
WHERE c.id = :id
FOR UPDATE OF c, b
""")

# Wrong codes across every challenge of the account or sent to the destination, in the sliding window.
WRONG_CODES_SINCE = text("""
SELECT count(*) FILTER (WHERE account_id = :account_id) AS by_account,
       count(*) FILTER (WHERE destination_hmac = :destination_hmac) AS by_destination
FROM wrong_codes
WHERE (account_id = :account_id OR destination_hmac = :destination_hmac) AND at > :since
""")

# The wrong code whose leaving the window brings the count back under the limit (OFFSET count - limit).
ACCOUNT_LOCK_LIFTS = text("""
SELECT at FROM wrong_codes WHERE account_id = :account_id AND at > :since ORDER BY at OFFSET :past LIMIT 1
""")
DESTINATION_LOCK_LIFTS = text("""
SELECT at FROM wrong_codes WHERE destination_hmac = :destination_hmac AND at > :since ORDER BY at OFFSET :past LIMIT 1
""")

RECORD_WRONG_CODE = text("""
INSERT INTO wrong_codes (account_id, destination_hmac, at) VALUES (:account_id, :destination_hmac, :now)
""")

CHALLENGE_WITH_BUDGET = text("""
SELECT c.account_id, c.purpose, c.channel, c.status, c.expires_at, b.wrong_attempts, b.locked_at
FROM challenges c JOIN challenge_budgets b ON b.id = c.budget_id
WHERE c.id = :id
""")

COUNT_WRONG_ATTEMPT = text("UPDATE challenge_budgets SET wrong_attempts = wrong_attempts + 1 WHERE id = :id")

# The wrong try that spent the chain: a resend opens a fresh chain only a cooldown after it.
LOCK_BUDGET = text("UPDATE challenge_budgets SET locked_at = :now WHERE id = :id")

MARK_PASSED = text("""
UPDATE challenges SET status = 'passed', used_at = :now, destination_sealed = NULL WHERE id = :id
""")

DELETE_ACCOUNT_CHALLENGES = text("DELETE FROM challenges WHERE account_id = :account_id RETURNING budget_id")

DELETE_UNUSED_BUDGETS = text("""
DELETE FROM challenge_budgets b
WHERE b.id = ANY(:ids) AND NOT EXISTS (SELECT 1 FROM challenges c WHERE c.budget_id = b.id)
""")

DELETE_OLD_CHALLENGES = text("DELETE FROM challenges WHERE created_at < :before RETURNING budget_id")

DELETE_ACCOUNT_WRONG_CODES = text("DELETE FROM wrong_codes WHERE account_id = :account_id")

DELETE_OLD_WRONG_CODES = text("DELETE FROM wrong_codes WHERE at < :before")


@dataclass(frozen=True)
class Counts:
    """Per account and per destination: codes sent, or wrong codes typed."""

    by_account: int
    by_destination: int


@dataclass(frozen=True)
class ResentChallenge:
    budget_id: uuid.UUID
    account_id: uuid.UUID
    purpose: str
    wrong_attempts: int
    locked_at: datetime | None


@dataclass(frozen=True)
class NewChallenge:
    id: uuid.UUID
    account_id: uuid.UUID
    purpose: str
    channel: str
    destination_hmac: str
    destination_sealed: bytes | None
    code_hash: str | None
    status: str
    budget_id: uuid.UUID
    expires_at: datetime
    now: datetime


@dataclass(frozen=True)
class ChallengeWithBudget:
    account_id: uuid.UUID
    purpose: str
    channel: str
    status: str
    expires_at: datetime
    wrong_attempts: int
    locked_at: datetime | None


@dataclass(frozen=True)
class ChallengeForAttempt(ChallengeWithBudget):
    code_hash: str | None
    destination_sealed: bytes | None
    budget_id: uuid.UUID
    destination_hmac: str


async def lock(uow: UnitOfWork, key: str) -> None:
    await uow.session.execute(ADVISORY_LOCK, {"key": key})


async def challenge_exists(uow: UnitOfWork, challenge_id: uuid.UUID) -> bool:
    return (await uow.session.execute(CHALLENGE_EXISTS, {"id": challenge_id})).first() is not None


async def codes_sent_since(uow: UnitOfWork, account_id: uuid.UUID, destination_hmac: str, since: datetime) -> Counts:
    params = {"account_id": account_id, "destination_hmac": destination_hmac, "since": since}
    return Counts(**(await uow.session.execute(CODES_SENT_SINCE, params)).one()._mapping)


async def resent_challenge(uow: UnitOfWork, challenge_id: uuid.UUID) -> ResentChallenge | None:
    row = (await uow.session.execute(RESENT_CHALLENGE, {"id": challenge_id})).first()
    return None if row is None else ResentChallenge(**row._mapping)


async def insert_budget(uow: UnitOfWork, budget_id: uuid.UUID, now: datetime) -> None:
    await uow.session.execute(INSERT_BUDGET, {"id": budget_id, "now": now})


async def supersede_pending(uow: UnitOfWork, budget_id: uuid.UUID) -> None:
    await uow.session.execute(SUPERSEDE_PENDING, {"budget_id": budget_id})


async def insert_challenge(uow: UnitOfWork, challenge: NewChallenge) -> None:
    await uow.session.execute(INSERT_CHALLENGE, vars(challenge))


async def challenge_for_attempt(uow: UnitOfWork, challenge_id: uuid.UUID) -> ChallengeForAttempt | None:
    row = (await uow.session.execute(CHALLENGE_FOR_ATTEMPT, {"id": challenge_id})).first()
    return None if row is None else ChallengeForAttempt(**row._mapping)


async def challenge_with_budget(uow: UnitOfWork, challenge_id: uuid.UUID) -> ChallengeWithBudget | None:
    row = (await uow.session.execute(CHALLENGE_WITH_BUDGET, {"id": challenge_id})).first()
    return None if row is None else ChallengeWithBudget(**row._mapping)


async def wrong_codes_since(uow: UnitOfWork, account_id: uuid.UUID, destination_hmac: str, since: datetime) -> Counts:
    params = {"account_id": account_id, "destination_hmac": destination_hmac, "since": since}
    return Counts(**(await uow.session.execute(WRONG_CODES_SINCE, params)).one()._mapping)


async def account_lock_lifts(uow: UnitOfWork, account_id: uuid.UUID, since: datetime, past: int) -> datetime:
    """When the `past`-th wrong code of the account in the window was typed (its leaving lifts the lock)."""
    params = {"account_id": account_id, "since": since, "past": past}
    at: datetime = (await uow.session.execute(ACCOUNT_LOCK_LIFTS, params)).scalar_one()
    return at


async def destination_lock_lifts(uow: UnitOfWork, destination_hmac: str, since: datetime, past: int) -> datetime:
    params = {"destination_hmac": destination_hmac, "since": since, "past": past}
    at: datetime = (await uow.session.execute(DESTINATION_LOCK_LIFTS, params)).scalar_one()
    return at


async def record_wrong_code(
    uow: UnitOfWork, budget_id: uuid.UUID, account_id: uuid.UUID, destination_hmac: str, now: datetime
) -> None:
    """Counted against the challenge's budget and, across challenges, its account and destination."""
    await uow.session.execute(COUNT_WRONG_ATTEMPT, {"id": budget_id})
    await uow.session.execute(
        RECORD_WRONG_CODE, {"account_id": account_id, "destination_hmac": destination_hmac, "now": now}
    )


async def lock_budget(uow: UnitOfWork, budget_id: uuid.UUID, now: datetime) -> None:
    await uow.session.execute(LOCK_BUDGET, {"id": budget_id, "now": now})


async def mark_passed(uow: UnitOfWork, challenge_id: uuid.UUID, now: datetime) -> None:
    await uow.session.execute(MARK_PASSED, {"id": challenge_id, "now": now})


async def _delete_unused_budgets(uow: UnitOfWork, budgets: list[uuid.UUID]) -> None:
    if budgets:
        await uow.session.execute(DELETE_UNUSED_BUDGETS, {"ids": list(set(budgets))})


async def delete_account_codes(uow: UnitOfWork, account_id: uuid.UUID) -> None:
    budgets = list((await uow.session.execute(DELETE_ACCOUNT_CHALLENGES, {"account_id": account_id})).scalars())
    await _delete_unused_budgets(uow, budgets)
    await uow.session.execute(DELETE_ACCOUNT_WRONG_CODES, {"account_id": account_id})


async def delete_old_challenges(uow: UnitOfWork, before: datetime) -> int:
    """Deletes them with the budgets no challenge uses any more; how many challenges went."""
    budgets = list((await uow.session.execute(DELETE_OLD_CHALLENGES, {"before": before})).scalars())
    await _delete_unused_budgets(uow, budgets)
    return len(budgets)


async def delete_old_wrong_codes(uow: UnitOfWork, before: datetime) -> None:
    await uow.session.execute(DELETE_OLD_WRONG_CODES, {"before": before})
