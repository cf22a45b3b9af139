"""The system under verification: every service as a real process on free loopback ports, with its own
databases, mail and SMS sinks and a private RabbitMQ node; plus the people the checks act as."""

import contextlib
import os
import uuid
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from types import TracebackType

import httpx

from bench.verify.private_broker import PrivateBroker
from devstack.databases import SERVICES, prepare_databases
from devstack.mail_sink import MailSink
from devstack.sms_sink import SmsSink
from devstack.supervisor import ROOT, StackConfig, Supervisor
from devstack.testing.fixtures import drop_databases, free_port, run_sync
from shared.nam import build_nam
from tests.e2e.accounts_flow import PASSWORD, active_account
from tests.e2e.clinic_staff import STAFF_PASSWORD, add_staff, staff_auth, totp_secret_for
from tests.e2e.conftest import Catalogue, _insert_catalogue

DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
OPERATOR_EMAIL = "operator@plateforme.example"
# Small pools: the checks need little throughput, and the PostgreSQL server (100 connections) is shared
# with every other test run on the machine.
DB_POOL_SIZE = 3
# The address the load of the checks comes from (httpx and aiohttp connect from it on loopback).
LOAD_SOURCE = "127.0.0.1"


@dataclass(frozen=True)
class VerifyStackConfig(StackConfig):
    def environ(self) -> dict[str, str]:
        env = super().environ()
        env.update({f"{service.upper()}_DB_POOL_SIZE": str(DB_POOL_SIZE) for service in self.database_urls})
        # Chaos and fuzz book without an account from 127.0.0.1 by the thousand; the security probe of
        # message limits books from 127.0.0.2, which stays limited.
        env["APPOINTMENTS_UNLIMITED_BOOKING_SOURCES"] = f'["{LOAD_SOURCE}"]'
        return env


@dataclass(frozen=True)
class Citizen:
    email: str
    phone: str  # as typed; accounts stores it in E.164
    nam: str
    headers: dict[str, str]
    account_id: str

    @property
    def phone_e164(self) -> str:
        return "+1" + "".join(ch for ch in self.phone if ch.isdigit())

    def needles(self) -> list[str]:
        """What must never be found in a log, nor anywhere once the account is deleted."""
        return [self.email, self.phone_e164, self.phone_e164[2:], self.nam]


@dataclass(frozen=True)
class Clinic:
    catalogue: Catalogue
    clerk_email: str
    manager_email: str


@dataclass
class Secrets:
    """Every secret the run typed or received, for the log scan."""

    values: set[str] = field(default_factory=set)

    def add(self, *values: str) -> None:
        self.values.update(v for v in values if v)


