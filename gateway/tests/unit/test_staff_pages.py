"""The staff administration and operators' pages (gateway/staff_pages.py, gateway/operator_pages.py) on the app
itself, the services replaced by stand-ins: each page draws, bad input is the form again with its errors (never
a 500), a clerk or a clinic's staff get a page saying why, and the invitation's token stays out of every URL."""

import html
import re
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient

from gateway import page_sessions
from gateway.auth import Principal
from gateway.csrf import FORM_FIELD
from gateway.main import create_app
from gateway.settings import GatewaySettings
from gateway.upstreams import Accounts, Appointments, UpstreamRefusal, Verification

CLINIC = "6f1c2d3e-0000-4000-8000-000000000001"
MANAGER = "6f1c2d3e-0000-4000-8000-00000000000a"
CLERK = "6f1c2d3e-0000-4000-8000-00000000000b"
OPERATOR = "6f1c2d3e-0000-4000-8000-00000000000c"
TOKEN = "s3cret-invitation-token-0123456789abcdefghijk"
EXISTING = "an-invitation-for-someone-already-on-staff-000"
PLACE = {
    "id": CLINIC,
    "name": "CLSC du Test",
    "address": "1, rue Test",
    "city": "Montréal",
    "postal_code": "H2L 3C3",
    "region": "Montréal",
    "phone": "514 555-0100",
    "opening_hours": {"mon": [["08:00", "16:00"]]},
    "services": [
        {
            "id": "s1",
            "name_fr": "Prise de sang",
            "name_en": "Blood test",
            "duration_minutes": 15,
            "default_capacity": 2,
            "cancel_cutoff_hours": 24,
            "instructions_fr": None,
            "instructions_en": None,
        }
    ],
}
MEMBERS = {
    "members": [
        {
            "staff_id": MANAGER,
            "name": "Gestion Test",
            "email": "g@test.example",
            "role": "manager",
            "disabled": False,
            "factor_enrolled": True,
            "granted_at": "2026-12-01T10:00:00Z",
        },
        {
            "staff_id": CLERK,
            "name": "Commis Test",
            "email": "c@test.example",
            "role": "clerk",
            "disabled": False,
            "factor_enrolled": False,
            "granted_at": "2026-12-01T10:00:00Z",
        },
    ],
    "invitations": [
        {
            "id": "i1",
            "email": "new@test.example",
            "role": "clerk",
            "created_at": "2026-12-05T10:00:00Z",
            "expires_at": "2026-12-08T10:00:00Z",
        }
    ],
}


def _refusal(status: int, field: str | None, code: str, fr: str) -> UpstreamRefusal:
    return UpstreamRefusal(status, [{"field": field, "code": code, "message": {"fr": fr, "en": fr}}])


