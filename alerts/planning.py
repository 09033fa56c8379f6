"""Planning figures (SS, ROP, order-up-to, suggestion, status, ad advice), set-based.

The nightly step is set-based SQL (alerts/planning_sql.py), on PostgreSQL and SQLite alike: an
upsert of every (warehouse, SKU) with demand facts on a rebuild night; on a steady night only
the pairs whose inputs changed, staged then written where their figures changed. z is computed
in Python (statistics) once per distinct service level and joined in as a tiny VALUES table;
the rest of the arithmetic is SQL, in the same order of operations as alerts/formulas.py so
both give the same doubles.

The real-time check after a posting (`planning_recheck`) keeps the stored SS/ROP and only
re-evaluates on hand, on order, status, suggestion and ad advice for the touched pairs.
"""

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db import connection
from django.utils import timezone

from alerts import formulas, planning_sql
from alerts.models import PlanningFigures
from alerts.spike_planning import spike_planning
from inventory.models import OPEN_PO_STATUSES, SKU, SkuFacts, StockBalance
from inventory.selectors import on_order_by_key


def _level_key(level) -> int:
    return round(float(level) * 10000)


def _nestloop(cursor, enabled: bool) -> None:
    if connection.vendor == "postgresql":
        cursor.execute(f"SET LOCAL enable_nestloop = {'on' if enabled else 'off'}")


def planning_nightly(as_of: date) -> None:
    """The nightly "planning" step: on a steady night the pairs in scope staged (the
    "planning write" step writes them, once the demand facts they come from have committed);
    on a rebuild night every pair written."""
    planning_recompute(as_of, count=False, write=False)


def planning_write_nightly(as_of: date) -> None:
    """The nightly "planning write" step: the rows the planning step staged, if it staged."""
    from inventory.window import temp_table_exists

    if temp_table_exists(STAGED):
        _write_staged(as_of)


# The pairs in scope and their new figures, between the two steps (on the main connection).
STAGED = "sw_plan_new"


def planning_recompute(as_of: date, *, count: bool = True, write: bool = True) -> int | None:
    """SS, ROP, S, suggestion, status and ad advice for every active pair.

    One upsert statement; rows of pairs that no longer qualify (inactive SKU) are deleted.
    When the demand step slid the window incrementally in this run, only the pairs whose
    inputs changed are computed (into a temporary table), and only the rows whose figures
    changed are written (not `write`: left staged for `planning_write_nightly`): `as_of`,
    `computed_at` and `checked_at` of a row say when its figures last changed (the alerts step
    looks at those rows only). Returns the number of planning rows (None when not `count`).
    """
    from inventory.window import DEMAND_ROWS, run_marks_present, run_state

    run = run_state(as_of)
    incremental = bool(run and run.previous_completed)
    now = timezone.now()
    fill, sql_params = _statement_parts(as_of, now)
    if run and run.deferred:  # the demand facts are not written yet: this run's are staged
        fill["demand_join"] = planning_sql.DEMAND_JOIN.format(table=DEMAND_ROWS)
        fill["d"], fill["sd"] = planning_sql.STAGED_D, planning_sql.STAGED_SD
    with connection.cursor() as cursor:
        if not incremental:
            cursor.execute(planning_sql.PLANNING_SQL.format(scope="", **fill), sql_params)
        else:
            adapt = connection.ops.adapt_datetimefield_value
            moved = planning_sql.MOVED_MARKED if run_marks_present() else planning_sql.MOVED_ALL
            for name in ("sw_plan_scope", STAGED):
                cursor.execute(f"DROP TABLE IF EXISTS {name}")
            demand_rows = (
                planning_sql.DEMAND_ROWS_STAGED.format(table=DEMAND_ROWS)
                if run.deferred
                else planning_sql.DEMAND_ROWS_WRITTEN
            )
            cursor.execute(
                planning_sql.SCOPE_SQL.replace("{demand_rows}", demand_rows)
                .replace("{moved}", moved)
                .replace("{methods}", "" if _spike_method() else planning_sql.OTHER_METHOD),
                {
                    "since": adapt(run.run_started_at),
                    "prev": adapt(run.previous_run_started_at),
                    "open1": OPEN_PO_STATUSES[0],
                    "open2": OPEN_PO_STATUSES[1],
                },
            )
            if connection.vendor == "postgresql":
                cursor.execute("ANALYZE sw_plan_scope")
            # The level join (an expression on the SKU) is estimated at a few dozen rows, so
            # PostgreSQL would look up facts and balances per scope row: hash joins instead.
            _nestloop(cursor, False)
            cursor.execute(
                planning_sql.STAGE_SQL.format(scope=planning_sql.SCOPE_JOIN, **fill), sql_params
            )
            _nestloop(cursor, True)
            cursor.execute("DROP TABLE sw_plan_scope")
    if incremental:
        if write:
            _write_staged(as_of)
    else:
        PlanningFigures.objects.exclude(computed_at=now).delete()
        if _spike_method():
            spike_planning(as_of, now)
    return PlanningFigures.objects.count() if count else None


