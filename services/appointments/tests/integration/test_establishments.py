"""Platform operators create and edit establishments and their services; a manager sets a service's clinic rules.
Over HTTP on a real database, with tokens signed as accounts signs them."""

import json
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import text

from devstack.testing.tokens import citizen_headers, staff_headers
from services.appointments.tests.integration.arrange import events, operator_headers, served


@pytest.fixture
async def client(clean_databases) -> AsyncIterator[httpx.AsyncClient]:
    async with served(clean_databases["appointments"]) as http:
        yield http


VACCINATION = {
    "name_fr": "Vaccination",
    "name_en": "Vaccination",
    "duration_minutes": 15,
    "default_capacity": 3,
    "cancel_cutoff_hours": 24,
    "instructions_fr": "Apportez votre carte d'assurance maladie et votre carnet de vaccination.",
    "instructions_en": "Bring your health insurance card and vaccination booklet.",
}


def establishment_body(**changes: object) -> dict[str, object]:
    return {
        "name": "CLSC du Plateau",
        "address": "4625, avenue De Lorimier",
        "city": "Montréal",
        "postal_code": "h2l3c3",
        "region": "Montréal",
        "phone": "514 555-0100",
        "opening_hours": {"mon": [["08:00", "12:00"], ["13:00", "16:00"]], "sat": [["09:00", "12:00"]]},
        "services": [VACCINATION],
    } | changes


async def create(client: httpx.AsyncClient, operator: uuid.UUID | None = None, **changes: object) -> dict:
    created = await client.post(
        "/operator/establishments", json=establishment_body(**changes), headers=operator_headers(operator)
    )
    assert created.status_code == 201, created.text
    return created.json()


async def test_an_operator_creates_an_establishment_with_its_services_located_from_its_postal_code(client, sessions):
    operator = uuid.uuid4()
    created = await create(client, operator)

    assert created["postal_code"] == "H2L 3C3"
    assert (created["latitude"], created["longitude"]) == (45.5252, -73.5744)  # the centroid of FSA H2L
    assert created["phone"] == "+15145550100"
    assert created["opening_hours"] == {"mon": [["08:00", "12:00"], ["13:00", "16:00"]], "sat": [["09:00", "12:00"]]}
    [service] = created["services"]
    assert {key: service[key] for key in VACCINATION} == VACCINATION
    assert (await client.get(f"/operator/establishments/{created['id']}", headers=operator_headers())).json() == created
    listed = await client.get("/operator/establishments", params={"name": "plateau"}, headers=operator_headers())
    assert [e["id"] for e in listed.json()] == [created["id"]]
    assert (
        await client.get("/operator/establishments", params={"name": "nowhere"}, headers=operator_headers())
    ).json() == []
    # Reported for the audit log: who did what, ids only.
    [changed] = await events(sessions, "establishment_changed")
    assert (changed["action"], changed["actor_id"], changed["actor_role"], changed["establishment_id"]) == (
        "created",
        str(operator),
        "operator",
        created["id"],
    )
    # Citizens find it and its service at once.
    offered = await client.get(f"/services/{service['id']}")
    assert offered.json()["establishment"]["name"] == "CLSC du Plateau"


