"""The golden corpus: 2,000 seeded seed-like snapshots and a few bad records; a checksum per output topic.

The same corpus goes through the real `pagewire worker` (tests/integration/test_worker_golden.py) and
through the snapshot stage in process (tests/unit/test_stream_golden.py); both must give the checksums
committed in tests/fixtures/golden/stream.json, so a change to the stream stage that alters one byte of any
output shows up as a failing test, and the Faust adapter is proven to add nothing to what the stage emits.
"""

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path

import orjson
from aiokafka.partitioner import murmur2

from bench.corpus import Corpus
from tests.conftest import REPO
from tests.support.stages import InputRecord

SNAPSHOTS = 2_000
SEED = 20_261_207
PARTITIONS = 6  # snapshots.raw in schemas/topics.yaml
CHECKSUMS = REPO / "tests" / "fixtures" / "golden" / "stream.json"
#: every this many snapshots, a bad record follows, keyed by a site so its partition is known
BAD_EVERY = 250
#: fields that say when this machine did something, not what the data says: left out of the checksum
VOLATILE = {"deadletter": ("event_time",)}


def corpus(topic: str = "snapshots.raw") -> list[InputRecord]:
    """The golden input, in send order."""
    source = Corpus(SEED)
    offsets = [0] * PARTITIONS
    records: list[InputRecord] = []

    def add(key: bytes, value: bytes, headers: tuple[tuple[str, bytes], ...]) -> None:
        partition = (murmur2(key) & 0x7FFFFFFF) % PARTITIONS
        records.append(InputRecord(topic, partition, offsets[partition], key, value, headers))
        offsets[partition] += 1

    for index in range(SNAPSHOTS):
        message = source.message(index)
        add(message.key, message.value, message.headers)
        if index % BAD_EVERY == BAD_EVERY - 1:
            add(message.key, _bad(index), ())
    return records


def _bad(index: int) -> bytes:
    """Bad input of the kinds dead-lettered at decode: not JSON, and a wrong schema."""
    if index // BAD_EVERY % 2:
        return b'{"schema": "pagewire.snapshot/9", "site": "x"}'
    return b"\xff not json " + str(index).encode()


def checksums(records: Iterable[tuple[str, bytes, bytes]], prefix: str = "") -> dict[str, dict[str, object]]:
    """Per topic (catalog name): the record count and a sha256 over every key's values in order.

    Keys give the order a subscriber may rely on (per pair, per article, per site); records of different
    keys interleave by partition and timing, so keys are hashed sorted, each with its values in order.
    """
    by_topic: dict[str, dict[bytes, list[bytes]]] = {}
    for topic, key, value in records:
        by_topic.setdefault(topic, {}).setdefault(key, []).append(_stable(topic, value, prefix))
    result: dict[str, dict[str, object]] = {}
    for topic in sorted(by_topic):
        digest = hashlib.sha256()
        keys = by_topic[topic]
        for key in sorted(keys):
            digest.update(len(key).to_bytes(4, "big") + key)
            for value in keys[key]:
                digest.update(len(value).to_bytes(4, "big") + value)
        count = sum(len(values) for values in keys.values())
        result[topic] = {"records": count, "sha256": digest.hexdigest()}
    return result


def _stable(topic: str, value: bytes, prefix: str) -> bytes:
    volatile = VOLATILE.get(topic)
    if not volatile:
        return value
    message = orjson.loads(value)
    for name in volatile:
        message.pop(name, None)
    message["source"]["topic"] = message["source"]["topic"].removeprefix(prefix)
    return orjson.dumps(message, option=orjson.OPT_SORT_KEYS)


def committed() -> dict[str, dict[str, object]]:
    return json.loads(CHECKSUMS.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def write(found: dict[str, dict[str, object]], path: Path = CHECKSUMS) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(found, indent=2, sort_keys=True) + "\n", encoding="utf-8")