def _spike_method() -> bool:
    return settings.STOCKWISE.get("SS_METHOD", "normal") == "spike"


def _statement_parts(as_of: date, now, *, figures: bool = True) -> tuple[dict, dict]:
    """The fragments and parameters of the planning statements (planning_sql); without
    `figures`, only what writing staged rows needs (no service levels read, no z)."""
    params = settings.STOCKWISE
    sql_params = {
        "as_of": connection.ops.adapt_datefield_value(as_of),
        "now": connection.ops.adapt_datetimefield_value(now),
    }
    fill = {
        "columns": ", ".join(planning_sql.COLUMNS),
        "n_columns": ", ".join(f"n.{c}" for c in planning_sql.COLUMNS),
        "sets": ", ".join(f"{c} = n.{c}" for c in planning_sql.COLUMNS),
        "changed": planning_sql.changed_sql(
            "alerts_planningfigures",
            "n",
            planning_sql.INPUT_COLUMNS if _spike_method() else planning_sql.COLUMNS,
        ),
    }
    if not figures:
        return fill, sql_params
    default_level = Decimal(str(params["DEFAULT_SERVICE_LEVEL"]))
    levels = {_level_key(default_level): float(default_level)}
    for level in SKU.objects.exclude(service_level=None).values_list("service_level", flat=True):
        levels.setdefault(_level_key(level), float(level))
    values = []
    for n, (key, level) in enumerate(sorted(levels.items())):
        values.append(f"(%(k{n})s, %(l{n})s, %(z{n})s)")
        sql_params.update({f"k{n}": key, f"l{n}": level, f"z{n}": formulas.z_for(level)})
    sql_params.update(
        {
            "open1": OPEN_PO_STATUSES[0],
            "open2": OPEN_PO_STATUSES[1],
            "default_level": default_level,
            "review": params["REVIEW_PERIOD_DAYS"],
            "overstock": params["OVERSTOCK_DAYS"],
        }
    )
    fill.update(
        {
            "levels": ", ".join(values),
            "eps": planning_sql.EPS,
            "fence": planning_sql.FENCE.get(connection.vendor, ""),
            "select": planning_sql.SELECT,
            "updates": ", ".join(f"{c} = excluded.{c}" for c in planning_sql.COLUMNS),
            "demand_join": "",
            "d": "f.avg_daily_demand",
            "sd": "f.demand_std",
        }
    )
    return fill, sql_params


def _write_staged(as_of: date) -> None:
    """Write the staged figures where they changed, insert the new pairs' rows, delete the
    rows of inactive SKUs; then the spike-aware method's figures when it is the setting."""
    now = timezone.now()
    fill, sql_params = _statement_parts(as_of, now, figures=False)
    with connection.cursor() as cursor:
        # The new pairs first: their check reads the planning table before the UPDATE leaves
        # a dead version of a third of its rows there (the rows inserted then match unchanged).
        cursor.execute(planning_sql.INSERT_SQL.format(**fill), sql_params)
        cursor.execute(planning_sql.UPDATE_SQL.format(**fill), sql_params)
        cursor.execute(f"DROP TABLE {STAGED}")
    PlanningFigures.objects.filter(sku__active=False).delete()
    if _spike_method():
        spike_planning(as_of, now)


def ad_advice_nightly(as_of: date) -> int:
    """Nightly step after planning and ageing: PUSH or KEEP by this night's slow-mover flags
    where planning read the flags before ageing wrote them. Returns the rows written."""
    from inventory.ageing_slide import SLOW_FLIPPED
    from inventory.window import temp_table_exists

    source = (
        planning_sql.AD_ADVICE_FLIPPED.format(table=SLOW_FLIPPED)
        if temp_table_exists(SLOW_FLIPPED)
        else planning_sql.AD_ADVICE_EVERY_PAIR
    )
    with connection.cursor() as cursor:
        cursor.execute(
            planning_sql.AD_ADVICE_SQL.format(flipped=source),
            {
                "as_of": connection.ops.adapt_datefield_value(as_of),
                "now": connection.ops.adapt_datetimefield_value(timezone.now()),
            },
        )
        return cursor.rowcount


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
    return formulas.stock_figures(
        d=row.avg_daily_demand,
        ss_units=row.safety_stock_units,
        rop_units=row.reorder_point_units,
        order_up_to=row.order_up_to,
        case_pack=row.sku.case_pack,
        moq=row.sku.moq,
        lead_time=row.lead_time_days,
        on_hand=on_hand,
        on_order=on_order,
        slow_mover=slow_mover,
        overstock_days=overstock_days,
    )
