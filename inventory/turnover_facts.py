"""Turnover of the nightly band check from the facts the demand step just slid, not the ledger.

When the trailing turnover period is the demand window (both 90 days by default) and the demand
step slid the window to its last day in this run, every figure of `turnover_rows` is already
kept per (warehouse, SKU): COGS of the window (`cogs_window_e4`) and the sum of the closing stock
over its days (`window.stock_days_at`), so the average inventory value of a group is
Σ stock-days × unit cost / days. The same rows as `turnover.turnover_rows`, from 100k facts rows
instead of the window's movements.
"""

from django.conf import settings
from django.db import connection

from inventory import turnover_sql
from inventory.turnover import Grouping, Period, TurnoverRow, _from_raw, band_limits, worst_first
from inventory.window import state_is_current, stock_days_at

# Value now, average inventory value and COGS of the window from each pair's facts.
_SUMS = """
           SUM(COALESCE(b.on_hand, 0) * s.unit_cost) AS value_now,
           SUM({stock_days} * s.unit_cost) * 1.0 / %s AS average,
           SUM(x.cogs_window_e4) AS cogs_e4
    FROM inventory_skufacts x
    JOIN inventory_sku s ON s.id = x.sku_id
    LEFT JOIN inventory_stockbalance b ON b.warehouse_id = x.warehouse_id AND b.sku_id = x.sku_id
    WHERE x.warehouse_id IN ({warehouse_ids})
"""

_SQL = (
    """
SELECT n.g1, n.g2, 1, %s, n.value_now, n.average, 0, n.cogs_e4, {labels}
FROM (
    SELECT {g1} AS g1, {g2} AS g2,"""
    + _SUMS
    + """    {group_by}
) n
{label_joins}
ORDER BY n.g1, n.g2
"""
)


# Both groupings of the nightly band check in one pass (PostgreSQL: GROUPING SETS).
_BAND_SQL = (
    """
SELECT n.g1, COALESCE(n.g2, 0), 1, %s, n.value_now, n.average, 0, n.cogs_e4, lw.code,
       CASE WHEN n.whole = 1 THEN lw.name ELSE lc.name END,
       CASE WHEN n.whole = 1 THEN NULL ELSE lc.turnover_min END,
       CASE WHEN n.whole = 1 THEN NULL ELSE lc.turnover_max END,
       n.whole
FROM (
    SELECT x.warehouse_id AS g1, COALESCE(s.category_id, 0) AS g2,
           GROUPING(COALESCE(s.category_id, 0)) AS whole,"""
    + _SUMS
    + """    GROUP BY GROUPING SETS ((x.warehouse_id), (x.warehouse_id, COALESCE(s.category_id, 0)))
) n
LEFT JOIN inventory_warehouse lw ON lw.id = n.g1
LEFT JOIN inventory_category lc ON lc.id = n.g2 AND n.whole = 0
ORDER BY n.g1, n.g2
"""
)


def band_rows_from_facts(*, warehouses, period: Period) -> dict[str, list[TurnoverRow]] | None:
    """The rows per warehouse and per category in warehouse of the nightly band check, from
    one pass over the facts: {grouping: rows}, the same rows as `turnover_rows_from_facts`
    for each. None when the facts do not cover exactly `period` (or not on PostgreSQL)."""
    warehouses = list(warehouses)
    if (
        connection.vendor != "postgresql"
        or not warehouses
        or period.days != settings.STOCKWISE["DEMAND_WINDOW_DAYS"]
        or not state_is_current(period.end)
    ):
        return None
    sql = _BAND_SQL.format(
        stock_days=stock_days_at("x", period.end),
        warehouse_ids=", ".join(["%s"] * len(warehouses)),
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [period.days, period.days, *[w.pk for w in warehouses]])
        raw_rows = cursor.fetchall()
    default_band = band_limits()
    by_grouping = {Grouping.WAREHOUSE: [], Grouping.WAREHOUSE_CATEGORY: []}
    for raw in raw_rows:
        grouping = Grouping.WAREHOUSE if raw[-1] == 1 else Grouping.WAREHOUSE_CATEGORY
        by_grouping[grouping].append(_from_raw(raw[:-1], period, grouping, default_band))
    return {
        grouping: worst_first([r for r in rows if r.cogs or r.average_inventory_value])
        for grouping, rows in by_grouping.items()
    }


def turnover_rows_from_facts(
    *, warehouses, period: Period, grouping: str
) -> list[TurnoverRow] | None:
    """`turnover_rows` from SkuFacts, or None when the facts do not cover exactly `period`."""
    grouping = Grouping(grouping)
    warehouses = list(warehouses)
    if (
        not warehouses
        or period.days != settings.STOCKWISE["DEMAND_WINDOW_DAYS"]
        or not state_is_current(period.end)
    ):
        return None
    g1, g2 = turnover_sql.GROUP_KEYS[grouping]
    labels, label_joins = turnover_sql._GROUP_LABELS[grouping]
    keys = [g for g in (g1, g2) if g != "0"]
    sql = _SQL.format(
        labels=labels,
        g1=g1,
        g2=g2,
        stock_days=stock_days_at("x", period.end),
        warehouse_ids=", ".join(["%s"] * len(warehouses)),
        group_by=f"GROUP BY {', '.join(keys)}" if keys else "",
        label_joins=label_joins,
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [period.days, period.days, *[w.pk for w in warehouses]])
        raw_rows = cursor.fetchall()
    default_band = band_limits()
    rows = [_from_raw(raw, period, grouping, default_band) for raw in raw_rows]
    if grouping != Grouping.BUSINESS:
        rows = [r for r in rows if r.cogs or r.average_inventory_value]
    return worst_first(rows)
