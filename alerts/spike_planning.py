"""The nightly planning figures under `STOCKWISE["SS_METHOD"] = "spike"` (alerts/spike.py).

DOMAIN.md's SQL (alerts/planning.py) runs first and writes every active pair's lead time, its
σ_L and service level, on hand and on order. This step then rebuilds each pair's 90-day q_t and
available days from the daily rollup (the same sparse walk as inventory/window.py: a day without
a rollup row sold nothing and is available when the stock before it was > 0), computes the
capped statistics, pools the catalog's spike profile and level drift, and replaces the planning
figures with the spike-aware method's, through the same pure functions the simulation runs
(docs/simulation.md). It reads the catalog in batches of pairs, so memory holds one batch of
rollup rows and one CappedStats per pair (the catalog's profile must be known before any
pair's reorder point).

What a page shows under this method: average daily demand is the base level d_b (what the plan
projects), its σ the base σ_c (over the days outside spike episodes); ROP = x, the fill-rate
reorder point; SS = max(0, x − d_b·L) (x is below the lead time's base demand when a cycle's
order already covers the allowed loss); S = x + d_b·R. Status, suggestion, cover and ad
advice follow from those by DOMAIN.md's rules.
Only rows whose figures changed are rewritten, and stamped as of tonight like the SQL's.
"""

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from itertools import groupby
from operator import itemgetter

from django.conf import settings
from django.db import connection

from alerts import formulas, spike
from inventory.window import day_number, day_number_sql

BATCH = 2000
# A batch of planning pairs, as a relation `k`. On PostgreSQL the batch's keys as arrays: the
# planner knows their number and probes the (warehouse, SKU) indexes; a key range (even as row
# values) was estimated at 15-25x its rows, and every batch then hashed the rollup's whole
# window (0.6-0.8 s a batch at 100k SKUs). SQLite reads the range off the unique index.
_PAIRS = {
    "postgresql": "unnest(%(w)s::bigint[], %(s)s::bigint[]) AS k(warehouse_id, sku_id)",
    "sqlite": """(SELECT warehouse_id, sku_id FROM alerts_planningfigures
         WHERE (warehouse_id, sku_id) > (%(aw)s, %(as)s)
           AND (warehouse_id, sku_id) <= (%(uw)s, %(us)s)) AS k""",
}
_ROLLUP_SQL = """
SELECT p.warehouse_id, p.sku_id, f.window_opening, {daynum}, d.sold, d.returned,
       d.inflow - d.outflow
FROM {pairs}
JOIN alerts_planningfigures p ON p.warehouse_id = k.warehouse_id AND p.sku_id = k.sku_id
JOIN inventory_skufacts f ON f.warehouse_id = k.warehouse_id AND f.sku_id = k.sku_id
LEFT JOIN inventory_dailystock d
    ON d.warehouse_id = k.warehouse_id AND d.sku_id = k.sku_id
   AND d.day >= %(first)s AND d.day <= %(last)s
ORDER BY p.warehouse_id, p.sku_id, d.day
"""
# The figures this method writes, in the order `_figures` returns them, with their SQL types.
FIGURES = (
    ("avg_daily_demand", "float"),
    ("demand_std", "float"),
    ("safety_stock", "float"),
    ("reorder_point", "float"),
    ("safety_stock_units", "integer"),
    ("reorder_point_units", "integer"),
    ("order_up_to", "float"),
    ("suggested_order_qty", "integer"),
    ("days_of_cover", "float"),
    ("status", "varchar(12)"),
    ("urgency", "smallint"),
    ("ad_advice", "varchar(8)"),
    ("ss_method", "varchar(8)"),
)
_NAMES = [name for name, _kind in FIGURES]
_PLAN_SQL = """
SELECT p.warehouse_id, p.sku_id, p.lead_time_days, p.lead_time_std_days, p.service_level,
       p.on_hand, p.on_order, CASE WHEN s.case_pack < 1 THEN 1 ELSE s.case_pack END, s.moq,
       f.slow_mover, {current}
FROM {pairs}
JOIN alerts_planningfigures p ON p.warehouse_id = k.warehouse_id AND p.sku_id = k.sku_id
JOIN inventory_sku s ON s.id = p.sku_id
JOIN inventory_skufacts f ON f.warehouse_id = p.warehouse_id AND f.sku_id = p.sku_id
ORDER BY p.warehouse_id, p.sku_id
"""
_CREATE_SQL = "CREATE TEMP TABLE sw_spike_new (warehouse_id integer, sku_id integer, {})".format(
    ", ".join(f"{name} {kind}" for name, kind in FIGURES)
)
_INSERT_SQL = "INSERT INTO sw_spike_new VALUES ({})".format(  # noqa: S608 - placeholders only
    ", ".join(["%s"] * (len(FIGURES) + 2))
)
_UPDATE_SQL = """
UPDATE alerts_planningfigures SET as_of = %s, computed_at = %s, checked_at = %s, {}
FROM sw_spike_new n
WHERE alerts_planningfigures.warehouse_id = n.warehouse_id
  AND alerts_planningfigures.sku_id = n.sku_id
""".format(", ".join(f"{name} = n.{name}" for name in _NAMES))


