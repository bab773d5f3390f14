"""`pagewire query rates|deltas|articles|alerts|deadletter`: what the storage sink stored, tables or JSON."""

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import click
import orjson
from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from services.common.settings import Settings
from services.common.taxonomy_file import load_taxonomy
from services.domain.errors import PagewireError
from services.sinks.storage import queries
from services.sinks.storage.connect import open_database
from services.sinks.storage.database import Database
from services.sinks.storage.migrate import require_current

Query = Callable[[Database, queries.Filters], Awaitable[list[dict[str, Any]]]]
_NUMERIC = {
    "rate",
    "change_pct",
    "previous_rate",
    "change_ticks",
    "reported_change_pct",
    "revision",
    "source_offset",
}


@dataclass(frozen=True)
class View:
    """One subcommand: its query, the people's table (heading -> result key) and which filters it takes.

    --json prints every key of every result row, the table only these columns.
    """

    name: str
    about: str
    query: Query
    columns: Mapping[str, str]
    by_pair: bool = True
    by_label: bool = False
    #: the text column cut short (with …) when the table is wider than the terminal, at most to
    #: flexible_min characters
    flexible: str | None = None
    flexible_min: int = 16
    #: columns left out, in this order, when cutting the flexible one is not enough; numbers and
    #: timestamps are never cut or wrapped
    droppable: tuple[str, ...] = ()


VIEWS = (
    View(
        "rates",
        "The latest rate of each site and pair; with --since, every rate stored since then, newest first.",
        queries.rates,
        {
            "site": "site",
            "pair": "pair",
            "rate": "rate",
            "change %": "change_pct",
            "event time": "event_time",
        },
        flexible="site",
    ),
    View(
        "deltas",
        "Rate changes, newest first.",
        queries.deltas,
        {"event time": "event_time", "site": "site", "pair": "pair", "from": "previous_rate", "to": "rate"}
        | {"change %": "change_pct", "ticks": "change_ticks", "page %": "reported_change_pct"}
        | {"quantised": "quantised"},
        flexible="site",
        droppable=("reported_change_pct", "quantised", "change_ticks", "previous_rate"),
    ),
    View(
        "articles",
        "Articles (each at its latest revision), newest first, with their country and subject labels.",
        queries.articles,
        {"event time": "event_time", "site": "site", "rev": "revision", "title": "title", "labels": "labels"},
        by_pair=False,
        by_label=True,
        flexible="title",
        flexible_min=40,
        droppable=("revision", "site", "labels"),
    ),
    View(
        "alerts",
        "Alert events, newest first, with the delivery outcome per destination.",
        queries.alerts,
        {"event time": "event_time", "status": "status", "severity": "severity", "rule": "rule"}
        | {"pair": "pair", "summary": "summary", "deliveries": "deliveries"},
        flexible="summary",
        flexible_min=30,
        droppable=("severity", "rule", "deliveries"),
    ),
    View(
        "deadletter",
        "Dead letters (input no stage could process), newest first: the stage, the reason, where it came "
        "from; --json adds the error text and the original's size (the bytes stay in the database).",
        queries.deadletters,
        {"event time": "event_time", "stage": "stage", "reason": "reason", "topic": "source_topic"}
        | {"offset": "source_offset", "key": "source_key", "error": "error"},
        by_pair=False,
        flexible="error",
        flexible_min=30,
        droppable=("source_key", "source_offset", "source_topic"),
    ),
)


@click.group("query")
def command() -> None:
    """Read what `pagewire sink storage` stored: rates, deltas, articles, alerts, dead letters."""


def _register(view: View) -> None:
    def run(settings: Settings, /, as_json: bool, limit: int, since: str | None, **only: str | None) -> None:
        filters = _filters(only.get("pair"), only.get("label"), only.get("site"), since, limit)
        _show(view, _fetch(settings, view.query, filters), as_json)

    options = [click.option("--site", help="Only this site (host name), e.g. timesca.com.")]
    if view.by_pair:
        options.append(click.option("--pair", help="Only this currency pair, e.g. KGS/USD."))
    if view.by_label:
        options.append(click.option("--label", help="Only articles with this label slug, e.g. kazakhstan."))
    options += [
        click.option(
            "--since", help="Only since then: 24h, 90m, 7d, a date (2025-02-19) or an RFC 3339 instant."
        ),
        click.option(
            "--limit", type=click.IntRange(min=1), default=50, show_default=True, help="Most rows shown."
        ),
        click.option("--json", "as_json", is_flag=True, help="JSON lines, one object per row."),
    ]
    decorated: Callable[..., None] = click.pass_obj(run)
    for option in reversed(options):  # decorators apply bottom-up; --help lists them in this order
        decorated = option(decorated)
    command.add_command(click.command(view.name, help=view.about)(decorated))


