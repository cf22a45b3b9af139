"""Starts the services, the gateway and the mail sink as child processes, and supervises them.

Used by `make run` (python -m devstack) and by the end-to-end tests, which also kill and
restart processes through it.

Replicas: `StackConfig.replicas` runs N independent processes of an app, each on its own port,
named `<app>` (the first) and `<app>-2`, `<app>-3`... They share the database and the queue as
replicas on a cluster do. Gateway replica i calls replica i (round robin) of each service, so load
sent to both gateways reaches both processes of every HTTP service. `workers` is the other way:
uvicorn's --workers, N processes sharing one port.
"""

import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from devstack.jwt_keys import generate_es256_keypair

ROOT = Path(__file__).resolve().parents[1]

APPS = {
    "accounts": "services.accounts.main:create_app",
    "appointments": "services.appointments.main:create_app",
    "verification": "services.verification.main:create_app",
    "notifications": "services.notifications.main:create_app",
    "gateway": "gateway.main:create_app",
}
DEFAULT_PORTS = {"gateway": 8000, "accounts": 8001, "appointments": 8002, "verification": 8003, "notifications": 8004}
# Background apps run at a lower CPU priority (nice): when a surge saturates the machine, its cores go to
# the requests a citizen waits on, and emails catch up once it passes. On 2 cores, 32 clients booking
# through the gateway got 1,115 bookings/s with notifications at nice 0 and 1,379/s at nice 10 (20 s runs,
# back to back). Under Kubernetes and Compose, CPU requests and shares say the same thing.
NICENESS = {"notifications": 10}
# Replica i of an app without an explicit port listens on its first replica's port + (i - 1) * this.
REPLICA_PORT_STEP = 100
# Each process serves /metrics on a port of its own (never the API's): its API port + this, unless named in
# StackConfig.metrics_ports (the tests' stacks take free ports for both).
METRICS_PORT_OFFSET = 1000


# The services that match NAMs (their keyed HMAC) and so must share one NAM key.
NAM_KEY_SERVICES = ("accounts", "appointments", "verification")


def generate_dev_secrets() -> dict[str, str]:
    """Every secret the services read, random, as environment variables. The published default
    (shared.settings.DEV_SECRET) let anyone compute a dev stack's manage-link tokens and NAM HMACs. One value
    per kind, shared by every service, as the default was: services that must agree on a key still do."""
    secret_key, nam_key = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    environ = {f"{app.upper()}_SECRET_KEY": secret_key for app in APPS}
    return environ | {f"{service.upper()}_NAM_KEY": nam_key for service in NAM_KEY_SERVICES}


def persistent_dev_secrets(path: Path) -> dict[str, str]:
    """`make run`'s secrets: generated on the first run and kept in `path` (0600), so that what the databases
    hold (encrypted NAMs, HMACs, the links in messages already sent) stays readable from one run to the next."""
    if path.exists():
        return dict(json.loads(path.read_text()))
    path.parent.mkdir(parents=True, exist_ok=True)
    generated = generate_dev_secrets()
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as file:
        json.dump(generated, file)
    return generated


def open_private_log(path: Path) -> IO[bytes]:
    """Appends to `path`, created 0600 (and made 0600 if it was not): logs name accounts, establishments and
    correlation ids, and nobody else on the machine should read them."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.fchmod(descriptor, 0o600)
    return os.fdopen(descriptor, "ab")


def replica_name(app: str, index: int) -> str:
    """Index from 1: the first replica keeps the app's own name."""
    return app if index == 1 else f"{app}-{index}"


def app_of(name: str) -> str:
    return name.split("-", 1)[0]


