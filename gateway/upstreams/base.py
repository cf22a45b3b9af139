"""The base of every service's client: a call states the statuses it expects, and any other answer is refused.

Any answer outside `expect` raises `UpstreamRefusal` with the service's FR/EN errors before anyone reads the
body as a success, and a service that does not answer raises `UpstreamUnavailable`. Pages catch
`UpstreamRefusal` where a refusal belongs in the form (a wrong code, a taken e-mail); elsewhere
gateway/error_pages.py turns both into a full bilingual page with the right status.

The paths live in the service's client (accounts.py, appointments.py, verification.py), never in a page.
"""

from collections.abc import Mapping
from typing import Any, ClassVar, Self, TypedDict

from fastapi import Request

from gateway.auth import Principal
from gateway.proxy import Proxy, UpstreamResponse
from gateway.web.field_messages import Whose, field_message


class ErrorItem(TypedDict):
    field: str | None
    code: str
    message: dict[str, str]


class UpstreamRefusal(Exception):  # noqa: N818 - reads better at the raise site
    def __init__(self, status: int, errors: list[ErrorItem]) -> None:
        super().__init__(status)
        self.status = status
        self.errors = errors

    def by_field(self, lang: str, whose: Whose = "own") -> dict[str, str]:
        """field -> message, for showing each reason next to its input ("form" for the whole form).

        A validator's generic words ("Ce champ ne peut pas être vide.") become the field's own message
        (gateway/web/field_messages.py); a field's first reason is kept, as the one to correct first."""
        shown: dict[str, str] = {}
        for error in self.errors:
            field = str(error.get("field") or "form")
            message = field_message(field, error.get("code", ""), error["message"][lang], lang, whose)
            shown.setdefault(field, message)
        return shown


def errors_of(answer: UpstreamResponse) -> list[ErrorItem]:
    """The refusal's reasons as the service gave them, or one without a message when it gave none."""
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
            raise UpstreamRefusal(answer.status, errors_of(answer))
        return answer

    async def get(self, path: str, query: str = "") -> Any:
        return (await self.call("GET", path, query=query)).json()

    async def post(self, path: str, payload: Any = None, expect: tuple[int, ...] = (200, 201, 202)) -> Any:
        answer = await self.call("POST", path, payload if payload is not None else {}, expect=expect)
        return answer.json() if answer.body else None