async def test_an_operator_edits_an_establishment_and_adds_a_service(client, sessions):
    created = await create(client)
    body = establishment_body(name="CLSC Laval", postal_code="H7N 1A1", city="Laval", region="Laval")
    del body["services"]

    edited = await client.put(f"/operator/establishments/{created['id']}", json=body, headers=operator_headers())
    assert edited.status_code == 200, edited.text
    assert (edited.json()["name"], edited.json()["postal_code"]) == ("CLSC Laval", "H7N 1A1")
    assert edited.json()["latitude"] != created["latitude"]
    assert edited.json()["services"] == created["services"]

    blood = {"name_fr": "Prise de sang", "name_en": "Blood test", "duration_minutes": 10}
    added = await client.post(
        f"/operator/establishments/{created['id']}/services", json=blood, headers=operator_headers()
    )
    assert added.status_code == 201, added.text
    assert added.json() | blood == added.json()
    assert (added.json()["default_capacity"], added.json()["cancel_cutoff_hours"]) == (1, 0)
    assert added.json()["instructions_fr"] is None
    actions = [(e["action"], e["service_id"]) for e in await events(sessions, "establishment_changed")]
    assert actions == [("created", None), ("updated", None), ("service_added", added.json()["id"])]

    unknown = uuid.uuid4()
    assert (
        await client.put(f"/operator/establishments/{unknown}", json=body, headers=operator_headers())
    ).status_code == 404
    assert (await client.get(f"/operator/establishments/{unknown}", headers=operator_headers())).status_code == 404
    missing = await client.post(f"/operator/establishments/{unknown}/services", json=blood, headers=operator_headers())
    assert missing.status_code == 404


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"postal_code": "12345"}, "postal_code", "invalid_postal_code"),
        ({"postal_code": "T0T 0T0"}, "postal_code", "unknown_postal_code"),
        ({"postal_code": "H2L"}, "postal_code", "postal_code_incomplete"),
        ({"phone": "123"}, "phone", "invalid_phone"),
        ({"phone": "+1 212 555 0123"}, "phone", "invalid_phone"),  # New York: not a Canadian line
        ({"name": "  "}, "name", "string_too_short"),
        ({"opening_hours": {"mon": [["16:00", "08:00"]]}}, "opening_hours", "invalid_opening_hours"),
        (
            {"opening_hours": {"tue": [["08:00", "12:00"], ["11:00", "16:00"]]}},
            "opening_hours",
            "overlapping_opening_hours",
        ),
        ({"opening_hours": {"someday": [["08:00", "12:00"]]}}, "opening_hours.someday.[key]", "literal_error"),
        ({"opening_hours": {"mon": [["8h", "12:00"]]}}, "opening_hours.mon.0.0", "time_parsing"),
        ({"opening_hours": {"mon": [["08:00", "12:00+01:00"]]}}, "opening_hours.mon.0.1", "time_parsing"),
        ({"services": [VACCINATION | {"duration_minutes": 4}]}, "services.0.duration_minutes", "greater_than_equal"),
        ({"services": [VACCINATION | {"duration_minutes": 241}]}, "services.0.duration_minutes", "less_than_equal"),
        ({"services": [VACCINATION | {"default_capacity": 501}]}, "services.0.default_capacity", "less_than_equal"),
        ({"services": [VACCINATION | {"default_capacity": 0}]}, "services.0.default_capacity", "greater_than_equal"),
        (
            {"services": [VACCINATION | {"cancel_cutoff_hours": 169}]},
            "services.0.cancel_cutoff_hours",
            "less_than_equal",
        ),
        (
            {"services": [VACCINATION | {"cancel_cutoff_hours": -1}]},
            "services.0.cancel_cutoff_hours",
            "greater_than_equal",
        ),
        (
            {"services": [VACCINATION | {"instructions_fr": "x" * 1001}]},
            "services.0.instructions_fr",
            "string_too_long",
        ),
        ({"services": [VACCINATION | {"name_en": ""}]}, "services.0.name_en", "string_too_short"),
    ],
)
async def test_bad_input_is_refused_with_the_field_and_a_reason_in_both_languages(
    client, sessions, change, field, code
):
    refused = await client.post(
        "/operator/establishments", json=establishment_body(**change), headers=operator_headers()
    )

    assert refused.status_code == 422, refused.text
    error = refused.json()["errors"][0]
    assert (error["field"], error["code"]) == (field, code)
    assert error["message"]["fr"]
    assert error["message"]["fr"] != error["message"]["en"]
    async with sessions() as session:
        assert (await session.execute(text("SELECT count(*) FROM establishments"))).scalar() == 0


async def test_only_operators_manage_establishments(client):
    created = await create(client)
    est = created["id"]
    body = establishment_body()
    for headers, status in (
        (staff_headers(est, "manager"), 403),
        (staff_headers(est, "clerk"), 403),
        (citizen_headers(uuid.uuid4()), 403),
        ({}, 401),
    ):
        assert (await client.get("/operator/establishments", headers=headers)).status_code == status
        assert (await client.post("/operator/establishments", json=body, headers=headers)).status_code == status
        assert (await client.get(f"/operator/establishments/{est}", headers=headers)).status_code == status
        del body["services"]
        assert (await client.put(f"/operator/establishments/{est}", json=body, headers=headers)).status_code == status
        added = await client.post(f"/operator/establishments/{est}/services", json=VACCINATION, headers=headers)
        assert added.status_code == status
        body = establishment_body()
    refused = await client.get("/operator/establishments", headers=staff_headers(est, "manager"))
    assert refused.json()["errors"][0]["code"] == "operator_required"


RULES = {
    "cancel_cutoff_hours": 48,
    "instructions_fr": "  Venez à jeun.  ",
    "instructions_en": "Come fasting.",
}


