"""Use cases of the accounts service. Each one owns its unit of work's commit."""

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import delete, func, insert, or_, select, update

from services.accounts import account_links, domain, login_statements, sessions
from services.accounts.models import (
    accounts,
    decoy_challenges,
    dependants,
    login_failures,
    pending_changes,
    session_families,
    staff_users,
)
from services.accounts.passwords import PasswordHashing
from services.accounts.personal_data import NamVault
from services.accounts.schemas import (
    BookingFormResponse,
    ChallengeResponse,
    DependantRequest,
    DependantResponse,
    ProfileResponse,
    RegisterAccountRequest,
    RequestSensitiveChangeRequest,
    StaffProfileResponse,
    TokenResponse,
    UpdateProfileRequest,
)
from services.accounts.settings import AccountsSettings
from shared.contact import Email, Phone, require_contact
from shared.contracts.accounts import (
    AccountDeleted,
    AccountRegistered,
    CodeRequested,
    ContactChanged,
    DependantAdded,
    DependantRemoved,
    ProfileChanged,
    RegistrationAttemptedOnExistingAccount,
)
from shared.contracts.verification import ChallengePassed
from shared.db import pooled_driver_connection
from shared.errors import DEFAULT_FR, MESSAGES, ApiError
from shared.nam import Nam, nam_warnings
from shared.unit_of_work import UnitOfWork

IDENTITY_FIELDS = frozenset({"first_name", "last_name", "birth_date", "sex", "nam"})
_email = TypeAdapter(Email)
_phone = TypeAdapter(Phone)
_nam = TypeAdapter(Nam)


@dataclass(frozen=True)
class Deps:
    """What the use cases need besides a unit of work; built once in main.py."""

    settings: AccountsSettings
    hashing: PasswordHashing
    vault: NamVault


def _masked(channel: str, destination: str) -> str:
    # In lower case: the address as stored and as typed may differ in case, which would tell them apart.
    return domain.mask_email(destination.lower()) if channel == "email" else domain.mask_phone(destination)


def _primary_channel(row: Any) -> tuple[str, str]:
    return ("email", row.email) if row.email else ("sms", row.phone)


def _field_error(field: str, exc: ValidationError) -> ApiError:
    code = exc.errors()[0]["type"]
    fr, en = MESSAGES.get(code, (DEFAULT_FR, "Invalid value."))
    return ApiError(422, code, field, fr, en)


def _request_code(
    uow: UnitOfWork, account_id: uuid.UUID, purpose: str, channel: str, destination: str, language: str
) -> uuid.UUID:
    challenge_id = uuid.uuid4()
    uow.publish(
        CodeRequested(
            request_id=challenge_id,
            account_id=account_id,
            purpose=purpose,  # type: ignore[arg-type]
            channel=channel,  # type: ignore[arg-type]
            destination=destination,
            language=language,  # type: ignore[arg-type]
        )
    )
    return challenge_id


# Ids of the accounts that do not exist, for decoy challenges: stable per destination, so verification limits
# the codes and wrong tries of a decoy per "account" as it does a real one's.
DECOY_ACCOUNTS = uuid.UUID("5b0c8e52-3f1d-4a8e-9c57-2d6f0e1a7b94")


async def _request_decoy(
    uow: UnitOfWork,
    deps: Deps,
    purpose: str,
    channel: str,
    destination: str,
    account_id: uuid.UUID | None = None,
    resend_of: uuid.UUID | None = None,
) -> uuid.UUID:
    """A challenge where no account can be proven: verification answers for its id like any other (status,
    wrong codes, limits) but no code passes it and nothing is sent, so its id tells nothing either. Kept
    (decoy_challenges) so that a resend answers as a pending change's does."""
    challenge_id = uuid.uuid4()
    decoy_account = account_id or uuid.uuid5(DECOY_ACCOUNTS, f"{channel}:{destination}")
    uow.publish(
        CodeRequested(
            request_id=challenge_id,
            account_id=decoy_account,
            purpose=purpose,  # type: ignore[arg-type]
            channel=channel,  # type: ignore[arg-type]
            destination=destination,
            language="fr",  # nothing is sent
            resend_of=resend_of,
            decoy=True,
        )
    )
    if resend_of is not None:
        await uow.session.execute(
            update(decoy_challenges)
            .where(decoy_challenges.c.challenge_id == resend_of)
            .values(challenge_id=challenge_id)
        )
        return challenge_id
    encrypted, digest = deps.vault.protect_contact(destination)
    await uow.session.execute(
        insert(decoy_challenges).values(
            challenge_id=challenge_id,
            account_id=decoy_account,
            purpose=purpose,
            channel=channel,
            destination_encrypted=encrypted,
            destination_hmac=digest,
        )
    )
    return challenge_id


