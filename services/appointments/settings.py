from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from shared.settings import DEV_SECRET, ServiceSettings


class AppointmentsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="APPOINTMENTS_", extra="ignore")

    service_name: str = "appointments"
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/appointments"
    # Connections of the nearby search's own pool (planner settings of its own,
    # catalogue.queries.SEARCH_SERVER_SETTINGS).
    search_pool_size: int = 8
    # The accounts service's NAM key (ACCOUNTS_NAM_KEY), same value: a NAM typed in a booking made without an
    # account is kept only as the keyed HMAC accounts and verification compute, to match it in the history.
    nam_key: SecretStr = SecretStr(DEV_SECRET)
    # Bookings without an account one client address may make in a clock hour (booking_sources): each sends
    # messages to an address nobody proved. 0: no limit. Generous on purpose: citizens on a mobile carrier's
    # network share public addresses (carrier-grade NAT), and a rush morning must not refuse them; the
    # per-destination limits in notifications are what protect an address from being flooded.
    anonymous_bookings_per_source_per_hour: int = Field(default=120, ge=0)
    # Addresses never limited, e.g. a load generator's (env: APPOINTMENTS_UNLIMITED_BOOKING_SOURCES='["127.0.0.1"]').
    # Compared by limit key (shared/client_address.py): an IPv6 address listed frees its whole /64.
    unlimited_booking_sources: frozenset[str] = frozenset()
    # The waitlist's offer matcher (waitlist/matcher.py) wakes on PostgreSQL's notice of a freed seat, and at
    # least this often: what expires held seats on time and catches up after a lost listening connection.
    waitlist_poll_seconds: float = Field(default=5.0, gt=0)
