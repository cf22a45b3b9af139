from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from shared.settings import DEV_SECRET, ServiceSettings


class VerificationSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="VERIFICATION_", extra="ignore")

    service_name: str = "verification"
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/verification"

    code_lifetime_seconds: int = Field(default=600, gt=0)
    # Wrong tries per challenge chain: a resend shares the budget of the code it replaces.
    max_wrong_attempts: int = Field(default=5, gt=0)
    # Once a chain's tries are spent, "send a new code" opens a fresh chain (fresh tries) only this long after the
    # last wrong try; before that the resend is refused with the time to come back, and no code is sent. A senior
    # who mistyped is not stuck, and guessing stays out of reach: a code is one of 10^6, so 5 tries every 15
    # minutes would be at most 480 guesses a day (a 1 in 2,083 chance a day), and the bound across chains below
    # caps them at 10 a day per account and per destination anyway (1 in 100,000 a day).
    new_code_cooldown_minutes: float = Field(default=15.0, ge=0)
    # Codes sent in any sliding hour, so nobody can flood a mailbox or run up the SMS bill.
    max_codes_per_account_per_hour: int = Field(default=5, gt=0)
    max_codes_per_destination_per_hour: int = Field(default=5, gt=0)
    # Wrong codes per account and per destination across all their challenges in a sliding window: each
    # fresh challenge brings max_wrong_attempts tries, so without this bound 5 codes an hour gave 25
    # guesses an hour. Past it every code is refused, the right one included, until the window moves.
    max_wrong_codes_per_account: int = Field(default=10, gt=0)
    max_wrong_codes_per_destination: int = Field(default=10, gt=0)
    wrong_codes_window_hours: float = Field(default=24.0, gt=0)
    # Old challenges are deleted after this long (they only serve limits and audits of the last hours).
    challenge_retention_hours: int = Field(default=24, gt=1)
    purge_interval_seconds: float = Field(default=600.0, gt=0)
    # The accounts service's NAM key (ACCOUNTS_NAM_KEY): both must hold the same value, so that the
    # NAM digest of a validation equals the one accounts links accounts with.
    nam_key: SecretStr = SecretStr(DEV_SECRET)
