"""`pagewire worker` on the real broker: what seed, changed, late and poison snapshots put on each topic."""

# One worker runs for the whole module; each test feeds its own site, so tests never share state.

import base64
import re
from collections import Counter
from collections.abc import AsyncIterator, Callable

import pytest

from services.common import codec
from services.common.catalog import Catalog
from services.common.settings import Settings
from services.domain.alerts.engine import alert_id
from tests.conftest import SEED
from tests.support.pages import SEED_TITLES
from tests.support.worker import (
    Output,
    Worker,
    of_site,
    read_outputs,
    record,
    running_worker,
    sample,
    send,
    snapshot,
)

SEED_ID = snapshot("any.example", "2025-02-19T06:00:00Z").snapshot_id
SEED_ROWS = [
    ("KGS/USD", "0.01144", "0"),
    ("KZT/USD", "0.00200", "0"),
    ("TJS/USD", "0.09156", "-0.11"),
    ("UZS/USD", "0.00008", "0"),
    ("TMT/USD", "0.28530", "-0.14"),
]


@pytest.fixture(scope="module")
async def worker(
    kafka: Settings, test_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Worker]:
    # a busy staleness timer: old (2025) fetch times must not make anything stale on this machine's clock
    env = {**test_env, "PAGEWIRE_STALENESS_INTERVAL": "0.5"}
    async with running_worker(env, tmp_path_factory.mktemp("worker") / "worker.log") as running:
        yield running


def worker_topics(catalog: Catalog) -> list[str]:
    """Every topic the worker writes: its own public outputs and the dead letters."""
    return [spec.name for spec in catalog.topics if spec.owner == "worker" or spec.name == "deadletter"]


async def outputs(kafka: Settings, catalog: Catalog, until: Callable[[list[Output]], bool]) -> list[Output]:
    return await read_outputs(kafka.kafka, catalog, worker_topics(catalog), until)


def summaries(site: str, count: int) -> Callable[[list[Output]], bool]:
    """Done once `count` snapshots of `site` were summarised (the last output of each snapshot)."""
    return lambda found: len(of_site(found, "snapshots.parsed", site)) >= count


def by_topic(found: list[Output], site: str) -> Counter[str]:
    return Counter(output.topic for output in found if output.value.get("site") == site)


