"""The turnover statement (see `inventory.turnover` for the figures and their definitions).

One set-based statement per call over the daily rollup, whatever the number of SKUs, in SQL that
runs on PostgreSQL and SQLite alike; only the expression for a day's index in the period differs
between them.
"""

from datetime import date

from django.db import connection

from inventory.models import Warehouse

GROUP_SKU = "sku"
GROUP_CATEGORY = "category"
GROUP_WAREHOUSE = "warehouse"
GROUP_BUSINESS = "business"
GROUP_WAREHOUSE_CATEGORY = "warehouse_category"


# Group key columns (g1, g2) over a row source `x` (warehouse_id, sku_id) joined to SKU `s`.
# Category NULL becomes 0 so that keys compare with "=" in joins.
GROUP_KEYS = {
    GROUP_SKU: ("x.sku_id", "0"),
    GROUP_CATEGORY: ("COALESCE(s.category_id, 0)", "0"),
    GROUP_WAREHOUSE: ("x.warehouse_id", "0"),
    GROUP_BUSINESS: ("0", "0"),
    GROUP_WAREHOUSE_CATEGORY: ("x.warehouse_id", "COALESCE(s.category_id, 0)"),
}
# Labels and the category band of each group: (select list, joins).
_NO_CAT = "NULL AS band_min, NULL AS band_max"
_GROUP_LABELS = {
    GROUP_SKU: (
        "ls.seller_sku AS label, ls.name AS detail, lc.turnover_min AS band_min, "
        "lc.turnover_max AS band_max",
        "LEFT JOIN inventory_sku ls ON ls.id = n.g1 "
        "LEFT JOIN inventory_category lc ON lc.id = ls.category_id",
    ),
    GROUP_CATEGORY: (
        "lc.name AS label, NULL AS detail, lc.turnover_min AS band_min, "
        "lc.turnover_max AS band_max",
        "LEFT JOIN inventory_category lc ON lc.id = n.g1",
    ),
    GROUP_WAREHOUSE: (
        f"lw.code AS label, lw.name AS detail, {_NO_CAT}",
        "LEFT JOIN inventory_warehouse lw ON lw.id = n.g1",
    ),
    GROUP_BUSINESS: (f"NULL AS label, NULL AS detail, {_NO_CAT}", ""),
    GROUP_WAREHOUSE_CATEGORY: (
        "lw.code AS label, lc.name AS detail, lc.turnover_min AS band_min, "
        "lc.turnover_max AS band_max",
        "LEFT JOIN inventory_warehouse lw ON lw.id = n.g1 "
        "LEFT JOIN inventory_category lc ON lc.id = n.g2",
    ),
}
# One statement. `x` is the row source (a rollup row or a balance) and `s` its SKU; {g1}, {g2}
# are the group key expressions. `keyed` reads the daily rollup from the period's first day on,
# once, summed per group and bucket; days after the period's end count only in the last
# bucket's in_value (they move the opening, never the weights or COGS). The outer query lays the
# groups over the buckets: opening of bucket k = value now − every movement since the start +
# the movements of the buckets before k (window functions), so no SKU × day grid is ever built.
#
# The rollup (`DailyStock`), not the ledger: it holds each (warehouse, SKU, local day)'s net
# units (inflow − outflow) and SALE/RETURN value at posting cost in the same integers this
# statement summed from the movements, kept in the posting's transaction and proved equal to the
# ledger by `recompute --full`. Its day is already the warehouse's local day, so no row needs a
# time-zone conversion, and it has about half the ledger's rows: a 365-day page read 10M
# movements (21.5 s at 100k SKUs) where it now reads 5.6M narrow rows.
_SQL = """
WITH buckets(bucket, n_days) AS (VALUES {buckets}),{period_days}
keyed AS ({moved}),
value_now AS (
    SELECT {g1} AS g1, {g2} AS g2, SUM(x.on_hand * s.unit_cost) AS value
    FROM inventory_stockbalance x
    JOIN inventory_sku s ON s.id = x.sku_id
    WHERE x.warehouse_id IN ({warehouse_ids})
    {group_by_now}
),
laid AS (
    SELECT n.g1, n.g2, k.bucket, k.n_days, n.value,
           n.value - SUM(COALESCE(ke.in_value, 0)) OVER (PARTITION BY n.g1, n.g2)
             + COALESCE(SUM(ke.in_value) OVER (
                   PARTITION BY n.g1, n.g2 ORDER BY k.bucket
                   ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS opening_value,
           COALESCE(ke.w_value, 0) AS w_value,
           COALESCE(ke.cogs_e4, 0) AS cogs_e4
    FROM value_now n
    CROSS JOIN buckets k
    LEFT JOIN keyed ke ON ke.g1 = n.g1 AND ke.g2 = n.g2 AND ke.bucket = k.bucket
)
SELECT n.g1, n.g2, n.bucket, n.n_days, n.value, n.opening_value, n.w_value, n.cogs_e4, {labels}
FROM laid n
{label_joins}
{order}"""