class VerifyEnvironment:
    def __init__(self, log_dir: Path | None = None, pg_admin_url: str | None = None) -> None:
        self.pg_admin_url = pg_admin_url or os.environ.get("CLINIC_PG_URL", DEFAULT_PG_URL)
        self.log_dir = log_dir or ROOT / ".run" / "verify" / f"logs-{uuid.uuid4().hex[:6]}"
        self._prefix = f"verify_{uuid.uuid4().hex[:6]}_"
        self.broker = PrivateBroker()
        self.mail_sink = MailSink(port=free_port())
        self.sms_sink = SmsSink(port=free_port())
        self.secrets = Secrets({PASSWORD, STAFF_PASSWORD})
        self.supervisor: Supervisor | None = None
        self.clinics: list[Clinic] = []
        self.citizens: list[Citizen] = []
        self._made = 0

    def __enter__(self) -> "VerifyEnvironment":
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *_: tuple[type[BaseException] | None, BaseException | None, TracebackType | None]) -> None:
        self.close()

    def start(self) -> None:
        self.broker.start()
        self.mail_sink.start()
        self.sms_sink.start()
        urls = prepare_databases(self.pg_admin_url, prefix=self._prefix, drop_first=True)
        config = VerifyStackConfig(
            database_urls=urls,
            amqp_url=self.broker.amqp_url,
            ports={name: free_port() for name in ("gateway", *SERVICES)},
            metrics_ports={name: free_port() for name in ("gateway", *SERVICES)},
            smtp_port=self.mail_sink.port,
            sms_port=self.sms_sink.port,
            bus_namespace=f"v{uuid.uuid4().hex[:8]}.",
            environment="test",
        )
        self.supervisor = Supervisor(config, log_dir=self.log_dir)
        self.supervisor.start_all()
        for name in SERVICES:
            self.supervisor.wait_ready(name, path="/readyz")
        self.clinics = [self._add_clinic(letter) for letter in ("x", "y")]
        run_sync(add_staff(self.database_urls["accounts"], None, OPERATOR_EMAIL, "operator"))

    def close(self) -> None:
        if self.supervisor is not None:
            self.supervisor.stop_all()
            run_sync(drop_databases(self.pg_admin_url, [f"{self._prefix}{s}" for s in SERVICES]))
        self.broker.remove()
        for sink in (self.mail_sink, self.sms_sink):
            with contextlib.suppress(Exception):  # a sink that never started has nothing to stop
                sink.stop()

    @property
    def stack(self) -> Supervisor:
        assert self.supervisor is not None, "the environment is not started"
        return self.supervisor

    @property
    def gateway(self) -> str:
        return self.stack.config.url("gateway")

    @property
    def database_urls(self) -> dict[str, str]:
        return self.stack.config.database_urls

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.gateway, timeout=15)

    def _add_clinic(self, letter: str) -> Clinic:
        catalogue = run_sync(_insert_catalogue(self.database_urls["appointments"]))
        clinic = Clinic(catalogue, f"clerk@clinique-{letter}.example", f"manager@clinique-{letter}.example")
        self._staff_clinic(clinic)
        return clinic

    def _staff_clinic(self, clinic: Clinic) -> None:
        establishment = clinic.catalogue.establishment_id
        run_sync(add_staff(self.database_urls["accounts"], establishment, clinic.clerk_email, "clerk"))
        run_sync(add_staff(self.database_urls["accounts"], establishment, clinic.manager_email, "manager"))

    def restore_clinic_staff(self) -> None:
        """After a check that acted as a manager or an operator on whatever it found (the fuzzing): each clinic's
        clerk and manager hold their role again, enabled, with their second factor as enrolled at the start."""
        for clinic in self.clinics:
            self._staff_clinic(clinic)

    def staff_headers(self, email: str) -> dict[str, str]:
        with self.client() as client:
            headers = staff_auth(client, email)
        self.secrets.add(headers["authorization"][7:], totp_secret_for(email))
        return headers

    def operator_headers(self) -> dict[str, str]:
        """A platform operator's (who holds no clinic role)."""
        return self.staff_headers(OPERATOR_EMAIL)

    def new_citizen(self, deleted_by_privacy: bool = True) -> Citizen:
        """A registered, active account with email, cell phone and NAM, signed in.

        The privacy check deletes every listed citizen with the session made here; a probe that ends that
        session, changes the password or deletes the account itself passes False (its secrets are still
        searched in the logs)."""
        self._made += 1
        n = self._made
        born = date(1950 + n % 40, 1 + n % 12, 1 + n % 28)
        nam = build_nam("TEST", born, "M", str(n % 10))
        email = f"verify.{uuid.uuid4().hex[:10]}@example.org"
        phone = f"514 555-{1000 + n * 37 % 9000:04d}"
        with self.client() as client:
            headers = active_account(client, self.mail_sink, email, phone=phone, nam=nam, birth_date=born.isoformat())
            account_id = client.get("/api/me", headers=headers).json()["id"]
        citizen = Citizen(email, phone, nam, headers, account_id)
        self.secrets.add(email, nam, headers["authorization"][7:], citizen.phone_e164)
        if deleted_by_privacy:
            self.citizens.append(citizen)
        return citizen
