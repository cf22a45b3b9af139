"""The waitlist's offer matcher in two replicas of every service (issue 22, item 1, "Must show"): 50 booked
seats cancelled at once, through both gateways, against 200 people waiting; each offer accepted, declined or
left to expire as it arrives, until the line settles. Every seat is held for one person at a time and booked
at most once, never oversold; every accepted offer is exactly one appointment, confirmed by e-mail; and both
appointments replicas made offers.

What is checked while it runs: a watcher reads, many times a second and each time in one snapshot, every
slot's counter against what holds its seats. The matcher's invariant (waitlist/queries.py, LINE_WITH_SEATS) is that
a slot's `booked` is exactly its live appointments plus its open offers; a seat held twice, or held and
booked, or an offer whose seat was never counted, would break that equality in some snapshot.
"""

import asyncio
import time
import uuid
from datetime import datetime, timedelta
from datetime import time as clock_time
from zoneinfo import ZoneInfo

import aiohttp
import asyncpg

from devstack.mail_sink import MailSink
from devstack.supervisor import Supervisor, stack_setting
from services.appointments.waitlist.rules import link_token
from tests.replicas.arrange import fetch, open_clinic, plain_dsn, unpublished_events
from tests.replicas.conftest import log_count
from tests.replicas.load import LoadReport, ReplicaClient

MONTREAL = ZoneInfo("America/Montreal")
SEATS = 50  # 50 slots of one seat, from 09:00 to 21:30 tomorrow: mornings, afternoons and evenings
WAITING = 200
CONCURRENCY = 24
SETTLE_SECONDS = 45
# By the person's number: most accept their offer, some decline it, some let it expire.
DECLINES, LETS_EXPIRE = 0, 1  # index % 10
TIMES = (["morning", "afternoon", "evening"], ["morning"], ["afternoon"], ["evening", "afternoon"])

# Per slot in one snapshot: booked must equal live appointments + open offers, and never exceed capacity.
SEATS_ACCOUNTED = """
SELECT s.id, s.booked, s.capacity,
       (SELECT count(*) FROM appointments a WHERE a.slot_id = s.id AND a.status = 'booked') AS live,
       (SELECT count(*) FROM waitlist_offers o WHERE o.slot_id = s.id AND o.status = 'open') AS held
FROM slots s WHERE s.service_id = $1
"""


class Watcher:
    """Samples SEATS_ACCOUNTED until stopped; keeps every row that broke it."""

    def __init__(self, url: str, service_id: uuid.UUID) -> None:
        self.url, self.service_id = url, service_id
        self.samples = 0
        self.broken: list[dict[str, object]] = []
        self.most_held_at_once = 0
        self._stop = asyncio.Event()

    async def run(self) -> None:
        conn = await asyncpg.connect(plain_dsn(self.url))
        try:
            while not self._stop.is_set():
                rows = await conn.fetch(SEATS_ACCOUNTED, self.service_id)
                self.samples += 1
                self.most_held_at_once = max(self.most_held_at_once, sum(r["held"] for r in rows))
                self.broken += [
                    dict(r) for r in rows if r["booked"] != r["live"] + r["held"] or r["booked"] > r["capacity"]
                ]
                await asyncio.sleep(0.02)
        finally:
            await conn.close()

    def stop(self) -> None:
        self._stop.set()


def person_email(run: str, index: int) -> str:
    return f"attente.{run}.{index}@example.org"


def index_of(email: str) -> int:
    return int(email.split(".")[2].split("@")[0])


async def join_all(gateways: list[str], clinic_day: str, service_id: uuid.UUID, establishment_id: uuid.UUID, run: str):
    semaphore = asyncio.Semaphore(CONCURRENCY)
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:

        async def one(index: int) -> None:
            body = {
                "establishment_id": str(establishment_id),
                "service_id": str(service_id),
                "from_date": clinic_day,
                "to_date": clinic_day,
                "times_of_day": TIMES[index % len(TIMES)],
                "first_name": "Attente",
                "last_name": f"Personne{index}",
                "birth_date": "1980-01-01",
                "email": person_email(run, index),
            }
            async with (
                semaphore,
                session.post(
                    gateways[index % 2] + "/api/waitlist", json=body, headers={"Idempotency-Key": f"{run}-{index}"}
                ) as answer,
            ):
                assert answer.status == 201, await answer.text()

        await asyncio.gather(*(one(i) for i in range(WAITING)))


