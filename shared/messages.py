"""The event envelope and the base class of every versioned event contract."""

import re
import uuid
from collections.abc import Collection
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
    # The event's routing topic (Contract.routing_topic) when its contract has some: the broker routes on it,
    # handlers do not look at it.
    routing_topic: str | None = None

    @property
    def routing_key(self) -> str:
        """The contract's key: what a consumer's handler is found by."""
        return routing_key(self.producer, self.type, self.version)

    @property
    def published_key(self) -> str:
        """The key the event is published with: the contract's key, then its topic when it has one."""
        return self.routing_key if self.routing_topic is None else f"{self.routing_key}.{self.routing_topic}"


def routing_key(producer: str, event_type: str, version: int) -> str:
    return f"{producer}.{snake_case(event_type)}.v{version}"


class Contract(BaseModel):
    """A versioned event payload, owned by its producer (one module per producer in contracts/)."""

    model_config = ConfigDict(frozen=True)

    producer: ClassVar[str]
    event_type: ClassVar[str]
    version: ClassVar[int]
    # Topics let the broker leave out of a queue what its service would only ignore: an event with topics is
    # published as `<routing key>.<topic>` (one of these, chosen by `routing_topic()`), and a consumer may bind
    # only some of them.
    routing_topics: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def routing_key(cls) -> str:
        return routing_key(cls.producer, cls.event_type, cls.version)

    @classmethod
    def binding_keys(cls, only_topics: Collection[str] | None = None) -> list[str]:
        """What a queue binds to hear this event: all of it, or with `only_topics`, the events of these topics.

        The bare key is bound too: an event stored in an outbox before its contract had topics is published
        with it (during an upgrade, consumers go first)."""
        key = cls.routing_key()
        if not cls.routing_topics:
            if only_topics is not None:
                raise ValueError(f"{cls.__name__} has no topics to choose from")
            return [key]
        if only_topics is None:
            return [key, f"{key}.*"]
        unknown = set(only_topics) - set(cls.routing_topics)
        if unknown or not only_topics:
            raise ValueError(f"{cls.__name__}'s topics are {cls.routing_topics}, not {sorted(unknown) or 'none'}")
        return [key, *(f"{key}.{topic}" for topic in sorted(only_topics))]

    def routing_topic(self) -> str | None:
        """This event's topic, one of `routing_topics` (None when the contract has none)."""
        return None

    def to_envelope(self, correlation_id: str | None = None, causation_id: uuid.UUID | None = None) -> EventEnvelope:
        return EventEnvelope(
            type=self.event_type,
            version=self.version,
            producer=self.producer,
            correlation_id=correlation_id,
            causation_id=causation_id,
            payload=self.model_dump(mode="json"),
            routing_topic=self._checked_topic(),
        )

    def _checked_topic(self) -> str | None:
        topic = self.routing_topic()
        if topic not in (self.routing_topics or (None,)):
            raise ValueError(f"{type(self).__name__}.routing_topic() gave {topic!r}, not one of {self.routing_topics}")
        return topic

    @classmethod
    def from_envelope(cls, envelope: EventEnvelope) -> "Contract":
        return cls.model_validate(envelope.payload)
