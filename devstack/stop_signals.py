"""How the dev stack's own servers (the mail and SMS sinks) wait for the end of `make run`."""

import asyncio
import signal


async def until_stopped() -> None:
    """Returns on SIGINT or SIGTERM. Ctrl-C reaches every process of `make run`'s group, the sinks too: they
    stop as on SIGTERM, cleaning up, instead of printing asyncio.run's KeyboardInterrupt traceback."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
