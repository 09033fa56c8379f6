"""FIFO stock age per (warehouse, SKU) as of any day (DOMAIN.md "Stock age and slow movers").

Set-based, never a Python replay of the ledger. For each (warehouse, SKU) up to the end of day D:

- every movement with a positive quantity is an inbound layer (RECEIPT, RETURN, TRANSFER_IN and
  positive ADJUSTMENT / COUNT_ADJUSTMENT: the posting service guarantees that the other kinds are
  negative), dated by its calendar day in the warehouse's time zone;
- FIFO consumes the oldest layers first, so after all outbound units `total_out` have been taken,
  a layer survives with `min(qty, cum_in - total_out)` units when `cum_in > total_out`, where
  `cum_in` is the running sum of inbound quantity in occurred_at order. This equals a
  replay whenever stock never went negative, and when it did (a warehouse that allows it), the
  oversold units are taken from the next layer that arrives, which is what a replay would do too.

Negative-stock edge cases (decided here, tested in tests/inventory/test_ageing.py):
- total outbound > total inbound (on_hand < 0): no layer survives, the pair has no age;
- on_hand = 0: no layer survives, no age (oldest_unit_age_days is NULL, never "0 days").

The query is one statement on PostgreSQL and SQLite. The only dialect-specific piece is the
local calendar day of an instant (`_local_date_sql`), applied only to the surviving layers; the
day boundaries of D in each warehouse's time zone are computed in Python and passed as
instants, so the cut-off and the slow-mover sales window compare plain timestamps instead of
converting every ledger row.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection

from inventory.models import Category, MovementKind, Warehouse

# (suffix, lowest age, highest age or None), in days; DOMAIN.md buckets.
BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("0_30", 0, 30),
    ("31_60", 31, 60),
    ("61_90", 61, 90),
    ("91_180", 91, 180),
    ("over_180", 181, None),
)
BUCKET_KEYS = tuple(suffix for suffix, _low, _high in BUCKETS)
_CENT = Decimal("0.01")


@dataclass
class AgeingRow:
    """The age profile of one (warehouse, SKU) with stock on D."""

    warehouse_id: int
    warehouse_code: str
    sku_id: int
    seller_sku: str
    name: str
    category: str
    unit_cost: Decimal
    on_hand: int
    units: dict[str, int]
    oldest_unit_age_days: int | None
    oldest_unit_date: date | None = None
    values: dict[str, Decimal] = field(default_factory=dict)

    def __post_init__(self):
        self.values = {
            key: (self.units[key] * self.unit_cost).quantize(_CENT, ROUND_HALF_UP)
            for key in BUCKET_KEYS
        }

    @property
    def value(self) -> Decimal:
        return sum(self.values.values(), Decimal("0"))

    def as_record(self) -> SimpleNamespace:
        """`as_dict` as attributes, with the names the ageing report's table reads (the
        nightly snapshot's rows carry the same) and the keys it sorts on."""
        return SimpleNamespace(
            **self.as_dict(),
            warehouse_code=self.warehouse_code,
            seller_sku=self.seller_sku,
            oldest_unit_date=self.oldest_unit_date,
            id=(self.warehouse_id, self.sku_id),
        )

    def as_dict(self) -> dict:
        """Flat figures with the DOMAIN.md names (units_0_30 … value_over_180)."""
        flat = {f"units_{key}": self.units[key] for key in BUCKET_KEYS}
        flat.update({f"value_{key}": self.values[key] for key in BUCKET_KEYS})
        return {
            "warehouse": self.warehouse_code,
            "sku": self.seller_sku,
            "name": self.name,
            "category": self.category,
            "on_hand": self.on_hand,
            **flat,
            "value": self.value,
            "oldest_unit_age_days": self.oldest_unit_age_days,
        }


@dataclass(frozen=True)
class _Window:
    warehouse_id: int
    end: datetime  # end of day D in the warehouse's time zone (exclusive)
    sales_start: datetime  # start of the slow-mover sales window (inclusive)


def day_start(day: date, tzname: str) -> datetime:
    """The instant a calendar day starts in a time zone."""
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(tzname))