@dataclass(frozen=True)
class StackConfig:
    database_urls: dict[str, str]
    amqp_url: str
    ports: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_PORTS))
    metrics_ports: dict[str, int] = field(default_factory=dict)
    smtp_port: int = 1025
    bus_namespace: str = ""
    environment: str = "dev"
    workers: int = 1
    jwt_keys: tuple[str, str] = field(default_factory=generate_es256_keypair)
    # <SERVICE>_SECRET_KEY and <SERVICE>_NAM_KEY, unless the environment sets them: random for each stack.
    secrets: dict[str, str] = field(default_factory=generate_dev_secrets)
    sms_port: int = 8026
    # Processes per app (default 1); e.g. {"appointments": 2, "gateway": 2}.
    replicas: dict[str, int] = field(default_factory=dict)
    # Uvicorn's HTTP drain on SIGTERM; the service's own shutdown (shutdown_grace_seconds) comes after.
    http_grace_seconds: float = 10.0
    # Settings for every process beyond the defaults, e.g. {"NOTIFICATIONS_REMINDER_POLL_SECONDS": "1"}.
    extra_environ: dict[str, str] = field(default_factory=dict)
    # The gateway's own database (the waiting room's state, devstack/databases.py); unset, it runs without one.
    gateway_database_url: str = ""

    def instances(self, app: str) -> list[str]:
        return [replica_name(app, i) for i in range(1, self.replicas.get(app, 1) + 1)]

    def all_instances(self) -> list[str]:
        return [name for app in APPS for name in self.instances(app)]

    def port(self, name: str) -> int:
        if name in self.ports:
            return self.ports[name]
        app, index = app_of(name), self.instances(app_of(name)).index(name) + 1
        return self.ports[app] + (index - 1) * REPLICA_PORT_STEP

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port(name)}"

    def metrics_port(self, name: str) -> int:
        return self.metrics_ports.get(name, self.port(name) + METRICS_PORT_OFFSET)

    def metrics_url(self, name: str) -> str:
        """Where the process serves /metrics (its API port serves none)."""
        return f"http://127.0.0.1:{self.metrics_port(name)}"

    def instance_environ(self, name: str) -> dict[str, str]:
        """What differs between replicas: their metrics port, and which service replica a gateway replica calls."""
        app = app_of(name)
        environ = {f"{app.upper()}_METRICS_PORT": str(self.metrics_port(name))}
        if app != "gateway":
            return environ
        index = self.instances("gateway").index(name)
        return environ | {
            f"GATEWAY_{service.upper()}_URL": self.url(targets[index % len(targets)])
            for service in self.database_urls
            if (targets := self.instances(service))
        }

    def environ(self) -> dict[str, str]:
        env = dict(os.environ)
        for service, database_url in self.database_urls.items():
            prefix = service.upper()
            env[f"{prefix}_DATABASE_URL"] = database_url
            env[f"{prefix}_AMQP_URL"] = self.amqp_url
            env[f"{prefix}_BUS_NAMESPACE"] = self.bus_namespace
            env[f"{prefix}_ENVIRONMENT"] = self.environment
        private_key, public_key = self.jwt_keys
        env["ACCOUNTS_JWT_PRIVATE_KEY"] = private_key
        # Every service verifies the tokens the gateway forwards (accounts with the public half of its own key).
        for app in ("gateway", *self.database_urls):
            env[f"{app.upper()}_JWT_PUBLIC_KEY"] = public_key
        env["NOTIFICATIONS_SMTP_PORT"] = str(self.smtp_port)
        env["NOTIFICATIONS_SMS_PROVIDER_URL"] = f"http://127.0.0.1:{self.sms_port}"
        env["NOTIFICATIONS_PORTAL_BASE_URL"] = self.url("gateway")
        for service in self.database_urls:
            env[f"GATEWAY_{service.upper()}_URL"] = self.url(service)
        env["GATEWAY_ENVIRONMENT"] = self.environment
        # The gateway hears SessionsRevoked on a queue of its own (gateway/session_revocations.py).
        env["GATEWAY_AMQP_URL"] = self.amqp_url
        env["GATEWAY_BUS_NAMESPACE"] = self.bus_namespace
        # Every stack this starts serves plain HTTP on loopback, where browsers drop Secure cookies.
        env["GATEWAY_INSECURE_COOKIES"] = "true"
        if self.gateway_database_url:
            env["GATEWAY_DATABASE_URL"] = self.gateway_database_url
        for name, value in self.secrets.items():
            env.setdefault(name, value)
        env["PYTHONPATH"] = str(ROOT)
        env.update(self.extra_environ)
        return env


def http_ok(url: str, timeout: float = 1.0) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - loopback only
            status: int = response.status
            return status == 200
    except OSError:
        return False


# The stacks made in this process, by their accounts database: a test helper that writes rows a service must
# decrypt (a staff member's TOTP secret, tests/e2e/clinic_staff.py) reads that stack's key here.
_STACKS_BY_ACCOUNTS_DATABASE: dict[str, "Supervisor"] = {}


