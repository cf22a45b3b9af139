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
from services.accounts.registration.rules import check_password
from services.accounts.sessions import queries, rules
from services.accounts.sessions.queries import CitizenSignIn, StaffSignIn
from services.accounts.sessions.rules import (
    CITIZEN,
    STAFF,
    AccountNotActive,
    BadCredentials,
    CodeAlreadyUsed,
    FactorChallengeExpired,
    HeldRole,
    Limit,
    RoleNotHeld,
    SessionExpired,
    StaffDisabled,
    StaffNotFound,
    TooManyAttempts,
    WrongCode,
    hash_refresh_token,
    issue_access_token,
    login_identifier,
    new_refresh_token,
    new_session,
)
from services.accounts.sessions.schemas import (
    SessionRevocationResponse,
    StaffEnrolledResponse,
    StaffNameResponse,
    StaffNamesResponse,
    StaffProfileResponse,
    StaffRoleResponse,
    StaffSignInEnrolment,
    StaffSignInStep,
    StaffTokenResponse,
    TokenResponse,
)
from services.accounts.settings import AccountsSettings
from shared.contracts.accounts import SessionsRevoked, StaffAccessChanged
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


@dataclass(frozen=True)
class EstablishmentChoice:
    """A staff session moving to one of the person's establishments (the refresh token must be theirs)."""

    staff_id: uuid.UUID
    establishment_id: uuid.UUID


async def refresh(
    uow: UnitOfWork, settings: AccountsSettings, refresh_token: str, choice: EstablishmentChoice | None = None
) -> TokenResponse:
    """A new access token and a new refresh token of the same family; the one presented is used up. A staff
    session's claims are read again: its establishment's role as it is now (disabled: the session is over)."""
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
            establishment_id = presented.establishment_id
            if choice is not None:
                if choice.staff_id != presented.subject_id:
                    raise SessionExpired
                establishment_id = choice.establishment_id
            person = await queries.staff_person(uow.session, presented.subject_id)
            if person is None:
                raise SessionExpired
            # None chosen (or a session older than the choice): their only establishment, if that is what is left.
            establishment_id = establishment_id or rules.first_establishment(person.operator, person.roles)
            claims = rules.staff_claims(person.operator, person.roles, establishment_id)
            if claims is None:
                if choice is not None and rules.staff_claims(person.operator, person.roles, None) is not None:
                    raise RoleNotHeld
                raise SessionExpired
            extra = claims
            if choice is not None:
                await queries.choose_establishment(uow.session, presented.family_id, choice.establishment_id)
        elif choice is not None:
            raise SessionExpired
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


async def staff_log_in(uow: UnitOfWork, deps: Deps, email: str, password: str, client_ip: str) -> StaffSignInStep:
    """The password, limited as a citizen's; right, it opens a second-factor challenge, never a session: the
    code (or, for a person not enrolled yet, a new secret proven by its first code) comes next."""
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
    token, token_hash = rules.new_factor_challenge()
    async with uow:
        person = await queries.staff_person(uow.session, staff.id)
        factor = await queries.staff_factor(uow.session, staff.id)
        if person is None or factor is None:
            raise BadCredentials  # deleted meanwhile
        rules.check_may_sign_in(person.operator, person.roles)
        enrolment: StaffSignInEnrolment | None = None
        pending: str | None = None
        if factor.totp_secret_encrypted is None:
            secret = rules.new_totp_secret()
            pending = deps.vault.protect_contact(secret)[0]
            enrolment = StaffSignInEnrolment(secret=secret, otpauth_uri=rules.otpauth_uri(secret, person.email))
        expires_at = datetime.now(UTC) + rules.FACTOR_CHALLENGE_LIFETIME
        purpose = rules.ENROL if enrolment is not None else rules.VERIFY
        await queries.open_factor_challenge(uow.session, staff.id, purpose, token_hash, expires_at, pending)
        await uow.commit()
    return StaffSignInStep(
        next=rules.NEXT_ENROL if enrolment is not None else rules.NEXT_TOTP,
        challenge=token,
        expires_in=int(rules.FACTOR_CHALLENGE_LIFETIME.total_seconds()),
        enrolment=enrolment,
    )


@dataclass(frozen=True)
class _Proven:
    """A second factor proven: whose, and for an enrolment the secret that was and the step of its code."""

    person: queries.StaffPerson
    secret_encrypted: str | None
    step: int | None


@dataclass(frozen=True)
class _Attempt:
    token_hash: str
    limit: Limit  # the person's: `totp:{staff_id}`
    at: datetime