def _windows(warehouses: Iterable[tuple[int, str]], as_of: date) -> list[_Window]:
    sales_days = settings.STOCKWISE["SLOW_MOVER_SALES_DAYS"]
    return [
        _Window(
            warehouse_id=pk,
            end=day_start(as_of + timedelta(days=1), tzname),
            sales_start=day_start(as_of - timedelta(days=sales_days - 1), tzname),
        )
        for pk, tzname in warehouses
    ]


def _local_date_sql(instant: str, tzname: str) -> str:
    if connection.vendor == "postgresql":
        return f"CAST({instant} AT TIME ZONE {tzname} AS DATE)"
    if connection.vendor == "sqlite":
        # Registered by Django's SQLite backend; SQLite stores instants as UTC text.
        return f"django_datetime_cast_date({instant}, {tzname}, %s)"
    raise NotImplementedError(
        f"ageing is written for PostgreSQL and SQLite, not {connection.vendor}"
    )


def _local_date_params() -> list:
    return [connection.timezone_name] if connection.vendor == "sqlite" else []


def _dt(value: datetime):
    return connection.ops.adapt_datetimefield_value(value)


def _d(value: date):
    return connection.ops.adapt_datefield_value(value)


def _layers_cte(
    windows: list[_Window], as_of: date, *, category_id: int | None, sku_ids: list[int] | None
) -> tuple[str, list]:
    """The WITH clause shared by the selector and the nightly step: `totals` and `aged`.

    How it is shaped, and why (measured on PostgreSQL 15 and SQLite 3.40):
    - the ledger is read twice (all rows for the totals, inbound rows for the running sum)
      rather than through one CTE: materialising the whole history cost more than a 2nd scan;
    - each pair's totals travel to its inbound rows as one extra row per pair (occurred_at
      NULL, sorted first) inside the same running window, not through a join: SQLite has no
      index on a CTE and ran that join as a nested loop (quadratic); PostgreSQL got faster too;
    - `aged` carries each pair's on_hand, so the report does not join it back to `totals`: with
      estimates of a few hundred rows for `aged`, PostgreSQL chose a nested loop over the two
      materialised CTEs and one request at 100k SKUs ran for minutes;
    - the running sum is ordered by occurred_at only: rows tied on occurred_at have the same
      day, so their order cannot change any figure.
    """
    where = " OR ".join("(m.warehouse_id = %s AND m.occurred_at < %s)" for _w in windows)
    where = f"({where})"
    where_params: list = []
    for w in windows:
        where_params += [w.warehouse_id, _dt(w.end)]
    if category_id is not None:
        where += " AND m.sku_id IN (SELECT id FROM inventory_sku WHERE category_id = %s)"
        where_params.append(category_id)
    if sku_ids is not None:
        where += f" AND m.sku_id IN ({', '.join(['%s'] * len(sku_ids))})"
        where_params += list(sku_ids)
    in_sales_window = " OR ".join("(m.warehouse_id = %s AND m.occurred_at >= %s)" for _w in windows)
    params: list = [MovementKind.SALE.value]
    for w in windows:
        params += [w.warehouse_id, _dt(w.sales_start)]
    params += where_params  # totals
    params += where_params  # inbound
    params += _local_date_params()

    bounds = [_d(as_of - timedelta(days=low)) for _s, low, _h in BUCKETS[1:]]
    # age = D - layer_date: layer_date > D-31 is 0-30 days old, <= D-31 and > D-61 is 31-60,
    # …, <= D-181 is over 180.
    bucket_sql = [f"SUM(CASE WHEN layer_date > %s THEN units ELSE 0 END) AS units_{BUCKETS[0][0]}"]
    bucket_params = [bounds[0]]
    for (suffix, _low, _high), upper, lower in zip(BUCKETS[1:-1], bounds, bounds[1:], strict=False):
        bucket_sql.append(
            f"SUM(CASE WHEN layer_date <= %s AND layer_date > %s THEN units ELSE 0 END)"
            f" AS units_{suffix}"
        )
        bucket_params += [upper, lower]
    bucket_sql.append(
        f"SUM(CASE WHEN layer_date <= %s THEN units ELSE 0 END) AS units_{BUCKETS[-1][0]}"
    )
    bucket_params.append(bounds[-1])
    params += bucket_params

    # Only constant fragments and placeholders are formatted in; every value is a parameter.
    sql = f"""
    WITH totals AS (
        SELECT m.warehouse_id, m.sku_id,
            SUM(m.quantity) AS on_hand,
            SUM(CASE WHEN m.quantity < 0 THEN -m.quantity ELSE 0 END) AS total_out,
            SUM(CASE WHEN m.kind = %s AND ({in_sales_window}) THEN -m.quantity ELSE 0 END)
                AS sold_recent
        FROM inventory_stockmovement m
        WHERE {where}
        GROUP BY m.warehouse_id, m.sku_id
    ),
    flow AS (
        SELECT m.warehouse_id, m.sku_id, m.occurred_at, m.quantity, 0 AS total_out, 0 AS on_hand
        FROM inventory_stockmovement m
        WHERE {where} AND m.quantity > 0
        UNION ALL
        SELECT warehouse_id, sku_id, NULL, 0, total_out, on_hand FROM totals WHERE on_hand > 0
    ),
    inbound AS (
        SELECT warehouse_id, sku_id, occurred_at, quantity,
            SUM(quantity) OVER running AS cum_in,
            MAX(total_out) OVER running AS total_out,
            MAX(on_hand) OVER running AS on_hand
        FROM flow
        WINDOW running AS (
            PARTITION BY sku_id, warehouse_id ORDER BY occurred_at NULLS FIRST
            ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
        )
    ),
    layers AS (
        SELECT i.warehouse_id, i.sku_id,
            {_local_date_sql("i.occurred_at", "w.timezone")} AS layer_date,
            CASE WHEN i.cum_in - i.total_out < i.quantity
                 THEN i.cum_in - i.total_out ELSE i.quantity END AS units,
            i.on_hand
        FROM inbound i
        JOIN inventory_warehouse w ON w.id = i.warehouse_id
        WHERE i.quantity > 0 AND i.on_hand > 0 AND i.cum_in > i.total_out
    ),
    aged AS (
        SELECT warehouse_id, sku_id,
            {", ".join(bucket_sql)},
            MIN(layer_date) AS oldest_date,
            MAX(on_hand) AS on_hand
        FROM layers
        GROUP BY warehouse_id, sku_id
    )
    """  # noqa: S608 (constant fragments and placeholders only; values are parameters)
    return sql, params


