"""Event handlers of the appointments service."""

from sqlalchemy import update

from services.appointments.models import appointments
from shared.consumer import Handler
from shared.contracts.accounts import AccountDeleted
from shared.messages import Contract, EventEnvelope
from shared.unit_of_work import UnitOfWork


async def on_account_deleted(uow: UnitOfWork, event: Contract, envelope: EventEnvelope) -> None:
    """Appointments held at a clinic stay with the clinic; only the link to the deleted account goes."""
    assert isinstance(event, AccountDeleted)
    await uow.session.execute(
        update(appointments).where(appointments.c.account_id == event.account_id).values(account_id=None)
    )


def handlers() -> dict[type[Contract], Handler]:
    return {AccountDeleted: on_account_deleted}
