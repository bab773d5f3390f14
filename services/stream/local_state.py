"""The worker's local table files across runs: how the last run left them; those unsafe to reuse removed."""

# A marker file beside the tables says which format wrote them and whether that run stopped cleanly. Files
# of format 2 hold only changelog records Kafka acknowledged (services/stream/changelog.py), so they are
# reused after a clean stop and after a crash alike: recovery reads the changelog from their offsets.
# Files with no marker were written by a pagewire that put a change into RocksDB as soon as it was made,
# ahead of its outputs; after a crash such files know events whose outputs were lost, so they are removed
# and the tables read from the changelog in full (which that version also held back until the outputs).

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

MARKER = "pagewire-state.json"
FORMAT = 2
How = Literal["clean", "unclean", "rebuilt", "fresh", "memory"]

_DETAIL: dict[How, str] = {
    "clean": "local tables kept from a clean stop; the changelog is read from their offsets",
    "unclean": "the last run did not stop cleanly; its local tables hold only changelog records Kafka "
    "acknowledged, so they are kept and the changelog is read from their offsets",
    "rebuilt": "local tables of an older format removed (they may be ahead of the changelog); "
    "the tables are read from the changelog in full",
    "fresh": "no local tables yet; the tables are read from the changelog in full",
    "memory": "memory store: the tables are read from the changelog in full at every start",
}


@dataclass(frozen=True)
class LocalState:
    """How this start found the local tables: what the recovery log line and metric report."""

    store: str
    how: How

    @property
    def detail(self) -> str:
        return _DETAIL[self.how]


def open_local_state(store: str, datadir: Path, tabledir: Path) -> LocalState:
    """Decide whether the local tables under `tabledir` may be reused, remove them if not, and mark the
    state as in use (a crash from now on leaves the marker saying so)."""
    if store != "rocksdb":
        return LocalState(store, "memory")
    marker = datadir / MARKER
    files = tabledir.is_dir() and any(tabledir.glob("*.db"))
    written = _read(marker)
    how: How
    if not files:
        how = "fresh"
    elif written.get("format") != FORMAT:
        shutil.rmtree(tabledir)
        how = "rebuilt"
    else:
        how = "clean" if written.get("state") == "stopped" else "unclean"
    _write(marker, {"format": FORMAT, "state": "running", "pid": os.getpid()})
    return LocalState(store, how)


def mark_stopped(store: str, datadir: Path) -> None:
    """The worker stopped cleanly (its last commit done): the next start reports a clean stop."""
    if store == "rocksdb":
        _write(datadir / MARKER, {"format": FORMAT, "state": "stopped"})


def _read(marker: Path) -> dict[str, object]:
    try:
        found = json.loads(marker.read_text())
    except (OSError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}


def _write(marker: Path, content: dict[str, object]) -> None:
    """Atomically: a crash mid-write leaves the old marker or the new one, never half of one."""
    marker.parent.mkdir(parents=True, exist_ok=True)
    partial = marker.with_suffix(".tmp")
    with partial.open("w") as out:
        json.dump(content, out)
        out.flush()
        os.fsync(out.fileno())
    partial.replace(marker)
