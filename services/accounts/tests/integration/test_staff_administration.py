"""Staff administration over HTTP on a real database (issue 21): managers invite, change roles, disable and
enable their establishment's staff; the invited accept a single-use, expiring link; operators appoint managers
and reset a lost second factor. Each change leaves its event in the outbox, in the same transaction."""

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from datetime import date
from types import SimpleNamespace
from typing import Any

import asyncpg
import httpx
import pytest
from argon2 import PasswordHasher

from devstack.testing.apps import app_without_lifespan
from devstack.testing.tokens import access_token, bearer, citizen_headers, staff_headers, verifier_with_test_key
from services.accounts.links.rules import NamVault
from services.accounts.main import ROUTERS
from services.accounts.refusals import REFUSALS
from services.accounts.sessions.use_cases import Deps, PasswordHashing
from services.accounts.settings import AccountsSettings
from shared.contracts.accounts import SessionsRevoked, StaffAccessChanged, StaffInvited
from shared.db import asyncpg_dsn, make_engine, make_sessionmaker
from shared.unit_of_work import UnitOfWork

SETTINGS = AccountsSettings.model_construct()
DEPS = Deps(
    settings=SETTINGS, hashing=PasswordHashing(8192, 1, 1, 1), vault=NamVault(SETTINGS.nam_key.get_secret_value())
)
X, Y = uuid.uuid4(), uuid.uuid4()
PASSWORD = "la riviere gele en janvier"
ADMIN = f"/admin/staff/establishments/{X}"


@pytest.fixture
async def client(clean_databases: dict[str, str]) -> AsyncIterator[httpx.AsyncClient]:
    """The accounts routes as the service serves them (same refusals), without the broker."""
    engine = make_engine(clean_databases["accounts"])
    sessions = make_sessionmaker(engine)
    app = app_without_lifespan("Accounts", ROUTERS, refusals=REFUSALS)
    app.state.runtime = SimpleNamespace(unit_of_work=lambda: UnitOfWork(sessions), callers=verifier_with_test_key())
    app.state.deps = DEPS
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://accounts") as http:
        yield http
    await engine.dispose()


@pytest.fixture
async def db(clean_databases: dict[str, str]) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(asyncpg_dsn(clean_databases["accounts"]))
    yield conn
    await conn.close()


async def add_staff(
    db: asyncpg.Connection,
    email: str,
    roles: dict[uuid.UUID, str],
    *,
    operator: bool = False,
    disabled: tuple[uuid.UUID, ...] = (),
) -> uuid.UUID:
    staff_id = uuid.uuid4()
    await db.execute(
        "INSERT INTO staff_users (id, email, name, password_hash, operator, totp_secret_encrypted, totp_enrolled_at) "
        "VALUES ($1, $2, $3, $4, $5, 'sealed', now())",
        staff_id,
        email,
        email.split("@")[0].title(),
        "not-a-real-hash",
        operator,
    )
    for establishment_id, role in roles.items():
        await db.execute(
            "INSERT INTO staff_roles (staff_id, establishment_id, role, disabled_at) "
            "VALUES ($1, $2, $3, CASE WHEN $4 THEN now() END)",
            staff_id,
            establishment_id,
            role,
            establishment_id in disabled,
        )
    return staff_id


def manager_of(establishment_id: uuid.UUID, staff_id: uuid.UUID) -> dict[str, str]:
    return staff_headers(establishment_id, "manager", staff_id)


def operator(staff_id: uuid.UUID) -> dict[str, str]:
    return bearer(access_token(staff_id, "staff", extra={"role": "operator"}))


async def published(db: asyncpg.Connection, contract: type) -> list[dict[str, Any]]:
    bodies = await db.fetch(
        "SELECT body FROM outbox WHERE routing_key = $1 ORDER BY id",
        contract.routing_key(),  # type: ignore[attr-defined]
    )
    return [json.loads(row["body"])["payload"] for row in bodies]