async def test_the_seed_twice_gives_five_rows_and_six_labelled_articles_once(
    worker: Worker, kafka: Settings, catalog: Catalog
) -> None:
    site = "seed.example"
    await send(
        kafka,
        [record(snapshot(site, "2025-02-19T06:00:00Z")), record(snapshot(site, "2025-02-19T06:05:00Z"))],
    )
    found = await outputs(kafka, catalog, summaries(site, 2))

    rows = of_site(found, "ticker.rows", site)
    assert sorted((row.key, row.value["rate"], row.value["change_pct"]) for row in rows) == sorted(
        (f"{site}|{pair}", rate, change) for pair, rate, change in SEED_ROWS
    )
    assert rows[0].value == {
        "schema": "pagewire.ticker_row/1",
        "snapshot_id": SEED_ID,
        "site": site,
        "pair": rows[0].value["pair"],
        "base": rows[0].value["pair"][:3],
        "quote": "USD",
        "rate": rows[0].value["rate"],
        "change_pct": rows[0].value["change_pct"],
        "event_time": "2025-02-19T06:00:00Z",
        "source_url": "https://timesca.com/news/",
    }
    articles = of_site(found, "articles", site)
    assert sorted(article.value["title"] for article in articles) == sorted(SEED_TITLES)
    assert {(a.value["revision"], a.value["event_time"], a.value["first_seen"]) for a in articles} == {
        (1, "2025-02-19T06:00:00Z", "2025-02-19T06:00:00Z")
    }
    assert all(article.key == article.value["article_id"] for article in articles)
    # each article on exactly the label topics its labels name, and nothing on articles.unclassified
    for article in articles:
        labels = article.value["labels"]
        expected = {f"articles.country.{label['slug']}" for label in labels["countries"]}
        expected |= {f"articles.subject.{label['slug']}" for label in labels["subjects"]}
        copies = [o for o in found if o.key == article.key and o.topic != "articles"]
        assert sorted(o.topic for o in copies) == sorted(expected)
        assert all(copy.value == article.value for copy in copies)
    green = next(a.value for a in articles if a.value["title"].startswith("Turkmenistan and EU"))
    assert [label["slug"] for label in green["labels"]["countries"]] == ["turkmenistan", "eu"]
    assert [label["slug"] for label in green["labels"]["subjects"]] == [
        "energy-climate",
        "politics-diplomacy",
    ]
    assert of_site(found, "articles.unclassified", site) == []

    assert [s.value["event_time"] for s in of_site(found, "snapshots.parsed", site)] == [
        "2025-02-19T06:00:00Z",
        "2025-02-19T06:05:00Z",
    ]
    assert of_site(found, "snapshots.parsed", site)[1].value == {
        "schema": "pagewire.snapshot_summary/2",
        "snapshot_id": SEED_ID,
        "site": site,
        "source_url": "https://timesca.com/news/",
        "event_time": "2025-02-19T06:05:00Z",
        "ticker_rows": 5,
        "ticker_repeats": 8,
        "articles": 6,
        "listing_date": "2025-02-19",
        "pagination": {"first": 1, "last": 6, "total": 131},
        "heading": None,
        "warnings": [],
        "size": len(SEED.read_bytes()),
        "lines": 54,
        "dropped_lines": 0,
    }
    counts = by_topic(found, site)
    assert counts["ticker.rows"] == 5 and counts["articles"] == 6
    assert counts["rates.deltas"] == counts["alerts"] == counts["ticker.staleness"] == 0
    metrics = await worker.metrics()
    seen = f'pair="KGS/USD",site="{site}"'
    assert f"pagewire_ticker_rows_seen_total{{{seen}}} 2.0" in metrics  # the dedupe ratio: 1 of 2
    assert f"pagewire_ticker_rows_unique_total{{{seen}}} 1.0" in metrics
    assert f"pagewire_last_observation_timestamp_seconds{{{seen}}} 1.7399451e+09" in metrics  # 06:05
    for stage in ("decode", "parse", "ticker", "alerts", "articles"):
        assert f'pagewire_stage_seconds_count{{stage="{stage}"}}' in metrics
    # pages of 2025 produced now: replays, measured from when they were produced (none in +Inf)
    replays = re.search(
        r'pagewire_end_to_end_seconds_count\{replay="true",topic="ticker.rows"\} (\S+)', metrics
    )
    assert replays is not None and float(replays.group(1)) >= 5
    within = re.search(
        r'pagewire_end_to_end_seconds_bucket\{le="3600.0",replay="true",topic="ticker.rows"\} (\S+)', metrics
    )
    assert within is not None and within.group(1) == replays.group(1)
    assert "pagewire_ready 1.0" in metrics


def delta(
    site: str, snapshot_id: str, pair: str, times: tuple[str, str], rates: tuple[str, str]
) -> dict[str, object]:
    """The fields of a pagewire.rate_delta/1 that say which move it is; the numbers are added per case."""
    return {
        "schema": "pagewire.rate_delta/1",
        "snapshot_id": snapshot_id,
        "site": site,
        "pair": pair,
        "event_time": times[1],
        "previous_time": times[0],
        "previous_rate": rates[0],
        "rate": rates[1],
        "tick_size": "0.00001",
    }


def move(change: str, change_pct: str, bps: str, ticks: int, reported: tuple[str, str]) -> dict[str, object]:
    return {
        "change": change,
        "change_pct": change_pct,
        "change_bps": bps,
        "change_ticks": ticks,
        "previous_reported_change_pct": reported[0],
        "reported_change_pct": reported[1],
    }


def windows(from_rate: str, change: str, change_pct: str, ticks: int, hour_from: str) -> dict[str, object]:
    """1h from `hour_from`, 24h and 7d from the first page (06:00): the oldest rate seen inside each."""
    move = {"from_rate": from_rate, "change": change, "change_pct": change_pct, "change_ticks": ticks}
    return {
        "1h": {**move, "from_time": hour_from},
        "24h": {**move, "from_time": "2025-02-19T06:00:00Z"},
        "7d": {**move, "from_time": "2025-02-19T06:00:00Z"},
    }