async def register_account(uow: UnitOfWork, deps: Deps, request: RegisterAccountRequest) -> ChallengeResponse:
    require_contact(request.email, request.phone)
    domain.check_password(
        request.password, [request.first_name, request.last_name, (request.email or "").split("@")[0]]
    )
    warnings = (
        nam_warnings(request.nam, request.last_name, request.first_name, request.birth_date, request.sex)
        if request.nam
        else []
    )
    channel, destination = ("email", request.email) if request.email else ("sms", request.phone)
    assert destination is not None
    password_hash = await deps.hashing.hash(request.password)
    async with uow:
        staff_email = await _staff_email(uow, request.email) if request.email else None
        if staff_email is not None:
            # The address's owner is told by a message there; the answer is a registration's, so it does not
            # disclose which addresses are the staff's.
            uow.publish(
                RegistrationAttemptedOnExistingAccount(
                    channel="email", destination=staff_email, language=request.language, staff_account=True
                )
            )
            challenge_id = await _request_decoy(uow, deps, "activate_account", channel, destination, uuid.uuid4())
            await uow.commit()
            return ChallengeResponse(
                challenge_id=challenge_id, channel=channel, sent_to=_masked(channel, destination), warnings=warnings
            )
        # Only the contacts given: `column == None` would match every account without one.
        same_contact = []
        if request.email:
            same_contact.append(func.lower(accounts.c.email) == request.email.lower())
        if request.phone:
            same_contact.append(accounts.c.phone == request.phone)
        existing = (await uow.session.execute(select(accounts.c.id, accounts.c.status).where(or_(*same_contact)))).all()
        if any(row.status == "active" for row in existing):
            # Same answer as a new registration: whether an address has an account is not disclosed.
            uow.publish(
                RegistrationAttemptedOnExistingAccount(
                    channel=channel,  # type: ignore[arg-type]
                    destination=destination,
                    language=request.language,
                )
            )
            # A new registration's account id is new too.
            challenge_id = await _request_decoy(uow, deps, "activate_account", channel, destination, uuid.uuid4())
            await uow.commit()
            return ChallengeResponse(
                challenge_id=challenge_id, channel=channel, sent_to=_masked(channel, destination), warnings=warnings
            )
        if existing:  # never activated: the new registration replaces it
            await uow.session.execute(delete(accounts).where(accounts.c.id.in_([row.id for row in existing])))
        account_id = uuid.uuid4()
        nam_encrypted, nam_hmac = deps.vault.protect(request.nam)
        await uow.session.execute(
            insert(accounts).values(
                id=account_id,
                status="pending",
                first_name=request.first_name,
                last_name=request.last_name,
                birth_date=request.birth_date,
                sex=request.sex,
                nam_encrypted=nam_encrypted,
                nam_hmac=nam_hmac,
                email=request.email,
                phone=request.phone,
                language=request.language,
                password_hash=password_hash,
                notify_email=bool(request.email),
                notify_sms=not request.email,
            )
        )
        challenge_id = _request_code(uow, account_id, "activate_account", channel, destination, request.language)
        await uow.session.execute(
            insert(pending_changes).values(
                challenge_id=challenge_id,
                account_id=account_id,
                purpose="activate_account",
                channel=channel,
                destination=destination,
            )
        )
        await uow.commit()
    return ChallengeResponse(
        challenge_id=challenge_id, channel=channel, sent_to=_masked(channel, destination), warnings=warnings
    )


