"""Seed-like snapshots made deterministically from samples/seed.txt: moving rates, new and revised articles.

Snapshot `index` belongs to site `index % len(sites)` and is that site's `index // len(sites)`-th page, so
any process that knows the seed and the index builds the very same bytes (the pacer subprocess and the
harness that times its outputs agree without talking). Every page:
- keeps the seed's layout and size: five pairs repeated eight times, date, pagination, six teasers;
- moves one or two pairs by a few ticks, so the worker emits ticker rows and rate deltas;
- opens with a teaser from a bounded per-site pool of titles whose excerpt carries the page number, so
  every page publishes an article (a first sighting, later a rewritten revision) while the state stays
  bounded; the five teasers under it repeat what earlier pages published, as a real listing does.
"""

import base64
import hashlib
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache, cached_property
from html import escape
from pathlib import Path

import orjson
from aiokafka.partitioner import murmur2

from services.common import codec
from services.common.settings import package_version
from services.domain.instants import format_instant
from services.domain.page.snapshot import Snapshot
from services.domain.schema_ids import SNAPSHOT
from services.producer.publisher import provenance_headers

SEED = Path(__file__).resolve().parents[1] / "samples" / "seed.txt"
PARTITIONS = 6  # snapshots.raw in schemas/topics.yaml; sites are picked to fill each partition evenly
SITES_PER_PARTITION = 2
TITLE_POOL = 48  # distinct articles per site: published again and again as revisions, never unbounded
REPEATS = 8
START = datetime(2025, 2, 19, 6, 0, tzinfo=UTC)
STEP = timedelta(seconds=60)  # event time between two pages of one site
CHECKED = 48  # pages whose bytes are checked against the producer's own envelope and headers


@dataclass(frozen=True)
class SeedPage:
    """What the variants are made of: the seed's pairs with rates in ticks, its header and its teasers."""

    pairs: tuple[str, ...]
    ticks: tuple[int, ...]  # rate * 100000: every rate is printed with five decimals
    date_line: str
    teasers: tuple[tuple[str, str], ...]  # (title, body)


def read_seed(path: Path = SEED) -> SeedPage:
    lines = path.read_text(encoding="utf-8").split("\n")
    marquee = [line.strip().removeprefix("• ") for line in lines if line.strip().startswith("•")]
    pairs: list[str] = []
    ticks: list[int] = []
    for row in marquee[:5]:
        pair, _, rest = row.partition(" = ")
        pairs.append(pair)
        ticks.append(round(float(rest.split(" ")[0]) * 100_000))
    rest = [line for line in lines[len(marquee) :] if line.strip()]
    date_line, blocks = rest[0], rest[2:]  # rest[1] is the pagination line, made anew per page
    teasers = tuple(zip(blocks[0::2], blocks[1::2], strict=True))
    return SeedPage(tuple(pairs), tuple(ticks), date_line, teasers)


def pick_sites(count: int = PARTITIONS * SITES_PER_PARTITION) -> tuple[str, ...]:
    """Site names whose keys spread evenly over the partitions (aiokafka's default murmur2 partitioner)."""
    per_partition: dict[int, list[str]] = {}
    number = 0
    while sum(len(names) for names in per_partition.values()) < count:
        name = f"site{number:03d}.bench.example"
        bucket = per_partition.setdefault((murmur2(name.encode()) & 0x7FFFFFFF) % PARTITIONS, [])
        if len(bucket) < count // PARTITIONS:
            bucket.append(name)
        number += 1
    return tuple(sorted(name for names in per_partition.values() for name in names))


@dataclass(frozen=True)
class Message:
    """One snapshots.raw record as `pagewire produce` writes it."""

    index: int
    key: bytes
    value: bytes
    headers: tuple[tuple[str, bytes], ...]
    snapshot_id: str


