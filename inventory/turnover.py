"""Inventory turnover (DOMAIN.md "Turnover"): COGS / average inventory value over a period.

For a period P of N calendar days (start..end, inclusive, each day in the warehouse's own time
zone) and a grouping (SKU, category, warehouse, whole business):

- COGS_P = Σ SALE units × unit cost at posting − Σ RETURN units × unit cost at posting, in P.
  A sale's quantity is negative, so COGS_P = −Σ quantity × unit cost over SALE and RETURN rows.
- Average inventory value = mean over the N days of the closing on-hand × the SKU's unit cost
  (its current cost, not the cost at posting).
- Turnover = COGS / average inventory value; annualised = turnover × 365 / N; DIO = N / turnover.
- Band: annualised turnover below `TURNOVER_MIN`, in the band (bounds included), or above
  `TURNOVER_MAX`; a category's own `turnover_min` / `turnover_max` replace the global value where
  set (SKU and category groupings; warehouses and the whole business use the global band).

Edge cases, decided here once so pages, exports, the API and the nightly flag agree:
- Average inventory value ≤ 0 (nothing held, or negative stock in a warehouse that allows it):
  turnover, annualised turnover, DIO and band are all null (shown as "—"). Sales without stock
  are not a turnover figure.
- COGS = 0 with stock held: turnover 0, annualised 0, DIO null (infinite, shown "—"), band
  "below" (capital that did not work at all).
- COGS < 0 (more returned than sold in P): turnover is negative as computed, DIO null, band "below".
- A group with neither stock nor COGS in P is left out of the rows.

How: closing_d = opening + Σ movements on or before day d, so Σ_d closing_d = N × opening +
Σ_movements qty × (days of P on or after the movement's day): average closing = opening +
Σ qty × days_remaining / N. No SKU × day grid is built; `inventory.turnover_sql` holds the
statement. Its opening is the balance now minus every movement since the start (the balance
equals the ledger sum: `check_ledger` proves it nightly), so it reads the ledger from the period
start on, never the whole history.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from inventory import turnover_sql
from inventory.links import pk_url
from inventory.models import TurnoverBand as Band
from inventory.models import Warehouse

__all__ = [
    "Band",
    "Grouping",
    "Period",
    "TurnoverRow",
    "band_limits",
    "business_row",
    "combine_rows",
    "month_periods",
    "turnover_figures",
    "turnover_rows",
    "turnover_series",
    "turnover_total",
    "turnover_trend",
    "worst_first",
]

# Longest period we answer: three years and a day. Longer periods would make the statement's
# table of period days too large for SQLite's parameter limit, and say little anyway.
MAX_PERIOD_DAYS = 3 * 365 + 1
DAYS_PER_YEAR = 365

_RATIO = Decimal("0.001")
_DAYS = Decimal("0.1")


class Grouping(models.TextChoices):
    SKU = turnover_sql.GROUP_SKU, _("SKU")
    CATEGORY = turnover_sql.GROUP_CATEGORY, _("Category")
    WAREHOUSE = turnover_sql.GROUP_WAREHOUSE, _("Warehouse")
    BUSINESS = turnover_sql.GROUP_BUSINESS, _("Whole business")
    # The nightly flag looks at each category within each warehouse (never across warehouses,
    # so that a manager's notice holds only figures of their warehouses).
    WAREHOUSE_CATEGORY = turnover_sql.GROUP_WAREHOUSE_CATEGORY, _("Category in warehouse")


PUBLIC_GROUPINGS = [
    Grouping.SKU,
    Grouping.CATEGORY,
    Grouping.WAREHOUSE,
    Grouping.BUSINESS,
]


@dataclass(frozen=True)
class Period:
    """Calendar days start..end inclusive, each read in the warehouse's own time zone."""

    start: date
    end: date

    def __post_init__(self):
        if self.start > self.end:
            raise ValidationError(_("The period must start on or before its end."))
        if self.days > MAX_PERIOD_DAYS:
            raise ValidationError(
                _("The period may be at most %(max)d days long.") % {"max": MAX_PERIOD_DAYS}
            )

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @classmethod
    def trailing(cls, days: int, end: date | None = None) -> Period:
        """The `days` days ending with `end` (default: today)."""
        end = end or timezone.localdate()
        return cls(end - timedelta(days=days - 1), end)

    def bounds(self, tz_name: str) -> tuple[datetime, datetime]:
        """[start, end) as instants: local midnight of the first day and of the day after."""
        tz = ZoneInfo(tz_name)
        return (
            datetime.combine(self.start, time.min, tz),
            datetime.combine(self.end + timedelta(days=1), time.min, tz),
        )


