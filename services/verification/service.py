"""Use cases of the verification service: issue one-time codes, check them, forget them.

`verify_code` and `challenge_status` own their unit of work. The event handlers (`issue_challenge`,
`forget_account`) run inside the consumer's unit of work, which records the inbox entry and commits.
"""

import asyncio
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import text

from services.verification import domain
from services.verification.destinations import Keys, destination_hmac, seal, unseal
from services.verification.schemas import ChallengeResponse
from services.verification.settings import VerificationSettings
from shared.contracts.accounts import CodeRequested
from shared.contracts.verification import ChallengePassed, CodeIssued
from shared.unit_of_work import UnitOfWork

log = structlog.get_logger(__name__)

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

RESENT_CHALLENGE = text("SELECT budget_id, account_id, purpose FROM challenges WHERE id = :id")

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
       c.destination_hmac, b.wrong_attempts
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
SELECT c.account_id, c.purpose, c.channel, c.status, c.expires_at, b.wrong_attempts
FROM challenges c JOIN challenge_budgets b ON b.id = c.budget_id
WHERE c.id = :id
""")

COUNT_WRONG_ATTEMPT = text("UPDATE challenge_budgets SET wrong_attempts = wrong_attempts + 1 WHERE id = :id")

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


def _keys(settings: VerificationSettings) -> Keys:
    return Keys.derive(settings.secret_key.get_secret_value())


async def _budget_for(uow: UnitOfWork, event: CodeRequested, now: datetime) -> tuple[uuid.UUID, bool]:
    """The budget the new challenge draws its wrong tries from, and whether it is a resend's."""
    if event.resend_of is not None:
        resent = (await uow.session.execute(RESENT_CHALLENGE, {"id": event.resend_of})).first()
        # Only a challenge of the same account and purpose can pass its budget on.
        if resent is not None and (resent.account_id, resent.purpose) == (event.account_id, event.purpose):
            return resent.budget_id, True
    await uow.session.execute(INSERT_BUDGET, {"id": event.request_id, "now": now})
    return event.request_id, False


async def issue_challenge(
    uow: UnitOfWork, event: CodeRequested, settings: VerificationSettings, causation_id: uuid.UUID | None = None
) -> None:
    """Makes the code and publishes CodeIssued for notifications; idempotent on request_id."""
    keys = _keys(settings)
    hashed_destination = destination_hmac(keys.destination_hmac, event.channel, event.destination)
    # Serialises requests of one account and of one destination (always in this order, so no
    # deadlock): two requests at once cannot both slip under a limit, nor both issue one request_id.
    await uow.session.execute(ADVISORY_LOCK, {"key": f"verification:account:{event.account_id}"})
    await uow.session.execute(ADVISORY_LOCK, {"key": f"verification:destination:{hashed_destination}"})
    now = datetime.now(UTC)  # read once the locks are held, so the hour windows see requests in order
    if (await uow.session.execute(CHALLENGE_EXISTS, {"id": event.request_id})).first() is not None:
        log.info("challenge_already_issued", challenge_id=str(event.request_id))
        return

    sent = (
        await uow.session.execute(
            CODES_SENT_SINCE,
            {
                "account_id": event.account_id,
                "destination_hmac": hashed_destination,
                "since": now - timedelta(hours=1),
            },
        )
    ).one()
    throttled = (
        sent.by_account >= settings.max_codes_per_account_per_hour
        or sent.by_destination >= settings.max_codes_per_destination_per_hour
    )
    budget_id, is_resend = await _budget_for(uow, event, now)
    row = {
        "id": event.request_id,
        "account_id": event.account_id,
        "purpose": event.purpose,
        "channel": event.channel,
        "destination_hmac": hashed_destination,
        "budget_id": budget_id,
    }
    if throttled:
        # Recorded so the portal can say why no code came; the previous code, if any, stays valid.
        await uow.session.execute(
            INSERT_CHALLENGE,
            {
                **row,
                "destination_sealed": None,
                "code_hash": None,
                "status": domain.THROTTLED,
                "expires_at": now,
                "now": now,
            },
        )
        log.warning("challenge_throttled", challenge_id=str(event.request_id))
        return

    if is_resend:
        await uow.session.execute(SUPERSEDE_PENDING, {"budget_id": budget_id})
    code = domain.new_code()
    expires_at = now + timedelta(seconds=settings.code_lifetime_seconds)
    await uow.session.execute(
        INSERT_CHALLENGE,
        {
            **row,
            "destination_sealed": seal(keys.destination_seal, event.request_id, event.destination),
            # A decoy answers, counts wrong codes and expires like any challenge, but no code matches it.
            "code_hash": domain.NO_CODE_MATCHES if event.decoy else domain.hash_code(keys.code, event.request_id, code),
            "status": domain.ISSUED,
            "expires_at": expires_at,
            "now": now,
        },
    )
    if event.decoy:
        log.info("challenge_issued", challenge_id=str(event.request_id), resend=is_resend)
        return
    uow.publish(
        CodeIssued(
            challenge_id=event.request_id,
            account_id=event.account_id,
            purpose=event.purpose,
            channel=event.channel,
            destination=event.destination,
            language=event.language,
            code=code,
            expires_at=expires_at,
        ),
        causation_id=causation_id,
    )
    log.info("challenge_issued", challenge_id=str(event.request_id), resend=is_resend)


