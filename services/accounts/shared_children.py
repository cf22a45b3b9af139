"""A child shared by two parents: each parent's account has the child as a dependant. Once a clinic
validated each association, every parent sees all of the child's appointments, whoever booked them.

The same child is recognised by the keyed HMAC of the NAM, never by name; until an association is
validated, that parent's dependant is not in the group and neither parent sees the other's bookings.
"""

import uuid

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert

from services.accounts.models import dependants, validated_dependants
from services.accounts.personal_data import NamVault
from shared.contracts.accounts import DependantIdentified, DependantsLinked, LinkedDependant
from shared.contracts.verification import AssociationRevoked, AssociationValidated
from shared.unit_of_work import UnitOfWork

# Group ids derive from the NAM's HMAC (a digest of a digest): stable, and revealing nothing.
GROUP_NAMESPACE = uuid.UUID("9a3c1f52-7d0e-4b6a-8e21-5f4d2c7b9e10")


async def on_association_validated(
    uow: UnitOfWork, vault: NamVault, event: AssociationValidated, causation_id: uuid.UUID
) -> None:
    dependant = (
        await uow.session.execute(
            select(dependants.c.nam_hmac, dependants.c.birth_date).where(
                dependants.c.id == event.person_id, dependants.c.account_id == event.account_id
            )
        )
    ).first()
    if dependant is None or dependant.nam_hmac is None:
        return  # without a NAM the same child cannot be recognised in another account
    # Appointments adds the child's bookings made without an account to the history, matched on these keys.
    uow.publish(
        DependantIdentified(
            account_id=event.account_id,
            person_id=event.person_id,
            identity_key=vault.identity_key(dependant.nam_hmac, dependant.birth_date),
        ),
        causation_id,
    )
    await uow.session.execute(
        insert(validated_dependants)
        .values(person_id=event.person_id, account_id=event.account_id, nam_hmac=dependant.nam_hmac)
        .on_conflict_do_update(index_elements=["person_id"], set_={"nam_hmac": dependant.nam_hmac})
    )
    await _publish_group(uow, dependant.nam_hmac, causation_id)


async def on_association_revoked(uow: UnitOfWork, event: AssociationRevoked, causation_id: uuid.UUID) -> None:
    removed = (
        await uow.session.execute(
            delete(validated_dependants)
            .where(validated_dependants.c.person_id == event.person_id)
            .returning(validated_dependants.c.nam_hmac)
        )
    ).first()
    if removed is not None:
        await _publish_group(uow, removed.nam_hmac, causation_id)


async def _publish_group(uow: UnitOfWork, nam_hmac: str, causation_id: uuid.UUID) -> None:
    rows = (
        await uow.session.execute(
            select(validated_dependants.c.account_id, validated_dependants.c.person_id)
            .where(validated_dependants.c.nam_hmac == nam_hmac)
            .order_by(validated_dependants.c.person_id)
        )
    ).all()
    members = [LinkedDependant(account_id=r.account_id, person_id=r.person_id) for r in rows]
    uow.publish(DependantsLinked(group_id=uuid.uuid5(GROUP_NAMESPACE, nam_hmac), members=members), causation_id)
