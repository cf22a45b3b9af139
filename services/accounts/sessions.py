"""Sessions: a login starts a family of refresh tokens, each refresh rotates within it, and a revocation ends
sessions at once for the gateway (SessionsRevoked) instead of when their access tokens expire.

- Rotation with reuse detection: a refresh token works once. Presented again, someone holds a copy (the
  thief or the citizen, whichever came second), so the whole family ends: the refresh token the other one
  got and the access tokens issued in the family.
- Absolute lifetime: a family ends `citizen_session_days` / `staff_session_hours` after its login however
  often it is refreshed; access tokens and refresh cookies never outlive it.
- Serialised with refreshes: a refresh locks its family row and a revocation updates it, so a refresh running
  during a revocation either finishes first (its new tokens belong to the family being ended) or finds the
  family ended.
"""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import delete, insert, select, text, update

from services.accounts.models import refresh_tokens, session_families, session_revocations, staff_users
from services.accounts.schemas import SessionRevocationResponse, TokenResponse
from services.accounts.settings import AccountsSettings
from services.accounts.tokens import hash_refresh_token, issue_access_token, new_refresh_token
from shared.contracts.accounts import SessionsRevoked
from shared.errors import ApiError
from shared.unit_of_work import UnitOfWork

log = structlog.get_logger(__name__)

SESSION_EXPIRED = ApiError(401, "session_expired", None, "Session expirée.", "Session expired.")


def lifetime(settings: AccountsSettings, audience: str) -> timedelta:
    if audience == "staff":
        return timedelta(hours=settings.staff_session_hours)
    return timedelta(days=settings.citizen_session_days)


@dataclass(frozen=True)
class NewSession:
    """A family and its first refresh token, before they are stored (by the caller's statement)."""

    family_id: uuid.UUID
    started_at: datetime
    ends_at: datetime
    refresh_token: str
    refresh_token_hash: str


def new_session(settings: AccountsSettings, audience: str) -> NewSession:
    started = datetime.now(UTC)
    token, token_hash = new_refresh_token()
    return NewSession(uuid.uuid4(), started, started + lifetime(settings, audience), token, token_hash)


def token_response(
    settings: AccountsSettings,
    subject: uuid.UUID,
    audience: str,
    extra: dict[str, str],
    refresh_token: str,
    family_id: uuid.UUID,
    ends_at: datetime,
) -> TokenResponse:
    access = issue_access_token(
        settings.jwt_private_key.get_secret_value(),
        subject,
        audience,
        settings.access_token_minutes,
        {**extra, "sid": str(family_id)},
        not_after=ends_at,
    )
    left = max(0, int((ends_at - datetime.now(UTC)).total_seconds()))
    return TokenResponse(
        access_token=access,
        refresh_token=refresh_token,
        expires_in=min(settings.access_token_minutes * 60, left),
        refresh_expires_in=left,
    )


async def start_session(
    uow: UnitOfWork, settings: AccountsSettings, subject: uuid.UUID, audience: str, extra: dict[str, str]
) -> TokenResponse:
    """In the caller's transaction, which commits it."""
    session = new_session(settings, audience)
    await uow.session.execute(
        insert(session_families).values(
            id=session.family_id, subject_id=subject, audience=audience, started_at=session.started_at
        )
    )
    await uow.session.execute(
        insert(refresh_tokens).values(
            id=uuid.uuid4(),
            subject_id=subject,
            audience=audience,
            token_hash=session.refresh_token_hash,
            expires_at=session.ends_at,
            family_id=session.family_id,
        )
    )
    return token_response(settings, subject, audience, extra, session.refresh_token, session.family_id, session.ends_at)


_PRESENTED = (
    select(
        refresh_tokens.c.id,
        refresh_tokens.c.revoked_at,
        refresh_tokens.c.expires_at,
        session_families.c.id.label("family_id"),
        session_families.c.subject_id,
        session_families.c.audience,
        session_families.c.started_at,
        session_families.c.revoked_at.label("family_revoked_at"),
    )
    .join(session_families, session_families.c.id == refresh_tokens.c.family_id)
    .with_for_update(of=session_families)
)


