"""FIFO age and slow movers, moved forward a night at a time (the ledger is not read).

After the demand step slid the window (`inventory.window`), SkuFacts holds the closing stock on D
(`window_closing`) and the slow-mover window's sales. FIFO keeps the newest inbound units: the
units in stock on D are the latest layers whose inbound quantity covers the closing stock, so
the oldest unit in stock is on the earliest inbound day whose newer inbound is still below the
closing stock (the same rule as `inventory.ageing`, by day, since layers are dated by day).

Only pairs that moved since the last run (`sw_moved`, left by the demand step) can have another
oldest layer; for those the rollup's inbound days are read, and only back to the old oldest day
when nothing was backdated (new layers are newer, outflow eats from the old end, so the boundary
can only move forward). The units per age bucket (the ageing report's snapshot) are recomputed
the same way for those pairs and for the pairs with a layer that passed a bucket edge since the
last run (an inbound day exactly 31, 61, 91 or 181 days back: found through the rollup's day
index); no other pair's profile can change. Every other pair just gets a day older, which
needs no write (the age is read from the oldest unit's day, inventory.ages): one UPDATE writes
only the rows whose slow-mover flag changes.
"""

from datetime import date, timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone

from inventory.ageing import BUCKET_KEYS, BUCKETS
from inventory.models import FactsState

# Left for the rest of the run on the step's connection (PostgreSQL): the pairs whose
# slow-mover flag this step flipped. Read by alerts' ad advice step; absent after a rebuild.
SLOW_FLIPPED = "sw_slow_flipped"
_BUCKET_STARTS = tuple(low for _key, low, _high in BUCKETS[1:])  # 31, 61, 91, 181
_CROSSING_SELECT = (
    "SELECT d.warehouse_id, d.sku_id, CAST(NULL AS DATE) FROM inventory_dailystock d "
    "WHERE d.inflow > 0 AND d.day"
)


