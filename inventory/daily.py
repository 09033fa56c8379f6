"""The daily per-(warehouse, SKU) rollup of the ledger (`DailyStock`): kept by the posting
service, built in bulk from the ledger by the seed and by `recompute --full`.

A day is the calendar day of the movement in its warehouse's time zone. Per day: units sold
(SALE), returned (RETURN), in (every positive quantity: the FIFO layers of DOMAIN.md "Stock
age") and out, and SALE/RETURN value at posting cost in 1/10,000 of the currency (integers, so
ABC and turnover compare exactly on SQLite too).
"""

from collections import defaultdict
from zoneinfo import ZoneInfo

from django.db import connection

from inventory.bulk_sql import binary_cursor
from inventory.models import MovementKind, StockMovement

SCALE = 10_000
_LOCAL_DAY = {
    "postgresql": "CAST(m.occurred_at AT TIME ZONE w.timezone AS DATE)",
    "sqlite": "django_datetime_cast_date(m.occurred_at, w.timezone, 'UTC')",
}
_COLUMNS = "warehouse_id, sku_id, day, sold, returned, inflow, outflow, cogs_e4, touched"

# Every (warehouse, SKU, day) of the ledger, summed; {where} narrows the movements.
_FROM_LEDGER_SQL = """
SELECT m.warehouse_id, m.sku_id, {local_day} AS day,
       SUM(CASE WHEN m.kind = 'SALE' THEN -m.quantity ELSE 0 END) AS sold,
       SUM(CASE WHEN m.kind = 'RETURN' THEN m.quantity ELSE 0 END) AS returned,
       SUM(CASE WHEN m.quantity > 0 THEN m.quantity ELSE 0 END) AS inflow,
       SUM(CASE WHEN m.quantity < 0 THEN -m.quantity ELSE 0 END) AS outflow,
       SUM(CASE WHEN m.kind IN ('SALE', 'RETURN')
                THEN -m.quantity * CAST(ROUND(m.unit_cost * {scale}) AS BIGINT) ELSE 0 END)
           AS cogs_e4,
       {touched} AS touched
FROM inventory_stockmovement m
JOIN inventory_warehouse w ON w.id = m.warehouse_id
{where}
GROUP BY m.warehouse_id, m.sku_id, {local_day}
"""


def from_ledger_sql(*, where: str = "", touched: bool = False) -> str:
    """SELECT of the rollup rows computed from the ledger (columns as `_COLUMNS`)."""
    return _FROM_LEDGER_SQL.format(
        local_day=_LOCAL_DAY[connection.vendor],
        scale=SCALE,
        touched="TRUE" if touched else "FALSE",
        where=where,
    )


def daily_stock_build(*, where: str = "", params=None) -> int:
    """Insert the rollup rows of the movements matching `where` (all by default), in bulk.

    For pairs with no rollup rows yet (a seed) or after deleting them (a rebuild). Returns the
    number of rows written.
    """
    with connection.cursor() as cursor:
        # In day order, as the posting service appends them: the nightly job reads the rollup
        # by day (the days entering and leaving the window), and a seed laid out per SKU spread
        # each day's rows over every page of the table (the steady night read 2-3x the pages).
        cursor.execute(
            f"INSERT INTO inventory_dailystock ({_COLUMNS}) "  # noqa: S608 - fixed text
            f"SELECT * FROM ({from_ledger_sql(where=where)}) r ORDER BY r.day",
            params or [],
        )
        return cursor.rowcount


def daily_stock_prove_and_repair() -> int:
    """Rebuild the rollup from the ledger and count the (warehouse, SKU, day) rows where the
    kept one differed; replace it only then. Returns the number of rows that differed.

    One GROUP BY over the ledger into a temporary table and a full outer join: the proof that
    what the posting service kept equals a rebuild (`recompute --full` runs it).
    """
    wrong = daily_stock_mismatches(keep=True)
    with connection.cursor() as cursor:
        if wrong:
            cursor.execute("DELETE FROM inventory_dailystock")
            cursor.execute(
                f"INSERT INTO inventory_dailystock ({_COLUMNS}) "  # noqa: S608 - fixed text
                f"SELECT {_COLUMNS} FROM sw_daily_rebuilt ORDER BY day"
            )
        cursor.execute("DROP TABLE sw_daily_rebuilt")
    return wrong