# One bucket (a period): each day's net units are weighted by the days of the period left from
# that day on. Summed in integers per SKU (per warehouse and SKU only when the grouping needs
# the warehouse: the planner hashes 100k SKUs but sorts 100k pairs to disk); integer sums are
# cheap aggregate states where numeric ones are not. Costs and group keys are applied to those
# sums, not to every row.
_MOVED_ONE_BUCKET = """
    SELECT {g1} AS g1, {g2} AS g2, 1 AS bucket,
           SUM(x.qty * s.unit_cost) AS in_value,
           SUM(x.weighted * s.unit_cost) AS w_value,
           SUM(x.cogs_e4) AS cogs_e4
    FROM (
        SELECT {pair}d.sku_id,
               SUM(d.inflow - d.outflow) AS qty,
               SUM(CASE WHEN d.day <= %s
                        THEN CAST(d.inflow - d.outflow AS BIGINT) * ({n_days} - {day_index}) END)
                   AS weighted,
               SUM(CASE WHEN d.day <= %s THEN d.cogs_e4 END) AS cogs_e4
        FROM inventory_dailystock d
        WHERE d.warehouse_id IN ({warehouse_ids}) AND d.day >= %s
        GROUP BY {pair}d.sku_id
    ) x
    JOIN inventory_sku s ON s.id = x.sku_id
    {group_by}
"""

# Several buckets (the months of a trend): sum per group and day first, then give each day its
# bucket and the days left in that bucket.
_MOVED_BUCKETS = """
    SELECT y.g1, y.g2, COALESCE(d.bucket, {last}) AS bucket,
           SUM(y.in_value) AS in_value,
           SUM(y.in_value * d.remaining) AS w_value,
           SUM(CASE WHEN d.bucket IS NOT NULL THEN y.cogs_e4 END) AS cogs_e4
    FROM (
        SELECT {g1} AS g1, {g2} AS g2, {day_index} AS idx,
               SUM((x.inflow - x.outflow) * s.unit_cost) AS in_value,
               SUM(x.cogs_e4) AS cogs_e4
        FROM inventory_dailystock x
        JOIN inventory_sku s ON s.id = x.sku_id
        WHERE x.warehouse_id IN ({warehouse_ids}) AND x.day >= %s
        GROUP BY {group_by}idx
    ) y
    LEFT JOIN period_days d ON d.idx = y.idx
    GROUP BY y.g1, y.g2, COALESCE(d.bucket, {last})
"""


def day_index_sql(first_day: date, alias: str = "x") -> tuple[str, list]:
    """Days from `first_day` to a rollup row's day (already the warehouse's local day).

    The one vendor-specific expression of the statement.
    """
    if connection.vendor == "postgresql":
        return f"({alias}.day - %s)", [first_day]
    return f"CAST(julianday({alias}.day) - julianday(%s) AS INTEGER)", [first_day.isoformat()]


