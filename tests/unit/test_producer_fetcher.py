"""The URL fetcher over an injected transport: conditional GETs, retries, body cap, address guard."""

from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from datetime import UTC, datetime
from ipaddress import ip_address

import httpx
import pytest

from services.common.settings import ProducerSettings, package_version
from services.domain.errors import BodyTooLarge, FetchError, SourceRefused
from services.domain.sources.address_guard import IPAddress
from services.domain.sources.fetching import Validators
from services.producer.http import Fetcher

NOW = datetime(2025, 2, 19, 6, 0, tzinfo=UTC)
PAGE = b"<html><body>\xe2\x80\xa2 KGS/USD = 0.01144 0%</body></html>"
SETTINGS = ProducerSettings(
    retries=3, backoff_base_seconds=1.0, backoff_max_seconds=8.0, per_host_interval_seconds=0.0
)
Handler = Callable[[httpx.Request], httpx.Response]

HOSTS: dict[str, list[IPAddress]] = {
    "news.example": [ip_address("93.184.215.14"), ip_address("2606:2800:21f:cb07:6820:80da:af6b:8b2c")],
    "mixed.example": [ip_address("93.184.215.14"), ip_address("10.0.0.5")],
}


async def fake_resolver(host: str, port: int) -> list[IPAddress]:
    return HOSTS[host]


class Recorder:
    """The transport side: records requests and the sleeps the fetcher asked for."""

    def __init__(self, *responses: httpx.Response | Exception) -> None:
        self.responses = list(responses)
        self.requests: list[httpx.Request] = []
        self.sleeps: list[float] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.responses.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)

    def fetcher(self, settings: ProducerSettings = SETTINGS, allow_private: bool = False) -> Fetcher:
        return Fetcher(
            settings,
            allow_private=allow_private,
            transport=httpx.MockTransport(self.handle),
            resolver=fake_resolver,
            sleep=self.sleep,
            jitter=lambda: 0.5,
            now=lambda: NOW,
        )


def page(status: int = 200, body: bytes = PAGE, **headers: str) -> httpx.Response:
    return httpx.Response(status, content=body, headers={k.replace("_", "-"): v for k, v in headers.items()})


async def test_a_first_fetch_gives_the_snapshot_and_its_validators() -> None:
    recorder = Recorder(
        page(
            content_type="text/html; charset=UTF-8",
            etag='"v1"',
            last_modified="Wed, 19 Feb 2025 05:00:00 GMT",
        )
    )
    async with recorder.fetcher() as fetcher:
        outcome = await fetcher.fetch("https://News.Example/listing?page=1")

    assert outcome.snapshot is not None
    assert outcome.snapshot.to_envelope() == {
        "schema": "pagewire.snapshot/1",
        "snapshot_id": outcome.snapshot.snapshot_id,
        "source_url": "https://news.example/listing?page=1",
        "site": "news.example",
        "fetched_at": "2025-02-19T06:00:00Z",
        "content_type": "text/html",
        "charset": "utf-8",
        "size": len(PAGE),
        "body": outcome.snapshot.to_envelope()["body"],
    }
    assert outcome.snapshot.body == PAGE
    assert outcome.validators == Validators(
        '"v1"', "Wed, 19 Feb 2025 05:00:00 GMT", outcome.snapshot.snapshot_id
    )
    sent = recorder.requests[0]
    assert sent.headers["user-agent"] == f"pagewire/{package_version()}"
    assert "if-none-match" not in sent.headers and "if-modified-since" not in sent.headers


async def test_conditional_headers_are_sent_and_a_304_is_unchanged() -> None:
    previous = Validators('"v1"', "Wed, 19 Feb 2025 05:00:00 GMT", "a" * 64)
    recorder = Recorder(page(304, b""))
    async with recorder.fetcher() as fetcher:
        outcome = await fetcher.fetch("https://news.example/", previous)

    assert (outcome.unchanged, outcome.snapshot, outcome.validators) == (True, None, previous)
    assert recorder.requests[0].headers["if-none-match"] == '"v1"'
    assert recorder.requests[0].headers["if-modified-since"] == "Wed, 19 Feb 2025 05:00:00 GMT"