async def access_changes(db: asyncpg.Connection, action: str) -> list[dict[str, Any]]:
    return [event for event in await published(db, StaffAccessChanged) if event["action"] == action]


def refusal(answer: httpx.Response) -> tuple[int, str, str | None]:
    error = answer.json()["errors"][0]
    return answer.status_code, error["code"], error["field"]


async def invite(
    client: httpx.AsyncClient, headers: dict[str, str], email: str, role: str = "clerk", **more: Any
) -> httpx.Response:
    return await client.post(f"{ADMIN}/invitations", json={"email": email, "role": role, **more}, headers=headers)


async def token_of(db: asyncpg.Connection, invitation_id: str) -> str:
    """The link's secret exists in clear only in the event (for the e-mail): as the invited person gets it."""
    sent = [e for e in await published(db, StaffInvited) if e["invitation_id"] == invitation_id]
    assert len(sent) == 1
    return str(sent[0]["invitation_token"])


async def start_staff_session(db: asyncpg.Connection, staff_id: uuid.UUID) -> uuid.UUID:
    family = uuid.uuid4()
    await db.execute(
        "INSERT INTO session_families (id, subject_id, audience, establishment_id) VALUES ($1, $2, 'staff', $3)",
        family,
        staff_id,
        X,
    )
    return family


async def test_a_new_person_accepts_an_invitation_once_and_becomes_a_clerk_who_enrols_at_sign_in(client, db):
    manager = await add_staff(db, "gestion@clinique.example", {X: "manager"})

    invited = await invite(client, manager_of(X, manager), "Nouvelle.Commis@clinique.example", language="en")
    assert invited.status_code == 201, invited.text
    body = invited.json()
    assert body["email"] == "Nouvelle.Commis@clinique.example"
    assert body["role"] == "clerk"
    (event,) = await published(db, StaffInvited)
    assert event["invited_by"] == str(manager)
    assert event["invited_by_role"] == "manager"
    assert event["establishment_id"] == str(X)
    assert event["language"] == "en"
    assert event["establishment_name"] is None
    token = event["invitation_token"]
    assert len(token) >= 43
    # Only the hash is kept.
    assert await db.fetchval("SELECT count(*) FROM staff_invitations WHERE token_hash = $1", token) == 0

    listed = (await client.get(ADMIN, headers=manager_of(X, manager))).json()
    assert [i["email"] for i in listed["invitations"]] == ["Nouvelle.Commis@clinique.example"]
    assert [m["staff_id"] for m in listed["members"]] == [str(manager)]

    looked_up = await client.post("/staff/invitations/lookup", json={"token": token})
    assert looked_up.status_code == 200, looked_up.text
    assert looked_up.json() | {"expires_at": None} == {
        "email": "Nouvelle.Commis@clinique.example",
        "establishment_id": str(X),
        "role": "clerk",
        "existing_account": False,
        "expires_at": None,
    }

    # A new person names themselves and chooses a password by the citizens' rules.
    no_name = await client.post("/staff/invitations/accept", json={"token": token, "password": PASSWORD})
    assert refusal(no_name) == (422, "missing", "name")
    weak = await client.post("/staff/invitations/accept", json={"token": token, "name": "Nina", "password": "court"})
    assert refusal(weak) == (422, "weak_password", "password")
    on_name = await client.post(
        "/staff/invitations/accept", json={"token": token, "name": "Nina Commis", "password": "commis nina commis nina"}
    )
    assert refusal(on_name) == (422, "weak_password", "password")

    accepted = await client.post(
        "/staff/invitations/accept", json={"token": token, "name": "Nina Commis", "password": PASSWORD}
    )
    assert accepted.status_code == 201, accepted.text
    staff_id = uuid.UUID(accepted.json()["staff_id"])
    person = await db.fetchrow("SELECT * FROM staff_users WHERE id = $1", staff_id)
    assert person["name"] == "Nina Commis"
    assert person["language"] == "en"
    assert not person["operator"]
    assert PasswordHasher().verify(person["password_hash"], PASSWORD)
    assert person["totp_secret_encrypted"] is None  # enrolled at the first sign-in
    role = await db.fetchrow(
        "SELECT role, disabled_at FROM staff_roles WHERE staff_id = $1 AND establishment_id = $2", staff_id, X
    )
    assert (role["role"], role["disabled_at"]) == ("clerk", None)
    (joined,) = await access_changes(db, "invitation_accepted")
    assert joined["actor_id"] == joined["staff_id"] == str(staff_id)
    assert (joined["actor_role"], joined["role"], joined["establishment_id"]) == ("clerk", "clerk", str(X))

    listed = (await client.get(ADMIN, headers=manager_of(X, manager))).json()
    assert listed["invitations"] == []
    member = next(m for m in listed["members"] if m["staff_id"] == str(staff_id))
    assert member | {"granted_at": None} == {
        "staff_id": str(staff_id),
        "name": "Nina Commis",
        "email": "Nouvelle.Commis@clinique.example",
        "role": "clerk",
        "disabled": False,
        "factor_enrolled": False,
        "granted_at": None,
    }

    # Single use.
    again = await client.post(
        "/staff/invitations/accept", json={"token": token, "name": "Nina Commis", "password": PASSWORD}
    )
    assert refusal(again) == (404, "invitation_invalid", "token")
    assert refusal(await client.post("/staff/invitations/lookup", json={"token": token})) == (
        404,
        "invitation_invalid",
        "token",
    )
    assert refusal(await client.post("/staff/invitations/lookup", json={"token": "made-up"}))[1] == "invitation_invalid"


