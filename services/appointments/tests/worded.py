"""Refusals as the HTTP edge words them, for tests that check a status, code, field or text on a rule or a use
case called directly (they did so when rules built the HTTP answer themselves)."""

import functools
import inspect
from types import ModuleType
from typing import Any

from services.appointments.refusals import REFUSALS
from shared.errors import ApiError, Refused, api_error


def worded(refusal: Refused) -> ApiError:
    return api_error(REFUSALS, refusal)


class AsTheEdgeWordsIt:
    """`module`'s names; its functions (and `aliases`) raise, or return, their refusals as ApiErrors."""

    def __init__(self, module: ModuleType, **aliases: Any) -> None:
        self._module = module
        self._aliases = aliases

    def __getattr__(self, name: str) -> Any:
        value = self._aliases[name] if name in self._aliases else getattr(self._module, name)
        if inspect.iscoroutinefunction(value):

            @functools.wraps(value)
            async def called_async(*args: Any, **kwargs: Any) -> Any:
                try:
                    return await value(*args, **kwargs)
                except Refused as refusal:
                    raise worded(refusal) from refusal

            return called_async
        if inspect.isfunction(value) or (inspect.isclass(value) and issubclass(value, Refused)):

            @functools.wraps(value)
            def called(*args: Any, **kwargs: Any) -> Any:
                try:
                    result = value(*args, **kwargs)
                except Refused as refusal:
                    raise worded(refusal) from refusal
                return worded(result) if isinstance(result, Refused) else result

            return called
        return value
