"""What a validation at the front desk just changed, carried from its POST to the console page that follows.

The Suivi list learns of a validation by event, a moment after verification answered the clerk: read at once,
it may still show the row red. Re-reading it until it caught up cost one audited read of patient records each
time (one clerk action could leave 21 "list viewed" rows). Instead, verification's answer (the account, and for
an association the patient) travels to the next page, which draws the validated rows as appointments will once
the event arrives (`shown_validated`): one read of the list, one audit row, the new state on screen.

It travels in a cookie, never in the query string: a link anyone can write (`/admin?done=identity&row=…`) must
not show a row as validated, nor say so in a banner. The cookie is
- signed (HMAC-SHA256) with a key derived from the staff session's access token. The gateway holds no secret of
  its own, and a per-process one would fail whenever the redirect's GET reaches another replica; the token is a
  secret only this browser's session holds (HttpOnly, SameSite=Strict), which every replica sees on the next
  request. So a flash is worthless to any other session, and forging one takes the token, with which one could
  validate for real anyway. A refresh between the POST and the GET changes the token: the flash is then ignored;
- HttpOnly, SameSite=Strict, Path=/admin (the console only), a minute long, and read once: the Suivi page that
  draws it clears it;
- cumulative over one sequence: the association window's POST adds its validation to the identity's, so the list
  after both shows both.
A cookie that fails any check is ignored: the list is then drawn as read, late by the event's delay at most.
"""

import base64
import binascii
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from fastapi import Request, Response

from gateway.auth import Principal
from gateway.upstreams import FrontDeskEntry
from gateway.upstreams.verification import ValidationAnswer
from gateway.web import icon_legend

Done = Literal["identity", "association"]
MAX_AGE_SECONDS = 60  # a redirect's GET follows within a second; the association window within a minute
KEPT = 8  # validations carried at most: a sequence adds two; this bounds the cookie whatever the clerk does
_KEY_LABEL = b"gateway console flash\x00"


@dataclass(frozen=True)
class Validated:
    """One validation verification confirmed: the holder's identity (no person), or a patient's association."""

    account_id: str
    person_id: str | None = None

    @classmethod
    def of(cls, step: Done, answer: ValidationAnswer) -> "Validated":
        if step == "identity":
            return cls(str(answer["account_id"]))
        return cls(str(answer["account_id"]), str(answer["person_id"]))


@dataclass(frozen=True)
class Flash:
    done: Done  # which banner the next page shows
    row: str  # the appointment whose window it was: the banner names its patient
    validated: tuple[Validated, ...]


def shown_validated(entry: FrontDeskEntry, validated: Sequence[Validated]) -> FrontDeskEntry:
    """The row as appointments serves it once the validations' events have arrived (its `suivi_icons`): an
    identity makes the profile icon green on every row of the account, and the card of the holder's own
    bookings, which follows the profile; an association makes green the card of that patient's rows."""
    account = entry.get("account_id")
    if not account:
        return entry  # booked without an account: nothing to validate, grey
    own = not icon_legend.booked_for_someone_else(entry)
    profile, card = entry["profile_icon"], entry["card_icon"]
    for validation in validated:
        if validation.account_id != str(account):
            continue
        if validation.person_id is None:
            profile = "green"
            card = "green" if own else card
        elif not own and validation.person_id == str(entry.get("person_id")):
            card = "green"
    shown = entry.copy()
    shown["profile_icon"], shown["card_icon"] = profile, card
    return shown


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(staff: Principal, payload: str) -> str:
    key = hashlib.sha256(_KEY_LABEL + staff.token.encode()).digest()
    return _b64(hmac.new(key, payload.encode("ascii"), hashlib.sha256).digest())


class FlashCookie:
    def __init__(self, secure: bool) -> None:
        self.secure = secure
        # __Secure-: only settable over HTTPS (the __Host- prefix would force Path=/, and this one is the console's).
        self.name = "__Secure-console_flash" if secure else "console_flash"

    def write(self, response: Response, staff: Principal, flash: Flash) -> None:
        body = {
            "done": flash.done,
            "row": flash.row,
            "validated": [[v.account_id, v.person_id] for v in flash.validated[-KEPT:]],
            "at": int(time.time()),
        }
        payload = _b64(json.dumps(body, separators=(",", ":")).encode())
        response.set_cookie(
            self.name,
            f"{payload}.{_signature(staff, payload)}",
            max_age=MAX_AGE_SECONDS,
            path="/admin",
            secure=self.secure,
            httponly=True,
            samesite="strict",
        )

    def read(self, request: Request, staff: Principal) -> Flash | None:
        """The flash this staff session wrote in the last minute, or None (none, forged, another session's, old)."""
        value = request.cookies.get(self.name, "")
        payload, _, signature = value.partition(".")
        if not payload or not staff.token or not hmac.compare_digest(signature, _signature(staff, payload)):
            return None
        try:
            body = json.loads(_unb64(payload))
            done, row, at = body["done"], str(uuid.UUID(body["row"])), int(body["at"])
            validated = tuple(
                Validated(str(uuid.UUID(account)), str(uuid.UUID(person)) if person else None)
                for account, person in body["validated"]
            )
        except (ValueError, KeyError, TypeError, binascii.Error):
            return None
        if done not in ("identity", "association") or not -5 <= time.time() - at <= MAX_AGE_SECONDS:
            return None
        return Flash(done, row, validated)

    def clear(self, response: Response) -> None:
        # With the same flags: a browser ignores a Secure cookie's deletion that lacks them.
        response.delete_cookie(self.name, path="/admin", secure=self.secure, httponly=True, samesite="strict")
