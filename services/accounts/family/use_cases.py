"""The people an account books for: its dependants, and the booking form for one of them or the holder.

A child shared by two parents: each parent's account has the child as a dependant. Once a clinic
validated each association, every parent sees all of the child's appointments, whoever booked them.

The same child is recognised by the keyed HMAC of the NAM, never by name; until an association is
validated, that parent's dependant is not in the group and neither parent sees the other's bookings.
"""

import uuid

from services.accounts.family import queries
from services.accounts.family.queries import Dependant
from services.accounts.family.rules import (
    DependantIdentity,
    PersonNotFound,
    changed_fields,
    identity_changed,
    shared_child_group,
)
from services.accounts.family.schemas import BookingFormResponse, DependantRequest, DependantResponse
from services.accounts.links.rules import NamVault, mask_nam
from services.accounts.links.use_cases import tell_holders
from shared.contracts.accounts import (
    DependantAdded,
    DependantIdentified,
    DependantRemoved,
    DependantsLinked,
    HolderNoticeTopic,
    LinkedDependant,
    ProfileChanged,
)
from shared.contracts.verification import AssociationRequestDecided, AssociationRevoked, AssociationValidated
from shared.nam import nam_warnings
from shared.unit_of_work import UnitOfWork


def _dependant_response(vault: NamVault, row: Dependant, warnings: list[str] | None = None) -> DependantResponse:
    return DependantResponse(
        id=row.id,
        first_name=row.identity.first_name,
        last_name=row.identity.last_name,
        birth_date=row.identity.birth_date,
        sex=row.identity.sex,
        nam=mask_nam(vault.reveal(row.identity.nam_encrypted)),
        warnings=warnings or [],
    )


async def list_dependants(uow: UnitOfWork, vault: NamVault, account_id: uuid.UUID) -> list[DependantResponse]:
    async with uow:
        rows = await queries.dependants_of(uow.session, account_id)
    return [_dependant_response(vault, row) for row in rows]


def _dependant_identity(vault: NamVault, request: DependantRequest) -> tuple[DependantIdentity, list[str]]:
    nam_encrypted, nam_hmac = vault.protect(request.nam)
    warnings = (
        nam_warnings(request.nam, request.last_name, request.first_name, request.birth_date, request.sex)
        if request.nam
        else []
    )
    identity = DependantIdentity(
        first_name=request.first_name,
        last_name=request.last_name,
        birth_date=request.birth_date,
        sex=request.sex,
        nam_encrypted=nam_encrypted,
        nam_hmac=nam_hmac,
    )
    return identity, warnings


async def add_dependant(
    uow: UnitOfWork, vault: NamVault, account_id: uuid.UUID, request: DependantRequest
) -> DependantResponse:
    identity, warnings = _dependant_identity(vault, request)
    dependant_id = uuid.uuid4()
    async with uow:
        if not await queries.account_exists(uow.session, account_id):
            raise PersonNotFound
        row = await queries.add_dependant(uow.session, dependant_id, account_id, identity)
        uow.publish(DependantAdded(account_id=account_id, dependant_id=dependant_id))
        await uow.commit()
    return _dependant_response(vault, row, warnings)


async def update_dependant(
    uow: UnitOfWork, vault: NamVault, account_id: uuid.UUID, dependant_id: uuid.UUID, request: DependantRequest
) -> DependantResponse:
    identity, warnings = _dependant_identity(vault, request)
    async with uow:
        current = await queries.dependant(uow.session, account_id, dependant_id)
        if current is None:
            raise PersonNotFound
        fields = changed_fields(current.identity, identity)
        row = await queries.update_dependant(uow.session, dependant_id, identity)
        if fields:
            uow.publish(
                ProfileChanged(
                    account_id=account_id,
                    person_id=dependant_id,
                    changed_fields=fields,
                    identity_changed=identity_changed(fields),
                )
            )
        await uow.commit()
    return _dependant_response(vault, row, warnings)


async def remove_dependant(uow: UnitOfWork, account_id: uuid.UUID, dependant_id: uuid.UUID) -> None:
    async with uow:
        if not await queries.remove_dependant(uow.session, account_id, dependant_id):
            raise PersonNotFound
        uow.publish(DependantRemoved(account_id=account_id, dependant_id=dependant_id))
        await uow.commit()


async def booking_form(
    uow: UnitOfWork, vault: NamVault, account_id: uuid.UUID, person_id: uuid.UUID | None
) -> BookingFormResponse:
    async with uow:
        account = await queries.booking_holder(uow.session, account_id)
        if account is None:
            raise PersonNotFound
        dependant = None
        if person_id is not None and person_id != account_id:
            dependant = await queries.dependant(uow.session, account_id, person_id)
            if dependant is None:
                raise PersonNotFound
    person = (
        dependant.identity
        if dependant is not None
        else DependantIdentity(
            account.first_name, account.last_name, account.birth_date, account.sex, account.nam_encrypted, None
        )
    )
    return BookingFormResponse(
        person_id=dependant.id if dependant is not None else account.id,
        is_dependant=dependant is not None,
        first_name=person.first_name,
        last_name=person.last_name,
        birth_date=person.birth_date,
        sex=person.sex,
        # Masked as /me masks it: the browser never gets the full NAM back (a booking made from the account
        # takes none; the gateway's composition forwards the person's other fields only).
        nam=mask_nam(vault.reveal(person.nam_encrypted)),
        email=account.email,
        phone=account.phone,
        language=account.language,
        notify_email=account.notify_email,
        notify_sms=account.notify_sms,
        holder_name=f"{account.first_name} {account.last_name}",
    )


async def share_validated_child(
    uow: UnitOfWork, vault: NamVault, event: AssociationValidated, causation_id: uuid.UUID
) -> None:
    dependant = await queries.dependant_nam(uow.session, event.account_id, event.person_id)
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
    await queries.record_validated(uow.session, event.person_id, event.account_id, dependant.nam_hmac)
    await _publish_group(uow, dependant.nam_hmac, causation_id)


async def unshare_revoked_child(uow: UnitOfWork, event: AssociationRevoked, causation_id: uuid.UUID) -> None:
    nam_hmac = await queries.forget_validated(uow.session, event.person_id)
    if nam_hmac is not None:
        await _publish_group(uow, nam_hmac, causation_id)


async def _publish_group(uow: UnitOfWork, nam_hmac: str, causation_id: uuid.UUID) -> None:
    rows = await queries.validated_sharing(uow.session, nam_hmac)
    members = [LinkedDependant(account_id=r.account_id, person_id=r.person_id) for r in rows]
    uow.publish(DependantsLinked(group_id=shared_child_group(nam_hmac), members=members), causation_id)


async def tell_association_request_decided(
    uow: UnitOfWork, event: AssociationRequestDecided, causation_id: uuid.UUID
) -> None:
    """The citizen hears the clinic's answer, naming the patient by the first name they typed."""
    first_name = await queries.dependant_first_name(uow.session, event.account_id, event.person_id)
    if first_name is None:
        return  # the dependant was removed meanwhile: nothing left to tell about
    topic: HolderNoticeTopic = "association_request_accepted" if event.accepted else "association_request_refused"
    await tell_holders(
        uow,
        [event.account_id],
        topic,
        event.request_id,
        causation_id,
        patient_first_name=first_name,
        reason=event.reason,
    )
