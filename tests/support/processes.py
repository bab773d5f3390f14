"""pagewire commands as real subprocesses for integration tests: started until ready, stopped or killed."""

import asyncio
import os
import signal
import sys
import time
from pathlib import Path

import httpx
import orjson

from tests.conftest import REPO

PAGEWIRE = str(Path(sys.executable).parent / "pagewire")
# every process serves its probes on a free port (read from its log), logging JSON so the test can parse it
OBSERVE = {
    "PAGEWIRE_OBSERVE_HOST": "127.0.0.1",
    "PAGEWIRE_OBSERVE_PRODUCER_PORT": "0",
    "PAGEWIRE_OBSERVE_WORKER_PORT": "0",
    "PAGEWIRE_OBSERVE_STORAGE_SINK_PORT": "0",
    "PAGEWIRE_OBSERVE_ALERT_SINK_PORT": "0",
    "PAGEWIRE_LOG_FORMAT": "json",
}


class PagewireProcess:
    """`pagewire <command...>` logging to a file; started, stopped (SIGTERM) or killed (SIGKILL)."""

    def __init__(self, command: tuple[str, ...], env: dict[str, str], log: Path) -> None:
        self.command = command
        self.env = {**os.environ, **env, **OBSERVE}
        self.log = log
        self.process: asyncio.subprocess.Process | None = None
        self.url = ""

    @property
    def name(self) -> str:
        return " ".join(self.command)

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.returncode is None

    async def start(self, timeout: float = 90.0) -> None:
        """Start and wait until /readyz says ready."""
        await self.wait_ready(await self.launch(), timeout)

    async def launch(self) -> int:
        """Start the process without waiting for it; the log's size before it, for wait_ready and logged."""
        offset = self.log.stat().st_size if self.log.exists() else 0
        with self.log.open("ab") as sink:
            self.process = await asyncio.create_subprocess_exec(
                PAGEWIRE, *self.command, cwd=REPO, env=self.env, stdout=sink, stderr=sink
            )
        return offset

    def logged(self, offset: int, text: bytes) -> bool:
        """Whether the process logged `text` after `offset` (the log's size when it was launched)."""
        with self.log.open("rb") as lines:
            lines.seek(offset)
            return any(text in line for line in lines)

    async def wait_logged(self, offset: int, text: bytes, timeout: float = 90.0, poll: float = 0.05) -> None:
        """Return once the process launched at `offset` logged `text` (looking every `poll` seconds)."""
        deadline = time.monotonic() + timeout
        while not self.logged(offset, text):
            assert self.process is not None and self.process.returncode is None, f"{self.name} exited"
            assert time.monotonic() < deadline, f"{self.name} never logged {text!r}:\n{self.tail()}"
            await asyncio.sleep(poll)

    async def wait_ready(self, offset: int, timeout: float = 90.0) -> None:
        """Wait until the process launched at `offset` says ready on /readyz."""
        assert self.process is not None
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient() as client:
            while time.monotonic() < deadline:
                assert self.process.returncode is None, f"{self.name} exited:\n{self.tail()}"
                self.url = self.url_from_log(offset) or ""
                if self.url:
                    try:
                        if (await client.get(self.url + "/readyz")).status_code == 200:
                            return
                    except httpx.TransportError:
                        pass
                await asyncio.sleep(0.2)
        raise AssertionError(f"{self.name} not ready after {timeout}s:\n{self.tail()}")

    def url_from_log(self, offset: int) -> str | None:
        """The address of the latest observability server the process started (a worker serves one while
        it waits for Kafka, then another; each on a free port here)."""
        url = None
        with self.log.open("rb") as lines:
            lines.seek(offset)
            for line in lines:
                if b"observability server listening" in line:
                    url = str(orjson.loads(line)["url"])
        return url

    async def stop(self, timeout: float = 60.0) -> int:
        """SIGTERM, then the exit code."""
        assert self.process is not None
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
        return await asyncio.wait_for(self.process.wait(), timeout)

    async def kill(self) -> None:
        """SIGKILL: no handler runs, nothing is flushed or committed; waits until the process is gone."""
        assert self.process is not None
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGKILL)
        await self.process.wait()

    async def get(self, path: str) -> httpx.Response:
        async with httpx.AsyncClient() as client:
            return await client.get(self.url + path)

    async def metrics(self) -> str:
        return (await self.get("/metrics")).text

    def tail(self, chars: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""
