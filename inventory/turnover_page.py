"""The turnover table's SKU rows a page at a time, sorted and counted in SQL (PostgreSQL).

At 100k SKUs the page built an exact `TurnoverRow` for every SKU to show 50 of them, then
sorted them in Python: 1.5 s on top of the statement. Here the statement's rows stay in the
database: it computes each row's sort keys (the figures of `turnover.turnover_figures` in
`numeric`, rounded half up as they are), the count and the totals, and returns only the page's
rows, whose figures `turnover._from_raw` then computes in Python — the same exact code as every
other page, export and the API, so what is shown never depends on the database's arithmetic.

The order is the one `TurnoverRowsData` gives the whole list: the chosen columns with undefined
figures last either way, then worst offenders first (`turnover.worst_first`), then the
statement's own order; labels compare by code point (`COLLATE "C"`), as Python's strings do.
SQLite, exports and the smaller groupings keep building every row in Python.
"""

from __future__ import annotations

from django.db import connection
from django_tables2.data import TableData
from django_tables2.utils import OrderBy

from inventory import turnover_sql
from inventory.turnover import (
    Grouping,
    Period,
    TurnoverRow,
    _dec,
    _from_raw,
    band_limits,
    business_row,
)

# Each row's figures as sort keys, over `n` = the period's days (the statement's one bucket):
# n × average inventory value is exact (opening × n + the weighted movements), so the band is
# decided by products alone, as exactly as Python's decimals decide it, and the rounded
# figures divide once each, with PostgreSQL's numeric (at least 16 significant digits).
_PAGE_SQL = """
WITH raw AS ({statement}),
rows AS (
    SELECT raw.*,
           CAST(raw.cogs_e4 AS numeric) / 10000 AS cogs,
           raw.opening_value * {days} + raw.w_value AS average_n,
           COALESCE(raw.band_min, %s) AS low,
           COALESCE(raw.band_max, %s) AS high
    FROM raw
),
keyed AS MATERIALIZED (
    SELECT r.*,
           CASE WHEN r.average_n <= 0 THEN NULL
                WHEN r.cogs * 365 < r.low * r.average_n THEN 'below'
                WHEN r.cogs * 365 > r.high * r.average_n THEN 'above'
                ELSE 'in' END AS band,
           CASE WHEN r.average_n > 0 AND r.cogs > 0 THEN ROUND(r.average_n / r.cogs, 1) END
               AS dio{extra_keys}
    FROM rows r
    WHERE r.cogs_e4 <> 0 OR r.average_n <> 0
),
totals AS (
    SELECT COUNT(*) AS n, SUM(cogs_e4) AS cogs_e4, SUM(opening_value) AS opening,
           SUM(w_value) AS w_value, SUM(value) AS value_now
    FROM keyed
)
SELECT t.n, t.cogs_e4, t.opening, t.w_value, t.value_now,
       p.g1, p.g2, p.bucket, p.n_days, p.value, p.opening_value, p.w_value, p.cogs_e4,
       p.label, p.detail, p.band_min, p.band_max
FROM totals t
LEFT JOIN LATERAL (
    SELECT * FROM keyed k
    ORDER BY {order}
    LIMIT %s OFFSET %s
) p ON true
"""
# The rounded ratios, computed only when the table is sorted by them.
_RATIO_KEYS = {
    "turnover": "CASE WHEN r.average_n > 0 THEN ROUND(r.cogs * {days} / r.average_n, 3) END",
    "annualised_turnover": (
        "CASE WHEN r.average_n > 0 THEN ROUND(r.cogs * 365 / r.average_n, 3) END"
    ),
}

# Worst offenders first (`turnover.worst_first`): below the band with the most capital first,
# then above, then in the band by longest DIO; an undefined DIO counts as infinite.
_WORST_FIRST = (
    "CASE k.band WHEN 'below' THEN 0 WHEN 'above' THEN 1 WHEN 'in' THEN 2 ELSE 3 END",
    "CASE WHEN k.band = 'below' THEN -k.average_n ELSE -COALESCE(k.dio, 'Infinity') END",
    "CASE WHEN k.band = 'below' THEN -COALESCE(k.dio, 'Infinity') ELSE -k.average_n END",
    "COALESCE(k.label, '') COLLATE \"C\"",
    "k.g1",
    "k.g2",
)
# The table's columns as the keyed rows hold them; text by code point, as Python compares.
_SORT_KEYS = {
    "label": "COALESCE(k.label, '') COLLATE \"C\"",
    "detail": "COALESCE(k.detail, '') COLLATE \"C\"",
    "cogs": "k.cogs",
    "average_inventory_value": "k.average_n",
    "stock_value_now": "k.value",
    "turnover": "k.turnover",
    "annualised_turnover": "k.annualised_turnover",
    "dio": "k.dio",
    "band": 'k.band COLLATE "C"',
}


