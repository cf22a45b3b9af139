"""Code guesses across challenges and message bombing (issue 18, findings 5 and 6), as an attacker tries them.

- Guesses: one account's reset codes, asked for again and again, each fresh challenge bringing its own
  tries; every wrong guess the platform checks counts. It must stop checking after a small bound per
  account, and refuse even the right code once it has.
- Sign-up bombing: registrations with someone's existing address, each of which told its owner.
- Book-and-cancel bombing: bookings without an account for someone else's address, each confirmed and
  cancelled by email, with names the attacker typed.
- Spraying: bookings without an account from one client address to many mailboxes.

The bookings come from loopback addresses of their own (127.0.0.2, 127.0.0.3): the checks' load from
127.0.0.1 is exempt from the per-address limit (bench/verify/environment.py).
"""

import time
import uuid
from typing import Any

import httpx

from bench.verify.environment import VerifyEnvironment
from tests.e2e.accounts_flow import PASSWORD, code_from_mail
from tests.e2e.conftest import booking

# Beyond what a person needs, far below what an attack needs: 10 wrong codes a day per account.
MAX_WRONG_CODES_CHECKED = 10
RESET_REQUESTS = 6  # past the 5 codes an hour an account may be sent
ATTACKER_PASSWORD = "le mot de passe choisi par l'attaquant"

REGISTRATION_ATTEMPTS = 12
MAX_REGISTRATION_NOTICES = 5  # a few a day

BOOK_AND_CANCEL_ROUNDS = 12
BOOK_AND_CANCEL_SOURCE = "127.0.0.2"
MAX_BOOKING_NOTICES = 8  # the limit (6 an hour) and a message for each of 2 consumers counting at once
TYPED_FIRST_NAME, TYPED_LAST_NAME = "Gagnez", "Bitcoin-gratuit"

SPRAY_BOOKINGS = 130
SPRAY_SOURCE = "127.0.0.3"
MAX_BOOKINGS_PER_SOURCE = 120  # an hour, without an account

SETTLE_SECONDS = 3.0  # for late messages after the last request (delivery is asynchronous)


def probe(env: VerifyEnvironment) -> dict[str, Any]:
    guesses = _guesses_across_challenges(env)
    sign_ups = _registration_bombing(env)
    bookings = _book_and_cancel_bombing(env)
    spray = _spraying_from_one_address(env)
    return {
        "passed": guesses["passed"] and sign_ups["passed"] and bookings["passed"] and spray["passed"],
        "code_guesses_across_challenges": guesses,
        "registration_attempt_bombing": sign_ups,
        "book_and_cancel_bombing": bookings,
        "spraying_from_one_address": spray,
    }


def _client_from(env: VerifyEnvironment, source: str) -> httpx.Client:
    transport = httpx.HTTPTransport(local_address=source)
    return httpx.Client(base_url=env.gateway, timeout=15, transport=transport)


def _error_code(answer: httpx.Response) -> str:
    try:
        return answer.json()["errors"][0]["code"]
    except (ValueError, KeyError, IndexError, TypeError):
        return f"http_{answer.status_code}"


def _guesses_across_challenges(env: VerifyEnvironment) -> dict[str, Any]:
    victim = env.new_citizen()
    codes_already = 1  # its activation code
    checked, answers, challenges = 0, [], 0
    lockout: dict[str, Any] | None = None
    right_code_after_lockout: int | None = None
    with env.client() as client:
        for _ in range(RESET_REQUESTS):
            requested = client.post(
                "/api/password-resets", json={"identifier": victim.email, "new_password": ATTACKER_PASSWORD}
            )
            if requested.status_code != 202:
                answers.append(f"reset {requested.status_code} {_error_code(requested)}")
                break
            challenge = requested.json()["challenge_id"]
            try:
                real = code_from_mail(env.mail_sink, victim.email, already=codes_already, timeout=5)
            except AssertionError:
                answers.append("reset: no code sent (codes per hour)")
                break
            codes_already += 1
            challenges += 1
            env.secrets.add(real)
            for guess in range(1_000_000):
                candidate = f"{guess:06d}"
                if candidate == real:
                    continue
                answer = client.post(
                    f"/api/challenges/{challenge}/verify", json={"code": candidate, "purpose": "reset_password"}
                )
                code = _error_code(answer) if answer.status_code >= 400 else "accepted"
                if code == "wrong_code":
                    checked += 1
                    continue
                answers.append(f"{answer.status_code} {code}")
                if answer.status_code == 429 and code != "too_many_attempts":
                    lockout = {
                        "answer": f"{answer.status_code} {code}",
                        "retry_after": answer.headers.get("retry-after"),
                    }
                    right = client.post(
                        f"/api/challenges/{challenge}/verify", json={"code": real, "purpose": "reset_password"}
                    )
                    right_code_after_lockout = right.status_code
                break  # this challenge is spent (or everything is): ask for a fresh one
            if lockout is not None:
                break
        # Had the right code gone through, the attacker's password would now open the account.
        taken_over = client.post("/api/sessions", json={"identifier": victim.email, "password": ATTACKER_PASSWORD})
        still_theirs = client.post("/api/sessions", json={"identifier": victim.email, "password": PASSWORD})
    passed = (
        checked <= MAX_WRONG_CODES_CHECKED
        and lockout is not None
        and lockout["retry_after"] is not None
        and right_code_after_lockout is not None
        and right_code_after_lockout >= 400
        and taken_over.status_code != 200
    )
    return {
        "fresh_challenges_used": challenges,
        "wrong_codes_checked": checked,
        "limit_required": MAX_WRONG_CODES_CHECKED,
        "lockout": lockout,
        "right_code_after_lockout": right_code_after_lockout,
        "answers_ending_each_challenge": answers,
        "attacker_password_works": taken_over.status_code == 200,
        "owner_password_works": still_theirs.status_code == 200,
        "passed": passed,
    }


