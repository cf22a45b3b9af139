"""Bookings without an account, counted per client address (issue 18, finding 6).

A booking without an account sends its confirmation, then its cancellation notice, to whatever address the
booker typed: unlimited, a book-and-cancel loop was a mailing service (notifications also limit what one
destination receives). One client address may make `anonymous_bookings_per_source_per_hour` of them in a
clock hour; past that a 429 with Retry-After. Attempts count, refused or not: a loop gains nothing by
failing. The source is the limit key of the address the gateway saw (shared/client_address.py: an IPv6
client's /64, and one shared bucket for a request without a readable address, which once went uncounted),
kept as a keyed HMAC.
"""

import hashlib
import hmac
from datetime import timedelta
from functools import lru_cache

from sqlalchemy.ext.asyncio import AsyncEngine

from services.appointments.booking_statement import booking_connection
from services.appointments.settings import AppointmentsSettings
from shared.client_address import UNATTRIBUTED, limit_key
from shared.errors import ApiError

# One statement, in autocommit on the booking path's driver connection (one round trip, where a transaction
# took three): counts the booking, and on an address's first booking of the hour forgets the hours before the
# last (the table keeps this hour and the last).
COUNT = """
WITH counted AS (
  INSERT INTO booking_sources (hour, source_hmac, bookings) VALUES (date_trunc('hour', now()), $1, 1)
  ON CONFLICT (hour, source_hmac) DO UPDATE SET bookings = booking_sources.bookings + 1
  RETURNING bookings
), purged AS (
  DELETE FROM booking_sources
  WHERE hour < date_trunc('hour', now()) - interval '1 hour' AND (SELECT bookings FROM counted) = 1
)
SELECT bookings, extract(epoch FROM date_trunc('hour', now()) + interval '1 hour' - now())::float8 AS seconds_left
FROM counted
"""


def too_many_bookings(retry_after: timedelta) -> ApiError:
    seconds = max(1, int(retry_after.total_seconds() + 0.999))
    minutes = max(1, round(seconds / 60))
    s = "s" if minutes > 1 else ""
    return ApiError(
        429,
        "too_many_bookings",
        None,
        f"Trop de rendez-vous ont été pris sans compte depuis votre connexion. Réessayez dans {minutes} minute{s}, "
        "ou connectez-vous à votre compte.",
        f"Too many appointments were booked without an account from your connection. Please try again in {minutes} "
        f"minute{s}, or log in to your account.",
        headers={"Retry-After": str(seconds)},
    )


def source_hmac(secret: bytes, source: str) -> str:
    return hmac.new(secret, b"booking-source:" + source.encode(), hashlib.sha256).hexdigest()


@lru_cache(maxsize=4)
def _unlimited(listed: frozenset[str]) -> frozenset[str]:
    """The limit keys of the listed addresses (an IPv6 one frees its /64). One that does not read as an address
    frees nothing: it must not free the bucket of requests without an address."""
    return frozenset(key for key in map(limit_key, listed) if key != UNATTRIBUTED)


async def admit(engine: AsyncEngine, settings: AppointmentsSettings, source: str) -> None:
    """Counts a booking without an account from `source`, a shared.client_address limit key; raises
    too_many_bookings past the limit."""
    limit = settings.anonymous_bookings_per_source_per_hour
    if limit == 0 or source in _unlimited(settings.unlimited_booking_sources):
        return
    secret = settings.secret_key.get_secret_value().encode()
    async with booking_connection(engine) as connection:
        counted = await connection.fetchrow(COUNT, source_hmac(secret, source))
    assert counted is not None  # the upsert always returns its row
    if counted["bookings"] > limit:
        raise too_many_bookings(timedelta(seconds=counted["seconds_left"]))
