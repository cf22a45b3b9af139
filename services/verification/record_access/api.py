"""The record-access route, for the gateway's composition only.

It trusts the appointment ids it is given (the gateway takes them from appointments' answer to the same
citizen), so it must never be public: gateway/routes.py routes no path to it, and tests/e2e/test_record_access.py
checks that /api/... cannot reach it. The citizen's own validations come from the token, never from the body.
"""

from fastapi import APIRouter

from services.verification.record_access import use_cases
from services.verification.record_access.schemas import RecordAccessRequest, RecordAccessResponse
from shared.request_context import Citizen, UoW

router = APIRouter(prefix="/composed/record-access")


@router.post("")
async def record_access(body: RecordAccessRequest, account_id: Citizen, uow: UoW) -> RecordAccessResponse:
    return await use_cases.record_access(uow, account_id, body.appointment_ids)
