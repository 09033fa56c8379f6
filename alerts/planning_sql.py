"""The SQL of the nightly planning step (`alerts.planning`): the figures as a chain of CTEs, in
the same order of operations as alerts/formulas.py so both give the same doubles, and the
statements that write them (an upsert of every pair on a rebuild night; on a steady night the
pairs in scope staged in a temporary table, then an UPDATE of the changed rows and an INSERT).
"""

EPS = "CAST(0.000000001 AS DOUBLE PRECISION)"
# PostgreSQL folds each CTE into the next and so computes an expression once per use (the
# safety stock, with its square root, about ten times a row); `OFFSET 0` keeps each level a
# subquery whose columns are computed once. SQLite computes them once anyway.
FENCE = {"postgresql": " OFFSET 0"}

FIGURES_CTE = """
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
           {d} AS d,
           {sd} AS sd,
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
    FROM inventory_skufacts f {scope}{demand_join}
    JOIN inventory_sku s ON s.id = f.sku_id
    LEFT JOIN inventory_supplier sup ON sup.id = s.supplier_id
    LEFT JOIN inventory_stockbalance b ON b.warehouse_id = f.warehouse_id AND b.sku_id = f.sku_id
    LEFT JOIN open_orders oo ON oo.warehouse_id = f.warehouse_id AND oo.sku_id = f.sku_id
    LEFT JOIN learned ln ON ln.sku_id = f.sku_id
    JOIN zt ON zt.level_key
        = CAST(ROUND(COALESCE(s.service_level, %(default_level)s) * 10000) AS INTEGER)
    WHERE s.active = TRUE{fence}
),
safety AS (
    SELECT base.*, z * SQRT(lt * sd * sd + d * d * lt_std * lt_std) AS ss FROM base{fence}
),
points AS (
    SELECT safety.*,
           d * lt + ss AS rop,
           d * (lt + %(review)s) + ss AS s_level,
           CAST(CEILING(ss - {eps}) AS INTEGER) AS ss_units,
           CAST(CEILING(d * lt + ss - {eps}) AS INTEGER) AS rop_units,
           CASE WHEN d > 0 THEN on_hand / d END AS cover
    FROM safety{fence}
),
judged AS (
    SELECT points.*,
           CASE WHEN on_hand <= 0 THEN 'STOCKOUT'
                WHEN on_hand <= ss_units THEN 'BELOW_SAFETY'
                WHEN on_hand + on_order <= rop_units THEN 'REORDER'
                WHEN cover IS NULL OR cover > %(overstock)s THEN 'OVERSTOCK'
                ELSE 'OK' END AS status,
           CAST(CEILING(s_level - (on_hand + on_order) - {eps}) AS INTEGER) AS short_units
    FROM points{fence}
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

COLUMNS = [
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
    "ss_method",
]
# What the SS method does not decide: under `SS_METHOD = "spike"` the steady night's UPDATE
# compares only these (the stored SS/ROP/S are the method's, never equal to this SQL's), and
# alerts/spike_planning.py rewrites the rest where the method's figures changed.
INPUT_COLUMNS = [
    "on_hand",
    "on_order",
    "lead_time_days",
    "lead_time_std_days",
    "lead_time_std_source",
    "service_level",
    "z",
]
SELECT = """
SELECT warehouse_id, sku_id, on_hand, on_order, d AS avg_daily_demand, sd AS demand_std,
       lt AS lead_time_days, lt_std AS lead_time_std_days, lt_std_source AS lead_time_std_source,
       service_level, z, ss AS safety_stock, rop AS reorder_point, ss_units AS safety_stock_units,
       rop_units AS reorder_point_units, s_level AS order_up_to,
       suggested AS suggested_order_qty, cover AS days_of_cover, status, urgency, ad_advice,
       'normal' AS ss_method
FROM final
"""
# Every pair (a rebuild night): one upsert.
PLANNING_SQL = (
    FIGURES_CTE
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
STAGE_SQL = "CREATE TEMP TABLE sw_plan_new AS " + FIGURES_CTE + "{select}"
UPDATE_SQL = """
UPDATE alerts_planningfigures SET as_of = %(as_of)s, {sets},
    computed_at = %(now)s, checked_at = %(now)s
FROM sw_plan_new n
WHERE alerts_planningfigures.warehouse_id = n.warehouse_id
  AND alerts_planningfigures.sku_id = n.sku_id
  AND ({changed})