async def test_changed_pages_give_exactly_their_deltas_and_a_late_page_nothing(
    worker: Worker, kafka: Settings, catalog: Catalog
) -> None:
    site = "replay.example"
    names = ["replay/20250219T060000Z.txt", "replay/20250219T070000Z.txt", "replay/20250219T080000Z.txt"]
    names += ["replay/20250219T090000Z.txt", "late/20250219T053000Z.txt"]
    pages = [sample(site, name) for name in names]
    await send(kafka, [record(page) for page in pages])
    found = await outputs(kafka, catalog, summaries(site, 5))

    at06, at07, at09 = "2025-02-19T06:00:00Z", "2025-02-19T07:00:00Z", "2025-02-19T09:00:00Z"
    # 07:00: UZS/USD one tick down, 12.5% of a coarse rate: flagged quantised
    uzs = delta(site, pages[1].snapshot_id, "UZS/USD", (at06, at07), ("0.00008", "0.00007"))
    uzs |= move("-0.00001", "-12.500000", "-1250.0000", -1, ("0", "-0.04"))
    uzs |= {"seconds_since_previous": 3600, "quantised": True}
    uzs["windows"] = windows("0.00008", "-0.00001", "-12.500000", -1, at06)
    # 09:00: KGS/USD 16 ticks up, TJS/USD 7 down; the 08:00 duplicate starts their 1h windows
    kgs = delta(site, pages[3].snapshot_id, "KGS/USD", (at06, at09), ("0.01144", "0.01160"))
    kgs |= move("0.00016", "1.398601", "139.8601", 16, ("0", "1.4"))
    kgs |= {"seconds_since_previous": 10800, "quantised": False}
    kgs["windows"] = windows("0.01144", "0.00016", "1.398601", 16, "2025-02-19T08:00:00Z")
    tjs = delta(site, pages[3].snapshot_id, "TJS/USD", (at06, at09), ("0.09156", "0.09149"))
    tjs |= move("-0.00007", "-0.076453", "-7.6453", -7, ("-0.11", "-0.19"))
    tjs |= {"seconds_since_previous": 10800, "quantised": False}
    tjs["windows"] = windows("0.09156", "-0.00007", "-0.076453", -7, "2025-02-19T08:00:00Z")
    deltas = sorted(of_site(found, "rates.deltas", site), key=lambda d: (d.value["event_time"], d.key))
    assert [(d.key, d.value) for d in deltas] == [
        (f"{site}|UZS/USD", uzs),
        (f"{site}|KGS/USD", kgs),
        (f"{site}|TJS/USD", tjs),
    ]
    changed = [r.value for r in of_site(found, "ticker.rows", site) if r.value["event_time"] != at06]
    assert sorted((row["pair"], row["rate"], row["change_pct"], row["event_time"]) for row in changed) == [
        ("KGS/USD", "0.01160", "1.4", at09),
        ("TJS/USD", "0.09149", "-0.19", at09),
        ("UZS/USD", "0.00007", "-0.04", at07),
    ]
    # the late page (05:30, other KGS and TJS rates) is summarised and nothing more
    counts = by_topic(found, site)
    assert counts["ticker.rows"] == 8 and counts["rates.deltas"] == 3 and counts["articles"] == 6
    assert counts["snapshots.parsed"] == 5 and counts["deadletter"] == counts["ticker.staleness"] == 0
    assert [
        (a.value["rule"], a.value["status"], a.value["value"]) for a in of_site(found, "alerts", site)
    ] == [("move-1h", "firing", "1.398601")]


def seed_with(kgs: str) -> bytes:
    """The seed page with its KGS/USD marquee row printed as `kgs`, e.g. '0.01180 3.15%'."""
    return SEED.read_bytes().replace(b"KGS/USD = 0.01144 0%", f"KGS/USD = {kgs}".encode())


