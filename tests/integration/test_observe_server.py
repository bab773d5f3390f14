"""The observability server answers /metrics, /healthz and /readyz over real HTTP, and nothing else."""

import asyncio
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest

from services.common.metrics import DELIVERIES
from services.common.observe import (
    Readiness,
    ReadyCheck,
    ReadyStatus,
    serve_observability,
)
from services.common.settings import ObservabilitySettings
from services.domain.errors import ConfigError

LOOPBACK = ObservabilitySettings(host="127.0.0.1")


@asynccontextmanager
async def observed(ready: ReadyCheck | None = None) -> AsyncIterator[httpx.AsyncClient]:
    """A server on a free loopback port, and an HTTP client pointed at it."""
    check = ready or Readiness("kafka")
    async with (
        serve_observability(LOOPBACK, 0, ready=check) as server,
        httpx.AsyncClient(base_url=server.url) as http,
    ):
        yield http


async def test_health_is_always_ok_and_readiness_follows_the_named_conditions() -> None:
    readiness = Readiness("kafka", "consuming")
    async with observed(readiness) as http:
        health = await http.get("/healthz")
        assert (health.status_code, health.json()) == (200, {"alive": True})

        waiting = await http.get("/readyz")
        assert waiting.status_code == 503
        assert waiting.headers["content-type"] == "application/json"
        assert waiting.json() == {
            "ready": False,
            "reason": "waiting for kafka, consuming",
            "conditions": {"kafka": False, "consuming": False},
        }
        assert "pagewire_ready 0.0" in (await http.get("/metrics")).text

        readiness.set("kafka")
        half = await http.get("/readyz")
        assert (half.status_code, half.json()["reason"]) == (503, "waiting for consuming")

        readiness.set("consuming")
        ready = await http.get("/readyz")
        assert ready.status_code == 200
        assert ready.json() == {"ready": True, "conditions": {"kafka": True, "consuming": True}}
        assert "pagewire_ready 1.0" in (await http.get("/metrics")).text

        # a condition that fails with a detail says why; holding again, the detail is gone
        readiness.set("kafka", False, "localhost:9092 refused the connection")
        detailed = await http.get("/readyz")
        assert (detailed.status_code, detailed.json()["reason"]) == (
            503,
            "waiting for kafka (localhost:9092 refused the connection)",
        )
        readiness.set("kafka")
        assert (await http.get("/readyz")).status_code == 200

        readiness.set("kafka", False)
        assert (await http.get("/readyz")).status_code == 503


async def test_metrics_are_the_registry_in_prometheus_text_format() -> None:
    DELIVERIES.labels(destination="observe-test", outcome="delivered").inc(3)
    async with observed() as http:
        response = await http.get("/metrics")
        head = await http.head("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    assert 'pagewire_deliveries_total{destination="observe-test",outcome="delivered"} 3.0' in response.text
    help_line = "# HELP pagewire_consumer_lag_messages Messages behind the end of each consumed partition."
    assert help_line in response.text
    assert (head.status_code, head.content) == (200, b"")


async def test_the_metrics_output_passes_promtool_check_metrics() -> None:
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.fail("no promtool: run scripts/test (installs Debian's prometheus package)", pytrace=False)
    async with observed() as http:
        body = (await http.get("/metrics")).content
    check = await asyncio.create_subprocess_exec(
        promtool,
        "check",
        "metrics",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await check.communicate(body)
    # promtool exits 0 with lint warnings printed; a clean registry prints nothing at all
    assert (check.returncode, output.decode()) == (0, "")


@pytest.mark.parametrize("path", ["/", "/metrics/", "/debug/vars", "/healthz/x", "/favicon.ico"])
async def test_anything_else_is_not_found(path: str) -> None:
    async with observed() as http:
        response = await http.get(path)
    assert response.status_code == 404


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"])
async def test_only_get_and_head_are_allowed(method: str) -> None:
    async with observed() as http:
        response = await http.request(method, "/metrics")
    assert (response.status_code, response.headers["allow"]) == (405, "GET, HEAD")


async def test_a_failing_readiness_check_reads_as_not_ready() -> None:
    def broken() -> ReadyStatus:
        raise RuntimeError("state store unavailable")

    async with observed(broken) as http:
        response = await http.get("/readyz")
    assert (response.status_code, response.json()["reason"]) == (503, "readiness check failed: RuntimeError")


async def test_a_busy_port_is_a_config_error_naming_the_address() -> None:
    async with serve_observability(LOOPBACK, 0, ready=Readiness("kafka")) as server:
        with pytest.raises(ConfigError, match=f"cannot serve /metrics on 127.0.0.1:{server.port}"):
            async with serve_observability(LOOPBACK, server.port, ready=Readiness("kafka")):
                pass


def test_readiness_rejects_unknown_conditions() -> None:
    with pytest.raises(KeyError, match="unknown readiness condition 'kafak'; known: kafka"):
        Readiness("kafka").set("kafak")
