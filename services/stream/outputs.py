"""The worker's output topics: every message encoded (and schema-checked where asked) and queued; the Faust
adapter hands what it takes to Kafka (`send`, services/stream/sending.py), a test reads it (`take`)."""

import time
from collections.abc import Awaitable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from prometheus_client import Histogram

from services.common import codec
from services.common.catalog import Catalog
from services.common.metrics import END_TO_END_SECONDS
from services.domain.articles.taxonomy import Labels, Taxonomy
from services.domain.errors import ConfigError
from services.domain.replay import is_replay

_FAMILIES = ("countries", "subjects")


class Producer(Protocol):
    """The send of Faust's aiokafka producer (app.producer): topic, key, value, partition, timestamp,
    headers; returns once the message is in a batch, with the future of its acknowledgement."""

    async def send(
        self,
        topic: str,
        key: bytes | None,
        value: bytes | None,
        partition: int | None,
        timestamp: Any,
        headers: Any,
    ) -> Awaitable[Any]: ...


#: one queued output: (catalog name, key, value)
Queued = tuple[str, bytes, bytes]


@dataclass(frozen=True)
class Origin:
    """Where an output's end-to-end latency starts: when the snapshot behind it was produced to Kafka (the
    snapshots.raw record's timestamp, epoch seconds), and whether that snapshot is a replay (its page far
    older than that moment: services.domain.replay), which the histogram labels."""

    produced_at: float
    replay: bool

    @classmethod
    def of(cls, fetched_at: datetime, timestamp: float | None) -> "Origin":
        """From a snapshot's fetched_at and its record's timestamp (None: the record has none, so now)."""
        produced_at = time.time() if timestamp is None else timestamp
        return cls(produced_at, is_replay(fetched_at, datetime.fromtimestamp(produced_at, UTC)))


class Outputs:
    """The catalog's public outputs of one agent, queued by catalog name, plus article label routing."""

    def __init__(self, catalog: Catalog, taxonomy: Taxonomy, *, validate: bool = False) -> None:
        names = catalog.written_by("worker")
        self._label_topics = {
            (family, slug): spec.name for family in _FAMILIES for slug, spec in catalog.family(family).items()
        }
        _check_labels(taxonomy, self._label_topics)
        self._topics = {name: catalog.name(name) for name in names}
        # one histogram child per topic and replay label, looked up once rather than per message
        self._latency = {
            (name, replay): END_TO_END_SECONDS.labels(topic=name, replay="true" if replay else "false")
            for name in names
            for replay in (False, True)
        }
        self._queued: list[Queued] = []
        self._timed: list[tuple[Histogram, float]] = []  # (latency child, produced_at) of queued messages
        # The message builders (services/domain/messages.py) are held to the schemas by the contract tests
        # and the golden corpus; checking each message again costs a tenth of the worker's CPU, so it is a
        # setting (PAGEWIRE_WORKER_VALIDATE_OUTPUTS) for those who want it in production too.
        self._validate = validate

    def encode(self, message: dict[str, Any]) -> bytes:
        return codec.encode(message, check=self._validate)

    def emit(self, name: str, key: str, message: dict[str, Any], origin: Origin | None) -> None:
        """Encode and queue one message; `send` hands it to the producer. Its latency is measured
        from `origin` (None: an output of no snapshot, e.g. the staleness timer's) to when it is taken."""
        self.send_raw(name, key.encode(), self.encode(message))
        if origin is not None:
            self._timed.append((self._latency[(name, origin.replay)], origin.produced_at))

    def emit_many(
        self, names: Sequence[str], key: str, message: dict[str, Any], origin: Origin | None
    ) -> None:
        """The same message on several topics (an article and its label topics), validated once."""
        value, raw_key = self.encode(message), key.encode()
        for name in names:
            self.send_raw(name, raw_key, value)
        if origin is not None:
            self._timed += ((self._latency[(name, origin.replay)], origin.produced_at) for name in names)

    def send_raw(self, name: str, key: bytes, value: bytes) -> None:
        self._queued.append((name, key, value))

    @property
    def held(self) -> int:
        """Messages queued and not yet taken."""
        return len(self._queued)

    def take(self) -> list[Queued]:
        """The queued messages, in order; the queue is empty afterwards. Their end-to-end latency is
        observed now: in the worker the moment they are handed to Kafka, after the rest of their batch."""
        queued, self._queued = self._queued, []
        timed, self._timed = self._timed, []
        now = time.time()
        for histogram, produced_at in timed:
            histogram.observe(max(0.0, now - produced_at))
        return queued

    async def send(self, producer: Producer, queued: Sequence[Queued]) -> list[Awaitable[Any]]:
        """Hand `queued` (what `take` returned) to the Kafka producer, in order; their acknowledgements, not
        awaited.

        The app's producer itself, not Faust topics: a Topic.send wraps every message in a FutureMessage,
        a PendingMessage and send callbacks, a tenth of the worker's time at a dozen outputs per snapshot.

        Each await only appends to the producer's batch (it lingers and compresses many messages per
        request); Faust flushes the producer before it commits offsets, so nothing is committed unsent.
        Not Faust's send_soon: its buffer stalls the stream a tenth of a second whenever it holds over
        100 messages, and its flush gives up after a tenth of a second without progress. The key picks
        the partition (the producer's murmur2 partitioner), as a Faust topic's send would.
        """
        send, topics = producer.send, self._topics  # Faust internal, see test_faust_internals
        return [await send(topics[name], key, value, None, None, None) for name, key, value in queued]

    def article_topics(self, labels: Labels) -> list[str]:
        """articles.country.<slug> and articles.subject.<slug> per label, or articles.unclassified."""
        if labels.unclassified:
            return ["articles.unclassified"]
        countries = [self._label_topics[("countries", label.slug)] for label in labels.countries]
        return countries + [self._label_topics[("subjects", label.slug)] for label in labels.subjects]


def _check_labels(taxonomy: Taxonomy, topics: dict[tuple[str, str], str]) -> None:
    """Fail at start-up, not on the first article, when a taxonomy label has no topic in the catalog."""
    missing = [f"{family}/{slug}" for family, slug in _labels_of(taxonomy) if (family, slug) not in topics]
    if missing:
        raise ConfigError(f"no topic in the catalog for taxonomy label(s): {', '.join(missing)}")


def _labels_of(taxonomy: Taxonomy) -> Iterable[tuple[str, str]]:
    yield from (("countries", rule.slug) for rule in taxonomy.countries)
    yield from (("subjects", rule.slug) for rule in taxonomy.subjects)
