"""Demand facts per (warehouse, SKU) as of a day D (DOMAIN.md "Demand"), set-based.

Sparse, as PERFORMANCE-NOTES.md advises: one row per SKU and *movement day* of the window, the
closing stock carried over the days in between, never a dense SKU x day grid.

- q_t = SALE units - RETURN units on local day t, floored at 0.
- A day is available when the previous day closed with stock > 0 or q_t > 0. Between two
  movement days the closing stock does not change and q_t = 0, so the g days of a gap are all
  available (closing > 0 before them) or none are: the stats only need, per SKU, the count of
  available days n, S1 = sum(q) and S2 = sum(q^2) over the movement days plus n over the gaps.
  d = S1 / n and sigma_d^2 = (S2 - S1^2 / n) / (n - 1).
- The stock before the window is the balance minus every movement since the window start
  (the balance equals the ledger sum; `check_ledger` proves it), so only the window (and what
  came after D) is read, never the whole history.
- Days are local days of the warehouse's time zone: PostgreSQL converts with AT TIME ZONE,
  SQLite with Django's own `django_datetime_cast_date` function. Days are numbered from
  1970-01-01 so all later arithmetic is plain integers on both databases.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone

from inventory.models import SkuFacts, Warehouse

EPOCH = date(1970, 1, 1)
RECENT_DAYS = 7  # SkuFacts.max_daily_sales_recent looks at D-6 … D

_LOCAL_DAY = {
    "postgresql": "((m.occurred_at AT TIME ZONE w.timezone)::date - DATE '1970-01-01')",
    "sqlite": (
        "CAST(julianday(django_datetime_cast_date(m.occurred_at, w.timezone, 'UTC'))"
        " - 2440587.5 AS INTEGER)"
    ),
}

# 1. Movements since the window start, grouped per (warehouse, SKU, local day); rows after the
#    end of D get day NULL: they only serve to walk the balance back to the window start.
_DAYS_SQL = """
CREATE TEMP TABLE sw_demand_days AS
WITH bounds (warehouse_id, start_at, end_at) AS (VALUES {bounds})
SELECT m.warehouse_id, m.sku_id,
       CASE WHEN m.occurred_at < b.end_at THEN {local_day} END AS day,
       SUM(m.quantity) AS net,
       SUM(CASE WHEN m.kind = 'SALE' THEN -m.quantity ELSE 0 END) AS sold,
       SUM(CASE WHEN m.kind = 'RETURN' THEN m.quantity ELSE 0 END) AS returned
FROM inventory_stockmovement m
JOIN bounds b ON b.warehouse_id = m.warehouse_id
JOIN inventory_warehouse w ON w.id = m.warehouse_id
WHERE m.occurred_at >= %(earliest)s AND m.occurred_at >= b.start_at
GROUP BY 1, 2, 3
"""

# 2. Per (warehouse, SKU): available days, S1, S2, units sold, highest recent daily sales.
_STATS_SQL = """
CREATE TEMP TABLE sw_demand AS
WITH since_start AS (
    SELECT warehouse_id, sku_id, SUM(net) AS net FROM sw_demand_days GROUP BY 1, 2
),
opening AS (
    SELECT bal.warehouse_id, bal.sku_id, bal.on_hand - COALESCE(s.net, 0) AS opening
    FROM inventory_stockbalance bal
    LEFT JOIN since_start s ON s.warehouse_id = bal.warehouse_id AND s.sku_id = bal.sku_id
),
days AS (
    SELECT d.warehouse_id, d.sku_id, d.day, d.sold, o.opening,
           CASE WHEN d.sold - d.returned > 0 THEN d.sold - d.returned ELSE 0 END AS q,
           o.opening + SUM(d.net) OVER (
               PARTITION BY d.warehouse_id, d.sku_id ORDER BY d.day ROWS UNBOUNDED PRECEDING
           ) AS closing
    FROM sw_demand_days d
    JOIN opening o ON o.warehouse_id = d.warehouse_id AND o.sku_id = d.sku_id
    WHERE d.day IS NOT NULL
),
steps AS (
    SELECT warehouse_id, sku_id, day, sold, q, closing,
           COALESCE(LAG(closing) OVER p, opening) AS prev_closing,
           COALESCE(LAG(day) OVER p, %(start_day)s - 1) AS prev_day,
           LEAD(day) OVER p AS next_day
    FROM days
    WINDOW p AS (PARTITION BY warehouse_id, sku_id ORDER BY day)
),
per_pair AS (
    SELECT warehouse_id, sku_id,
           SUM(CASE WHEN q > 0 OR prev_closing > 0 THEN 1 ELSE 0 END
               + CASE WHEN prev_closing > 0 THEN day - prev_day - 1 ELSE 0 END
               + CASE WHEN next_day IS NULL AND closing > 0 THEN %(end_day)s - day ELSE 0 END
           ) AS n,
           SUM(q) AS s1,
           SUM(q * q) AS s2,
           SUM(sold) AS sold,
           MAX(CASE WHEN day > %(end_day)s - %(recent)s THEN sold ELSE 0 END) AS max_recent
    FROM steps
    GROUP BY warehouse_id, sku_id
)
SELECT o.warehouse_id, o.sku_id,
       COALESCE(p.n, CASE WHEN o.opening > 0 THEN %(window)s ELSE 0 END) AS n,
       CAST(COALESCE(p.s1, 0) AS DOUBLE PRECISION) AS s1,
       CAST(COALESCE(p.s2, 0) AS DOUBLE PRECISION) AS s2,
       COALESCE(p.sold, 0) AS sold,
       COALESCE(p.max_recent, 0) AS max_recent
