"""The worker's site table entry: what it stores and reads back, including entries of older versions."""

import pytest

from services.domain.errors import SchemaError
from services.stream.tables import SiteEntry


def test_an_entry_round_trips_through_its_stored_form() -> None:
    entry = SiteEntry(3, ("KGS/USD", "KZT/USD"), (6, 5), replayed=True)
    assert entry.to_dict() == {
        "partition": 3,
        "pairs": ["KGS/USD", "KZT/USD"],
        "teasers": [6, 5],
        "replayed": True,
    }
    assert SiteEntry.from_dict(entry.to_dict()) == entry


def test_entries_of_older_versions_read_as_live_sites_without_teaser_history() -> None:
    assert SiteEntry.from_dict({"partition": 1, "pairs": ["KGS/USD"]}) == SiteEntry(
        1, ("KGS/USD",), (), False
    )


def test_a_mistyped_replayed_flag_is_an_invalid_state() -> None:
    with pytest.raises(SchemaError, match="site entry is missing or mistypes 'replayed' as 'yes'"):
        SiteEntry.from_dict({"partition": 1, "pairs": [], "replayed": "yes"})


def test_a_page_moves_partition_teasers_and_clock_kind_and_adds_its_pairs() -> None:
    stored = SiteEntry(0, ("KGS/USD", "TJS/USD"), (6,), replayed=True)
    page = SiteEntry(2, ("KZT/USD",), (6, 4), replayed=False)
    assert stored.seen(page) == SiteEntry(2, ("KGS/USD", "KZT/USD", "TJS/USD"), (6, 4), False)