async def refresh(uow: UnitOfWork, settings: AccountsSettings, refresh_token: str) -> TokenResponse:
    """A new access token and a new refresh token of the same family; the one presented is used up."""
    async with uow:
        presented = (
            await uow.session.execute(
                _PRESENTED.where(refresh_tokens.c.token_hash == hash_refresh_token(refresh_token))
            )
        ).first()
        if presented is None or presented.family_revoked_at is not None or presented.revoked_at is not None:
            raise SESSION_EXPIRED
        # Used up here, by a statement of its own: the row read above is from the snapshot taken before the wait
        # for the family's lock, so a refresh of the same token that committed meanwhile is only seen now (no
        # row back). Rolled back with the rest if this refresh is refused below.
        used_up = (
            await uow.session.execute(
                update(refresh_tokens)
                .where(refresh_tokens.c.id == presented.id, refresh_tokens.c.used_at.is_(None))
                .values(used_at=text("now()"))
                .returning(refresh_tokens.c.id)
            )
        ).first()
        if used_up is None:
            # Someone holds a copy: whichever of the thief and the citizen came second, the session ends.
            log.warning("refresh_token_reused", session_id=str(presented.family_id), audience=presented.audience)
            await _revoke(uow, presented.subject_id, [presented.family_id], every_session=False)
            await uow.commit()
            raise SESSION_EXPIRED
        ends_at = presented.started_at + lifetime(settings, presented.audience)
        if datetime.now(UTC) >= min(ends_at, presented.expires_at):
            raise SESSION_EXPIRED
        extra: dict[str, str] = {}
        if presented.audience == "staff":
            staff = (
                await uow.session.execute(select(staff_users).where(staff_users.c.id == presented.subject_id))
            ).first()
            if staff is None:
                raise SESSION_EXPIRED
            extra = {"est": str(staff.establishment_id), "role": staff.role}
        token, token_hash = new_refresh_token()
        await uow.session.execute(
            insert(refresh_tokens).values(
                id=uuid.uuid4(),
                subject_id=presented.subject_id,
                audience=presented.audience,
                token_hash=token_hash,
                expires_at=ends_at,
                family_id=presented.family_id,
            )
        )
        await uow.commit()
    return token_response(
        settings, presented.subject_id, presented.audience, extra, token, presented.family_id, ends_at
    )


async def log_out(uow: UnitOfWork, refresh_token: str) -> None:
    """Ends the session the refresh token belongs to, used or not; an unknown token changes nothing."""
    async with uow:
        presented = (
            await uow.session.execute(
                _PRESENTED.where(refresh_tokens.c.token_hash == hash_refresh_token(refresh_token))
            )
        ).first()
        if presented is not None and presented.family_revoked_at is None:
            await _revoke(uow, presented.subject_id, [presented.family_id], every_session=False)
            await uow.commit()


async def end_every_session(uow: UnitOfWork, subject: uuid.UUID) -> None:
    """A password change or a deletion: in the caller's transaction, which commits it."""
    ended = await uow.session.execute(
        update(session_families)
        .where(session_families.c.subject_id == subject, session_families.c.revoked_at.is_(None))
        .values(revoked_at=text("now()"))
        .returning(session_families.c.id)
    )
    await _revoke(uow, subject, list(ended.scalars()), every_session=True, already_ended=True)


async def _revoke(
    uow: UnitOfWork, subject: uuid.UUID, families: list[uuid.UUID], every_session: bool, already_ended: bool = False
) -> None:
    if families and not already_ended:
        await uow.session.execute(
            update(session_families).where(session_families.c.id.in_(families)).values(revoked_at=text("now()"))
        )
    # Taken after the families' rows were locked: a refresh that finished before that issued its tokens
    # earlier, and one still waiting will find its family ended.
    revoked_at = datetime.now(UTC)
    rows: list[dict[str, Any]] = [
        {"subject_id": subject, "session_id": family, "revoked_at": revoked_at} for family in families
    ]
    if every_session:
        rows.append({"subject_id": subject, "session_id": None, "revoked_at": revoked_at})
    if rows:
        await uow.session.execute(insert(session_revocations), rows)
    uow.publish(
        SessionsRevoked(subject_id=subject, session_ids=families, every_session=every_session, revoked_at=revoked_at)
    )


async def revocations_since(
    uow: UnitOfWork, settings: AccountsSettings, since: datetime
) -> list[SessionRevocationResponse]:
    """For a gateway that starts: the revocations its access tokens may still meet. Prunes what no one needs:
    revocations older than any access token, and sessions ended or past their lifetime long ago."""
    kept = timedelta(hours=settings.revocations_kept_hours)
    async with uow:
        rows = (
            await uow.session.execute(
                select(session_revocations)
                .where(session_revocations.c.revoked_at >= since)
                .order_by(session_revocations.c.id)
            )
        ).all()
        now = datetime.now(UTC)
        await uow.session.execute(delete(session_revocations).where(session_revocations.c.revoked_at < now - kept))
        longest = max(lifetime(settings, "citizen"), lifetime(settings, "staff"))
        await uow.session.execute(
            delete(session_families).where(
                (session_families.c.started_at < now - longest - kept) | (session_families.c.revoked_at < now - kept)
            )
        )
        await uow.commit()
    return [
        SessionRevocationResponse(subject_id=r.subject_id, session_id=r.session_id, revoked_at=r.revoked_at)
        for r in rows
    ]