async def test_an_existing_staff_member_accepts_without_name_or_password_and_keeps_them(client, db):
    manager = await add_staff(db, "gestion@clinique.example", {X: "manager"})
    elsewhere = await add_staff(db, "commis@ailleurs.example", {Y: "clerk"})

    invited = await invite(
        client, manager_of(X, manager), "COMMIS@ailleurs.example", "manager", establishment_name="CLSC du Plateau"
    )
    assert invited.status_code == 201, invited.text
    token = await token_of(db, invited.json()["id"])
    (event,) = await published(db, StaffInvited)
    assert event["establishment_name"] == "CLSC du Plateau"
    assert (await client.post("/staff/invitations/lookup", json={"token": token})).json()["existing_account"] is True

    accepted = await client.post(
        "/staff/invitations/accept", json={"token": token, "name": "Autre Nom", "password": "autre mot de passe ignoré"}
    )
    assert accepted.status_code == 201, accepted.text
    assert accepted.json()["staff_id"] == str(elsewhere)
    person = await db.fetchrow("SELECT name, password_hash FROM staff_users WHERE id = $1", elsewhere)
    assert (person["name"], person["password_hash"]) == ("Commis", "not-a-real-hash")
    roles = dict(await db.fetch("SELECT establishment_id, role FROM staff_roles WHERE staff_id = $1", elsewhere))
    assert roles == {X: "manager", Y: "clerk"}


async def test_a_disabled_member_invited_again_has_the_role_back(client, db):
    manager = await add_staff(db, "gestion@clinique.example", {X: "manager"})
    former = await add_staff(db, "ancien@clinique.example", {X: "clerk"}, disabled=(X,))
    invited = await invite(client, manager_of(X, manager), "ancien@clinique.example", "manager")
    assert invited.status_code == 201, invited.text
    accepted = await client.post("/staff/invitations/accept", json={"token": await token_of(db, invited.json()["id"])})
    assert accepted.status_code == 201, accepted.text
    role = await db.fetchrow("SELECT role, disabled_at FROM staff_roles WHERE staff_id = $1", former)
    assert (role["role"], role["disabled_at"]) == ("manager", None)


async def test_an_active_member_is_not_invited_again(client, db):
    manager = await add_staff(db, "gestion@clinique.example", {X: "manager"})
    await add_staff(db, "commis@clinique.example", {X: "clerk"})
    assert refusal(await invite(client, manager_of(X, manager), "Commis@Clinique.example")) == (
        409,
        "already_staff_here",
        "email",
    )
    assert await published(db, StaffInvited) == []


