"""argon2 runs on a pool of its own, as wide as the configured concurrency: each extra thread would keep
one more memory_kib buffer resident (its malloc arena)."""

import asyncio

from services.accounts.sessions.use_cases import PasswordHashing


async def test_hashing_uses_at_most_its_own_threads() -> None:
    hashing = PasswordHashing(memory_kib=1024, time_cost=1, parallelism=1, concurrency=2)
    stored = await hashing.hash("correct horse battery")
    results = await asyncio.gather(*(hashing.verify(stored, "correct horse battery") for _ in range(12)))
    assert all(results)
    assert not await hashing.verify(stored, "wrong password")
    assert not await hashing.verify(None, "anything at all")  # unknown account: the decoy, never a match
    assert len(hashing._threads._threads) == 2
