"""Events published by the verification service."""

import uuid
from datetime import datetime
from typing import ClassVar

from shared.contracts.accounts import Channel, CodePurpose, Language
from shared.messages import Contract


class CodeIssued(Contract):
    """For notifications only: the one place besides the sent message where the plain code exists."""

    producer: ClassVar[str] = "verification"
    event_type: ClassVar[str] = "CodeIssued"
    version: ClassVar[int] = 1

    challenge_id: uuid.UUID
    account_id: uuid.UUID
    purpose: CodePurpose
    channel: Channel
    destination: str
    language: Language
    code: str
    expires_at: datetime


class ChallengePassed(Contract):
    producer: ClassVar[str] = "verification"
    event_type: ClassVar[str] = "ChallengePassed"
    version: ClassVar[int] = 1

    challenge_id: uuid.UUID
    account_id: uuid.UUID
    purpose: CodePurpose
    channel: Channel
    destination: str
