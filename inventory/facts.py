"""The nightly job: one code path for the `recompute` command and the Celery beat task.

Each app registers its steps in `AppConfig.ready()` with `hooks.register_nightly_step`; this
module only runs them in order. Inventory's own first step makes sure every (warehouse, SKU) with
a balance has a SkuFacts row for the later steps to fill.

A normal night is incremental (PERFORMANCE-NOTES.md): the demand step slides the window state
kept in SkuFacts by a day from the daily rollup, and the later steps write only the rows whose
figures changed. `recompute --full` rebuilds everything from the ledger instead, and first
proves the incremental figures right: the kept rollup against one rebuilt from the ledger, and
(when the last run was for the same day) every pair's facts before against after.
"""

import itertools
import logging
import time
from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from inventory import hooks
from inventory.daily import daily_stock_prove_and_repair
from inventory.models import FactsState
from inventory.night_runner import NIGHT_TUNING, on_side_line, run_steps
from inventory.notices import recompute_proof_record
from inventory.window import (
    DEMAND_ROWS,
    DEMAND_RUN,
    RECENT_ROWS,
    TOUCHED_ROWS,
    run_completed,
    stock_days_at,
)

logger = logging.getLogger(__name__)

# The facts a full rebuild compares with what the incremental nights produced.
PROOF_COLUMNS = (
    "available_days",
    "avg_daily_demand",
    "demand_std",
    "units_sold_window",
    "max_daily_sales_recent",
    "cogs_window_e4",
    "abc_class",
    "oldest_unit_date",
    "units_0_30",
    "units_31_60",
    "units_61_90",
    "units_91_180",
    "units_over_180",
    "units_sold_slow_window",
    "slow_mover",
    "window_opening",
    "window_closing",
    "stock_days",  # compared as of the run's day (see window.stock_days_at)
)
_FLOATS = {"avg_daily_demand", "demand_std"}
# Temporary tables a run leaves for its later steps, dropped when it ends.
RUN_TABLES = (
    "sw_touched",
    "sw_moved",
    "sw_new_pairs",
    "sw_facts_before",
    "sw_slow_flipped",
    DEMAND_ROWS,
    DEMAND_RUN,
    TOUCHED_ROWS,
    "sw_plan_scope",
    "sw_plan_new",
    RECENT_ROWS,
)


@dataclass
class StepTiming:
    name: str
    seconds: float
    # When the step started, in seconds from the start of the run, and whether it ran on the
    # night's second connection: with two connections steps overlap, so the run took less
    # than the sum of its steps.
    started: float = 0.0
    side: bool = False


@dataclass
class FullProof:
    """What `recompute --full` found: rollup rows that differed from the ledger's, and pairs
    whose facts differed from the rebuilt ones (None: the last run was for another day)."""

    rollup_rows_wrong: int = 0
    pairs_compared: int | None = None
    pairs_different: list[tuple[int, int, str]] = field(default_factory=list)


def facts_ensure_rows(as_of: date) -> int:
    """Insert a SkuFacts row (zero figures, as of `as_of`) for each balance that has none.

    Existing rows are not touched: the later steps write only what changed. The pairs inserted
    stay in the temporary table `sw_new_pairs` for the later steps of the run (planning).
    """
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS sw_new_pairs")
        cursor.execute(
            """
            CREATE TEMP TABLE sw_new_pairs AS
            SELECT b.warehouse_id, b.sku_id FROM inventory_stockbalance b
            WHERE NOT EXISTS (SELECT 1 FROM inventory_skufacts f
                              WHERE f.warehouse_id = b.warehouse_id AND f.sku_id = b.sku_id)
            """
        )
        cursor.execute(
            """
            INSERT INTO inventory_skufacts (warehouse_id, sku_id, as_of, avg_daily_demand,
                demand_std, available_days, units_sold_window, max_daily_sales_recent,
                cogs_window, abc_class, units_sold_slow_window,
                slow_mover, computed_at, window_opening, window_closing, demand_s1, demand_s2,
                cogs_window_e4, stock_days, oldest_unit_date)
            SELECT n.warehouse_id, n.sku_id, %s, 0, 0, 0, 0, 0, 0, '', 0, FALSE, %s,
                   0, 0, 0, 0, 0, 0, NULL
            FROM sw_new_pairs n
            """,
            [
                connection.ops.adapt_datefield_value(as_of),
                connection.ops.adapt_datetimefield_value(now),
            ],
        )
        return cursor.rowcount


