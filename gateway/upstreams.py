"""The services as the pages see them: one small typed client per service.

A call states the statuses it expects; any other answer raises `UpstreamRefusal` with the service's FR/EN
errors before anyone reads the body as a success, and a service that does not answer raises
`UpstreamUnavailable`. Pages catch `UpstreamRefusal` where a refusal belongs in the form (a wrong code, a
taken e-mail); elsewhere gateway/error_pages.py turns both into a full bilingual page with the right status.
"""

from collections.abc import Mapping
from typing import Any, ClassVar, Self, TypedDict

from fastapi import Request

from gateway.auth import Principal
from gateway.proxy import Proxy, UpstreamResponse, UpstreamUnavailable

__all__ = ["Accounts", "Appointments", "UpstreamRefusal", "UpstreamUnavailable", "Verification"]


class ErrorItem(TypedDict):
    field: str | None
    code: str
    message: dict[str, str]


class UpstreamRefusal(Exception):  # noqa: N818 - reads better at the raise site
    def __init__(self, status: int, errors: list[ErrorItem]) -> None:
        super().__init__(status)
        self.status = status
        self.errors = errors

    def by_field(self, lang: str) -> dict[str, str]:
        """field -> message, for showing each reason next to its input ("form" for the whole form)."""
        return {str(e.get("field") or "form"): e["message"][lang] for e in self.errors}


def _errors_of(answer: UpstreamResponse) -> list[ErrorItem]:
    try:
        errors = answer.json().get("errors")
    except (ValueError, AttributeError):
        errors = None
    return errors or [{"field": None, "code": f"http_{answer.status}", "message": {"fr": "", "en": ""}}]


class Upstream:
    service: ClassVar[str]

    def __init__(self, proxy: Proxy, principal: Principal | None = None, client_ip: str = "") -> None:
        self.proxy = proxy
        self.identity = principal.identity_headers() if principal is not None else {}
        self.client_ip = client_ip

    @classmethod
    def of(cls, request: Request, principal: Principal | None = None) -> Self:
        return cls(request.app.state.proxy, principal, request.client.host if request.client else "")

    async def call(
        self,
        method: str,
        path: str,
        payload: Any = None,
        *,
        query: str = "",
        expect: tuple[int, ...] = (200,),
        headers: Mapping[str, str] | None = None,
    ) -> UpstreamResponse:
        answer = await self.proxy.call_json(
            self.service,
            method,
            path,
            payload,
            query=query,
            identity=self.identity,
            client_ip=self.client_ip,
            headers=dict(headers or {}),
        )
        if answer.status not in expect:
            raise UpstreamRefusal(answer.status, _errors_of(answer))
        return answer

    async def get(self, path: str, query: str = "") -> Any:
        return (await self.call("GET", path, query=query)).json()

    async def post(self, path: str, payload: Any = None, expect: tuple[int, ...] = (200, 201, 202)) -> Any:
        answer = await self.call("POST", path, payload if payload is not None else {}, expect=expect)
        return answer.json() if answer.body else None


class Challenge(TypedDict):
    challenge_id: str
    channel: str
    sent_to: str


class Profile(TypedDict):
    id: str
    first_name: str
    last_name: str
    birth_date: str
    email: str | None
    phone: str | None
    nam: str | None
    address: str | None
    city: str | None
    postal_code: str | None
    notify_email: bool
    notify_sms: bool


class Dependant(TypedDict):
    id: str
    first_name: str
    last_name: str
    birth_date: str | None


class StaffProfile(TypedDict):
    id: str
    name: str
    role: str
    establishment_id: str


class StaffEstablishment(TypedDict):
    id: str
    name: str
    timezone: str


class FrontDeskService(TypedDict):
    service_id: str
    name_fr: str
    name_en: str


class FrontDeskEntry(TypedDict):
    """One appointment as the front desk reads it (appointments' DayListEntry)."""

    id: str
    status: str
    starts_at: str
    service: FrontDeskService
    person_id: str | None
    account_id: str | None
    first_name: str
    last_name: str
    birth_date: str | None
    holder_name: str | None
    sex: str | None  # the patient's as entered in their account (F, M or X); none without an account
    profile_icon: str
    card_icon: str


class AuditEntry(TypedDict):
    at: str
    action: str
    actor: str
    details: dict[str, Any]


