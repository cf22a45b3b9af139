"""Accounts forgets what no rule can look at any more: decoy challenges (a third party's encrypted address),
pending changes and login failure counts, each past its time; what is still live stays."""

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, insert, select, text

from services.accounts.models import decoy_challenges, login_failures, pending_changes
from services.accounts.registration.use_cases import forget_expired
from services.accounts.tests.integration.test_login_limits import citizen, deps, sessions
from shared.unit_of_work import UnitOfWork

__all__ = ["deps", "sessions"]  # the fixtures, shared with test_login_limits


async def _count(sessions, table) -> int:
    async with sessions() as session:
        return (await session.execute(select(func.count()).select_from(table))).scalar_one()


async def test_expired_decoys_pending_changes_and_failure_counts_are_forgotten_live_ones_kept(sessions, deps):
    account_id = await citizen(sessions, deps, "retention@example.org")
    now = datetime.now(UTC)
    old, recent = now - timedelta(hours=30), now - timedelta(minutes=5)
    async with sessions() as session:
        for created_at in (old, recent):
            await session.execute(
                insert(decoy_challenges).values(
                    challenge_id=uuid.uuid4(),
                    account_id=uuid.uuid4(),
                    purpose="reset_password",
                    channel="email",
                    destination_encrypted="chiffré",
                    destination_hmac=uuid.uuid4().hex,
                    created_at=created_at,
                )
            )
            await session.execute(
                insert(pending_changes).values(
                    challenge_id=uuid.uuid4(),
                    account_id=account_id,
                    purpose="change_email",
                    channel="email",
                    destination="nouvelle@example.org",
                    new_value="nouvelle@example.org",
                    created_at=created_at,
                )
            )
            await session.execute(
                insert(login_failures).values(key=f"ip:{created_at.minute}", failures=3, last_failure_at=created_at)
            )
        await session.commit()

    deleted = await forget_expired(UnitOfWork(sessions), now - timedelta(hours=24), now - timedelta(hours=24))

    assert deleted == 3
    for table in (decoy_challenges, pending_changes, login_failures):
        assert await _count(sessions, table) == 1, table.name
    async with sessions() as session:
        kept = (await session.execute(text("SELECT min(created_at) FROM decoy_challenges"))).scalar_one()
    assert kept > now - timedelta(hours=1)
