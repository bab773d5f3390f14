"""Poison on the sinks' topics: each bad message is dead-lettered with its reason, the good ones all land."""

import base64
import copy
from pathlib import Path
from typing import Any

import orjson
import pytest

from services.common import codec
from services.common.settings import Settings
from services.sinks.storage.connect import open_database
from tests.reliability.compare import alert_requests
from tests.reliability.conftest import Figures
from tests.support.alerts import alert
from tests.support.databases import sqlite_target
from tests.support.kafka import send
from tests.support.pipeline import CHATS, pipeline
from tests.support.receiver import Receiver
from tests.support.storage import by_key, corpus, key_of, stored_messages

Message = dict[str, Any]


def changed(message: Message, **fields: Any) -> bytes:
    """The message with fields changed (a value of `...` removes one), as JSON, schema unchecked."""
    copied = copy.deepcopy(message) | fields
    return orjson.dumps({name: value for name, value in copied.items() if value is not ...})


def storage_poison(good: dict[str, list[Message]]) -> list[tuple[str, bytes | None, str]]:
    """(catalog topic, value, dead-letter reason) of every bad message the storage sink is sent."""
    row, delta, article = good["ticker.rows"][0], good["rates.deltas"][0], good["articles"][0]
    return [
        ("ticker.rows", b"{not json", "invalid_json"),
        ("ticker.rows", b"[1, 2]", "invalid_json"),
        ("ticker.rows", None, "empty_message"),
        ("ticker.rows", codec.encode(good["alerts"][0]), "wrong_schema"),
        ("ticker.rows", changed(row, rate=...), "schema_mismatch"),
        ("ticker.rows", changed(row, extra="field"), "schema_mismatch"),
        ("ticker.rows", changed(row, rate=0.01144), "schema_mismatch"),
        ("ticker.rows", changed(row, rate="0"), "schema_mismatch"),
        ("ticker.rows", changed(row, rate="-0.5"), "schema_mismatch"),
        ("ticker.rows", changed(row, rate="1e308"), "schema_mismatch"),
        ("ticker.rows", changed(row, rate="NaN"), "schema_mismatch"),
        ("ticker.rows", changed(row, pair="KGS-USD"), "schema_mismatch"),
        ("ticker.rows", changed(row, source_url="https://a\u0000b"), "nul_character"),
        ("rates.deltas", changed(delta, previous_rate="0"), "schema_mismatch"),
        ("rates.deltas", changed(delta, change_ticks="20"), "schema_mismatch"),
        ("articles", changed(article, revision=2**63), "out_of_range"),
        ("articles", changed(article, labels=...), "schema_mismatch"),
    ]


def alert_poison(good: Message) -> list[tuple[bytes | None, str]]:
    return [
        (b"{not json", "invalid_json"),
        (None, "empty_message"),
        (codec.encode(corpus()["ticker.rows"][0]), "wrong_schema"),
        (changed(good, alert_id=...), "schema_mismatch"),
        (changed(good, status="exploded"), "schema_mismatch"),
        (changed(good, value=1.5), "schema_mismatch"),
        (changed(good, extra=True), "schema_mismatch"),
    ]


@pytest.mark.timeout(300)
async def test_poison_for_the_sinks_is_dead_lettered_with_its_reason_and_the_good_messages_all_land(
    kafka: Settings, test_env: dict[str, str], tmp_path: Path, chat: Receiver, figures: Figures
) -> None:
    good = corpus()
    bad = storage_poison(good)
    alerts = [alert(alert_id=f"{n:032x}", group_key="move-1h|timesca.com|KGS/USD") for n in range(1, 4)]
    bad_alerts = alert_poison(alerts[0])
    database = sqlite_target(tmp_path / "pagewire.db")
    async with pipeline(test_env, tmp_path, chat, [database]) as run:
        catalog, settings = run.catalog, run.settings
        for name, messages in good.items():
            # every good message of a topic, then its poison: the poison must not hold up what follows
            records: list[tuple[bytes, bytes | None]] = [
                (key_of(name, m), codec.encode(m)) for m in messages[:1]
            ]
            records += [(b"poison", value) for topic, value, _ in bad if topic == name]
            records += [(key_of(name, m), codec.encode(m)) for m in messages[1:]]
            await send(settings.kafka, catalog.name(name), records)
        group = alerts[0]["group_key"].encode()
        await send(
            settings.kafka,
            catalog.name("alerts"),
            [(group, codec.encode(alerts[0])), *((group, value) for value, _ in bad_alerts)]
            + [(group, codec.encode(message)) for message in alerts[1:]],
        )
        await run.settle(timeout=120)
        topics = await run.topics()
        opened = open_database(Settings.load({**run.env, "PAGEWIRE_DATABASE_URL": database.url}))
        try:
            stored = await stored_messages(opened)
        finally:
            await opened.close()

    figures.bad_inputs += len(bad) + len(bad_alerts)
    figures.notes.append(f"sink poison: {len(bad)} bad stored-topic messages, {len(bad_alerts)} bad alerts")
    # stored: every good message once; besides those sent, the alert sink's own delivery outcomes, and
    # every dead letter on the topic (the good ones sent, and each sink's for the poison)
    on_topic = [orjson.loads(value) for _, value in topics["deadletter"]]
    expected = by_key(good | {"alerts": good["alerts"] + alerts, "deadletter": on_topic})
    outcomes = [d for d in stored["alerts.deliveries"] if d["destination"] in CHATS]
    stored["alerts.deliveries"] = [d for d in stored["alerts.deliveries"] if d not in outcomes]
    assert stored == expected
    alert_ids = {message["alert_id"] for message in good["alerts"] + alerts}
    assert sorted((d["alert_id"], d["destination"], d["outcome"]) for d in outcomes) == sorted(
        (alert_id, destination, "delivered") for alert_id in alert_ids for destination in CHATS
    )
    for destination in CHATS.values():
        assert set(alert_requests(chat.on(destination.path))) == alert_ids
    # dead-lettered: each bad message once, with its reason, key and original bytes (the corpus's own
    # dead letters, sent to the topic to be stored, aside)
    letters = [letter for letter in on_topic if letter not in good["deadletter"]]
    assert len(on_topic) == len(good["deadletter"]) + len(letters)
    from_storage = [(d["source"]["topic"], d["reason"]) for d in letters if d["stage"] == "store"]
    # a bad alert is refused by both sinks that read the alerts topic: storage and delivery
    stored_bad = [(topic, reason) for topic, _, reason in bad] + [
        ("alerts", reason) for _, reason in bad_alerts
    ]
    assert sorted(from_storage) == sorted((catalog.name(topic), reason) for topic, reason in stored_bad)
    from_alerts = [letter["reason"] for letter in letters if letter["stage"] == "deliver"]
    assert sorted(from_alerts) == sorted(reason for _, reason in bad_alerts)  # once, not per destination
    originals = {value or b"" for _, value, _ in bad} | {value or b"" for value, _ in bad_alerts}
    for letter in letters:
        assert letter["error"] and letter["source"]["key"] is not None
        assert base64.b64decode(letter["original"]) in originals
