"""Planning figures (SS, ROP, order-up-to, suggestion, status, ad advice), set-based.

The nightly step is one INSERT … SELECT … ON CONFLICT DO UPDATE over every (warehouse, SKU)
with demand facts, on PostgreSQL and SQLite alike. z is computed in Python (statistics) once per
distinct service level and joined in as a tiny VALUES table; the rest of the arithmetic is SQL,
in the same order of operations as alerts/formulas.py so both give the same doubles.

The real-time check after a posting (`planning_recheck`) keeps the stored SS/ROP and only
re-evaluates on hand, on order, status, suggestion and ad advice for the touched pairs.
"""

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db import connection
from django.utils import timezone

from alerts import formulas
from alerts.models import PlanningFigures
from inventory.models import OPEN_PO_STATUSES, SKU, SkuFacts, StockBalance
from inventory.selectors import on_order_by_key

_EPS = "CAST(0.000000001 AS DOUBLE PRECISION)"

_FIGURES_CTE = """
WITH zt (level_key, service_level, z) AS (VALUES {levels}),
learned AS (
    SELECT sku_id, COUNT(*) AS n,
           CAST(SUM(actual_lead_time_days) AS DOUBLE PRECISION) AS s1,
           CAST(SUM(actual_lead_time_days * actual_lead_time_days) AS DOUBLE PRECISION) AS s2
    FROM inventory_purchaseorderline
    WHERE actual_lead_time_days IS NOT NULL
    GROUP BY sku_id
    HAVING COUNT(*) >= 3
),
open_orders AS (
    SELECT po.warehouse_id, l.sku_id, SUM(l.quantity - l.received_quantity) AS qty
    FROM inventory_purchaseorderline l
    JOIN inventory_purchaseorder po ON po.id = l.purchase_order_id
    WHERE po.status IN (%(open1)s, %(open2)s)
    GROUP BY po.warehouse_id, l.sku_id
),
base AS (
    SELECT f.warehouse_id, f.sku_id, f.as_of, f.slow_mover,
           COALESCE(b.on_hand, 0) AS on_hand,
           COALESCE(oo.qty, 0) AS on_order,
           f.avg_daily_demand AS d,
           f.demand_std AS sd,
           COALESCE(s.lead_time_days, sup.lead_time_days, 0)
               + COALESCE(s.logistics_days, sup.logistics_days, 0) AS lt,
           CASE WHEN s.lead_time_std_days IS NOT NULL
                    THEN CAST(s.lead_time_std_days AS DOUBLE PRECISION)
                WHEN sup.lead_time_std_days > 0
                    THEN CAST(sup.lead_time_std_days AS DOUBLE PRECISION)
                WHEN ln.n IS NOT NULL AND ln.s2 - ln.s1 * ln.s1 / ln.n > 0
                    THEN SQRT((ln.s2 - ln.s1 * ln.s1 / ln.n) / (ln.n - 1))
                ELSE CAST(0 AS DOUBLE PRECISION) END AS lt_std,
           CASE WHEN s.lead_time_std_days IS NOT NULL THEN 'sku'
                WHEN sup.lead_time_std_days > 0 THEN 'supplier'
                WHEN ln.n IS NOT NULL THEN 'learned'
                ELSE 'default' END AS lt_std_source,
           zt.service_level, zt.z,
           CASE WHEN s.case_pack < 1 THEN 1 ELSE s.case_pack END AS case_pack,
           s.moq
    FROM inventory_skufacts f {scope}
    JOIN inventory_sku s ON s.id = f.sku_id
    LEFT JOIN inventory_supplier sup ON sup.id = s.supplier_id
    LEFT JOIN inventory_stockbalance b ON b.warehouse_id = f.warehouse_id AND b.sku_id = f.sku_id
    LEFT JOIN open_orders oo ON oo.warehouse_id = f.warehouse_id AND oo.sku_id = f.sku_id
    LEFT JOIN learned ln ON ln.sku_id = f.sku_id
    JOIN zt ON zt.level_key
        = CAST(ROUND(COALESCE(s.service_level, %(default_level)s) * 10000) AS INTEGER)
    WHERE s.active = TRUE
),
safety AS (
    SELECT base.*, z * SQRT(lt * sd * sd + d * d * lt_std * lt_std) AS ss FROM base
),
points AS (
    SELECT safety.*,
           d * lt + ss AS rop,
           d * (lt + %(review)s) + ss AS s_level,
           CAST(CEILING(ss - {eps}) AS INTEGER) AS ss_units,
           CAST(CEILING(d * lt + ss - {eps}) AS INTEGER) AS rop_units,
           CASE WHEN d > 0 THEN on_hand / d END AS cover
    FROM safety
),
judged AS (
    SELECT points.*,
           CASE WHEN on_hand <= 0 THEN 'STOCKOUT'
                WHEN on_hand <= ss_units THEN 'BELOW_SAFETY'
                WHEN on_hand + on_order <= rop_units THEN 'REORDER'
                WHEN cover IS NULL OR cover > %(overstock)s THEN 'OVERSTOCK'
                ELSE 'OK' END AS status,
           CAST(CEILING(s_level - (on_hand + on_order) - {eps}) AS INTEGER) AS short_units
    FROM points
),
final AS (
    SELECT judged.*,
           CASE WHEN short_units <= 0 THEN 0
                WHEN (short_units + case_pack - 1) / case_pack * case_pack < moq THEN moq
                ELSE (short_units + case_pack - 1) / case_pack * case_pack END AS suggested,
           CASE status WHEN 'STOCKOUT' THEN 0 WHEN 'BELOW_SAFETY' THEN 1 WHEN 'REORDER' THEN 2
                       WHEN 'OVERSTOCK' THEN 3 ELSE 4 END AS urgency,
           CASE WHEN status IN ('STOCKOUT', 'BELOW_SAFETY') THEN 'PAUSE'
                WHEN cover IS NOT NULL AND cover < lt THEN 'REDUCE'
                WHEN slow_mover OR status = 'OVERSTOCK' THEN 'PUSH'
                ELSE 'KEEP' END AS ad_advice
    FROM judged
)
"""