def _filters(
    pair: str | None, label: str | None, site: str | None, since: str | None, limit: int
) -> queries.Filters:
    try:
        since_us = queries.since_us(since, datetime.now(UTC)) if since else None
    except PagewireError as exc:
        raise click.BadParameter(str(exc), param_hint="--since") from exc
    slug = None if label is None else _label_slug(label)
    return queries.Filters(
        pair=pair.upper() if pair else None,
        label=slug,
        site=site.strip().lower() if site else None,
        since_us=since_us,
        limit=limit,
    )


def _label_slug(label: str) -> str:
    """The taxonomy slug `label` names, in any case; an unknown one is refused with the known ones."""
    taxonomy = load_taxonomy()
    known = sorted(rule.slug for rule in (*taxonomy.countries, *taxonomy.subjects))
    slug = label.strip().lower()
    if slug not in known:
        raise click.BadParameter(
            f"unknown label {label!r}; known labels: {', '.join(known)}", param_hint="--label"
        )
    return slug


def _fetch(settings: Settings, query: Query, filters: queries.Filters) -> list[dict[str, Any]]:
    async def run() -> list[dict[str, Any]]:
        database = open_database(settings, create=False)
        try:
            await database.connect()
            await require_current(database)
            return await query(database, filters)
        finally:
            await database.close()

    try:
        return asyncio.run(run())
    except PagewireError as exc:
        raise click.ClickException(str(exc)) from exc


def _show(view: View, rows: list[dict[str, Any]], as_json: bool) -> None:
    if as_json:
        for row in rows:
            click.echo(orjson.dumps(row).decode())
        return
    console = Console(highlight=False)
    if not rows:
        console.print(f"no {view.name} found")
        return
    console.print(_table(view, rows, console.width))


def _table(view: View, rows: list[dict[str, Any]], width: int) -> Table:
    """The view's table, at most `width` wide when it can be: the flexible text column cut short first
    (down to the view's flexible_min), then the droppable columns left out in order, and what they freed
    given back to the flexible one. No number or timestamp is ever wrapped or cut."""
    cells = {key: [_cell(row[key]) for row in rows] for key in view.columns.values()}
    natural = {
        key: max(len(heading), *(len(cell) for cell in cells[key])) for heading, key in view.columns.items()
    }
    shown = list(view.columns.items())
    droppable = list(view.droppable)
    flexible = view.flexible
    cut = natural[flexible] if flexible is not None else 0
    while True:
        table = _built(view, shown, cells, natural, flexible, cut, len(rows))
        excess = _MEASURE.measure(table).maximum - width
        flexing = flexible is not None and any(key == flexible for _, key in shown)
        if excess <= 0:
            if flexing and cut < natural[flexible or ""] and excess < 0:
                cut = min(natural[flexible or ""], cut - excess)  # what a dropped column freed goes to it
                return _built(view, shown, cells, natural, flexible, cut, len(rows))
            return table
        if flexing and cut > view.flexible_min:
            cut = max(view.flexible_min, cut - excess)
        elif droppable:
            dropped = droppable.pop(0)
            shown = [(heading, key) for heading, key in shown if key != dropped]
        else:
            return table  # as narrow as it goes: the terminal wraps the lines, the cells stay whole


#: measures a table's natural width, whatever the terminal's
_MEASURE = Console(width=100_000)


def _built(
    view: View,
    shown: list[tuple[str, str]],
    cells: Mapping[str, list[str]],
    natural: Mapping[str, int],
    flexible: str | None,
    cut: int,
    count: int,
) -> Table:
    table = Table(title=view.name.capitalize(), box=box.SIMPLE_HEAD)
    for heading, key in shown:
        justify: Literal["left", "right"] = "right" if key in _NUMERIC else "left"
        if key == flexible:
            table.add_column(heading, justify=justify, no_wrap=True, overflow="ellipsis", width=cut)
        else:
            table.add_column(heading, justify=justify, no_wrap=True, width=natural[key])
    for index in range(count):
        # Text, not markup: titles and summaries come from pages and must print as they are
        table.add_row(*(Text(cells[key][index]) for _, key in shown))
    return table


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict):  # deliveries: destination -> outcome; labels: family -> slugs
        return ", ".join(
            f"{key}: {item}" if isinstance(item, str) else ", ".join(item) for key, item in value.items()
        )
    return str(value)


for _view in VIEWS:
    _register(_view)
