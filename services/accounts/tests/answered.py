"""Refusals as the HTTP edge answers them (services/accounts/refusals.py), for tests that call use cases
directly and read the status, code, field and texts a client would get."""

from collections.abc import Iterator
from contextlib import contextmanager

from services.accounts.refusals import REFUSALS
from shared.errors import ApiError, api_error
from shared.refusals import Refused

__all__ = ["ApiError", "as_answered"]


@contextmanager
def as_answered() -> Iterator[None]:
    try:
        yield
    except Refused as refusal:
        raise api_error(REFUSALS, refusal) from refusal