async def test_two_replicas_offer_each_freed_seat_to_one_person_at_a_time_and_book_it_once(
    replicas: Supervisor, mail_sink: MailSink
):
    urls = replicas.config.database_urls
    gateways = [replicas.config.url(name) for name in replicas.config.instances("gateway")]
    secret = (stack_setting(urls["accounts"], "APPOINTMENTS_SECRET_KEY") or "").encode()
    assert secret, "the replicated stack's appointments secret (offer links are derived from it)"
    run = uuid.uuid4().hex[:8]
    tomorrow = datetime.now(MONTREAL).date() + timedelta(days=1)
    clinic = await open_clinic(urls["appointments"], datetime.combine(tomorrow, clock_time(9), MONTREAL), SEATS, 1)
    establishment_id = (await fetch(urls["appointments"], "SELECT id FROM establishments"))[0]["id"]
    offered_before = log_count(replicas, "appointments", "waitlist_seat_offered")

    # Every seat booked, then 200 people join the line (no seat is free: nobody is offered anything).
    report = LoadReport()
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
        client = ReplicaClient(session, gateways, report, deadline=time.monotonic() + 60)
        booked = await asyncio.gather(
            *(client.book(i, slot, f"occupant.{run}.{i}@example.org") for i, slot in enumerate(clinic.slots))
        )
        await join_all(gateways, tomorrow.isoformat(), clinic.service_id, establishment_id, run)
        assert (await fetch(urls["appointments"], "SELECT count(*) AS n FROM waitlist_offers"))[0]["n"] == 0

        watcher = Watcher(urls["appointments"], clinic.service_id)
        watching = asyncio.create_task(watcher.run())
        started = time.monotonic()
        semaphore = asyncio.Semaphore(CONCURRENCY)

        async def cancel(index: int, appointment: dict[str, object]) -> None:
            async with semaphore:
                await client.cancel(index, appointment)

        # The 50 seats freed at once, through both gateways and both appointments replicas.
        await asyncio.gather(*(cancel(i, appointment) for i, appointment in enumerate(booked)))
        outcomes = await settle(urls["appointments"], gateways, secret, session)
        settle_seconds = time.monotonic() - started
        watcher.stop()
        await watching

    # Never a seat held twice, nor held and booked, nor oversold, in any snapshot of the run.
    assert watcher.broken == [], watcher.broken[:5]
    assert watcher.samples > 20
    assert watcher.most_held_at_once <= SEATS
    seats = await fetch(urls["appointments"], SEATS_ACCOUNTED, clinic.service_id)
    assert [(r["booked"], r["live"], r["held"]) for r in seats] == [(1, 1, 0)] * SEATS  # every seat re-booked, once

    # The offers' history: per slot, at most one accepted; never one slot twice to one person; every accepted
    # offer is one appointment of its own, on its slot, for its person.
    offers = await fetch(
        urls["appointments"],
        """SELECT o.id, o.slot_id, o.entry_id, o.status, o.appointment_id, w.email AS waiting_email,
                  a.slot_id AS booked_slot, a.email AS booked_email, a.status AS appointment_status
           FROM waitlist_offers o JOIN waitlist_entries w ON w.id = o.entry_id
           LEFT JOIN appointments a ON a.id = o.appointment_id""",
    )
    accepted = [o for o in offers if o["status"] == "accepted"]
    assert len(accepted) == SEATS
    assert len({o["slot_id"] for o in accepted}) == SEATS
    assert len({o["appointment_id"] for o in accepted}) == SEATS
    assert all(
        (o["booked_slot"], o["booked_email"], o["appointment_status"]) == (o["slot_id"], o["waiting_email"], "booked")
        for o in accepted
    )
    assert len({(o["entry_id"], o["slot_id"]) for o in offers}) == len(offers)
    assert {o["status"] for o in offers} <= {"accepted", "declined", "expired"}
    assert outcomes["declined"] > 0
    assert outcomes["expired"] > 0
    appointments_on_slots = await fetch(
        urls["appointments"],
        "SELECT count(*) AS n FROM appointments WHERE slot_id = ANY($1::uuid[]) AND status = 'booked'",
        clinic.slots,
    )
    assert appointments_on_slots[0]["n"] == SEATS
    entries = await fetch(urls["appointments"], "SELECT status, count(*) AS n FROM waitlist_entries GROUP BY status")
    by_status = {r["status"]: r["n"] for r in entries}
    # Someone who lets two offers run out leaves the line (rules.MAX_UNANSWERED_OFFERS); everyone else not booked
    # is still waiting.
    assert by_status.pop("booked") == SEATS
    assert by_status.get("waiting", 0) + by_status.get("ended", 0) == WAITING - SEATS, by_status
    assert set(by_status) <= {"waiting", "ended"}, by_status
    ended = await fetch(
        urls["appointments"],
        """SELECT w.ended_reason, count(o.id) FILTER (WHERE o.status = 'expired') AS expired
           FROM waitlist_entries w LEFT JOIN waitlist_offers o ON o.entry_id = w.id
           WHERE w.status = 'ended' GROUP BY w.id, w.ended_reason""",
    )
    assert all((r["ended_reason"], r["expired"]) == ("offers_unanswered", 2) for r in ended), ended

    # Accepting booked as any booking does: AppointmentBooked went out and its confirmation was sent, once each.
    accepted_emails = {o["waiting_email"] for o in accepted}
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not accepted_emails <= confirmed(mail_sink, run):
        await asyncio.sleep(0.25)
    assert accepted_emails <= confirmed(mail_sink, run)
    await asyncio.sleep(1)
    assert [r for r, n in confirmations_per_recipient(mail_sink, run).items() if n != 1] == []
    assert await unpublished_events(urls) == {service: 0 for service in urls}

    # Both replicas' matchers made offers (else this would test one process twice).
    offered = log_count(replicas, "appointments", "waitlist_seat_offered")
    per_replica = {name: offered[name] - offered_before[name] for name in offered}
    assert all(n > 0 for n in per_replica.values()), per_replica
    assert sum(per_replica.values()) == len(offers)
    print(
        f"\n{SEATS} seats freed against {WAITING} waiting settled in {settle_seconds:.1f} s: {len(offers)} offers"
        f" ({outcomes}), per replica {per_replica}; {watcher.samples} snapshots checked,"
        f" at most {watcher.most_held_at_once} seats held at once"
    )


