"""Local sources and politeness: path expansion order, file and stdin snapshots, the per-host rate limit."""

import io
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from rich.console import Console

from services.domain.errors import BodyTooLarge, FetchError
from services.producer.files import LocalOptions, expand_paths, read_file_snapshot
from services.producer.progress import replay_progress
from services.producer.ratelimit import HostRateLimiter
from services.producer.stdin import read_stdin_snapshot

MTIME = datetime(2024, 12, 31, 23, 0, tzinfo=UTC)


def write(path: Path, body: bytes = b"page") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(body)
    os.utime(path, (MTIME.timestamp(), MTIME.timestamp()))
    return path


def test_directories_sort_by_name_globs_by_path_and_arguments_keep_their_order(tmp_path: Path) -> None:
    replay = tmp_path / "replay"
    for name in ("20250219T070000Z-b.txt", "20250219T060000Z-a.txt", "c.html", ".hidden"):
        write(replay / name)
    (replay / "nested").mkdir()
    write(tmp_path / "more" / "z.htm")
    write(tmp_path / "more" / "y.htm")
    single = write(tmp_path / "single.txt")

    expansion = expand_paths(
        [str(single), str(replay), str(tmp_path / "more" / "*.htm"), str(single), str(tmp_path / "nope*")]
    )

    assert [path.relative_to(tmp_path).as_posix() for path in expansion.files] == [
        "single.txt",
        "replay/20250219T060000Z-a.txt",
        "replay/20250219T070000Z-b.txt",
        "replay/c.html",
        "more/y.htm",
        "more/z.htm",
    ]
    assert expansion.missing == (str(tmp_path / "nope*"),)


def test_a_missing_plain_path_is_reported(tmp_path: Path) -> None:
    assert expand_paths([str(tmp_path / "absent.txt")]).missing == (str(tmp_path / "absent.txt"),)


def test_fetched_at_prefers_the_option_then_the_name_then_the_mtime(tmp_path: Path) -> None:
    stamped = write(tmp_path / "20250219T060000Z-seed.txt")
    plain = write(tmp_path / "seed.txt")
    given = datetime(2025, 3, 1, 12, 30, tzinfo=UTC)

    assert read_file_snapshot(stamped, LocalOptions(), 100).fetched_at == datetime(2025, 2, 19, 6, tzinfo=UTC)
    assert read_file_snapshot(plain, LocalOptions(), 100).fetched_at == MTIME
    assert read_file_snapshot(stamped, LocalOptions(fetched_at=given), 100).fetched_at == given


def test_a_file_snapshot_is_labelled_by_the_options(tmp_path: Path) -> None:
    path = write(tmp_path / "20250219T060000Z-page.html", b"<p>ticker</p>")

    default = read_file_snapshot(path, LocalOptions(), 100)
    chosen = read_file_snapshot(path, LocalOptions("timesca.com", None, "text/plain", "utf-8"), 100)

    assert (default.site, default.source_url, default.content_type, default.charset, default.body) == (
        "local",
        path.resolve().as_uri(),
        "text/html",
        None,
        b"<p>ticker</p>",
    )
    assert (chosen.site, chosen.content_type, chosen.charset) == ("timesca.com", "text/plain", "utf-8")


def test_a_file_over_the_cap_or_empty_is_refused(tmp_path: Path) -> None:
    big = write(tmp_path / "big.txt", b"x" * 101)
    empty = write(tmp_path / "empty.txt", b"")

    with pytest.raises(BodyTooLarge, match=r"big\.txt: 101 bytes is over the 100-byte cap"):
        read_file_snapshot(big, LocalOptions(), 100)
    with pytest.raises(FetchError, match=r"empty\.txt: empty, nothing to send") as caught:
        read_file_snapshot(empty, LocalOptions(), 100)
    assert caught.value.reason == "empty"


def test_stdin_is_one_snapshot_read_up_to_the_cap() -> None:
    now = datetime(2025, 2, 19, 6, 5, tzinfo=UTC)
    snapshot = read_stdin_snapshot(io.BytesIO(b"\xe2\x80\xa2 KGS/USD = 0.01144 0%"), LocalOptions(), 100, now)

    assert (
        snapshot.source_url,
        snapshot.site,
        snapshot.fetched_at,
        snapshot.content_type,
        snapshot.charset,
    ) == (
        "stdin:",
        "local",
        now,
        "text/plain",
        None,
    )
    with pytest.raises(BodyTooLarge, match="stdin: more than 100 bytes"):
        read_stdin_snapshot(io.BytesIO(b"x" * 101), LocalOptions(), 100, now)


async def test_requests_to_one_host_are_spaced_and_other_hosts_do_not_wait() -> None:
    clock = [100.0]
    sleeps: list[float] = []

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        clock[0] += seconds

    limiter = HostRateLimiter(2.0, clock=lambda: clock[0], sleep=sleep)
    await limiter.wait("news.example")
    await limiter.wait("other.example")
    clock[0] += 0.5
    await limiter.wait("news.example")
    await limiter.wait("news.example")

    assert sleeps == [1.5, 2.0]


@pytest.mark.parametrize(
    ("total", "enabled", "drawn"), [(20, True, True), (19, True, False), (500, False, False)]
)
def test_a_progress_bar_is_drawn_only_for_long_replays(total: int, enabled: bool, drawn: bool) -> None:
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=80)
    with replay_progress(total, enabled=enabled, console=console) as advance:
        for _ in range(total):
            advance()
    assert ("replaying" in screen.getvalue()) is drawn
    assert (f"{total}/{total}" in screen.getvalue()) is drawn
