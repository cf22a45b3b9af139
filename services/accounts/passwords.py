"""argon2id hashing off the event loop, with bounded concurrency (argon2 is slow by design)."""

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError


class PasswordHashing:
    def __init__(self, memory_kib: int, time_cost: int, parallelism: int, concurrency: int) -> None:
        self._hasher = PasswordHasher(memory_cost=memory_kib, time_cost=time_cost, parallelism=parallelism)
        # Above the core count, more parallel hashes only add latency and memory.
        self._slots = asyncio.Semaphore(concurrency)
        # Verified when the identifier is unknown, so timing doesn't reveal which accounts exist.
        self._decoy = self._hasher.hash("decoy password that never matches anything")

    async def hash(self, password: str) -> str:
        async with self._slots:
            return await asyncio.to_thread(self._hasher.hash, password)

    async def verify(self, stored_hash: str | None, password: str) -> bool:
        async with self._slots:
            return await asyncio.to_thread(self._verify, stored_hash or self._decoy, password)

    def _verify(self, stored_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(stored_hash, password)
        except (VerificationError, InvalidHashError):
            return False
