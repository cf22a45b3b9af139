"""SIGTERM during load, as an orchestrator stops a pod: the process stops taking work, finishes what
it holds (HTTP requests, delivered messages, the email being sent), flushes its outbox, exits 0 within
its grace period, and nothing is lost or repeated.

Bookings keep coming through both gateways while first an appointments process, then a notifications
process, is stopped and started again. A client whose request was refused (the gateway's 503 while
its appointments replica is down, or a dropped connection) retries it with the same Idempotency-Key.
"""

import asyncio
import json
import signal
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp

from devstack.mail_sink import MailSink
from devstack.supervisor import Supervisor
from devstack.testing.fixtures import REPLICA_HTTP_GRACE_SECONDS, REPLICA_SHUTDOWN_GRACE_SECONDS
from tests.replicas.arrange import fetch, open_clinic, unpublished_events
from tests.replicas.load import LoadReport, ReplicaClient, patient_email

# The process's whole grace period: uvicorn's HTTP drain, then the service's own shutdown.
GRACE_SECONDS = REPLICA_HTTP_GRACE_SECONDS + REPLICA_SHUTDOWN_GRACE_SECONDS
# Uvicorn, once its graceful shutdown is done, raises the signal it caught again so that the parent
# sees how it ended: "terminated by SIGTERM" (-15 from Popen) is then the clean outcome, as it is for
# systemd and Kubernetes. A forced end would be -9 (SIGKILL at the timeout) and a crash a positive code;
# that the shutdown hooks ran is checked in the service's own log.
CLEAN_EXIT_CODES = (0, -signal.SIGTERM)
STREAM_CONCURRENCY = 8
# Each lane waits this long between bookings: a steady load, not a surge that would fill every seat while a
# process restarts (a niced notifications process starts slowly on 2 busy cores).
LANE_PAUSE_SECONDS = 0.02
BOOKINGS_BEFORE_EACH_STOP = 40
SEATS_PER_SLOT = 2000


class BookingStream:
    """Bookings one after another on a few lanes until told to stop."""

    def __init__(self, system: Supervisor, slots: list[uuid.UUID], run: str) -> None:
        self.report = LoadReport()
        self._system, self._slots, self._run = system, slots, run
        self._stop = asyncio.Event()
        self._next = 0

    async def run(self) -> None:
        gateways = [self._system.config.url(name) for name in self._system.config.instances("gateway")]
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
            client = ReplicaClient(session, gateways, self.report, deadline=time.monotonic() + 180)
            await asyncio.gather(*(self._lane(client) for _ in range(STREAM_CONCURRENCY)))

    async def _lane(self, client: ReplicaClient) -> None:
        while not self._stop.is_set():
            index, self._next = self._next, self._next + 1
            await client.book(index, self._slots[index % len(self._slots)], patient_email(self._run, index))
            await asyncio.sleep(LANE_PAUSE_SECONDS)

    async def wait_for(self, bookings: int, load: asyncio.Task[None], timeout: float = 60) -> None:
        """Until `bookings` are done; fails at once if the stream itself failed (then it says why)."""
        deadline = time.monotonic() + timeout
        while len(self.report.booked) < bookings:
            if load.done():
                await load
                raise AssertionError("the booking stream ended early")
            assert time.monotonic() < deadline, f"only {len(self.report.booked)} of {bookings} bookings done"
            await asyncio.sleep(0.05)

    def stop(self) -> None:
        self._stop.set()


def shutdown_records(system: Supervisor, name: str) -> list[dict[str, Any]]:
    """The service's own account of each shutdown so far (its `service_stopped` log lines)."""
    lines = system.log_text(name).splitlines()
    return [json.loads(line) for line in lines if '"event": "service_stopped"' in line]


async def stop_and_restart(system: Supervisor, name: str) -> tuple[int | None, float, dict[str, Any]]:
    earlier = len(shutdown_records(system, name))
    code, seconds = await asyncio.to_thread(system.terminate, name, GRACE_SECONDS + 5)
    records = shutdown_records(system, name)
    assert len(records) > earlier, f"{name} logged no service_stopped: its shutdown hooks did not run"
    await asyncio.to_thread(system.restart, name, 90)
    return code, seconds, records[-1]


def confirmations(mail_sink: MailSink, run: str) -> list[str]:
    """Recipient of every confirmation this run sent, one entry per SMTP transaction."""
    return [
        recipient
        for mail in mail_sink.transmissions()
        if mail.subject.startswith("Rendez-vous confirmé")
        for recipient in mail.recipients
        if f".{run}." in recipient
    ]


async def test_sigterm_under_load_loses_nothing_and_exits_within_the_grace_period(
    replicas: Supervisor, mail_sink: MailSink
):
    urls = replicas.config.database_urls
    run = uuid.uuid4().hex[:8]
    clinic = await open_clinic(
        urls["appointments"], datetime.now(UTC) + timedelta(days=3), slots=4, capacity=SEATS_PER_SLOT
    )
    stream = BookingStream(replicas, clinic.slots, run)
    load = asyncio.create_task(stream.run())
    stops = {}
    try:
        for name in ("appointments", "notifications"):
            await stream.wait_for(len(stream.report.booked) + BOOKINGS_BEFORE_EACH_STOP, load)
            stops[name] = await stop_and_restart(replicas, name)
        await stream.wait_for(len(stream.report.booked) + BOOKINGS_BEFORE_EACH_STOP, load)
    finally:
        stream.stop()
        await load

    for name, (code, seconds, record) in stops.items():
        assert code in CLEAN_EXIT_CODES, f"{name} exited with {code} after SIGTERM"
        assert seconds <= GRACE_SECONDS, f"{name} took {seconds:.1f} s to stop (grace {GRACE_SECONDS} s)"
        assert record["messages_drained"], f"{name} stopped with messages still in hand"
        assert record["outbox_flushed"], f"{name} stopped before its outbox was flushed"

    # Every booking the clients were told about exists once, and nothing exists they were not told about.
    booked_ids = {answer["id"] for answer in stream.report.booked.values()}
    stored = await fetch(urls["appointments"], "SELECT id FROM appointments")
    assert {str(row["id"]) for row in stored} == booked_ids

    # Exactly one confirmation per booking, counting SMTP transactions (a repeat would show here).
    deadline = time.monotonic() + 60
    while len(set(confirmations(mail_sink, run))) < len(booked_ids) and time.monotonic() < deadline:
        await asyncio.sleep(0.25)
    await asyncio.sleep(2)  # a repeat, if any, would arrive now
    sent = confirmations(mail_sink, run)
    assert sorted(sent) == sorted(stream.report.booked), "missing or repeated confirmations"
    assert await unpublished_events(urls) == {service: 0 for service in urls}
    print(
        f"\n{len(booked_ids)} bookings during two SIGTERMs; exits: "
        + ", ".join(f"{name} code {code} in {seconds:.1f} s" for name, (code, seconds, _) in stops.items())
        + f"; attempts retried: {dict(stream.report.retried)}; idempotent replays: {stream.report.replays}"
    )
