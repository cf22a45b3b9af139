import ipaddress
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.settings import DEV_SECRET


class GatewaySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore")

    environment: str = "dev"
    log_level: str = "INFO"
    tracing_exporter: Literal["none", "console", "otlp"] = "none"  # as the services' (shared/settings.py)
    tracing_otlp_endpoint: str = "http://127.0.0.1:4318/v1/traces"
    accounts_url: str = "http://127.0.0.1:8001"
    appointments_url: str = "http://127.0.0.1:8002"
    verification_url: str = "http://127.0.0.1:8003"
    notifications_url: str = "http://127.0.0.1:8004"
    # The accounts service's ES256 public key (PEM): enough to verify tokens, useless to forge them.
    jwt_public_key: str = ""
    # Or the file holding it (GATEWAY_JWT_PUBLIC_KEY_FILE, e.g. a mounted volume): read when the key is empty.
    jwt_public_key_file: str | None = None
    # Cookies are Secure (and __Host- named) unless this is set: only for a dev run over plain HTTP, where
    # browsers would drop them. The dev supervisor and the tests over http://127.0.0.1 set it.
    insecure_cookies: bool = False
    # Origins (scheme://host[:port]) whose pages may post here besides the request's own Host, e.g. the
    # public name when a proxy rewrites Host.
    public_origins: tuple[str, ...] = ()
    # /metrics on a port of its own, as the services' (shared/settings.py): unset serves none.
    metrics_host: str = "127.0.0.1"
    metrics_port: int | None = None
    # Request bodies past this are refused with 413 before more is read (shared/request_limits.py); nothing
    # the gateway forwards or serves needs more.
    max_body_bytes: int = 1024 * 1024
    # The broker, for the sessions accounts ends before their tokens expire (gateway/session_revocations.py): a
    # queue of this process's own on the services' exchange.
    amqp_url: str = "amqp://guest:guest@127.0.0.1:5672/"
    bus_namespace: str = ""
    # How long a revocation is remembered, and how far back a starting gateway asks accounts for them: at
    # least an access token's lifetime (ACCOUNTS_ACCESS_TOKEN_MINUTES).
    revocation_memory_seconds: float = 3600.0
    upstream_timeout_seconds: float = 10.0
    upstream_connections: int = 200
    # Addresses or networks (comma-separated, e.g. "10.0.0.0/8") of the reverse proxies in front of the
    # gateway. Only a request whose direct peer is one of them has its client address taken from
    # X-Forwarded-For (the rightmost address not itself a trusted proxy); from anyone else the header is
    # ignored, as it is by default: anyone can write one, and the login limits count tries per address.
    trusted_proxies: str = ""
    # Signs the links the gateway hands out (the citizen's data export, gateway/data_export.py): every replica
    # must hold the same. The published default is refused outside dev/test.
    secret_key: SecretStr = SecretStr(DEV_SECRET)
    # The gateway's own database (never a service's): the waiting room's shared state (gateway/waiting_room/).
    # Unset, there is no waiting room: every request passes (a dev run without it, unit tests).
    database_url: str = ""
    # The waiting room (issue 23). Opened from the start by this setting, or by an operator's switch on the
    # console (stored in the database, so every replica sees it); otherwise it fills only when a replica is
    # over its budget: this many guarded requests in flight, or their latency's moving average over this.
    waiting_room_open: bool = False
    waiting_room_max_in_flight: int = Field(default=64, gt=0)
    waiting_room_latency_budget_seconds: float = 0.5
    # Visitors admitted from the queue per second, by each replica (the counter moves at the sum): each one
    # starts at this rate, then its own measured load sets it (gateway/waiting_room/rules.next_admit_rate),
    # rising while it has room to spare and someone waits, falling while it is over its budget, never
    # outside the floor (the queue keeps moving however loaded) and the ceiling. It rises gently (x1.1 a second:
    # 17 s from 200 to 1,000), so start near the capacity `make bench` measures per replica.
    waiting_room_admit_per_second: float = Field(default=200.0, gt=0)
    waiting_room_min_admit_per_second: float = Field(default=5.0, gt=0)
    waiting_room_max_admit_per_second: float = Field(default=2000.0, gt=0)
    # How often a replica reads (and, when due, advances) the shared counter.
    waiting_room_refresh_seconds: float = Field(default=0.2, gt=0)
    # A ticket older than this is void (its holder draws a new one, at the end): long enough for the longest
    # queue worth keeping someone in. An admission lets its holder pass this long without queueing again; a
    # ticket mints it once, and again only within the grace (an answer lost on the way), then it is spent.
    waiting_room_ticket_seconds: int = 3600
    waiting_room_admission_seconds: int = 15 * 60
    waiting_room_admission_grace_seconds: int = Field(default=120, ge=0)
    # Guarded requests one admission lets through, counted by each replica: a visitor's searches and booking.
    waiting_room_admission_max_requests: int = Field(default=300, gt=0)
    # The waiting page reloads itself this often, and API clients are told to retry no later than this.
    waiting_room_page_refresh_seconds: int = 15

    def trusted_proxy_list(self) -> list[str]:
        return [item.strip() for item in self.trusted_proxies.split(",") if item.strip()]

    @model_validator(mode="after")
    def _trusted_proxies_are_addresses(self) -> "GatewaySettings":
        for item in self.trusted_proxy_list():
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                # Refused at start-up: a host name or "*" would trust whoever writes the header.
                raise ValueError(f"GATEWAY_TRUSTED_PROXIES: {item!r} is not an IP address or network") from None
        return self

    @model_validator(mode="after")
    def _admit_rates_in_order(self) -> "GatewaySettings":
        if not self.waiting_room_min_admit_per_second <= self.waiting_room_max_admit_per_second:
            raise ValueError(
                "GATEWAY_WAITING_ROOM_MIN_ADMIT_PER_SECOND must not exceed GATEWAY_WAITING_ROOM_MAX_ADMIT_PER_SECOND"
            )
        return self

    @model_validator(mode="after")
    def _public_key_from_file(self) -> "GatewaySettings":
        if not self.jwt_public_key.strip() and self.jwt_public_key_file:
            try:
                self.jwt_public_key = Path(self.jwt_public_key_file).read_text()
            except (OSError, UnicodeDecodeError) as exc:
                raise ValueError(
                    f"GATEWAY_JWT_PUBLIC_KEY_FILE: cannot read {self.jwt_public_key_file}: {exc}"
                ) from None
        return self

    @model_validator(mode="after")
    def _real_secret_outside_dev(self) -> "GatewaySettings":
        if self.secret_key.get_secret_value() == DEV_SECRET and self.environment not in ("dev", "test"):
            raise ValueError(f"GATEWAY_SECRET_KEY must be set to a real secret when environment={self.environment}")
        return self

    @model_validator(mode="after")
    def _secure_cookies_outside_dev(self) -> "GatewaySettings":
        if self.insecure_cookies and self.environment not in ("dev", "test"):
            raise ValueError(f"GATEWAY_INSECURE_COOKIES is for plain-HTTP dev runs, not environment={self.environment}")
        return self

    @property
    def secure_cookies(self) -> bool:
        return not self.insecure_cookies

    def upstreams(self) -> dict[str, str]:
        return {
            "accounts": self.accounts_url,
            "appointments": self.appointments_url,
            "verification": self.verification_url,
            "notifications": self.notifications_url,
        }
