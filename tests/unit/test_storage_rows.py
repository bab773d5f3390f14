"""Wire messages become table rows exactly: decimal strings untouched, renamed columns, reasoned refusals."""

import orjson
import pytest

from services.domain.errors import SchemaError
from services.sinks.storage.rows import RowBatch, event_us, rows_of
from services.sinks.storage.tables import ALERT_DELIVERIES, ARTICLE_LABELS, ARTICLES, TICKER_ROWS
from tests.support.storage import example, ticker_row, varied


def test_a_ticker_row_keeps_its_strings_and_gains_a_sortable_instant() -> None:
    row = ticker_row("UZS/USD", "2025-02-19T06:00:00Z", "0.00008", "-0")

    assert rows_of(row) == [
        (
            TICKER_ROWS,
            {
                "site": "timesca.com",
                "pair": "UZS/USD",
                "event_time": "2025-02-19T06:00:00Z",
                "event_us": 1_739_944_800_000_000,
                "base": "UZS",
                "quote": "USD",
                "rate": "0.00008",
                "change_pct": "-0",
                "snapshot_id": "a" * 64,
                "source_url": "https://timesca.com/news/",
            },
        )
    ]


def test_event_us_counts_microseconds_since_the_epoch() -> None:
    assert event_us("1970-01-01T00:00:00Z") == 0
    assert event_us("2025-02-19T06:00:00.500000Z") - event_us("2025-02-19T06:00:00Z") == 500_000


def test_renamed_fields_and_json_columns() -> None:
    [(_, alert)] = rows_of(example("alert"))
    [(_, summary)] = rows_of(varied("snapshot_summary", pagination=None))

    assert (alert["time_window"], "window" in alert) == ("1h", False)
    assert (summary["ticker_row_count"], summary["article_count"]) == (5, 6)
    assert (summary["pagination"], summary["warnings"]) == (None, "[]")
    assert (summary["heading"], summary["line_count"], summary["dropped_line_count"]) == (None, 54, 0)


def test_a_version_1_summary_is_stored_with_no_heading_and_no_line_counts() -> None:
    [(_, summary)] = rows_of(example("snapshot_summary", version=1))

    assert (summary["ticker_row_count"], summary["article_count"], summary["size"]) == (5, 6, 13694)
    assert (summary["heading"], summary["line_count"], summary["dropped_line_count"]) == (None, None, None)


def test_an_article_becomes_its_row_and_one_row_per_label_in_order() -> None:
    article = example("article")

    rows = rows_of(article)

    assert [table for table, _ in rows] == [ARTICLES, ARTICLE_LABELS, ARTICLE_LABELS, ARTICLE_LABELS]
    labels = [(row["family"], row["ordinal"], row["slug"], row["revision"]) for _, row in rows[1:]]
    assert labels == [
        ("countries", 0, "turkey", 1),
        ("countries", 1, "kazakhstan", 1),
        ("subjects", 0, "security-defense", 1),
    ]
    assert orjson.loads(str(rows[1][1]["cues"])) == article["labels"]["countries"][0]["cues"]
    assert rows[0][1]["truncated"] is False


@pytest.mark.parametrize(
    ("message", "reason"),
    [
        (varied("ticker_row", source_url="https://x/\x00"), "nul_character"),
        (varied("rate_delta", windows={"1h\x00": None}), "nul_character"),
        (varied("rate_delta", change_ticks=2**63), "out_of_range"),
        (varied("alert_delivery", attempts=1e30), "out_of_range"),
        ({"schema": "pagewire.snapshot/1"}, "unknown_schema"),
    ],
)
def test_values_no_database_can_hold_are_refused_with_a_reason(
    message: dict[str, object], reason: str
) -> None:
    with pytest.raises(SchemaError) as refused:
        rows_of(message)
    assert refused.value.reason == reason


def test_an_integral_float_is_stored_as_the_integer_it_is() -> None:
    [(_, row)] = rows_of(varied("alert_delivery", attempts=3.0))
    assert (row["attempts"], type(row["attempts"])) == (3, int)


def test_in_a_batch_the_last_message_per_key_wins_and_a_revision_s_labels_are_replaced() -> None:
    article = example("article")
    fewer = varied("article", labels={"countries": [], "subjects": article["labels"]["subjects"]})
    delivered = example("alert_delivery")
    failed = varied("alert_delivery", outcome="dead_lettered", status_code=500)
    batch = RowBatch()

    for message in (article, failed, fewer, delivered):
        batch.add(message)

    assert [row["outcome"] for row in batch.rows(ALERT_DELIVERIES)] == ["delivered"]
    assert [row["slug"] for row in batch.rows(ARTICLE_LABELS)] == ["security-defense"]
    assert batch.relabelled() == [(article["article_id"], 1)]
    assert len(batch) == 3


def test_a_refused_message_leaves_the_batch_as_it_was() -> None:
    batch = RowBatch()
    batch.add(example("ticker_row"))

    with pytest.raises(SchemaError):
        batch.add(varied("article", title="bad\x00title"))

    assert (len(batch), batch.rows(ARTICLES), batch.relabelled()) == (1, [], [])