async def test_a_new_invitation_replaces_the_older_one_and_links_expire(client, db):
    manager = await add_staff(db, "gestion@clinique.example", {X: "manager"})
    first = await invite(client, manager_of(X, manager), "nouveau@clinique.example")
    second = await invite(client, manager_of(X, manager), "Nouveau@clinique.example", "manager")
    assert first.status_code == second.status_code == 201
    old_token = await token_of(db, first.json()["id"])
    new_token = await token_of(db, second.json()["id"])
    assert refusal(await client.post("/staff/invitations/lookup", json={"token": old_token}))[1] == "invitation_invalid"
    listed = (await client.get(ADMIN, headers=manager_of(X, manager))).json()
    assert [(i["id"], i["role"]) for i in listed["invitations"]] == [(second.json()["id"], "manager")]

    await db.execute(
        "UPDATE staff_invitations SET expires_at = now() - interval '1 second' WHERE id = $1",
        uuid.UUID(second.json()["id"]),
    )
    assert refusal(await client.post("/staff/invitations/lookup", json={"token": new_token}))[1] == "invitation_invalid"
    expired = await client.post(
        "/staff/invitations/accept", json={"token": new_token, "name": "Nouveau", "password": PASSWORD}
    )
    assert refusal(expired) == (404, "invitation_invalid", "token")
    assert await db.fetchval("SELECT count(*) FROM staff_users") == 1
    assert (await client.get(ADMIN, headers=manager_of(X, manager))).json()["invitations"] == []


async def test_the_link_lives_72_hours(client, db):
    manager = await add_staff(db, "gestion@clinique.example", {X: "manager"})
    invited = await invite(client, manager_of(X, manager), "nouveau@clinique.example")
    lifetime = await db.fetchval("SELECT expires_at - created_at FROM staff_invitations")
    assert abs(lifetime.total_seconds() - 72 * 3600) < 60
    assert invited.json()["expires_at"]


async def test_a_citizens_address_is_refused_when_the_invitation_is_accepted(client, db):
    manager = await add_staff(db, "gestion@clinique.example", {X: "manager"})
    await db.execute(
        "INSERT INTO accounts (id, status, first_name, last_name, birth_date, sex, email, language, password_hash) "
        "VALUES ($1, 'active', 'Sophie', 'Roy', $2, 'F', 'sophie.roy@example.org', 'fr', 'x')",
        uuid.uuid4(),
        date(1990, 1, 2),
    )
    # The manager learns nothing at the invitation: only the person who holds the address is told.
    invited = await invite(client, manager_of(X, manager), "Sophie.Roy@example.org")
    assert invited.status_code == 201, invited.text
    token = await token_of(db, invited.json()["id"])
    refused = await client.post(
        "/staff/invitations/accept", json={"token": token, "name": "Sophie Roy", "password": PASSWORD}
    )
    assert refusal(refused) == (409, "email_is_citizen", None)
    assert "citoyen" in refused.json()["errors"][0]["message"]["fr"]
    assert await db.fetchval("SELECT count(*) FROM staff_users") == 1
    assert await access_changes(db, "invitation_accepted") == []


