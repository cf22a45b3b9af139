"""No event stranded (issue 23): after an acceptance journey that raises every kind of event, those no service
consumes included (AccountRegistered, DependantAdded, PatientArrived, AppointmentCompleted, NoShowRecorded), no
outbox keeps a row unpublished: every database's outbox drains within the minute, and each service's /metrics
says the same. The events nobody binds are in the stack's `unrouted` queue."""

import time
from collections.abc import Callable

import aio_pika
import asyncpg
import httpx
from prometheus_client.parser import text_string_to_metric_families

from devstack.mail_sink import MailSink
from devstack.supervisor import Supervisor
from devstack.testing.fixtures import run_sync
from shared.bus import unrouted_names
from shared.contracts.accounts import AccountRegistered, DependantAdded
from shared.contracts.appointments import (
    AppointmentBooked,
    AppointmentCancelled,
    AppointmentCompleted,
    NoShowRecorded,
    PatientArrived,
)
from shared.metrics import OUTBOX_BACKLOG, OUTBOX_OLDEST_AGE
from tests.e2e.accounts_flow import active_account
from tests.e2e.clinic_staff import add_staff, staff_auth
from tests.e2e.conftest import Catalogue, booking

SERVICES = ("accounts", "appointments", "verification", "notifications")
# Nobody consumed these before the alternate exchange: the broker returned them and they stayed in the outbox.
UNBOUND = {
    AccountRegistered.routing_key(),
    DependantAdded.routing_key(),
    PatientArrived.routing_key(),
    AppointmentCompleted.routing_key(),
    NoShowRecorded.routing_key(),
}
QUIET_MINUTE = 60.0


async def _outbox(url: str) -> tuple[list[asyncpg.Record], set[str]]:
    """The unpublished rows, and the routing keys published."""
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://", 1))
    try:
        waiting = await conn.fetch(
            "SELECT routing_key, attempts, extract(epoch FROM now() - created_at) AS age "
            "FROM outbox WHERE published_at IS NULL"
        )
        published = await conn.fetch("SELECT DISTINCT routing_key FROM outbox WHERE published_at IS NOT NULL")
        return waiting, {row["routing_key"] for row in published}
    finally:
        await conn.close()


async def _drain_unrouted(amqp_url: str, namespace: str) -> list[str]:
    connection = await aio_pika.connect(amqp_url)
    try:
        channel = await connection.channel()
        queue = await channel.get_queue(unrouted_names(namespace)[1])
        keys = []
        while (message := await queue.get(fail=False)) is not None:
            keys.append(message.routing_key or "")
            await message.ack()
        return keys
    finally:
        await connection.close()


def _eventually(probe: Callable[[], bool], timeout: float, what: Callable[[], str]) -> None:
    deadline = time.monotonic() + timeout
    while not probe():
        assert time.monotonic() < deadline, what()
        time.sleep(0.5)


def scrape_value(metrics_url: str, name: str, **labels: str) -> float | None:
    """The sample's value on a process's /metrics, None when the series is not there."""
    text = httpx.get(f"{metrics_url}/metrics", timeout=10).text
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return sample.value
    return None


def test_after_the_acceptance_journey_no_outbox_keeps_an_event(
    system: Supervisor, catalogue: Catalogue, mail_sink: MailSink
) -> None:
    urls = system.config.database_urls
    namespace = system.config.bus_namespace
    run_sync(_drain_unrouted(system.config.amqp_url, namespace))  # what earlier tests left there
    run_sync(add_staff(urls["accounts"], catalogue.establishment_id, "stranded.clerk@example.org", "clerk"))
    with httpx.Client(base_url=system.config.url("gateway"), timeout=10) as client:
        citizen = active_account(client, mail_sink, "stranded.citizen@example.org")
        child = client.post(
            "/api/me/dependants",
            json={"first_name": "Léo", "last_name": "Testeur", "birth_date": "2016-03-04", "sex": "M"},
            headers=citizen,
        )
        assert child.status_code == 201, child.text
        for_child = client.post(
            "/api/my/appointments",
            json={"slot_id": str(catalogue.open_slot), "person_id": child.json()["id"]},
            headers=citizen,
        )
        assert for_child.status_code == 201, for_child.text
        attended, missed = (
            client.post("/api/appointments", json=booking(catalogue.open_slot)).json()["id"] for _ in range(2)
        )
        clerk = staff_auth(client, "stranded.clerk@example.org")
        front_desk = f"/api/admin/establishments/{catalogue.establishment_id}/appointments"
        for path in (f"{attended}/arrived", f"{attended}/fulfilled", f"{missed}/noshow"):
            answer = client.post(f"{front_desk}/{path}", headers=clerk)
            assert answer.status_code == 200, (path, answer.text)
        cancelled = client.post(f"/api/my/appointments/{for_child.json()['id']}/cancel", headers=citizen)
        assert cancelled.status_code == 200, cancelled.text

    outboxes: dict[str, tuple[list[asyncpg.Record], set[str]]] = {}

    def every_outbox_drained() -> bool:
        outboxes.update({service: run_sync(_outbox(urls[service])) for service in SERVICES})
        return not any(waiting for waiting, _ in outboxes.values())

    def still_waiting() -> str:
        waiting = {service: [dict(row) for row in rows] for service, (rows, _) in outboxes.items() if rows}
        return f"events still unpublished: {waiting}"

    # Within the quiet minute every outbox empties, which is more than "no row older than 60 s": an event the
    # broker refused would still be waiting, its age growing (the relay retries it, backing off up to 30 s).
    _eventually(every_outbox_drained, QUIET_MINUTE, still_waiting)
    published = set().union(*(keys for _, keys in outboxes.values()))
    # A booking is published with its topic (Contract.routing_topics): counted here by its contract's key.
    published |= {key.rsplit(".", 1)[0] for key in published if key.count(".") == 3}
    expected = UNBOUND | {AppointmentBooked.routing_key(), AppointmentCancelled.routing_key()}
    assert expected <= published, expected - published
    unrouted = set(run_sync(_drain_unrouted(system.config.amqp_url, namespace)))
    assert unrouted >= UNBOUND, UNBOUND - unrouted

    # What the alert watches says the same, per service (scrape-time values are cached 5 s).
    for service in SERVICES:
        metrics = system.config.metrics_url(service)
        _eventually(
            lambda metrics=metrics, service=service: (
                scrape_value(metrics, OUTBOX_BACKLOG._name, service=service) == 0  # type: ignore[attr-defined]
            ),
            15,
            lambda service=service: f"{service}'s /metrics still counts unpublished events",
        )
        assert scrape_value(metrics, OUTBOX_OLDEST_AGE._name, service=service) == 0  # type: ignore[attr-defined]