_COLUMNS = [
    "on_hand",
    "on_order",
    "avg_daily_demand",
    "demand_std",
    "lead_time_days",
    "lead_time_std_days",
    "lead_time_std_source",
    "service_level",
    "z",
    "safety_stock",
    "reorder_point",
    "safety_stock_units",
    "reorder_point_units",
    "order_up_to",
    "suggested_order_qty",
    "days_of_cover",
    "status",
    "urgency",
    "ad_advice",
]
_SELECT = """
SELECT warehouse_id, sku_id, on_hand, on_order, d AS avg_daily_demand, sd AS demand_std,
       lt AS lead_time_days, lt_std AS lead_time_std_days, lt_std_source AS lead_time_std_source,
       service_level, z, ss AS safety_stock, rop AS reorder_point, ss_units AS safety_stock_units,
       rop_units AS reorder_point_units, s_level AS order_up_to,
       suggested AS suggested_order_qty, cover AS days_of_cover, status, urgency, ad_advice
FROM final
"""
# Every pair (a rebuild night): one upsert.
_PLANNING_SQL = (
    _FIGURES_CTE
    + """
INSERT INTO alerts_planningfigures (
    warehouse_id, sku_id, as_of, {columns}, computed_at, checked_at
)
SELECT warehouse_id, sku_id, %(as_of)s, {columns}, %(now)s, %(now)s
FROM ({select}) f
WHERE TRUE
ON CONFLICT (warehouse_id, sku_id) DO UPDATE SET
    as_of = excluded.as_of, {updates},
    computed_at = excluded.computed_at, checked_at = excluded.checked_at
"""
)
# The pairs in scope (a steady night): figures into a temporary table with hash joins, then
# one UPDATE … FROM of the rows whose figures changed (a quarter of the pairs in scope keep
# every figure: a receipt or a stock edge moved their facts, not d̄) and one INSERT of the
# pairs that have no row yet (cheaper than an upsert, which probes the unique index per row).
_STAGE_SQL = "CREATE TEMP TABLE sw_plan_new AS " + _FIGURES_CTE + "{select}"
_UPDATE_SQL = """
UPDATE alerts_planningfigures SET as_of = %(as_of)s, {sets},
    computed_at = %(now)s, checked_at = %(now)s
FROM sw_plan_new n
WHERE alerts_planningfigures.warehouse_id = n.warehouse_id
  AND alerts_planningfigures.sku_id = n.sku_id
  AND ({changed})
"""
_INSERT_SQL = """
INSERT INTO alerts_planningfigures (
    warehouse_id, sku_id, as_of, {columns}, computed_at, checked_at
)
SELECT n.warehouse_id, n.sku_id, %(as_of)s, {n_columns}, %(now)s, %(now)s
FROM sw_plan_new n
WHERE NOT EXISTS (SELECT 1 FROM alerts_planningfigures p
                  WHERE p.warehouse_id = n.warehouse_id AND p.sku_id = n.sku_id)
"""


