"""The stream message builders produce exactly the schema examples, and valid messages for a whole run."""

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pytest

from services.common.codec import decode, encode, validate
from services.common.paths import schemas_dir
from services.common.taxonomy_file import load_taxonomy
from services.domain.alerts.alert import AlertDelivery
from services.domain.articles.revisions import ArticleSighting, ArticleState, observe_article
from services.domain.errors import SchemaError
from services.domain.messages import (
    alert_delivery_message,
    alert_event_of,
    alert_message,
    alert_of,
    article_message,
    rate_delta_message,
    snapshot_summary_message,
    staleness_message,
    ticker_row_message,
)
from services.domain.ticker.dedupe import check_staleness, observe_ticker
from services.domain.ticker.deltas import RateDelta
from services.domain.ticker.rows import TickerObservation
from services.domain.ticker.rules import StreamRules
from services.domain.ticker.staleness import StalenessEvent
from services.stream.outputs import Queued
from tests.support.stages import Monotonic, handle, polled, raw, seed_page, stages
from tests.support.stream import at, observation, sighting

RULES = StreamRules()
EXAMPLE_SNAPSHOT = "67d90c64d0db78835846d4255d68bb63e329dce7a08cbc99e624d629ad156b34"
DELTA_SNAPSHOT = "5d1c7e0b2a9f4e8c3b6a1d0e9f8c7b6a5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a"


