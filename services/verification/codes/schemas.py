import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints
from pydantic_core import PydanticCustomError

from shared.contracts.accounts import Channel, CodePurpose
from shared.request_models import RequestModel

_DIGITS = frozenset("0123456789")


def _six_digits(value: str) -> str:
    # ASCII digits only: str.isdigit() would also take "١٢٣٤٥٦".
    if len(value) != 6 or not set(value) <= _DIGITS:
        raise PydanticCustomError("invalid_code_format", "The code must be exactly 6 digits.")
    return value


Code = Annotated[str, StringConstraints(strip_whitespace=True, max_length=32), AfterValidator(_six_digits)]


class VerifyChallengeRequest(RequestModel):
    model_config = ConfigDict(extra="forbid")

    code: Code
    purpose: CodePurpose


class ChallengeResponse(BaseModel):
    id: uuid.UUID
    status: Literal["issued", "passed", "superseded", "throttled", "expired"]
    channel: Channel
    expires_at: datetime
    attempts_left: int
