"""The worker's tables as domain values, over a key-value port: Faust's held tables, or memory in tests."""

from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any, ClassVar, Protocol

import orjson

from services.domain.alerts.engine import GroupState
from services.domain.articles.revisions import ArticleState
from services.domain.errors import SchemaError
from services.domain.ticker.records import StoredTicker, chunk_key, load_record, plan_write
from services.domain.ticker.rows import TickerState


class KeyValueTable(Protocol):
    """What the stages need of a table: services.stream.changelog.HeldTable over Faust, MemoryTable here.

    Keys and values are JSON-friendly (the changelog carries them as JSON); a None value is no value.
    """

    def get(self, key: Any) -> Any: ...
    def __contains__(self, key: Any) -> bool: ...
    def __setitem__(self, key: Any, value: Any) -> None: ...
    def __delitem__(self, key: Any) -> None: ...
    def items(self) -> Iterator[tuple[Any, Any]]: ...


class MemoryTable:
    """A table in a dict, for running the stages without a broker. Each value goes through JSON as the
    changelog would carry it, so a value that would not survive a restart fails here too."""

    def __init__(self) -> None:
        self.data: dict[Any, Any] = {}

    def get(self, key: Any) -> Any:
        return self.data.get(key)

    def __contains__(self, key: Any) -> bool:
        return key in self.data

    def __setitem__(self, key: Any, value: Any) -> None:
        self.data[key] = orjson.loads(orjson.dumps(value))

    def __delitem__(self, key: Any) -> None:
        self.data.pop(key, None)

    def items(self) -> Iterator[tuple[Any, Any]]:
        return iter(list(self.data.items()))


@dataclass(frozen=True)
class SiteEntry:
    """The partition a site's snapshots arrive on and every pair its ticker showed (what the timer checks),
    the teaser counts of its recent pages (what layout drift is judged against), and whether its newest
    page was a replay (its clock then stands still: services.domain.ticker.event_clock)."""

    partition: int
    pairs: tuple[str, ...]
    teasers: tuple[int, ...] = ()
    replayed: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "partition": self.partition,
            "pairs": list(self.pairs),
            "teasers": list(self.teasers),
            "replayed": self.replayed,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "SiteEntry":
        try:
            teasers = tuple(int(count) for count in data.get("teasers", ()))  # entries of before v2 have none
            replayed = data.get("replayed", False)  # nor do entries of before v3: their clocks ran
            if not isinstance(replayed, bool):
                raise TypeError(f"'replayed' as {replayed!r}")
            return cls(int(data["partition"]), tuple(str(pair) for pair in data["pairs"]), teasers, replayed)
        except (KeyError, TypeError, ValueError) as exc:
            raise SchemaError(f"site entry is missing or mistypes {exc}", reason="invalid_state") from exc

    def seen(self, page: "SiteEntry") -> "SiteEntry":
        """The entry once `page` (what one page of the site showed: its partition, pairs, teaser history and
        whether the site's newest page is a replay) arrived: pairs accumulate, the rest is the page's."""
        return replace(page, pairs=tuple(sorted(set(self.pairs) | set(page.pairs))))


class Tables:
    """Ticker states (site|pair), article states (article_id), alert groups (rule|site|pair) and sites.

    Every key belongs to one site and is written while processing that site's partition, so the Faust
    changelog partition of each key is the snapshots.raw partition of its site: no repartition topic.
    Writes must happen inside stream iteration (Faust takes the changelog partition from the event).
    """

    #: table name -> what it holds (the Faust table's help text)
    NAMES: ClassVar[dict[str, str]] = {
        "ticker": "TickerState per site|pair: small record, rate runs in site|pair#n",
        "article": "ArticleState per article_id: first seen and published revisions",
        "alert-group": "alert GroupState per rule|site|pair: firing, cooldown",
        "site": "SiteEntry per site: its partition and every pair seen",
    }

    def __init__(
        self,
        *,
        tickers: KeyValueTable,
        articles: KeyValueTable,
        alert_groups: KeyValueTable,
        sites: KeyValueTable,
    ) -> None:
        self.tickers = tickers
        self.articles = articles
        self.alert_groups = alert_groups
        self.sites = sites
        # key -> the state as last read or written, with the record the table held for it: a state carries
        # up to history_limit runs in chunks, and reading them again on every observation would cost more
        # than the rest of the ticker stage. Valid while the table holds an equal record: every sighting
        # changes the record (its counters), and chunks change only with it.
        self._tickers_stored: dict[str, StoredTicker] = {}

    def ticker(self, key: str) -> TickerState | None:
        stored = self._stored_ticker(key)
        return None if stored is None else stored.state

    def set_ticker(self, key: str, state: TickerState) -> None:
        """Chunks, then the record, then deletions: the order services.domain.ticker.records relies on."""
        tickers = self.tickers
        write = plan_write(self._stored_ticker(key), state, lambda number: chunk_key(key, number) in tickers)
        for number, chunk in write.chunks:
            tickers[chunk_key(key, number)] = chunk
        if write.record is not None:
            tickers[key] = write.record
        for number in write.dropped:
            del tickers[chunk_key(key, number)]
        self._tickers_stored[key] = write.stored

    def _stored_ticker(self, key: str) -> StoredTicker | None:
        record = self.tickers.get(key)
        if record is None:
            return None
        stored = self._tickers_stored.get(key)
        if stored is not None and (stored.record is record or stored.record == record):
            return stored
        stored = load_record(record, lambda number: self.tickers.get(chunk_key(key, number)))
        self._tickers_stored[key] = stored
        return stored

    def article(self, article_id: str) -> ArticleState | None:
        data = self.articles.get(article_id)
        return None if data is None else ArticleState.from_dict(data)

    def set_article(self, article_id: str, state: ArticleState) -> None:
        self.articles[article_id] = state.to_dict()

    def alert_group(self, key: str) -> GroupState | None:
        data = self.alert_groups.get(key)
        return None if data is None else GroupState.from_dict(data)

    def set_alert_group(self, key: str, state: GroupState) -> None:
        self.alert_groups[key] = state.to_dict()

    def site(self, site: str) -> SiteEntry | None:
        data = self.sites.get(site)
        return None if data is None else SiteEntry.from_dict(data)

    def set_site(self, site: str, entry: SiteEntry) -> None:
        self.sites[site] = entry.to_dict()

    def sites_of(self, partition: int) -> Iterator[tuple[str, SiteEntry]]:
        """Sites whose snapshots arrive on `partition`; the entry says so, since the memory store can't."""
        for site, data in list(self.sites.items()):
            entry = SiteEntry.from_dict(data)
            if entry.partition == partition:
                yield site, entry


def memory_tables() -> Tables:
    """Tables in memory: the stages run in a test exactly as in the worker, without Kafka."""
    return Tables(
        tickers=MemoryTable(), articles=MemoryTable(), alert_groups=MemoryTable(), sites=MemoryTable()
    )