def example(name: str, version: int = 1) -> dict[str, Any]:
    path = schemas_dir() / "examples" / f"{name}.v{version}.json"
    return json.loads(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def row(pair: str, rate: str, change: str, when: datetime, snapshot: str) -> TickerObservation:
    base, quote = pair.split("/")
    return TickerObservation(
        "timesca.com", pair, base, quote, rate, change, when, snapshot, "https://timesca.com/news/"
    )


def test_ticker_row_is_the_example() -> None:
    message = ticker_row_message(row("TJS/USD", "0.09156", "-0.11", at(0), EXAMPLE_SNAPSHOT))
    assert message == example("pagewire.ticker_row")
    validate(message)


def test_rate_delta_is_the_example() -> None:
    state = observe_ticker(None, row("KGS/USD", "0.01144", "0", at(0), EXAMPLE_SNAPSHOT), RULES).state
    outcome = observe_ticker(state, row("KGS/USD", "0.01146", "0.17", at(1), DELTA_SNAPSHOT), RULES)
    assert outcome.delta is not None
    message = rate_delta_message(outcome.delta)
    assert message == example("pagewire.rate_delta")
    assert json.loads(encode(message)) == message


def test_staleness_is_the_example() -> None:
    state = observe_ticker(None, row("UZS/USD", "0.00008", "0", at(0), EXAMPLE_SNAPSHOT), RULES).state
    _, event = check_staleness(state, datetime(2025, 2, 19, 12, 0, 5, tzinfo=UTC), RULES)
    assert event is not None
    assert staleness_message(event) == example("pagewire.staleness")


def test_article_is_the_example_with_the_labeller_s_labels() -> None:
    expected = example("pagewire.article")
    seen = ArticleSighting(
        site="timesca.com",
        title=expected["title"],
        body=expected["body"],
        dateline=None,
        truncated=False,
        listing_date=date(2025, 2, 19),
        source_url="https://timesca.com/news/",
        snapshot_id=EXAMPLE_SNAPSHOT,
        event_time=at(0),
    )
    outcome = observe_article(None, seen)
    assert outcome.revision is not None
    message = article_message(outcome.revision, load_taxonomy().label(seen.title, seen.body))
    assert message == expected


@dataclass(frozen=True)
class Pagination:
    first: int
    last: int
    total: int


def test_snapshot_summary_is_the_example() -> None:
    message = snapshot_summary_message(
        snapshot_id=EXAMPLE_SNAPSHOT,
        site="timesca.com",
        source_url="https://timesca.com/news/",
        event_time=at(0),
        ticker_rows=5,
        ticker_repeats=8,
        articles=6,
        listing_date=date(2025, 2, 19),
        pagination=Pagination(1, 6, 131),
        heading=None,
        warnings=[],
        size=13694,
        lines=54,
        dropped_lines=0,
    )
    assert message == example("pagewire.snapshot_summary", 2)
    bare = snapshot_summary_message(
        snapshot_id=EXAMPLE_SNAPSHOT,
        site="timesca.com",
        source_url="file:///tmp/page.txt",
        event_time=at(0, minutes=0.5),
        ticker_rows=0,
        ticker_repeats=0,
        articles=0,
        listing_date=None,
        pagination=None,
        heading="Tag: Uzbekistan",
        warnings=["no ticker found"],
        size=0,
        lines=0,
        dropped_lines=0,
    )
    assert (bare["event_time"], bare["listing_date"], bare["pagination"]) == (
        "2025-02-19T06:00:30Z",
        None,
        None,
    )
    validate(bare)


def test_a_broken_message_is_refused() -> None:
    message = ticker_row_message(observation("0.01144"))
    with pytest.raises(SchemaError):
        validate({**message, "rate": "0.01144%"})
    with pytest.raises(SchemaError):
        validate({k: v for k, v in message.items() if k != "event_time"})


def test_every_message_of_a_whole_run_of_the_stage_is_valid() -> None:
    """First rows, duplicates, changes up and down, a reported-change-only row, late data, staleness,
    recovery, window moves with nulls, quantised moves, fractional seconds, alerts, articles: every record
    the stages send, as the worker runs them, decodes against its schema."""
    script = [
        ("0.00008", "0", at(0)),
        ("0.00008", "0", at(1)),
        ("0.00009", "12.5", at(2)),
        ("0.00009", "-0", at(2.5)),
        ("0.00008", "-11.11", at(3, minutes=0.5)),
        ("0.00010", "0", at(1)),  # late
        # after a silence: the 1h window is null; the 24h window's reference was last seen 3h before it
        ("0.00011", "0", at(30)),
    ]
    clock = Monotonic()
    running = stages(monotonic=clock)
    sent: list[Queued] = []
    newest = script[0][2]
    for offset, (rate, change, when) in enumerate(script):
        if when > newest:  # the site's clock runs on while nothing arrives; the timer checks
            clock.now += (when - newest).total_seconds()
            newest = when
            running.staleness.check(0)
            sent += running.tick_outputs.take()
        page = seed_page(UZS=(rate, change))
        sent += handle(running, [raw("timesca.com", when, page, offset=offset, produced_at=polled(when))])
    messages = [decode(value, json.loads(value)["schema"]) for _, _, value in sent]
    # the pair's own stream (rows, deltas, staleness), without the alerts that name it
    uzs = [m for m in messages if m.get("pair") == "UZS/USD" and m["schema"] != "pagewire.alert/1"]
    kinds = [(message["schema"], message.get("state")) for message in uzs]
    assert kinds == [
        ("pagewire.ticker_row/1", None),
        ("pagewire.ticker_row/1", None),
        ("pagewire.rate_delta/1", None),
        ("pagewire.ticker_row/1", None),
        ("pagewire.ticker_row/1", None),
        ("pagewire.rate_delta/1", None),
        ("pagewire.staleness/1", "stale"),
        ("pagewire.ticker_row/1", None),
        ("pagewire.rate_delta/1", None),
        ("pagewire.staleness/1", "recovered"),
    ]
    last_delta = uzs[8]
    assert last_delta["windows"] == {
        "1h": None,
        "24h": {
            "from_rate": "0.00008",
            "from_time": "2025-02-19T09:00:30Z",
            "change": "0.00003",
            "change_pct": "37.500000",
            "change_ticks": 3,
        },
        "7d": {
            "from_rate": "0.00008",
            "from_time": "2025-02-19T06:00:00Z",
            "change": "0.00003",
            "change_pct": "37.500000",
            "change_ticks": 3,
        },
    }
    assert uzs[5]["seconds_since_previous"] == 1830 and uzs[5]["quantised"] is True
    assert {message["schema"] for message in messages} == {
        "pagewire.ticker_row/1",
        "pagewire.rate_delta/1",
        "pagewire.staleness/1",
        "pagewire.alert/1",
        "pagewire.article/1",
        "pagewire.snapshot_summary/2",
    }


def test_every_revision_of_an_article_is_valid() -> None:
    messages = []
    article: ArticleState | None = None
    for body, hours in [("Short teaser...", 0), ("Short teaser", 1), ("Short teaser that grew.", 2)]:
        result = observe_article(article, sighting("Title", body, at(hours), truncated=body.endswith("...")))
        article = result.state
        if result.revision is not None:
            messages.append(article_message(result.revision, load_taxonomy().label("Title", body)))
    for message in messages:
        assert decode(encode(message), message["schema"]) == message
    assert [m["revision"] for m in messages] == [1, 2]


def test_alerts_deltas_and_staleness_read_back_into_the_domain_give_the_same_message() -> None:
    alert = alert_of(example("pagewire.alert"))
    assert alert_message(alert) == example("pagewire.alert")
    delta = alert_event_of(example("pagewire.rate_delta"))
    assert isinstance(delta, RateDelta) and rate_delta_message(delta) == example("pagewire.rate_delta")
    stale = alert_event_of(example("pagewire.staleness"))
    assert isinstance(stale, StalenessEvent) and staleness_message(stale) == example("pagewire.staleness")


def test_a_delivery_record_is_the_example() -> None:
    delivery = AlertDelivery(
        alert_of(example("pagewire.alert")),
        destination="ops-slack",
        kind="slack",
        outcome="delivered",
        attempts=2,
        status_code=200,
        reason=None,
        completed_at=datetime(2025, 2, 19, 7, 0, 3, 250000, tzinfo=UTC),
    )
    assert alert_delivery_message(delivery) == example("pagewire.alert_delivery")
