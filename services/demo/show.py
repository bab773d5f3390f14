"""The demo's report: what came out on each public topic, what the chat receiver got, what was stored."""

import asyncio
import html
import os
import sys
from typing import Any

import orjson
from rich.console import Console
from rich.table import Table

from services.common.catalog import Catalog
from services.common.kafka import message_counts, read_to_end
from services.common.paths import REPO_ROOT
from services.common.settings import Settings
from services.demo.plan import DemoPlan
from services.demo.receiver import Receiver


async def topic_sizes(settings: Settings, catalog: Catalog) -> dict[str, int]:
    """Messages on each catalog topic (the demo's topics start empty)."""
    return await message_counts(settings.kafka, [catalog.prefix + spec.name for spec in catalog.topics])


async def show_results(demo: DemoPlan, catalog: Catalog, receiver: Receiver, console: Console) -> None:
    settings = demo.settings
    sizes = await topic_sizes(settings, catalog)
    counts = Table(title="messages per topic", title_justify="left")
    counts.add_column("topic")
    counts.add_column("messages", justify="right")
    for name, size in sorted(sizes.items()):
        if size:
            counts.add_row(name, str(size))
    console.print(counts)

    rows = await _messages(settings, catalog.name("ticker.rows"))
    table = Table(title="ticker.rows: each distinct observation once", title_justify="left")
    for column in ("event time", "pair", "rate", "change %"):
        table.add_column(column)
    for row in sorted(rows, key=lambda message: (message["event_time"], message["pair"])):
        table.add_row(row["event_time"], row["pair"], row["rate"], row["change_pct"])
    console.print(table)

    deltas = await _messages(settings, catalog.name("rates.deltas"))
    table = Table(title="rates.deltas: one per accepted rate change", title_justify="left")
    for column in ("time", "pair", "rate", "change %", "ticks", "1h move %", "note"):
        table.add_column(column)
    for delta in sorted(deltas, key=lambda message: (message["event_time"], message["pair"])):
        hour = (delta["windows"] or {}).get("1h")
        table.add_row(
            delta["event_time"][11:16], delta["pair"], f"{delta['previous_rate']} → {delta['rate']}",
            delta["change_pct"], str(delta["change_ticks"]), hour["change_pct"] if hour else "",
            "quantised" if delta["quantised"] else "",
        )  # fmt: skip
    console.print(table)

    articles = await _messages(settings, catalog.name("articles"))
    table = Table(title="articles: first sightings and revisions, with their labels", title_justify="left")
    for column in ("rev", "title", "countries", "subjects"):
        table.add_column(column)
    for article in articles:
        labels = article["labels"]
        table.add_row(
            str(article["revision"]),
            article["title"],
            ", ".join(label["slug"] for label in labels["countries"]),
            ", ".join(label["slug"] for label in labels["subjects"]) or "(none)",
        )
    console.print(table)
    console.print("each label has its own topic: " + ", ".join(
        f"{name.removeprefix(catalog.prefix)} ({size})"
        for name, size in sorted(sizes.items())
        if size and name.startswith(catalog.prefix + "articles.")
    ))  # fmt: skip

    table = Table(title="alerts received by the local chat receiver", title_justify="left")
    for column in ("path", "alert id", "HMAC", "message"):
        table.add_column(column)
    for item in receiver.received:
        verified = "" if item.signature_ok is None else ("valid" if item.signature_ok else "INVALID")
        # the webhook gets the alert itself; Slack a Block Kit message whose fallback text is escaped mrkdwn
        text = item.body.get("summary") or html.unescape(str(item.body.get("text", "")))
        alert_id = item.idempotency_key or "in footer"
        table.add_row(item.path, alert_id[:12], verified, text)
    console.print(table)

    for query in (["rates"], ["alerts", "--limit", "10"], ["articles", "--label", "kyrgyzstan"]):
        console.rule(f"[bold]pagewire query {' '.join(query)}[/]  (from {demo.env['PAGEWIRE_DATABASE_URL']})")
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "services.cli", "query", *query,
            env={**os.environ, **demo.env, "COLUMNS": str(console.width)}, cwd=REPO_ROOT,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        output, _ = await process.communicate()
        console.print(output.decode(errors="replace").rstrip(), highlight=False, markup=False)


async def _messages(settings: Settings, topic: str) -> list[dict[str, Any]]:
    return [orjson.loads(record.value) for record in await read_to_end(settings.kafka, topic) if record.value]
