"""The holder's own account: what is on file, changes to it (those of a contact, the password or the NAM wait
for a code: registration's pending changes), and its deletion with everything it left."""

import uuid
from dataclasses import asdict

from pydantic import TypeAdapter, ValidationError

from services.accounts.family.rules import identity_changed
from services.accounts.links.rules import mask_nam
from services.accounts.links.use_cases import leave_group
from services.accounts.profile import queries
from services.accounts.profile.queries import Account
from services.accounts.profile.rules import (
    AccountNotFound,
    WrongCurrentPassword,
    WrongPassword,
    changed_fields,
    invalid_new_value,
)
from services.accounts.profile.schemas import ProfileResponse, RequestSensitiveChangeRequest, UpdateProfileRequest
from services.accounts.registration.rules import check_password
from services.accounts.registration.schemas import ChallengeResponse
from services.accounts.registration.use_cases import request_change
from services.accounts.sessions.use_cases import Deps, end_every_session
from shared.contact import Email, Phone
from shared.contracts.accounts import AccountDeleted, Channel, CodePurpose, ProfileChanged
from shared.nam import Nam
from shared.unit_of_work import UnitOfWork

_email = TypeAdapter(Email)
_phone = TypeAdapter(Phone)
_nam = TypeAdapter(Nam)


async def _account(uow: UnitOfWork, account_id: uuid.UUID) -> Account:
    found = await queries.account(uow.session, account_id)
    if found is None:
        raise AccountNotFound
    return found


def _profile(deps: Deps, account: Account) -> ProfileResponse:
    return ProfileResponse(
        id=account.id,
        first_name=account.first_name,
        last_name=account.last_name,
        birth_date=account.birth_date,
        sex=account.sex,
        nam=mask_nam(deps.vault.reveal(account.nam_encrypted)),
        email=account.email,
        phone=account.phone,
        language=account.language,
        notify_email=account.notify_email,
        notify_sms=account.notify_sms,
        address=account.address,
        city=account.city,
        postal_code=account.postal_code,
    )


async def get_profile(uow: UnitOfWork, deps: Deps, account_id: uuid.UUID) -> ProfileResponse:
    async with uow:
        account = await _account(uow, account_id)
    return _profile(deps, account)


async def update_profile(
    uow: UnitOfWork, deps: Deps, account_id: uuid.UUID, request: UpdateProfileRequest
) -> ProfileResponse:
    changes = request.model_dump(exclude_unset=True, exclude_none=True)
    async with uow:
        current = await _account(uow, account_id)
        changed = changed_fields(asdict(current), changes)
        if changed:
            await queries.update_account(uow.session, account_id, changes)
            uow.publish(
                ProfileChanged(
                    account_id=account_id,
                    person_id=account_id,
                    changed_fields=changed,
                    identity_changed=identity_changed(changed),
                )
            )
        await uow.commit()
    return await get_profile(uow, deps, account_id)


async def request_sensitive_change(
    uow: UnitOfWork, deps: Deps, account_id: uuid.UUID, request: RequestSensitiveChangeRequest
) -> ChallengeResponse:
    async with uow:
        account = await _account(uow, account_id)
    if not await deps.hashing.verify(account.password_hash, request.current_password):
        raise WrongCurrentPassword
    channel: Channel
    channel, destination = ("email", account.email) if account.email else ("sms", account.phone or "")
    new_value: str | None
    purpose: CodePurpose
    try:
        match request.kind:
            case "email":
                new_value = destination = _email.validate_python(request.new_value)
                channel, purpose = "email", "change_email"
            case "phone":
                new_value = destination = _phone.validate_python(request.new_value)
                channel, purpose = "sms", "change_phone"
            case "nam":
                new_value = deps.vault.protect(_nam.validate_python(request.new_value))[0]
                purpose = "change_nam"
            case "password":
                check_password(request.new_value, [account.first_name, account.last_name], "new_value")
                new_value = await deps.hashing.hash(request.new_value)
                purpose = "change_password"
    except ValidationError as exc:
        raise invalid_new_value(exc.errors()[0]["type"]) from None
    return await request_change(uow, deps.vault, account_id, account.language, purpose, channel, destination, new_value)


async def delete_account(uow: UnitOfWork, deps: Deps, account_id: uuid.UUID, password: str) -> None:
    async with uow:
        account = await _account(uow, account_id)
    if not await deps.hashing.verify(account.password_hash, password):
        raise WrongPassword
    async with uow:
        dependant_ids = await queries.delete_dependants(uow.session, account_id)
        contacts = [deps.vault.contact_hmac(c) for c in (account.email, account.phone) if c]
        await queries.delete_leftovers(uow.session, account_id, contacts)
        await end_every_session(uow, account_id)
        await queries.delete_session_history(uow.session, account_id)
        await leave_group(uow, account_id, account_id, tell_holder=False)
        await queries.delete_account(uow.session, account_id)
        uow.publish(
            AccountDeleted(
                account_id=account_id,
                dependant_ids=dependant_ids,
                email=account.email,
                phone=account.phone,
                language=account.language,
            )
        )
        await uow.commit()
