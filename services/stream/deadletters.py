"""The worker's dead letters: input a stage could not process goes to `deadletter`, counted, logged once."""

import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Protocol

from services.common.deadletter import deadletter_key, deadletter_of
from services.common.logging import redact
from services.common.metrics import DEADLETTERED, PARSE_ERRORS
from services.domain.errors import PagewireError
from services.stream.outputs import Outputs

log = logging.getLogger(__name__)

#: stages whose failures mean the snapshot itself is unusable (counted in pagewire_parse_errors_total)
INPUT_STAGES = frozenset({"decode", "parse"})
#: set by the producer (services.producer.publisher.provenance_headers), readable when the value is not
SNAPSHOT_ID_HEADER = "pagewire-snapshot-id"
#: reason of an exception pagewire did not raise on purpose: a bug, never the input's fault alone
INTERNAL_ERROR = "internal_error"


class RawRecord(Protocol):
    """The Kafka record as Faust hands it to the agent (faust.types.Message)."""

    @property
    def topic(self) -> str: ...
    @property
    def partition(self) -> int: ...
    @property
    def offset(self) -> int: ...
    @property
    def key(self) -> bytes | None: ...
    @property
    def value(self) -> bytes | None: ...
    @property
    def timestamp(self) -> float | None: ...  # when it was produced, epoch seconds (Faust's Message)
    @property
    def headers(self) -> Any: ...


class DeadLetters:
    """Sends a record to the deadletter topic with where it came from, the stage and the reason."""

    def __init__(self, outputs: Outputs) -> None:
        self._outputs = outputs

    def send(self, record: RawRecord, stage: str, error: BaseException) -> None:
        """Never raises: a dead letter that cannot be sent is logged, and the stream goes on."""
        expected = isinstance(error, PagewireError)
        reason = error.reason if isinstance(error, PagewireError) else INTERNAL_ERROR
        text = redact(str(error) if expected else f"{type(error).__name__}: {error}")
        where = {
            "stage": stage,
            "reason": reason,
            "topic": record.topic,
            "partition": record.partition,
            "offset": record.offset,
        }
        snapshot_id = _header(record.headers, SNAPSHOT_ID_HEADER)
        if snapshot_id:
            where["snapshot_id"] = snapshot_id  # from the header: the value may be what failed to decode
        if stage in INPUT_STAGES:
            PARSE_ERRORS.labels(reason=reason).inc()
        DEADLETTERED.labels(stage=stage, reason=reason).inc()
        if expected:
            log.warning("snapshot dead-lettered: %s", text, extra=where)
        else:
            log.error("snapshot dead-lettered after an unexpected error", exc_info=error, extra=where)
        try:
            # the schema's event_time: when it was dead-lettered
            message = deadletter_of(record, stage=stage, reason=reason, error=text, now=datetime.now(UTC))
            self._outputs.send_raw(
                "deadletter", deadletter_key(record.key, stage), self._outputs.encode(message)
            )
        except Exception:
            log.exception("could not send a dead letter", extra=where)


def _header(headers: Any, name: str) -> str | None:
    """One Kafka header as text; Faust hands headers over as (name, bytes) pairs or as a mapping."""
    pairs = headers.items() if isinstance(headers, Mapping) else headers or ()
    for key, value in pairs:
        if key == name:
            return bytes(value).decode(errors="replace")
    return None