async def test_roles_change_but_the_last_active_manager_stays(client, db):
    manager = await add_staff(db, "gestion@clinique.example", {X: "manager"})
    clerk = await add_staff(db, "commis@clinique.example", {X: "clerk"})
    headers = manager_of(X, manager)

    alone = await client.post(f"{ADMIN}/members/{manager}/role", json={"role": "clerk"}, headers=headers)
    assert refusal(alone) == (409, "last_manager", None)
    promoted = await client.post(f"{ADMIN}/members/{clerk}/role", json={"role": "manager"}, headers=headers)
    assert promoted.status_code == 200, promoted.text
    assert promoted.json()["role"] == "manager"
    (changed,) = await access_changes(db, "role_changed")
    assert (changed["actor_id"], changed["actor_role"], changed["staff_id"], changed["role"]) == (
        str(manager),
        "manager",
        str(clerk),
        "manager",
    )
    assert changed["establishment_id"] == str(X)

    assert await published(db, SessionsRevoked) == []  # a promotion holds at the next refresh

    # Now someone else manages: the first manager may step down. Their sessions end (their tokens said manager),
    # and the token they still hold administers nobody.
    session = await start_staff_session(db, manager)
    stepped_down = await client.post(f"{ADMIN}/members/{manager}/role", json={"role": "clerk"}, headers=headers)
    assert stepped_down.status_code == 200, stepped_down.text
    assert await db.fetchval("SELECT revoked_at FROM session_families WHERE id = $1", session) is not None
    assert [e["subject_id"] for e in await published(db, SessionsRevoked)] == [str(manager)]
    assert refusal(await client.get(ADMIN, headers=headers))[:2] == (403, "managers_only")
    unchanged = await client.post(
        f"{ADMIN}/members/{clerk}/role", json={"role": "manager"}, headers=manager_of(X, clerk)
    )
    assert unchanged.status_code == 200
    assert len(await access_changes(db, "role_changed")) == 2  # the same role again changes nothing


async def test_disabling_ends_every_session_at_once_and_enabling_gives_the_role_back(client, db):
    manager = await add_staff(db, "gestion@clinique.example", {X: "manager"})
    clerk = await add_staff(db, "commis@clinique.example", {X: "clerk", Y: "clerk"})
    sessions = [await start_staff_session(db, clerk), await start_staff_session(db, clerk)]
    headers = manager_of(X, manager)

    assert refusal(await client.post(f"{ADMIN}/members/{manager}/disable", headers=headers)) == (
        409,
        "cannot_disable_self",
        None,
    )
    disabled = await client.post(f"{ADMIN}/members/{clerk}/disable", headers=headers)
    assert disabled.status_code == 200, disabled.text
    assert disabled.json()["disabled"] is True
    assert await db.fetchval(
        "SELECT disabled_at FROM staff_roles WHERE staff_id = $1 AND establishment_id = $2", clerk, X
    )
    assert (
        await db.fetchval("SELECT disabled_at FROM staff_roles WHERE staff_id = $1 AND establishment_id = $2", clerk, Y)
        is None
    )
    ended = await db.fetch("SELECT id FROM session_families WHERE subject_id = $1 AND revoked_at IS NOT NULL", clerk)
    assert {row["id"] for row in ended} == set(sessions)
    (revoked,) = await published(db, SessionsRevoked)
    assert revoked["subject_id"] == str(clerk)
    assert revoked["every_session"] is True
    assert set(revoked["session_ids"]) == {str(s) for s in sessions}
    (event,) = await access_changes(db, "disabled")
    assert (event["staff_id"], event["establishment_id"], event["actor_id"]) == (str(clerk), str(X), str(manager))

    again = await client.post(f"{ADMIN}/members/{clerk}/disable", headers=headers)
    assert again.status_code == 200
    assert len(await access_changes(db, "disabled")) == 1

    enabled = await client.post(f"{ADMIN}/members/{clerk}/enable", headers=headers)
    assert enabled.status_code == 200, enabled.text
    assert enabled.json()["disabled"] is False
    assert (
        await db.fetchval("SELECT disabled_at FROM staff_roles WHERE staff_id = $1 AND establishment_id = $2", clerk, X)
        is None
    )
    (event,) = await access_changes(db, "enabled")
    assert (event["staff_id"], event["role"]) == (str(clerk), "clerk")


async def test_two_managers_disabling_each_other_at_once_leave_one(client, db):
    first = await add_staff(db, "premier@clinique.example", {X: "manager"})
    second = await add_staff(db, "second@clinique.example", {X: "manager"})
    answers = await asyncio.gather(
        client.post(f"{ADMIN}/members/{second}/disable", headers=manager_of(X, first)),
        client.post(f"{ADMIN}/members/{first}/disable", headers=manager_of(X, second)),
    )
    assert sorted(a.status_code for a in answers) == [200, 403]
    assert (
        await db.fetchval(
            "SELECT count(*) FROM staff_roles WHERE establishment_id = $1 AND role = 'manager' AND disabled_at IS NULL",
            X,
        )
        == 1
    )