@pytest.fixture
def stand_ins(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, Any]]:
    calls: list[tuple[str, Any]] = []

    async def profile(self: Any) -> dict[str, Any]:
        return {
            "id": MANAGER,
            "name": "Gestion Test",
            "role": "manager",
            "establishment_id": CLINIC,
            "operator": False,
            "roles": [{"establishment_id": CLINIC, "role": "manager"}],
            "email": "g@test.example",
        }

    async def own(self: Any, establishment_id: str) -> dict[str, Any]:
        return {"id": CLINIC, "name": "CLSC du Test", "timezone": "America/Montreal"}

    async def names(self: Any, wanted: set[str]) -> dict[str, str]:
        return {CLINIC: "CLSC du Test"} if CLINIC in wanted else {}

    async def staff_of(self: Any, establishment_id: str) -> dict[str, Any]:
        return MEMBERS

    async def invite(self: Any, establishment_id: str, invitation: dict[str, Any]) -> dict[str, Any]:
        calls.append(("invite", invitation))
        if invitation["email"] == "taken@test.example":
            raise _refusal(409, "email", "already_staff_here", "Cette personne fait déjà partie du personnel.")
        return {"id": "i2", "email": invitation["email"], "role": invitation["role"], "expires_at": "x"}

    async def access(self: Any, establishment_id: str, staff_id: str, action: str) -> dict[str, Any]:
        calls.append((action, staff_id))
        if staff_id == MANAGER:
            raise _refusal(409, None, "last_manager", "Il faut au moins un gestionnaire actif.")
        return MEMBERS["members"][1]

    async def role(self: Any, establishment_id: str, staff_id: str, role: str) -> dict[str, Any]:
        calls.append(("role", (staff_id, role)))
        return MEMBERS["members"][1]

    async def lookup(self: Any, token: str) -> dict[str, Any]:
        if token == EXISTING:
            return {
                "email": "c@test.example",
                "establishment_id": CLINIC,
                "role": "manager",
                "existing_account": True,
                "expires_at": "2026-12-08T10:00:00Z",
            }
        if token != TOKEN:
            raise _refusal(404, None, "invitation_invalid", "Invitation invalide.")
        return {
            "email": "new@test.example",
            "establishment_id": CLINIC,
            "role": "clerk",
            "existing_account": False,
            "expires_at": "2026-12-08T10:00:00Z",
        }

    async def accept(self: Any, token: str, name: str | None, password: str | None) -> dict[str, Any]:
        calls.append(("accept", (name, password)))
        if password == "court":
            raise _refusal(422, "password", "weak_password", "Le mot de passe doit avoir au moins 15 caractères.")
        return {"staff_id": CLERK, "email": "new@test.example"}

    async def establishments(self: Any) -> list[dict[str, Any]]:
        return [PLACE]

    async def establishment(self: Any, establishment_id: str) -> dict[str, Any]:
        return PLACE

    async def create(self: Any, body: dict[str, Any]) -> dict[str, Any]:
        calls.append(("create", body))
        if body["postal_code"] == "Z9Z 9Z9":
            raise _refusal(422, "postal_code", "unknown_area", "Code postal inconnu.")
        return PLACE | {"id": CLINIC}

    async def update(self: Any, establishment_id: str, body: dict[str, Any]) -> dict[str, Any]:
        calls.append(("update", body))
        if body["phone"] == "123":
            raise _refusal(422, "phone", "invalid_phone", "Numéro de téléphone invalide.")
        return PLACE | body

    async def add_service(self: Any, establishment_id: str, body: dict[str, Any]) -> dict[str, Any]:
        calls.append(("add_service", body))
        if body["name_fr"] == "Refusé":
            raise _refusal(422, "instructions_fr", "string_too_long", "Au plus 1000 caractères.")
        return body | {"id": "s2"}

    async def appoint(self: Any, invitation: dict[str, Any]) -> dict[str, Any]:
        calls.append(("appoint", invitation))
        return {"id": "i3", "email": invitation["email"], "role": "manager", "expires_at": "x"}

    async def people(self: Any) -> list[dict[str, Any]]:
        return [
            {
                "staff_id": CLERK,
                "name": "Commis Test",
                "email": "c@test.example",
                "operator": False,
                "factor_enrolled": True,
                "roles": [{"establishment_id": CLINIC, "role": "clerk", "disabled": False}],
            }
        ]

    async def reset(self: Any, staff_id: str) -> None:
        calls.append(("reset", staff_id))

    for name, stand_in in {
        "staff_profile": profile,
        "establishment_staff": staff_of,
        "invite_staff": invite,
        "set_staff_access": access,
        "change_staff_role": role,
        "invitation": lookup,
        "accept_invitation": accept,
        "appoint_manager": appoint,
        "operator_staff": people,
        "reset_factor": reset,
    }.items():
        monkeypatch.setattr(Accounts, name, stand_in)
    for name, stand_in in {
        "own_establishment": own,
        "establishment_names": names,
        "operator_establishments": establishments,
        "operator_establishment": establishment,
        "create_establishment": create,
        "update_establishment": update,
        "add_service": add_service,
    }.items():
        monkeypatch.setattr(Appointments, name, stand_in)
    return calls


def _client(who: Principal | None) -> TestClient:
    app = create_app(GatewaySettings(insecure_cookies=True))
    if who is not None:
        app.dependency_overrides[page_sessions._any_staff] = lambda: who
        app.dependency_overrides[page_sessions._clinic_staff] = lambda: who
    client = TestClient(app, base_url="http://console.example")
    client.headers["origin"] = "http://console.example"
    client.get("/admin/login")
    return client


def _text(page: Any) -> str:
    """The page's text as read: entities decoded, French typography's spaces as plain ones."""
    return html.unescape(page.text).replace("\u00a0", " ").replace("\u202f", " ")


