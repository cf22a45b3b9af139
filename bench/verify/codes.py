"""Brute force of a 6-digit code: the challenge must lock after its small try limit, even for the right code."""

import uuid
from typing import Any

from bench.verify.environment import VerifyEnvironment
from tests.e2e.accounts_flow import code_from_mail, register, verify

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
        # The try budget belongs to the chain of codes: a fresh code sent after the lockout stays locked.
        resent = client.post(f"/api/codes/{challenge}/resend")
        if resent.status_code == 202:
            fresh = code_from_mail(env.mail_sink, email, already=1)
            env.secrets.add(fresh)
            right_after_resend = verify(client, resent.json()["challenge_id"], fresh, "activate_account")
        else:
            right_after_resend = resent
    refused_after = [right_after_lock.status_code, right_after_resend.status_code]
    passed = (
        locked_by is not None
        and wrong_answers <= MAX_ACCEPTABLE_GUESSES
        and all(status >= 400 for status in refused_after)
        and 200 not in statuses
    )
    return {
        "max_guesses_before_lockout": wrong_answers,
        "guesses_sent": len(statuses),
        "lockout_answer": locked_by,
        "right_code_after_lockout": right_after_lock.status_code,
        "resend_after_lockout": resent.status_code,
        "right_code_after_resend": right_after_resend.status_code,
        "limit_required": MAX_ACCEPTABLE_GUESSES,
        "passed": passed,
    }