FROM opening o
LEFT JOIN per_pair p ON p.warehouse_id = o.warehouse_id AND p.sku_id = o.sku_id
"""

# 3. Write back. Variance from sums; clamped at 0 against rounding.
_UPDATE_SQL = """
UPDATE inventory_skufacts SET
    avg_daily_demand = t.avg_daily_demand,
    demand_std = t.demand_std,
    available_days = t.n,
    units_sold_window = t.sold,
    max_daily_sales_recent = t.max_recent,
    as_of = %(as_of)s,
    computed_at = %(now)s
FROM (
    SELECT warehouse_id, sku_id, n, sold, max_recent,
           CASE WHEN n > 0 THEN s1 / n ELSE 0 END AS avg_daily_demand,
           CASE WHEN n > 1 AND s2 - s1 * s1 / n > 0
                THEN SQRT((s2 - s1 * s1 / n) / (n - 1)) ELSE 0 END AS demand_std
    FROM sw_demand
) t
WHERE inventory_skufacts.warehouse_id = t.warehouse_id
  AND inventory_skufacts.sku_id = t.sku_id
"""


@dataclass(frozen=True)
class DemandWindow:
    """The days D-W+1 … D, as day numbers since 1970-01-01 (the same in every time zone)."""

    as_of: date
    days: int

    @property
    def first_day(self) -> date:
        return self.as_of - timedelta(days=self.days - 1)

    @property
    def start_day(self) -> int:
        return (self.first_day - EPOCH).days

    @property
    def end_day(self) -> int:
        return (self.as_of - EPOCH).days

    def bounds(self, tz_name: str) -> tuple[datetime, datetime]:
        """The window as instants: local midnight of D-W+1 up to local midnight after D."""
        tz = ZoneInfo(tz_name)
        start = datetime.combine(self.first_day, time.min, tz)
        end = datetime.combine(self.as_of + timedelta(days=1), time.min, tz)
        return start, end


def demand_facts_update(as_of: date) -> None:
    """Nightly step: write d, sigma_d, available days and sales of the window ending on `as_of`.

    Three set-based statements (two temp tables, then one UPDATE) over the window's movements;
    movements after the end of `as_of` are ignored. SkuFacts rows must exist (step 0 makes them).
    """
    window = DemandWindow(as_of, settings.STOCKWISE["DEMAND_WINDOW_DAYS"])
    warehouses = list(Warehouse.objects.values_list("id", "timezone"))
    if not warehouses:
        return
    vendor = connection.vendor
    adapt = connection.ops.adapt_datetimefield_value
    bounds_sql, params = [], {}
    for n, (warehouse_id, tz_name) in enumerate(warehouses):
        start, end = window.bounds(tz_name)
        bounds_sql.append(f"(%(w{n})s, %(s{n})s, %(e{n})s)")
        params.update({f"w{n}": warehouse_id, f"s{n}": adapt(start), f"e{n}": adapt(end)})
    params["earliest"] = adapt(min(window.bounds(tz)[0] for _w, tz in warehouses))
    stats_params = {
        "start_day": window.start_day,
        "end_day": window.end_day,
        "recent": RECENT_DAYS,
        "window": window.days,
    }
    with connection.cursor() as cursor:
        _drop_temp_tables(cursor)
        cursor.execute(
            _DAYS_SQL.format(bounds=", ".join(bounds_sql), local_day=_LOCAL_DAY[vendor]), params
        )
        if vendor == "postgresql":
            cursor.execute("ANALYZE sw_demand_days")
        cursor.execute(_STATS_SQL, stats_params)
        cursor.execute(
            _UPDATE_SQL,
            {
                "as_of": connection.ops.adapt_datefield_value(as_of),
                "now": adapt(timezone.now()),
            },
        )
        _drop_temp_tables(cursor)


def _drop_temp_tables(cursor) -> None:
    cursor.execute("DROP TABLE IF EXISTS sw_demand_days")
    cursor.execute("DROP TABLE IF EXISTS sw_demand")


def demand_facts(*, warehouse_ids=None, sku_ids=None) -> QuerySet[SkuFacts]:
    """The demand facts (d, sigma_d, available days, units sold) as of the last recompute.

    Not scoped to a user: callers (planning, pages through their own scoped selectors) filter.
    """
    rows = SkuFacts.objects.select_related("warehouse", "sku").only(
        "warehouse__code",
        "warehouse__timezone",
        "sku__seller_sku",
        "as_of",
        "avg_daily_demand",
        "demand_std",
        "available_days",
        "units_sold_window",
        "max_daily_sales_recent",
        "computed_at",
    )
    if warehouse_ids is not None:
        rows = rows.filter(warehouse_id__in=warehouse_ids)
    if sku_ids is not None:
        rows = rows.filter(sku_id__in=sku_ids)
    return rows.order_by("warehouse__code", "sku__seller_sku")