@dataclass(frozen=True)
class Figures:
    turnover: Decimal | None
    annualised_turnover: Decimal | None
    dio: Decimal | None
    band: str | None


def _dec(value) -> Decimal:
    if value is None:
        return Decimal(0)
    if isinstance(value, Decimal):
        return value
    return Decimal(str(value))  # SQLite answers floats


def band_limits(category_min=None, category_max=None) -> tuple[Decimal, Decimal]:
    """The healthy band: the category's bounds where set, else TURNOVER_MIN / TURNOVER_MAX."""
    params = settings.STOCKWISE
    low = category_min if category_min is not None else params["TURNOVER_MIN"]
    high = category_max if category_max is not None else params["TURNOVER_MAX"]
    return _dec(low), _dec(high)


def turnover_figures(
    *, cogs: Decimal, average_inventory_value: Decimal, days: int, band_min, band_max
) -> Figures:
    """Turnover, annualised turnover, DIO and band of one row (module docstring: edge cases)."""
    if average_inventory_value <= 0:
        return Figures(None, None, None, None)
    # Each figure straight from the inputs (not from a rounded turnover), rounded half up.
    turnover = cogs / average_inventory_value
    annualised = cogs * DAYS_PER_YEAR / (average_inventory_value * days)
    dio = days * average_inventory_value / cogs if cogs > 0 else None
    if annualised < band_min:
        band = Band.BELOW
    elif annualised > band_max:
        band = Band.ABOVE
    else:
        band = Band.IN
    return Figures(
        turnover.quantize(_RATIO, ROUND_HALF_UP),
        annualised.quantize(_RATIO, ROUND_HALF_UP),
        dio.quantize(_DAYS, ROUND_HALF_UP) if dio is not None else None,
        band.value,
    )


@dataclass(frozen=True)
class TurnoverRow:
    """One group's turnover over a period (or one month of a trend).

    `cogs`, `average_inventory_value` and `stock_value_now` are exact (not rounded), so rows add
    up to the whole business exactly; pages and the API round them to cents.
    """

    grouping: str
    key: tuple[int, int]
    label: str
    detail: str
    start: date
    end: date
    days: int
    cogs: Decimal
    average_inventory_value: Decimal
    stock_value_now: Decimal
    band_min: Decimal
    band_max: Decimal
    turnover: Decimal | None
    annualised_turnover: Decimal | None
    dio: Decimal | None
    band: str | None

    @property
    def url(self) -> str:
        """The page behind the row: the SKU, the category's SKU list, the warehouse."""
        if self.grouping == Grouping.SKU:
            return pk_url("inventory:sku_detail", self.key[0])
        if self.grouping == Grouping.CATEGORY and self.key[0]:
            return f"{reverse('inventory:sku_list')}?category={self.key[0]}"
        if self.grouping == Grouping.WAREHOUSE:
            return reverse("inventory:warehouse_detail", args=[self.label])
        return ""

    def as_dict(self) -> dict:
        """The fields as a dict (tables, exports); the `url` property is left to the caller."""
        return dict(self.__dict__)  # the fields only (no slots, no other attributes)


def _build_row(
    *,
    grouping: str,
    key: tuple[int, int],
    label: str,
    detail: str,
    period: Period,
    cogs: Decimal,
    average: Decimal,
    value_now: Decimal,
    band: tuple[Decimal, Decimal],
) -> TurnoverRow:
    figures = turnover_figures(
        cogs=cogs,
        average_inventory_value=average,
        days=period.days,
        band_min=band[0],
        band_max=band[1],
    )
    return TurnoverRow(
        grouping=grouping,
        key=key,
        label=label,
        detail=detail,
        start=period.start,
        end=period.end,
        days=period.days,
        cogs=cogs,
        average_inventory_value=average,
        stock_value_now=value_now,
        band_min=band[0],
        band_max=band[1],
        turnover=figures.turnover,
        annualised_turnover=figures.annualised_turnover,
        dio=figures.dio,
        band=figures.band,
    )


def _from_raw(
    raw: tuple, period: Period, grouping: str, default_band: tuple[Decimal, Decimal] | None = None
) -> TurnoverRow:
    g1, g2, _bucket, n_days, value_now, opening, weighted, cogs_e4, label, detail, cmin, cmax = raw
    low, high = default_band or band_limits()
    if grouping == Grouping.BUSINESS:
        label = str(_("Whole business"))
    elif grouping == Grouping.CATEGORY and label is None:
        label = str(_("Uncategorised"))
    elif grouping == Grouping.WAREHOUSE_CATEGORY and detail is None:
        detail = str(_("Uncategorised"))
    return _build_row(
        grouping=grouping,
        key=(int(g1), int(g2)),
        label=label or "",
        detail=detail or "",
        period=period,
        cogs=_dec(cogs_e4) / 10000,
        average=_dec(opening) + _dec(weighted) / n_days,
        value_now=_dec(value_now),
        band=(_dec(cmin) if cmin is not None else low, _dec(cmax) if cmax is not None else high),
    )


