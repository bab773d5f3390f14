"""`pagewire parse PATH|- [--json]`: parse one saved snapshot and show what pagewire reads from it: the
ticker, the listing's heading, date and pagination, the articles with the labels the worker would give
them, and how many lines it did not understand."""

import os
from pathlib import Path

import click
import orjson
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from services.common.settings import Settings
from services.common.taxonomy_file import load_taxonomy
from services.domain.articles.taxonomy import Labels
from services.domain.errors import BodyTooLarge, ParseError
from services.domain.page.model import ParsedPage
from services.domain.page.parse import parse_page
from services.producer.files import file_too_large
from services.producer.stdin import stdin_too_large

# Saved pages carry no Content-Type; the extension stands in for it, anything else is sniffed.
_TYPES_BY_SUFFIX = {".html": "text/html", ".htm": "text/html", ".txt": "text/plain"}


@click.command("parse")
@click.argument("source", metavar="PATH|-", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path))
@click.option(
    "--charset",
    help="The page's charset, instead of the one it declares or UTF-8 (as `pagewire produce --charset`).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the parsed page as one JSON object.")
@click.pass_obj
def command(settings: Settings, source: Path, charset: str | None, as_json: bool) -> None:
    """Parse a saved snapshot (text rendering or HTML; - reads stdin): ticker, heading, date, pagination,
    articles with their labels, and the lines it did not understand. A body over the producer's cap
    (PAGEWIRE_PRODUCER_MAX_BODY_BYTES) is refused as `pagewire produce` refuses it."""
    cap = settings.producer.max_body_bytes
    try:
        body = _read(source, cap)
    except BodyTooLarge as exc:
        raise click.ClickException(str(exc)) from exc
    try:
        page = parse_page(body, _TYPES_BY_SUFFIX.get(source.suffix.lower()), charset, max_bytes=cap)
    except (OSError, ParseError) as exc:
        raise click.ClickException(f"{_name(source)}: {exc}") from exc
    if as_json:
        click.get_binary_stream("stdout").write(orjson.dumps(page.to_json()) + b"\n")
    else:
        _print_summary(page, _name(source))


def _read(source: Path, cap: int) -> bytes:
    """The body, read only up to one byte past the cap, so a huge file cannot fill memory; over the cap it
    is refused with the producer's own message."""
    if str(source) == "-":
        body = click.get_binary_stream("stdin").read(cap + 1)
        if len(body) > cap:
            raise stdin_too_large(cap)
        return body
    try:
        with source.open("rb") as file:
            size = os.fstat(file.fileno()).st_size
            if size > cap:
                raise file_too_large(source, size, cap)
            return file.read(cap + 1)
    except OSError as exc:
        raise click.ClickException(f"{source}: {exc}") from exc


def _name(source: Path) -> str:
    return "stdin" if str(source) == "-" else str(source)


def _print_summary(page: ParsedPage, name: str) -> None:
    console = Console(file=click.get_text_stream("stdout"), highlight=False, soft_wrap=True)
    console.print(f"[bold]{escape(name)}[/bold]")
    if page.ticker:
        table = Table(title=f"Ticker ({page.ticker_repeats} repeats)", title_justify="left")
        table.add_column("Pair")
        table.add_column("Rate", justify="right")
        table.add_column("Change %", justify="right")
        for quote in page.ticker:
            table.add_row(quote.pair, quote.rate, quote.change_pct)
        console.print(table)
    else:
        console.print("Ticker: none")
    if page.heading:
        console.print(f"Heading: {escape(page.heading)}")
    listing_date = page.listing_date.isoformat() if page.listing_date else "none"
    pagination = page.pagination
    showing = f"{pagination.first}-{pagination.last} of {pagination.total}" if pagination else "none"
    console.print(f"Listing date: {listing_date}    Results: {showing}")
    console.print(f"Lines: {page.lines} read, {page.dropped_lines} not understood (dropped)")
    console.print(f"[bold]Articles ({len(page.articles)})[/bold]")
    taxonomy = load_taxonomy()
    for number, article in enumerate(page.articles, start=1):
        # Page text is printed escaped: a title like "[Update] ..." is not rich markup.
        notes = [note for note in (article.dateline, "truncated" if article.truncated else None) if note]
        suffix = f"  [dim]({escape(', '.join(notes))})[/dim]" if notes else ""
        console.print(f"{number:>3}. {escape(article.title)}{suffix}")
        console.print(f"     [dim]labels: {_labels(taxonomy.label(article.title, article.body))}[/dim]")
    for warning in page.warnings:
        console.print(f"[yellow]warning:[/yellow] {escape(warning)}")


def _labels(labels: Labels) -> str:
    """'kazakhstan, turkey; energy-climate', or 'unclassified': what the article's topics would be."""
    if labels.unclassified:
        return "unclassified"
    countries = ", ".join(label.slug for label in labels.countries) or "no country"
    subjects = ", ".join(label.slug for label in labels.subjects) or "no subject"
    return f"{countries}; {subjects}"