def stack_setting(accounts_database_url: str, name: str) -> str | None:
    """A setting (environment variable) of the stack of this process whose accounts database is that one."""
    stack = _STACKS_BY_ACCOUNTS_DATABASE.get(accounts_database_url)
    return stack._env.get(name) if stack is not None else None


class Supervisor:
    def __init__(self, config: StackConfig, log_dir: Path | None = None) -> None:
        self.config = config
        self._env = config.environ()
        if "accounts" in config.database_urls:
            _STACKS_BY_ACCOUNTS_DATABASE[config.database_urls["accounts"]] = self
        self._log_dir = log_dir
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self._logs: dict[str, IO[bytes]] = {}

    def start(self, name: str) -> None:
        niceness = NICENESS.get(app_of(name), 0)
        command = [
            *(["nice", "-n", str(niceness)] if niceness else []),
            sys.executable, "-m", "uvicorn", APPS[app_of(name)], "--factory",
            "--host", "127.0.0.1", "--port", str(self.config.port(name)),
            # No X-Forwarded-For from uvicorn: it trusts 127.0.0.1 by default, i.e. every local client here. The
            # gateway follows the header only from GATEWAY_TRUSTED_PROXIES (gateway/main.py).
            "--loop", "uvloop", "--http", "httptools", "--no-access-log", "--no-proxy-headers",
            "--timeout-graceful-shutdown", str(round(self.config.http_grace_seconds)), "--timeout-keep-alive", "75",
            "--workers", str(self.config.workers),
        ]  # fmt: skip
        stdout: IO[bytes] | None = None
        if self._log_dir is not None:
            self._log_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
            stdout = self._logs.get(name) or open_private_log(self._log_dir / f"{name}.log")
            self._logs[name] = stdout
        env = {**self._env, **self.config.instance_environ(name)}
        self.processes[name] = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            command, cwd=ROOT, env=env, stdout=stdout, stderr=subprocess.STDOUT if stdout else None
        )

    def log_text(self, name: str) -> str:
        if self._log_dir is None:
            return ""
        if name in self._logs:
            self._logs[name].flush()
        path = self._log_dir / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def wait_ready(self, name: str, timeout: float = 30.0, path: str = "/healthz") -> None:
        deadline = time.monotonic() + timeout
        url = self.config.url(name) + path
        while time.monotonic() < deadline:
            process = self.processes[name]
            if process.poll() is not None:
                # Its log's last lines (event names, exception types and frames; never a message): a fresh
                # clone's run leaves no log behind to read afterwards.
                tail = "\n".join(self.log_text(name).splitlines()[-15:])
                raise RuntimeError(f"{name} exited with code {process.returncode}; the end of its log:\n{tail}")
            if http_ok(url):
                return
            time.sleep(0.1)
        # Alive but not ready: its log says what it waits for (a fresh clone's run leaves no log behind).
        tail = "\n".join(self.log_text(name).splitlines()[-15:])
        raise TimeoutError(f"{name} did not answer {url} within {timeout} s; the end of its log:\n{tail}")

    def start_all(self, names: list[str] | None = None, timeout: float = 30.0) -> None:
        """`names` are process names (`appointments`, `appointments-2`); by default every replica of every app."""
        names = names or self.config.all_instances()
        for name in names:
            self.start(name)
        for name in names:
            self.wait_ready(name, timeout)

    def kill(self, name: str) -> None:
        """SIGKILL: no shutdown hooks run, as in a crash."""
        process = self.processes[name]
        process.kill()
        process.wait(10)

    def terminate(self, name: str, timeout: float) -> tuple[int | None, float]:
        """SIGTERM, as an orchestrator stops a pod; returns the exit code (None: still running at the
        timeout, then killed) and the seconds it took."""
        process = self.processes[name]
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        try:
            code: int | None = process.wait(timeout)
        except subprocess.TimeoutExpired:
            code = None
            process.kill()
            process.wait(5)
        return code, time.monotonic() - started

    def restart(self, name: str, timeout: float = 30.0) -> None:
        self.start(name)
        self.wait_ready(name, timeout)

    def stop_all(self, timeout: float = 15.0) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for process in self.processes.values():
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
        for log in self._logs.values():
            log.close()
        self._logs.clear()

    def exited(self) -> dict[str, int]:
        return {name: p.returncode for name, p in self.processes.items() if p.poll() is not None}
