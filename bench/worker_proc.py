"""A `pagewire worker` (or `pagewire sink storage`) subprocess: started until ready, measured, stopped."""

import asyncio
import os
import signal
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import orjson

REPO = Path(__file__).resolve().parents[1]
PAGEWIRE = str(Path(sys.executable).parent / "pagewire")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


class Process:
    """One pagewire long-running command with its own log file and a free observability port."""

    def __init__(self, args: list[str], env: dict[str, str], port_variable: str) -> None:
        self.args = args
        self.env = {
            **env,
            port_variable: "0",
            "PAGEWIRE_OBSERVE_HOST": "127.0.0.1",
            "PAGEWIRE_LOG_FORMAT": "json",  # the line naming the bound port is read back as JSON
        }
        handle, name = tempfile.mkstemp(prefix="pwbench-", suffix=".log")
        os.close(handle)
        self.log = Path(name)
        self.process: asyncio.subprocess.Process | None = None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    async def start(self, ready: str = "/readyz", timeout: float = 120.0) -> None:
        """Start, then wait for the observability server's log line and until `ready` answers 200."""
        with self.log.open("ab") as sink:
            self.process = await asyncio.create_subprocess_exec(
                PAGEWIRE, *self.args, cwd=REPO, env=self.env, stdout=sink, stderr=sink
            )
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient() as client:
            while time.monotonic() < deadline:
                if self.process.returncode is not None:
                    raise RuntimeError(f"{' '.join(self.args)} exited:\n{self.tail()}")
                url = self._url()
                if url:
                    try:
                        if (await client.get(url + ready)).status_code == 200:
                            return
                    except httpx.TransportError:
                        pass
                await asyncio.sleep(0.2)
        raise RuntimeError(f"{' '.join(self.args)} not ready after {timeout}s:\n{self.tail()}")

    def _url(self) -> str | None:
        for line in self.log.read_bytes().splitlines():
            if b"observability server listening" in line:
                return str(orjson.loads(line)["url"])
        return None

    def cpu_seconds(self) -> float:
        """User plus system CPU time of the process so far (/proc/<pid>/stat)."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS

    def peak_rss_mb(self) -> float:
        """The resident set's high-water mark, VmHWM in /proc/<pid>/status."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError("no VmHWM in /proc status")

    async def stop(self, timeout: float = 60.0) -> int:
        """SIGTERM and the exit code; SIGKILL if it does not stop in time."""
        assert self.process is not None
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return await asyncio.wait_for(self.process.wait(), timeout)
        except TimeoutError:
            self.process.kill()
            return await self.process.wait()

    async def kill(self) -> None:
        """SIGKILL: nothing is flushed or committed; waits until the process is gone."""
        assert self.process is not None
        if self.process.returncode is None:
            self.process.kill()
        await self.process.wait()

    async def finish(self) -> None:
        """Stop; a non-zero exit raises with the log's tail, a clean one removes the log."""
        code = await self.stop()
        if code != 0:
            raise RuntimeError(f"{' '.join(self.args)} exited with {code}:\n{self.tail()}")
        self.remove_log()

    def tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:]

    def remove_log(self) -> None:
        self.log.unlink(missing_ok=True)


@asynccontextmanager
async def running(process: Process) -> AsyncIterator[Process]:
    """`process` started until ready; stopped afterwards, and a non-zero exit raised (finish)."""
    await process.start()
    try:
        yield process
    except BaseException:
        await process.stop()
        raise
    await process.finish()
