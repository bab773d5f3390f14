"""A real Prometheus server for integration tests: scrapes loopback targets every second, queried by its API.

    async with prometheus({"pagewire-worker": [f"127.0.0.1:{port}"]}, rules=True) as server:
        assert await server.wait_for("sum(pagewire_consumer_lag_messages)", [({}, 0.0)]) ...

Job names follow deploy/prometheus/prometheus.yml (pagewire-producer, pagewire-worker, pagewire-storage-sink,
pagewire-alert-sink) so that the deploy rules, loaded with rules=True, see the labels they expect.
"""

import asyncio
import itertools
import shutil
import socket
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import yaml

from tests.support.deploy import DEPLOY

Labels = Mapping[str, str]


def free_port() -> int:
    """A loopback port free right now (the caller binds it next; a collision is unlikely, not impossible)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass(frozen=True)
class Sample:
    labels: dict[str, str]
    value: float


class PrometheusServer:
    """The HTTP API of a running Prometheus: instant queries and waiting for an expected answer."""

    def __init__(self, url: str, log: Path) -> None:
        self.url = url
        self.log = log
        self._http = httpx.AsyncClient(base_url=url, timeout=5.0)

    async def query(self, expr: str) -> list[Sample]:
        """Evaluate `expr` now (/api/v1/query); vector results only, __name__ kept when present."""
        response = await self._http.get("/api/v1/query", params={"query": expr})
        body = response.json()
        assert body["status"] == "success", f"{expr}: {body}"
        assert body["data"]["resultType"] == "vector", f"{expr}: {body['data']['resultType']}"
        return [Sample(dict(item["metric"]), float(item["value"][1])) for item in body["data"]["result"]]

    async def wait_for(
        self, expr: str, expected: Sequence[tuple[Labels, float]], *, timeout: float = 30.0
    ) -> list[Sample]:
        """Query until the answer is exactly `expected`: (labels within sample labels, value), any order."""
        deadline = time.monotonic() + timeout
        samples: list[Sample] = []
        while time.monotonic() < deadline:
            samples = await self.query(expr)
            if _matches(samples, expected):
                return samples
            await asyncio.sleep(0.25)
        raise AssertionError(f"{expr}: expected {list(expected)}, Prometheus says {samples}")

    async def targets_up(self, count: int, *, timeout: float = 30.0) -> None:
        """Wait until `count` targets were scraped successfully (up == 1)."""
        await self.wait_for("count(up == 1)", [({}, float(count))], timeout=timeout)

    async def close(self) -> None:
        await self._http.aclose()


def _matches(samples: Sequence[Sample], expected: Sequence[tuple[Labels, float]]) -> bool:
    if len(samples) != len(expected):
        return False
    remaining = list(samples)
    for labels, value in expected:
        found = next((s for s in remaining if labels.items() <= s.labels.items() and s.value == value), None)
        if found is None:
            return False
        remaining.remove(found)
    return True


def _binary() -> str:
    found = shutil.which("prometheus")
    if found is None:
        pytest.fail("no prometheus: run scripts/test (installs Debian's prometheus package)", pytrace=False)
    return found


def _write_config(workdir: Path, targets: Mapping[str, Sequence[str]], rules: bool) -> Path:
    config: dict[str, object] = {
        "global": {"scrape_interval": "1s", "scrape_timeout": "1s", "evaluation_interval": "1s"},
        "scrape_configs": [
            {"job_name": job, "static_configs": [{"targets": list(addresses)}]}
            for job, addresses in targets.items()
        ],
    }
    if rules:
        config["rule_files"] = [str(DEPLOY / "prometheus" / "rules.yml")]
    path = workdir / "prometheus.yml"
    path.write_text(yaml.safe_dump(config))
    return path


@asynccontextmanager
async def run_prometheus(
    workdir: Path, targets: Mapping[str, Sequence[str]], *, rules: bool = False, timeout: float = 30.0
) -> AsyncIterator[PrometheusServer]:
    """Start Prometheus on a free loopback port with its storage in `workdir`; stop it afterwards."""
    config = _write_config(workdir, targets, rules)
    port = free_port()
    log = workdir / "prometheus.log"
    with log.open("wb") as output:
        process = await asyncio.create_subprocess_exec(
            _binary(),
            f"--config.file={config}",
            f"--storage.tsdb.path={workdir / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--log.level=warn",
            stdout=output,
            stderr=output,
        )
    server = PrometheusServer(f"http://127.0.0.1:{port}", log)
    try:
        await _wait_ready(server, process, timeout)
        yield server
    finally:
        await server.close()
        if process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), 10)
            except TimeoutError:
                process.kill()
                await process.wait()


async def _wait_ready(server: PrometheusServer, process: asyncio.subprocess.Process, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(base_url=server.url, timeout=1.0) as http:
        while time.monotonic() < deadline:
            if process.returncode is not None:
                break
            try:
                if (await http.get("/-/ready")).status_code == 200:
                    return
            except httpx.TransportError:
                pass  # not listening yet
            await asyncio.sleep(0.1)
    raise AssertionError(f"Prometheus did not become ready; its log:\n{server.log.read_text()[-4000:]}")


PrometheusFactory = Callable[..., AbstractAsyncContextManager[PrometheusServer]]


@pytest.fixture
def prometheus(tmp_path: Path) -> PrometheusFactory:
    """A factory: `async with prometheus({"pagewire-worker": ["127.0.0.1:9465"]}, rules=True) as server:`."""

    started = itertools.count()

    def start(
        targets: Mapping[str, Sequence[str]], *, rules: bool = False
    ) -> AbstractAsyncContextManager[PrometheusServer]:
        workdir = tmp_path / f"prometheus-{next(started)}"
        workdir.mkdir()
        return run_prometheus(workdir, targets, rules=rules)

    return start
