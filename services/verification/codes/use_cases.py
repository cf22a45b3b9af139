"""Use cases of one-time codes: issue them, check them, forget them.

`verify_code` and `challenge_status` own their unit of work. The event handlers (`issue_challenge`,
`forget_account`) run inside the consumer's unit of work, which records the inbox entry and commits.
"""

import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import structlog

from services.verification.codes import queries, rules
from services.verification.codes.rules import Keys, destination_hmac, seal, unseal
from services.verification.codes.schemas import ChallengeResponse
from services.verification.settings import VerificationSettings
from shared.contracts.accounts import CodeRequested
from shared.contracts.verification import ChallengePassed, CodeIssued, CodeLocked
from shared.unit_of_work import UnitOfWork

log = structlog.get_logger(__name__)


def _keys(settings: VerificationSettings) -> Keys:
    return Keys.derive(settings.secret_key.get_secret_value())


def _cooldown(settings: VerificationSettings) -> timedelta:
    return timedelta(minutes=settings.new_code_cooldown_minutes)


@dataclass(frozen=True)
class _Budget:
    """The budget the new challenge draws its wrong tries from; `replaces`: the budget whose pending code it
    supersedes (a resend's); `locked_until`: set when no code could pass it yet, so none is sent."""

    id: uuid.UUID
    replaces: uuid.UUID | None = None
    locked_until: datetime | None = None


async def _budget_for(uow: UnitOfWork, event: CodeRequested, now: datetime, settings: VerificationSettings) -> _Budget:
    if event.resend_of is not None:
        resent = await queries.resent_challenge(uow, event.resend_of)
        # Only a challenge of the same account and purpose can pass its budget on.
        if resent is not None and (resent.account_id, resent.purpose) == (event.account_id, event.purpose):
            if rules.attempts_left(resent.wrong_attempts, settings.max_wrong_attempts) > 0:
                return _Budget(resent.budget_id, replaces=resent.budget_id)
            # Spent: after the cooldown a fresh chain with fresh tries; before it, no code (it could not pass).
            # Accounts refuses such a resend itself once it has heard CodeLocked: this covers the moment before.
            new_code_from = rules.new_code_from(resent.locked_at, _cooldown(settings), now)
            if new_code_from > now:
                return _Budget(resent.budget_id, locked_until=new_code_from)
            await queries.insert_budget(uow, event.request_id, now)
            return _Budget(event.request_id, replaces=resent.budget_id)
    await queries.insert_budget(uow, event.request_id, now)
    return _Budget(event.request_id)


async def issue_challenge(
    uow: UnitOfWork, event: CodeRequested, settings: VerificationSettings, causation_id: uuid.UUID | None = None
) -> None:
    """Makes the code and publishes CodeIssued for notifications; idempotent on request_id."""
    keys = _keys(settings)
    hashed_destination = destination_hmac(keys.destination_hmac, event.channel, event.destination)
    # Serialises requests of one account and of one destination (always in this order, so no
    # deadlock): two requests at once cannot both slip under a limit, nor both issue one request_id.
    await queries.lock(uow, f"verification:account:{event.account_id}")
    await queries.lock(uow, f"verification:destination:{hashed_destination}")
    now = datetime.now(UTC)  # read once the locks are held, so the hour windows see requests in order
    if await queries.challenge_exists(uow, event.request_id):
        log.info("challenge_already_issued", challenge_id=str(event.request_id))
        return

    sent = await queries.codes_sent_since(uow, event.account_id, hashed_destination, now - timedelta(hours=1))
    throttled = (
        sent.by_account >= settings.max_codes_per_account_per_hour
        or sent.by_destination >= settings.max_codes_per_destination_per_hour
    )
    budget = await _budget_for(uow, event, now, settings)
    if event.resend_of is not None and budget.locked_until is None:
        # Nor is a code sent while the bound across challenges refuses every code (read without its advisory
        # locks, which are taken after a challenge's row lock: verify_code checks it again under them anyway).
        lifts_at = (await _guesses_bound(uow, event.account_id, hashed_destination, settings, now))[1]
        if lifts_at is not None:
            budget = replace(budget, locked_until=lifts_at, replaces=None)
    is_resend = budget.replaces is not None
    throttled_challenge = queries.NewChallenge(
        id=event.request_id,
        account_id=event.account_id,
        purpose=event.purpose,
        channel=event.channel,
        destination_hmac=hashed_destination,
        budget_id=budget.id,
        destination_sealed=None,
        code_hash=None,
        status=rules.THROTTLED,
        expires_at=now,
        now=now,
    )
    if throttled:
        # Recorded so the portal can say why no code came; the previous code, if any, stays valid.
        await queries.insert_challenge(uow, throttled_challenge)
        log.warning("challenge_throttled", challenge_id=str(event.request_id))
        return

    if budget.replaces is not None:
        await queries.supersede_pending(uow, budget.replaces)
    code = rules.new_code()
    expires_at = now + timedelta(seconds=settings.code_lifetime_seconds)
    await queries.insert_challenge(
        uow,
        replace(
            throttled_challenge,
            destination_sealed=seal(keys.destination_seal, event.request_id, event.destination),
            # A decoy answers, counts wrong codes and expires like any challenge, but no code matches it.
            # Nor a code made while its chain is locked, which is withheld: it could not pass.
            code_hash=rules.NO_CODE_MATCHES
            if event.decoy or budget.locked_until is not None
            else rules.hash_code(keys.code, event.request_id, code),
            status=rules.ISSUED,
            expires_at=expires_at,
        ),
    )
    if budget.locked_until is not None:
        # Told again under the new id, which accounts now holds the pending change by.
        uow.publish(
            CodeLocked(
                challenge_id=event.request_id,
                account_id=event.account_id,
                purpose=event.purpose,
                new_code_from=budget.locked_until,
            ),
            causation_id=causation_id,
        )
        log.warning("challenge_withheld_while_locked", challenge_id=str(event.request_id))
        return
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