async def test_a_move_over_three_percent_raises_the_default_alerts_and_resolves_them(
    worker: Worker, kafka: Settings, catalog: Catalog
) -> None:
    site = "alerts.example"
    pages = [
        snapshot(site, "2025-02-19T06:00:00Z"),
        snapshot(site, "2025-02-19T06:30:00Z", seed_with("0.01180 3.15%")),
        snapshot(site, "2025-02-19T07:00:00Z"),
    ]
    await send(kafka, [record(page) for page in pages])
    found = await outputs(kafka, catalog, summaries(site, 3))

    def alert(rule: str, status: str, page: int, window: str | None) -> dict[str, object]:
        group = f"{rule}|{site}|KGS/USD"
        return {
            "schema": "pagewire.alert/1",
            "alert_id": alert_id(group, status, pages[page].snapshot_id, window),
            "group_key": group,
            "status": status,
            "rule": rule,
            "window": window,
            "site": site,
            "pair": "KGS/USD",
            "direction": "any",
            "snapshot_id": pages[page].snapshot_id,
            "event_time": ["2025-02-19T06:00:00Z", "2025-02-19T06:30:00Z", "2025-02-19T07:00:00Z"][page],
        }

    # +3.146853% in half an hour: the 24h rule (critical) speaks for the window ladder, the 1h rule is
    # superseded; the page's own +3.15% fires its rule too. Back to 0.01144 resolves both.
    moved = {"severity": "critical", "metric": "window_move_pct", "threshold": "3"}
    reported = {"severity": "warning", "metric": "reported_change_pct", "threshold": "2"}
    expected = [
        alert("move-24h", "firing", 1, "24h")
        | moved
        | {"value": "3.146853", "summary": f"KGS/USD moved +3.146853% in 24h on {site} (0.01144 -> 0.01180)"},
        alert("page-reported-change", "firing", 1, None)
        | reported
        | {"value": "3.15", "summary": f"KGS/USD changed +3.15% as reported on {site} (rate 0.01180)"},
        alert("move-24h", "resolved", 2, "24h")
        | moved
        | {
            "value": "0.000000",
            "summary": f"KGS/USD move in 24h on {site} is back within 3% (now 0.000000%)",
        },
        alert("page-reported-change", "resolved", 2, None)
        | reported
        | {"value": "0", "summary": f"KGS/USD page-reported change on {site} is back within 2% (now 0%)"},
    ]
    alerts = of_site(found, "alerts", site)
    assert sorted(
        ((a.key, a.value) for a in alerts), key=lambda pair: (str(pair[1]["event_time"]), pair[0])
    ) == [(str(message["group_key"]), message) for message in expected]
    assert [d.value["change_pct"] for d in of_site(found, "rates.deltas", site)] == ["3.146853", "-3.050847"]


async def test_poison_snapshots_are_dead_lettered_and_the_good_ones_around_them_processed(
    worker: Worker, kafka: Settings, catalog: Catalog
) -> None:
    site = "poison.example"
    key = site.encode()
    good = snapshot(site, "2025-02-19T06:00:00Z")
    binary = snapshot(site, "2025-02-19T06:10:00Z", bytes(range(256)) * 4)
    lying = snapshot(site, "2025-02-19T06:20:00Z").to_envelope() | {"snapshot_id": "0" * 64}
    elsewhere = record(snapshot("other.example", "2025-02-19T06:30:00Z"))[1]
    zero_rate = snapshot(site, "2025-02-19T06:40:00Z", seed_with("0.00000 0%"))
    later = sample(site, "replay/20250219T090000Z.txt")
    poison = [
        (b"not json at all", "decode", "invalid_json", None),
        (record(binary)[1], "parse", "binary_body", binary.snapshot_id),
        (codec.encode(lying), "decode", "snapshot_id_mismatch", "0" * 64),
        (elsewhere, "decode", "key_mismatch", good.snapshot_id),
        (record(zero_rate)[1], "parse", "invalid_observation", zero_rate.snapshot_id),
    ]
    sent = await send(kafka, [record(good), *[(key, value) for value, *_ in poison], record(later)])
    found = await outputs(kafka, catalog, lambda found: len(of_site(found, "snapshots.parsed", site)) >= 2)

    letters = [o for o in found if o.topic == "deadletter" and o.key == site]
    assert [letter.value for letter in letters] == [
        {
            "schema": "pagewire.deadletter/1",
            "stage": stage,
            "reason": reason,
            "error": letter.value["error"],
            "source": {
                "topic": catalog.name("snapshots.raw"),
                "partition": where.partition,
                "offset": where.offset,
                "key": base64.b64encode(key).decode(),
            },
            "original": base64.b64encode(value).decode(),
            "snapshot_id": snapshot_id,
            "event_time": letter.value["event_time"],
        }
        for letter, (value, stage, reason, snapshot_id), where in zip(
            letters, poison, sent[1:-1], strict=True
        )
    ]
    assert "NUL byte" in letters[1].value["error"] and "other.example" in letters[3].value["error"]
    assert [s.value["snapshot_id"] for s in of_site(found, "snapshots.parsed", site)] == [
        good.snapshot_id,
        later.snapshot_id,
    ]
    assert sorted(d.value["pair"] for d in of_site(found, "rates.deltas", site)) == [
        "KGS/USD",
        "TJS/USD",
        "UZS/USD",
    ]
    metrics = await worker.metrics()
    assert 'pagewire_deadlettered_total{reason="invalid_json",stage="decode"} 1.0' in metrics
    assert 'pagewire_parse_errors_total{reason="binary_body"} 1.0' in metrics
    assert 'pagewire_deadlettered_total{reason="invalid_observation",stage="parse"} 1.0' in metrics