def pages_in_sql(grouping: str) -> bool:
    """Whether the turnover table of `grouping` reads its rows a page at a time."""
    return connection.vendor == "postgresql" and Grouping(grouping) == Grouping.SKU


def order_sql(orders) -> str:
    """ORDER BY terms for `orders` (django-tables2 `OrderBy`s, most significant first)."""
    terms = []
    for order in orders:
        key = _SORT_KEYS[order.bare]
        direction = " DESC" if order.is_descending else ""
        terms += [f"({key}) IS NULL", f"{key}{direction}"]
    return ", ".join([*terms, *_WORST_FIRST])


class TurnoverPage:
    """One statement's answer: the rows of a page, the count and the totals of all rows."""

    def __init__(self, raw_rows: list[tuple], period: Period):
        first = raw_rows[0]
        self.count = int(first[0])
        default_band = band_limits()
        self.rows: list[TurnoverRow] = [
            _from_raw(row[5:], period, Grouping.SKU, default_band)
            for row in raw_rows
            if row[5] is not None
        ]
        cogs_e4, opening, w_value, value_now = (_dec(v) for v in first[1:5])
        self.total = business_row(
            period,
            cogs=cogs_e4 / 10000,
            average=opening + w_value / period.days,
            value_now=value_now,
        )


def read_page(
    *, warehouses, period: Period, orders=(), offset: int = 0, limit: int = 50
) -> TurnoverPage:
    """The SKU rows `offset`..`offset + limit` of the turnover table in the given order."""
    statement, params = turnover_sql.turnover_sql(
        list(warehouses), [(period.start, period.end)], Grouping.SKU, ordered=False
    )
    low, high = band_limits()
    days = int(period.days)
    ratios = {order.bare for order in orders} & set(_RATIO_KEYS)
    sql = _PAGE_SQL.format(
        statement=statement,
        days=days,
        extra_keys="".join(
            f",\n           {_RATIO_KEYS[name].format(days=days)} AS {name}"
            for name in sorted(ratios)
        ),
        order=order_sql(orders),
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, low, high, int(limit), int(offset)])
        return TurnoverPage(cursor.fetchall(), period)


class TurnoverPageData(TableData):
    """The turnover table's rows for django-tables2, read a page at a time (`read_page`).

    The paginator asks for the count before the page: the page the request names (`expected`,
    an offset and a size) is read with it in one statement; another slice (a page number past
    the end falls back to the last page) is read with its own."""

    def __init__(self, *, warehouses, period: Period, expected: tuple[int, int]):
        super().__init__(data=[])
        self.warehouses, self.period = list(warehouses), period
        self.expected = expected
        self.orders = []
        self._pages: dict[tuple[int, int], TurnoverPage] = {}

    def order_by(self, aliases):
        self.orders = column_orders(self.table, aliases)
        self._pages.clear()

    def page(self, offset: int, limit: int) -> TurnoverPage:
        if (offset, limit) not in self._pages:
            self._pages[offset, limit] = read_page(
                warehouses=self.warehouses,
                period=self.period,
                orders=self.orders,
                offset=offset,
                limit=limit,
            )
        return self._pages[offset, limit]

    @property
    def total(self) -> TurnoverRow:
        return self.page(*self.expected).total

    def __len__(self):
        return self.page(*self.expected).count

    def __getitem__(self, key):
        if not isinstance(key, slice) or key.step not in (None, 1):
            raise TypeError("turnover rows are read by page")
        start, stop, _step = key.indices(len(self))
        size = max(stop - start, 0)
        offset, limit = self.expected
        if start == offset and size <= limit:  # the last page is cut at the count
            return self.page(offset, limit).rows[:size]
        return self.page(start, size).rows

    def __iter__(self):
        return iter(self[:])


def column_orders(table, aliases) -> list[OrderBy]:
    """The `OrderBy`s of `aliases` as the library reads a column's own ordering."""
    orders = []
    for alias in aliases:
        bound_column = table.columns[OrderBy(alias).bare]
        if alias[0] != bound_column.order_by_alias[0]:
            orders += bound_column.order_by.opposite
        else:
            orders += bound_column.order_by
    return orders
