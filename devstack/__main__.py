"""`make run`: the whole system on this machine, as one supervised group that Ctrl-C stops cleanly."""

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from devstack.databases import prepare_databases, prepare_gateway_database
from devstack.demo_data.accounts import CLERK, MANAGER, OPERATOR, DemoStaff, load_demo_staff
from devstack.demo_data.appointments import load_demo_data
from devstack.supervisor import ROOT, StackConfig, Supervisor, http_ok, persistent_dev_secrets

MAILBOX_HTTP_PORT = 8025


def credentials_lines(label: str, email: str, password: str) -> str:
    """E-mail and password on lines of their own, labelled: printed on one line, a password holding spaces or
    a colon read as something else."""
    return f"  {label:<15}: e-mail   {email}\n  {'':<15}  password {password}\n"


def demo_staff_lines(label: str, staff: DemoStaff) -> str:
    """A demo staff member's credentials, their second factor's secret (for an authenticator app) and the command
    that prints its current code instead."""
    return (
        credentials_lines(label, staff.email, staff.password)
        + f"  {'':<15}  TOTP secret {staff.totp_secret}\n"
        + f"  {'':<15}  code now: .venv/bin/python -m devstack.totp {staff.email}\n"
    )


def ignore_ctrl_c() -> None:
    """In a sink, before it starts: a Ctrl-C reaches the whole group, and one arriving while the sink still imports
    its modules would print a KeyboardInterrupt traceback. The sinks stop on the SIGTERM sent in `run`'s finally."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--workers",
        type=int,
        default=int(os.environ.get("WORKERS", "1")),
        help="uvicorn worker processes per service (replicas side by side)",
    )
    args = parser.parse_args()
    try:
        run(args.workers)
    except KeyboardInterrupt:
        # Ctrl-C while the databases were being prepared, before anything was started. A normal exit, as after
        # a Ctrl-C once running: make reports a child's exit code 130 as an error of its own.
        print("\nStopped.", flush=True)


def run(workers: int) -> None:
    admin_url = os.environ.get("CLINIC_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    amqp_url = os.environ.get("CLINIC_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")

    # Random on the first run, then kept: never the default published in shared/settings.py.
    secrets_file = ROOT / ".run" / "dev-secrets.json"
    # Databases kept from a run before these secrets existed hold NAMs encrypted under the published key, which
    # the new one cannot read: they are recreated once, with the demo data, when the secrets are first made.
    fresh_secrets = not secrets_file.exists()
    secrets = persistent_dev_secrets(secrets_file)
    print("Preparing databases and migrations...", flush=True)
    urls = prepare_databases(admin_url, drop_first=fresh_secrets)
    asyncio.run(load_demo_data(urls["appointments"]))
    gateway_url = prepare_gateway_database(admin_url)
    config = StackConfig(
        database_urls=urls, amqp_url=amqp_url, workers=workers, secrets=secrets, gateway_database_url=gateway_url
    )
    # The stack's key, which encrypts the demo staff's TOTP secrets (the environment's, when it sets one).
    asyncio.run(load_demo_staff(urls["accounts"], config.environ()["ACCOUNTS_NAM_KEY"]))
    supervisor = Supervisor(config, log_dir=ROOT / ".run" / "logs")
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    # From here Ctrl-C only asks to stop: every process started below is stopped in `finally`. The terminal sends
    # it to the whole group, so the services stop on their own too; stop_all finishes the job.
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    sink_commands = [
        ["devstack.mail_sink", "--smtp-port", str(config.smtp_port), "--http-port", str(MAILBOX_HTTP_PORT)],
        ["devstack.sms_sink", "--port", str(config.sms_port)],
    ]
    sinks: list[subprocess.Popen[bytes]] = []
    try:
        for command in sink_commands:
            sinks.append(
                subprocess.Popen(  # noqa: S603 - our own interpreter and modules
                    [sys.executable, "-m", *command], cwd=ROOT, env=config.environ(), preexec_fn=ignore_ctrl_c
                )
            )
        try:
            supervisor.start_all()
        except (RuntimeError, TimeoutError):
            if not stopping:
                raise
            return  # Ctrl-C while starting: the services stopped before answering
        while not stopping and not http_ok(f"http://127.0.0.1:{MAILBOX_HTTP_PORT}/api/messages"):
            time.sleep(0.1)
        if stopping:
            return
        gateway = config.url("gateway")
        print(
            "\nThe clinic appointments platform is running:\n"
            f"  Citizen portal : {gateway}/\n"
            f"  Admin console  : {gateway}/admin\n"
            f"  Mailbox (dev)  : http://127.0.0.1:{MAILBOX_HTTP_PORT}/\n"
            f"  SMS box (dev)  : http://127.0.0.1:{config.sms_port}/\n"
            + demo_staff_lines("Demo operator", OPERATOR)
            + demo_staff_lines("Demo manager", MANAGER)
            + demo_staff_lines("Demo clerk", CLERK)
            + f"  Service logs   : {Path('.run/logs')}/\n"
            "Press Ctrl-C to stop everything.\n",
            flush=True,
        )
        while not stopping:
            for name, code in supervisor.exited().items():
                print(f"{name} exited with code {code}; restarting it", flush=True)
                supervisor.start(name)
            time.sleep(1)
    finally:
        print("Stopping...", flush=True)
        supervisor.stop_all()
        for sink in sinks:
            sink.terminate()
            sink.wait(10)
        print("Stopped.", flush=True)


if __name__ == "__main__":
    main()