def _messages_to(env: VerifyEnvironment, address: str) -> list[Any]:
    return [mail for mail in env.mail_sink.messages() if address.lower() in (r.lower() for r in mail.recipients)]


def _settled_count(env: VerifyEnvironment, address: str, matching: Any) -> int:
    """Waits until no new message arrived for SETTLE_SECONDS, then counts."""
    count, stable_since = -1, time.monotonic()
    while time.monotonic() - stable_since < SETTLE_SECONDS:
        now = sum(1 for mail in _messages_to(env, address) if matching(mail))
        if now != count:
            count, stable_since = now, time.monotonic()
        time.sleep(0.1)
    return count


def _registration_bombing(env: VerifyEnvironment) -> dict[str, Any]:
    owner = env.new_citizen()
    statuses = []
    with env.client() as client:
        for n in range(REGISTRATION_ATTEMPTS):
            attempt = client.post(
                "/api/registrations",
                json={
                    "first_name": "Quelqu'un",
                    "last_name": f"D'autre{n}",
                    "birth_date": "1980-01-01",
                    "sex": "F",
                    "language": "fr",
                    "password": f"{PASSWORD} {n}",
                    # Case varies: the same mailbox for the owner, maybe not for a naive limit.
                    "email": owner.email.upper() if n % 2 else owner.email,
                },
            )
            statuses.append(attempt.status_code)

    def is_notice(mail: Any) -> bool:
        return "inscription" in mail.subject.lower() or "sign-up" in mail.subject.lower()

    received = _settled_count(env, owner.email, is_notice)
    return {
        "attempts": REGISTRATION_ATTEMPTS,
        "statuses": sorted(set(statuses)),
        "notices_received": received,
        "limit_required": MAX_REGISTRATION_NOTICES,
        "passed": received <= MAX_REGISTRATION_NOTICES,
    }


def _book_and_cancel_bombing(env: VerifyEnvironment) -> dict[str, Any]:
    victim = f"bombed.{uuid.uuid4().hex[:10]}@example.org"
    slot = env.clinics[0].catalogue.open_slot
    booked = cancelled = 0
    refusals: list[str] = []
    with _client_from(env, BOOK_AND_CANCEL_SOURCE) as client:
        for _ in range(BOOK_AND_CANCEL_ROUNDS):
            body = booking(slot, email=victim, first_name=TYPED_FIRST_NAME, last_name=TYPED_LAST_NAME)
            made = client.post("/api/appointments", json=body)
            if made.status_code != 201:
                refusals.append(f"book {made.status_code} {_error_code(made)}")
                continue
            booked += 1
            appointment = made.json()
            env.secrets.add(appointment["manage_token"])
            gone = client.post(
                f"/api/appointments/{appointment['id']}/cancel", json={"token": appointment["manage_token"]}
            )
            if gone.status_code == 200:
                cancelled += 1
            else:
                refusals.append(f"cancel {gone.status_code} {_error_code(gone)}")
    received = _settled_count(env, victim, lambda mail: True)
    carrying_typed_text = [
        mail.subject
        for mail in _messages_to(env, victim)
        if TYPED_FIRST_NAME in mail.subject + mail.body or TYPED_LAST_NAME in mail.subject + mail.body
    ]
    return {
        "rounds": BOOK_AND_CANCEL_ROUNDS,
        "booked": booked,
        "cancelled": cancelled,
        "refusals": sorted(set(refusals)),
        "messages_received": received,
        "limit_required": MAX_BOOKING_NOTICES,
        "messages_with_typed_names": len(carrying_typed_text),
        "passed": received <= MAX_BOOKING_NOTICES and not carrying_typed_text,
    }


def _spraying_from_one_address(env: VerifyEnvironment) -> dict[str, Any]:
    run = uuid.uuid4().hex[:8]
    mailboxes = [f"sprayed.{run}.{n}@example.org" for n in range(SPRAY_BOOKINGS)]
    slot = env.clinics[1].catalogue.open_slot
    statuses: list[str] = []
    with _client_from(env, SPRAY_SOURCE) as client:
        for mailbox in mailboxes:
            made = client.post("/api/appointments", json=booking(slot, email=mailbox))
            statuses.append(f"{made.status_code} {_error_code(made)}" if made.status_code >= 400 else "201")
            if made.status_code == 201:
                env.secrets.add(made.json()["manage_token"])
    accepted = statuses.count("201")
    refused = [status for status in statuses if status != "201"]
    refused_with_429 = refused and refused[0].startswith("429")
    return {
        "bookings_tried": SPRAY_BOOKINGS,
        "accepted": accepted,
        "limit_required": MAX_BOOKINGS_PER_SOURCE,
        "refusals": sorted(set(refused)),
        "passed": accepted <= MAX_BOOKINGS_PER_SOURCE and bool(refused_with_429),
    }
