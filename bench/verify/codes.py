"""Brute force of a 6-digit code: the challenge must lock after its small try limit, even for the right code. The
same for a staff member's second factor (TOTP), with the password known: a new challenge (signing in again with
the password) must not give new tries, and the right code right after must be refused."""

import uuid
from typing import Any

from bench.verify.environment import VerifyEnvironment
from devstack.testing.fixtures import run_sync
from tests.e2e.accounts_flow import code_from_mail, register, verify
from tests.e2e.clinic_staff import STAFF_PASSWORD, add_staff, code_at, current_code, current_step, totp_secret_for

GUESS_BUDGET = 200  # bounded: far above any sane try limit, far below the million codes
MAX_ACCEPTABLE_GUESSES = 10


def check_codes(env: VerifyEnvironment) -> dict[str, Any]:
    email = f"brute.force.{uuid.uuid4().hex[:10]}@example.org"
    with env.client() as client:
        registration = register(client, email=email)
        challenge = registration["challenge_id"]
        real_code = code_from_mail(env.mail_sink, email)
        env.secrets.add(email, real_code)
        wrong_answers, statuses = 0, []
        locked_by = None
        for guess in range(GUESS_BUDGET):
            candidate = f"{guess:06d}"
            if candidate == real_code:
                continue
            answer = verify(client, challenge, candidate, "activate_account")
            statuses.append(answer.status_code)
            code = answer.json()["errors"][0]["code"] if answer.status_code >= 400 else "accepted"
            if code == "wrong_code":
                wrong_answers += 1
                continue
            locked_by = f"{answer.status_code} {code}"
            break
        right_after_lock = verify(client, challenge, real_code, "activate_account")
        # The try budget belongs to the chain of codes: a resend right after the lockout sends no code. It is refused
        # with when to come back (429 resend_too_soon, Retry-After) once accounts heard verification's CodeLocked;
        # in the milliseconds before, accepted but withheld by verification. Any code that came is refused too.
        resent = client.post(f"/api/codes/{challenge}/resend")
        code_sent_after_lockout = False
        if resent.status_code == 202:
            try:
                fresh = code_from_mail(env.mail_sink, email, already=1, timeout=3)
                code_sent_after_lockout = True
                env.secrets.add(fresh)
            except AssertionError:
                fresh = real_code  # none came: the new challenge is tried with the code the attacker saw
            right_after_resend = verify(client, resent.json()["challenge_id"], fresh, "activate_account")
        else:
            right_after_resend = resent
    staff_totp = _staff_totp(env)
    refused_after = [right_after_lock.status_code, right_after_resend.status_code]
    passed = (
        locked_by is not None
        and wrong_answers <= MAX_ACCEPTABLE_GUESSES
        and all(status >= 400 for status in refused_after)
        and 200 not in statuses
        and not code_sent_after_lockout
        and staff_totp["passed"]
    )
    return {
        "max_guesses_before_lockout": wrong_answers,
        "guesses_sent": len(statuses),
        "lockout_answer": locked_by,
        "right_code_after_lockout": right_after_lock.status_code,
        "resend_after_lockout": resent.status_code,
        "resend_retry_after": resent.headers.get("retry-after"),
        "code_sent_after_lockout": code_sent_after_lockout,
        "right_code_after_resend": right_after_resend.status_code,
        "limit_required": MAX_ACCEPTABLE_GUESSES,
        "staff_totp": staff_totp,
        "passed": passed,
    }


def _staff_totp(env: VerifyEnvironment) -> dict[str, Any]:
    email = f"totp.brute.force.{uuid.uuid4().hex[:10]}@clinique.example"
    run_sync(add_staff(env.database_urls["accounts"], env.clinics[0].catalogue.establishment_id, email, "clerk"))
    wrong_answers, challenges, statuses = 0, 0, []
    locked_by = None
    with env.client() as client:
        challenge = None
        for guess in range(GUESS_BUDGET):
            if challenge is None:
                signed = client.post("/api/staff/sessions", json={"email": email, "password": STAFF_PASSWORD})
                if signed.status_code != 200:
                    locked_by = f"{signed.status_code} at the password"
                    break
                challenge, challenges = signed.json()["challenge"], challenges + 1
            candidate = f"{guess:06d}"
            now = current_step()
            if candidate in {code_at(totp_secret_for(email), step) for step in (now - 1, now, now + 1)}:
                continue  # a code the window accepts
            answer = client.post("/api/staff/sessions/totp", json={"challenge": challenge, "code": candidate})
            statuses.append(answer.status_code)
            code = answer.json()["errors"][0]["code"] if answer.status_code >= 400 else "accepted"
            if code == "wrong_code":
                wrong_answers += 1
            elif code == "factor_challenge_expired":
                wrong_answers += 1  # the wrong code that ended the challenge was checked too
                challenge = None
            else:
                locked_by = f"{answer.status_code} {code}"
                break
        fresh = client.post("/api/staff/sessions", json={"email": email, "password": STAFF_PASSWORD})
        right_after = fresh
        if fresh.status_code == 200:
            right = {"challenge": fresh.json()["challenge"], "code": current_code(email)}
            right_after = client.post("/api/staff/sessions/totp", json=right)
    passed = (
        locked_by is not None
        and wrong_answers <= MAX_ACCEPTABLE_GUESSES
        and right_after.status_code >= 400
        and 200 not in statuses
    )
    return {
        "max_guesses_before_lockout": wrong_answers,
        "challenges_opened": challenges,
        "lockout_answer": locked_by,
        "right_code_after_lockout": right_after.status_code,
        "limit_required": MAX_ACCEPTABLE_GUESSES,
        "passed": passed,
    }
