"""The stream stage without a broker: one snapshots.raw record in, the exact records the worker sends out."""

# The stages run as `pagewire worker` builds them (services.stream.stages.build_stages), over memory tables;
# tests/unit/test_stream_golden.py proves the same objects give the real worker's bytes.

import base64
from datetime import UTC, datetime, timedelta

import orjson

from services.common.codec import validate
from services.common.metrics import REGISTRY
from services.stream.outputs import Queued
from services.stream.tables import SiteEntry
from tests.support.stages import InputRecord, Monotonic, handle, polled, raw, seed_page, stages

SITE = "seed.example"
T0 = datetime(2025, 2, 19, 6, 0, tzinfo=UTC)
PAIRS = ["KGS/USD", "KZT/USD", "TJS/USD", "UZS/USD", "TMT/USD"]
SEED_ID = "67d90c64d0db78835846d4255d68bb63e329dce7a08cbc99e624d629ad156b34"


def topics(outputs: list[Queued]) -> list[str]:
    return [topic for topic, _, _ in outputs]


def value(outputs: list[Queued], topic: str, index: int = 0) -> dict[str, object]:
    found: dict[str, object] = orjson.loads([v for t, _, v in outputs if t == topic][index])
    validate(found)
    return found


def test_the_seed_gives_five_rows_six_labelled_articles_and_its_summary_last() -> None:
    outputs = handle(stages(), [raw(SITE, T0)])

    assert [(t, k.decode()) for t, k, _ in outputs if t == "ticker.rows"] == [
        ("ticker.rows", f"{SITE}|{pair}") for pair in PAIRS
    ]
    assert topics(outputs).count("articles") == 6
    assert topics(outputs)[-1] == "snapshots.parsed"
    assert len(outputs) == 5 + 6 + 31 + 1  # rows, articles, their 31 label copies, the summary
    assert value(outputs, "ticker.rows", 2) == {
        "schema": "pagewire.ticker_row/1",
        "snapshot_id": SEED_ID,
        "site": SITE,
        "pair": "TJS/USD",
        "base": "TJS",
        "quote": "USD",
        "rate": "0.09156",
        "change_pct": "-0.11",
        "event_time": "2025-02-19T06:00:00Z",
        "source_url": "https://timesca.com/news/",
    }
    green = next(v for t, _, v in outputs if t == "articles" and b"Turkmenistan and EU" in v)
    copies = [t for t, _, v in outputs if v == green and t != "articles"]
    assert copies == [
        "articles.country.turkmenistan",
        "articles.country.eu",
        "articles.subject.energy-climate",
        "articles.subject.politics-diplomacy",
    ]


def test_the_same_page_again_gives_only_its_summary() -> None:
    running = stages()
    handle(running, [raw(SITE, T0)])

    again = handle(running, [raw(SITE, T0 + timedelta(minutes=5), offset=1)])

    assert topics(again) == ["snapshots.parsed"]
    assert value(again, "snapshots.parsed")["event_time"] == "2025-02-19T06:05:00Z"


def test_a_one_tick_move_on_a_coarse_pair_gives_a_quantised_delta_and_the_page_reported_alert() -> None:
    running = stages()
    handle(running, [raw(SITE, T0)])

    moved = handle(
        running, [raw(SITE, T0 + timedelta(minutes=10), seed_page(UZS=("0.00009", "12.5")), offset=1)]
    )

    assert [(t, k.decode()) for t, k, _ in moved] == [
        ("ticker.rows", f"{SITE}|UZS/USD"),
        ("rates.deltas", f"{SITE}|UZS/USD"),
        ("alerts", f"page-reported-change|{SITE}|UZS/USD"),
        ("snapshots.parsed", SITE),
    ]
    delta = value(moved, "rates.deltas")
    assert {
        name: delta[name] for name in ("previous_rate", "rate", "change_pct", "change_ticks", "quantised")
    } == {
        "previous_rate": "0.00008",
        "rate": "0.00009",
        "change_pct": "12.500000",
        "change_ticks": 1,
        "quantised": True,
    }
    alert = value(moved, "alerts")
    assert (alert["status"], alert["severity"], alert["summary"]) == (
        "firing",
        "warning",
        f"UZS/USD changed +12.5% as reported on {SITE} (rate 0.00009)",
    )


def test_an_observation_older_than_the_last_accepted_one_is_late_and_gives_no_delta() -> None:
    running = stages()
    handle(running, [raw(SITE, T0 + timedelta(minutes=10))])

    late = handle(running, [raw(SITE, T0, seed_page(KGS=("0.01200", "4.9")), offset=1)])

    assert topics(late) == ["snapshots.parsed"]


