"""The producer's pure policy: names, times, content types, backoff, rate limits and the address guard."""

from datetime import UTC, datetime
from ipaddress import ip_address

import pytest

from services.domain.backoff import backoff_delay, retry_after_seconds
from services.domain.errors import BodyTooLarge, FetchError, SourceRefused
from services.domain.sources.address_guard import address_refusal, check_addresses
from services.domain.sources.content import (
    content_type_for,
    envelope_fits,
    fetched_at_from_name,
    parse_content_type,
)
from services.domain.sources.fetching import Validators, fetch_retry_wait, rate_limit_wait
from services.domain.sources.urls import check_scheme, display_url, is_url, site_from_url

NOW = datetime(2025, 2, 19, 6, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("20250219T060000Z-seed.txt", datetime(2025, 2, 19, 6, 0, tzinfo=UTC)),
        ("20250219T235959Z.html", datetime(2025, 2, 19, 23, 59, 59, tzinfo=UTC)),
        ("20250219T060000Z", datetime(2025, 2, 19, 6, 0, tzinfo=UTC)),
        ("seed-20250219T060000Z.txt", None),
        ("20250219T060000-seed.txt", None),
        ("20251319T060000Z-bad-month.txt", None),
        ("2025-02-19T06:00:00Z.txt", None),
        ("seed.txt", None),
    ],
)
def test_fetched_at_comes_from_a_leading_utc_stamp_only(name: str, expected: datetime | None) -> None:
    assert fetched_at_from_name(name) == expected


@pytest.mark.parametrize(
    ("url", "site"),
    [
        ("https://TimesCA.com/news/", "timesca.com"),
        ("http://user:pw@News.Example:8080/a?b=c", "news.example"),
        ("https://timesca.com./", "timesca.com"),
        ("http://[::1]:8080/", "::1"),
    ],
)
def test_site_is_the_lower_cased_host(url: str, site: str) -> None:
    assert site_from_url(url) == site


def test_a_url_without_a_host_is_refused() -> None:
    with pytest.raises(SourceRefused, match="no host"):
        site_from_url("http:///path")


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://user:s3cret@news.example/a?page=2", "https://news.example/a?page=2"),
        (
            "https://news.example:8443/a?token=abc&page=2#top",
            "https://news.example:8443/a?token=%2A%2A%2A%2A&page=2",
        ),
        ("http://[::1]:8080/x", "http://[::1]:8080/x"),
        ("https://news.example/a?q=%20x", "https://news.example/a?q=%20x"),
    ],
)
def test_display_url_drops_credentials_and_masks_secret_query_values(url: str, shown: str) -> None:
    assert display_url(url) == shown


@pytest.mark.parametrize(
    ("source", "expected"),
    [("https://a.example/", True), ("ftp://a.example/x", True), ("samples/seed.txt", False), ("-", False)],
)
def test_anything_with_a_scheme_is_a_url(source: str, expected: bool) -> None:
    assert is_url(source) is expected


@pytest.mark.parametrize("url", ["ftp://news.example/x", "file:///etc/passwd", "gopher://news.example/"])
def test_only_http_and_https_are_fetched(url: str) -> None:
    with pytest.raises(SourceRefused, match="only http and https"):
        check_scheme(url)


def test_http_and_https_pass_the_scheme_check() -> None:
    check_scheme("http://news.example/")
    check_scheme("HTTPS://news.example/")


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ('text/HTML; charset="UTF-8"', ("text/html", "utf-8")),
        ("text/plain", ("text/plain", None)),
        ("text/html; boundary=x; charset=windows-1251", ("text/html", "windows-1251")),
        (None, (None, None)),
        ("", (None, None)),
    ],
)
def test_content_type_header_gives_media_type_and_charset(
    header: str | None, expected: tuple[str | None, str | None]
) -> None:
    assert parse_content_type(header) == expected


@pytest.mark.parametrize(
    ("name", "body", "expected"),
    [
        ("page.HTML", b"plain words", "text/html"),
        ("page.htm", b"plain words", "text/html"),
        ("page.txt", b"<html><body>x</body></html>", "text/plain"),
        ("page", b"\xef\xbb\xbf  <!DOCTYPE html><html>", "text/html"),
        (None, b"\n<div class='ticker'>", "text/html"),
        ("20250219T060000Z", b"\xe2\x80\xa2 KGS/USD = 0.01144 0%", "text/plain"),
        (None, b"\x89PNG\r\n\x1a\n\x00\x00", "application/octet-stream"),
    ],
)
def test_content_type_by_extension_else_sniffed(name: str | None, body: bytes, expected: str) -> None:
    assert content_type_for(name, body) == expected