async def _staff_email(uow: UnitOfWork, email: str) -> str | None:
    """The staff member's address as recorded, when `email` is one in any case."""
    found = await uow.session.execute(
        select(staff_users.c.email).where(func.lower(staff_users.c.email) == email.lower())
    )
    return found.scalar()


async def resend_code(
    uow: UnitOfWork, deps: Deps, challenge_id: uuid.UUID, account_id: uuid.UUID | None
) -> ChallengeResponse:
    """A new code for a pending change; the verification service keeps the old try budget."""
    async with uow:
        query = (
            select(pending_changes, accounts.c.language)
            .join(accounts)
            .where(pending_changes.c.challenge_id == challenge_id)
        )
        if account_id is not None:
            query = query.where(pending_changes.c.account_id == account_id)
        pending = (await uow.session.execute(query.with_for_update(of=pending_changes))).first()
        if pending is None:
            return await _resend_decoy(uow, deps, challenge_id, account_id)
        new_id = uuid.uuid4()
        uow.publish(
            CodeRequested(
                request_id=new_id,
                account_id=pending.account_id,
                purpose=pending.purpose,
                channel=pending.channel,
                destination=pending.destination,
                language=pending.language,
                resend_of=challenge_id,
            )
        )
        await uow.session.execute(
            update(pending_changes).where(pending_changes.c.challenge_id == challenge_id).values(challenge_id=new_id)
        )
        await uow.commit()
    return ChallengeResponse(
        challenge_id=new_id, channel=pending.channel, sent_to=_masked(pending.channel, pending.destination)
    )


async def _resend_decoy(
    uow: UnitOfWork, deps: Deps, challenge_id: uuid.UUID, account_id: uuid.UUID | None
) -> ChallengeResponse:
    """Within resend_code's unit of work: a decoy's code is "sent again" as a pending change's would be."""
    query = select(decoy_challenges).where(decoy_challenges.c.challenge_id == challenge_id)
    if account_id is not None:
        query = query.where(decoy_challenges.c.account_id == account_id)
    decoy = (await uow.session.execute(query.with_for_update())).first()
    if decoy is None:
        raise domain.NOT_FOUND
    destination = deps.vault.reveal_contact(decoy.destination_encrypted)
    new_id = await _request_decoy(
        uow, deps, decoy.purpose, decoy.channel, destination, decoy.account_id, resend_of=challenge_id
    )
    await uow.commit()
    return ChallengeResponse(challenge_id=new_id, channel=decoy.channel, sent_to=_masked(decoy.channel, destination))


async def apply_passed_challenge(uow: UnitOfWork, deps: Deps, event: ChallengePassed) -> None:
    """Consumer side: the citizen proved the channel; apply what was waiting for it."""
    pending = (
        await uow.session.execute(
            select(pending_changes).where(pending_changes.c.challenge_id == event.challenge_id).with_for_update()
        )
    ).first()
    if pending is None:
        return  # superseded by a resend, or the account is gone
    account = (await uow.session.execute(select(accounts).where(accounts.c.id == pending.account_id))).one()
    values: dict[str, Any] = {}
    match pending.purpose:
        case "activate_account":
            values["status"] = "active"
            uow.publish(AccountRegistered(account_id=account.id, language=account.language))
        case "change_email" | "change_phone":
            column = "email" if pending.purpose == "change_email" else "phone"
            values[column] = pending.new_value
            if column == "email":
                values["notify_email"] = True
            uow.publish(
                ContactChanged(
                    account_id=account.id,
                    channel="email" if column == "email" else "sms",
                    old_destination=getattr(account, column),
                    new_destination=pending.new_value,
                    language=account.language,
                )
            )
        case "change_password" | "reset_password":
            values["password_hash"] = pending.new_value
            await sessions.end_every_session(uow, account.id)
        case "change_nam":
            # Linked because a clinic confirmed the old NAM: with a new one, the link no longer holds.
            await account_links.leave_group(uow, account.id, event.challenge_id, tell_holder=True)
            values["nam_encrypted"] = pending.new_value
            values["nam_hmac"] = deps.vault.protect(deps.vault.reveal(pending.new_value))[1]
            uow.publish(
                ProfileChanged(
                    account_id=account.id, person_id=account.id, changed_fields=["nam"], identity_changed=True
                )
            )
    await uow.session.execute(update(accounts).where(accounts.c.id == account.id).values(**values))
    await uow.session.execute(delete(pending_changes).where(pending_changes.c.challenge_id == event.challenge_id))