def ageing_rows(
    warehouses: Iterable[Warehouse],
    as_of: date,
    *,
    category: Category | int | None = None,
    sku_ids: Iterable[int] | None = None,
) -> list[AgeingRow]:
    """Per (warehouse, SKU) with stock at the end of `as_of`: units and value per age bucket
    and the age of the oldest unit, by FIFO. One statement, whatever the number of SKUs.

    Callers pass only warehouses the user may see (the selector does not scope by user).
    """
    windows = _windows(((w.pk, w.timezone) for w in warehouses), as_of)
    sku_list = list(sku_ids) if sku_ids is not None else None
    if not windows or sku_list == []:
        return []
    category_id = category.pk if isinstance(category, Category) else category
    cte, params = _layers_cte(windows, as_of, category_id=category_id, sku_ids=sku_list)
    units = ", ".join(f"a.units_{key}" for key in BUCKET_KEYS)
    sql = f"""{cte}
    SELECT a.warehouse_id, w.code, a.sku_id, s.seller_sku, s.name, COALESCE(c.name, ''),
        s.unit_cost, a.on_hand, {units}, a.oldest_date
    FROM aged a
    JOIN inventory_warehouse w ON w.id = a.warehouse_id
    JOIN inventory_sku s ON s.id = a.sku_id
    LEFT JOIN inventory_category c ON c.id = s.category_id
    ORDER BY w.code, s.seller_sku
    """  # noqa: S608 (constant fragments and placeholders only; values are parameters)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        fetched = cursor.fetchall()
    rows = []
    for record in fetched:
        (wh_id, code, sku_id, seller_sku, name, cat, cost, on_hand, *bucket_units, oldest) = record
        if isinstance(oldest, str):
            oldest = date.fromisoformat(oldest)
        rows.append(
            AgeingRow(
                warehouse_id=wh_id,
                warehouse_code=code,
                sku_id=sku_id,
                seller_sku=seller_sku,
                name=name,
                category=cat,
                unit_cost=cost if isinstance(cost, Decimal) else Decimal(str(cost)),
                on_hand=int(on_hand),
                units={k: int(v) for k, v in zip(BUCKET_KEYS, bucket_units, strict=True)},
                oldest_unit_age_days=(as_of - oldest).days if oldest else None,
                oldest_unit_date=oldest,
            )
        )
    return rows


