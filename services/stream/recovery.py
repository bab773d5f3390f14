"""How each table recovery went: how the local tables were found, changelog records read, how long it took."""

import logging
import time

from services.common.metrics import RECOVERING, RECOVERY_RECORDS, RECOVERY_SECONDS, STATE_STARTS
from services.stream.changelog import DeferredChangelog
from services.stream.local_state import LocalState

log = logging.getLogger(__name__)


class RecoveryReport:
    """Times every recovery from partitions assigned to state recovered, then logs it and sets the metrics.

    The first one after start says how the local tables were found (services/stream/local_state.py);
    later ones follow a rebalance.
    """

    def __init__(self, local: LocalState, changelog: DeferredChangelog) -> None:
        self._local = local
        self._changelog = changelog
        self._started: float | None = None
        self._records_before = 0
        self._first = True
        STATE_STARTS.labels(how=local.how).inc()

    def assigned(self) -> None:
        RECOVERING.set(1)
        if self._started is None:
            self._started = time.monotonic()
            self._records_before = self._changelog.records_read

    def recovered(self, partitions: list[int]) -> None:
        RECOVERING.set(0)
        if self._started is None:
            return
        seconds = time.monotonic() - self._started
        records = self._changelog.records_read - self._records_before
        RECOVERY_SECONDS.set(seconds)
        RECOVERY_RECORDS.set(records)
        local = self._local
        start = {"how": local.how, "detail": local.detail} if self._first else {"how": "rebalance"}
        extra = {"store": local.store, **start, "changelog_records": records, "partitions": partitions}
        log.info("state recovered in %.3fs", seconds, extra={**extra, "seconds": round(seconds, 3)})
        self._started = None
        self._first = False