async def test_the_disabled_persons_session_cannot_be_refreshed(client, db):
    """Sign-in's own refusal of a disabled person (staff_disabled) is tested with sign-in (sessions/)."""
    manager = await add_staff(db, "gestion@clinique.example", {X: "manager"})
    clerk = await add_staff(db, "commis@clinique.example", {X: "clerk"})
    refresh_token = "jeton de rafraîchissement du commis"
    family = await start_staff_session(db, clerk)
    await db.execute(
        "INSERT INTO refresh_tokens (id, subject_id, audience, token_hash, expires_at, family_id) "
        "VALUES ($1, $2, 'staff', encode(sha256($3::bytea), 'hex'), now() + interval '1 hour', $4)",
        uuid.uuid4(),
        clerk,
        refresh_token.encode(),
        family,
    )
    assert (await client.post(f"{ADMIN}/members/{clerk}/disable", headers=manager_of(X, manager))).status_code == 200
    refreshed = await client.post("/sessions/refresh", json={"refresh_token": refresh_token})
    assert refusal(refreshed)[:2] == (401, "session_expired")


async def test_managers_act_on_their_own_establishment_only(client, db):
    manager_x = await add_staff(db, "gestion@x.example", {X: "manager"})
    clerk_x = await add_staff(db, "commis@x.example", {X: "clerk"})
    manager_y = await add_staff(db, "gestion@y.example", {Y: "manager"})
    clerk_y = await add_staff(db, "commis@y.example", {Y: "clerk"})
    the_operator = await add_staff(db, "operateur@plateforme.example", {}, operator=True)
    member = f"{ADMIN}/members/{clerk_x}"
    requests = [
        ("GET", ADMIN, None),
        ("POST", f"{ADMIN}/invitations", {"email": "quelqu.un@x.example", "role": "clerk"}),
        ("POST", f"{member}/role", {"role": "manager"}),
        ("POST", f"{member}/disable", None),
        ("POST", f"{member}/enable", None),
    ]
    callers = {
        "manager of Y": (manager_of(Y, manager_y), 404),
        "manager of Y, token naming X": (manager_of(X, manager_y), 403),
        "clerk of X": (staff_headers(X, "clerk", clerk_x), 403),
        "operator": (operator(the_operator), 404),
        "not chosen yet": (bearer(access_token(manager_x, "staff", extra={"role": ""})), 404),
        "citizen": (citizen_headers(uuid.uuid4()), 403),
        "anonymous": ({}, 401),
    }
    for who, (headers, expected) in callers.items():
        for method, path, body in requests:
            answer = await client.request(method, path, json=body, headers=headers)
            assert answer.status_code == expected, (who, method, path, answer.text)
    # Someone who works at Y only is nobody at X.
    for action in ("disable", "enable"):
        answer = await client.post(f"{ADMIN}/members/{clerk_y}/{action}", headers=manager_of(X, manager_x))
        assert refusal(answer) == (404, "not_found", None)
    answer = await client.post(
        f"{ADMIN}/members/{clerk_y}/role", json={"role": "manager"}, headers=manager_of(X, manager_x)
    )
    assert refusal(answer) == (404, "not_found", None)
    assert await published(db, StaffInvited) == []
    assert await published(db, StaffAccessChanged) == []
    # Operators' endpoints are not the managers'.
    callers = {
        "manager of X": (manager_of(X, manager_x), (403, "operator_required")),
        "clerk of X": (staff_headers(X, "clerk", clerk_x), (403, "operator_required")),
        "citizen": (citizen_headers(uuid.uuid4()), (403, "forbidden")),
        "anonymous": ({}, (401, "login_required")),
    }
    for who, (headers, expected) in callers.items():
        for method, path, body in [
            ("GET", "/operator/staff", None),
            ("POST", "/operator/staff/managers", {"establishment_id": str(X), "email": "a@x.example"}),
            ("POST", f"/operator/staff/{clerk_x}/factor-reset", None),
        ]:
            answer = await client.request(method, path, json=body, headers=headers)
            assert refusal(answer)[:2] == expected, (who, method, path, answer.text)
    assert await published(db, StaffInvited) == []


