"""The waiting room's answer to an API client, as the public OpenAPI document describes it."""

from pydantic import BaseModel, Field

from shared.errors import FieldError


class WaitingRoomAnswer(BaseModel):
    """429: a place in the queue. Ask again after Retry-After with the ticket in the Waiting-Room-Ticket header;
    once admitted, the answer carries a Waiting-Room-Admission header to send with the next requests."""

    detail: str = Field(examples=["waiting_room"])
    errors: list[FieldError]
    code: str = Field(examples=["waiting_room"])
    position: int = Field(ge=1, description="1 for the next to be admitted")
    estimated_wait_seconds: int = Field(ge=1)
    ticket: str = Field(description="Signed: send it back unchanged in the Waiting-Room-Ticket header")


class WaitingRoomFull(BaseModel):
    """503: no place could be given (the queue's store away) and the platform is over its load. Ask again after
    Retry-After, with the ticket held if any."""

    detail: str = Field(examples=["waiting_room_full"])
    errors: list[FieldError]
    code: str = Field(examples=["waiting_room_full"])