def _response(challenge_id: uuid.UUID, row: object, settings: VerificationSettings, now: datetime) -> ChallengeResponse:
    state = _state(row)
    return ChallengeResponse(
        id=challenge_id,
        status=domain.visible_status(state, now),  # type: ignore[arg-type]
        channel=row.channel,  # type: ignore[attr-defined]
        expires_at=state.expires_at,
        attempts_left=domain.attempts_left(state.wrong_attempts, settings.max_wrong_attempts),
    )


def _state(row: object) -> domain.ChallengeState:
    return domain.ChallengeState(
        account_id=row.account_id,  # type: ignore[attr-defined]
        purpose=row.purpose,  # type: ignore[attr-defined]
        status=row.status,  # type: ignore[attr-defined]
        expires_at=row.expires_at,  # type: ignore[attr-defined]
        wrong_attempts=row.wrong_attempts,  # type: ignore[attr-defined]
    )


async def _wrong_codes_left(
    uow: UnitOfWork, challenge_id: uuid.UUID, row: Any, settings: VerificationSettings, now: datetime
) -> int:
    """Wrong codes left to the challenge's account and destination across all their challenges; raises
    guesses_locked when either used them up in the window."""
    # Their own namespace (not issue_challenge's locks): taken after the challenge's row lock, always
    # account then destination, so two attempts on challenges of one account or destination are counted
    # one after the other (parallel guesses on fresh challenges cannot all slip under the bound).
    await uow.session.execute(ADVISORY_LOCK, {"key": f"verification:guesses:account:{row.account_id}"})
    await uow.session.execute(ADVISORY_LOCK, {"key": f"verification:guesses:destination:{row.destination_hmac}"})
    window = timedelta(hours=settings.wrong_codes_window_hours)
    since = now - window
    keys = {"account_id": row.account_id, "destination_hmac": row.destination_hmac, "since": since}
    counted = (await uow.session.execute(WRONG_CODES_SINCE, keys)).one()
    limits = (
        (counted.by_account, settings.max_wrong_codes_per_account, ACCOUNT_LOCK_LIFTS),
        (counted.by_destination, settings.max_wrong_codes_per_destination, DESTINATION_LOCK_LIFTS),
    )
    lifts_at = [
        (await uow.session.execute(lifts, keys | {"past": count - limit})).scalar_one() + window
        for count, limit, lifts in limits
        if count >= limit
    ]
    if lifts_at:
        log.warning("code_guesses_locked", challenge_id=str(challenge_id))
        raise domain.guesses_locked(max(lifts_at) - now)
    return min(limit - count for count, limit, _ in limits)