async def test_an_operator_appoints_a_manager_lists_staff_and_resets_a_factor(client, db):
    the_operator = await add_staff(db, "operateur@plateforme.example", {}, operator=True)
    clerk = await add_staff(db, "commis@clinique.example", {X: "clerk", Y: "manager"})
    headers = operator(the_operator)

    appointed = await client.post(
        "/operator/staff/managers",
        json={"establishment_id": str(X), "email": "premiere.gestionnaire@clinique.example", "language": "en"},
        headers=headers,
    )
    assert appointed.status_code == 201, appointed.text
    assert appointed.json()["role"] == "manager"
    (event,) = await published(db, StaffInvited)
    assert (event["invited_by"], event["invited_by_role"], event["role"]) == (str(the_operator), "operator", "manager")
    accepted = await client.post(
        "/staff/invitations/accept",
        json={"token": event["invitation_token"], "name": "Première Gestionnaire", "password": PASSWORD},
    )
    assert accepted.status_code == 201, accepted.text
    first_manager = accepted.json()["staff_id"]

    listed = await client.get("/operator/staff", headers=headers)
    assert listed.status_code == 200, listed.text
    by_email = {p["email"]: p for p in listed.json()}
    assert by_email["operateur@plateforme.example"]["operator"] is True
    assert by_email["operateur@plateforme.example"]["roles"] == []
    assert {
        (r["establishment_id"], r["role"], r["disabled"]) for r in by_email["commis@clinique.example"]["roles"]
    } == {
        (str(X), "clerk", False),
        (str(Y), "manager", False),
    }
    assert by_email["premiere.gestionnaire@clinique.example"]["staff_id"] == first_manager

    await db.execute("INSERT INTO staff_recovery_codes (staff_id, code_hash) VALUES ($1, 'h1'), ($1, 'h2')", clerk)
    await db.execute(
        "INSERT INTO staff_factor_challenges (id, token_hash, staff_id, purpose, expires_at) "
        "VALUES ($1, 'c1', $2, 'verify', now() + interval '5 minutes')",
        uuid.uuid4(),
        clerk,
    )
    session = await start_staff_session(db, clerk)
    reset = await client.post(f"/operator/staff/{clerk}/factor-reset", headers=headers)
    assert reset.status_code == 200, reset.text
    assert reset.json()["factor_enrolled"] is False
    person = await db.fetchrow("SELECT * FROM staff_users WHERE id = $1", clerk)
    assert (person["totp_secret_encrypted"], person["totp_enrolled_at"], person["totp_last_step"]) == (None, None, None)
    assert await db.fetchval("SELECT count(*) FROM staff_recovery_codes WHERE staff_id = $1", clerk) == 0
    assert await db.fetchval("SELECT count(*) FROM staff_factor_challenges WHERE staff_id = $1", clerk) == 0
    assert await db.fetchval("SELECT revoked_at FROM session_families WHERE id = $1", session) is not None
    assert [e["subject_id"] for e in await published(db, SessionsRevoked)] == [str(clerk)]
    # One audit entry per establishment where the person works.
    resets = await access_changes(db, "factor_reset")
    assert {(e["establishment_id"], e["role"]) for e in resets} == {(str(X), "clerk"), (str(Y), "manager")}
    assert {(e["actor_id"], e["actor_role"], e["staff_id"]) for e in resets} == {
        (str(the_operator), "operator", str(clerk))
    }

    # An operator holds no role: one entry, for the whole account.
    assert (await client.post(f"/operator/staff/{the_operator}/factor-reset", headers=headers)).status_code == 200
    assert [e["establishment_id"] for e in await access_changes(db, "factor_reset")][2:] == [None]

    unknown = await client.post(f"/operator/staff/{uuid.uuid4()}/factor-reset", headers=headers)
    assert refusal(unknown) == (404, "not_found", None)


