"""Requests and responses of the waitlist: entries, seat offers, and what the clinic sees of its lines."""

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from services.appointments.booking.schemas import PlaceResponse, ServiceResponse, Sex
from shared.contact import Email, PersonName, Phone
from shared.request_models import BirthDate, Day, RequestModel

# Checked by rules.check_times_of_day (times_of_day_invalid): morning, afternoon, evening.
TimesOfDay = Annotated[list[Annotated[str, StringConstraints(max_length=20)]], Field(max_length=3)]
Token = Annotated[str, StringConstraints(min_length=1, max_length=200)]


class _Wanted(RequestModel):
    """What somebody waits for: a service of an establishment, between two local dates, at times of day."""

    model_config = ConfigDict(extra="forbid")

    establishment_id: uuid.UUID
    service_id: uuid.UUID
    from_date: Day
    to_date: Day
    times_of_day: TimesOfDay


class JoinWaitlistForPersonRequest(_Wanted):
    """Composed by the gateway from the signed-in account's booking form (as a booking for a person is);
    never taken from a client as is."""

    person_id: uuid.UUID
    first_name: PersonName
    last_name: PersonName
    birth_date: BirthDate | None = None
    email: Email | None = None
    phone: Phone | None = None
    language: Literal["fr", "en"] = "fr"
    notify_email: bool = True
    notify_sms: bool = False
    holder_name: PersonName | None = None
    sex: Sex | None = None


class JoinWaitlistRequest(_Wanted):
    """Without an account: the person and where to tell them of a seat."""

    first_name: PersonName
    last_name: PersonName
    birth_date: BirthDate
    email: Email | None = None
    phone: Phone | None = None
    language: Literal["fr", "en"] = "fr"
    notify_email: bool = True
    notify_sms: bool = False


class TokenRequest(RequestModel):
    """The secret of an entry's or an offer's link."""

    model_config = ConfigDict(extra="forbid")

    token: Token


class SetWaitlistRulesRequest(RequestModel):
    model_config = ConfigDict(extra="forbid")

    hold_minutes: int = Field(ge=1, le=1440)


class WaitlistPersonResponse(BaseModel):
    person_id: uuid.UUID | None = None
    first_name: str
    last_name: str


class WaitlistOfferResponse(BaseModel):
    id: uuid.UUID
    status: str  # open | accepted | declined | expired
    starts_at: datetime
    ends_at: datetime
    expires_at: datetime
    service: ServiceResponse
    place: PlaceResponse
    person: WaitlistPersonResponse
    appointment_id: uuid.UUID | None = None
    # Only in the account's own list: the offer page's link is /waitlist/offers/{id}?token=…
    token: str | None = None


class WaitlistEntryResponse(BaseModel):
    id: uuid.UUID
    status: str  # waiting | offered | booked | left | ended
    service: ServiceResponse
    place: PlaceResponse
    person: WaitlistPersonResponse
    from_date: date
    to_date: date
    times_of_day: list[str]
    joined_at: datetime
    position: int | None = None  # 1-based among the service's waiting entries; null unless waiting
    offer: WaitlistOfferResponse | None = None  # the open one
    # The establishment's hold: how long a seat offered to this entry will be kept for the person to answer.
    hold_minutes: int
    # Why an ended entry ended; null unless ended. offers_unanswered: it let two offers expire without an answer
    # (waitlist.rules.MAX_UNANSWERED_OFFERS); dates_passed; dependant_removed: the person left the account.
    ended_reason: Literal["dates_passed", "offers_unanswered", "dependant_removed"] | None = None


class JoinedWaitlistResponse(BaseModel):
    """Joined without an account: the entry and its link's secret (shown once; /waitlist/entries/{id}?token=…)."""

    entry: WaitlistEntryResponse
    token: str


class MyWaitlistResponse(BaseModel):
    entries: list[WaitlistEntryResponse]


class WaitlistLineResponse(BaseModel):
    service_id: uuid.UUID
    name_fr: str
    name_en: str
    waiting: int
    offered: int
    hold_minutes: int


class WaitlistLinesResponse(BaseModel):
    services: list[WaitlistLineResponse]
    hold_minutes: int


class WaitlistRulesResponse(BaseModel):
    hold_minutes: int