def daily_stock_mismatches(*, keep: bool = False) -> int:
    """How many (warehouse, SKU, day) rows of the kept rollup differ from the ledger's.

    With `keep`, the rebuilt rows stay in the temporary table `sw_daily_rebuilt`.
    """
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS sw_daily_rebuilt")
        cursor.execute(f"CREATE TEMP TABLE sw_daily_rebuilt AS {from_ledger_sql()}")
        cursor.execute(
            """
            SELECT COUNT(*) FROM inventory_dailystock d
            FULL OUTER JOIN sw_daily_rebuilt r
              ON r.warehouse_id = d.warehouse_id AND r.sku_id = d.sku_id AND r.day = d.day
            WHERE d.day IS NULL OR r.day IS NULL
               OR d.sold <> r.sold OR d.returned <> r.returned OR d.inflow <> r.inflow
               OR d.outflow <> r.outflow OR d.cogs_e4 <> r.cogs_e4
            """
        )
        wrong = cursor.fetchone()[0]
        if not keep:
            cursor.execute("DROP TABLE sw_daily_rebuilt")
    return wrong


def daily_stock_record(rows: list[StockMovement]) -> None:
    """Add just-inserted movements to their days: one upsert per (warehouse, SKU, local day).

    Called by the posting service inside its transaction, after it locked the balance rows of
    these pairs, so two postings of one pair cannot race on a day row.
    """
    days = day_sums(rows)
    if not days:
        return
    if connection.vendor == "postgresql":
        with binary_cursor() as cursor:
            cursor.execute(*daily_upsert_sql(days, placeholder="%b"))
        return
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO inventory_dailystock ({_COLUMNS}) "  # noqa: S608 - fixed text
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, TRUE) " + _UPSERT,
            [
                (w, s, connection.ops.adapt_datefield_value(d), *sums)
                for (w, s, d), sums in days.items()
            ],
        )


_UPSERT = (
    "ON CONFLICT (warehouse_id, sku_id, day) DO UPDATE SET "
    "sold = inventory_dailystock.sold + excluded.sold, "
    "returned = inventory_dailystock.returned + excluded.returned, "
    "inflow = inventory_dailystock.inflow + excluded.inflow, "
    "outflow = inventory_dailystock.outflow + excluded.outflow, "
    "cogs_e4 = inventory_dailystock.cogs_e4 + excluded.cogs_e4, "
    "touched = TRUE"
)


def day_sums(rows: list[StockMovement]) -> dict[tuple[int, int, object], list[int]]:
    """(warehouse, SKU, local day) -> [sold, returned, inflow, outflow, cogs_e4] of `rows`."""
    days: dict[tuple[int, int, object], list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    zones: dict[str, ZoneInfo] = {}
    sale, ret = MovementKind.SALE.value, MovementKind.RETURN.value
    for row in rows:
        tz_name = row.warehouse.timezone or "UTC"
        zone = zones.get(tz_name) or zones.setdefault(tz_name, ZoneInfo(tz_name))
        key = (row.warehouse_id, row.sku_id, row.occurred_at.astimezone(zone).date())
        sums = days[key]
        qty = row.quantity
        kind = row.kind
        if kind == sale:
            sums[0] -= qty
        elif kind == ret:
            sums[1] += qty
        if qty > 0:
            sums[2] += qty
        else:
            sums[3] -= qty
        if kind in (sale, ret):
            sums[4] -= qty * int((row.unit_cost * SCALE).to_integral_value())
    return days


def daily_upsert_sql(days: dict, placeholder: str = "%s") -> tuple[str, list]:
    """PostgreSQL: the upsert of `day_sums` as one statement with one array per column (also
    usable as a data-modifying WITH clause of the posting service's write). `placeholder` "%b"
    for `bulk_sql.binary_cursor`."""
    keys = list(days)
    arrays = ", ".join(
        f"{placeholder}::{kind}[]"
        for kind in ("bigint", "bigint", "date", "int", "int", "int", "int", "bigint")
    )
    sql = (
        f"INSERT INTO inventory_dailystock ({_COLUMNS}) "  # noqa: S608 - fixed text
        f"SELECT w, s, d, so, re, i, o, c, TRUE FROM unnest({arrays}) "
        "AS t(w, s, d, so, re, i, o, c) " + _UPSERT
    )
    params = [
        [k[0] for k in keys],
        [k[1] for k in keys],
        [k[2] for k in keys],
        *([days[k][n] for k in keys] for n in range(5)),
    ]
    return sql, params
