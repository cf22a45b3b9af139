"""What accounts keeps only for a while: it forgets it once no rule can look at it any more (Québec's Law 25
asks that personal information be kept no longer than its purpose needs).

- decoy challenges (a reset or sign-up for an address with no account of its own) hold a third party's
  encrypted address, and pending changes the new value a citizen asked for: a code lives 10 minutes, a
  resend extends it; after `retention_hours` neither can ever be confirmed;
- login failure counts are forgotten by the login rules once untouched for their memory (24 h for an account
  or an identifier, 15 min for an address): the rows are only dead weight after the longest of those.
"""

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import structlog
from sqlalchemy import text

from services.accounts.settings import AccountsSettings
from shared.unit_of_work import UnitOfWork

log = structlog.get_logger(__name__)

DELETE_OLD_DECOYS = text("DELETE FROM decoy_challenges WHERE created_at < :before")
DELETE_OLD_PENDING_CHANGES = text("DELETE FROM pending_changes WHERE created_at < :before")
DELETE_FORGOTTEN_FAILURES = text("DELETE FROM login_failures WHERE last_failure_at < :before")


async def forget_expired(uow: UnitOfWork, challenges_before: datetime, failures_before: datetime) -> int:
    """Deletes what expired; returns how many rows went."""
    async with uow:
        deleted = 0
        for statement, before in (
            (DELETE_OLD_DECOYS, challenges_before),
            (DELETE_OLD_PENDING_CHANGES, challenges_before),
            (DELETE_FORGOTTEN_FAILURES, failures_before),
        ):
            deleted += (await uow.session.execute(statement, {"before": before})).rowcount or 0
        await uow.commit()
    return deleted


class RetentionWorker:
    """Worker: forgets expired challenges' leftovers and login counts every `purge_interval_seconds`."""

    def __init__(self, unit_of_work: Callable[[], UnitOfWork], settings: AccountsSettings) -> None:
        self._unit_of_work = unit_of_work
        self._settings = settings

    async def run(self) -> None:
        while True:
            now = datetime.now(UTC)
            longest_memory = max(
                timedelta(hours=self._settings.login_failures_memory_hours),
                timedelta(minutes=self._settings.ip_failures_memory_minutes),
            )
            try:
                deleted = await forget_expired(
                    self._unit_of_work(),
                    now - timedelta(hours=self._settings.challenge_retention_hours),
                    now - longest_memory,
                )
                if deleted:
                    log.info("expired_rows_forgotten", count=deleted)
            except Exception as exc:  # noqa: BLE001 - e.g. a database restart: try again next round
                log.warning("retention_failed", error=type(exc).__name__)
            await asyncio.sleep(self._settings.purge_interval_seconds)
