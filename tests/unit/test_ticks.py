"""Tick size, change in ticks and the quantisation rule."""

from decimal import Decimal

import pytest

from services.domain.errors import ParseError
from services.domain.ticker.ticks import change_in_ticks, common_tick, is_quantised, tick_share_pct, tick_size


@pytest.mark.parametrize(
    ("printed", "tick"),
    [
        ("0.00008", "0.00001"),
        ("0.01144", "0.00001"),
        ("0.28530", "0.00001"),
        ("12.5", "0.1"),
        ("100", "1"),
        ("0", "1"),
        ("1.0", "0.1"),
    ],
)
def test_tick_size_is_one_unit_in_the_last_printed_decimal(printed: str, tick: str) -> None:
    assert tick_size(printed) == Decimal(tick)
    assert str(tick_size(printed).normalize()) == str(Decimal(tick).normalize())


@pytest.mark.parametrize("printed", ["", "1e-5", "0.", ".5", "01.2", "NaN", "1,5", " 1"])
def test_tick_size_refuses_what_a_page_does_not_print(printed: str) -> None:
    with pytest.raises(ParseError):
        tick_size(printed)


def test_change_in_ticks() -> None:
    assert change_in_ticks("0.01144", "0.01146") == 2
    assert change_in_ticks("0.09156", "0.09150") == -6
    assert change_in_ticks("0.00008", "0.00009") == 1
    assert change_in_ticks("12.5", "12.75") == 25  # mixed precision: counted in the finer tick
    assert common_tick("12.5", "12.75") == Decimal("0.01")


def test_tick_share() -> None:
    assert tick_share_pct(Decimal("0.00008"), Decimal("0.00001")) == Decimal("12.5")
    assert tick_share_pct(Decimal("0.00200"), Decimal("0.00001")) == Decimal("0.5")


def test_one_tick_on_uzs_is_quantisation() -> None:
    assert is_quantised(1, Decimal("0.00008"), Decimal("0.00001"), Decimal("1")) is True
    assert is_quantised(-1, Decimal("0.00009"), Decimal("0.00001"), Decimal("1")) is True


def test_two_ticks_or_a_small_tick_share_are_real_moves() -> None:
    assert is_quantised(2, Decimal("0.00008"), Decimal("0.00001"), Decimal("1")) is False
    assert is_quantised(1, Decimal("0.01144"), Decimal("0.00001"), Decimal("1")) is False
    assert is_quantised(0, Decimal("0.00008"), Decimal("0.00001"), Decimal("1")) is False


def test_threshold_is_inclusive_and_configurable() -> None:
    # KZT/USD 0.00200: one tick is exactly 0.5%
    assert is_quantised(1, Decimal("0.00200"), Decimal("0.00001"), Decimal("1")) is False
    assert is_quantised(1, Decimal("0.00200"), Decimal("0.00001"), Decimal("0.5")) is True
    assert is_quantised(1, Decimal("0.00200"), Decimal("0.00001"), Decimal("0.51")) is False