def turnover_rows(
    *, warehouses: Iterable[Warehouse], period: Period, grouping: str = Grouping.SKU
) -> list[TurnoverRow]:
    """Turnover per group over `period` in `warehouses` (pass only warehouses the user may see).

    One statement whatever the number of SKUs. Groups with no stock and no COGS in the period
    are left out; the rest come worst offenders first (`worst_first`).
    """
    grouping = Grouping(grouping)
    warehouses = list(warehouses)
    if not warehouses:
        return []
    [raw_rows] = turnover_sql.run_turnover_sql(warehouses, [(period.start, period.end)], grouping)
    default_band = band_limits()
    rows = [_from_raw(raw, period, grouping, default_band) for raw in raw_rows]
    if grouping != Grouping.BUSINESS:
        rows = [r for r in rows if r.cogs or r.average_inventory_value]
    return worst_first(rows)


def combine_rows(rows: Iterable[TurnoverRow], period: Period) -> TurnoverRow:
    """The whole business from the rows of any grouping: COGS and average value add up."""
    rows = list(rows)
    return business_row(
        period,
        cogs=sum((r.cogs for r in rows), Decimal(0)),
        average=sum((r.average_inventory_value for r in rows), Decimal(0)),
        value_now=sum((r.stock_value_now for r in rows), Decimal(0)),
    )


def business_row(
    period: Period, *, cogs: Decimal, average: Decimal, value_now: Decimal
) -> TurnoverRow:
    """The whole business's row from its summed COGS, average and current stock value."""
    return _build_row(
        grouping=Grouping.BUSINESS,
        key=(0, 0),
        label=str(_("Whole business")),
        detail="",
        period=period,
        cogs=cogs,
        average=average,
        value_now=value_now,
        band=band_limits(),
    )


def turnover_total(*, warehouses: Iterable[Warehouse], period: Period) -> TurnoverRow:
    """The given warehouses together over `period` (one statement)."""
    rows = turnover_rows(warehouses=warehouses, period=period, grouping=Grouping.BUSINESS)
    return rows[0] if rows else combine_rows([], period)


def month_periods(end: date, months: int = 12) -> list[Period]:
    """The `months` calendar months up to `end`, the last one cut at `end`."""
    periods = []
    year, month = end.year, end.month
    for _i in range(months):
        last_day = date(year, month, calendar.monthrange(year, month)[1])
        periods.append(Period(date(year, month, 1), min(last_day, end)))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return periods[::-1]


def turnover_series(*, warehouses: Iterable[Warehouse], periods: list[Period]) -> list[TurnoverRow]:
    """Whole-business turnover for each of consecutive `periods`, in one statement (one read of
    the ledger from the first period's start)."""
    for before, after in zip(periods, periods[1:], strict=False):
        if after.start != before.end + timedelta(days=1):
            raise ValueError("periods must follow one another without gaps")
    warehouses = list(warehouses)
    per_bucket = turnover_sql.run_turnover_sql(
        warehouses, [(p.start, p.end) for p in periods], Grouping.BUSINESS
    )
    return [
        _from_raw(raw_rows[0], period, Grouping.BUSINESS) if raw_rows else combine_rows([], period)
        for period, raw_rows in zip(periods, per_bucket, strict=True)
    ]


def turnover_trend(
    *, warehouses: Iterable[Warehouse], end: date | None = None, months: int = 12
) -> list[TurnoverRow]:
    """Whole-business turnover per calendar month up to `end` (one statement)."""
    periods = month_periods(end or timezone.localdate(), months)
    return turnover_series(warehouses=warehouses, periods=periods)


_BAND_ORDER = {Band.BELOW: 0, Band.ABOVE: 1, Band.IN: 2, None: 3}


def worst_first(rows: list[TurnoverRow]) -> list[TurnoverRow]:
    """Worst offenders first: below the band (no sales included) with the most capital tied up
    (average inventory value) first; then above the band; then the rest, longest DIO first."""

    def key(row: TurnoverRow):
        dio = row.dio if row.dio is not None else Decimal("Infinity")
        if row.band == Band.BELOW:
            return (0, -row.average_inventory_value, -dio, row.label)
        return (_BAND_ORDER[row.band], -dio, -row.average_inventory_value, row.label)

    return sorted(rows, key=key)