@dataclass
class BucketTotals:
    label: str
    units: dict[str, int]
    values: dict[str, Decimal]


def bucket_totals(rows: Iterable[AgeingRow], by: str) -> list[BucketTotals]:
    """Sum the rows per warehouse code or per category (for the stacked bar charts)."""
    units: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(BUCKET_KEYS, 0))
    values: dict[str, dict[str, Decimal]] = defaultdict(
        lambda: dict.fromkeys(BUCKET_KEYS, Decimal("0"))
    )
    for row in rows:
        label = row.warehouse_code if by == "warehouse" else row.category
        for key in BUCKET_KEYS:
            units[label][key] += row.units[key]
            values[label][key] += row.values[key]
    return [BucketTotals(label, units[label], values[label]) for label in sorted(units)]


def ageing_facts_update(as_of: date) -> int:
    """Nightly step: write the oldest unit's day, the units per age bucket,
    units_sold_slow_window and slow_mover into every SkuFacts row, as of the end of `as_of`.
    Returns the number of rows written.

    The heavy read is materialised in a temporary table first (CREATE TABLE AS may run in
    parallel on PostgreSQL, an UPDATE never does), then UPDATE … FROM writes it back. The read
    does not join SkuFacts: its rows were just inserted by the first step, so the planner has
    no statistics for them and would re-run the whole ageing per facts row.
    """
    from inventory.ageing_slide import ageing_slide
    from inventory.window import run_state

    # The demand step slid the window and the last run aged every pair: move the ages forward.
    run = run_state(as_of)
    if run is not None and run.previous_completed:
        return ageing_slide(as_of)
    params_cfg = settings.STOCKWISE
    windows = _windows(Warehouse.objects.values_list("pk", "timezone"), as_of)
    if not windows:
        return 0
    cte, params = _layers_cte(windows, as_of, category_id=None, sku_ids=None)
    slow_before = _d(as_of - timedelta(days=params_cfg["SLOW_MOVER_AGE_DAYS"]))
    select = f"""{cte}
    SELECT t.warehouse_id, t.sku_id,
        a.oldest_date,
        {", ".join(f"COALESCE(a.units_{key}, 0) AS units_{key}" for key in BUCKET_KEYS)},
        t.sold_recent,
        CASE WHEN t.on_hand > 0 AND a.oldest_date < %s AND t.sold_recent <= %s
             THEN TRUE ELSE FALSE END AS slow
    FROM totals t
    LEFT JOIN aged a ON a.warehouse_id = t.warehouse_id AND a.sku_id = t.sku_id
    """  # noqa: S608 (constant fragments and placeholders only; values are parameters)
    params += [slow_before, params_cfg["SLOW_MOVER_MAX_SALES"]]
    same_pair = (
        "t.warehouse_id = inventory_skufacts.warehouse_id AND t.sku_id = inventory_skufacts.sku_id"
    )
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS sw_ageing_facts")
        cursor.execute(f"CREATE TEMPORARY TABLE sw_ageing_facts AS {select}", params)
        cursor.execute(
            "CREATE INDEX sw_ageing_facts_pair ON sw_ageing_facts (warehouse_id, sku_id)"
        )
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE sw_ageing_facts")
        cursor.execute(
            f"""
            UPDATE inventory_skufacts
            SET oldest_unit_date = t.oldest_date,
                {", ".join(f"units_{key} = t.units_{key}" for key in BUCKET_KEYS)},
                units_sold_slow_window = t.sold_recent,
                slow_mover = t.slow
            FROM sw_ageing_facts t
            WHERE {same_pair}
            """  # noqa: S608
        )
        written = cursor.rowcount
        # Pairs with no movement up to D (a balance that started later): no stock, no age.
        cursor.execute(
            f"""
            UPDATE inventory_skufacts
            SET oldest_unit_date = NULL, units_sold_slow_window = 0,
                slow_mover = FALSE, {", ".join(f"units_{key} = 0" for key in BUCKET_KEYS)}
            WHERE NOT EXISTS (SELECT 1 FROM sw_ageing_facts t WHERE {same_pair})
            """  # noqa: S608
        )
        written += cursor.rowcount
        cursor.execute("DROP TABLE sw_ageing_facts")
    return written