async def test_a_page_whose_teasers_thin_out_or_go_unread_is_warned_and_counted(
    worker: Worker, kafka: Settings, catalog: Catalog
) -> None:
    site = "drift.example"
    lines = SEED.read_text(encoding="utf-8").split("\n")
    head = "\n".join(lines[:44])  # the marquee, the date and the pagination
    one_teaser = f"{head}\n{lines[44]}\n\n{lines[46]}\n".encode()
    unread = (
        f"{head}\n09:40 — The central bank kept its base rate at 15.25 percent.\n\n"
        "10:15 — The statistics agency reported inflation of 9.8 percent.\n"
    ).encode()
    usual = [snapshot(site, f"2025-02-19T{6 + n:02d}:00:00Z") for n in range(6)]
    thin = snapshot(site, "2025-02-19T12:00:00Z", one_teaser)
    none = snapshot(site, "2025-02-19T13:00:00Z", unread)
    await send(kafka, [record(page) for page in (*usual, thin, none)])
    found = await outputs(kafka, catalog, summaries(site, 8))

    parsed = of_site(found, "snapshots.parsed", site)
    assert [(s.value["articles"], s.value["lines"], s.value["dropped_lines"]) for s in parsed] == [
        *[(6, 54, 0)] * 6,
        (1, 44, 0),
        (0, 44, 2),
    ]
    assert [s.value["warnings"] for s in parsed[5:]] == [
        [],
        [
            "1 teaser(s), under half the median of 6 on this site's last 6 pages: "
            "the listing may have changed its layout"
        ],
        [
            "ignored 2 line(s) of text outside any article, the first: "
            "'09:40 — The central bank kept its base rate at 15.25 percen…'",
            "the page has a ticker but no teaser: the listing may have changed its layout",
        ],
    ]
    metrics = await worker.metrics()
    assert f'pagewire_parse_lines_total{{site="{site}"}} 412.0' in metrics  # 6 x 54 + 44 + 44
    assert f'pagewire_parse_dropped_lines_total{{site="{site}"}} 2.0' in metrics
    assert f'pagewire_page_teasers{{site="{site}"}} 0.0' in metrics


async def test_a_restarted_worker_re_emits_nothing_and_still_knows_what_it_saw(
    worker: Worker, kafka: Settings, catalog: Catalog
) -> None:
    before = await outputs(kafka, catalog, lambda _: True)
    assert await worker.stop() == 0
    await worker.start()
    # a duplicate of the seed after the restart: only its summary, so the state came back
    await send(kafka, [record(snapshot("seed.example", "2025-02-19T06:10:00Z"))])
    after = await outputs(kafka, catalog, summaries("seed.example", 3))
    new = [output for output in after if output not in before]
    assert [(o.topic, o.value["event_time"]) for o in new] == [("snapshots.parsed", "2025-02-19T06:10:00Z")]
    assert Counter(o.topic for o in after) - Counter(o.topic for o in before) == Counter(
        {"snapshots.parsed": 1}
    )