def _response(
    challenge_id: uuid.UUID, row: queries.ChallengeWithBudget, settings: VerificationSettings, now: datetime
) -> ChallengeResponse:
    state = _state(row)
    return ChallengeResponse(
        id=challenge_id,
        status=rules.visible_status(state, now),
        channel=row.channel,
        expires_at=state.expires_at,
        attempts_left=rules.attempts_left(state.wrong_attempts, settings.max_wrong_attempts),
    )


def _state(row: queries.ChallengeWithBudget) -> rules.ChallengeState:
    return rules.ChallengeState(
        account_id=row.account_id,
        purpose=row.purpose,
        status=row.status,
        expires_at=row.expires_at,
        wrong_attempts=row.wrong_attempts,
        locked_at=row.locked_at,
    )


async def _wrong_codes_left(
    uow: UnitOfWork,
    challenge_id: uuid.UUID,
    row: queries.ChallengeForAttempt,
    settings: VerificationSettings,
    now: datetime,
) -> int:
    """Wrong codes left to the challenge's account and destination across all their challenges; raises
    guesses_locked when either used them up in the window."""
    # Their own namespace (not issue_challenge's locks): taken after the challenge's row lock, always
    # account then destination, so two attempts on challenges of one account or destination are counted
    # one after the other (parallel guesses on fresh challenges cannot all slip under the bound).
    await queries.lock(uow, f"verification:guesses:account:{row.account_id}")
    await queries.lock(uow, f"verification:guesses:destination:{row.destination_hmac}")
    left, lifts_at = await _guesses_bound(uow, row.account_id, row.destination_hmac, settings, now)
    if lifts_at is not None:
        log.warning("code_guesses_locked", challenge_id=str(challenge_id))
        raise rules.guesses_locked(lifts_at - now)
    return left


async def _guesses_bound(
    uow: UnitOfWork, account_id: uuid.UUID, destination_hmac: str, settings: VerificationSettings, now: datetime
) -> tuple[int, datetime | None]:
    """Wrong codes left under the bound across challenges, and when it lifts if it is reached (else None)."""
    window = timedelta(hours=settings.wrong_codes_window_hours)
    since = now - window
    counted = await queries.wrong_codes_since(uow, account_id, destination_hmac, since)
    lifts_at = []
    if counted.by_account >= settings.max_wrong_codes_per_account:
        past = counted.by_account - settings.max_wrong_codes_per_account
        lifts_at.append(await queries.account_lock_lifts(uow, account_id, since, past) + window)
    if counted.by_destination >= settings.max_wrong_codes_per_destination:
        past = counted.by_destination - settings.max_wrong_codes_per_destination
        lifts_at.append(await queries.destination_lock_lifts(uow, destination_hmac, since, past) + window)
    left = min(
        settings.max_wrong_codes_per_account - counted.by_account,
        settings.max_wrong_codes_per_destination - counted.by_destination,
    )
    return left, max(lifts_at) if lifts_at else None


