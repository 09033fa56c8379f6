"""ABC class per (warehouse, SKU) by COGS value over the demand window (DOMAIN.md "Counts").

One nightly step, two set-based statements: the classification (window functions, portable to
SQLite >= 3.33 and PostgreSQL) keeps only the rows whose class or COGS changed in a temporary
table, then one UPDATE ... FROM writes them into SkuFacts. No Python loop over SKUs; the only
loop is over warehouses, to turn each one's local calendar days into instants.

Money is ranked in ten-thousandths of the currency (unit_cost has 4 decimals) as whole numbers,
so the 80 % / 95 % boundaries are compared exactly on SQLite too, whose decimals are floats.
"""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection

from inventory.models import MovementKind, Warehouse
from inventory.window import state_is_current

# Cumulative share of COGS value (in %) that closes class A and class B.
A_SHARE_PCT = 80
B_SHARE_PCT = 95
_SCALE = 10_000

# COGS from the ledger (the window's SALE and RETURN rows) …
_COGS_FROM_LEDGER = """
cogs AS (
    SELECT m.warehouse_id, m.sku_id,
           SUM(-m.quantity * CAST(ROUND(m.unit_cost * {scale}) AS BIGINT)) AS value
    FROM inventory_stockmovement m
    JOIN bounds b ON b.warehouse_id = m.warehouse_id
    WHERE m.kind IN (%s, %s) AND m.occurred_at >= b.start_at AND m.occurred_at < b.end_at
    GROUP BY m.warehouse_id, m.sku_id
),"""
# … or, when the demand step has just slid the window to the same day, its state (the same
# integers, kept per pair in inventory/window.py, which also wrote cogs_window): no ledger read,
# no join.
_VALUE_FROM_LEDGER = (
    "COALESCE(c.value, 0)",
    "LEFT JOIN cogs c ON c.warehouse_id = f.warehouse_id AND c.sku_id = f.sku_id",
)
_VALUE_FROM_STATE = ("f.cogs_window_e4", "")
# Ties are broken by the seller SKU's code points, as SQLite and Python compare strings, whatever
# the database's collation (a "C" sort of 100k rows also skips the locale's comparisons).
_CODE_POINTS = {"postgresql": ' COLLATE "C"'}

# The ranking, keeping only the rows whose value or class changed (after the demand step wrote
# the COGS, a night changes the class of about 1 % of the pairs). The first row of a warehouse
# (always A) is the one whose running sum is its own value.
_CLASSIFY_SQL = """
CREATE TEMP TABLE abc_changed AS
WITH bounds (warehouse_id, start_at, end_at) AS (VALUES {bounds}),
{cogs}
valued AS (
    SELECT f.id, f.warehouse_id, s.seller_sku{code_points} AS seller_sku, {value} AS value,
           CASE WHEN {value} > 0 THEN {value} ELSE 0 END AS pos,
           f.abc_class AS old_class, f.cogs_window AS old_cogs
    FROM inventory_skufacts f
    JOIN bounds b ON b.warehouse_id = f.warehouse_id
    JOIN inventory_sku s ON s.id = f.sku_id
    {cogs_join}
),
ranked AS (
    SELECT id, value, pos, old_class, old_cogs,
           SUM(pos) OVER (PARTITION BY warehouse_id ORDER BY pos DESC, seller_sku
                          ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS cum,
           SUM(pos) OVER (PARTITION BY warehouse_id) AS total
    FROM valued
),
classified AS (
    SELECT id, value, old_class, old_cogs,
           CASE WHEN pos <= 0 THEN 'C'
                WHEN cum = pos OR cum * 100 <= total * {a_pct} THEN 'A'
                WHEN (cum - pos) * 100 < total * {b_pct} THEN 'B'
                ELSE 'C' END AS abc_class
    FROM ranked
),
changed AS (
    SELECT id, value, abc_class FROM classified
    WHERE old_class <> abc_class{cogs_changed}
)
SELECT id, value, abc_class FROM changed
"""
# A handful of rows: written through the primary key (joined into the ranking statement, the
# estimate of 100k rows would make PostgreSQL hash the whole facts table again).
_WRITE_SQL = """
UPDATE inventory_skufacts
SET cogs_window = c.value / {scale}.0, abc_class = c.abc_class
FROM abc_changed c
WHERE inventory_skufacts.id = c.id
"""


def window_bounds(warehouse: Warehouse, as_of: date) -> tuple[datetime, datetime]:
    """[start, end) instants of the demand window D-W+1 ... D in the warehouse's time zone."""
    tz = ZoneInfo(warehouse.timezone or "UTC")
    days = settings.STOCKWISE["DEMAND_WINDOW_DAYS"]
    first_day = as_of - timedelta(days=days - 1)
    start = datetime.combine(first_day, time.min, tzinfo=tz)
    end = datetime.combine(as_of + timedelta(days=1), time.min, tzinfo=tz)
    return start, end


def abc_classify(as_of: date) -> None:
    """Write SkuFacts.cogs_window and abc_class for every (warehouse, SKU) row as of `as_of`.

    COGS = SALE units x unit cost at posting - RETURN units x unit cost at posting, in the window;
    sorted descending (ties by seller_sku): A while the cumulative share including the SKU is
    <= 80 % (the top SKU always), B while the share before it is < 95 %, else C; zero value is C.
    """
    warehouses = list(Warehouse.objects.only("id", "timezone"))
    if not warehouses:
        return
    ops = connection.ops
    params: list = []
    for warehouse in warehouses:
        start, end = window_bounds(warehouse, as_of)
        params += [
            warehouse.pk,
            ops.adapt_datetimefield_value(start),
            ops.adapt_datetimefield_value(end),
        ]
    if state_is_current(as_of):
        # The demand step wrote cogs_window from the same integers: only classes can change.
        cogs, (value, cogs_join) = "", _VALUE_FROM_STATE
        cogs_changed = ""
    else:
        cogs, (value, cogs_join) = _COGS_FROM_LEDGER.format(scale=_SCALE), _VALUE_FROM_LEDGER
        params += [MovementKind.SALE.value, MovementKind.RETURN.value]
        cogs_changed = f" OR old_cogs <> value / {_SCALE}.0"
    bounds = ", ".join(["(%s, %s, %s)"] * len(warehouses))
    classify = _CLASSIFY_SQL.format(
        bounds=bounds,
        cogs=cogs,
        value=value,
        cogs_join=cogs_join,
        cogs_changed=cogs_changed,
        code_points=_CODE_POINTS.get(connection.vendor, ""),
        scale=_SCALE,
        a_pct=A_SHARE_PCT,
        b_pct=B_SHARE_PCT,
    )
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS abc_changed")
        cursor.execute(classify, params)
        cursor.execute(_WRITE_SQL.format(scale=_SCALE))
        cursor.execute("DROP TABLE abc_changed")
