"""The verification service as the pages see it: validations at the front desk, association requests, the
audit log, and the codes that confirm a citizen's changes."""

from typing import Any, Literal, NotRequired, TypedDict

from gateway.upstreams.base import Upstream


class AuditEntry(TypedDict):
    at: str
    action: str
    actor: str
    details: dict[str, Any]
    # clerk | manager | operator when verification knows it (issue 21); None for earlier entries.
    actor_role: NotRequired[str | None]
    establishment_id: NotRequired[str | None]


class RecordAccessEntry(TypedDict):
    """A staff action verification logged about the citizen (issue 22, item 4): role, never who."""

    id: int
    at: str
    action: str
    establishment_id: str | None
    staff_role: Literal["clerk", "manager"] | None  # None: logged before the log kept roles
    appointment_ids: list[str]  # of those asked, the ones the row names
    person_id: str | None  # a validation's: the holder or one of the account's people


class ValidationAnswer(TypedDict):
    """verification's IdentityValidationResponse or AssociationValidationResponse: what was just validated."""

    validation_id: str
    account_id: str
    validated_at: str
    person_id: NotRequired[str]  # an association's patient
    nam_warnings: NotRequired[list[str]]  # an identity's: what the clerk should double-check, not errors


class Verification(Upstream):
    service = "verification"

    # --- the console: validations at the front desk, association requests, the audit log ---
    async def validate(self, establishment_id: str, step: str, payload: dict[str, Any]) -> ValidationAnswer:
        """step: "identity" or "association" (the guide's two windows)."""
        answer: ValidationAnswer = await self.post(
            f"/admin/establishments/{establishment_id}/{step}-validations", payload, expect=(201,)
        )
        return answer

    async def audit_log(self, establishment_id: str, limit: int = 500) -> list[AuditEntry]:
        log = await self.get(f"/admin/establishments/{establishment_id}/audit", f"limit={limit}")
        entries: list[AuditEntry] = log["entries"]
        return entries

    async def operator_audit_log(self, limit: int = 500) -> list[AuditEntry]:
        """The platform operators' log (operators only): their actions and entries of no establishment."""
        log = await self.get("/admin/operator-audit", f"limit={limit}")
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

    # --- the citizen's pages ---
    async def my_association_requests(self) -> list[dict[str, Any]]:
        """The account's requests, newest first."""
        listed = await self.get("/my/association-requests")
        requests: list[dict[str, Any]] = listed["requests"]
        return requests

    async def file_association_request(self, person_id: str, establishment_id: str, appointment_id: str) -> None:
        payload = {"person_id": person_id, "establishment_id": establishment_id, "appointment_id": appointment_id}
        await self.post("/my/association-requests", payload, expect=(200, 201))

    async def record_access(self, appointment_ids: list[str]) -> list[RecordAccessEntry]:
        """The log's entries about these appointments (those appointments lets this citizen see: the caller passes
        its answer, never ids from the request) and about the account's own validations, newest first. The path is
        in no route of gateway/routes.py: only this composition reaches it."""
        answer = await self.post("/composed/record-access", {"appointment_ids": appointment_ids}, expect=(200,))
        entries: list[RecordAccessEntry] = answer["entries"]
        return entries

    async def verify_code(self, challenge_id: str, code: str, purpose: str) -> Any:
        return await self.post(f"/challenges/{challenge_id}/verify", {"code": code, "purpose": purpose}, (200,))
