"""Registration and the changes that wait for a code: an account, a new contact, password or NAM is only
applied once verification says the citizen entered the code sent to them (ChallengePassed). Each use case owns
its unit of work's commit."""

import uuid
from datetime import UTC, datetime, timedelta

from services.accounts.links.rules import NamVault
from services.accounts.links.use_cases import leave_group
from services.accounts.registration import queries
from services.accounts.registration.queries import NewAccount
from services.accounts.registration.rules import (
    ChallengeNotFound,
    check_password,
    check_resend,
    decoy_account,
    masked,
)
from services.accounts.registration.schemas import ChallengeResponse, RegisterAccountRequest
from services.accounts.sessions.rules import login_identifier
from services.accounts.sessions.use_cases import Deps, end_every_session
from services.accounts.settings import AccountsSettings
from shared.contact import require_contact
from shared.contracts.accounts import (
    AccountRegistered,
    Channel,
    CodePurpose,
    CodeRequested,
    ContactChanged,
    Language,
    ProfileChanged,
    RegistrationAttemptedOnExistingAccount,
)
from shared.contracts.verification import ChallengePassed, CodeLocked
from shared.nam import nam_warnings
from shared.unit_of_work import UnitOfWork


def _request_code(
    uow: UnitOfWork,
    account_id: uuid.UUID,
    purpose: CodePurpose,
    channel: Channel,
    destination: str,
    language: Language,
) -> uuid.UUID:
    challenge_id = uuid.uuid4()
    uow.publish(
        CodeRequested(
            request_id=challenge_id,
            account_id=account_id,
            purpose=purpose,
            channel=channel,
            destination=destination,
            language=language,
        )
    )
    return challenge_id


async def _request_decoy(
    uow: UnitOfWork,
    vault: NamVault,
    purpose: CodePurpose,
    channel: Channel,
    destination: str,
    account_id: uuid.UUID | None = None,
    resend_of: uuid.UUID | None = None,
) -> uuid.UUID:
    """A challenge where no account can be proven: verification answers for its id like any other (status,
    wrong codes, limits) but no code passes it and nothing is sent, so its id tells nothing either. Kept
    (decoy_challenges) so that a resend answers as a pending change's does."""
    challenge_id = uuid.uuid4()
    decoy_account_id = account_id or decoy_account(channel, destination)
    uow.publish(
        CodeRequested(
            request_id=challenge_id,
            account_id=decoy_account_id,
            purpose=purpose,
            channel=channel,
            destination=destination,
            language="fr",  # nothing is sent
            resend_of=resend_of,
            decoy=True,
        )
    )
    if resend_of is not None:
        await queries.move_decoy(uow.session, resend_of, challenge_id)
        return challenge_id
    encrypted, digest = vault.protect_contact(destination)
    await queries.add_decoy(uow.session, challenge_id, decoy_account_id, purpose, channel, encrypted, digest)
    return challenge_id


async def register_account(uow: UnitOfWork, deps: Deps, request: RegisterAccountRequest) -> ChallengeResponse:
    hashing, vault = deps.hashing, deps.vault
    require_contact(request.email, request.phone)
    check_password(request.password, [request.first_name, request.last_name, (request.email or "").split("@")[0]])
    warnings = (
        nam_warnings(request.nam, request.last_name, request.first_name, request.birth_date, request.sex)
        if request.nam
        else []
    )
    channel: Channel
    channel, destination = ("email", request.email) if request.email else ("sms", request.phone)
    assert destination is not None
    password_hash = await hashing.hash(request.password)
    async with uow:
        staff_email = await queries.staff_email(uow.session, request.email) if request.email else None
        if staff_email is not None:
            # The address's owner is told by a message there; the answer is a registration's, so it does not
            # disclose which addresses are the staff's.
            uow.publish(
                RegistrationAttemptedOnExistingAccount(
                    channel="email", destination=staff_email, language=request.language, staff_account=True
                )
            )
            challenge_id = await _request_decoy(uow, vault, "activate_account", channel, destination, uuid.uuid4())
            await uow.commit()
            return ChallengeResponse(
                challenge_id=challenge_id, channel=channel, sent_to=masked(channel, destination), warnings=warnings
            )
        existing = await queries.accounts_with_contact(uow.session, request.email, request.phone)
        if any(row.status == "active" for row in existing):
            # Same answer as a new registration: whether an address has an account is not disclosed.
            uow.publish(
                RegistrationAttemptedOnExistingAccount(
                    channel=channel, destination=destination, language=request.language
                )
            )
            # A new registration's account id is new too.
            challenge_id = await _request_decoy(uow, vault, "activate_account", channel, destination, uuid.uuid4())
            await uow.commit()
            return ChallengeResponse(
                challenge_id=challenge_id, channel=channel, sent_to=masked(channel, destination), warnings=warnings
            )
        if existing:  # never activated: the new registration replaces it
            await queries.delete_accounts(uow.session, [row.id for row in existing])
        account_id = uuid.uuid4()
        nam_encrypted, nam_hmac = vault.protect(request.nam)
        await queries.add_pending_account(
            uow.session,
            NewAccount(
                id=account_id,
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
            ),
        )
        challenge_id = _request_code(uow, account_id, "activate_account", channel, destination, request.language)
        await queries.add_pending_change(
            uow.session, challenge_id, account_id, "activate_account", channel, destination
        )
        await uow.commit()
    return ChallengeResponse(
        challenge_id=challenge_id, channel=channel, sent_to=masked(channel, destination), warnings=warnings
    )