async def test_an_operators_address_does_not_join_a_clinic(client, db):
    manager = await add_staff(db, "gestion@clinique.example", {X: "manager"})
    await add_staff(db, "operateur@plateforme.example", {}, operator=True)
    invited = await invite(client, manager_of(X, manager), "operateur@plateforme.example")
    token = await token_of(db, invited.json()["id"])
    refused = await client.post("/staff/invitations/accept", json={"token": token})
    assert refusal(refused) == (409, "email_is_operator", None)
    assert await db.fetchval("SELECT count(*) FROM staff_roles") == 1


async def test_a_person_disabled_everywhere_cannot_sign_in_and_one_disabled_here_only_still_can(client, db):
    manager = await add_staff(db, "gestion@clinique.example", {X: "manager"})
    here_only = await add_staff(db, "commis@clinique.example", {X: "clerk"})
    also_elsewhere = await add_staff(db, "volant@clinique.example", {X: "clerk", Y: "clerk"})
    password_hash = await DEPS.hashing.hash(PASSWORD)
    await db.execute("UPDATE staff_users SET password_hash = $1", password_hash)

    async def sign_in(email: str) -> httpx.Response:
        return await client.post("/staff/sessions", json={"email": email, "password": PASSWORD})

    assert (await sign_in("commis@clinique.example")).status_code == 200
    for person in (here_only, also_elsewhere):
        disabled = await client.post(f"{ADMIN}/members/{person}/disable", headers=manager_of(X, manager))
        assert disabled.status_code == 200, disabled.text
    assert refusal(await sign_in("commis@clinique.example")) == (403, "staff_disabled", None)
    assert (await sign_in("volant@clinique.example")).status_code == 200
    assert (await client.post(f"{ADMIN}/members/{here_only}/enable", headers=manager_of(X, manager))).status_code == 200
    assert (await sign_in("commis@clinique.example")).status_code == 200


async def test_one_link_presented_twice_at_once_is_accepted_once(client, db):
    manager = await add_staff(db, "gestion@clinique.example", {X: "manager"})
    invited = await invite(client, manager_of(X, manager), "nouveau@clinique.example")
    token = await token_of(db, invited.json()["id"])
    body = {"token": token, "name": "Noé Nouveau", "password": PASSWORD}
    answers = await asyncio.gather(*(client.post("/staff/invitations/accept", json=body) for _ in range(2)))
    assert sorted(a.status_code for a in answers) == [201, 404]
    assert len(await access_changes(db, "invitation_accepted")) == 1


async def test_a_new_person_joining_two_establishments_at_once_is_one_person(client, db):
    manager_x = await add_staff(db, "gestion@x.example", {X: "manager"})
    manager_y = await add_staff(db, "gestion@y.example", {Y: "manager"})
    first = await invite(client, manager_of(X, manager_x), "volant@clinique.example")
    second = await client.post(
        f"/admin/staff/establishments/{Y}/invitations",
        json={"email": "Volant@clinique.example", "role": "manager"},
        headers=manager_of(Y, manager_y),
    )
    tokens = [await token_of(db, answer.json()["id"]) for answer in (first, second)]
    answers = await asyncio.gather(
        *(
            client.post("/staff/invitations/accept", json={"token": t, "name": "Val Volant", "password": PASSWORD})
            for t in tokens
        )
    )
    assert [a.status_code for a in answers] == [201, 201], [a.text for a in answers]
    assert answers[0].json()["staff_id"] == answers[1].json()["staff_id"]
    person = uuid.UUID(answers[0].json()["staff_id"])
    roles = dict(await db.fetch("SELECT establishment_id, role FROM staff_roles WHERE staff_id = $1", person))
    assert roles == {X: "clerk", Y: "manager"}