async def test_a_manager_sets_a_services_clinic_rules(client, sessions):
    created = await create(client)
    est, service = created["id"], created["services"][0]["id"]
    manager = uuid.uuid4()

    changed = await client.put(
        f"/admin/establishments/{est}/services/{service}/rules",
        json=RULES,
        headers=staff_headers(est, "manager", manager),
    )

    assert changed.status_code == 200, changed.text
    assert (changed.json()["cancel_cutoff_hours"], changed.json()["instructions_fr"]) == (48, "Venez à jeun.")
    listed = await client.get(f"/admin/establishments/{est}/services", headers=staff_headers(est, "clerk"))
    assert listed.json()[0] | {"instructions_en": "Come fasting.", "cancel_cutoff_hours": 48} == listed.json()[0]
    last = (await events(sessions, "establishment_changed"))[-1]
    assert (last["action"], last["actor_id"], last["actor_role"], last["service_id"]) == (
        "rules_changed",
        str(manager),
        "manager",
        service,
    )
    # Blank instructions are none; the cut-off goes back to "until the start".
    cleared = await client.put(
        f"/admin/establishments/{est}/services/{service}/rules",
        json={"cancel_cutoff_hours": 0, "instructions_fr": " ", "instructions_en": None},
        headers=staff_headers(est, "manager"),
    )
    assert (cleared.json()["cancel_cutoff_hours"], cleared.json()["instructions_fr"]) == (0, None)


async def test_only_the_establishments_manager_sets_its_rules(client):
    mine, theirs = await create(client), await create(client, name="CLSC Ailleurs")
    est, service = mine["id"], mine["services"][0]["id"]
    url = f"/admin/establishments/{est}/services/{service}/rules"

    clerk = await client.put(url, json=RULES, headers=staff_headers(est, "clerk"))
    assert (clerk.status_code, clerk.json()["errors"][0]["code"]) == (403, "manager_required")
    other_manager = await client.put(url, json=RULES, headers=staff_headers(theirs["id"], "manager"))
    assert other_manager.status_code == 404
    assert (await client.put(url, json=RULES, headers=operator_headers())).status_code == 404
    assert (await client.put(url, json=RULES, headers=citizen_headers(uuid.uuid4()))).status_code == 403
    their_service = f"/admin/establishments/{est}/services/{theirs['services'][0]['id']}/rules"
    unknown = await client.put(their_service, json=RULES, headers=staff_headers(est, "manager"))
    assert (unknown.status_code, unknown.json()["errors"][0]["code"]) == (404, "unknown_service")
    too_long = await client.put(
        url, json=RULES | {"instructions_en": "x" * 1001}, headers=staff_headers(est, "manager")
    )
    assert (too_long.status_code, too_long.json()["errors"][0]["field"]) == (422, "instructions_en")


async def test_the_command_line_creates_an_establishment_through_the_same_use_case(client, sessions, tmp_path):
    from services.appointments import cli
    from services.appointments.catalogue.rules import UnknownPostalCode
    from services.appointments.settings import AppointmentsSettings

    operator = uuid.uuid4()
    path = tmp_path / "establishment.json"
    path.write_text(json.dumps(establishment_body()), encoding="utf-8")
    settings = AppointmentsSettings(database_url=sessions.kw["bind"].url.render_as_string(hide_password=False))
    args = cli.parser().parse_args(["create-establishment", "--file", str(path), "--as-operator-id", str(operator)])

    printed = await cli.run(args, settings)

    created = (await client.get(f"/operator/establishments/{printed}", headers=operator_headers())).json()
    assert (created["name"], created["postal_code"], len(created["services"])) == ("CLSC du Plateau", "H2L 3C3", 1)
    [changed] = await events(sessions, "establishment_changed")
    assert (changed["action"], changed["actor_id"], changed["establishment_id"]) == ("created", str(operator), printed)
    path.write_text(json.dumps(establishment_body(postal_code="T0T 0T0")), encoding="utf-8")
    with pytest.raises(UnknownPostalCode):
        await cli.run(args, settings)


async def test_a_schedule_without_a_capacity_opens_slots_with_the_services_default(client):
    created = await create(client)  # vaccination: 3 seats by default
    est, service = created["id"], created["services"][0]["id"]
    monday = "2030-03-11"
    schedule = {
        "service_id": service,
        "weekdays": ["mon"],
        "start_time": "08:00",
        "end_time": "09:00",
        "slot_minutes": 15,
        "valid_from": monday,
        "valid_to": monday,
    }

    posted = await client.post(
        f"/admin/establishments/{est}/schedules", json=schedule, headers=staff_headers(est, "manager")
    )

    assert posted.status_code == 201, posted.text
    assert (posted.json()["capacity"], posted.json()["slots_created"]) == (3, 4)
    slots = await client.get("/slots", params={"service_id": service, "date_from": f"{monday}T00:00:00-04:00"})
    assert {slot["seats_left"] for slot in slots.json()} == {3}