async def resend_code(
    uow: UnitOfWork, deps: Deps, challenge_id: uuid.UUID, account_id: uuid.UUID | None
) -> ChallengeResponse:
    """A new code for a pending change; the verification service keeps the old try budget, or opens a fresh one
    once the spent one's cooldown is over. Before that, refused with the time to come back (ResendTooSoon)."""
    async with uow:
        pending = await queries.pending_to_resend(uow.session, challenge_id, account_id)
        if pending is None:
            return await _resend_decoy(uow, deps.vault, challenge_id, account_id)
        check_resend(pending.new_code_from, datetime.now(UTC))
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
        await queries.move_pending_change(uow.session, challenge_id, new_id)
        await uow.commit()
    return ChallengeResponse(
        challenge_id=new_id, channel=pending.channel, sent_to=masked(pending.channel, pending.destination)
    )


async def _resend_decoy(
    uow: UnitOfWork, vault: NamVault, challenge_id: uuid.UUID, account_id: uuid.UUID | None
) -> ChallengeResponse:
    """Within resend_code's unit of work: a decoy's code is "sent again" as a pending change's would be."""
    decoy = await queries.decoy_to_resend(uow.session, challenge_id, account_id)
    if decoy is None:
        raise ChallengeNotFound
    check_resend(decoy.new_code_from, datetime.now(UTC))  # as a real pending change's would be
    destination = vault.reveal_contact(decoy.destination_encrypted)
    new_id = await _request_decoy(
        uow, vault, decoy.purpose, decoy.channel, destination, decoy.account_id, resend_of=challenge_id
    )
    await uow.commit()
    return ChallengeResponse(challenge_id=new_id, channel=decoy.channel, sent_to=masked(decoy.channel, destination))


async def request_change(
    uow: UnitOfWork,
    vault: NamVault,
    account_id: uuid.UUID,
    language: Language,
    purpose: CodePurpose,
    channel: Channel,
    destination: str,
    new_value: str | None,
) -> ChallengeResponse:
    """A change that waits for the code sent to `destination`."""
    async with uow:
        staff_email = await queries.staff_email(uow.session, destination) if purpose == "change_email" else None
        if staff_email is not None:
            # As at registration: the staff member is told there, the answer discloses nothing.
            uow.publish(
                RegistrationAttemptedOnExistingAccount(
                    channel="email", destination=staff_email, language=language, staff_account=True
                )
            )
            challenge_id = await _request_decoy(uow, vault, purpose, channel, destination, account_id)
            await uow.commit()
            return ChallengeResponse(challenge_id=challenge_id, channel=channel, sent_to=masked(channel, destination))
        challenge_id = _request_code(uow, account_id, purpose, channel, destination, language)
        await queries.add_pending_change(
            uow.session, challenge_id, account_id, purpose, channel, destination, new_value
        )
        await uow.commit()
    return ChallengeResponse(challenge_id=challenge_id, channel=channel, sent_to=masked(channel, destination))


async def record_code_locked(uow: UnitOfWork, event: CodeLocked) -> None:
    """Consumer side: no code passes that challenge before `new_code_from`, so a resend waits until then."""
    await queries.record_code_locked(uow.session, event.challenge_id, event.new_code_from)