def _post(client: TestClient, path: str, **form: str) -> Any:
    return client.post(path, data={**form, FORM_FIELD: client.cookies["csrf"]}, follow_redirects=False)


def manager() -> Principal:
    return Principal(MANAGER, "staff", CLINIC, "manager", "t")


def operator() -> Principal:
    return Principal(str(uuid.uuid4()), "staff", None, "operator", "t")


def test_the_manager_sees_members_invitations_and_invites(stand_ins: list[tuple[str, Any]]):
    client = _client(manager())
    page = client.get("/admin/staff")
    assert page.status_code == 200
    assert "Commis Test" in _text(page)
    assert "new@test.example" in _text(page)
    assert page.text.count('action="/admin/staff/') == 2  # the clerk's role form; the manager's own row has none
    empty = _post(client, "/admin/staff/invitations", email="", role="", language="")
    assert empty.status_code == 422
    assert 'href="#email"' in _text(empty)
    assert 'href="#role"' in _text(empty)
    taken = _post(client, "/admin/staff/invitations", email="taken@test.example", role="clerk", language="fr")
    assert taken.status_code == 409
    assert "fait déjà partie" in _text(taken)
    sent = _post(client, "/admin/staff/invitations", email="nouveau@test.example", role="manager", language="en")
    assert sent.headers["location"] == "/admin/staff?done=invited"
    assert stand_ins[-1] == (
        "invite",
        {"email": "nouveau@test.example", "role": "manager", "language": "en", "establishment_name": "CLSC du Test"},
    )


def test_disabling_asks_first_and_a_refusal_is_said_on_the_confirmation(stand_ins: list[tuple[str, Any]]):
    client = _client(manager())
    confirm = client.get(f"/admin/staff/{CLERK}/disable")
    assert confirm.status_code == 200
    assert "Désactiver l'accès de Commis Test" in _text(confirm)
    assert ("disable", CLERK) not in stand_ins  # nothing done by the GET
    done = _post(client, f"/admin/staff/{CLERK}/disable")
    assert done.headers["location"] == f"/admin/staff?done=disabled&member={CLERK}"
    assert "Accès désactivé : Commis Test." in _text(client.get(done.headers["location"]))
    refused = _post(client, f"/admin/staff/{MANAGER}/disable")
    assert refused.status_code == 409
    assert "au moins un gestionnaire" in _text(refused)


def test_a_clerk_is_told_the_staff_page_is_for_managers(stand_ins: list[tuple[str, Any]]):
    client = _client(Principal(CLERK, "staff", CLINIC, "clerk", "t"))
    page = client.get("/admin/staff")
    assert page.status_code == 403
    assert "Seul un gestionnaire" in _text(page)
    assert _post(client, f"/admin/staff/{MANAGER}/disable").status_code == 403
    assert not stand_ins


def test_the_invitation_page_sets_a_password_and_keeps_the_token_out_of_urls(stand_ins: list[tuple[str, Any]]):
    client = _client(None)
    assert client.get("/admin/invitation?token=nope").status_code == 404
    page = client.get(f"/admin/invitation?token={TOKEN}")
    assert page.status_code == 200
    assert "commis à CLSC du Test" in _text(page)
    # The form's hidden field, and the same page in English: no link leads elsewhere with it.
    links = re.findall(r'href="([^"]*)"', page.text)
    assert [link for link in links if TOKEN in link] == [f"/admin/invitation?token={TOKEN}&amp;lang=en"]
    assert f'value="{TOKEN}"' in _text(page)
    mismatch = _post(
        client, "/admin/invitation", token=TOKEN, name="Nouveau", password="a" * 20, password_confirmation="b" * 20
    )
    assert mismatch.status_code == 422
    assert "ne sont pas identiques" in _text(mismatch)
    weak = _post(
        client, "/admin/invitation", token=TOKEN, name="Nouveau", password="court", password_confirmation="court"
    )
    assert weak.status_code == 422
    assert "15 caractères" in _text(weak)
    done = _post(
        client,
        "/admin/invitation",
        token=TOKEN,
        name="Nouveau",
        password="une phrase assez longue",
        password_confirmation="une phrase assez longue",
    )
    assert done.status_code == 200
    assert 'href="/admin/login"' in _text(done)
    assert TOKEN not in _text(done)