def test_backoff_doubles_up_to_the_cap_with_the_upper_half_jittered() -> None:
    assert [backoff_delay(attempt, 1.0, 10.0, 0.0) for attempt in range(6)] == [0.5, 1.0, 2.0, 4.0, 5.0, 5.0]
    assert [backoff_delay(attempt, 1.0, 10.0, 0.999) for attempt in range(2)] == pytest.approx(
        [0.9995, 1.999]
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120", 120.0),
        ("Wed, 19 Feb 2025 06:00:30 GMT", 30.0),
        ("Wed, 19 Feb 2025 05:00:00 GMT", 0.0),
        ("soon", None),
        (None, None),
        ("", None),
    ],
)
def test_retry_after_as_seconds_or_an_http_date(value: str | None, expected: float | None) -> None:
    assert retry_after_seconds(value, NOW) == expected


def test_fetch_retry_wait_honours_a_longer_retry_after_but_never_the_cap() -> None:
    assert fetch_retry_wait(0, 1.0, 30.0, 0.0, None) == 0.5
    assert fetch_retry_wait(0, 1.0, 30.0, 0.0, 7.0) == 7.0
    assert fetch_retry_wait(3, 1.0, 30.0, 0.0, 0.1) == 4.0
    assert fetch_retry_wait(0, 1.0, 30.0, 0.0, 3600.0) == 30.0


@pytest.mark.parametrize(
    ("last", "now", "expected"),
    [(None, 100.0, 0.0), (100.0, 100.0, 2.0), (100.0, 101.5, 0.5), (100.0, 103.0, 0.0)],
)
def test_rate_limit_wait_spaces_request_starts(last: float | None, now: float, expected: float) -> None:
    assert rate_limit_wait(last, now, 2.0) == expected


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("169.254.169.254", "link-local"),
        ("0.0.0.0", "unspecified"),
        ("224.0.0.1", "multicast"),
        ("240.0.0.1", "reserved"),
        ("255.255.255.255", "reserved"),
        ("100.64.0.1", "shared (carrier-grade NAT)"),
        ("192.0.2.10", "private"),
        ("::1", "loopback"),
        ("::", "unspecified"),
        ("fe80::1", "link-local"),
        ("fc00::1", "private"),
        ("fec0::1", "site-local"),
        ("ff02::1", "multicast"),
        ("2001:db8::1", "private"),
        ("::ffff:127.0.0.1", "loopback (IPv4 127.0.0.1 inside IPv6)"),
        ("::ffff:169.254.169.254", "link-local (IPv4 169.254.169.254 inside IPv6)"),
        ("64:ff9b::a00:1", "private (IPv4 10.0.0.1 inside IPv6)"),
        ("2002:7f00:1::", "loopback (IPv4 127.0.0.1 inside IPv6)"),
        ("::127.0.0.1", "reserved"),
        ("8.8.8.8", None),
        ("93.184.215.14", None),
        ("2606:4700::1111", None),
        ("::ffff:8.8.8.8", None),
        ("64:ff9b::808:808", None),
    ],
)
def test_address_policy(address: str, reason: str | None) -> None:
    assert address_refusal(ip_address(address)) == reason


def test_a_host_with_any_refused_address_is_refused() -> None:
    addresses = [ip_address("93.184.215.14"), ip_address("10.0.0.5")]
    with pytest.raises(
        SourceRefused, match=r"refused news\.example: 10\.0\.0\.5 is private; pass --allow-private"
    ):
        check_addresses("news.example", addresses, allow_private=False)
    check_addresses("news.example", addresses, allow_private=True)
    check_addresses("news.example", addresses[:1], allow_private=False)


def test_a_host_without_addresses_is_a_dns_failure() -> None:
    with pytest.raises(FetchError, match="has no address") as caught:
        check_addresses("news.example", [], allow_private=True)
    assert caught.value.reason == "dns"


def test_error_reasons_are_metric_labels() -> None:
    assert (FetchError("x").reason, SourceRefused("x").reason, BodyTooLarge("x").reason) == (
        "fetch_failed",
        "refused",
        "too_large",
    )


def test_conditional_headers_from_validators() -> None:
    both = Validators(etag='"v1"', last_modified="Wed, 19 Feb 2025 06:00:00 GMT", snapshot_id="0" * 64)
    assert both.conditional_headers() == {
        "If-None-Match": '"v1"',
        "If-Modified-Since": "Wed, 19 Feb 2025 06:00:00 GMT",
    }
    assert Validators(None, None, "0" * 64).conditional_headers() == {}


def test_the_default_body_cap_fits_the_default_kafka_request() -> None:
    assert envelope_fits(2_097_152, 4_194_304)
    assert not envelope_fits(4_194_304, 4_194_304)
