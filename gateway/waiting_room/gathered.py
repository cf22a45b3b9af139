"""Calls that arrive while one is under way go together in the next one: one statement per round trip.

In a rush the room's statements (a new visitor's ticket number, an admission's record) come hundreds at a time.
One statement each queued on the room's four connections past their half-second limit, and the room fell back
to deciding without its store: 503s, and the queue's order lost. Gathered, each round trip carries everyone who
arrived during the previous one, in their order of arrival.
"""

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

Asked = TypeVar("Asked")
Answer = TypeVar("Answer")


class Gathered(Generic[Asked, Answer]):
    def __init__(self, run: Callable[[list[Asked]], Awaitable[list[Answer]]]) -> None:
        """`run` answers a list of what was asked with one answer each, in the same order."""
        self._run = run
        self._waiting: list[tuple[Asked, asyncio.Future[Answer]]] = []
        self._task: asyncio.Task[None] | None = None

    async def __call__(self, asked: Asked) -> Answer:
        answer: asyncio.Future[Answer] = asyncio.get_running_loop().create_future()
        self._waiting.append((asked, answer))
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._answer_those_waiting())
        return await answer

    async def _answer_those_waiting(self) -> None:
        try:
            while self._waiting:
                batch, self._waiting = self._waiting, []
                try:
                    answers = await self._run([asked for asked, _ in batch])
                except Exception as exc:  # noqa: BLE001 - each caller decides what a failure means for it
                    for _, answer in batch:
                        if not answer.done():
                            answer.set_exception(exc)
                    continue
                for (_, answer), value in zip(batch, answers, strict=True):
                    if not answer.done():  # else its caller left
                        answer.set_result(value)
        finally:
            self._task = None