def test_operators_create_an_establishment_and_appoint_its_manager(stand_ins: list[tuple[str, Any]]):
    client = _client(operator())
    listed = client.get("/admin/operator")
    assert listed.status_code == 200
    assert "CLSC du Test" in _text(listed)
    assert "Prise de sang" in _text(listed)
    assert client.get("/admin/operator?q=introuvable").text.count("data-establishment=") == 0
    assert client.get("/admin/operator/new").status_code == 200
    form = {
        "name": "Clinique Neuve",
        "address": "2, rue Neuve",
        "city": "Laval",
        "postal_code": "H7N 1A1",
        "region": "Laval",
        "phone": "450 555-0100",
        "hours-mon-opens": "8 h",
        "hours-mon-closes": "16:30",
        "name_fr": "Vaccination",
        "name_en": "Vaccination",
        "duration_minutes": "10",
        "default_capacity": "3",
        "cancel_cutoff_hours": "24",
        "instructions_fr": "Apportez votre carte.",
        "instructions_en": "",
    }
    bad = _post(
        client,
        "/admin/operator/new",
        **(form | {"hours-tue-opens": "16:00", "hours-tue-closes": "9:00", "duration_minutes": "dix", "city": ""}),
    )
    assert bad.status_code == 422
    for field in ("#city", "#hours", "#duration_minutes"):
        assert f'href="{field}"' in _text(bad)
    assert 'value="Clinique Neuve"' in _text(bad)  # what was typed stays
    unknown = _post(client, "/admin/operator/new", **(form | {"postal_code": "Z9Z 9Z9"}))
    assert unknown.status_code == 422
    assert "Code postal inconnu." in _text(unknown)
    created = _post(client, "/admin/operator/new", **form)
    assert created.headers["location"] == f"/admin/operator/establishments/{CLINIC}/manager?created=1"
    body = stand_ins[-1][1]
    assert body["opening_hours"] == {"mon": [["08:00", "16:30"]]}
    assert body["services"] == [
        {
            "name_fr": "Vaccination",
            "name_en": "Vaccination",
            "duration_minutes": 10,
            "default_capacity": 3,
            "cancel_cutoff_hours": 24,
            "instructions_fr": "Apportez votre carte.",
            "instructions_en": None,
        }
    ]
    assert "Nommez maintenant son premier gestionnaire" in _text(client.get(created.headers["location"]))
    appointed = _post(
        client, f"/admin/operator/establishments/{CLINIC}/manager", email="chef@test.example", language="fr"
    )
    assert appointed.status_code == 303
    assert stand_ins[-1] == (
        "appoint",
        {
            "establishment_id": CLINIC,
            "email": "chef@test.example",
            "language": "fr",
            "establishment_name": "CLSC du Test",
        },
    )


def test_operators_reset_a_second_factor_after_confirming(stand_ins: list[tuple[str, Any]]):
    client = _client(operator())
    listed = client.get("/admin/operator/staff?email=c@")
    assert "Commis Test" in _text(listed)
    assert "CLSC du Test : commis" in _text(listed).replace("\u00a0", " ")
    assert client.get(f"/admin/operator/staff/{CLERK}/factor-reset").status_code == 200
    assert not stand_ins
    done = _post(client, f"/admin/operator/staff/{CLERK}/factor-reset")
    assert done.status_code == 303
    assert stand_ins == [("reset", CLERK)]


def test_clinic_staff_are_told_the_operators_pages_are_not_theirs(stand_ins: list[tuple[str, Any]]):
    client = _client(manager())
    for path in ("/admin/operator", "/admin/operator/new", "/admin/operator/staff"):
        page = client.get(path)
        assert page.status_code == 403, path
        assert "Réservé aux opérateurs de la plateforme" in _text(page)


