"""The event envelope and the base class of every versioned event contract."""

import re
import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from shared.ids import new_id

_CAMEL_BOUNDARY = re.compile(r"(?<!^)(?=[A-Z])")


def snake_case(name: str) -> str:
    return _CAMEL_BOUNDARY.sub("_", name).lower()


class EventEnvelope(BaseModel):
    """What travels on the bus. The payload is validated against its contract by the consumer."""

    model_config = ConfigDict(frozen=True)

    id: uuid.UUID = Field(default_factory=new_id)
    type: str
    version: int
    occurred_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    producer: str
    correlation_id: str | None = None
    causation_id: uuid.UUID | None = None
    payload: dict[str, Any]

    @property
    def routing_key(self) -> str:
        return routing_key(self.producer, self.type, self.version)


def routing_key(producer: str, event_type: str, version: int) -> str:
    return f"{producer}.{snake_case(event_type)}.v{version}"


class Contract(BaseModel):
    """A versioned event payload, owned by its producer (one module per producer in contracts/)."""

    model_config = ConfigDict(frozen=True)

    producer: ClassVar[str]
    event_type: ClassVar[str]
    version: ClassVar[int]

    @classmethod
    def routing_key(cls) -> str:
        return routing_key(cls.producer, cls.event_type, cls.version)

    def to_envelope(self, correlation_id: str | None = None, causation_id: uuid.UUID | None = None) -> EventEnvelope:
        return EventEnvelope(
            type=self.event_type,
            version=self.version,
            producer=self.producer,
            correlation_id=correlation_id,
            causation_id=causation_id,
            payload=self.model_dump(mode="json"),
        )

    @classmethod
    def from_envelope(cls, envelope: EventEnvelope) -> "Contract":
        return cls.model_validate(envelope.payload)
