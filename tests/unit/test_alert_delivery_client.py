"""The delivery client on an injected transport and a fake clock: retries, waits, deadline, refusals, stop."""

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime

import httpx
import pytest

from services.common.settings import Secret
from services.domain.alerts.chat import Kind, build_payload, encode_body
from services.domain.alerts.chat.webhook import verify
from services.domain.alerts.destinations import AlertFilter, DeliveryLimits, Destination, SecretSource
from services.sinks.alerts.client import DeliveryAbandoned, DeliveryResult, DestinationClient
from services.sinks.alerts.destinations_file import Target
from tests.support.alerts import alert_value

URL = "https://hooks.example/services/T0/B0/client-unit-token"
SECRET = "client-unit-secret"
LIMITS = DeliveryLimits(
    rate_per_second=1.0,
    connect_timeout_seconds=1.0,
    timeout_seconds=5.0,
    deadline_seconds=60.0,
    max_attempts=10,
    backoff_base_seconds=1.0,
    backoff_max_seconds=8.0,
)
Answer = Callable[[httpx.Request], httpx.Response]


class FakeTime:
    """A monotonic clock that only moves when the client sleeps; every sleep is recorded."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 6))
        self.now += seconds


def client(
    answers: list[Answer], time: FakeTime, *, kind: Kind = "slack", limits: DeliveryLimits = LIMITS
) -> tuple[DestinationClient, list[httpx.Request]]:
    requests: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        answer = answers[min(len(requests), len(answers)) - 1]
        return answer(request)

    destination = Destination(
        name="ops",
        kind=kind,
        url=SecretSource(env="URL"),
        secret=SecretSource(env="SECRET") if kind == "webhook" else None,
        filter=AlertFilter(),
        limits=limits,
    )
    target = Target(destination, Secret(URL), Secret(SECRET if kind == "webhook" else ""))
    delivery = DestinationClient(
        target,
        transport=httpx.MockTransport(handle),
        clock=time.clock,
        wall=lambda: datetime(2025, 2, 19, 7, 0, 0, tzinfo=UTC),
        sleep=time.sleep,
        jitter=lambda: 0.0,
    )
    return delivery, requests


def status(code: int, headers: dict[str, str] | None = None, body: bytes = b"") -> Answer:
    return lambda _: httpx.Response(code, headers=headers, content=body)


def refused(_: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError(f"cannot connect to {URL}")


async def deliver(delivery: DestinationClient, stopping: asyncio.Event | None = None) -> DeliveryResult:
    try:
        return await delivery.deliver(alert_value(), stopping or asyncio.Event())
    finally:
        await delivery.aclose()


async def test_the_payload_bytes_and_headers_are_those_of_the_builder() -> None:
    delivery, requests = client([status(200)], FakeTime())
    assert await deliver(delivery) == DeliveryResult(True, 1, 200)
    body, headers = build_payload("slack", alert_value())
    assert str(requests[0].url) == URL
    assert requests[0].content == encode_body(body)
    assert requests[0].headers["content-type"] == headers["Content-Type"]
    assert requests[0].headers["user-agent"].startswith("pagewire/")


async def test_webhook_requests_are_signed_and_keyed_by_alert_id() -> None:
    delivery, requests = client([status(500), status(200)], FakeTime(), kind="webhook")
    assert (await deliver(delivery)).delivered
    keys = [request.headers["idempotency-key"] for request in requests]
    assert keys == [alert_value().alert_id] * 2
    for request in requests:
        timestamp = request.headers["x-pagewire-timestamp"]
        assert timestamp == "1739948400"
        assert verify(SECRET, timestamp, request.content, request.headers["x-pagewire-signature"])


async def test_5xx_and_connection_errors_are_retried_with_doubling_backoff() -> None:
    time = FakeTime()
    answers = [status(500), refused, status(502), status(503), status(200)]
    delivery, _ = client(answers, time)
    assert await deliver(delivery) == DeliveryResult(True, 5, 200)
    # jitter 0 gives the lower half of each backoff: 0.5, 1, 2, 4; the rate limit (1/s) tops the first
    # half-second up to a second between starts
    assert time.sleeps == [0.5, 0.5, 1.0, 2.0, 4.0]


async def test_429_retry_after_is_honoured_beyond_the_backoff_cap() -> None:
    time = FakeTime()
    delivery, _ = client([status(429, {"Retry-After": "20"}), status(200)], time)
    assert await deliver(delivery) == DeliveryResult(True, 2, 200)
    assert time.sleeps == [20.0]


async def test_an_empty_discord_bucket_delays_the_next_alert_not_this_one() -> None:
    time = FakeTime()
    empty = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset-After": "3.5"}
    delivery, _ = client([status(204, empty), status(204)], time, kind="discord")
    stopping = asyncio.Event()
    assert (await delivery.deliver(alert_value(), stopping)).delivered
    assert time.sleeps == []
    assert await deliver(delivery, stopping) == DeliveryResult(True, 1, 204)
    assert time.sleeps == [3.5]


async def test_the_rate_limit_spaces_requests() -> None:
    time = FakeTime()
    limits = DeliveryLimits(0.25, 1.0, 5.0, 60.0, 10, 0.1, 0.1)
    delivery, _ = client([status(200)], time, limits=limits)
    stopping = asyncio.Event()
    for _ in range(3):
        assert (await delivery.deliver(alert_value(), stopping)).delivered
    await delivery.aclose()
    assert time.sleeps == [4.0, 4.0]


@pytest.mark.parametrize("code", [400, 403, 404, 410, 301])
async def test_other_answers_are_refused_at_once(code: int) -> None:
    delivery, requests = client([status(code)], FakeTime())
    assert await deliver(delivery) == DeliveryResult(False, 1, code, "rejected", f"status {code}")
    assert len(requests) == 1


async def test_a_receiver_that_stays_down_is_given_up_at_the_deadline() -> None:
    time = FakeTime()
    limits = DeliveryLimits(100.0, 1.0, 5.0, 10.0, 50, 1.0, 8.0)
    delivery, _ = client([status(503)], time, limits=limits)
    result = await deliver(delivery)
    # waits 0.5 + 1 + 2 + 4 = 7.5s; the next 4s would end past the 10s deadline
    assert result == DeliveryResult(False, 5, 503, "deadline_exceeded", "last status 503")
    assert result.summary == "deadline_exceeded: last status 503"
    assert time.now == 7.5


async def hang(_: httpx.Request) -> httpx.Response:
    await asyncio.sleep(10)  # longer than any budget below: the attempt's timeout ends it
    return httpx.Response(200)


@pytest.mark.parametrize(
    ("first", "last"), [(refused, "last error connection failed"), (status(503), "last status 503")]
)
async def test_an_attempt_the_deadline_cuts_short_keeps_the_last_whole_attempts_error(
    first: Answer, last: str
) -> None:
    time = FakeTime()
    # attempts at 0, 0.5, 1.5, 3.5 and 7.5s: the fifth has 0.1s of the deadline left, not its 5s timeout
    limits = DeliveryLimits(100.0, 1.0, 5.0, 7.6, 50, 1.0, 8.0)
    delivery, requests = client([first] * 4 + [hang], time, limits=limits)
    result = await deliver(delivery)
    status_code = 503 if last.endswith("503") else None
    assert result == DeliveryResult(False, 5, status_code, "deadline_exceeded", last)
    assert len(requests) == 5


async def test_a_receiver_that_times_out_on_a_whole_attempt_is_reported_as_timing_out() -> None:
    time = FakeTime()
    limits = DeliveryLimits(100.0, 0.05, 0.05, 1.0, 2, 1.0, 8.0)
    delivery, _ = client([hang], time, limits=limits)
    result = await deliver(delivery)
    assert result == DeliveryResult(False, 2, None, "attempts_exhausted", "last error timeout")


async def test_a_retry_after_past_the_deadline_gives_up_now() -> None:
    time = FakeTime()
    delivery, _ = client([status(429, {"Retry-After": "120"})], time)
    assert await deliver(delivery) == DeliveryResult(False, 1, 429, "deadline_exceeded", "last status 429")
    assert time.sleeps == []


async def test_attempts_run_out_before_the_deadline() -> None:
    limits = DeliveryLimits(100.0, 1.0, 5.0, 600.0, 3, 1.0, 8.0)
    delivery, _ = client([refused], FakeTime(), limits=limits)
    result = await deliver(delivery)
    assert result == DeliveryResult(False, 3, None, "attempts_exhausted", "last error connection failed")
    assert URL not in str(result)


async def test_a_stop_during_a_backoff_abandons_the_alert() -> None:
    stopping = asyncio.Event()

    def fail_then_stop(_: httpx.Request) -> httpx.Response:
        stopping.set()
        return httpx.Response(503)

    delivery, requests = client([fail_then_stop, status(200)], FakeTime())
    with pytest.raises(DeliveryAbandoned):
        await deliver(delivery, stopping)
    assert len(requests) == 1