def ageing_slide(as_of: date) -> int:
    """Nightly step, incremental: oldest layer of the moved pairs, then ages and slow-mover
    flags of every pair; returns the number of rows written. Call only when the demand step
    slid the window to `as_of` in this run (`window.state_is_current`)."""
    state = FactsState.objects.get(pk=1)
    params_cfg = settings.STOCKWISE
    adapt = connection.ops.adapt_datefield_value
    params = {
        "d": adapt(as_of),
        "p1": adapt((state.previous_as_of or as_of) + timedelta(days=1)),
        "slow_before": adapt(as_of - timedelta(days=params_cfg["SLOW_MOVER_AGE_DAYS"])),
        "max_sales": params_cfg["SLOW_MOVER_MAX_SALES"],
        "now": connection.ops.adapt_datetimefield_value(timezone.now()),
    }
    # A layer changes bucket when its age passes 30, 60, 90 or 180 days: between the last
    # run's day P and D, the layers dated P+1-b … D-b for each bucket start b.
    params["first_day_ever"] = adapt(date(1, 1, 1))
    # One branch per bucket edge, each a range on the rollup's day index. (Joined by OR in one
    # WHERE, PostgreSQL read the whole inbound index instead and filtered it: 600k entries for
    # 5k rows, 85 ms on three processes, against 1-2 ms a range.)
    crossing = " UNION ALL ".join(
        f"{_CROSSING_SELECT} BETWEEN %(cross_from_{b})s AND %(cross_to_{b})s"
        for b in _BUCKET_STARTS
    )
    previous = state.previous_as_of or as_of
    for b in _BUCKET_STARTS:
        params[f"cross_from_{b}"] = adapt(previous + timedelta(days=1 - b))
        params[f"cross_to_{b}"] = adapt(as_of - timedelta(days=b))
    for key, low, _high in BUCKETS[1:]:
        params[f"edge_{key}"] = adapt(as_of - timedelta(days=low))  # older layers are ≥ low
    surviving = "(l.newer_incl - l.inflow < l.closing)"
    units = (
        "(CASE WHEN l.closing - (l.newer_incl - l.inflow) < l.inflow "
        "THEN l.closing - (l.newer_incl - l.inflow) ELSE l.inflow END)"
    )
    bucket_sql = []
    for index, (key, _low, _high) in enumerate(BUCKETS):
        conditions = [surviving]
        if index + 1 < len(BUCKETS):
            conditions.append(f"l.day > %(edge_{BUCKETS[index + 1][0]})s")
        if index > 0:
            conditions.append(f"l.day <= %(edge_{key})s")
        bucket_sql.append(
            f"COALESCE(SUM(CASE WHEN {' AND '.join(conditions)} THEN {units} END), 0) "
            f"AS units_{key}"
        )
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS sw_oldest")
        # Pairs whose layers may differ (they moved) or whose layers changed bucket (crossing);
        # how far back to read: the old oldest day when nothing was backdated, else all.
        cursor.execute(
            f"""
            CREATE TEMP TABLE sw_oldest AS
            WITH pairs AS (
                SELECT warehouse_id, sku_id, MIN(first_day) AS first_day
                FROM (
                    SELECT warehouse_id, sku_id, first_day FROM sw_moved
                    UNION ALL
                    {crossing}
                ) p
                GROUP BY warehouse_id, sku_id
            ),
            moved AS (
                SELECT f.id, f.warehouse_id, f.sku_id, f.window_closing AS closing,
                       CASE WHEN m.first_day IS NOT NULL AND m.first_day < %(p1)s THEN NULL
                            ELSE COALESCE(f.oldest_unit_date, %(p1)s) END AS since
                FROM pairs m
                JOIN inventory_skufacts f
                  ON f.warehouse_id = m.warehouse_id AND f.sku_id = m.sku_id
            ),
            layers AS (
                SELECT mv.id, mv.closing, d.day, d.inflow,
                       SUM(d.inflow) OVER (
                           PARTITION BY mv.id ORDER BY d.day DESC ROWS UNBOUNDED PRECEDING
                       ) AS newer_incl
                FROM moved mv
                JOIN inventory_dailystock d
                  ON d.warehouse_id = mv.warehouse_id AND d.sku_id = mv.sku_id
                -- a range on the pair's index (not `since IS NULL OR day >= since`, which
                -- made PostgreSQL read every day of the pair and filter)
                WHERE d.inflow > 0 AND d.day <= %(d)s
                  AND d.day >= COALESCE(mv.since, %(first_day_ever)s)
            )
            SELECT mv.id,
                   MIN(CASE WHEN {surviving} THEN l.day END) AS oldest,
                   {", ".join(bucket_sql)}
            FROM moved mv
            LEFT JOIN layers l ON l.id = mv.id
            GROUP BY mv.id
            """,  # noqa: S608 - fixed fragments, values are parameters
            params,
        )
        changed = " OR ".join(
            f"inventory_skufacts.units_{key} <> o.units_{key}" for key in BUCKET_KEYS
        )
        cursor.execute(
            f"""
            UPDATE inventory_skufacts SET oldest_unit_date = o.oldest,
                {", ".join(f"units_{key} = o.units_{key}" for key in BUCKET_KEYS)}
            FROM sw_oldest o
            WHERE inventory_skufacts.id = o.id
              AND (inventory_skufacts.oldest_unit_date IS DISTINCT FROM o.oldest OR {changed})
            """  # noqa: S608 - fixed fragments
        )
        cursor.execute("DROP TABLE sw_oldest")
        slow = (
            "(CASE WHEN window_closing > 0 AND oldest_unit_date < %(slow_before)s "
            "AND units_sold_slow_window <= %(max_sales)s THEN TRUE ELSE FALSE END)"
        )
        update = f"""
            UPDATE inventory_skufacts SET slow_mover = {slow}, computed_at = %(now)s
            WHERE slow_mover IS DISTINCT FROM {slow}
            """  # noqa: S608 - fixed fragments, values are parameters
        if connection.vendor != "postgresql":
            cursor.execute(update, params)
            return cursor.rowcount
        # The pairs whose flag flipped, for the ad advice step of this run (SLOW_FLIPPED).
        cursor.execute(f"DROP TABLE IF EXISTS {SLOW_FLIPPED}")
        cursor.execute(f"CREATE TEMP TABLE {SLOW_FLIPPED} (warehouse_id bigint, sku_id bigint)")
        record = (
            f"WITH flipped AS ({update} RETURNING warehouse_id, sku_id) "  # noqa: S608
            f"INSERT INTO {SLOW_FLIPPED} SELECT warehouse_id, sku_id FROM flipped"
        )
        cursor.execute(record, params)
        return cursor.rowcount
