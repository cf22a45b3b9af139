from pathlib import Path

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from shared.caller import public_key_of
from shared.settings import DEV_SECRET, ServiceSettings


class AccountsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ACCOUNTS_", extra="ignore")

    service_name: str = "accounts"
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/accounts"
    # ES256 private key (PEM) signing access tokens; the gateway verifies them with the public key.
    jwt_private_key: SecretStr = SecretStr("")
    # Or the file holding it (ACCOUNTS_JWT_PRIVATE_KEY_FILE, e.g. a mounted volume or secret): read when
    # the key itself is empty.
    jwt_private_key_file: str | None = None
    access_token_minutes: int = 15
    # A session (the family of refresh tokens a login starts) ends this long after the login, however often it
    # is refreshed: the refresh cookie's Max-Age says the same.
    citizen_session_days: int = 30
    staff_session_hours: int = 12
    # Revocations are kept this long for a gateway that starts after them (GET /session-revocations): at least
    # an access token's lifetime.
    revocations_kept_hours: int = 24
    # Keys NAM lookups (HMAC) and encrypts the NAM at rest; shared with verification for linking.
    nam_key: SecretStr = SecretStr(DEV_SECRET)
    # OWASP's argon2id minimum (19 MiB, t=2, p=1): about 24 ms a verify here, ~80 logins/s on 2 cores.
    argon2_memory_kib: int = 19456
    argon2_time_cost: int = 2
    argon2_parallelism: int = 1
    argon2_concurrency: int = 2
    # Tries per account (staff, citizen or unknown identifier alike) and per client address before each
    # further one waits 2 s, then 4, 8... up to 15 minutes. An account's count is kept for a day without
    # tries, so a patient guesser gets a few dozen a day rather than a fresh allowance every 15 minutes;
    # an address's for 15 minutes, as several people may sign in from one address.
    login_failures_before_delay: int = 5
    login_failures_memory_hours: int = 24
    ip_failures_before_delay: int = 30
    ip_failures_memory_minutes: int = 15
    # Decoy challenges and pending changes are deleted this long after they were asked for (forget_expired_now in
    # registration/use_cases.py, run every purge interval): a code lives 10 minutes, so nothing can confirm them.
    challenge_retention_hours: int = Field(default=24, gt=1)
    purge_interval_seconds: float = Field(default=600.0, gt=0)
    # How long a staff invitation link works (staff/use_cases.py): long enough for a weekend, short enough that
    # a forgotten e-mail does not open the console months later.
    staff_invitation_hours: int = Field(default=72, ge=1, le=720)

    @model_validator(mode="after")
    def _signing_key_present(self) -> "AccountsSettings":
        if not self.jwt_private_key.get_secret_value().strip() and self.jwt_private_key_file:
            try:
                self.jwt_private_key = SecretStr(Path(self.jwt_private_key_file).read_bytes().decode())
            except (OSError, UnicodeDecodeError) as exc:
                raise ValueError(
                    f"ACCOUNTS_JWT_PRIVATE_KEY_FILE: cannot read {self.jwt_private_key_file}: {exc}"
                ) from None
        if not self.jwt_private_key.get_secret_value().strip():
            raise ValueError(
                "ACCOUNTS_JWT_PRIVATE_KEY (an ES256 private key, PEM) or ACCOUNTS_JWT_PRIVATE_KEY_FILE is required"
            )
        if not self.jwt_public_key.strip():
            # Accounts verifies the tokens it is sent like every service: with the public half of its own key.
            self.jwt_public_key = public_key_of(self.jwt_private_key.get_secret_value())
        return self