async def _reserve_code_try(uow: UnitOfWork, deps: Deps, challenge_token: str, purpose: str) -> _Attempt:
    """Before a code is checked: the challenge must be open, and a try is reserved against the person, as for a
    wrong password (a new challenge gives a guesser no new tries). Outside any transaction of the caller's."""
    token_hash = rules.hash_token(challenge_token)
    now = datetime.now(UTC)
    async with uow:
        seen = await queries.factor_challenge(uow.session, token_hash)
    if seen is None:
        raise FactorChallengeExpired
    rules.check_challenge_open(seen.expires_at, seen.used_at, seen.wrong_codes, seen.purpose, purpose, now)
    limit = _subject_limit(deps.settings, f"totp:{seen.staff_id}")
    async with queries.driver_connection(uow) as connection:
        wait = await queries.reserve_tries(connection, [limit])
    if wait is not None:
        raise TooManyAttempts(wait)
    return _Attempt(token_hash, limit, now)


async def _prove_factor(uow: UnitOfWork, deps: Deps, attempt: _Attempt, typed: str, purpose: str) -> _Proven:
    """Checks the code, in the caller's open unit of work, whose commit keeps what is proven. A wrong code is
    counted on the challenge, dead at the fifth (committed here, before the refusal)."""
    challenge = await queries.factor_challenge(uow.session, attempt.token_hash, lock=True)
    if challenge is None:
        raise FactorChallengeExpired
    rules.check_challenge_open(
        challenge.expires_at, challenge.used_at, challenge.wrong_codes, challenge.purpose, purpose, attempt.at
    )
    factor = await queries.staff_factor(uow.session, challenge.staff_id)
    person = await queries.staff_person(uow.session, challenge.staff_id)
    if factor is None or person is None:
        raise FactorChallengeExpired
    if purpose == rules.ENROL and factor.totp_secret_encrypted is not None:
        # Enrolled meanwhile (another sign-in): an older offer must not replace that factor.
        raise FactorChallengeExpired
    code = rules.read_code(typed)
    secret_encrypted = challenge.pending_secret_encrypted if purpose == rules.ENROL else factor.totp_secret_encrypted
    step: int | None = None
    right = False
    if code.kind == "totp" and secret_encrypted is not None:
        step = rules.totp_code_step(deps.vault.reveal_contact(secret_encrypted), code.value, attempt.at)
        right = step is not None
    elif code.kind == "recovery" and purpose == rules.VERIFY:
        right = await queries.use_recovery_code(uow.session, person.id, rules.hash_recovery_code(code.value))
    if not right:
        wrong = await queries.count_wrong_code(uow.session, challenge.id)
        if wrong >= rules.MAX_WRONG_CODES:
            await queries.close_factor_challenge(uow.session, challenge.id)
        await uow.commit()
        if wrong >= rules.MAX_WRONG_CODES:
            log.warning("staff_factor_challenge_ended", staff_id=str(person.id), wrong_codes=wrong)
            raise FactorChallengeExpired
        raise WrongCode(rules.MAX_WRONG_CODES - wrong)
    if step is not None and purpose == rules.VERIFY:
        try:
            rules.check_step_is_new(step, factor.totp_last_step)
        except CodeAlreadyUsed:
            # The right code, seen before: not a guess, so its try is given back (the console waits for the next).
            async with queries.driver_connection(uow) as connection:
                await queries.give_back(connection, attempt.limit.key)
            raise
        await queries.accept_totp_step(uow.session, person.id, step)
    rules.check_may_sign_in(person.operator, person.roles)  # disabled while the code was being typed
    await queries.close_factor_challenge(uow.session, challenge.id)
    async with queries.driver_connection(uow) as connection:
        await queries.clear_tries(connection, attempt.limit.key)
    return _Proven(person, secret_encrypted, step)


async def _start_staff_session(
    uow: UnitOfWork, settings: AccountsSettings, person: queries.StaffPerson
) -> StaffTokenResponse:
    """In the caller's transaction, which commits it."""
    establishment_id = rules.first_establishment(person.operator, person.roles)
    claims = rules.staff_claims(person.operator, person.roles, establishment_id)
    if claims is None:
        raise StaffDisabled
    session = new_session(lifetime(settings, STAFF))
    await queries.start_session(uow.session, person.id, STAFF, session, establishment_id)
    tokens = token_response(
        settings, person.id, STAFF, claims, session.refresh_token, session.family_id, session.ends_at
    )
    return _staff_tokens(tokens, person, establishment_id)


def _staff_tokens(
    tokens: TokenResponse, person: queries.StaffPerson, establishment_id: uuid.UUID | None
) -> StaffTokenResponse:
    return StaffTokenResponse(
        **tokens.model_dump(),
        establishment_id=establishment_id,
        roles=_roles(person.roles),
        operator=person.operator,
    )


def _roles(roles: list[HeldRole]) -> list[StaffRoleResponse]:
    return [StaffRoleResponse(establishment_id=r.establishment_id, role=r.role) for r in roles]


async def staff_second_factor(uow: UnitOfWork, deps: Deps, challenge_token: str, code: str) -> StaffTokenResponse:
    """The code of an enrolled person's authenticator, or one of their recovery codes: the session starts."""
    attempt = await _reserve_code_try(uow, deps, challenge_token, rules.VERIFY)
    async with uow:
        proven = await _prove_factor(uow, deps, attempt, code, rules.VERIFY)
        tokens = await _start_staff_session(uow, deps.settings, proven.person)
        await uow.commit()
    return tokens