def test_operators_change_an_establishment_and_add_a_service(stand_ins: list[tuple[str, Any]]):
    client = _client(operator())
    form = client.get(f"/admin/operator/establishments/{CLINIC}")
    assert form.status_code == 200
    assert 'value="(514) 555-0100"' in form.text  # as dialled, not as stored
    assert 'name="hours-mon-opens" type="text" value="08:00"' in form.text
    assert "Premier service" not in _text(form)  # services are added apart
    fields = {
        "name": "CLSC du Test",
        "address": "1, rue Test",
        "city": "Montréal",
        "postal_code": "H2L 3C3",
        "region": "Montréal",
        "phone": "123",
        "hours-mon-opens": "8:00",
        "hours-mon-closes": "12:00",
    }
    refused = _post(client, f"/admin/operator/establishments/{CLINIC}", **fields)
    assert refused.status_code == 422
    assert 'href="#phone"' in refused.text
    assert "Numéro de téléphone invalide." in _text(refused)
    saved = _post(client, f"/admin/operator/establishments/{CLINIC}", **(fields | {"phone": "514 555-0101"}))
    assert saved.headers["location"] == f"/admin/operator?done=updated&establishment={CLINIC}"
    assert "Établissement modifié : CLSC du Test." in _text(client.get(saved.headers["location"]))
    assert stand_ins[-1][1]["opening_hours"] == {"mon": [["08:00", "12:00"]]}

    services = f"/admin/operator/establishments/{CLINIC}/services"
    assert client.get(services).status_code == 200
    service = {
        "name_fr": "Refusé",
        "name_en": "Refused",
        "duration_minutes": "20",
        "default_capacity": "1",
        "cancel_cutoff_hours": "200",
    }
    too_late = _post(client, services, **service)
    assert too_late.status_code == 422
    assert 'href="#cancel_cutoff_hours"' in too_late.text  # at most 168 h, said before asking the service
    refused = _post(client, services, **(service | {"cancel_cutoff_hours": "0"}))
    assert refused.status_code == 422
    assert 'href="#instructions_fr"' in refused.text
    added = _post(client, services, **(service | {"name_fr": "Vaccin", "cancel_cutoff_hours": "0"}))
    assert added.headers["location"] == f"/admin/operator?done=service_added&establishment={CLINIC}"


def test_someone_already_on_staff_only_accepts(stand_ins: list[tuple[str, Any]]):
    client = _client(None)
    page = client.get(f"/admin/invitation?token={EXISTING}")
    assert "gestionnaire à CLSC du Test" in _text(page)
    assert 'name="password"' not in page.text
    done = _post(client, "/admin/invitation", token=EXISTING)
    assert done.status_code == 200
    assert stand_ins == [("accept", (None, None))]
    assert "deuxième facteur" not in _text(done)  # already enrolled: nothing new at sign-in


def test_operators_read_their_own_log_by_name_and_establishment(
    stand_ins: list[tuple[str, Any]], monkeypatch: pytest.MonkeyPatch
):
    async def log(self: Any, limit: int = 500) -> list[dict[str, Any]]:
        return [
            {
                "at": "2026-12-06T13:00:00Z",
                "action": "establishment_created",
                "actor": OPERATOR,
                "details": {},
                "actor_role": "operator",
                "establishment_id": CLINIC,
            },
            {
                "at": "2026-12-06T13:05:00Z",
                "action": "factor_reset",
                "actor": OPERATOR,
                "details": {"staff_id": CLERK},
                "actor_role": "operator",
                "establishment_id": CLINIC,
            },
        ]

    async def people(self: Any) -> list[dict[str, Any]]:
        return [
            {
                "staff_id": OPERATOR,
                "name": "Olivia Opératrice",
                "email": "o@test.example",
                "operator": True,
                "factor_enrolled": True,
                "roles": [],
            },
            {
                "staff_id": CLERK,
                "name": "Commis Test",
                "email": "c@test.example",
                "operator": False,
                "factor_enrolled": False,
                "roles": [{"establishment_id": CLINIC, "role": "clerk", "disabled": False}],
            },
        ]

    monkeypatch.setattr(Verification, "operator_audit_log", log)
    monkeypatch.setattr(Accounts, "operator_staff", people)
    page = _client(Principal(OPERATOR, "staff", None, "operator", "t")).get("/admin/operator/audit")
    assert page.status_code == 200
    text = _text(page)
    assert "Journal des opérateurs" in text
    assert text.count("Olivia Opératrice") == 2
    assert "CLSC du Test" in text
    assert "Commis Test" in text  # whose factor was reset
    assert _client(manager()).get("/admin/operator/audit").status_code == 403
