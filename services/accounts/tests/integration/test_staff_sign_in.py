"""Staff sign-in with a second factor, against real PostgreSQL (issue 21): the password opens a challenge, never a
session; an RFC 6238 code (or a single-use recovery code) then starts it. Enrolment at first sign-in, codes that
work once, five wrong codes ending the challenge, the establishment chosen among several, a refresh after a role
was disabled, and an operator's token."""

import json
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import jwt
import pyotp
import pytest
from pydantic import SecretStr
from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from devstack.jwt_keys import generate_es256_keypair
from services.accounts.links.rules import NamVault
from services.accounts.models import staff_factor_challenges, staff_recovery_codes, staff_roles, staff_users
from services.accounts.sessions import use_cases as service
from services.accounts.sessions.rules import TOTP_ISSUER
from services.accounts.sessions.schemas import StaffSignInStep, StaffTokenResponse
from services.accounts.sessions.use_cases import Deps, PasswordHashing
from services.accounts.settings import AccountsSettings
from services.accounts.tests.answered import ApiError, as_answered
from shared.contracts.accounts import StaffAccessChanged
from shared.db import make_engine, make_sessionmaker
from shared.outbox import outbox_table
from shared.staff import Staff
from shared.unit_of_work import UnitOfWork

PASSWORD = "la console du CLSC au petit matin"
SETTINGS = AccountsSettings.model_construct(jwt_private_key=SecretStr(generate_es256_keypair()[0]))
IP = "10.0.0.7"


@pytest.fixture
async def sessions(clean_databases: dict[str, str]) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = make_engine(clean_databases["accounts"])
    try:
        yield make_sessionmaker(engine)
    finally:
        await engine.dispose()


@pytest.fixture(scope="module")
def deps() -> Deps:
    return Deps(
        settings=SETTINGS,
        hashing=PasswordHashing(8192, 1, 1, 2),
        vault=NamVault(SETTINGS.nam_key.get_secret_value()),
    )


async def person(
    sessions: async_sessionmaker[AsyncSession],
    deps: Deps,
    roles: dict[uuid.UUID, str],
    *,
    secret: str | None = None,
    operator: bool = False,
    email: str | None = None,
) -> tuple[uuid.UUID, str]:
    staff_id = uuid.uuid4()
    email = email or f"personnel.{staff_id.hex[:6]}@clinique.example"
    async with sessions() as session:
        await session.execute(
            insert(staff_users).values(
                id=staff_id,
                email=email,
                name="Claire Commis",
                password_hash=await deps.hashing.hash(PASSWORD),
                operator=operator,
                totp_secret_encrypted=deps.vault.protect_contact(secret)[0] if secret else None,
            )
        )
        for establishment_id, role in roles.items():
            await session.execute(
                insert(staff_roles).values(staff_id=staff_id, establishment_id=establishment_id, role=role)
            )
        await session.commit()
    return staff_id, email