def facts_state_reset() -> None:
    """Forget the window state: the next run rebuilds every pair (after a bulk load)."""
    FactsState.objects.update_or_create(pk=1, defaults={"as_of": None, "incremental": False})


def recompute(
    as_of: date | None = None, *, full: bool = False, log=None, proof: FullProof | None = None
) -> list[StepTiming]:
    """Run every registered nightly step for `as_of` (default: today), each in a transaction
    (some beside the others on a second connection: `inventory.night_runner`).

    `full`: rebuild the daily rollup and every figure from the ledger, comparing both with what
    the incremental path kept (pass a FullProof to receive the comparison).
    """
    as_of = as_of or timezone.localdate()
    proof = proof if proof is not None else FullProof()
    timings = []
    total = len(hooks.nightly_steps) + (1 if full else 0)
    counter = itertools.count(1)
    run_started = time.perf_counter()

    def timed(name, func):
        number = next(counter)  # steps on the side line count from another thread
        side = on_side_line()
        where = " (second connection)" if side else ""
        if log:  # progress before a step that may take minutes on a large catalogue
            log(f"[{number}/{total}] {name}{where}…")
        started = time.perf_counter()
        with transaction.atomic():
            _tune_session()
            func(as_of)
        timing = StepTiming(name, time.perf_counter() - started, started - run_started, side)
        timings.append(timing)
        if log:
            log(f"[{number}/{total}] {name}{where}: {timing.seconds:.2f} s")
        logger.info("recompute %s step %s%s took %.2f s", as_of, name, where, timing.seconds)

    try:
        if full:
            timed("rollup proof", lambda day: _prove_rollup(day, proof))
        run_steps(list(hooks.nightly_steps), lambda step: timed(step.name, step.func))
        run_completed()
        if full and proof.pairs_compared is not None:
            _compare_snapshot(proof, as_of)
    finally:
        if connection.connection is not None and not connection.needs_rollback:
            with connection.cursor() as cursor:
                for name in RUN_TABLES:
                    cursor.execute(f"DROP TABLE IF EXISTS {name}")
    if full and log:
        log(
            f"rollup rows that differed from the ledger: {proof.rollup_rows_wrong}; "
            + (
                f"pairs whose incremental facts differ from the rebuilt ones: "
                f"{len(proof.pairs_different)} of {proof.pairs_compared}"
                if proof.pairs_compared is not None
                else "no incremental run for this day to compare with"
            )
        )
    return timings


def nightly_recompute(as_of: date | None = None) -> FullProof | None:
    """What beat runs each night: `recompute`. On the weekday `FULL_RECOMPUTE_WEEKDAY` the
    night then runs again as a rebuild from the ledger that compares every figure with the
    incremental ones (`recompute --date D` then `recompute --date D --full`); a difference,
    repaired by the rebuild, opens an admin notice. Returns the proof of such a night."""
    as_of = as_of or timezone.localdate()
    recompute(as_of)
    if as_of.weekday() != settings.STOCKWISE["FULL_RECOMPUTE_WEEKDAY"]:
        return None
    proof = FullProof()
    recompute(as_of, full=True, proof=proof)
    recompute_proof_record(proof)
    return proof


