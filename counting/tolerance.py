"""Count tolerance by ABC class (DOMAIN.md "Counts"): A 0 units, B 2 %, C 5 % of expected,
at least 1 unit for B and C; a SKU with no class yet counts as C. Percentages and floors are
settings (STOCKWISE["COUNT_TOLERANCE_PCT"], ["COUNT_TOLERANCE_MIN_UNITS"])."""

from decimal import Decimal

from django.conf import settings


def effective_class(abc_class: str | None) -> str:
    """The class a tolerance is read for: no class yet counts as C."""
    return abc_class if abc_class in ("A", "B", "C") else "C"


def tolerance_units(abc_class: str | None, expected: int) -> Decimal:
    """How many units a first count may differ from `expected` and still be accurate."""
    cls = effective_class(abc_class)
    pct = Decimal(str(settings.STOCKWISE["COUNT_TOLERANCE_PCT"][cls]))
    floor = Decimal(str(settings.STOCKWISE["COUNT_TOLERANCE_MIN_UNITS"][cls]))
    return max(floor, pct * abs(expected) / 100)


def within_tolerance(abc_class: str | None, *, expected: int, counted: int) -> bool:
    """|counted - expected| <= tolerance of the class (exact decimal arithmetic)."""
    return abs(counted - expected) <= tolerance_units(abc_class, expected)