class Accounts(Upstream):
    service = "accounts"

    async def staff_profile(self) -> StaffProfile:
        """The signed-in staff member's own record: their name for the console's header."""
        profile: StaffProfile = await self.get("/staff/me")
        return profile

    # --- the citizen account pages' calls (gateway/account_pages.py) ---
    async def register(self, payload: dict[str, Any]) -> Challenge:
        return await self.post("/registrations", payload, expect=(202,))

    async def log_in(self, identifier: str, password: str) -> dict[str, Any]:
        return await self.post("/sessions", {"identifier": identifier, "password": password}, expect=(200,))

    async def reset_password(self, identifier: str, new_password: str) -> Challenge:
        return await self.post("/password-resets", {"identifier": identifier, "new_password": new_password}, (202,))

    async def resend_code(self, challenge_id: str) -> Challenge:
        return await self.post(f"/codes/{challenge_id}/resend", {}, expect=(202,))

    async def me(self) -> Profile:
        return await self.get("/me")

    async def update_me(self, payload: dict[str, Any]) -> Profile:
        return (await self.call("PATCH", "/me", payload)).json()

    async def dependants(self) -> list[Dependant]:
        return await self.get("/me/dependants")

    async def add_dependant(self, payload: dict[str, Any]) -> Dependant:
        return await self.post("/me/dependants", payload, expect=(201,))

    async def remove_dependant(self, dependant_id: str) -> None:
        await self.call("DELETE", f"/me/dependants/{dependant_id}", expect=(200, 204))

    async def sensitive_change(self, kind: str, new_value: str, current_password: str) -> Challenge:
        payload = {"kind": kind, "new_value": new_value, "current_password": current_password}
        return await self.post("/me/sensitive-changes", payload, expect=(202,))

    async def delete_me(self, password: str) -> None:
        await self.call("POST", "/me/delete", {"password": password}, expect=(204,))


class MyAppointments(TypedDict):
    upcoming: list[dict[str, Any]]
    past: list[dict[str, Any]]


class Appointments(Upstream):
    service = "appointments"

    # --- the console (front desk and schedules); the staff token says which establishment is theirs ---
    async def own_establishment(self, establishment_id: str) -> StaffEstablishment:
        found: StaffEstablishment = await self.get(f"/admin/establishments/{establishment_id}")
        return found

    async def day_list(self, establishment_id: str, day: str) -> list[FrontDeskEntry]:
        entries: list[FrontDeskEntry] = await self.get(
            f"/admin/establishments/{establishment_id}/appointments", f"day={day}"
        )
        return entries

    async def front_desk_entry(self, establishment_id: str, appointment_id: str) -> FrontDeskEntry:
        entry: FrontDeskEntry = await self.get(
            f"/admin/establishments/{establishment_id}/appointments/{appointment_id}"
        )
        return entry

    async def record_attendance(self, establishment_id: str, appointment_id: str, attendance: str) -> None:
        await self.post(f"/admin/establishments/{establishment_id}/appointments/{appointment_id}/{attendance}", {})

    async def establishment_services(self, establishment_id: str) -> list[dict[str, Any]]:
        services: list[dict[str, Any]] = await self.get(f"/admin/establishments/{establishment_id}/services")
        return services

    async def schedules(self, establishment_id: str) -> list[dict[str, Any]]:
        schedules: list[dict[str, Any]] = await self.get(f"/admin/establishments/{establishment_id}/schedules")
        return schedules

    async def create_schedule(self, establishment_id: str, payload: dict[str, Any]) -> int:
        """The number of new slots the schedule opened."""
        created = await self.post(f"/admin/establishments/{establishment_id}/schedules", payload, expect=(200, 201))
        return int(created["slots_created"])

    # --- the citizen account pages' calls (gateway/account_pages.py) ---
    async def mine(self) -> MyAppointments:
        return await self.get("/my/appointments")

    async def act_on_mine(self, appointment_id: str, action: str, payload: dict[str, Any] | None = None) -> Any:
        return await self.post(f"/my/appointments/{appointment_id}/{action}", payload or {}, expect=(200,))

    async def free_slots(self, service_id: str, date_from: str | None = None) -> list[dict[str, Any]]:
        query = f"service_id={service_id}&limit=300" + (f"&date_from={date_from}" if date_from else "")
        return await self.get("/slots", query)


class Verification(Upstream):
    service = "verification"

    # --- the console: validations at the front desk, association requests, the audit log ---
    async def validate(self, establishment_id: str, step: str, payload: dict[str, Any]) -> None:
        """step: "identity" or "association" (the guide's two windows)."""
        await self.post(f"/admin/establishments/{establishment_id}/{step}-validations", payload, expect=(201,))

    async def audit_log(self, establishment_id: str, limit: int = 500) -> list[AuditEntry]:
        log = await self.get(f"/admin/establishments/{establishment_id}/audit", f"limit={limit}")
        entries: list[AuditEntry] = log["entries"]
        return entries

    async def pending_association_requests(self, establishment_id: str) -> list[dict[str, Any]]:
        listed = await self.get(f"/admin/establishments/{establishment_id}/association-requests")
        requests: list[dict[str, Any]] = listed["requests"]
        return requests

    async def decide_association_request(
        self, establishment_id: str, request_id: str, decision: str, payload: dict[str, Any]
    ) -> None:
        await self.post(
            f"/admin/establishments/{establishment_id}/association-requests/{request_id}/{decision}",
            payload,
            expect=(200,),
        )

    async def verify_code(self, challenge_id: str, code: str, purpose: str) -> Any:
        return await self.post(f"/challenges/{challenge_id}/verify", {"code": code, "purpose": purpose}, (200,))