async def settle(url: str, gateways: list[str], secret: bytes, session: aiohttp.ClientSession) -> dict[str, int]:
    """Acts on each offer as it appears, as its person would with the link from the message (the link's token is
    derived from the appointments' secret, as the message's is): accept, decline, or let it expire (its expiry is
    aged in the database and the matchers woken, as their poll would within poll_seconds). Returns when every
    seat is booked and no offer is open."""
    outcomes = {"accepted": 0, "declined": 0, "expired": 0}
    handled: set[uuid.UUID] = set()
    conn = await asyncpg.connect(plain_dsn(url))
    deadline = time.monotonic() + SETTLE_SECONDS
    try:
        while True:
            assert time.monotonic() < deadline, f"the line did not settle in {SETTLE_SECONDS} s: {outcomes}"
            open_offers = await conn.fetch(
                "SELECT o.id, w.email FROM waitlist_offers o JOIN waitlist_entries w ON w.id = o.entry_id "
                "WHERE o.status = 'open'"
            )
            new = [o for o in open_offers if o["id"] not in handled]
            if not open_offers and outcomes["accepted"] == SEATS:
                return outcomes
            expiring = []
            acts = []
            for n, offer in enumerate(new):
                handled.add(offer["id"])
                token = link_token(secret, "offer", offer["id"])
                choice = index_of(offer["email"]) % 10
                gateway = gateways[n % 2]
                if choice == LETS_EXPIRE:
                    expiring.append(offer["id"])
                    outcomes["expired"] += 1
                elif choice == DECLINES:
                    acts.append(act(session, gateway, offer["id"], "decline", token, 200))
                    outcomes["declined"] += 1
                else:
                    acts.append(act(session, gateway, offer["id"], "accept", token, 201))
                    outcomes["accepted"] += 1
            await asyncio.gather(*acts)
            if expiring:
                await conn.execute(
                    "UPDATE waitlist_offers SET expires_at = now() - interval '1 second' WHERE id = ANY($1::uuid[])",
                    expiring,
                )
                await conn.execute("SELECT pg_notify('waitlist_seats', '')")
            await asyncio.sleep(0.05)
    finally:
        await conn.close()


async def act(session: aiohttp.ClientSession, gateway: str, offer_id: uuid.UUID, verb: str, token: str, status: int):
    path = f"{gateway}/api/waitlist/offers/{offer_id}/{verb}"
    async with session.post(path, json={"token": token}, headers={"Idempotency-Key": f"{verb}-{offer_id}"}) as answer:
        assert answer.status == status, f"{verb} {offer_id}: {answer.status} {await answer.text()}"


def confirmations_per_recipient(mail_sink: MailSink, run: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for mail in mail_sink.transmissions():
        if mail.subject.startswith("Rendez-vous confirmé"):
            for recipient in mail.recipients:
                if recipient.startswith(f"attente.{run}."):
                    counts[recipient] = counts.get(recipient, 0) + 1
    return counts


def confirmed(mail_sink: MailSink, run: str) -> set[str]:
    return set(confirmations_per_recipient(mail_sink, run))