def test_a_silent_site_goes_stale_on_the_timer_and_recovers_on_its_next_page() -> None:
    clock = Monotonic()
    running = stages(monotonic=clock)
    handle(running, [raw(SITE, T0, produced_at=polled(T0))])

    clock.now += 6 * 3600 + 5  # the default PAGEWIRE_STALE_AFTER is 6h
    running.staleness.check(0)
    stale = running.tick_outputs.take()

    assert topics(stale) == ["ticker.staleness"] * 5 + ["alerts"] * 5
    assert value(stale, "ticker.staleness", 3) == {
        "schema": "pagewire.staleness/1",
        "snapshot_id": SEED_ID,
        "site": SITE,
        "pair": "TMT/USD",
        "state": "stale",
        "event_time": "2025-02-19T12:00:05Z",
        "last_seen": "2025-02-19T06:00:00Z",
        "stale_after_seconds": 21600,
        "silent_seconds": 21605,
    }
    assert value(stale, "alerts")["summary"] == (
        f"KGS/USD on {SITE} is stale: no observation for 6h 0m 5s (last seen 2025-02-19T06:00:00Z)"
    )
    running.staleness.check(0)
    assert running.tick_outputs.take() == []  # reported once, not at every check

    back = handle(
        running, [raw(SITE, T0 + timedelta(hours=7), offset=1, produced_at=polled(T0 + timedelta(hours=7)))]
    )

    assert topics(back) == ["ticker.staleness"] * 5 + ["alerts"] * 5 + ["snapshots.parsed"]
    assert {v["state"] for v in (value(back, "ticker.staleness", n) for n in range(5))} == {"recovered"}
    assert value(back, "alerts", 4)["summary"] == f"TMT/USD on {SITE} recovered after 7h without observations"


def test_a_replay_that_ended_never_turns_its_pairs_stale_until_a_live_page_arrives() -> None:
    clock = Monotonic()
    running = stages(monotonic=clock)
    # a day of saved pages replayed today: produced long after their own time
    handle(running, [raw(SITE, T0 + timedelta(hours=hour), offset=hour) for hour in range(3)])

    clock.now += 30 * 24 * 3600  # a month later, nothing more arrived
    running.staleness.check(0)
    assert running.tick_outputs.take() == []
    assert running.tables.site(SITE) == SiteEntry(0, tuple(sorted(PAIRS)), (6, 6, 6), replayed=True)

    # the site is then polled live: its clock runs from that page on, and a silence is noticed again
    fetched = datetime(2026, 1, 5, 6, 0, tzinfo=UTC)  # live then: produced 2s after its fetch
    handle(running, [raw(SITE, fetched, offset=3, produced_at=polled(fetched))])
    assert running.tables.site(SITE) == SiteEntry(0, tuple(sorted(PAIRS)), (6, 6, 6, 6), replayed=False)
    clock.now += 6 * 3600 + 1
    running.staleness.check(0)
    stale = running.tick_outputs.take()
    assert topics(stale) == ["ticker.staleness"] * 5 + ["alerts"] * 5
    assert value(stale, "ticker.staleness")["last_seen"] == "2026-01-05T06:00:00Z"


def test_an_old_file_replayed_beside_live_polling_leaves_the_live_clock_running() -> None:
    clock = Monotonic()
    running = stages(monotonic=clock)
    fetched = datetime(2026, 1, 5, 6, 0, tzinfo=UTC)  # live then: produced 2s after its fetch
    handle(running, [raw(SITE, fetched, produced_at=polled(fetched)), raw(SITE, T0, offset=1)])

    assert running.tables.site(SITE) == SiteEntry(0, tuple(sorted(PAIRS)), (6, 6), replayed=False)
    clock.now += 6 * 3600 + 1
    running.staleness.check(0)
    assert topics(running.tick_outputs.take()) == ["ticker.staleness"] * 5 + ["alerts"] * 5


def test_bad_input_is_dead_lettered_with_where_it_came_from_and_the_stage_goes_on() -> None:
    running = stages()
    bad = InputRecord("snapshots.raw", 3, 41, SITE.encode(), b"not json")
    foreign = raw("other.example", T0, offset=42)
    mismatched = InputRecord(foreign.topic, 3, 42, b"wrong.example", foreign.value, foreign.headers)

    outputs = handle(running, [bad, mismatched, raw(SITE, T0, offset=43)])

    letters = [value(outputs, "deadletter", n) for n in range(2)]
    assert [(d["stage"], d["reason"], d["source"]) for d in letters] == [
        (
            "decode",
            "invalid_json",
            {"topic": "snapshots.raw", "partition": 3, "offset": 41, "key": "c2VlZC5leGFtcGxl"},
        ),
        (
            "decode",
            "key_mismatch",
            {
                "topic": "snapshots.raw",
                "partition": 3,
                "offset": 42,
                "key": base64.b64encode(b"wrong.example").decode(),
            },
        ),
    ]
    assert letters[0]["original"] == base64.b64encode(b"not json").decode()
    assert letters[1]["snapshot_id"] == SEED_ID
    assert topics(outputs).count("ticker.rows") == 5  # the good snapshot after them is processed in full


def test_a_revoked_partition_takes_its_sites_stale_pairs_series_along() -> None:
    clock = Monotonic()
    running = stages(monotonic=clock)
    handle(running, [raw("owned.example", T0, produced_at=polled(T0))])
    clock.now += 6 * 3600 + 5
    running.staleness.check(0)
    assert topics(running.tick_outputs.take()) == ["ticker.staleness"] * 5 + ["alerts"] * 5
    assert REGISTRY.get_sample_value("pagewire_stale_pairs", {"site": "owned.example"}) == 5

    running.revoke([0])  # the partition moved to another worker: it reports the site from now on

    assert REGISTRY.get_sample_value("pagewire_stale_pairs", {"site": "owned.example"}) is None
    running.staleness.check(1)  # partitions it still owns are checked as before
    assert running.tick_outputs.take() == []