async def _find_by_identifier(uow: UnitOfWork, identifier: str) -> Any:
    kind, value = domain.login_identifier(identifier)
    if value is None:
        return None
    condition = func.lower(accounts.c.email) == value if kind == "email" else accounts.c.phone == value
    return (await uow.session.execute(select(accounts).where(condition))).first()


def _ip_limit(settings: AccountsSettings, client_ip: str) -> login_statements.Limit:
    """`client_ip` is a shared.client_address limit key (an IPv6 client's /64; one bucket for no address)."""
    return login_statements.Limit(
        f"ip:{client_ip}", settings.ip_failures_before_delay, timedelta(minutes=settings.ip_failures_memory_minutes)
    )


def _subject_limit(settings: AccountsSettings, key: str) -> login_statements.Limit:
    """An account's, a staff member's or an unknown identifier's count: the same limit for all three, so
    when refusals begin does not tell whether an account exists."""
    return login_statements.Limit(
        key, settings.login_failures_before_delay, timedelta(hours=settings.login_failures_memory_hours)
    )


async def log_in(uow: UnitOfWork, deps: Deps, identifier: str, password: str, client_ip: str) -> TokenResponse:
    settings = deps.settings
    ip = _ip_limit(settings, client_ip)
    kind, value = domain.login_identifier(identifier)
    # An unreadable phone number names no account, but its tries are counted all the same; by a keyed HMAC,
    # as what was typed may be anybody's address.
    unknown_key = f"identifier:{deps.vault.contact_hmac(value or identifier)}"

    def limits(account: Any) -> list[login_statements.Limit]:
        return [ip, _subject_limit(settings, f"account:{account['id']}" if account is not None else unknown_key)]

    query = login_statements.CITIZEN_BY_EMAIL if kind == "email" else login_statements.CITIZEN_BY_PHONE
    # The hot path, around argon2: statements on a driver connection (login_statements.py says why).
    async with pooled_driver_connection(uow.engine) as pooled:
        attempt = await login_statements.reserve(pooled.driver_connection, query, value, limits)
    if attempt.wait is not None:
        raise domain.too_many_failures(attempt.wait)
    account = attempt.subject
    ok = await deps.hashing.verify(account["password_hash"] if account else None, password)
    if not ok or account is None:
        raise domain.BAD_CREDENTIALS  # the try stays counted: it was reserved before hashing
    if account["status"] != "active":
        # The right password: no guess to count (the portal asks again until the code activates the account).
        async with pooled_driver_connection(uow.engine) as pooled:
            await login_statements.release(pooled.driver_connection, f"account:{account['id']}", ip.key)
        raise domain.ACCOUNT_NOT_ACTIVE
    session = sessions.new_session(settings, "citizen")
    async with pooled_driver_connection(uow.engine) as pooled:
        await login_statements.record_success(
            pooled.driver_connection,
            account["id"],
            session.refresh_token_hash,
            session.ends_at,
            ip.key,
            session.family_id,
            session.started_at,
        )
    return sessions.token_response(
        settings, account["id"], "citizen", {}, session.refresh_token, session.family_id, session.ends_at
    )