def code(secret: str, offset: int = 0) -> str:
    return pyotp.TOTP(secret).generate_otp(int(time.time()) // 30 + offset)


async def password(sessions, deps: Deps, email: str) -> StaffSignInStep:
    with as_answered():
        return await service.staff_log_in(UnitOfWork(sessions), deps, email, PASSWORD, IP)


async def second_factor(sessions, deps: Deps, challenge: str, typed: str) -> StaffTokenResponse | ApiError:
    try:
        with as_answered():
            return await service.staff_second_factor(UnitOfWork(sessions), deps, challenge, typed)
    except ApiError as refused:
        return refused


async def signed_in(sessions, deps: Deps, email: str, secret: str, offset: int = 0) -> StaffTokenResponse:
    step = await password(sessions, deps, email)
    tokens = await second_factor(sessions, deps, step.challenge, code(secret, offset))
    assert isinstance(tokens, StaffTokenResponse), tokens
    return tokens


def claims(tokens: StaffTokenResponse) -> dict[str, Any]:
    decoded: dict[str, Any] = jwt.decode(tokens.access_token, options={"verify_signature": False})
    return decoded


async def test_the_password_opens_a_challenge_and_the_code_a_session_at_the_only_establishment(sessions, deps):
    clinic, secret = uuid.uuid4(), pyotp.random_base32()
    staff_id, email = await person(sessions, deps, {clinic: "manager"}, secret=secret)

    step = await password(sessions, deps, email.upper())
    assert (step.next, step.enrolment, step.expires_in) == ("totp", None, 300)
    async with sessions() as session:
        stored = (await session.execute(select(staff_factor_challenges.c.token_hash))).scalars().all()
    assert step.challenge not in stored  # hashed

    tokens = await second_factor(sessions, deps, step.challenge, code(secret))
    assert isinstance(tokens, StaffTokenResponse), tokens
    assert (tokens.establishment_id, tokens.operator) == (clinic, False)
    assert [(r.establishment_id, r.role) for r in tokens.roles] == [(clinic, "manager")]
    assert (claims(tokens)["est"], claims(tokens)["role"], claims(tokens)["sub"]) == (
        str(clinic),
        "manager",
        str(staff_id),
    )
    # The challenge worked once.
    again = await second_factor(sessions, deps, step.challenge, code(secret, 1))
    assert isinstance(again, ApiError)
    assert (again.status, again.code) == (401, "factor_challenge_expired")


async def test_a_wrong_password_opens_nothing(sessions, deps):
    _, email = await person(sessions, deps, {uuid.uuid4(): "clerk"}, secret=pyotp.random_base32())
    with pytest.raises(ApiError) as refused, as_answered():
        await service.staff_log_in(UnitOfWork(sessions), deps, email, "pas le bon mot de passe", IP)
    assert (refused.value.status, refused.value.code) == (401, "bad_credentials")


async def test_enrolment_at_first_sign_in_gives_recovery_codes_that_work_once(sessions, deps):
    clinic_x, clinic_y = uuid.uuid4(), uuid.uuid4()
    staff_id, email = await person(sessions, deps, {clinic_x: "clerk", clinic_y: "manager"})

    step = await password(sessions, deps, email)
    assert step.next == "enrol"
    assert step.enrolment is not None
    secret = step.enrolment.secret
    assert len(secret) == 32
    parsed = pyotp.parse_uri(step.enrolment.otpauth_uri)
    assert (parsed.secret, parsed.name, parsed.issuer) == (secret, email, TOTP_ISSUER)
    # A code of another secret proves nothing; a recovery code cannot enrol.
    wrong = await _enrol(sessions, deps, step.challenge, code(pyotp.random_base32()))
    assert isinstance(wrong, ApiError)
    assert (wrong.status, wrong.code, wrong.field) == (422, "wrong_code", "code")

    enrolled = await _enrol(sessions, deps, step.challenge, code(secret))
    assert not isinstance(enrolled, ApiError), enrolled
    assert len(enrolled.recovery_codes) == len(set(enrolled.recovery_codes)) == 10
    assert enrolled.establishment_id is None  # two establishments: to be chosen
    async with sessions() as session:
        hashes = (await session.execute(select(staff_recovery_codes.c.code_hash))).scalars().all()
        assert not set(enrolled.recovery_codes) & set(hashes)
        row = (await session.execute(select(staff_users).where(staff_users.c.id == staff_id))).one()
        assert row.totp_enrolled_at is not None
        assert secret not in row.totp_secret_encrypted
        published = await session.execute(
            select(outbox_table.c.body).where(outbox_table.c.routing_key == StaffAccessChanged.routing_key())
        )
    events = [StaffAccessChanged.model_validate(json.loads(body)["payload"]) for body in published.scalars()]
    assert len(events) == 2  # one per establishment, for each one's audit log
    assert {(e.action, e.staff_id, e.actor_id, e.establishment_id, e.role) for e in events} == {
        ("factor_enrolled", staff_id, staff_id, clinic_x, "clerk"),
        ("factor_enrolled", staff_id, staff_id, clinic_y, "manager"),
    }

    recovery = enrolled.recovery_codes[0]
    typed = recovery.upper().replace("-", " ")  # as read from paper
    first = await second_factor(sessions, deps, (await password(sessions, deps, email)).challenge, typed)
    assert isinstance(first, StaffTokenResponse), first
    reused = await second_factor(sessions, deps, (await password(sessions, deps, email)).challenge, recovery)
    assert isinstance(reused, ApiError)
    assert reused.code == "wrong_code"


async def _enrol(sessions, deps: Deps, challenge: str, typed: str):
    try:
        with as_answered():
            return await service.staff_enrol(UnitOfWork(sessions), deps, challenge, typed)
    except ApiError as refused:
        return refused


async def test_a_code_works_once_the_next_one_is_accepted(sessions, deps):
    secret = pyotp.random_base32()
    _, email = await person(sessions, deps, {uuid.uuid4(): "clerk"}, secret=secret)
    await signed_in(sessions, deps, email, secret)

    step = await password(sessions, deps, email)
    replayed = await second_factor(sessions, deps, step.challenge, code(secret))
    assert isinstance(replayed, ApiError)
    assert (replayed.status, replayed.code, replayed.field) == (422, "code_already_used", "code")
    older = await second_factor(sessions, deps, step.challenge, code(secret, -1))
    assert isinstance(older, ApiError)
    assert older.code == "code_already_used"
    # Not a guess: the challenge is still open and the next step's code (within the window) is accepted.
    assert isinstance(await second_factor(sessions, deps, step.challenge, code(secret, 1)), StaffTokenResponse)


async def test_five_wrong_codes_end_the_challenge_and_further_tries_wait(sessions, deps):
    secret = pyotp.random_base32()
    _, email = await person(sessions, deps, {uuid.uuid4(): "clerk"}, secret=secret)
    step = await password(sessions, deps, email)
    right = code(secret)
    wrong = "000000" if right != "000000" else "111111"

    answers = [await second_factor(sessions, deps, step.challenge, wrong) for _ in range(5)]
    assert [(a.status, a.code) for a in answers if isinstance(a, ApiError)] == [(422, "wrong_code")] * 4 + [
        (401, "factor_challenge_expired")
    ]
    assert "4" in answers[0].en
    assert "1" in answers[3].en
    dead = await second_factor(sessions, deps, step.challenge, right)
    assert isinstance(dead, ApiError)
    assert (dead.status, dead.code) == (401, "factor_challenge_expired")
    # A new challenge gives no new tries: counted against the person, like wrong passwords.
    limited = await second_factor(sessions, deps, (await password(sessions, deps, email)).challenge, right)
    assert isinstance(limited, ApiError)
    assert limited.status == 429
    assert limited.headers is not None


async def test_choosing_an_establishment_and_refreshing_after_the_role_there_is_disabled(sessions, deps):
    clinic_x, clinic_y, elsewhere = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    secret = pyotp.random_base32()
    staff_id, email = await person(sessions, deps, {clinic_x: "clerk", clinic_y: "manager"}, secret=secret)
    tokens = await signed_in(sessions, deps, email, secret)
    assert tokens.establishment_id is None
    assert "est" not in claims(tokens)
    assert claims(tokens)["role"] == ""
    me = Staff(staff_id, None, "")

    with pytest.raises(ApiError) as refused, as_answered():
        await service.choose_establishment(UnitOfWork(sessions), SETTINGS, me, elsewhere, tokens.refresh_token)
    assert (refused.value.status, refused.value.code) == (404, "not_found")
    with as_answered():
        at_y = await service.choose_establishment(UnitOfWork(sessions), SETTINGS, me, clinic_y, tokens.refresh_token)
    assert (at_y.establishment_id, claims(at_y)["est"], claims(at_y)["role"]) == (clinic_y, str(clinic_y), "manager")
    assert claims(at_y)["sid"] == claims(tokens)["sid"]  # the same session
    with as_answered():
        profile = await service.staff_profile(UnitOfWork(sessions), Staff(staff_id, clinic_y, "manager"))
    assert (profile.email, profile.role, profile.establishment_id, profile.operator) == (
        email,
        "manager",
        clinic_y,
        False,
    )
    assert {(r.establishment_id, r.role) for r in profile.roles} == {(clinic_x, "clerk"), (clinic_y, "manager")}

    with as_answered():
        refreshed = await service.refresh(UnitOfWork(sessions), SETTINGS, at_y.refresh_token)
    assert (claims(refreshed)["est"], claims(refreshed)["role"]) == (str(clinic_y), "manager")

    async with sessions() as session:
        await session.execute(
            update(staff_roles)
            .where(staff_roles.c.staff_id == staff_id, staff_roles.c.establishment_id == clinic_y)
            .values(disabled_at=staff_roles.c.granted_at)
        )
        await session.commit()
    with pytest.raises(ApiError) as expired, as_answered():
        await service.refresh(UnitOfWork(sessions), SETTINGS, refreshed.refresh_token)
    assert (expired.value.status, expired.value.code) == (401, "session_expired")


async def test_a_person_whose_every_role_is_disabled_cannot_sign_in(sessions, deps):
    clinic = uuid.uuid4()
    _staff_id, email = await person(sessions, deps, {clinic: "clerk"}, secret=pyotp.random_base32())
    async with sessions() as session:
        await session.execute(update(staff_roles).values(disabled_at=staff_roles.c.granted_at))
        await session.commit()
    with pytest.raises(ApiError) as refused, as_answered():
        await service.staff_log_in(UnitOfWork(sessions), deps, email, PASSWORD, IP)
    assert (refused.value.status, refused.value.code) == (403, "staff_disabled")
    assert "désactivé" in refused.value.fr
    assert "disabled" in refused.value.en


async def test_an_operators_token_names_no_establishment(sessions, deps):
    secret = pyotp.random_base32()
    staff_id, email = await person(sessions, deps, {}, secret=secret, operator=True)
    tokens = await signed_in(sessions, deps, email, secret)
    assert (tokens.operator, tokens.establishment_id, tokens.roles) == (True, None, [])
    assert claims(tokens)["role"] == "operator"
    assert "est" not in claims(tokens)
    with as_answered():
        refreshed = await service.refresh(UnitOfWork(sessions), SETTINGS, tokens.refresh_token)
    assert claims(refreshed)["role"] == "operator"
    assert "est" not in claims(refreshed)
    with as_answered():
        profile = await service.staff_profile(UnitOfWork(sessions), Staff(staff_id, None, "operator"))
    assert (profile.role, profile.establishment_id, profile.operator) == ("operator", None, True)


async def test_the_staff_list_reads_roles_at_the_establishment(sessions, deps):
    clinic = uuid.uuid4()
    manager_id, _ = await person(sessions, deps, {clinic: "manager"}, secret=pyotp.random_base32())
    clerk_id, _ = await person(sessions, deps, {clinic: "clerk", uuid.uuid4(): "manager"})
    await person(sessions, deps, {uuid.uuid4(): "clerk"})
    with as_answered():
        listed = await service.staff_names(UnitOfWork(sessions), Staff(manager_id, clinic, "manager"), clinic)
    assert {(s.id, s.role) for s in listed.staff} == {(manager_id, "manager"), (clerk_id, "clerk")}


async def test_a_session_that_chose_nothing_moves_to_the_only_establishment_left(sessions, deps):
    clinic_x, clinic_y = uuid.uuid4(), uuid.uuid4()
    secret = pyotp.random_base32()
    staff_id, email = await person(sessions, deps, {clinic_x: "clerk", clinic_y: "manager"}, secret=secret)
    tokens = await signed_in(sessions, deps, email, secret)
    async with sessions() as session:
        await session.execute(
            update(staff_roles)
            .where(staff_roles.c.staff_id == staff_id, staff_roles.c.establishment_id == clinic_y)
            .values(disabled_at=staff_roles.c.granted_at)
        )
        await session.commit()
    with as_answered():
        refreshed = await service.refresh(UnitOfWork(sessions), SETTINGS, tokens.refresh_token)
    assert (claims(refreshed)["est"], claims(refreshed)["role"]) == (str(clinic_x), "clerk")


async def test_an_older_enrolment_offer_cannot_replace_a_factor_enrolled_since(sessions, deps):
    _, email = await person(sessions, deps, {uuid.uuid4(): "clerk"})
    first, second = await password(sessions, deps, email), await password(sessions, deps, email)
    assert first.enrolment is not None
    assert second.enrolment is not None
    assert not isinstance(await _enrol(sessions, deps, second.challenge, code(second.enrolment.secret)), ApiError)
    late = await _enrol(sessions, deps, first.challenge, code(first.enrolment.secret))
    assert isinstance(late, ApiError)
    assert (late.status, late.code) == (401, "factor_challenge_expired")
    assert isinstance(await signed_in(sessions, deps, email, second.enrolment.secret, offset=1), StaffTokenResponse)
