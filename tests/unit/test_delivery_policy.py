"""Delivery policy: verdicts per status, Retry-After and Discord rate-limit answers, backoff, giving up."""

from datetime import UTC, datetime

import pytest

from services.domain.alerts.delivery import (
    ATTEMPTS_EXHAUSTED,
    DEADLINE_EXCEEDED,
    body_retry_after,
    delivery_retry_wait,
    give_up,
    pacing_hold,
    retry_after,
    server_wait,
    verdict,
)

NOW = datetime(2025, 2, 19, 7, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (200, "delivered"),
        (202, "delivered"),  # Teams Workflows accepts with 202
        (204, "delivered"),  # Discord without ?wait=true
        (408, "retry"),
        (429, "retry"),
        (500, "retry"),
        (503, "retry"),
        (599, "retry"),
        (301, "refused"),
        (400, "refused"),
        (403, "refused"),
        (404, "refused"),  # Slack: channel_not_found
        (410, "refused"),  # Slack: channel_is_archived
        (425, "refused"),
    ],
)
def test_verdicts(status: int, expected: str) -> None:
    assert verdict(status) == expected


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("30", 30.0),
        ("1.5", 1.5),
        (" 2 ", 2.0),
        ("Wed, 19 Feb 2025 07:00:45 GMT", 45.0),
        ("Wed, 19 Feb 2025 06:59:00 GMT", 0.0),  # a date in the past: no wait, not a negative one
        ("soon", None),
        ("-5", None),
    ],
)
def test_retry_after_in_seconds_or_as_an_http_date(value: str, seconds: float | None) -> None:
    assert retry_after({"Retry-After": value}, NOW) == seconds


def test_no_retry_after_header_means_none() -> None:
    assert retry_after({"Content-Type": "application/json"}, NOW) is None


def test_slack_429_waits_its_retry_after() -> None:
    assert server_wait(429, {"retry-after": "30"}, b"rate_limited", NOW) == 30.0


def test_discord_429_waits_the_longest_header_and_ignores_the_body_when_headers_speak() -> None:
    headers = {"Retry-After": "2", "X-RateLimit-Reset-After": "2.75", "X-RateLimit-Remaining": "0"}
    # a pre-v8 body in milliseconds must not turn into a 40-minute wait
    body = b'{"message": "You are being rate limited.", "retry_after": 2750, "global": false}'
    assert server_wait(429, headers, body, NOW) == 2.75


def test_a_429_without_headers_falls_back_to_the_json_body() -> None:
    body = b'{"message": "You are being rate limited.", "retry_after": 0.64, "global": true}'
    assert server_wait(429, {}, body, NOW) == 0.64
    assert server_wait(429, {}, b"<html>busy</html>", NOW) is None


def test_a_503_honours_retry_after_but_not_rate_limit_buckets() -> None:
    assert server_wait(503, {"Retry-After": "4", "X-RateLimit-Reset-After": "9"}, b"", NOW) == 4.0
    assert server_wait(500, {"X-RateLimit-Reset-After": "9"}, b'{"retry_after": 9}', NOW) is None


@pytest.mark.parametrize("body", [b"", b"[]", b'{"retry_after": "3"}', b'{"retry_after": -1}', b"\xff"])
def test_unusable_bodies_give_no_wait(body: bytes) -> None:
    assert body_retry_after(body) is None


def test_an_empty_discord_bucket_holds_the_next_request() -> None:
    assert pacing_hold({"x-ratelimit-remaining": "0", "x-ratelimit-reset-after": "1.5"}) == 1.5
    assert pacing_hold({"x-ratelimit-remaining": "3", "x-ratelimit-reset-after": "1.5"}) is None
    assert pacing_hold({}) is None


def test_backoff_doubles_from_the_base_up_to_the_cap_with_the_upper_half_jittered() -> None:
    lowest = [delivery_retry_wait(retry, 1.0, 10.0, 0.0, None) for retry in range(6)]
    highest = [delivery_retry_wait(retry, 1.0, 10.0, 0.999999, None) for retry in range(6)]
    assert lowest == [0.5, 1.0, 2.0, 4.0, 5.0, 5.0]
    assert [round(wait, 3) for wait in highest] == [1.0, 2.0, 4.0, 8.0, 10.0, 10.0]


def test_a_server_wait_longer_than_the_backoff_wins_even_past_the_cap() -> None:
    assert delivery_retry_wait(0, 1.0, 10.0, 0.0, 30.0) == 30.0
    assert delivery_retry_wait(3, 1.0, 10.0, 0.0, 0.1) == 4.0


def test_giving_up() -> None:
    assert give_up(attempts=3, max_attempts=3, elapsed=1.0, wait=1.0, deadline=60.0) == ATTEMPTS_EXHAUSTED
    assert give_up(attempts=2, max_attempts=9, elapsed=50.0, wait=10.0, deadline=60.0) == DEADLINE_EXCEEDED
    assert give_up(attempts=2, max_attempts=9, elapsed=50.0, wait=9.9, deadline=60.0) is None