class Corpus:
    """The deterministic stream of seed-like snapshots for one seed."""

    def __init__(self, seed: int = 1) -> None:
        self.seed = seed
        self.page = read_seed()
        self.sites = pick_sites()
        self._rates: dict[str, list[tuple[int, str]]] = {}

    @cached_property
    def titles(self) -> tuple[str, ...]:
        """Title-case variants of the seed's titles ('... in Week 3'): the parser reads them as titles."""
        seeds = self.page.teasers
        return tuple(f"{seeds[n % len(seeds)][0]} in Week {n // len(seeds) + 1}" for n in range(TITLE_POOL))

    def _ticker(self, site: str, page: int) -> list[tuple[int, str]]:
        """(ticks, printed change) per pair on the site's page `page`, built incrementally and kept."""
        history = self._rates.setdefault(site, [])
        if not history:
            history.append(self._move(site, 0, [(tick, "0") for tick in self.page.ticks]))
        while len(history) <= page:
            history.append(self._move(site, len(history), history[-1]))
        return history[page]

    def _move(self, site: str, page: int, previous: list[tuple[int, str]]) -> list[tuple[int, str]]:
        rng = random.Random(f"{self.seed}|{site}|{page}")
        moved = list(previous)
        for slot in rng.sample(range(len(moved)), rng.choice((1, 1, 2))):
            ticks = moved[slot][0]
            step = rng.randint(1, max(1, ticks // 200)) * rng.choice((-1, 1))
            if ticks + step < max(5, self.page.ticks[slot] // 2):
                step = abs(step)  # keep coarse pairs from reaching zero
            moved[slot] = (ticks + step, _percent(rng.randint(-150, 150)))
        return moved

    def content(self, index: int) -> tuple[str, list[str], str, list[tuple[str, str]]]:
        """(site, ticker rows, results line, teasers as (title, body)) of snapshot `index`: what `body` and
        `html_body` print, each in its own layout."""
        site = self.sites[index % len(self.sites)]
        page = index // len(self.sites)
        rows = [
            f"{pair} = {ticks / 100_000:.5f} {change}%"
            for pair, (ticks, change) in zip(self.page.pairs, self._ticker(site, page), strict=True)
        ]
        teasers = []
        for position in range(6):
            shown = page - position  # the page on which this teaser was new (and published)
            title = self.titles[shown % TITLE_POOL]
            body = self.page.teasers[shown % TITLE_POOL % len(self.page.teasers)][1]
            teasers.append((title, f"{body} Update {shown % 1_000_000:06d} from {site}."))
        return site, rows, f"Viewing results 1 - 6 of {131 + page}", teasers

    def body(self, index: int) -> tuple[str, bytes]:
        """(site, page text) of snapshot `index`."""
        site, rows, results, teasers = self.content(index)
        marquee = [("• " if n == 0 else "  • ") + row for n in range(REPEATS) for row in rows]
        lines = [*marquee, self.page.date_line, "", results, ""]
        for title, body in teasers:
            lines += [title, "", body, ""]
        return site, "\n".join(lines).encode()

    def html_body(self, index: int) -> tuple[str, bytes]:
        """(site, page HTML) of snapshot `index`: the same content as `body` in the WordPress layout of
        tests/fixtures/pages/seed.html (its head, menus, sidebar and footer around this page's marquee,
        results count and teasers), as a site serving HTML would print it."""
        site, rows, results, teasers = self.content(index)
        hidden = ' aria-hidden="true"'  # the marquee's repeats, as the seed's HTML marks them
        marquee = "".join(
            f'      <li class="ticker-row"{"" if n < len(rows) else hidden}>&bull; {escape(row)}</li>\n'
            for n, row in enumerate(rows * REPEATS)
        )
        articles = "".join(
            _ARTICLE.format(slug=f"{site}-{n}", title=escape(title), body=escape(body))
            for n, (title, body) in enumerate(teasers)
        )
        before, after = _html_template()
        page = f"{before}{marquee}{_HTML_MIDDLE.format(results=escape(results))}{articles}{after}"
        return site, page.encode()

    def snapshot(self, index: int) -> Snapshot:
        site, body = self.body(index)
        fetched_at = START + STEP * (index // len(self.sites))
        return Snapshot(body, f"https://{site}/news/", site, fetched_at, "text/plain", None)

    def message(self, index: int) -> Message:
        """The record `pagewire produce` would write for snapshot `index`, byte for byte.

        Built with one sha256 and no schema check (the producer hashes three times and checks once); the
        first pages are compared with what the producer's own code builds, so the two cannot drift apart.
        """
        snapshot = self.snapshot(index)
        snapshot_id = hashlib.sha256(snapshot.body).hexdigest()
        envelope = {
            "schema": SNAPSHOT,
            "snapshot_id": snapshot_id,
            "source_url": snapshot.source_url,
            "site": snapshot.site,
            "fetched_at": format_instant(snapshot.fetched_at),
            "content_type": snapshot.content_type,
            "charset": snapshot.charset,
            "size": len(snapshot.body),
            "body": base64.b64encode(snapshot.body).decode("ascii"),
        }
        value = orjson.dumps(envelope)
        headers = (
            ("pagewire-schema", SNAPSHOT.encode()),
            ("pagewire-source-url", snapshot.source_url.encode()),
            ("pagewire-snapshot-id", snapshot_id.encode()),
            ("pagewire-fetched-at", envelope["fetched_at"].encode()),
            ("pagewire-producer-version", package_version().encode()),
        )
        if index < CHECKED:
            assert value == codec.encode(snapshot.to_envelope()), "envelope differs from the producer's"
            assert list(headers) == provenance_headers(snapshot), "headers differ from the producer's"
        return Message(index, snapshot.site.encode(), value, headers, snapshot_id)

    def snapshot_id(self, index: int) -> str:
        return hashlib.sha256(self.body(index)[1]).hexdigest()


def _percent(hundredths: int) -> str:
    """-0.11, 1.4, 0: two decimals at most, as the site prints changes."""
    text = f"{hundredths / 100:.2f}".rstrip("0").rstrip(".")
    return "0" if text in {"", "-0"} else text


SEED_HTML = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "pages" / "seed.html"
_HTML_MIDDLE = """    </ul>
  </div>
</header>
<div id="content" class="site-content">
<main id="primary" class="site-main">
<header class="page-header">
  <h4 class="archive-date"><time datetime="2025-02-19">19 February 2025</time></h4>
  <p class="results-count">{results}</p>
</header>
"""
_ARTICLE = """<article id="post-{slug}" class="post type-post status-publish format-standard hentry">
  <header class="entry-header">
    <h2 class="entry-title"><a href="https://example.org/{slug}/" rel="bookmark">{title}</a></h2>
  </header>
  <div class="entry-summary">
    <p>{body}</p>
  </div>
  <footer class="entry-footer"><span class="cat-links">Posted in <a href="https://example.org/c/">News</a></span></footer>
</article>
"""


@cache
def _html_template() -> tuple[str, str]:
    """seed.html up to its marquee's rows, and from its pagination on."""
    page = SEED_HTML.read_text(encoding="utf-8")
    head = page[: page.index('<ul class="marquee">') + len('<ul class="marquee">\n')]
    return head, page[page.index('<nav class="navigation pagination"') :]
