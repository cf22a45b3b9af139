"""Limits on the messages anybody can make us send to an address nobody has proven (issue 18, finding 6).

Two kinds go out at the request of whoever asks, to whatever address they type:
- the notice that someone tried to register with an address that has an account (one per attempt);
- the confirmation, cancellation and reschedule notices of a booking made without an account.
Unlimited, each was a mailbox bombing service (12 attempts, 12 messages). Past a destination's limit a
message is still written to the delivery log, as 'suppressed' with a blank body and never sent: the
request stays countable, nothing is dropped silently, and the first messages always go out.

The limits live here, in the service that decides to send, and count the delivery log itself (its
index on lower(recipient)) over sliding windows: it already is the per-destination record of what went
out, it is erased with the person, and it needs no second copy of the address.
"""

from dataclasses import dataclass

from shared.db import transaction_driver_connection
from shared.unit_of_work import UnitOfWork

# The kinds a booking made without an account sends at its booker's request (reminders are not: one per
# booking still standing, and none for a booking whose confirmations were all suppressed).
ANONYMOUS_BOOKING_KINDS = ("appointment_booked", "appointment_cancelled", "appointment_rescheduled")
REGISTRATION_ATTEMPT_KINDS = ("registration_attempted",)


@dataclass(frozen=True)
class DestinationLimit:
    """At most `per_hour` messages of `kinds` to one address in any hour, `per_day` in any 24 hours."""

    kinds: tuple[str, ...]
    per_hour: int
    per_day: int

    def reached(self, last_hour: int, last_day: int) -> bool:
        return last_hour >= self.per_hour or last_day >= self.per_day


# Transaction-scoped: two consumers counting for one address take turns, so both cannot slip under.
LOCK_DESTINATION = "SELECT pg_advisory_xact_lock(hashtextextended('notifications:destination:' || lower($1), 0))"

# Messages without an account (account_id NULL) that were or will be sent: suppressed ones do not count,
# so a flood does not keep the address muted longer than the window.
SENT_TO_DESTINATION = """
SELECT count(*) FILTER (WHERE created_at > now() - interval '1 hour') AS last_hour, count(*) AS last_day
FROM deliveries
WHERE lower(recipient) = lower($1) AND kind = ANY($2::text[]) AND account_id IS NULL AND status <> 'suppressed'
  AND created_at > now() - interval '24 hours'
"""


async def reached(uow: UnitOfWork, limit: DestinationLimit, recipient: str) -> bool:
    """Whether `recipient` already had `limit`'s messages: the caller then records its message as suppressed
    (service.record_delivery), in this transaction, which holds the destination's lock until it ends."""
    driver = await transaction_driver_connection(uow.session)
    await driver.execute(LOCK_DESTINATION, recipient)
    counted = await driver.fetchrow(SENT_TO_DESTINATION, recipient, list(limit.kinds))
    return limit.reached(counted["last_hour"], counted["last_day"])
