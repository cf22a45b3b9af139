"""Use cases called directly, answering as the HTTP edge does: a business refusal becomes the ApiError its
wording in the service's table gives (status, code, field, FR/EN, Retry-After)."""

from collections.abc import Awaitable
from typing import TypeVar

from services.verification.refusals import REFUSALS
from shared.errors import ApiError, api_error
from shared.refusals import Refused

T = TypeVar("T")


async def worded(call: Awaitable[T]) -> T:
    try:
        return await call
    except Refused as refused:
        raise api_error(REFUSALS, refused) from refused


def worded_now(refused: Refused) -> ApiError:
    return api_error(REFUSALS, refused)