def _level_key(level) -> int:
    return round(float(level) * 10000)


# After an incremental demand step: only the pairs whose inputs may have changed, gathered
# first with hash joins (joined into the big statement, they would drive 100k index lookups).
# Facts rows are stamped when their figures change; SKUs and suppliers when saved; on order is
# compared with what the row holds (a purchase order sent or cancelled posts nothing). On hand
# changes only through a posting, which marks its pair touched (`{moved}`: the pairs the demand
# step took from those marks, and the facts rows created in this run); when this run's marks
# are not at hand, every row's on hand is compared with the balance instead.
_SCOPE_SQL = """
CREATE TEMP TABLE sw_plan_scope AS
SELECT f.warehouse_id, f.sku_id FROM inventory_skufacts f WHERE f.computed_at >= %(since)s
UNION
SELECT f.warehouse_id, f.sku_id FROM inventory_skufacts f
JOIN inventory_sku s ON s.id = f.sku_id
LEFT JOIN inventory_supplier sup ON sup.id = s.supplier_id
WHERE s.updated_at >= %(prev)s OR sup.updated_at >= %(prev)s
UNION
{moved}
UNION
SELECT po.warehouse_id, l.sku_id FROM inventory_purchaseorderline l
JOIN inventory_purchaseorder po ON po.id = l.purchase_order_id
WHERE po.status IN (%(open1)s, %(open2)s)
UNION
SELECT warehouse_id, sku_id FROM alerts_planningfigures WHERE on_order <> 0
"""
_MOVED_ALL = """
SELECT f.warehouse_id, f.sku_id FROM inventory_skufacts f
LEFT JOIN alerts_planningfigures p ON p.warehouse_id = f.warehouse_id AND p.sku_id = f.sku_id
LEFT JOIN inventory_stockbalance b ON b.warehouse_id = f.warehouse_id AND b.sku_id = f.sku_id
WHERE p.id IS NULL OR p.on_hand <> COALESCE(b.on_hand, 0)
"""
_MOVED_MARKED = """
SELECT warehouse_id, sku_id FROM sw_touched
UNION
SELECT warehouse_id, sku_id FROM sw_new_pairs
"""
_SCOPE_JOIN = "JOIN sw_plan_scope sc ON sc.warehouse_id = f.warehouse_id AND sc.sku_id = f.sku_id"


def _changed(old: str, new: str) -> str:
    """SQL: some figure of row `new` differs from row `old` (days_of_cover may be NULL)."""
    return " OR ".join(
        f"({old}.{c} <> {new}.{c} OR ({old}.{c} IS NULL) <> ({new}.{c} IS NULL))"
        if c == "days_of_cover"
        else f"{old}.{c} <> {new}.{c}"
        for c in _COLUMNS
    )