async def request_password_reset(uow: UnitOfWork, deps: Deps, identifier: str, new_password: str) -> ChallengeResponse:
    """The code goes where the identifier typed points (an email address or a phone number), and the answer
    names that, masked: with or without an account behind it, the answer is the same."""
    domain.check_password(new_password, [])
    password_hash = await deps.hashing.hash(new_password)
    kind, value = domain.login_identifier(identifier)
    channel = "email" if kind == "email" else "sms"
    typed = value or identifier.strip()
    async with uow:
        account = await _find_by_identifier(uow, identifier)
        if account is None or account.status != "active":
            challenge_id = await _request_decoy(uow, deps, "reset_password", channel, typed)
            await uow.commit()
            return ChallengeResponse(challenge_id=challenge_id, channel=channel, sent_to=_masked(channel, typed))
        destination = account.email if channel == "email" else account.phone
        challenge_id = _request_code(uow, account.id, "reset_password", channel, destination, account.language)
        await uow.session.execute(
            insert(pending_changes).values(
                challenge_id=challenge_id,
                account_id=account.id,
                purpose="reset_password",
                channel=channel,
                destination=destination,
                new_value=password_hash,
            )
        )
        await uow.commit()
    return ChallengeResponse(challenge_id=challenge_id, channel=channel, sent_to=_masked(channel, typed))


async def _account(uow: UnitOfWork, account_id: uuid.UUID) -> Any:
    row = (await uow.session.execute(select(accounts).where(accounts.c.id == account_id))).first()
    if row is None:
        raise domain.NOT_FOUND
    return row


def _mask_nam(nam: str | None) -> str | None:
    return f"•••• •••• {nam[-4:]}" if nam else None


async def get_profile(uow: UnitOfWork, deps: Deps, account_id: uuid.UUID) -> ProfileResponse:
    async with uow:
        row = await _account(uow, account_id)
    return ProfileResponse(
        **{k: getattr(row, k) for k in ProfileResponse.model_fields if k not in ("nam",)},
        nam=_mask_nam(deps.vault.reveal(row.nam_encrypted)),
    )


