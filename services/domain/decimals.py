"""Decimal numbers as pages print them: strict parsing, plain rendering and percent math."""

import re
from decimal import ROUND_HALF_EVEN, Decimal, localcontext

from services.domain.errors import ParseError

# the wire pattern of every decimal string in schemas/json
_PRINTED = re.compile(r"^-?(0|[1-9][0-9]*)(\.[0-9]+)?$")
_PRECISION = 50  # far above any printed rate, so division and quantize never round early

PERCENT_PLACES = Decimal("0.000001")
BPS_PLACES = Decimal("0.0001")


def parse_decimal(text: str) -> Decimal:
    """A decimal string as printed ('0.01144', '-0.11', '-0') -> Decimal; anything else is a ParseError."""
    if not _PRINTED.match(text):
        raise ParseError(f"not a plain decimal number: {text!r}", reason="invalid_number")
    return Decimal(text)


def decimal_text(value: Decimal) -> str:
    """Plain notation, never scientific: Decimal('1E-5') -> '0.00001', Decimal('1E+2') -> '100'."""
    return format(value, "f")


def ratio(numerator: Decimal, denominator: Decimal, scale: int, places: Decimal) -> Decimal:
    """numerator / denominator * scale, rounded half-even to `places` (e.g. percent: scale 100)."""
    with localcontext() as context:
        context.prec = _PRECISION
        return (numerator * scale / denominator).quantize(places, rounding=ROUND_HALF_EVEN)


def exact_quotient(numerator: Decimal, denominator: Decimal) -> int:
    """numerator / denominator when it is a whole number (e.g. a change in ticks); ValueError otherwise."""
    with localcontext() as context:
        context.prec = _PRECISION
        quotient = numerator / denominator
    if quotient != quotient.to_integral_value():
        raise ValueError(f"{numerator} is not a whole multiple of {denominator}")
    return int(quotient)
