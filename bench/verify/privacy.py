"""Privacy: no personal data or secret in any service log of the run; nothing left once accounts are deleted."""

import re
import time
from pathlib import Path
from typing import Any

import asyncpg

from bench.verify.environment import VerifyEnvironment
from devstack.testing.fixtures import run_sync
from tests.e2e.accounts_flow import CODE, PASSWORD, traces_of

PATTERNS = {
    "nam": re.compile(r"[A-Z]{4}\d{8}"),
    "email": re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"),
    "phone": re.compile(r"(?<![\w.])(?:\+1\d{10}|\(?\d{3}\)?[ .-]\d{3}[ .-]\d{4})(?![\w.])"),
}
# Each log line's own time: its microseconds are six digits that once equalled a code sent in the run.
LOG_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?")
RESIDUE_TIMEOUT = 30.0


def _mask(value: str) -> str:
    return value[:2] + "***" + value[-2:] if len(value) > 6 else "***"


def codes_sent(env: VerifyEnvironment) -> set[str]:
    """Every one-time code the run received by email or SMS."""
    found = {match for mail in env.mail_sink.transmissions() if "code" in mail.subject.lower()
             for match in CODE.findall(mail.body)}  # fmt: skip
    found.update(match for sms in env.sms_sink.messages() for match in CODE.findall(sms.body))
    return found


def scan_logs(log_dir: Path, secrets: set[str], codes: set[str]) -> list[str]:
    """Each leak as `file:line kind masked-value`; the value itself never goes into the report."""
    leaks = []
    # A secret of digits only is a one-time code the run typed (codes.py adds them): matched as a code, standing
    # alone. As a plain substring, a six-digit code once matched inside an event id that two services logged, a
    # chance of about one in a few dozen runs.
    numeric = {secret for secret in secrets if secret.isdigit()}
    secrets, codes = secrets - numeric, codes | numeric
    # A code standing alone ("code": "493817", code=493817, "votre code : 493817"), not six digits inside an
    # id's hex (…-586875ff982f) or a number's decimals: a fresh clone's run once reported a "code" in
    # notifications.log, whose lines hold ids and timings but never a message's text.
    code_pattern = re.compile(r"(?<![\w.])(" + "|".join(sorted(codes)) + r")(?!\w)") if codes else None
    for path in sorted(log_dir.glob("*.log")):
        for number, logged in enumerate(path.read_text(errors="replace").splitlines(), start=1):
            line = LOG_TIMESTAMP.sub("", logged)
            hits = [(kind, m.group(0)) for kind, pattern in PATTERNS.items() for m in pattern.finditer(line)]
            hits += [("secret", secret) for secret in secrets if secret in line]
            if code_pattern is not None:
                hits += [("code", m.group(1)) for m in code_pattern.finditer(line)]
            leaks += [f"{path.name}:{number} {kind} {_mask(value)}" for kind, value in hits]
    return leaks


def _exercise_personal_data(env: VerifyEnvironment) -> None:
    """One citizen whose data travels everywhere: a booking, a dependant, an email change by code."""
    citizen = env.new_citizen()
    slot = env.clinics[0].catalogue.open_slot
    with env.client() as client:
        booked = client.post("/api/my/appointments", json={"slot_id": str(slot)}, headers=citizen.headers)
        assert booked.status_code == 201, booked.text
        person = {"first_name": "Zoé", "last_name": "Testeur", "birth_date": "2015-02-03", "sex": "F"}
        assert client.post("/api/me/dependants", json=person, headers=citizen.headers).status_code == 201


def delete_accounts(env: VerifyEnvironment) -> list[str]:
    needles: list[str] = []
    with env.client() as client:
        for citizen in env.citizens:
            answer = client.post("/api/me/delete", json={"password": PASSWORD}, headers=citizen.headers)
            assert answer.status_code == 204, answer.text
            needles += citizen.needles()
    return needles


def await_links_gone(env: VerifyEnvironment) -> list[str]:
    """Appointments kept by the clinic must no longer point at a deleted account."""
    ids = [citizen.account_id for citizen in env.citizens]
    linked = run_sync(_count_linked(env.database_urls["appointments"], ids))
    return [f"appointments.appointments.account_id still links {linked} appointment(s)"] if linked else []


async def _count_linked(url: str, account_ids: list[str]) -> int:
    conn = await asyncpg.connect(url.replace("+asyncpg", ""))
    try:
        return await conn.fetchval("SELECT count(*) FROM appointments WHERE account_id::text = ANY($1)", account_ids)
    finally:
        await conn.close()


def check_privacy(env: VerifyEnvironment) -> dict[str, Any]:
    _exercise_personal_data(env)
    needles = delete_accounts(env)
    # Deletion reaches the other services through events: give them the time to apply it.
    deadline = time.monotonic() + RESIDUE_TIMEOUT
    while True:
        # Nothing is exempt: an appointment stays with its clinic, the account's email and phone do not.
        residue = [place.split(" holds ")[0] for place in run_sync(traces_of(env.database_urls, needles))]
        residue += await_links_gone(env)
        if not residue or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    time.sleep(1.0)  # the last log lines of the deletion's consumers
    for name in env.stack.processes:
        env.stack.log_text(name)  # flushes
    codes = codes_sent(env)
    leaks = scan_logs(env.log_dir, env.secrets.values, codes)
    log_files = sorted(path.name for path in env.log_dir.glob("*.log"))
    return {
        "logs_scanned": log_files,
        "log_lines": sum(len(p.read_text(errors="replace").splitlines()) for p in env.log_dir.glob("*.log")),
        "secrets_searched": len(env.secrets.values) + len(codes),
        "leaks": len(leaks),
        "leak_samples": leaks[:20],
        "accounts_deleted": len(env.citizens),
        "residue": len(residue),
        "residue_places": residue,
        "passed": not leaks and not residue and bool(log_files),
    }
