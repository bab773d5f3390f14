"""The read side of `pagewire query`: parameterised SQL over the stored tables, one dict per result row."""

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from services.domain.errors import ConfigError, SchemaError
from services.domain.instants import format_instant, parse_instant
from services.sinks.storage.database import Database
from services.sinks.storage.rows import event_us

_RELATIVE = re.compile(r"^(\d+)([smhd])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


@dataclass(frozen=True)
class Filters:
    """What a query asks for; None means no filter."""

    pair: str | None = None
    label: str | None = None
    site: str | None = None
    since_us: int | None = None
    limit: int = 50


def since_us(text: str, now: datetime) -> int:
    """--since: '90m', '24h', '7d' back from `now`, a date (midnight UTC), or an RFC 3339 instant."""
    relative = _RELATIVE.match(text.strip())
    if relative:
        span = timedelta(**{_UNITS[relative.group(2)]: int(relative.group(1))})
        return event_us(format_instant(now - span))
    try:
        day = date.fromisoformat(text)
    except ValueError:
        pass
    else:
        return event_us(format_instant(datetime(day.year, day.month, day.day, tzinfo=UTC)))
    try:
        return event_us(format_instant(parse_instant(text)))
    except SchemaError as exc:
        raise ConfigError(
            f"--since {text!r}: expected e.g. 24h, 7d, 2025-02-19 or 2025-02-19T06:00:00Z"
        ) from exc


def _where(
    filters: Filters, alias: str, *, pair: bool = True, site: str = "{a}.site = ?"
) -> tuple[str, list[object]]:
    """`site`: the condition a --site filter adds ({a}: the alias; its ? placeholders all take the site)."""
    clauses: list[str] = ["1 = 1"]
    params: list[object] = []
    if pair and filters.pair is not None:
        clauses.append(f"{alias}.pair = ?")
        params.append(filters.pair)
    if filters.site is not None:
        clauses.append(site.format(a=alias))
        params += [filters.site] * site.count("?")
    if filters.since_us is not None:
        clauses.append(f"{alias}.event_us >= ?")
        params.append(filters.since_us)
    return " AND ".join(clauses), params


_LATEST_RATE = (
    "t.event_us = (SELECT MAX(l.event_us) FROM ticker_rows l WHERE l.site = t.site AND l.pair = t.pair)"
)
_DELTA_COLUMNS = (
    "d.site, d.pair, d.event_time, d.previous_rate, d.rate, d.change, d.change_pct, d.change_ticks,"
    " d.reported_change_pct, d.quantised, d.snapshot_id"
)


async def rates(database: Database, filters: Filters) -> list[dict[str, Any]]:
    """The latest rate per (site, pair); with since_us, every stored rate since then, newest first."""
    where, params = _where(filters, "t")
    select = "SELECT t.site, t.pair, t.rate, t.change_pct, t.event_time, t.snapshot_id FROM ticker_rows t"
    if filters.since_us is None:
        sql = f"{select} WHERE {where} AND {_LATEST_RATE} ORDER BY t.site, t.pair LIMIT ?"
    else:
        sql = f"{select} WHERE {where} ORDER BY t.event_us DESC, t.site, t.pair LIMIT ?"
    return await database.fetch(sql, [*params, filters.limit])


async def deltas(database: Database, filters: Filters) -> list[dict[str, Any]]:
    """Rate deltas, newest first."""
    where, params = _where(filters, "d")
    order = "ORDER BY d.event_us DESC, d.site, d.pair LIMIT ?"
    sql = f"SELECT {_DELTA_COLUMNS} FROM rate_deltas d WHERE {where} {order}"  # noqa: S608
    found = await database.fetch(sql, [*params, filters.limit])
    return [{**row, "quantised": bool(row["quantised"])} for row in found]


async def articles(database: Database, filters: Filters) -> list[dict[str, Any]]:
    """The latest revision of each article, newest first, with its label slugs per family."""
    where, params = _where(filters, "a", pair=False)
    latest = "a.revision = (SELECT MAX(r.revision) FROM articles r WHERE r.article_id = a.article_id)"
    if filters.label is not None:
        where += (
            " AND EXISTS (SELECT 1 FROM article_labels x"
            " WHERE x.article_id = a.article_id AND x.revision = a.revision AND x.slug = ?)"
        )
        params.append(filters.label)
    sql = (
        "SELECT a.article_id, a.revision, a.site, a.title, a.body, a.truncated, a.first_seen, a.event_time,"  # noqa: S608
        f" a.snapshot_id FROM articles a WHERE {where} AND {latest}"
        " ORDER BY a.event_us DESC, a.article_id LIMIT ?"
    )
    found = await database.fetch(sql, [*params, filters.limit])
    labels = await _labels(database, [(row["article_id"], row["revision"]) for row in found])
    return [
        {
            **row,
            "truncated": bool(row["truncated"]),
            "labels": labels.get((row["article_id"], row["revision"]), {}),
        }
        for row in found
    ]


async def _labels(
    database: Database, revisions: list[tuple[str, int]]
) -> dict[tuple[str, int], dict[str, list[str]]]:
    if not revisions:
        return {}
    marks = ", ".join("?" for _ in revisions)
    sql = (
        "SELECT article_id, revision, family, slug FROM article_labels"  # noqa: S608
        f" WHERE article_id IN ({marks}) ORDER BY article_id, revision, family, ordinal"
    )
    wanted = set(revisions)
    found: dict[tuple[str, int], dict[str, list[str]]] = {}
    for row in await database.fetch(sql, [article_id for article_id, _ in revisions]):
        owner = (row["article_id"], row["revision"])
        if owner in wanted:
            found.setdefault(owner, {}).setdefault(row["family"], []).append(row["slug"])
    return found


async def alerts(database: Database, filters: Filters) -> list[dict[str, Any]]:
    """Alert events, newest first, each with its delivery outcome per destination."""
    where, params = _where(filters, "a")
    sql = (
        "SELECT a.alert_id, a.event_time, a.status, a.severity, a.rule, a.site, a.pair, a.metric,"  # noqa: S608
        # the column is time_window (WINDOW is an SQL keyword); readers see the topic's field name
        ' a.time_window AS "window", a.value, a.threshold, a.summary, a.snapshot_id'
        f" FROM alerts a WHERE {where} ORDER BY a.event_us DESC, a.alert_id LIMIT ?"
    )
    found = await database.fetch(sql, [*params, filters.limit])
    deliveries = await _deliveries(database, [row["alert_id"] for row in found])
    return [{**row, "deliveries": deliveries.get(row["alert_id"], {})} for row in found]


async def _deliveries(database: Database, alert_ids: list[str]) -> dict[str, dict[str, str]]:
    if not alert_ids:
        return {}
    marks = ", ".join("?" for _ in alert_ids)
    sql = (
        "SELECT alert_id, destination, outcome FROM alert_deliveries"  # noqa: S608
        f" WHERE alert_id IN ({marks}) ORDER BY alert_id, destination"
    )
    found: dict[str, dict[str, str]] = {}
    for row in await database.fetch(sql, alert_ids):
        found.setdefault(row["alert_id"], {})[row["destination"]] = row["outcome"]
    return found


async def deadletters(database: Database, filters: Filters) -> list[dict[str, Any]]:
    """Dead letters, newest first, without their original bytes (their size instead). --site matches the
    original key: a snapshot's (the site) or a ticker's (site|pair)."""
    # the prefix compared without LIKE: a site may hold '_', a wildcard there
    by_key = "({a}.source_key = ? OR substr({a}.source_key, 1, length(?) + 1) = ? || '|')"
    where, params = _where(filters, "d", pair=False, site=by_key)
    sql = (
        "SELECT d.event_time, d.stage, d.reason, d.error, d.source_topic, d.source_partition,"  # noqa: S608
        " d.source_offset, d.source_key, d.snapshot_id, d.original_size"
        f" FROM deadletters d WHERE {where} ORDER BY d.event_us DESC, d.source_topic, d.source_offset LIMIT ?"
    )
    return await database.fetch(sql, [*params, filters.limit])