async def update_profile(
    uow: UnitOfWork, deps: Deps, account_id: uuid.UUID, request: UpdateProfileRequest
) -> ProfileResponse:
    changes = request.model_dump(exclude_unset=True, exclude_none=True)
    async with uow:
        current = await _account(uow, account_id)
        changed = sorted(k for k, v in changes.items() if getattr(current, k) != v)
        if changed:
            await uow.session.execute(update(accounts).where(accounts.c.id == account_id).values(**changes))
            uow.publish(
                ProfileChanged(
                    account_id=account_id,
                    person_id=account_id,
                    changed_fields=changed,
                    identity_changed=bool(IDENTITY_FIELDS & set(changed)),
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
        raise ApiError(403, "wrong_password", "current_password", "Mot de passe incorrect.", "Wrong password.")
    channel, destination = _primary_channel(account)
    new_value: str
    try:
        match request.kind:
            case "email":
                new_value = destination = _email.validate_python(request.new_value)
                channel = "email"
            case "phone":
                new_value = destination = _phone.validate_python(request.new_value)
                channel = "sms"
            case "nam":
                new_value = deps.vault.protect(_nam.validate_python(request.new_value))[0]  # type: ignore[assignment]
            case "password":
                domain.check_password(request.new_value, [account.first_name, account.last_name])
                new_value = await deps.hashing.hash(request.new_value)
    except ValidationError as exc:
        raise _field_error("new_value", exc) from None
    async with uow:
        purpose = f"change_{request.kind}"
        staff_email = await _staff_email(uow, new_value) if request.kind == "email" else None
        if staff_email is not None:
            # As at registration: the staff member is told there, the answer discloses nothing.
            uow.publish(
                RegistrationAttemptedOnExistingAccount(
                    channel="email", destination=staff_email, language=account.language, staff_account=True
                )
            )
            challenge_id = await _request_decoy(uow, deps, purpose, channel, destination, account_id)
            await uow.commit()
            return ChallengeResponse(challenge_id=challenge_id, channel=channel, sent_to=_masked(channel, destination))
        challenge_id = _request_code(uow, account_id, purpose, channel, destination, account.language)
        await uow.session.execute(
            insert(pending_changes).values(
                challenge_id=challenge_id,
                account_id=account_id,
                purpose=purpose,
                channel=channel,
                destination=destination,
                new_value=new_value,
            )
        )
        await uow.commit()
    return ChallengeResponse(challenge_id=challenge_id, channel=channel, sent_to=_masked(channel, destination))


def _dependant_response(deps: Deps, row: Any, warnings: list[str] | None = None) -> DependantResponse:
    return DependantResponse(
        id=row.id,
        first_name=row.first_name,
        last_name=row.last_name,
        birth_date=row.birth_date,
        sex=row.sex,
        nam=_mask_nam(deps.vault.reveal(row.nam_encrypted)),
        warnings=warnings or [],
    )


async def list_dependants(uow: UnitOfWork, deps: Deps, account_id: uuid.UUID) -> list[DependantResponse]:
    async with uow:
        rows = (
            await uow.session.execute(
                select(dependants).where(dependants.c.account_id == account_id).order_by(dependants.c.created_at)
            )
        ).all()
    return [_dependant_response(deps, row) for row in rows]


def _dependant_values(deps: Deps, request: DependantRequest) -> tuple[dict[str, Any], list[str]]:
    nam_encrypted, nam_hmac = deps.vault.protect(request.nam)
    warnings = (
        nam_warnings(request.nam, request.last_name, request.first_name, request.birth_date, request.sex)
        if request.nam
        else []
    )
    values = request.model_dump(exclude={"nam"}) | {"nam_encrypted": nam_encrypted, "nam_hmac": nam_hmac}
    return values, warnings


async def add_dependant(
    uow: UnitOfWork, deps: Deps, account_id: uuid.UUID, request: DependantRequest
) -> DependantResponse:
    values, warnings = _dependant_values(deps, request)
    dependant_id = uuid.uuid4()
    async with uow:
        await _account(uow, account_id)
        row = (
            await uow.session.execute(
                insert(dependants).values(id=dependant_id, account_id=account_id, **values).returning(dependants)
            )
        ).one()
        uow.publish(DependantAdded(account_id=account_id, dependant_id=dependant_id))
        await uow.commit()
    return _dependant_response(deps, row, warnings)


async def update_dependant(
    uow: UnitOfWork, deps: Deps, account_id: uuid.UUID, dependant_id: uuid.UUID, request: DependantRequest
) -> DependantResponse:
    values, warnings = _dependant_values(deps, request)
    async with uow:
        current = (
            await uow.session.execute(
                select(dependants).where(dependants.c.id == dependant_id, dependants.c.account_id == account_id)
            )
        ).first()
        if current is None:
            raise domain.NOT_FOUND
        changed = sorted(k for k, v in values.items() if k != "nam_encrypted" and getattr(current, k) != v)
        row = (
            await uow.session.execute(
                update(dependants).where(dependants.c.id == dependant_id).values(**values).returning(dependants)
            )
        ).one()
        if changed:
            fields = ["nam" if k == "nam_hmac" else k for k in changed]
            uow.publish(
                ProfileChanged(
                    account_id=account_id,
                    person_id=dependant_id,
                    changed_fields=fields,
                    identity_changed=bool(IDENTITY_FIELDS & set(fields)),
                )
            )
        await uow.commit()
    return _dependant_response(deps, row, warnings)


async def remove_dependant(uow: UnitOfWork, account_id: uuid.UUID, dependant_id: uuid.UUID) -> None:
    async with uow:
        removed = await uow.session.execute(
            delete(dependants)
            .where(dependants.c.id == dependant_id, dependants.c.account_id == account_id)
            .returning(dependants.c.id)
        )
        if removed.first() is None:
            raise domain.NOT_FOUND
        uow.publish(DependantRemoved(account_id=account_id, dependant_id=dependant_id))
        await uow.commit()


async def booking_form(
    uow: UnitOfWork, deps: Deps, account_id: uuid.UUID, person_id: uuid.UUID | None
) -> BookingFormResponse:
    async with uow:
        account = await _account(uow, account_id)
        person, is_dependant = account, False
        if person_id is not None and person_id != account_id:
            person = (
                await uow.session.execute(
                    select(dependants).where(dependants.c.id == person_id, dependants.c.account_id == account_id)
                )
            ).first()
            if person is None:
                raise domain.NOT_FOUND
            is_dependant = True
    return BookingFormResponse(
        person_id=person.id,
        is_dependant=is_dependant,
        first_name=person.first_name,
        last_name=person.last_name,
        birth_date=person.birth_date,
        sex=person.sex,
        # Masked as /me masks it: the browser never gets the full NAM back (a booking made from the account
        # takes none; the gateway's composition forwards the person's other fields only).
        nam=_mask_nam(deps.vault.reveal(person.nam_encrypted)),
        email=account.email,
        phone=account.phone,
        language=account.language,
        notify_email=account.notify_email,
        notify_sms=account.notify_sms,
        holder_name=f"{account.first_name} {account.last_name}",
    )


async def delete_account(uow: UnitOfWork, deps: Deps, account_id: uuid.UUID, password: str) -> None:
    async with uow:
        account = await _account(uow, account_id)
    if not await deps.hashing.verify(account.password_hash, password):
        raise domain.WRONG_PASSWORD
    async with uow:
        dependant_ids = list(
            (
                await uow.session.execute(
                    delete(dependants).where(dependants.c.account_id == account_id).returning(dependants.c.id)
                )
            ).scalars()
        )
        await uow.session.execute(delete(pending_changes).where(pending_changes.c.account_id == account_id))
        contacts = [deps.vault.contact_hmac(c) for c in (account.email, account.phone) if c]
        await uow.session.execute(
            delete(decoy_challenges).where(
                or_(decoy_challenges.c.account_id == account_id, decoy_challenges.c.destination_hmac.in_(contacts))
            )
        )
        await sessions.end_every_session(uow, account_id)
        await uow.session.execute(delete(session_families).where(session_families.c.subject_id == account_id))
        await uow.session.execute(delete(login_failures).where(login_failures.c.key == f"account:{account_id}"))
        await account_links.leave_group(uow, account_id, account_id, tell_holder=False)
        await uow.session.execute(delete(accounts).where(accounts.c.id == account_id))
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


async def staff_log_in(uow: UnitOfWork, deps: Deps, email: str, password: str, client_ip: str) -> TokenResponse:
    settings = deps.settings
    ip = _ip_limit(settings, client_ip)
    lowered = email.strip().lower()

    def limits(staff: Any) -> list[login_statements.Limit]:
        return [
            ip,
            _subject_limit(
                settings,
                f"staff:{staff['id']}" if staff is not None else f"staff-identifier:{deps.vault.contact_hmac(lowered)}",
            ),
        ]

    async with pooled_driver_connection(uow.engine) as pooled:
        attempt = await login_statements.reserve(
            pooled.driver_connection, login_statements.STAFF_BY_EMAIL, lowered, limits
        )
    if attempt.wait is not None:
        raise domain.too_many_failures(attempt.wait)
    staff = attempt.subject
    ok = await deps.hashing.verify(staff["password_hash"] if staff else None, password)
    if not ok or staff is None:
        raise domain.BAD_CREDENTIALS  # the try stays counted: it was reserved before hashing
    async with pooled_driver_connection(uow.engine) as pooled:
        await login_statements.release(pooled.driver_connection, f"staff:{staff['id']}", ip.key)
    async with uow:
        tokens = await sessions.start_session(
            uow, settings, staff["id"], "staff", {"est": str(staff["establishment_id"]), "role": staff["role"]}
        )
        await uow.commit()
    return tokens


async def staff_profile(uow: UnitOfWork, staff_id: uuid.UUID) -> StaffProfileResponse:
    """The signed-in staff member's own record (the console shows their name); a deleted one is gone."""
    async with uow:
        row = (
            await uow.session.execute(
                select(staff_users.c.id, staff_users.c.name, staff_users.c.role, staff_users.c.establishment_id).where(
                    staff_users.c.id == staff_id
                )
            )
        ).first()
    if row is None:
        raise domain.NOT_FOUND
    return StaffProfileResponse.model_validate(row._asdict())
