"""A deterministic replay for fault tests: pages in the seed's layout with moving rates and new articles."""

import base64
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import orjson

from services.common import codec
from services.domain.page.parse import parse_text
from services.domain.page.snapshot import Snapshot
from tests.conftest import SEED

URL = "https://timesca.com/news/"
TICK = Decimal("0.00001")
START = datetime(2025, 3, 1, tzinfo=UTC)
STEP = timedelta(minutes=20)
COUNTRIES = {
    "Kazakhstan": "Astana",
    "Kyrgyzstan": "Bishkek",
    "Tajikistan": "Dushanbe",
    "Turkmenistan": "Ashgabat",
    "Uzbekistan": "Tashkent",
}
STORIES = [
    ("Expands Solar Power Capacity", "New solar and wind plants will add renewable energy to the grid."),
    ("Signs Gas Pipeline Deal", "The gas pipeline agreement covers exports and transit fees."),
    ("Hosts Border Security Talks", "Defense officials discussed border security and military drills."),
    ("Reports Record Tourist Arrivals", "Tourism officials counted more foreign tourists and hotel stays."),
    ("Opens New Railway Link", "The railway and highway corridor will speed freight transport."),
    ("Raises Central Bank Rate", "The central bank raised its rate to curb inflation."),
    ("Eases Rules for Migrant Workers", "Labor migrants will get simpler residence permits."),
]
Record = tuple[bytes, bytes | None]  # (key, value) for snapshots.raw; a None value is a tombstone


@dataclass
class SiteWalk:
    """One site's page as it changes: rates in ticks per pair, the listing's articles, the clock."""

    site: str
    ticks: dict[str, int]
    changes: dict[str, str]
    articles: list[tuple[str, str]]
    at: datetime
    total: int = 131
    repeats: int = 5
    last_body: bytes = field(default=b"")


def seed_walk(site: str, offset: timedelta) -> SiteWalk:
    page = parse_text(SEED.read_text())
    ticks = {quote.pair: int(Decimal(quote.rate) / TICK) for quote in page.ticker}
    changes = {quote.pair: quote.change_pct for quote in page.ticker}
    articles = [(teaser.title, teaser.body) for teaser in page.articles]
    return SiteWalk(site, ticks, changes, articles, START + offset)


def render(walk: SiteWalk) -> bytes:
    """The page as text, in the seed's layout: marquee, listing date, pagination, teasers."""
    rows = [f"• {pair} = {Decimal(n) * TICK:.5f} {walk.changes[pair]}%" for pair, n in walk.ticks.items()]
    marquee = "\n".join(("  " if n else "") + row for n, row in enumerate(rows * walk.repeats))
    shown = len(walk.articles)
    lines = [marquee, f"{walk.at.day} {walk.at:%B %Y}", "", f"Viewing results 1 - {shown} of {walk.total}"]
    for title, body in walk.articles:
        lines += ["", title, "", body]
    return "\n".join(lines).encode()


def percent(old: int, new: int) -> str:
    """The page's printed change: two decimals at most, no trailing zeros, "0" for none."""
    value = (Decimal(new - old) * 100 / Decimal(old)).quantize(Decimal("0.01"))
    text = format(value.normalize(), "f")
    return "0" if value == 0 else text


def step(walk: SiteWalk, rng: random.Random, serial: int) -> None:
    """Move the walk one snapshot on: rates drift (sometimes jump), articles arrive, grow and drop off."""
    walk.at += STEP
    for pair, old in walk.ticks.items():
        if rng.random() < 0.4:
            spread = max(1, round(old * (0.03 if rng.random() < 0.08 else 0.004)))
            new = max(2, old + round(rng.gauss(0, spread)))
            walk.ticks[pair] = new
            walk.changes[pair] = percent(old, new)
    walk.repeats = rng.randint(2, 8)
    if rng.random() < 0.25:
        country = rng.choice(sorted(COUNTRIES))
        headline, sentence = rng.choice(STORIES)
        title = f"{country} {headline} in Round {serial}"
        body = f"Officials in {COUNTRIES[country]} said on {walk.at:%d %B} that talks went well. {sentence}"
        walk.articles = [(title, body), *walk.articles[:5]]
        walk.total += 1
    elif rng.random() < 0.1:
        title, body = walk.articles[0]
        walk.articles[0] = (title, f"{body} Further details followed later in the day.")


@dataclass(frozen=True)
class Page:
    """One snapshot's body as a saved page: its site and fetch time (what `pagewire produce` reads)."""

    site: str
    fetched_at: datetime
    body: bytes

    @property
    def file_name(self) -> str:
        return f"{self.fetched_at:%Y%m%dT%H%M%SZ}.txt"


@dataclass(frozen=True)
class Replay:
    """The records to send in order, the pages among them, and how many are good, repeated, late, poison."""

    records: list[Record]
    pages: list[Page]
    good: int
    duplicates: int
    late: int
    poison: int


def build_replay(seed: int, sites: int = 4, per_site: int = 60, *, poison: bool = True) -> Replay:
    """`sites` sites with `per_site` steps each, interleaved; some repeated byte for byte, some late,
    and (unless `poison` is False) a few poison records among them. The same seed, the same records."""
    rng = random.Random(seed)
    walks = [seed_walk(f"site{n}.example", timedelta(minutes=7 * n)) for n in range(sites)]
    order = [n for n in range(sites) for _ in range(per_site)]
    rng.shuffle(order)
    records: list[Record] = []
    pages: list[Page] = []
    counts = {"good": 0, "duplicates": 0, "late": 0, "poison": 0}

    def add(page: Page) -> None:
        pages.append(page)
        records.append(_record(page.site, page.body, page.fetched_at))

    for serial, n in enumerate(order):
        walk = walks[n]
        roll = rng.random()
        if roll < 0.06 and walk.last_body:
            walk.at += STEP  # the page did not change: the same bytes, fetched again
            add(Page(walk.site, walk.at, walk.last_body))
            counts["duplicates"] += 1
            continue
        if roll < 0.09 and walk.last_body:
            late = walk.at - STEP / 2  # an older fetch arriving after a newer one
            add(Page(walk.site, late, render(walk).replace(b"Officials", b"Ministers")))
            counts["late"] += 1
            continue
        if roll < 0.11 and poison:
            records.append(_poison(walk.site, serial))
            counts["poison"] += 1
            continue
        step(walk, rng, serial)
        walk.last_body = render(walk)
        add(Page(walk.site, walk.at, walk.last_body))
        counts["good"] += 1
    return Replay(records, pages, **counts)


def _record(site: str, body: bytes, at: datetime) -> Record:
    snapshot = Snapshot(body, URL, site, at, "text/plain", "utf-8")
    return site.encode(), codec.encode(snapshot.to_envelope())


def _poison(site: str, serial: int) -> Record:
    """An envelope whose body is not the snapshot its id names: dead-lettered at decode."""
    snapshot = Snapshot(b"poison %d" % serial, URL, site, START, "text/plain", None)
    envelope = snapshot.to_envelope() | {"body": base64.b64encode(b"tampered").decode(), "size": 8}
    return site.encode(), orjson.dumps(envelope)
