"""Running a long-lived process on a fresh event loop until SIGTERM or SIGINT asks it to stop."""

import asyncio
import signal
from collections.abc import Awaitable, Callable


def run_until_signalled(run: Callable[[], Awaitable[None]], stop: Callable[[], None]) -> None:
    """Run a sink on a fresh event loop; SIGTERM and SIGINT ask it to stop after the batch in hand."""

    async def main() -> None:
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop)
        try:
            await run()
        finally:
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(signum)

    asyncio.run(main())
