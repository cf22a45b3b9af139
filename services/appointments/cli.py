"""The appointments service's command line, for what platform operators do without the console:

    python -m services.appointments.cli create-establishment --file establishment.json [--as-operator-id ID]

The file holds what `POST /operator/establishments` takes (services/appointments/establishments/schemas.py,
CreateEstablishmentRequest): name, address, city, postal_code, region, phone, opening_hours and services; `-`
reads it from standard input. It prints the new establishment's id, to appoint its first manager with
`python -m services.accounts.cli appoint-manager --establishment-id ID ...`.

It runs the same use case as the API, on the database of the appointments settings (APPOINTMENTS_DATABASE_URL),
so what it does is audited like the rest: its EstablishmentChanged waits in the outbox for the service's relay.
The audit log names the operator given by `--as-operator-id` or, without one, `COMMAND_LINE_OPERATOR`.
"""

import argparse
import asyncio
import sys
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

from pydantic import ValidationError

from services.appointments.establishments import use_cases
from services.appointments.establishments.schemas import CreateEstablishmentRequest
from services.appointments.refusals import REFUSALS
from services.appointments.settings import AppointmentsSettings
from shared.db import make_engine, make_sessionmaker
from shared.errors import MESSAGES
from shared.refusals import Refused, wording_of
from shared.staff import OPERATOR, Staff
from shared.unit_of_work import UnitOfWork

# The same fixed id as accounts' command line names itself with (services/accounts/sessions/rules.py): no one's
# account, the command line acting for the platform. Services share no code, hence the copy.
COMMAND_LINE_OPERATOR = uuid.UUID("00000000-0000-4000-8000-00000000c11e")


class InvalidFileError(Exception):
    """The file is not an establishment the API would take: each reason with its field."""


def read_establishment(path: str) -> CreateEstablishmentRequest:
    raw = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    try:
        return CreateEstablishmentRequest.model_validate_json(raw)
    except ValidationError as invalid:
        reasons = []
        for error in invalid.errors(include_url=False):
            field = ".".join(str(part) for part in error["loc"]) or "(file)"
            reasons.append(f"{field}: {MESSAGES.get(error['type'], ('', error['msg']))[1]}")
        raise InvalidFileError("\n".join(reasons)) from None


async def _create_establishment(args: argparse.Namespace, uow: UnitOfWork) -> str:
    request = read_establishment(args.file)
    created = await use_cases.create_establishment(uow, Staff(args.as_operator_id, None, OPERATOR), request)
    return str(created.id)


Command = Callable[[argparse.Namespace, UnitOfWork], Awaitable[str]]
COMMANDS: dict[str, Command] = {"create-establishment": _create_establishment}


def parser() -> argparse.ArgumentParser:
    parsed = argparse.ArgumentParser(prog="python -m services.appointments.cli", description=__doc__.split("\n\n")[0])
    commands = parsed.add_subparsers(dest="command", required=True)
    create = commands.add_parser(
        "create-establishment", help="create an establishment with its services; prints its id"
    )
    create.add_argument("--file", required=True, help="the establishment as JSON (as the API takes it); - for stdin")
    create.add_argument(
        "--as-operator-id", type=uuid.UUID, default=COMMAND_LINE_OPERATOR, help="the operator the audit log names"
    )
    return parsed


async def run(args: argparse.Namespace, settings: AppointmentsSettings) -> str:
    engine = make_engine(settings.database_url, pool_size=1, max_overflow=0)
    try:
        return await COMMANDS[args.command](args, UnitOfWork(make_sessionmaker(engine)))
    finally:
        await engine.dispose()


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        print(asyncio.run(run(args, AppointmentsSettings())))
    except InvalidFileError as invalid:
        print(f"refused: {args.file}\n{invalid}", file=sys.stderr)
        return 2
    except Refused as refusal:
        wording = wording_of(REFUSALS, refusal)
        print(f"refused ({wording.code}, {wording.field}): {wording.en.format(**vars(refusal))}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