def window_days(
    opening: int, rows: Sequence[tuple[int, int, int, int]], first: int, days: int
) -> tuple[list[int], list[bool]]:
    """q_t and availability of the window's days (DOMAIN.md "Demand") from a pair's rollup rows
    (day number, sold, returned, net change), in day order; `opening` the stock closing the day
    before day `first`. Days without a row sold nothing and are available when stock was > 0."""
    q = [0] * days
    available = [False] * days
    closing, gap_start = opening, 0
    for day, sold, returned, net in rows:
        i = day - first
        if closing > 0:
            available[gap_start:i] = [True] * (i - gap_start)
        q[i] = max(sold - returned, 0)
        available[i] = closing > 0 or q[i] > 0
        closing += net
        gap_start = i + 1
    if closing > 0:
        available[gap_start:] = [True] * (days - gap_start)
    return q, available


def _batches(cursor) -> list[dict]:
    """The planning pairs in batches of BATCH, in (warehouse, SKU) order: each batch's keys
    (w, s) and its key range (after (aw, as), up to (uw, us)), as `_PAIRS` reads them."""
    cursor.execute("SELECT warehouse_id, sku_id FROM alerts_planningfigures ORDER BY 1, 2")
    keys = cursor.fetchall()
    batches, after = [], (-1, -1)
    for start in range(0, len(keys), BATCH):
        part = keys[start : start + BATCH]
        upto = tuple(part[-1])
        batches.append(
            {
                "w": [w for w, _s in part],
                "s": [s for _w, s in part],
                "aw": after[0],
                "as": after[1],
                "uw": upto[0],
                "us": upto[1],
            }
        )
        after = upto
    return batches


def _window_stats(
    cursor, batches: list[dict], as_of: date
) -> dict[tuple[int, int], spike.CappedStats]:
    """The capped statistics of every planning pair over the demand window ending `as_of`."""
    days = settings.STOCKWISE["DEMAND_WINDOW_DAYS"]
    first_day = as_of - timedelta(days=days - 1)
    first = day_number(first_day)
    stats: dict[tuple[int, int], spike.CappedStats] = {}
    bounds = {
        "first": connection.ops.adapt_datefield_value(first_day),
        "last": connection.ops.adapt_datefield_value(as_of),
    }
    sql = _ROLLUP_SQL.format(daynum=day_number_sql(), pairs=_PAIRS[connection.vendor])
    for batch in batches:
        cursor.execute(sql, {**bounds, **batch})
        for key, group in groupby(cursor.fetchall(), key=itemgetter(0, 1)):
            group = list(group)
            opening = group[0][2]
            rows = [row[3:] for row in group if row[3] is not None]  # None: no rollup row
            stats[key] = spike.capped_demand_stats(*window_days(opening, rows, first, days))
    return stats


def _figures(plan: spike.SpikePlan, row: tuple, overstock: float) -> tuple:
    """The written figures of one pair (FIGURES' order) from its plan and its `_PLAN_SQL` row."""
    _w, _s, lead_time, _lt_std, _level, on_hand, on_order, case_pack, moq, slow_mover = row[:10]
    ss = max(plan.safety_stock, 0.0)
    ss_units = formulas.ceil_units(ss)
    rop_units = formulas.ceil_units(plan.reorder_point)
    live = formulas.stock_figures(
        d=plan.d,
        ss_units=ss_units,
        rop_units=rop_units,
        order_up_to=plan.order_up_to,
        case_pack=case_pack,
        moq=moq,
        lead_time=lead_time,
        on_hand=on_hand,
        on_order=on_order,
        slow_mover=bool(slow_mover),
        overstock_days=overstock,
    )
    return (
        plan.d,
        plan.sigma,
        ss,
        plan.reorder_point,
        ss_units,
        rop_units,
        plan.order_up_to,
        live["suggested_order_qty"],
        live["days_of_cover"],
        live["status"],
        live["urgency"],
        live["ad_advice"],
        "spike",
    )


def _stage(cursor, rows: list[tuple]) -> None:
    """Rows into the temporary table: COPY on PostgreSQL (a 20k-row executemany took ~2 s)."""
    if not rows:
        return
    if connection.vendor == "postgresql":
        with cursor.copy("COPY sw_spike_new FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    else:
        cursor.executemany(_INSERT_SQL, rows)


def spike_planning(as_of: date, now: datetime) -> int:
    """Replace the planning figures of every pair by the spike-aware method's (module
    docstring). Returns the number of rows whose figures changed (and were rewritten)."""
    params = settings.STOCKWISE
    review, overstock = params["REVIEW_PERIOD_DAYS"], params["OVERSTOCK_DAYS"]
    with connection.cursor() as cursor:
        batches = _batches(cursor)
        stats = _window_stats(cursor, batches, as_of)
        profile = spike.spike_profile(stats.values())
        drift = spike.level_drift(stats.values())
        cursor.execute("DROP TABLE IF EXISTS sw_spike_new")
        cursor.execute(_CREATE_SQL)
        changed = 0
        plan_sql = _PLAN_SQL.format(
            pairs=_PAIRS[connection.vendor], current=", ".join(f"p.{name}" for name in _NAMES)
        )
        for batch in batches:
            cursor.execute(plan_sql, batch)
            new_rows = []
            for row in cursor.fetchall():
                key = (row[0], row[1])
                plan = spike.spike_aware_plan(
                    stats[key],
                    profile,
                    lead_time=row[2],
                    lead_std=row[3],
                    service_level=row[4],
                    review_days=review,
                    drift=drift,
                )
                figures = _figures(plan, row, overstock)
                if figures != tuple(row[10:]):
                    new_rows.append(key + figures)
            _stage(cursor, new_rows)
            changed += len(new_rows)
        adapt = connection.ops
        stamp = adapt.adapt_datetimefield_value(now)
        cursor.execute(_UPDATE_SQL, [adapt.adapt_datefield_value(as_of), stamp, stamp])
        cursor.execute("DROP TABLE sw_spike_new")
    return changed
