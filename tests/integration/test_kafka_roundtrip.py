"""The real broker carries pagewire messages byte for byte, keys and headers included."""

import orjson

from services.common import codec
from services.common.catalog import Catalog
from services.common.settings import Settings
from tests.conftest import REPO
from tests.support.kafka import read_topic, send


async def test_a_message_round_trips_through_the_real_broker(kafka: Settings, catalog: Catalog) -> None:
    topic = catalog.name("ticker.rows")
    example = orjson.loads((REPO / "schemas/examples/pagewire.ticker_row.v1.json").read_bytes())
    value = codec.encode(example)

    key = b"roundtrip.example|TJS/USD"  # other tests of the session share the topic, never this key
    await send(kafka.kafka, topic, [(key, value)])
    records = [record for record in await read_topic(kafka.kafka, topic, idle=1.0) if record.key == key]

    assert [(record.key, record.value) for record in records] == [(key, value)]
    assert codec.decode(records[0].value, "pagewire.ticker_row/1")["rate"] == "0.09156"