async def verify_code(
    uow: UnitOfWork,
    challenge_id: uuid.UUID,
    code: str,
    purpose: str,
    account_id: uuid.UUID | None,
    settings: VerificationSettings,
) -> ChallengeResponse:
    keys = _keys(settings)
    async with uow:
        row = (await uow.session.execute(CHALLENGE_FOR_ATTEMPT, {"id": challenge_id})).first()
        now = datetime.now(UTC)
        refusal = domain.refusal_for(
            _state(row) if row else None, purpose, account_id, now, settings.max_wrong_attempts
        )
        if refusal is not None:
            raise refusal
        # A challenge that can still be passed was issued: it has a code and a sealed destination.
        assert row is not None
        assert row.code_hash is not None
        assert row.destination_sealed is not None
        # Checked before the code, like the challenge's own budget: once locked, the right code is refused too.
        wrong_codes_left = await _wrong_codes_left(uow, challenge_id, row, settings, now)
        if not domain.code_matches(keys.code, challenge_id, code, row.code_hash):
            await uow.session.execute(COUNT_WRONG_ATTEMPT, {"id": row.budget_id})
            await uow.session.execute(
                RECORD_WRONG_CODE, {"account_id": row.account_id, "destination_hmac": row.destination_hmac, "now": now}
            )
            # Committed before refusing: leaving the unit of work by an exception would roll the count back.
            await uow.commit()
            left = domain.attempts_left(row.wrong_attempts + 1, settings.max_wrong_attempts)
            raise domain.wrong_code(min(left, wrong_codes_left - 1))
        await uow.session.execute(MARK_PASSED, {"id": challenge_id, "now": now})
        uow.publish(
            ChallengePassed(
                challenge_id=challenge_id,
                account_id=row.account_id,
                purpose=row.purpose,
                channel=row.channel,
                destination=unseal(keys.destination_seal, challenge_id, row.destination_sealed),
            )
        )
        await uow.commit()
    log.info("challenge_passed", challenge_id=str(challenge_id))
    return ChallengeResponse(
        id=challenge_id,
        status=domain.PASSED,
        channel=row.channel,
        expires_at=row.expires_at,
        attempts_left=domain.attempts_left(row.wrong_attempts, settings.max_wrong_attempts),
    )


async def challenge_status(
    uow: UnitOfWork, challenge_id: uuid.UUID, settings: VerificationSettings, account_id: uuid.UUID | None = None
) -> ChallengeResponse:
    async with uow:
        row = (await uow.session.execute(CHALLENGE_WITH_BUDGET, {"id": challenge_id})).first()
    if row is None or (account_id is not None and account_id != row.account_id):
        raise domain.CHALLENGE_NOT_FOUND
    return _response(challenge_id, row, settings, datetime.now(UTC))


async def forget_account(uow: UnitOfWork, account_id: uuid.UUID) -> None:
    """On AccountDeleted: nothing about the account's codes is kept."""
    budgets = (await uow.session.execute(DELETE_ACCOUNT_CHALLENGES, {"account_id": account_id})).scalars().all()
    if budgets:
        await uow.session.execute(DELETE_UNUSED_BUDGETS, {"ids": list(set(budgets))})
    await uow.session.execute(DELETE_ACCOUNT_WRONG_CODES, {"account_id": account_id})


async def purge_old_challenges(uow: UnitOfWork, before: datetime, wrong_codes_before: datetime | None = None) -> int:
    async with uow:
        budgets = (await uow.session.execute(DELETE_OLD_CHALLENGES, {"before": before})).scalars().all()
        if budgets:
            await uow.session.execute(DELETE_UNUSED_BUDGETS, {"ids": list(set(budgets))})
        if wrong_codes_before is not None:
            await uow.session.execute(DELETE_OLD_WRONG_CODES, {"before": wrong_codes_before})
        await uow.commit()
    return len(budgets)


class ChallengePurger:
    """Worker: deletes challenges past the retention period (limits and budgets only look back hours)."""

    def __init__(self, unit_of_work: Callable[[], UnitOfWork], settings: VerificationSettings) -> None:
        self._unit_of_work = unit_of_work
        self._settings = settings

    async def run(self) -> None:
        while True:
            now = datetime.now(UTC)
            before = now - timedelta(hours=self._settings.challenge_retention_hours)
            # Past the window a wrong code no longer counts toward the bound.
            wrong_codes_before = now - timedelta(hours=self._settings.wrong_codes_window_hours)
            try:
                purged = await purge_old_challenges(self._unit_of_work(), before, wrong_codes_before)
                if purged:
                    log.info("challenges_purged", count=purged)
            except Exception as exc:  # noqa: BLE001 - e.g. a database restart: try again next round
                log.warning("challenge_purge_failed", error=type(exc).__name__)
            await asyncio.sleep(self._settings.purge_interval_seconds)
