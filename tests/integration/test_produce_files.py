"""`pagewire produce` with saved pages and stdin: exact snapshots on the real broker; failures exit 1."""

import asyncio
import base64
import hashlib
import os
import socket
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from services.common import codec
from services.common.catalog import Catalog
from services.common.metrics import REGISTRY
from services.common.settings import Settings, package_version
from services.producer.runner import replay_files
from tests.conftest import REPO, SEED
from tests.support.kafka import Record, read_topic

MTIME = datetime(2025, 1, 5, 10, 30, tzinfo=UTC)


def expected_envelope(
    body: bytes, source_url: str, site: str, fetched_at: str, content_type: str
) -> dict[str, Any]:
    return {
        "schema": "pagewire.snapshot/1",
        "snapshot_id": hashlib.sha256(body).hexdigest(),
        "source_url": source_url,
        "site": site,
        "fetched_at": fetched_at,
        "content_type": content_type,
        "charset": None,
        "size": len(body),
        "body": base64.b64encode(body).decode(),
    }


async def snapshots_keyed(settings: Settings, catalog: Catalog, site: str) -> list[Record]:
    """This test's records on snapshots.raw (other tests share the topic, never the key)."""
    records = await read_topic(settings.kafka, catalog.name("snapshots.raw"), idle=1.0)
    return [record for record in records if record.key == site.encode()]


def metric(name: str, **labels: str) -> float | None:
    return REGISTRY.get_sample_value(name, labels)


def write(path: Path, body: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(body)
    os.utime(path, (MTIME.timestamp(), MTIME.timestamp()))
    return path


async def test_files_a_directory_and_a_glob_replay_in_name_order(
    kafka: Settings, catalog: Catalog, tmp_path: Path, seed_bytes: bytes
) -> None:
    site = f"files-{uuid.uuid4().hex[:8]}.test"
    replay = tmp_path / "replay"
    later = write(replay / "20250219T070000Z-later.txt", seed_bytes.replace(b"0.01144", b"0.01150"))
    first = write(replay / "20250219T060000Z-first.txt", seed_bytes)
    unstamped = write(replay / "saved.html", b"<html><body>\xe2\x80\xa2 KGS/USD = 0.01144 0%</body></html>")
    write(replay / ".DS_Store", b"junk")
    glob_b = write(tmp_path / "more" / "b.htm", b"<p>b</p>")
    glob_a = write(tmp_path / "more" / "a.htm", b"<p>a</p>")

    report = await replay_files(kafka, [replay, tmp_path / "more" / "*.htm"], site=site)

    assert (report.sent, report.unchanged, report.failed, report.errors) == (5, 0, 0, [])
    assert metric("pagewire_snapshots_fetched_total", site=site) == 5
    assert metric("pagewire_snapshots_sent_total", site=site) == 5
    assert metric("pagewire_snapshot_bytes_count", site=site) == 5
    records = await snapshots_keyed(kafka, catalog, site)
    envelopes = [codec.decode(record.value, "pagewire.snapshot/1") for record in records]
    assert envelopes == [
        expected_envelope(seed_bytes, first.resolve().as_uri(), site, "2025-02-19T06:00:00Z", "text/plain"),
        expected_envelope(
            later.read_bytes(), later.resolve().as_uri(), site, "2025-02-19T07:00:00Z", "text/plain"
        ),
        expected_envelope(
            unstamped.read_bytes(), unstamped.resolve().as_uri(), site, "2025-01-05T10:30:00Z", "text/html"
        ),
        expected_envelope(b"<p>a</p>", glob_a.resolve().as_uri(), site, "2025-01-05T10:30:00Z", "text/html"),
        expected_envelope(b"<p>b</p>", glob_b.resolve().as_uri(), site, "2025-01-05T10:30:00Z", "text/html"),
    ]
    assert len({record.partition for record in records}) == 1
    assert dict(records[0].headers) == {
        "pagewire-schema": b"pagewire.snapshot/1",
        "pagewire-source-url": first.resolve().as_uri().encode(),
        "pagewire-snapshot-id": hashlib.sha256(seed_bytes).hexdigest().encode(),
        "pagewire-fetched-at": b"2025-02-19T06:00:00Z",
        "pagewire-producer-version": package_version().encode(),
    }


async def test_fetched_at_content_type_and_charset_options_label_every_file(
    kafka: Settings, catalog: Catalog, tmp_path: Path
) -> None:
    site = f"options-{uuid.uuid4().hex[:8]}.test"
    page = write(tmp_path / "20250219T060000Z-page.txt", b"<p>x</p>")

    report = await replay_files(
        kafka,
        [page],
        site=site,
        fetched_at=datetime(2025, 3, 1, 8, 15, 30, 250000, tzinfo=UTC),
        content_type="text/html",
        charset="windows-1251",
    )

    assert report.summary() == "sent 1, unchanged 0, failed 0"
    [record] = await snapshots_keyed(kafka, catalog, site)
    assert codec.decode(record.value, "pagewire.snapshot/1") == {
        **expected_envelope(
            b"<p>x</p>", page.resolve().as_uri(), site, "2025-03-01T08:15:30.250000Z", "text/html"
        ),
        "charset": "windows-1251",
    }


async def test_a_missing_file_is_reported_and_the_rest_still_sent(
    kafka: Settings, catalog: Catalog, tmp_path: Path
) -> None:
    site = f"missing-{uuid.uuid4().hex[:8]}.test"
    page = write(tmp_path / "page.txt", b"page")

    report = await replay_files(kafka, [tmp_path / "absent.txt", page], site=site)

    assert report.summary() == "sent 1, unchanged 0, failed 1"
    assert report.errors == [f"{tmp_path / 'absent.txt'}: no such file, directory or match"]
    assert len(await snapshots_keyed(kafka, catalog, site)) == 1
    assert metric("pagewire_snapshots_failed_total", site=site, reason="not_found") == 1
    assert metric("pagewire_snapshots_sent_total", site=site) == 1


async def run_produce(args: list[str], env: dict[str, str], stdin: bytes = b"") -> tuple[int, str, str]:
    """The exit code, stdout (the summary) and stderr (the log lines) of a `pagewire` command."""
    process = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).parent / "pagewire"), *args,
        cwd=REPO,
        env={**os.environ, **env},
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    stdout, stderr = await asyncio.wait_for(process.communicate(stdin), timeout=120)
    assert process.returncode is not None
    return process.returncode, stdout.decode(), stderr.decode()


