"""`pagewire parse PATH|- [--json]`: parse one saved snapshot and show what pagewire reads from it: the
ticker, the listing's heading, date and pagination, the articles with the labels the worker would give
them, and how many lines it did not understand."""

from pathlib import Path

import click
import orjson
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from services.common.taxonomy_file import load_taxonomy
from services.domain.articles.taxonomy import Labels
from services.domain.errors import ParseError
from services.domain.page.model import ParsedPage
from services.domain.page.parse import MAX_BODY_BYTES, parse_page

# Saved pages carry no Content-Type; the extension stands in for it, anything else is sniffed.
_TYPES_BY_SUFFIX = {".html": "text/html", ".htm": "text/html", ".txt": "text/plain"}


@click.command("parse")
@click.argument("source", metavar="PATH|-", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the parsed page as one JSON object.")
def command(source: Path, as_json: bool) -> None:
    """Parse a saved snapshot (text rendering or HTML; - reads stdin): ticker, heading, date, pagination,
    articles with their labels, and the lines it did not understand."""
    try:
        body = _read(source)
        page = parse_page(body, _TYPES_BY_SUFFIX.get(source.suffix.lower()), None)
    except (OSError, ParseError) as exc:
        raise click.ClickException(f"{_name(source)}: {exc}") from exc
    if as_json:
        click.get_binary_stream("stdout").write(orjson.dumps(page.to_json()) + b"\n")
    else:
        _print_summary(page, _name(source))


def _read(source: Path) -> bytes:
    """The body, read only up to one byte past the parser's limit so a huge file cannot fill memory."""
    if str(source) == "-":
        return click.get_binary_stream("stdin").read(MAX_BODY_BYTES + 1)
    with source.open("rb") as file:
        return file.read(MAX_BODY_BYTES + 1)


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
