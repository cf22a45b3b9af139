"""Sessions: a login starts a family of refresh tokens, each refresh rotates within it, and a revocation ends
sessions at once for the gateway (SessionsRevoked) instead of when their access tokens expire.

- Rotation with reuse detection: a refresh token works once. Presented again, someone holds a copy (the
  thief or the citizen, whichever came second), so the whole family ends: the refresh token the other one
  got and the access tokens issued in the family.
- Absolute lifetime: a family ends `citizen_session_days` / `staff_session_hours` after its login however
  often it is refreshed; access tokens and refresh cookies never outlive it.
- Serialised with refreshes: a refresh locks its family row and a revocation updates it, so a refresh running
  during a revocation either finishes first (its new tokens belong to the family being ended) or finds the
  family ended.
"""

import asyncio
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import structlog
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from services.accounts.links.rules import NamVault
from services.accounts.sessions import queries
from services.accounts.sessions.queries import CitizenSignIn, StaffSignIn
from services.accounts.sessions.rules import (
    CITIZEN,
    STAFF,
    AccountNotActive,
    BadCredentials,
    Limit,
    SessionExpired,
    StaffNotFound,
    TooManyAttempts,
    hash_refresh_token,
    issue_access_token,
    login_identifier,
    new_refresh_token,
    new_session,
)
from services.accounts.sessions.schemas import (
    SessionRevocationResponse,
    StaffNameResponse,
    StaffNamesResponse,
    StaffProfileResponse,
    TokenResponse,
)
from services.accounts.settings import AccountsSettings
from shared.contracts.accounts import SessionsRevoked
from shared.staff import Staff
from shared.unit_of_work import UnitOfWork

log = structlog.get_logger(__name__)