async def _tell_locked(
    uow: UnitOfWork,
    challenge_id: uuid.UUID,
    row: queries.ChallengeForAttempt,
    chain_tries_left: int,
    settings: VerificationSettings,
    now: datetime,
) -> datetime:
    """That wrong code was the last one this challenge could take: accounts hears from when a new code may be sent
    (the chain's cooldown, or later when the bound across challenges is reached too); that time is returned."""
    from_times = [now + _cooldown(settings)] if chain_tries_left == 0 else [now]
    # The guesses' advisory locks are held already (taken by _wrong_codes_left before the code was checked).
    lifts_at = (await _guesses_bound(uow, row.account_id, row.destination_hmac, settings, now))[1]
    if lifts_at is not None:
        from_times.append(lifts_at)
    new_code_from = max(from_times)
    uow.publish(
        CodeLocked(
            challenge_id=challenge_id, account_id=row.account_id, purpose=row.purpose, new_code_from=new_code_from
        )
    )
    return new_code_from


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
        row = await queries.challenge_for_attempt(uow, challenge_id)
        now = datetime.now(UTC)
        refusal = rules.refusal_for(
            _state(row) if row else None, purpose, account_id, now, settings.max_wrong_attempts, _cooldown(settings)
        )
        if refusal is not None:
            raise refusal
        # A challenge that can still be passed was issued: it has a code and a sealed destination.
        assert row is not None
        assert row.code_hash is not None
        assert row.destination_sealed is not None
        # Checked before the code, like the challenge's own budget: once locked, the right code is refused too.
        wrong_codes_left = await _wrong_codes_left(uow, challenge_id, row, settings, now)
        if not rules.code_matches(keys.code, challenge_id, code, row.code_hash):
            await queries.record_wrong_code(uow, row.budget_id, row.account_id, row.destination_hmac, now)
            left = rules.attempts_left(row.wrong_attempts + 1, settings.max_wrong_attempts)
            if left == 0:
                await queries.lock_budget(uow, row.budget_id, now)
            new_code_from = None
            if min(left, wrong_codes_left - 1) == 0:
                new_code_from = await _tell_locked(uow, challenge_id, row, left, settings, now)
            # Committed before refusing: leaving the unit of work by an exception would roll the count back.
            await uow.commit()
            raise rules.wrong_code(min(left, wrong_codes_left - 1), new_code_from, now)
        await queries.mark_passed(uow, challenge_id, now)
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
        status=rules.PASSED,
        channel=row.channel,
        expires_at=row.expires_at,
        attempts_left=rules.attempts_left(row.wrong_attempts, settings.max_wrong_attempts),
    )


async def challenge_status(
    uow: UnitOfWork, challenge_id: uuid.UUID, settings: VerificationSettings, account_id: uuid.UUID | None = None
) -> ChallengeResponse:
    async with uow:
        row = await queries.challenge_with_budget(uow, challenge_id)
    if row is None or (account_id is not None and account_id != row.account_id):
        raise rules.ChallengeNotFound
    return _response(challenge_id, row, settings, datetime.now(UTC))


async def forget_account(uow: UnitOfWork, account_id: uuid.UUID) -> None:
    """On AccountDeleted: nothing about the account's codes is kept."""
    await queries.delete_account_codes(uow, account_id)


async def purge_old_challenges(uow: UnitOfWork, before: datetime, wrong_codes_before: datetime | None = None) -> int:
    async with uow:
        purged = await queries.delete_old_challenges(uow, before)
        if wrong_codes_before is not None:
            await queries.delete_old_wrong_codes(uow, wrong_codes_before)
        await uow.commit()
    return purged


async def purge_expired_challenges(uow: UnitOfWork, settings: VerificationSettings) -> int:
    """Challenges past the retention period (limits and budgets only look back hours); run every
    `purge_interval_seconds` (main.py)."""
    now = datetime.now(UTC)
    # Past the window a wrong code no longer counts toward the bound.
    wrong_codes_before = now - timedelta(hours=settings.wrong_codes_window_hours)
    return await purge_old_challenges(
        uow, now - timedelta(hours=settings.challenge_retention_hours), wrong_codes_before
    )