def _nestloop(cursor, enabled: bool) -> None:
    if connection.vendor == "postgresql":
        cursor.execute(f"SET LOCAL enable_nestloop = {'on' if enabled else 'off'}")


def planning_nightly(as_of: date) -> None:
    """The nightly step: `planning_recompute` without counting the rows afterwards."""
    planning_recompute(as_of, count=False)


def planning_recompute(as_of: date, *, count: bool = True) -> int | None:
    """Nightly step: SS, ROP, S, suggestion, status and ad advice for every active pair.

    One upsert statement; rows of pairs that no longer qualify (inactive SKU) are deleted.
    When the demand step slid the window incrementally in this run, only the pairs whose
    inputs changed are computed (into a temporary table), and only the rows whose figures
    changed are written: `as_of`, `computed_at` and `checked_at` of a row say when its figures
    last changed (the alerts step looks at those rows only). Returns the number of planning
    rows (None when not `count`).
    """
    from inventory.models import FactsState
    from inventory.window import run_marks_present, state_is_current

    state = FactsState.objects.filter(pk=1).first() if state_is_current(as_of) else None
    incremental = bool(state and state.previous_run_started_at)
    params = settings.STOCKWISE
    default_level = Decimal(str(params["DEFAULT_SERVICE_LEVEL"]))
    levels = {_level_key(default_level): float(default_level)}
    for level in SKU.objects.exclude(service_level=None).values_list("service_level", flat=True):
        levels.setdefault(_level_key(level), float(level))
    values, sql_params = [], {}
    for n, (key, level) in enumerate(sorted(levels.items())):
        values.append(f"(%(k{n})s, %(l{n})s, %(z{n})s)")
        sql_params.update({f"k{n}": key, f"l{n}": level, f"z{n}": formulas.z_for(level)})
    now = timezone.now()
    sql_params.update(
        {
            "open1": OPEN_PO_STATUSES[0],
            "open2": OPEN_PO_STATUSES[1],
            "default_level": default_level,
            "review": params["REVIEW_PERIOD_DAYS"],
            "overstock": params["OVERSTOCK_DAYS"],
            "as_of": connection.ops.adapt_datefield_value(as_of),
            "now": connection.ops.adapt_datetimefield_value(now),
        }
    )
    fill = {
        "levels": ", ".join(values),
        "eps": _EPS,
        "select": _SELECT,
        "columns": ", ".join(_COLUMNS),
        "n_columns": ", ".join(f"n.{c}" for c in _COLUMNS),
        "updates": ", ".join(f"{c} = excluded.{c}" for c in _COLUMNS),
        "sets": ", ".join(f"{c} = n.{c}" for c in _COLUMNS),
        "changed": _changed("alerts_planningfigures", "n"),
    }
    with connection.cursor() as cursor:
        if not incremental:
            cursor.execute(_PLANNING_SQL.format(scope="", **fill), sql_params)
        else:
            adapt = connection.ops.adapt_datetimefield_value
            moved = _MOVED_MARKED if run_marks_present() else _MOVED_ALL
            for name in ("sw_plan_scope", "sw_plan_new"):
                cursor.execute(f"DROP TABLE IF EXISTS {name}")
            cursor.execute(
                _SCOPE_SQL.replace("{moved}", moved),
                {
                    "since": adapt(state.run_started_at),
                    "prev": adapt(state.previous_run_started_at),
                    "open1": OPEN_PO_STATUSES[0],
                    "open2": OPEN_PO_STATUSES[1],
                },
            )
            if connection.vendor == "postgresql":
                cursor.execute("ANALYZE sw_plan_scope")
            # The level join (an expression on the SKU) is estimated at a few dozen rows, so
            # PostgreSQL would look up facts and balances per scope row: hash joins instead.
            _nestloop(cursor, False)
            cursor.execute(_STAGE_SQL.format(scope=_SCOPE_JOIN, **fill), sql_params)
            _nestloop(cursor, True)
            cursor.execute(_UPDATE_SQL.format(**fill), sql_params)
            cursor.execute(_INSERT_SQL.format(**fill), sql_params)
            for name in ("sw_plan_scope", "sw_plan_new"):
                cursor.execute(f"DROP TABLE {name}")
    if incremental:
        PlanningFigures.objects.filter(sku__active=False).delete()
    else:
        PlanningFigures.objects.exclude(computed_at=now).delete()
    return PlanningFigures.objects.count() if count else None


