"""A clerk of clinic X against a citizen who never set foot there (issue 18, finding 2), as the review ran it:
validate the victim's identity at X, validate the attacker's own identity (a patient of X) typing the victim's
NAM and birth date, associate the victim with the attacker's account, read the victim's verification state.

The victim has an appointment at clinic Y and a booking made without an account carrying their NAM. Before the
fix, the second attempt linked the attacker's account to every account holding the victim's NAM (and matched
the victim's bookings without an account into the attacker's history). Passed when every attempt on the victim
is refused and, once the events had time to flow, the attacker's lists show none of the victim's appointments.

Controls: the same clerk validates and reads their real patient (the attacker, with the attacker's own NAM), so
the refusals come from the scope check and not from a broken endpoint.
"""

import time
from datetime import date
from typing import Any

import httpx

from bench.verify.environment import Citizen, VerifyEnvironment
from tests.e2e.conftest import booking

REFUSED = frozenset({403, 404})
# Linking is event-driven (verification -> accounts -> appointments): a leak shows within a second or two.
SETTLE_SECONDS = 6.0


def _birth_date(nam: str) -> date:
    """The birth date written in a NAM (`LLLF YYMM DD XC`, month + 50 for women); verify's citizens are 1950-89."""
    month = int(nam[6:8])
    return date(1900 + int(nam[4:6]), month - 50 if month > 50 else month, int(nam[8:10]))


def _identity(citizen: Citizen, nam: str) -> dict[str, Any]:
    return {
        "account_id": citizen.account_id,
        "first_name": "Thomas",
        "last_name": "Testeur",
        "birth_date": _birth_date(nam).isoformat(),
        "sex": "M",
        "nam": nam,
        "confirmed": True,
    }


def _listed(client: httpx.Client, citizen: Citizen) -> set[str]:
    ids: set[str] = set()
    mine = client.get("/api/my/appointments", headers=citizen.headers)
    if mine.status_code == 200:
        ids |= {a["id"] for a in mine.json()["upcoming"] + mine.json()["past"]}
    history = client.get("/api/my/history", headers=citizen.headers)
    if history.status_code == 200:
        ids |= {a["id"] for a in history.json()["appointments"]}
    return ids


def probe(env: VerifyEnvironment) -> dict[str, Any]:
    x, y = env.clinics
    attacker, victim = env.new_citizen(), env.new_citizen()
    clerk = env.staff_headers(x.clerk_email)
    base = f"/api/admin/verification/establishments/{x.catalogue.establishment_id}"
    attempts: dict[str, int] = {}
    controls: dict[str, int] = {}
    with env.client() as client:
        victims = []
        at_y = client.post("/api/my/appointments", json={"slot_id": str(y.catalogue.open_slot)}, headers=victim.headers)
        assert at_y.status_code == 201, at_y.text
        victims.append(at_y.json()["id"])
        born = _birth_date(victim.nam).isoformat()
        walk_in = client.post("/api/appointments", json=booking(x.catalogue.open_slot, birth_date=born, nam=victim.nam))
        assert walk_in.status_code == 201, walk_in.text
        victims.append(walk_in.json()["id"])
        env.secrets.add(walk_in.json()["manage_token"])
        # The attacker is a real patient of X: the desk may validate them, with their own card.
        own = client.post(
            "/api/my/appointments", json={"slot_id": str(x.catalogue.open_slot)}, headers=attacker.headers
        )
        assert own.status_code == 201, own.text

        attempts["validate the identity of a citizen with no appointment at X"] = client.post(
            f"{base}/identity-validations", json=_identity(victim, victim.nam), headers=clerk
        ).status_code
        attempts["read the verification state of a citizen with no appointment at X"] = client.get(
            f"{base}/verification-states", params={"account_ids": victim.account_id}, headers=clerk
        ).status_code
        attempts["associate the victim with the attacker's account"] = client.post(
            f"{base}/association-validations",
            json={
                "account_id": attacker.account_id,
                "person_id": victim.account_id,
                "first_name": "Thomas",
                "last_name": "Testeur",
                "birth_date": born,
                "confirmed": True,
            },
            headers=clerk,
        ).status_code

        # The legitimate patient: refusals above are the scope check (the desk learns of a booking by event).
        deadline = time.monotonic() + 10
        while True:
            state = client.get(
                f"{base}/verification-states", params={"account_ids": attacker.account_id}, headers=clerk
            )
            if state.status_code == 200 or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        controls["read the state of a patient of X"] = state.status_code
        controls["validate a patient of X with their own NAM"] = client.post(
            f"{base}/identity-validations", json=_identity(attacker, attacker.nam), headers=clerk
        ).status_code

        # The finding itself: the attacker, a patient of X, validated with the victim's NAM and birth date.
        # Accepting the confirmation is allowed (the clerk may mistype); linking on it is not.
        with_victims_nam = client.post(
            f"{base}/identity-validations", json=_identity(attacker, victim.nam), headers=clerk
        ).status_code
        time.sleep(SETTLE_SECONDS)
        seen = _listed(client, attacker)
        leaked = sorted(set(victims) & seen)
        victim_told = [
            m.subject
            for m in env.mail_sink.messages()
            if victim.email in m.recipients and ("liés" in m.subject or "linked" in m.subject)
        ]
        listed_after = client.get("/api/my/appointments", headers=attacker.headers)
    got_through = [name for name, status in attempts.items() if status not in REFUSED]
    controls_ok = controls["read the state of a patient of X"] == 200 and controls[
        "validate a patient of X with their own NAM"
    ] in (200, 201)
    return {
        "passed": not got_through
        and not leaked
        and not victim_told
        and controls_ok
        and listed_after.status_code == 200,
        "attempts": attempts,
        "got_through": got_through,
        "validation_with_the_victims_nam": with_victims_nam,
        "victim_appointments_seen_by_attacker": leaked,
        "victim_told_of_a_link": victim_told,
        "controls": controls,
    }