"""
INSERT_SQL = """
INSERT INTO alerts_planningfigures (
    warehouse_id, sku_id, as_of, {columns}, computed_at, checked_at
)
SELECT n.warehouse_id, n.sku_id, %(as_of)s, {n_columns}, %(now)s, %(now)s
FROM sw_plan_new n
WHERE (n.warehouse_id, n.sku_id) NOT IN (SELECT warehouse_id, sku_id FROM alerts_planningfigures)
"""


# After an incremental demand step: only the pairs whose inputs may have changed, gathered
# first with hash joins (joined into the big statement, they would drive 100k index lookups).
# Facts rows are stamped when their figures change; SKUs and suppliers when saved; on order is
# compared with what the row holds (a purchase order sent or cancelled posts nothing). On hand
# changes only through a posting, which marks its pair touched (`{moved}`: the pairs the demand
# step took from those marks, and the facts rows created in this run); when this run's marks
# are not at hand, every row's on hand is compared with the balance instead.
SCOPE_SQL = """
CREATE TEMP TABLE sw_plan_scope AS
{demand_rows}
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
SELECT warehouse_id, sku_id FROM alerts_planningfigures WHERE on_order <> 0{methods}
"""
# Under DOMAIN.md's formula, the rows another SS method left (the setting changed since): in
# the same pass over the planning table.
OTHER_METHOD = " OR ss_method <> 'normal'"
MOVED_ALL = """
SELECT f.warehouse_id, f.sku_id FROM inventory_skufacts f
LEFT JOIN alerts_planningfigures p ON p.warehouse_id = f.warehouse_id AND p.sku_id = f.sku_id
LEFT JOIN inventory_stockbalance b ON b.warehouse_id = f.warehouse_id AND b.sku_id = f.sku_id
WHERE p.id IS NULL OR p.on_hand <> COALESCE(b.on_hand, 0)
"""
MOVED_MARKED = """
SELECT warehouse_id, sku_id FROM sw_touched
UNION
SELECT warehouse_id, sku_id FROM sw_new_pairs
"""
SCOPE_JOIN = "JOIN sw_plan_scope sc ON sc.warehouse_id = f.warehouse_id AND sc.sku_id = f.sku_id"
# The facts rows this run's demand step changed: stamped when written, or, while the write is
# left to the night's second connection (inventory/window.py), the rows it will write, whose
# d̄ and σ_d the figures then take from there.
DEMAND_ROWS_WRITTEN = (
    "SELECT f.warehouse_id, f.sku_id FROM inventory_skufacts f WHERE f.computed_at >= %(since)s"
)
DEMAND_ROWS_STAGED = "SELECT warehouse_id, sku_id FROM {table}"
DEMAND_JOIN = " LEFT JOIN {table} dm ON dm.id = f.id"
STAGED_D = "COALESCE(dm.d, f.avg_daily_demand)"
STAGED_SD = "COALESCE(dm.sd, f.demand_std)"


def changed_sql(old: str, new: str, columns: list[str] = COLUMNS) -> str:
    """SQL: some figure of row `new` differs from row `old` (days_of_cover may be NULL)."""
    return " OR ".join(
        f"({old}.{c} <> {new}.{c} OR ({old}.{c} IS NULL) <> ({new}.{c} IS NULL))"
        if c == "days_of_cover"
        else f"{old}.{c} <> {new}.{c}"
        for c in columns
    )


# The ad advice of the rows planned before this night's slow-mover flags were written (the
# ageing step may run beside planning: inventory/night_runner.py). Only PUSH and KEEP depend
# on the flag, and only when the status is not OVERSTOCK (which is PUSH either way), so the
# rows to fix are exactly those whose PUSH disagrees with their flag. {flipped}: the pairs
# whose flag the ageing step flipped in this run (a few hundred) when it left them, else
# every facts row.
AD_ADVICE_SQL = """
UPDATE alerts_planningfigures
SET ad_advice = CASE WHEN f.slow_mover THEN 'PUSH' ELSE 'KEEP' END,
    as_of = %(as_of)s, computed_at = %(now)s, checked_at = %(now)s
FROM {flipped}
WHERE f.warehouse_id = alerts_planningfigures.warehouse_id
  AND f.sku_id = alerts_planningfigures.sku_id
  AND alerts_planningfigures.ad_advice IN ('PUSH', 'KEEP')
  AND alerts_planningfigures.status <> 'OVERSTOCK'
  AND (alerts_planningfigures.ad_advice = 'PUSH') <> f.slow_mover
"""
AD_ADVICE_FLIPPED = (
    "{table} x JOIN inventory_skufacts f ON f.warehouse_id = x.warehouse_id AND f.sku_id = x.sku_id"
)
AD_ADVICE_EVERY_PAIR = "inventory_skufacts f"
