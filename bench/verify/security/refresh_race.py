"""A stolen refresh token presented at the same moment as the citizen's copy (issue 18 follow-up to finding 9).

Reuse detection must hold when both copies arrive together, not only one after the other: the refresh used to
read the token's row before waiting for its family's lock, so parallel presentations all saw it unused, each
got a new pair of tokens and the family forked with nothing detected. For a few fresh logins, this presents
one refresh token from several connections at once; allowed: at most one new pair, and the family must end
(every pair it gave refused, its login's access token refused within a few seconds).
"""

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from bench.verify.environment import VerifyEnvironment
from tests.e2e.accounts_flow import PASSWORD

ROUNDS = 5
AT_ONCE = 8
# Within this, an access token of an ended session must be refused (the event's trip from accounts' outbox).
REFUSAL_SECONDS = 3.0


def probe(env: VerifyEnvironment) -> dict[str, Any]:
    citizen = env.new_citizen()
    rounds = [_round(env, citizen.email) for _ in range(ROUNDS)]
    failed = [r for r in rounds if r["pairs_granted"] > 1 or r["got_through"]]
    return {
        "passed": not failed,
        "tried": f"{ROUNDS} logins, each refresh token presented {AT_ONCE} times at once",
        "rounds": rounds,
        "got_through": failed,
    }


def _round(env: VerifyEnvironment, email: str) -> dict[str, Any]:
    with env.client() as client:
        login = client.post("/api/sessions", json={"identifier": email, "password": PASSWORD})
        assert login.status_code == 200, f"login: {login.status_code}"
        tokens = login.json()
        env.secrets.add(tokens["refresh_token"], tokens["access_token"])
        answers = _at_once(env, tokens["refresh_token"])
        granted = [a.json() for a in answers if a.status_code == 200]
        for pair in granted:
            env.secrets.add(pair["refresh_token"], pair["access_token"])
        got_through: list[dict[str, Any]] = []
        for pair in granted:
            status = client.post("/api/sessions/refresh", json={"refresh_token": pair["refresh_token"]}).status_code
            if status != 401:
                got_through.append({"token": "refresh a parallel use got", "status": status})
            if not _refused_in_time(client, pair["access_token"]):
                got_through.append({"token": "access a parallel use got"})
        if not _refused_in_time(client, tokens["access_token"]):
            got_through.append({"token": "the login's access token (family not ended)"})
    return {
        "statuses": sorted(a.status_code for a in answers),
        "pairs_granted": len(granted),
        "got_through": got_through,
    }


def _at_once(env: VerifyEnvironment, refresh_token: str) -> list[httpx.Response]:
    clients = [env.client() for _ in range(AT_ONCE)]
    for client in clients:  # connections open before the start, so the requests leave together
        client.get("/api/me")
    start = threading.Barrier(AT_ONCE)

    def present(client: httpx.Client) -> httpx.Response:
        start.wait()
        return client.post("/api/sessions/refresh", json={"refresh_token": refresh_token})

    try:
        with ThreadPoolExecutor(max_workers=AT_ONCE) as pool:
            return list(pool.map(present, clients))
    finally:
        for client in clients:
            client.close()


def _refused_in_time(client: httpx.Client, access_token: str) -> bool:
    bearer = {"authorization": f"Bearer {access_token}"}
    began = time.monotonic()
    while time.monotonic() - began <= REFUSAL_SECONDS:
        if client.get("/api/me", headers=bearer).status_code == 401:
            return True
        time.sleep(0.05)
    return False
