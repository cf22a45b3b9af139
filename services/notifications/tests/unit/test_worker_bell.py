"""The dispatcher's bell: one queued delivery wakes one idle worker, not all of them."""

import asyncio

from services.notifications.dispatcher import WorkerBell


async def _waiters(bell: WorkerBell, count: int) -> list[asyncio.Task[None]]:
    tasks = [asyncio.create_task(bell.wait(5.0)) for _ in range(count)]
    await asyncio.sleep(0)  # each reaches its wait
    return tasks


def test_a_ring_wakes_exactly_one_idle_worker():
    async def scenario() -> list[int]:
        bell = WorkerBell()
        tasks = await _waiters(bell, 4)
        woken = []
        for _ in range(2):
            bell.ring()
            await asyncio.sleep(0.01)
            woken.append(sum(task.done() for task in tasks))
        bell.ring_all()
        await asyncio.gather(*tasks)
        return woken

    assert asyncio.run(scenario()) == [1, 2]


def test_a_ring_while_every_worker_is_busy_is_kept_for_the_next_wait():
    async def scenario() -> tuple[float, float]:
        bell = WorkerBell()
        bell.ring()
        loop = asyncio.get_running_loop()
        started = loop.time()
        await bell.wait(5.0)
        kept = loop.time() - started
        started = loop.time()
        await bell.wait(0.05)  # the kept ring was used up: this one waits for its poll
        return kept, loop.time() - started

    kept, polled = asyncio.run(scenario())
    assert kept < 0.01
    assert polled >= 0.05


def test_stopping_wakes_every_worker():
    async def scenario() -> bool:
        bell = WorkerBell()
        tasks = await _waiters(bell, 3)
        bell.ring_all()
        await asyncio.wait_for(asyncio.gather(*tasks), 1.0)
        return all(task.done() for task in tasks)

    assert asyncio.run(scenario())
