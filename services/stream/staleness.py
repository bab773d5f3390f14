"""The staleness check: per partition, every known (site, pair) against its site's event clock."""

import contextlib
import logging
import time
from collections.abc import Iterable

from services.common.metrics import STAGE_SECONDS, STALE_PAIRS
from services.domain.messages import staleness_message
from services.domain.ticker.dedupe import check_staleness
from services.domain.ticker.rows import TickerState, ticker_key
from services.domain.ticker.rules import StreamRules
from services.domain.ticker.staleness import StalenessEvent
from services.stream.alerting import AlertStage
from services.stream.clocks import SiteClocks
from services.stream.outputs import Outputs
from services.stream.tables import SiteEntry, Tables

log = logging.getLogger(__name__)


class StalePairs:
    """Which pairs of each site are stale right now, behind the pagewire_stale_pairs gauge.

    The timer reports every pair of a site at each check; a recovery between checks takes its pair off
    at once, and a pair this worker has not checked yet (just after a restart) is never counted below 0.
    """

    def __init__(self) -> None:
        self._stale: dict[str, set[str]] = {}

    def checked(self, site: str, stale: set[str]) -> None:
        self._stale[site] = stale
        STALE_PAIRS.labels(site=site).set(len(stale))

    def recovered(self, site: str, pair: str) -> None:
        pairs = self._stale.setdefault(site, set())
        pairs.discard(pair)
        STALE_PAIRS.labels(site=site).set(len(pairs))

    def forget(self, sites: Iterable[str]) -> None:
        """Sites another worker owns now: their series go (not 0: the owner reports them)."""
        for site in sites:
            if self._stale.pop(site, None) is not None:
                with contextlib.suppress(KeyError):
                    STALE_PAIRS.remove(site)


class StalenessStage:
    """Runs inside the tick agent's iteration for one partition, so its table writes land in that partition.

    A timer cannot write a Faust table itself (the changelog partition comes from the current event),
    hence the round trip: the timer sends a tick to each partition this worker owns, the tick agent calls
    `check(partition)`.
    """

    def __init__(
        self,
        *,
        rules: StreamRules,
        tables: Tables,
        outputs: Outputs,
        alerts: AlertStage,
        clocks: SiteClocks,
        stale_pairs: StalePairs,
    ) -> None:
        self._rules = rules
        self._stale_pairs = stale_pairs
        self._tables = tables
        self._outputs = outputs
        self._alerts = alerts
        self._clocks = clocks
        self._seconds = STAGE_SECONDS.labels(stage="staleness")

    def check(self, partition: int) -> None:
        """Never raises: a site that cannot be checked is logged and the others are checked all the same."""
        started = time.perf_counter()
        for site, entry in self._tables.sites_of(partition):
            try:
                self._check_site(site, entry, partition)
            except Exception:
                log.exception("staleness check failed", extra={"site": site, "partition": partition})
        self._seconds.observe(time.perf_counter() - started)

    def _check_site(self, site: str, entry: SiteEntry, partition: int) -> None:
        states: dict[str, TickerState] = {}
        for pair in entry.pairs:
            state = self._tables.ticker(ticker_key(site, pair))
            if state is not None:
                states[pair] = state
        last_seen = [state.last_seen for state in states.values()]
        now = self._clocks.now(site, partition, lambda: last_seen, replayed=entry.replayed)
        if now is None:
            return
        events: list[StalenessEvent] = []
        stale: set[str] = set()
        for pair, state in states.items():
            checked, event = check_staleness(state, now, self._rules)
            if event is not None:
                key = ticker_key(site, pair)
                self._tables.set_ticker(key, checked)
                self._outputs.emit("ticker.staleness", key, staleness_message(event), None)
                events.append(event)
                log.info("pair stale", extra={"site": site, "pair": pair, "last_seen": str(state.last_seen)})
            if checked.stale_since is not None:
                stale.add(pair)
        self._stale_pairs.checked(site, stale)
        self._alerts.run(events, None)