def run_turnover_sql(
    warehouses: list[Warehouse], buckets: list[tuple[date, date]], grouping: str
) -> list[list[tuple]]:
    """Run the statement over consecutive (start, end) `buckets`; the raw rows of each bucket.

    A raw row: (g1, g2, bucket, n_days, value_now, opening_value, weighted_value, COGS in
    ten-thousandths,
    label, detail, category band min, category band max). The average inventory value of the
    bucket is opening_value + weighted_value / n_days.
    """
    if not warehouses:
        return [[] for _b in buckets]
    sql, params = turnover_sql(warehouses, buckets, grouping)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    per_bucket: list[list[tuple]] = [[] for _b in buckets]
    for row in rows:
        per_bucket[row[2] - 1].append(row)
    return per_bucket


def turnover_sql(
    warehouses: list[Warehouse],
    buckets: list[tuple[date, date]],
    grouping: str,
    *,
    ordered: bool = True,
) -> tuple[str, list]:
    """The statement of `run_turnover_sql` and its parameters, its columns named (g1, g2,
    bucket, n_days, value, opening_value, w_value, cogs_e4, label, detail, band_min, band_max);
    `ordered=False` leaves out its ORDER BY, for a caller that orders the rows itself."""
    first_day, last_day = buckets[0][0], buckets[-1][1]
    n_buckets = len(buckets)
    bucket_params = []
    lengths = [(end - start).days + 1 for start, end in buckets]
    for index, days in enumerate(lengths, start=1):
        bucket_params += [index, days]
    warehouse_ids = [wh.pk for wh in warehouses]
    in_warehouses = ", ".join(["%s"] * len(warehouses))
    day_index, day_index_params = day_index_sql(first_day, "d" if n_buckets == 1 else "x")
    g1, g2 = GROUP_KEYS[grouping]
    labels, label_joins = _GROUP_LABELS[grouping]
    # A constant key is left out of GROUP BY (both databases read "GROUP BY 0" as a position).
    keys = [g for g in (g1, g2) if g != "0"]
    if n_buckets == 1:
        needs_warehouse = "x.warehouse_id" in g1 + g2
        moved = _MOVED_ONE_BUCKET.format(
            pair="d.warehouse_id, " if needs_warehouse else "",
            g1=g1,
            g2=g2,
            n_days=int(lengths[0]),
            day_index=day_index,
            warehouse_ids=in_warehouses,
            group_by=f"GROUP BY {', '.join(keys)}" if keys else "",
        )
        moved_params = [last_day, *day_index_params, last_day, *warehouse_ids, first_day]
        period_days, day_params = "", []
    else:
        day_rows, day_params = [], []
        offset = 0
        for index, days in enumerate(lengths, start=1):
            for day in range(days):
                day_rows.append("(%s, %s, %s)")
                day_params += [offset + day, index, days - day]
            offset += days
        moved = _MOVED_BUCKETS.format(
            g1=g1,
            g2=g2,
            last=n_buckets,
            day_index=day_index,
            warehouse_ids=in_warehouses,
            group_by="".join(f"{k}, " for k in keys),
        )
        period_days = f"\nperiod_days(idx, bucket, remaining) AS (VALUES {', '.join(day_rows)}),"
        moved_params = [*day_index_params, *warehouse_ids, first_day]
    sql = _SQL.format(
        buckets=", ".join(["(%s, %s)"] * n_buckets),
        period_days=period_days,
        moved=moved,
        warehouse_ids=in_warehouses,
        g1=g1,
        g2=g2,
        group_by_now=f"GROUP BY {', '.join(keys)}" if keys else "",
        labels=labels,
        label_joins=label_joins,
        order="ORDER BY n.g1, n.g2, n.bucket\n" if ordered else "",
    )
    params = [*bucket_params, *day_params, *moved_params, *warehouse_ids]
    return sql, params