async def test_the_same_body_again_is_unchanged_but_new_validators_are_kept() -> None:
    recorder = Recorder(page(etag='"v1"'), page(etag='"v2"'))
    async with recorder.fetcher() as fetcher:
        first = await fetcher.fetch("https://news.example/")
        second = await fetcher.fetch("https://news.example/", first.validators)

    assert first.snapshot is not None and second.unchanged
    assert second.validators == Validators('"v2"', None, first.snapshot.snapshot_id)


async def test_5xx_is_retried_with_exponential_backoff() -> None:
    recorder = Recorder(page(503, b"busy"), page(502, b"bad"), page(500, b"oops"), page())
    async with recorder.fetcher() as fetcher:
        outcome = await fetcher.fetch("https://news.example/")

    assert outcome.snapshot is not None and outcome.snapshot.body == PAGE
    assert len(recorder.requests) == 4
    assert recorder.sleeps == [0.75, 1.5, 3.0]


async def test_timeouts_are_retried_then_reported_with_the_source() -> None:
    recorder = Recorder(*[httpx.ReadTimeout("read timed out") for _ in range(4)])
    async with recorder.fetcher() as fetcher:
        with pytest.raises(FetchError) as caught:
            await fetcher.fetch("https://user:s3cret@news.example/a")

    assert str(caught.value) == "https://news.example/a: timeout after 4 attempts: read timed out"
    assert caught.value.reason == "timeout"
    assert recorder.sleeps == [0.75, 1.5, 3.0]


async def test_a_connect_error_then_success() -> None:
    recorder = Recorder(httpx.ConnectError("refused"), page())
    async with recorder.fetcher() as fetcher:
        outcome = await fetcher.fetch("https://news.example/")
    assert outcome.snapshot is not None and recorder.sleeps == [0.75]


@pytest.mark.parametrize(
    ("retry_after", "slept"),
    [("5", 5.0), ("Wed, 19 Feb 2025 06:00:07 GMT", 7.0), ("3600", 8.0), ("garbage", 0.75)],
)
async def test_retry_after_is_honoured_up_to_the_backoff_cap(retry_after: str, slept: float) -> None:
    recorder = Recorder(page(429, b"slow down", retry_after=retry_after), page())
    async with recorder.fetcher() as fetcher:
        await fetcher.fetch("https://news.example/")
    assert recorder.sleeps == [slept]


async def test_5xx_after_the_last_retry_is_a_failure() -> None:
    recorder = Recorder(*[page(503, b"busy") for _ in range(4)])
    async with recorder.fetcher() as fetcher:
        with pytest.raises(
            FetchError, match=r"^https://news.example/: HTTP 503 Service Unavailable$"
        ) as caught:
            await fetcher.fetch("https://news.example/")
    assert caught.value.reason == "http_status" and len(recorder.requests) == 4


async def test_a_404_is_not_retried() -> None:
    recorder = Recorder(page(404, b"gone"))
    async with recorder.fetcher() as fetcher:
        with pytest.raises(FetchError, match="HTTP 404 Not Found"):
            await fetcher.fetch("https://news.example/")
    assert (len(recorder.requests), recorder.sleeps) == (1, [])


async def test_a_declared_body_over_the_cap_is_refused_unread() -> None:
    recorder = Recorder(page(body=b"x" * 2001))
    async with recorder.fetcher(replace(SETTINGS, max_body_bytes=2000)) as fetcher:
        with pytest.raises(BodyTooLarge) as caught:
            await fetcher.fetch("https://news.example/big")
    assert str(caught.value) == (
        "https://news.example/big: body of 2001 bytes (Content-Length) is over the 2000-byte cap"
    )