def _tune_session() -> None:
    """Settings for the rest of this step's transaction (PostgreSQL). The nightly statements
    are planned as costly (100k-row joins) but run in tens of milliseconds: compiling them
    with JIT cost more than it saved (20–60 ms a statement, measured with EXPLAIN ANALYZE).
    Sorts and hashes of 100k rows fit in 32 MB instead of spilling to disk. The steps ANALYZE
    only their temporary tables, for join sizes: a 3,000-row sample instead of 30,000 (a
    60k-row table in 10 ms instead of 100–120)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for statement in NIGHT_TUNING:
                cursor.execute(statement)


def _prove_rollup(as_of: date, proof: FullProof) -> None:
    proof.rollup_rows_wrong = daily_stock_prove_and_repair()
    if proof.rollup_rows_wrong:
        logger.error("daily rollup: %d rows differed from the ledger", proof.rollup_rows_wrong)
    state = FactsState.objects.filter(pk=1).first()
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS sw_facts_before")
        if state and state.as_of == as_of:
            columns = ", ".join(_proof_expressions(as_of))
            cursor.execute(
                f"CREATE TEMP TABLE sw_facts_before AS "  # noqa: S608 - fixed names
                f"SELECT warehouse_id, sku_id, {columns} FROM inventory_skufacts"
            )
            proof.pairs_compared = 0
    facts_state_reset()


def _proof_value(name: str, alias: str, as_of: date) -> str:
    """The SQL of one compared figure of a facts row, the same before and after the rebuild."""
    if name == "stock_days":
        return stock_days_at(alias, as_of)
    if name == "oldest_unit_date":  # as text: SQLite's CREATE TABLE AS drops the date type
        return f"CAST({alias}.oldest_unit_date AS TEXT)"
    return f"{alias}.{name}"


def _proof_expressions(as_of: date, alias: str = "inventory_skufacts") -> list[str]:
    return [f"{_proof_value(name, alias, as_of)} AS {name}" for name in PROOF_COLUMNS]


def _compare_snapshot(proof: FullProof, as_of: date) -> None:
    """Compare every pair's facts before and after in the database: only the pairs that differ
    (with the first column that does) come back, so memory does not grow with the catalogue
    (fetching 100k rows of 13 columns held ~45 MiB in the process)."""
    after = [_proof_value(name, "b", as_of) for name in PROOF_COLUMNS]
    postgres = connection.vendor == "postgresql"
    same = []
    for name, expr in zip(PROOF_COLUMNS, after, strict=True):
        if name in _FLOATS:  # math.isclose(rel_tol=1e-9, abs_tol=1e-9)
            bigger = "GREATEST" if postgres else "MAX"
            same.append(
                f"ABS(a.{name} - {expr}) <= {bigger}(1e-9 * {bigger}(ABS(a.{name}), "
                f"ABS({expr})), 1e-9)"
            )
        else:
            same.append(
                f"a.{name} IS NOT DISTINCT FROM {expr}" if postgres else f"a.{name} IS {expr}"
            )
    first_different = " ".join(
        f"WHEN NOT ({cond}) THEN '{name}'" for name, cond in zip(PROOF_COLUMNS, same, strict=True)
    )
    joined = (
        "FROM sw_facts_before a JOIN inventory_skufacts b "
        "ON b.warehouse_id = a.warehouse_id AND b.sku_id = a.sku_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) {joined}")  # noqa: S608 - fixed names
        compared = cursor.fetchone()[0]
        cursor.execute(
            f"SELECT a.warehouse_id, a.sku_id, CASE {first_different} END {joined} "  # noqa: S608
            f"WHERE NOT ({' AND '.join(same)}) ORDER BY a.warehouse_id, a.sku_id"
        )
        proof.pairs_different = [tuple(row) for row in cursor.fetchall()]
    proof.pairs_compared = compared
    for warehouse_id, sku_id, name in proof.pairs_different[:20]:
        logger.error(
            "incremental %s of (%s, %s) differs from the rebuild", name, warehouse_id, sku_id
        )
