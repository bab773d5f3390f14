"""The storage sink's sustained write rate: a backlog of worker-shaped messages drained into each database.

Per seed-like snapshot the worker writes about one summary, two ticker rows, two deltas and an article
with three labels; the backlog has that mix, every message schema-valid with its own natural key. The
rate is the slope of the sink's committed offsets (it commits only after the database did) over the
window from the first commit to the last.
"""

import asyncio
import copy
import hashlib
import os
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import orjson
import psycopg
from psycopg import sql

from bench.corpus import START, Corpus
from bench.kafka_env import Offsets, Part, preload
from bench.worker_proc import Process, running
from services.common import codec
from services.common.catalog import Catalog, load_catalog
from services.sinks.storage.rows import rows_of

#: the topics the storage sink stores, from the catalog
STORED_TOPICS = load_catalog().stored

EXAMPLES = Path(__file__).resolve().parents[1] / "schemas" / "examples"
POSTGRES_VARIABLE = "PAGEWIRE_TEST_POSTGRES_URL"
DEADLINE = 120.0


def _example(kind: str) -> dict[str, Any]:
    loaded: dict[str, Any] = orjson.loads((EXAMPLES / f"pagewire.{kind}.v1.json").read_bytes())
    return loaded


def messages(corpus: Corpus, snapshots: int) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(catalog topic, key, message) for `snapshots` snapshots' worth of worker output."""
    summary, row, delta, article = (
        _example(k) for k in ("snapshot_summary", "ticker_row", "rate_delta", "article")
    )
    pairs = corpus.page.pairs
    for index in range(snapshots):
        site = corpus.sites[index % len(corpus.sites)]
        page = index // len(corpus.sites)
        when = (START + timedelta(minutes=page)).strftime("%Y-%m-%dT%H:%M:%SZ")
        snapshot_id = hashlib.sha256(f"bench-{index}".encode()).hexdigest()
        common = {"snapshot_id": snapshot_id, "site": site, "event_time": when}
        yield "snapshots.parsed", site, {**summary, **common, "source_url": f"https://{site}/news/"}
        for offset in (0, 1):
            pair = pairs[(2 * page + offset) % len(pairs)]
            base, quote = pair.split("/")
            yield (
                "ticker.rows",
                f"{site}|{pair}",
                {**row, **common, "pair": pair, "base": base, "quote": quote},
            )
            yield "rates.deltas", f"{site}|{pair}", {**copy.deepcopy(delta), **common, "pair": pair}
        article_id = hashlib.sha256(f"article-{index}".encode()).hexdigest()[:32]
        body = {**copy.deepcopy(article), **common, "article_id": article_id, "first_seen": when}
        yield "articles", article_id, body


async def run_sink(part: Part, corpus: Corpus, snapshots: int, database_url: str) -> dict[str, Any]:
    catalog: Catalog = part.catalog
    rows = 0
    total = 0
    by_topic: dict[str, list[tuple[bytes, bytes, tuple[tuple[str, bytes], ...]]]] = {}
    for name, key, message in messages(corpus, snapshots):
        by_topic.setdefault(name, []).append((key.encode(), codec.encode(message), ()))
        rows += len(rows_of(message))
        total += 1
    for name, records in by_topic.items():
        await preload(part.settings, catalog.name(name), records)
    env = {**part.env, "PAGEWIRE_DATABASE_URL": database_url, "PAGEWIRE_LAG_INTERVAL": "60"}
    sink = Process(["sink", "storage"], env, "PAGEWIRE_OBSERVE_STORAGE_SINK_PORT")
    topics = [catalog.name(name) for name in STORED_TOPICS]
    group = part.prefix + part.settings.storage.group
    async with running(sink), Offsets(part.settings) as offsets:
        samples: list[tuple[float, int]] = []
        stop_at = time.perf_counter() + DEADLINE
        while not samples or (samples[-1][1] < total and samples[-1][0] < stop_at):
            samples.append((time.perf_counter(), await offsets.committed(group, *topics)))
            await asyncio.sleep(0.1)
    committed = [sample for sample in samples if sample[1] > 0]
    if len(committed) < 2:
        raise RuntimeError("the storage sink committed nothing (or everything at once)")
    (t_a, n_a), (t_b, n_b) = committed[0], committed[-1]
    seconds = t_b - t_a
    return {
        "messages": total,
        "stored": n_b,
        "rows": rows,
        "window_seconds": round(seconds, 2),
        "messages_per_s": round((n_b - n_a) / seconds, 1),
        "rows_per_s": round((n_b - n_a) / seconds * rows / total, 1),
    }


def sqlite_url(directory: Path) -> str:
    return f"sqlite:///{directory / 'bench.db'}"


class PostgresDatabase:
    """A database of its own on the tests' PostgreSQL cluster, dropped afterwards."""

    def __init__(self) -> None:
        self.admin_url = os.environ.get(POSTGRES_VARIABLE, "")
        self.name = f"pwbench_{uuid.uuid4().hex[:10]}"

    def skipped_because(self) -> str | None:
        if not self.admin_url:
            return (
                f"{POSTGRES_VARIABLE} is not set (scripts/test's ensure_postgres starts the tests' cluster "
                "and exports it: `source scripts/lib.sh && ensure_postgres`)"
            )
        return None

    @property
    def url(self) -> str:
        parts = urlsplit(self.admin_url)
        return urlunsplit((parts.scheme, parts.netloc, f"/{self.name}", parts.query, ""))

    async def __aenter__(self) -> "PostgresDatabase":
        await self._admin(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.name)))
        return self

    async def __aexit__(self, *_: object) -> None:
        await self._admin(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(self.name))
        )

    async def _admin(self, statement: sql.Composed) -> None:
        connection = await psycopg.AsyncConnection.connect(self.admin_url, autocommit=True)
        async with connection:
            await connection.execute(statement)