class PasswordHashing:
    """argon2id hashing off the event loop, with bounded concurrency (argon2 is slow by design): threads of
    its own, so it is wiring, not a rule."""

    def __init__(self, memory_kib: int, time_cost: int, parallelism: int, concurrency: int) -> None:
        self._hasher = PasswordHasher(memory_cost=memory_kib, time_cost=time_cost, parallelism=parallelism)
        # Threads of their own, as many as may hash at once (above the core count, more only add latency):
        # each thread's malloc arena keeps one memory_kib buffer, so the default executor's 6 threads
        # kept +76 MB resident after a login burst, these 2 keep +38 MB.
        self._threads = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="argon2")
        # Verified when the identifier is unknown, so timing doesn't reveal which accounts exist.
        self._decoy = self._hasher.hash("decoy password that never matches anything")

    async def hash(self, password: str) -> str:
        return await asyncio.get_running_loop().run_in_executor(self._threads, self._hasher.hash, password)

    async def verify(self, stored_hash: str | None, password: str) -> bool:
        return await asyncio.get_running_loop().run_in_executor(
            self._threads, self._verify, stored_hash or self._decoy, password
        )

    def _verify(self, stored_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(stored_hash, password)
        except (VerificationError, InvalidHashError):
            return False


@dataclass(frozen=True)
class Deps:
    """What the use cases need besides a unit of work; built once in main.py."""

    settings: AccountsSettings
    hashing: PasswordHashing
    vault: NamVault


def lifetime(settings: AccountsSettings, audience: str) -> timedelta:
    if audience == STAFF:
        return timedelta(hours=settings.staff_session_hours)
    return timedelta(days=settings.citizen_session_days)


def token_response(
    settings: AccountsSettings,
    subject: uuid.UUID,
    audience: str,
    extra: dict[str, str],
    refresh_token: str,
    family_id: uuid.UUID,
    ends_at: datetime,
) -> TokenResponse:
    access = issue_access_token(
        settings.jwt_private_key.get_secret_value(),
        subject,
        audience,
        settings.access_token_minutes,
        {**extra, "sid": str(family_id)},
        not_after=ends_at,
    )
    left = max(0, int((ends_at - datetime.now(UTC)).total_seconds()))
    return TokenResponse(
        access_token=access,
        refresh_token=refresh_token,
        expires_in=min(settings.access_token_minutes * 60, left),
        refresh_expires_in=left,
    )


async def start_session(
    uow: UnitOfWork, settings: AccountsSettings, subject: uuid.UUID, audience: str, extra: dict[str, str]
) -> TokenResponse:
    """In the caller's transaction, which commits it."""
    session = new_session(lifetime(settings, audience))
    await queries.start_session(uow.session, subject, audience, session)
    return token_response(settings, subject, audience, extra, session.refresh_token, session.family_id, session.ends_at)


async def refresh(uow: UnitOfWork, settings: AccountsSettings, refresh_token: str) -> TokenResponse:
    """A new access token and a new refresh token of the same family; the one presented is used up."""
    async with uow:
        presented = await queries.presented_token(uow.session, hash_refresh_token(refresh_token))
        if presented is None or presented.family_revoked_at is not None or presented.revoked_at is not None:
            raise SessionExpired
        # Used up here, by a statement of its own: the row read above is from the snapshot taken before the wait
        # for the family's lock, so a refresh of the same token that committed meanwhile is only seen now (no
        # row back). Rolled back with the rest if this refresh is refused below.
        if not await queries.use_up(uow.session, presented.id):
            # Someone holds a copy: whichever of the thief and the citizen came second, the session ends.
            log.warning("refresh_token_reused", session_id=str(presented.family_id), audience=presented.audience)
            await _revoke(uow, presented.subject_id, [presented.family_id], every_session=False)
            await uow.commit()
            raise SessionExpired
        ends_at = presented.started_at + lifetime(settings, presented.audience)
        if datetime.now(UTC) >= min(ends_at, presented.expires_at):
            raise SessionExpired
        extra: dict[str, str] = {}
        if presented.audience == STAFF:
            staff = await queries.staff_claims(uow.session, presented.subject_id)
            if staff is None:
                raise SessionExpired
            extra = {"est": str(staff.establishment_id), "role": staff.role}
        token, token_hash = new_refresh_token()
        await queries.add_refresh_token(
            uow.session, presented.subject_id, presented.audience, token_hash, ends_at, presented.family_id
        )
        await uow.commit()
    return token_response(
        settings, presented.subject_id, presented.audience, extra, token, presented.family_id, ends_at
    )


async def log_out(uow: UnitOfWork, refresh_token: str) -> None:
    """Ends the session the refresh token belongs to, used or not; an unknown token changes nothing."""
    async with uow:
        presented = await queries.presented_token(uow.session, hash_refresh_token(refresh_token))
        if presented is not None and presented.family_revoked_at is None:
            await _revoke(uow, presented.subject_id, [presented.family_id], every_session=False)
            await uow.commit()


async def end_every_session(uow: UnitOfWork, subject: uuid.UUID) -> None:
    """A password change or a deletion: in the caller's transaction, which commits it."""
    ended = await queries.end_families_of(uow.session, subject)
    await _revoke(uow, subject, ended, every_session=True, already_ended=True)


async def _revoke(
    uow: UnitOfWork, subject: uuid.UUID, families: list[uuid.UUID], every_session: bool, already_ended: bool = False
) -> None:
    if families and not already_ended:
        await queries.end_families(uow.session, families)
    # Taken after the families' rows were locked: a refresh that finished before that issued its tokens
    # earlier, and one still waiting will find its family ended.
    revoked_at = datetime.now(UTC)
    revoked: list[uuid.UUID | None] = [*families, None] if every_session else [*families]
    await queries.record_revocations(uow.session, subject, revoked, revoked_at)
    uow.publish(
        SessionsRevoked(subject_id=subject, session_ids=families, every_session=every_session, revoked_at=revoked_at)
    )


async def revocations_since(
    uow: UnitOfWork, settings: AccountsSettings, since: datetime
) -> list[SessionRevocationResponse]:
    """For a gateway that starts: the revocations its access tokens may still meet. Prunes what no one needs:
    revocations older than any access token, and sessions ended or past their lifetime long ago."""
    kept = timedelta(hours=settings.revocations_kept_hours)
    async with uow:
        rows = await queries.revocations_since(uow.session, since)
        now = datetime.now(UTC)
        longest = max(lifetime(settings, CITIZEN), lifetime(settings, STAFF))
        await queries.prune_sessions(uow.session, now - kept, now - longest - kept)
        await uow.commit()
    return [
        SessionRevocationResponse(subject_id=r.subject_id, session_id=r.session_id, revoked_at=r.revoked_at)
        for r in rows
    ]


def _ip_limit(settings: AccountsSettings, client_ip: str) -> Limit:
    """`client_ip` is a shared.client_address limit key (an IPv6 client's /64; one bucket for no address)."""
    return Limit(
        f"ip:{client_ip}", settings.ip_failures_before_delay, timedelta(minutes=settings.ip_failures_memory_minutes)
    )


def _subject_limit(settings: AccountsSettings, key: str) -> Limit:
    """An account's, a staff member's or an unknown identifier's count: the same limit for all three, so
    when refusals begin does not tell whether an account exists."""
    return Limit(key, settings.login_failures_before_delay, timedelta(hours=settings.login_failures_memory_hours))


async def log_in(uow: UnitOfWork, deps: Deps, identifier: str, password: str, client_ip: str) -> TokenResponse:
    settings = deps.settings
    ip = _ip_limit(settings, client_ip)
    kind, value = login_identifier(identifier)
    # An unreadable phone number names no account, but its tries are counted all the same; by a keyed HMAC,
    # as what was typed may be anybody's address.
    unknown_key = f"identifier:{deps.vault.contact_hmac(value or identifier)}"

    def limits(account: CitizenSignIn | None) -> list[Limit]:
        return [ip, _subject_limit(settings, f"account:{account.id}" if account is not None else unknown_key)]

    query = queries.CITIZEN_BY_EMAIL if kind == "email" else queries.CITIZEN_BY_PHONE
    # The hot path, around argon2: statements on a driver connection (queries.py says why).
    async with queries.driver_connection(uow) as connection:
        attempt = await queries.reserve(connection, query, value, limits, queries.citizen_sign_in)
    if attempt.wait is not None:
        raise TooManyAttempts(attempt.wait)
    account = attempt.subject
    ok = await deps.hashing.verify(account.password_hash if account else None, password)
    if not ok or account is None:
        raise BadCredentials  # the try stays counted: it was reserved before hashing
    if account.status != "active":
        # The right password: no guess to count (the portal asks again until the code activates the account).
        async with queries.driver_connection(uow) as connection:
            await queries.release(connection, f"account:{account.id}", ip.key)
        raise AccountNotActive
    session = new_session(lifetime(settings, CITIZEN))
    async with queries.driver_connection(uow) as connection:
        await queries.record_success(
            connection,
            account.id,
            session.refresh_token_hash,
            session.ends_at,
            ip.key,
            session.family_id,
            session.started_at,
        )
    return token_response(settings, account.id, CITIZEN, {}, session.refresh_token, session.family_id, session.ends_at)


async def staff_log_in(uow: UnitOfWork, deps: Deps, email: str, password: str, client_ip: str) -> TokenResponse:
    settings = deps.settings
    ip = _ip_limit(settings, client_ip)
    lowered = email.strip().lower()

    def limits(staff: StaffSignIn | None) -> list[Limit]:
        return [
            ip,
            _subject_limit(
                settings,
                f"staff:{staff.id}" if staff is not None else f"staff-identifier:{deps.vault.contact_hmac(lowered)}",
            ),
        ]

    async with queries.driver_connection(uow) as connection:
        attempt = await queries.reserve(connection, queries.STAFF_BY_EMAIL, lowered, limits, queries.staff_sign_in)
    if attempt.wait is not None:
        raise TooManyAttempts(attempt.wait)
    staff = attempt.subject
    ok = await deps.hashing.verify(staff.password_hash if staff else None, password)
    if not ok or staff is None:
        raise BadCredentials  # the try stays counted: it was reserved before hashing
    async with queries.driver_connection(uow) as connection:
        await queries.release(connection, f"staff:{staff.id}", ip.key)
    async with uow:
        tokens = await start_session(
            uow, settings, staff.id, STAFF, {"est": str(staff.establishment_id), "role": staff.role}
        )
        await uow.commit()
    return tokens


async def staff_profile(uow: UnitOfWork, staff_id: uuid.UUID) -> StaffProfileResponse:
    """The signed-in staff member's own record (the console shows their name); a deleted one is gone."""
    async with uow:
        found = await queries.staff_profile(uow.session, staff_id)
    if found is None:
        raise StaffNotFound
    return StaffProfileResponse(id=found.id, name=found.name, role=found.role, establishment_id=found.establishment_id)


async def staff_names(uow: UnitOfWork, caller: Staff, establishment_id: uuid.UUID) -> StaffNamesResponse:
    """Who works at an establishment, by name and role: the console's audit log names the staff member behind
    each entry. Only that establishment's managers read it (they already read its audit log); emails and
    password hashes never leave the service."""
    caller.authorise(establishment_id, manager_only=True)
    async with uow:
        names = await queries.staff_names(uow.session, establishment_id)
    return StaffNamesResponse(staff=[StaffNameResponse(id=n.id, name=n.name, role=n.role) for n in names])