async def staff_enrol(uow: UnitOfWork, deps: Deps, challenge_token: str, code: str) -> StaffEnrolledResponse:
    """The first code of the secret shown at sign-in proves it was added to an authenticator: it becomes the
    person's factor, with new recovery codes (shown this once), and the session starts."""
    recovery_codes = rules.new_recovery_codes()
    attempt = await _reserve_code_try(uow, deps, challenge_token, rules.ENROL)
    async with uow:
        proven = await _prove_factor(uow, deps, attempt, code, rules.ENROL)
        if proven.secret_encrypted is None or proven.step is None:
            raise FactorChallengeExpired
        person = proven.person
        await queries.enrol_factor(
            uow.session,
            person.id,
            proven.secret_encrypted,
            proven.step,
            [rules.hash_recovery_code(c) for c in recovery_codes],
        )
        # One entry per establishment, so each one's managers see it in their audit log; none: an operator.
        at = datetime.now(UTC)
        everywhere: list[HeldRole | None] = [*person.roles] or [None]
        for held in everywhere:
            uow.publish(
                StaffAccessChanged(
                    action="factor_enrolled",
                    actor_id=person.id,
                    actor_role=held.role if held is not None else "operator",
                    staff_id=person.id,
                    establishment_id=held.establishment_id if held is not None else None,
                    role=held.role if held is not None else None,
                    at=at,
                )
            )
        tokens = await _start_staff_session(uow, deps.settings, person)
        await uow.commit()
    log.info("staff_factor_enrolled", staff_id=str(person.id))
    return StaffEnrolledResponse(**tokens.model_dump(), recovery_codes=recovery_codes)


async def choose_establishment(
    uow: UnitOfWork, settings: AccountsSettings, caller: Staff, establishment_id: uuid.UUID, refresh_token: str
) -> StaffTokenResponse:
    """The session moves to another of the person's establishments: its refresh token rotates, and the new
    access token names that establishment and the role held there."""
    tokens = await refresh(uow, settings, refresh_token, EstablishmentChoice(caller.id, establishment_id))
    async with uow:
        person = await queries.staff_person(uow.session, caller.id)
    if person is None:
        raise SessionExpired
    return _staff_tokens(tokens, person, establishment_id)


async def staff_profile(uow: UnitOfWork, caller: Staff) -> StaffProfileResponse:
    """The signed-in staff member's own record (the console shows their name and where they may switch to);
    a deleted one is gone."""
    async with uow:
        found = await queries.staff_person(uow.session, caller.id)
    if found is None:
        raise StaffNotFound
    return StaffProfileResponse(
        id=found.id,
        name=found.name,
        email=found.email,
        role=caller.role,
        establishment_id=caller.establishment_id,
        operator=found.operator,
        roles=_roles(found.roles),
    )


async def create_operator(
    uow: UnitOfWork,
    deps: Deps,
    email: str,
    name: str,
    password: str,
    language: str = "fr",
    totp_secret: str | None = None,
    actor_id: uuid.UUID = rules.COMMAND_LINE_OPERATOR,
    staff_id: uuid.UUID | None = None,
) -> uuid.UUID:
    """A platform operator (from the command line). Without `totp_secret` they enrol at first sign-in; with
    it (demo data), that secret is their factor already. Published for the audit log, as by `actor_id`.
    `staff_id`: a fixed id (demo data), else a new one."""
    lowered = email.strip().lower()
    check_password(password, [name, lowered, lowered.split("@")[0]])
    rules.check_operator_details(lowered, name, totp_secret)
    password_hash = await deps.hashing.hash(password)
    staff_id = staff_id or uuid.uuid4()
    async with uow:
        if await queries.citizen_has_email(uow.session, lowered):
            raise rules.OperatorEmailIsCitizen
        secret = deps.vault.protect_contact(totp_secret.upper())[0] if totp_secret else None
        if not await queries.add_operator(
            uow.session, staff_id, lowered, name.strip(), password_hash, language, secret
        ):
            raise rules.AlreadyStaff
        uow.publish(
            StaffAccessChanged(
                action="operator_created",
                actor_id=actor_id,
                actor_role="operator",
                staff_id=staff_id,
                establishment_id=None,
                at=datetime.now(UTC),
            )
        )
        await uow.commit()
    return staff_id


async def staff_names(uow: UnitOfWork, caller: Staff, establishment_id: uuid.UUID) -> StaffNamesResponse:
    """Who works at an establishment, by name and role: the console's audit log names the staff member behind
    each entry. Only that establishment's managers read it (they already read its audit log); emails and
    password hashes never leave the service."""
    caller.authorise(establishment_id, manager_only=True)
    async with uow:
        names = await queries.staff_names(uow.session, establishment_id)
    return StaffNamesResponse(staff=[StaffNameResponse(id=n.id, name=n.name, role=n.role) for n in names])