def planning_recheck(pairs: set[tuple[int, int]]) -> list[int]:
    """Re-evaluate the live part of the stored figures of the given (warehouse, SKU) pairs.

    Stored SS/ROP/S stay as of the last recompute; on hand and on order are read now. Returns
    the ids of the planning rows checked (pairs never recomputed have none and are skipped: the
    nightly run picks them up). A fixed number of queries, whatever the number of pairs. Call it
    inside a transaction (the row locks last until the alerts are in line).
    """
    if not pairs:
        return []
    warehouse_ids = {w for w, _s in pairs}
    sku_ids = {s for _w, s in pairs}
    # Lock the rows (in pk order, so concurrent checks cannot deadlock) *before* reading live
    # stock: checks of one pair then run one after the other, each seeing the stock committed
    # before it, so a check that read stale stock cannot undo what a later one decided.
    locked = (
        PlanningFigures.objects.select_related("sku")
        .select_for_update(of=("self",))
        .filter(warehouse_id__in=warehouse_ids, sku_id__in=sku_ids)
        .order_by("pk")
    )
    rows = [row for row in locked if (row.warehouse_id, row.sku_id) in pairs]
    if not rows:
        return []
    on_hand = {
        (w, s): q
        for w, s, q in StockBalance.objects.filter(
            warehouse_id__in=warehouse_ids, sku_id__in=sku_ids
        ).values_list("warehouse_id", "sku_id", "on_hand")
    }
    on_order = on_order_by_key(warehouse_ids=warehouse_ids, sku_ids=sku_ids)
    slow = {
        (w, s)
        for w, s in SkuFacts.objects.filter(
            warehouse_id__in=warehouse_ids, sku_id__in=sku_ids, slow_mover=True
        ).values_list("warehouse_id", "sku_id")
    }
    now = timezone.now()
    overstock = settings.STOCKWISE["OVERSTOCK_DAYS"]
    for row in rows:
        key = (row.warehouse_id, row.sku_id)
        live = live_figures(
            row,
            on_hand=on_hand.get(key, 0),
            on_order=on_order.get(key, 0),
            slow_mover=key in slow,
            overstock_days=overstock,
        )
        for name, value in live.items():
            setattr(row, name, value)
        row.checked_at = now
    PlanningFigures.objects.bulk_update(
        rows,
        [
            "on_hand",
            "on_order",
            "days_of_cover",
            "status",
            "urgency",
            "suggested_order_qty",
            "ad_advice",
            "checked_at",
        ],
        batch_size=500,
    )
    return [row.pk for row in rows]


def live_figures(
    row: PlanningFigures, *, on_hand: int, on_order: int, slow_mover: bool, overstock_days: float
) -> dict:
    """The figures that depend on stock now, from the stored d, L, SS/ROP units and S."""
    cover = formulas.days_of_cover(on_hand, row.avg_daily_demand)
    stock_status = formulas.status(
        on_hand=on_hand,
        on_order=on_order,
        ss_units=row.safety_stock_units,
        rop_units=row.reorder_point_units,
        cover=cover,
        overstock_days=overstock_days,
    )
    return {
        "on_hand": on_hand,
        "on_order": on_order,
        "days_of_cover": cover,
        "status": stock_status,
        "urgency": formulas.urgency(stock_status),
        "suggested_order_qty": formulas.suggested_order(
            row.order_up_to, on_hand + on_order, row.sku.case_pack, row.sku.moq
        ),
        "ad_advice": formulas.ad_advice(
            stock_status=stock_status,
            cover=cover,
            lead_time=row.lead_time_days,
            slow_mover=slow_mover,
        ),
    }
