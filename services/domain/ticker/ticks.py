"""Tick math for printed rates: tick size, change in ticks and the quantisation rule."""

from decimal import Decimal

from services.domain.decimals import exact_quotient, parse_decimal


def tick_size(printed: str) -> Decimal:
    """One unit in the last printed decimal place: '0.00008' -> 0.00001, '12.5' -> 0.1, '100' -> 1."""
    exponent = parse_decimal(printed).as_tuple().exponent
    if not isinstance(exponent, int):  # NaN and infinities cannot pass parse_decimal
        raise ValueError(f"no tick size for {printed!r}")
    return Decimal(1).scaleb(min(exponent, 0))


def common_tick(*printed: str) -> Decimal:
    """The finest tick among rates printed with possibly different decimals: both are multiples of it."""
    return min(tick_size(text) for text in printed)


def change_in_ticks(previous: str, new: str) -> int:
    """(new - previous) in ticks of the finer printed precision: 0.01144 -> 0.01146 is 2."""
    change = parse_decimal(new) - parse_decimal(previous)
    return exact_quotient(change, common_tick(previous, new))


def tick_share_pct(rate: Decimal, tick: Decimal) -> Decimal:
    """How large one tick is against the rate, in percent: 0.00001 on 0.00008 is 12.5."""
    if rate <= 0:
        raise ValueError(f"a tick share needs a positive rate, got {rate}")
    return tick * 100 / rate


def is_quantised(change_ticks: int, previous_rate: Decimal, tick: Decimal, threshold_pct: Decimal) -> bool:
    """A one-tick move where one tick is at least `threshold_pct` percent of the previous rate.

    Such a move is what rounding to the printed decimals produces when the true rate hovers near a
    boundary (UZS/USD 0.00008 -> 0.00009 is one tick, +12.5%), so it says little about a real move.
    A zero-tick change is no move at all and is not quantisation; two ticks or more are always real.
    The previous rate is the base, as it is for the delta's change_pct.
    """
    if abs(change_ticks) != 1:
        return False
    return tick_share_pct(previous_rate, tick) >= threshold_pct