async def test_a_streamed_body_stops_being_read_past_the_cap() -> None:
    yielded: list[int] = []

    async def endless() -> AsyncIterator[bytes]:
        for index in range(1000):
            yielded.append(index)
            yield b"x" * 1000

    recorder = Recorder(httpx.Response(200, content=endless()))
    async with recorder.fetcher(replace(SETTINGS, max_body_bytes=2500)) as fetcher:
        with pytest.raises(BodyTooLarge) as caught:
            await fetcher.fetch("https://news.example/stream")

    assert str(caught.value) == (
        "https://news.example/stream: body is over the 2500-byte cap (stopped reading at 3000 bytes)"
    )
    assert len(yielded) == 3


@pytest.mark.parametrize(
    ("url", "refusal"),
    [
        ("http://127.0.0.1/", "127.0.0.1 is loopback"),
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is link-local"),
        ("http://[::1]:8080/", "::1 is loopback"),
        ("http://[::ffff:127.0.0.1]/", "::ffff:7f00:1 is loopback (IPv4 127.0.0.1 inside IPv6)"),
        ("http://10.0.0.8/", "10.0.0.8 is private"),
        ("https://mixed.example/", "10.0.0.5 is private"),
    ],
)
async def test_non_public_addresses_are_refused_without_a_request(url: str, refusal: str) -> None:
    recorder = Recorder()
    async with recorder.fetcher() as fetcher:
        with pytest.raises(SourceRefused, match="--allow-private") as caught:
            await fetcher.fetch(url)
    assert refusal in str(caught.value)
    assert recorder.requests == []


@pytest.mark.parametrize(
    ("target", "refusal"),
    [
        ("http://127.0.0.1/admin", "127.0.0.1 is loopback"),
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is link-local"),
        ("http://[::1]/", "::1 is loopback"),
        ("file:///etc/passwd", "only http and https are fetched, not 'file'"),
    ],
)
async def test_a_redirect_to_a_refused_target_is_refused(target: str, refusal: str) -> None:
    recorder = Recorder(httpx.Response(302, headers={"Location": target}))
    async with recorder.fetcher() as fetcher:
        with pytest.raises(SourceRefused) as caught:
            await fetcher.fetch("https://news.example/")
    assert str(caught.value).startswith("https://news.example/ (redirected to ")
    assert refusal in str(caught.value)
    assert len(recorder.requests) == 1


async def test_redirects_are_followed_relative_and_limited() -> None:
    recorder = Recorder(httpx.Response(301, headers={"Location": "/moved"}), page())
    async with recorder.fetcher() as fetcher:
        outcome = await fetcher.fetch("https://news.example/old")
    assert [str(request.url) for request in recorder.requests] == [
        "https://news.example/old",
        "https://news.example/moved",
    ]
    assert outcome.snapshot is not None and outcome.snapshot.source_url == "https://news.example/old"

    looping = Recorder(*[httpx.Response(302, headers={"Location": "/again"}) for _ in range(6)])
    async with looping.fetcher() as fetcher:
        with pytest.raises(FetchError, match="more than 5 redirects") as caught:
            await fetcher.fetch("https://news.example/loop")
    assert caught.value.reason == "redirects" and len(looping.requests) == 6


@pytest.mark.parametrize("url", ["ftp://news.example/x", "file:///etc/passwd"])
async def test_other_schemes_are_refused(url: str) -> None:
    recorder = Recorder()
    async with recorder.fetcher() as fetcher:
        with pytest.raises(SourceRefused, match="only http and https"):
            await fetcher.fetch(url)
    assert recorder.requests == []


async def test_allow_private_lets_loopback_through() -> None:
    recorder = Recorder(page())
    async with recorder.fetcher(allow_private=True) as fetcher:
        outcome = await fetcher.fetch("http://127.0.0.1:8080/")
    assert outcome.snapshot is not None and outcome.snapshot.site == "127.0.0.1"


async def test_credentials_never_reach_errors_or_the_envelope() -> None:
    recorder = Recorder()
    async with recorder.fetcher() as fetcher:
        with pytest.raises(SourceRefused) as caught:
            await fetcher.fetch("http://admin:s3cret@127.0.0.1/?api_key=k3y")
    assert "s3cret" not in str(caught.value) and "k3y" not in str(caught.value)
    assert str(caught.value).startswith("http://127.0.0.1/?api_key=%2A%2A%2A%2A: refused 127.0.0.1")