async def apply_passed_challenge(uow: UnitOfWork, vault: NamVault, event: ChallengePassed) -> None:
    """Consumer side: the citizen proved the channel; apply what was waiting for it."""
    pending = await queries.pending_change(uow.session, event.challenge_id)
    if pending is None:
        return  # superseded by a resend, or the account is gone
    account = await queries.account_contacts(uow.session, pending.account_id)
    match pending.purpose:
        case "activate_account":
            await queries.activate(uow.session, account.id)
            uow.publish(AccountRegistered(account_id=account.id, language=account.language))
        case "change_email" | "change_phone":
            is_email = pending.purpose == "change_email"
            assert pending.new_value is not None  # a change of contact always names the new one
            if is_email:
                await queries.change_email(uow.session, account.id, pending.new_value)
            else:
                await queries.change_phone(uow.session, account.id, pending.new_value)
            uow.publish(
                ContactChanged(
                    account_id=account.id,
                    channel="email" if is_email else "sms",
                    old_destination=account.email if is_email else account.phone,
                    new_destination=pending.new_value,
                    language=account.language,
                )
            )
        case "change_password" | "reset_password":
            await queries.change_password_hash(uow.session, account.id, pending.new_value)
            await end_every_session(uow, account.id)
        case "change_nam":
            # Linked because a clinic confirmed the old NAM: with a new one, the link no longer holds.
            await leave_group(uow, account.id, event.challenge_id, tell_holder=True)
            await queries.change_nam(
                uow.session, account.id, pending.new_value, vault.protect(vault.reveal(pending.new_value))[1]
            )
            uow.publish(
                ProfileChanged(
                    account_id=account.id, person_id=account.id, changed_fields=["nam"], identity_changed=True
                )
            )
    await queries.delete_pending_change(uow.session, event.challenge_id)


async def request_password_reset(uow: UnitOfWork, deps: Deps, identifier: str, new_password: str) -> ChallengeResponse:
    """The code goes where the identifier typed points (an email address or a phone number), and the answer
    names that, masked: with or without an account behind it, the answer is the same."""
    check_password(new_password, [], "new_password")
    password_hash = await deps.hashing.hash(new_password)
    kind, value = login_identifier(identifier)
    channel: Channel = "email" if kind == "email" else "sms"
    typed = value or identifier.strip()
    async with uow:
        account = await queries.account_by_identifier(uow.session, kind, value) if value is not None else None
        if account is None or account.status != "active":
            challenge_id = await _request_decoy(uow, deps.vault, "reset_password", channel, typed)
            await uow.commit()
            return ChallengeResponse(challenge_id=challenge_id, channel=channel, sent_to=masked(channel, typed))
        # Found by it: the account has the contact typed.
        destination = (account.email if channel == "email" else account.phone) or typed
        challenge_id = _request_code(uow, account.id, "reset_password", channel, destination, account.language)
        await queries.add_pending_change(
            uow.session, challenge_id, account.id, "reset_password", channel, destination, password_hash
        )
        await uow.commit()
    return ChallengeResponse(challenge_id=challenge_id, channel=channel, sent_to=masked(channel, typed))


async def forget_expired(uow: UnitOfWork, challenges_before: datetime, failures_before: datetime) -> int:
    """What accounts keeps only for a while: it forgets it once no rule can look at it any more (Québec's Law 25
    asks that personal information be kept no longer than its purpose needs).

    - decoy challenges (a reset or sign-up for an address with no account of its own) hold a third party's
      encrypted address, and pending changes the new value a citizen asked for: a code lives 10 minutes, a
      resend extends it; after `challenge_retention_hours` neither can ever be confirmed;
    - login failure counts are forgotten by the login rules once untouched for their memory (24 h for an
      account or an identifier, 15 min for an address): the rows are only dead weight after the longest of
      those.

    Deletes what expired; returns how many rows went."""
    async with uow:
        deleted = await queries.delete_expired(uow.session, challenges_before, failures_before)
        await uow.commit()
    return deleted


async def forget_expired_now(uow: UnitOfWork, settings: AccountsSettings) -> int:
    """forget_expired with today's cut-offs; run every `purge_interval_seconds` (main.py)."""
    now = datetime.now(UTC)
    longest_memory = max(
        timedelta(hours=settings.login_failures_memory_hours),
        timedelta(minutes=settings.ip_failures_memory_minutes),
    )
    return await forget_expired(uow, now - timedelta(hours=settings.challenge_retention_hours), now - longest_memory)
