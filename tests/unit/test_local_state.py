"""How a worker start finds its local RocksDB tables: reused when the format is safe, removed when not."""

import json
from pathlib import Path

from services.stream.local_state import MARKER, mark_stopped, open_local_state


def tables(tmp_path: Path) -> tuple[Path, Path]:
    datadir = tmp_path / "pagewire_"
    return datadir, datadir / "v1" / "tables"


def write_table_files(tabledir: Path) -> Path:
    files = tabledir / "ticker-0.db"
    files.mkdir(parents=True)
    (files / "CURRENT").write_text("MANIFEST-000001\n")
    return files


def test_a_first_start_has_nothing_local_and_marks_the_state_in_use(tmp_path: Path) -> None:
    datadir, tabledir = tables(tmp_path)
    state = open_local_state("rocksdb", datadir, tabledir)
    assert (state.how, state.store) == ("fresh", "rocksdb")
    assert state.detail == "no local tables yet; the tables are read from the changelog in full"
    assert json.loads((datadir / MARKER).read_text())["state"] == "running"


def test_files_kept_after_a_clean_stop_and_after_a_crash(tmp_path: Path) -> None:
    datadir, tabledir = tables(tmp_path)
    open_local_state("rocksdb", datadir, tabledir)
    files = write_table_files(tabledir)
    mark_stopped("rocksdb", datadir)

    assert open_local_state("rocksdb", datadir, tabledir).how == "clean"
    # no mark_stopped: the process was killed
    after_crash = open_local_state("rocksdb", datadir, tabledir)
    assert after_crash.how == "unclean" and (files / "CURRENT").exists()
    assert after_crash.detail.startswith("the last run did not stop cleanly; its local tables hold only")


def test_files_of_the_older_format_are_removed_since_they_may_be_ahead_of_the_changelog(
    tmp_path: Path,
) -> None:
    datadir, tabledir = tables(tmp_path)
    files = write_table_files(tabledir)  # written by a worker that kept no marker
    state = open_local_state("rocksdb", datadir, tabledir)
    assert state.how == "rebuilt" and not files.exists()
    assert open_local_state("rocksdb", datadir, tabledir).how == "fresh"


def test_a_marker_of_another_format_or_unreadable_counts_as_the_older_format(tmp_path: Path) -> None:
    datadir, tabledir = tables(tmp_path)
    for content in ('{"format": 1, "state": "stopped"}', "{not json"):
        files = write_table_files(tabledir)
        (datadir / MARKER).write_text(content)
        assert open_local_state("rocksdb", datadir, tabledir).how == "rebuilt"
        assert not files.exists()


def test_the_memory_store_always_reads_the_changelog_and_leaves_no_marker(tmp_path: Path) -> None:
    datadir, tabledir = tables(tmp_path)
    state = open_local_state("memory", datadir, tabledir)
    mark_stopped("memory", datadir)
    assert state.how == "memory"
    assert not (datadir / MARKER).exists()
