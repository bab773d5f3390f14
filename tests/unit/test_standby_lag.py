"""The worker's standby lag (pagewire_worker_standby_lag_records) from end and read offsets."""

from services.stream.lag import standby_lag_records


def test_each_copy_lags_by_the_records_after_the_last_one_it_read() -> None:
    ends = {"a": 10, "b": 5, "c": 3}
    assert standby_lag_records(ends, {"a": 4, "b": 4, "c": 2}) == 5 + 0 + 0


def test_a_copy_that_read_nothing_yet_lags_by_every_record_faust_marks_it_none() -> None:
    # Faust's standby_offsets holds None for a copy with no offset stored until its first record
    assert standby_lag_records({"a": 7, "b": 0}, {"a": None, "b": None}) == 7
    assert standby_lag_records({"a": 7}, {}) == 7


def test_a_partition_whose_end_is_not_known_counts_nothing() -> None:
    assert standby_lag_records({"a": None, "b": 2}, {"a": 1, "b": 0}) == 1
