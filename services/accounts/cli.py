"""The accounts service's command line, for a platform's first operator and what operators do without the console:

    python -m services.accounts.cli create-operator --email E --name N --password P [--totp-secret S] [--language fr]
    python -m services.accounts.cli appoint-manager --establishment-id ID --email E [--language fr]
        --as-operator-email O [--base-url URL]
    python -m services.accounts.cli reset-factor --email E --as-operator-email O

It runs the same use cases as the API, on the database of the accounts settings (ACCOUNTS_DATABASE_URL,
ACCOUNTS_NAM_KEY...), so what it does is audited like the rest: its events wait in the outbox for the service's
relay. Acting as no one in particular, it is named in the audit log by a fixed id, `COMMAND_LINE_OPERATOR`
(services/accounts/sessions/rules.py). It prints no secret: an operator created without `--totp-secret` enrols
their second factor at their first sign-in.

Each subcommand is a function taking the parsed arguments and the wiring (`Wiring`), registered in `COMMANDS`.
"""

import argparse
import asyncio
import sys
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from pydantic import ValidationError, model_validator

from services.accounts.links.rules import NamVault
from services.accounts.refusals import REFUSALS
from services.accounts.sessions.use_cases import Deps, PasswordHashing, create_operator
from services.accounts.settings import AccountsSettings
from services.accounts.staff import use_cases as staff
from services.accounts.staff.rules import MemberNotFound
from services.accounts.staff.schemas import AppointManagerRequest
from shared.db import make_engine, make_sessionmaker
from shared.refusals import Refused, wording_of
from shared.staff import OperatorRequired, Staff
from shared.unit_of_work import UnitOfWork


class CommandLineSettings(AccountsSettings):
    """The service's settings, from the same environment, without the token-signing key: the command line signs
    no token."""

    @model_validator(mode="after")
    def _signing_key_present(self) -> "CommandLineSettings":
        return self


@dataclass(frozen=True)
class Wiring:
    uow: UnitOfWork
    deps: Deps


async def _create_operator(args: argparse.Namespace, wiring: Wiring) -> str:
    staff_id = await create_operator(
        wiring.uow,
        wiring.deps,
        args.email,
        args.name,
        args.password,
        language=args.language,
        totp_secret=args.totp_secret,
    )
    return f"operator created: {staff_id}"


async def _as_operator(args: argparse.Namespace, wiring: Wiring) -> Staff:
    """Appointing and resetting are an operator's acts: the audit log names the one given."""
    operator = await staff.operator_by_email(wiring.uow, args.as_operator_email)
    if operator is None:
        raise OperatorRequired
    return operator


async def _appoint_manager(args: argparse.Namespace, wiring: Wiring) -> str:
    """The invitation is also e-mailed; the link is printed for whoever runs this to pass on."""
    try:
        request = AppointManagerRequest(
            establishment_id=args.establishment_id, email=args.email, language=args.language
        )
    except ValidationError as invalid:
        raise SystemExit(f"--email: {invalid.errors()[0]['msg']}") from None
    invited = await staff.appoint_manager(wiring.uow, wiring.deps.settings, await _as_operator(args, wiring), request)
    link = f"{args.base_url.rstrip('/')}/admin/invitation?token={invited.token}"
    return f"manager invited: {invited.answer.email} (until {invited.answer.expires_at.isoformat()})\n{link}"


async def _reset_factor(args: argparse.Namespace, wiring: Wiring) -> str:
    operator = await _as_operator(args, wiring)
    staff_id = await staff.staff_id_by_email(wiring.uow, args.email)
    if staff_id is None:
        raise MemberNotFound
    await staff.reset_factor(wiring.uow, operator, staff_id)
    return f"second factor reset: {staff_id} enrols a new one at their next sign-in"


Command = Callable[[argparse.Namespace, Wiring], Awaitable[str]]
COMMANDS: dict[str, Command] = {
    "create-operator": _create_operator,
    "appoint-manager": _appoint_manager,
    "reset-factor": _reset_factor,
}


def parser() -> argparse.ArgumentParser:
    parsed = argparse.ArgumentParser(prog="python -m services.accounts.cli", description=__doc__.split("\n\n")[0])
    commands = parsed.add_subparsers(dest="command", required=True)
    operator = commands.add_parser("create-operator", help="create a platform operator")
    operator.add_argument("--email", required=True)
    operator.add_argument("--name", required=True)
    operator.add_argument("--password", required=True)
    operator.add_argument("--language", choices=("fr", "en"), default="fr")
    operator.add_argument(
        "--totp-secret", help="a base32 TOTP secret already enrolled (demo data); else enrolled at first sign-in"
    )
    appoint = commands.add_parser("appoint-manager", help="invite an establishment's manager (prints the link)")
    appoint.add_argument("--establishment-id", required=True, type=uuid.UUID)
    appoint.add_argument("--email", required=True)
    appoint.add_argument("--language", choices=("fr", "en"), default="fr")
    appoint.add_argument("--as-operator-email", required=True, help="the operator the audit log names")
    appoint.add_argument("--base-url", default="http://127.0.0.1:8000", help="the portal's address, for the link")
    reset = commands.add_parser("reset-factor", help="clear a staff member's second factor (they enrol again)")
    reset.add_argument("--email", required=True)
    reset.add_argument("--as-operator-email", required=True, help="the operator the audit log names")
    return parsed


async def run(args: argparse.Namespace, settings: AccountsSettings) -> str:
    engine = make_engine(settings.database_url)
    hashing = PasswordHashing(settings.argon2_memory_kib, settings.argon2_time_cost, settings.argon2_parallelism, 1)
    try:
        wiring = Wiring(
            UnitOfWork(make_sessionmaker(engine)),
            Deps(settings=settings, hashing=hashing, vault=NamVault(settings.nam_key.get_secret_value())),
        )
        return await COMMANDS[args.command](args, wiring)
    finally:
        await engine.dispose()


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        print(asyncio.run(run(args, CommandLineSettings())))
    except Refused as refusal:
        wording = wording_of(REFUSALS, refusal)
        print(f"refused ({wording.code}): {wording.en.format(**vars(refusal))}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