async def test_stdin_through_the_real_command(
    kafka: Settings, catalog: Catalog, test_env: dict[str, str], seed_bytes: bytes
) -> None:
    site = f"stdin-{uuid.uuid4().hex[:8]}.test"

    code, stdout, stderr = await run_produce(
        ["produce", "-", "--site", site.upper(), "--fetched-at", "2025-02-19T09:00:00+03:00"],
        test_env,
        seed_bytes,
    )

    assert code == 0, stderr
    assert stdout == "sent 1, unchanged 0, failed 0\n"  # the result alone on stdout
    assert all(line.startswith("{") for line in stderr.splitlines())  # JSON log lines only on stderr
    [record] = await snapshots_keyed(kafka, catalog, site)
    assert codec.decode(record.value, "pagewire.snapshot/1") == expected_envelope(
        seed_bytes, "stdin:", site, "2025-02-19T06:00:00Z", "text/plain"
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_an_undeliverable_snapshot_exits_1_with_a_summary(test_env: dict[str, str]) -> None:
    bootstrap = f"127.0.0.1:{free_port()}"
    env = {**test_env, "PAGEWIRE_KAFKA_BOOTSTRAP": bootstrap, "PAGEWIRE_PRODUCER_BROKER_WAIT": "1"}

    code, stdout, stderr = await run_produce(["produce", str(SEED), "--once", "--json"], env)

    assert code == 1, stderr
    assert f"no Kafka broker answered at {bootstrap} within 1s" in stderr
    summary = orjson.loads(stdout)
    assert (summary["sent"], summary["unchanged"], summary["failed"]) == (0, 0, 1)
    [error] = summary["errors"]
    assert error.startswith(f"no Kafka broker answered at {bootstrap} within 1s: ")
