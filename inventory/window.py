"""The demand window as a running state: slide it by a day instead of re-reading history.

PERFORMANCE-NOTES.md: a recompute from the full ledger cannot go much below 4–5 × one scan of
the window; the nightly target is 2 ×. So SkuFacts keeps, per (warehouse, SKU), the state of the
window as of the last run (`FactsState.as_of`, P): the closing stock the day before the window
and on P, and the integer sums behind d̄ and σ_d (available days n, Σq, Σq²), units sold, COGS,
sales of the slow-mover window, and the sum of the closing stock over the window's days (the
average inventory of DOMAIN.md "Turnover" is that times the unit cost, over the days).
Moving the window from P to D touches only

- the days that leave it (P-W+1 … D-W) and the days that enter it (P+1 … D), read from the daily
  rollup (`DailyStock`), for the pairs that have rollup rows there;
- the pairs with no row there but whose gap days change availability (in stock at one edge, out
  at the other): n moves by the number of days, nothing else does;
- the pairs touched since the last run by a movement dated on or before P (a late import, a
  backdated correction): rebuilt from their rollup rows.

With the night's second connection (inventory/night_runner.py) the demand step only computes:
the rows to write, with their d̄ and σ_d, stay in a temporary table that planning reads, and the
"demand write" step on the other connection writes them, clears the marks the demand step read
(only those whose rollup row has not changed since) and moves the state, in one transaction.

Everything else is left alone: no row is rewritten when nothing about it changed. The rules are
the ones of `DOMAIN.md` "Demand" exactly as `inventory.demand` words them; the rebuild is the same
sparse walk over rollup rows, and `recompute --full` proves slide == rebuild.

Days are numbered from 1970-01-01 in SQL so the arithmetic is plain integers on both databases.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import connection
from django.db.models import F
from django.utils import timezone

from inventory.models import FactsState

EPOCH = date(1970, 1, 1)
RECENT_DAYS = 7
# When the night runs on two connections, the demand step computes and the "demand write" step
# (on the second connection) writes: these temporary tables carry the new state of the pairs
# that change (with d̄ and σ_d, which planning reads before the write has committed), the run
# (one row: the day, the previous day and when this run and the previous one started) and the
# marked rollup rows read, with their row version, so that only those marks are cleared.
DEMAND_ROWS = "sw_demand"
DEMAND_RUN = "sw_demand_run"
TOUCHED_ROWS = "sw_touched_rows"
# The 7-day peaks read before the demand step, written after the demand write (same connection).
RECENT_ROWS = "sw_recent"
# d̄ and σ_d (n − 1) of a state row aliased `t` (n, s1 = Σq, s2 = Σq²), the same expressions
# wherever they are computed, so the doubles planning reads are the ones written.
_D_SQL = "CASE WHEN t.n > 0 THEN CAST(t.s1 AS DOUBLE PRECISION) / t.n ELSE 0 END"
_SD_SQL = (
    "CASE WHEN t.n > 1 AND CAST(t.s2 AS DOUBLE PRECISION)"
    " - CAST(t.s1 AS DOUBLE PRECISION) * t.s1 / t.n > 0"
    " THEN SQRT((CAST(t.s2 AS DOUBLE PRECISION)"
    " - CAST(t.s1 AS DOUBLE PRECISION) * t.s1 / t.n) / (t.n - 1))"
    " ELSE 0 END"
)
_DAYNUM = {
    "postgresql": "(d.day - DATE '1970-01-01')",
    "sqlite": "CAST(julianday(d.day) - 2440587.5 AS INTEGER)",
}

# Per (warehouse, SKU, segment): the sparse walk of DOMAIN.md over one run of days [lo, hi].
# Input `sw_seg_rows` (warehouse_id, sku_id, seg, day, sold, returned, net, cogs) and
# `sw_seg_bounds` (seg, lo, hi) and, per row, the closing before the segment (`start`).
# A gap of g days between two movement days is available as a whole when the stock closing
# before it was > 0, since nothing moved (q = 0 on those days). `stock_days` is the sum of the
# closing stock over the segment's days (a row's closing holds until the next row).
_WALK_SQL = """
CREATE TEMP TABLE {out} AS
WITH walked AS (
    SELECT r.warehouse_id, r.sku_id, r.seg, r.day, r.sold, r.cogs, r.net, r.start,
           CASE WHEN r.sold - r.returned > 0 THEN r.sold - r.returned ELSE 0 END AS q,
           r.start + SUM(r.net) OVER (
               PARTITION BY r.warehouse_id, r.sku_id, r.seg ORDER BY r.day
               ROWS UNBOUNDED PRECEDING
           ) AS closing
    FROM sw_seg_rows r
),
steps AS (
    SELECT w.warehouse_id, w.sku_id, w.seg, w.day, w.sold, w.cogs, w.net, w.q, w.closing,
           COALESCE(LAG(w.closing) OVER p, w.start) AS prev_closing,
           COALESCE(LAG(w.day) OVER p, b.lo - 1) AS prev_day,
           LEAD(w.day) OVER p AS next_day,
           b.lo, b.hi
    FROM walked w
    JOIN sw_seg_bounds b ON b.seg = w.seg
    WINDOW p AS (PARTITION BY w.warehouse_id, w.sku_id, w.seg ORDER BY w.day)
)
SELECT warehouse_id, sku_id, seg,
       SUM(CASE WHEN q > 0 OR prev_closing > 0 THEN 1 ELSE 0 END
           + CASE WHEN prev_closing > 0 THEN day - prev_day - 1 ELSE 0 END
           + CASE WHEN next_day IS NULL AND closing > 0 THEN hi - day ELSE 0 END) AS n,
       SUM(q) AS s1,
       SUM(q * q) AS s2,
       SUM(sold) AS sold,
       SUM(cogs) AS cogs,
       SUM(net) AS net,
       SUM(closing * (COALESCE(next_day, hi + 1) - day)
           + CASE WHEN prev_day = lo - 1 THEN prev_closing * (day - lo) ELSE 0 END)
           AS stock_days
FROM steps
GROUP BY warehouse_id, sku_id, seg
"""


@dataclass(frozen=True)
class Window:
    """Day numbers of the demand window D-W+1 … D and of the slow-mover sales window."""

    as_of: date
    days: int
    slow_days: int

    @property
    def end(self) -> int:
        return day_number(self.as_of)

    @property
    def start(self) -> int:
        return self.end - self.days + 1

    @property
    def slow_start(self) -> int:
        return self.end - self.slow_days + 1


def day_number_sql() -> str:
    """SQL for the day number (days since 1970-01-01) of a rollup row aliased `d`."""
    return _DAYNUM[connection.vendor]


def day_number(day: date) -> int:
    """The day number of a date, as `day_number_sql` counts."""
    return (day - EPOCH).days


def stock_days_at(alias: str, day: date) -> str:
    """SQL for a row's sum of closing stock over the window ending on `day`.

    A row is rewritten only when its figures change; while nothing moves at either edge of
    the window the sum grows by (closing - opening) a day, so it is stored as of the row's
    `as_of` and carried forward here. Only a literal date goes in (no user input).
    """
    if connection.vendor == "postgresql":
        days = f"(DATE '{day.isoformat()}' - {alias}.as_of)"
    else:
        days = f"CAST(julianday('{day.isoformat()}') - julianday({alias}.as_of) AS INTEGER)"
    return (
        f"({alias}.stock_days + {days} * "
        f"CAST({alias}.window_closing - {alias}.window_opening AS BIGINT))"
    )


def _window(as_of: date) -> Window:
    params = settings.STOCKWISE
    return Window(as_of, params["DEMAND_WINDOW_DAYS"], params["SLOW_MOVER_SALES_DAYS"])


def _day(number: int):
    return connection.ops.adapt_datefield_value(EPOCH + timedelta(days=number))


def facts_state() -> FactsState:
    """The single state row (created empty: the first run rebuilds everything)."""
    return FactsState.objects.get_or_create(pk=1)[0]


def state_is_current(as_of: date) -> bool:
    """True when this run slid the window to `as_of` (later steps may then work incrementally)."""
    state = FactsState.objects.filter(pk=1).first()
    return bool(state and state.incremental and state.as_of == as_of)


def run_marks_present() -> bool:
    """True inside a nightly run after the demand step: `sw_touched` (the pairs postings
    touched since the last run) and `sw_new_pairs` (the facts rows this run created) exist in
    this session. Outside a run (they are dropped at its end) callers compare every row."""
    return temp_table_exists("sw_touched") and temp_table_exists("sw_new_pairs")


def temp_table_exists(name: str) -> bool:
    """Whether this session has the temporary table `name` (a fixed name, never user input)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [f"pg_temp.{name}"])
        else:
            cursor.execute(
                "SELECT COUNT(*) = 1 FROM sqlite_temp_master WHERE type = 'table' AND name = %s",
                [name],
            )
        return bool(cursor.fetchone()[0])


@dataclass(frozen=True)
class RunState:
    """A run that slid the window to its day: when it started and when the previous run did."""

    run_started_at: datetime
    previous_run_started_at: datetime | None
    deferred: bool  # the new state is in DEMAND_ROWS, written by the "demand write" step
    # The previous run committed every step. The steps that work only on what a run changed
    # (planning, the alerts, ageing, the 7-day peak) redo every pair otherwise: a run that
    # stopped midway (a step failed, the worker was stopped) may have committed its demand
    # write without their own work.
    previous_completed: bool


def run_state(as_of: date) -> RunState | None:
    """This run's slide of the window to `as_of`, or None when it did not slide (a rebuild).

    Read from the run's own row when the demand step left its write to the second connection
    (whether that write has committed yet or not), else from the state when it is current."""
    if temp_table_exists(DEMAND_RUN):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT as_of, run_started_at, previous_run_started_at, previous_completed "  # noqa: S608
                f"FROM {DEMAND_RUN}"
            )
            day, started, previous_started, previous_completed = cursor.fetchone()
        if day == as_of:
            return RunState(started, previous_started, True, previous_completed)
    state = FactsState.objects.filter(pk=1).first()
    if state and state.incremental and state.as_of == as_of:
        return RunState(
            state.run_started_at,
            state.previous_run_started_at,
            False,
            _completed(state, state.previous_run_started_at),
        )
    return None


def _completed(state: FactsState, run_started_at: datetime | None) -> bool:
    """Whether the run that started at `run_started_at` committed every step."""
    return run_started_at is not None and state.completed_run_started_at == run_started_at


def run_completed() -> None:
    """Record that the run which last moved the state committed every step."""
    FactsState.objects.filter(pk=1).update(completed_run_started_at=F("run_started_at"))


def window_update(as_of: date, *, rebuild: bool = False, defer_write: bool = False) -> str:
    """Nightly step: bring the window state and the demand facts of every pair to `as_of`.

    Slides from the state's day when it can (0 < D - P < W and not `rebuild`), else rebuilds
    every pair from the rollup. Returns "incremental" or "rebuild". SkuFacts rows must exist.

    `defer_write` (PostgreSQL): a slide only computes; `window_write`, in another transaction,
    writes the facts, clears the marks read and moves the state, all at once, so a night that
    fails between the two leaves all three as they were.
    """
    state = facts_state()
    now = timezone.now()
    w = _window(as_of)
    previous = state.as_of
    slide = not rebuild and previous is not None and 0 <= (as_of - previous).days < w.days
    defer = defer_write and slide and connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        _drop(cursor)
        touched_late = _consume_touched(cursor, previous if slide else None, keep_marks=defer)
        if slide:
            _slide(cursor, w, previous, now, write=not defer)
            _keep_moved(cursor, slide)
            if touched_late:
                _rebuild(cursor, w, now, touched_until=previous, write=not defer)
        else:
            _rebuild(cursor, w, now)
            _keep_moved(cursor, slide)
        _drop(cursor, keep_touched=True)
        if defer:
            cursor.execute(
                f"CREATE TEMP TABLE {DEMAND_RUN} AS SELECT CAST(%s AS DATE) AS as_of, "
                "CAST(%s AS DATE) AS previous_as_of, "
                "CAST(%s AS TIMESTAMPTZ) AS run_started_at, "
                "CAST(%s AS TIMESTAMPTZ) AS previous_run_started_at, "
                "CAST(%s AS BOOLEAN) AS previous_completed",
                [
                    as_of,
                    previous,
                    now,
                    state.run_started_at,
                    _completed(state, state.run_started_at),
                ],
            )
            return "incremental"
    _move_state(state, as_of, previous, now, slide)
    return "incremental" if slide else "rebuild"


def window_write(as_of: date) -> bool:
    """Nightly step after a deferred `window_update` (on the night's second connection, with
    its temporary tables handed over): write the new state of the pairs that changed, clear the
    marks that step read, move the state. Returns False when nothing was deferred."""
    if not temp_table_exists(DEMAND_RUN):
        return False
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT as_of, previous_as_of, run_started_at FROM {DEMAND_RUN}")  # noqa: S608
        day, previous, now = cursor.fetchone()
        state = FactsState.objects.select_for_update().get(pk=1)
        if day != as_of or state.as_of != previous:
            raise RuntimeError(
                f"demand write for {as_of}: computed for {day} from {previous}, "
                f"but the state is at {state.as_of}"
            )
        _write(cursor, DEMAND_ROWS, _window(as_of), now)
        # A mark set again since it was read (the row's version changed) stays for next night.
        cursor.execute(
            f"""
            UPDATE inventory_dailystock SET touched = FALSE
            FROM {TOUCHED_ROWS} r
            WHERE inventory_dailystock.warehouse_id = r.warehouse_id
              AND inventory_dailystock.sku_id = r.sku_id AND inventory_dailystock.day = r.day
              AND inventory_dailystock.touched
              AND CAST(CAST(inventory_dailystock.xmin AS TEXT) AS BIGINT) = r.version
            """  # noqa: S608 - fixed names
        )
        for name in (DEMAND_ROWS, DEMAND_RUN, TOUCHED_ROWS):
            cursor.execute(f"DROP TABLE {name}")
    _move_state(state, as_of, previous, now, slide=True)
    return True


def _move_state(state: FactsState, as_of: date, previous, now: datetime, slide: bool) -> None:
    state.previous_as_of = previous
    state.as_of = as_of
    state.previous_run_started_at = state.run_started_at
    state.run_started_at = now
    state.incremental = slide
    state.save()


def _drop(cursor, keep_touched: bool = False) -> None:
    names = ["sw_seg_rows", "sw_seg_bounds", "sw_seg", "sw_rebuild_pairs"]
    if not keep_touched:
        names += ["sw_touched", "sw_moved", DEMAND_ROWS, DEMAND_RUN, TOUCHED_ROWS]
    for name in names:
        cursor.execute(f"DROP TABLE IF EXISTS {name}")


def _keep_moved(cursor, slide: bool) -> None:
    """Leave `sw_moved` for the later steps of this run: the pairs whose stock or FIFO layers
    may have changed (touched since the last run, or with movement days entering the window),
    with the earliest touched day (NULL when only entering days moved)."""
    cursor.execute(
        "CREATE TEMP TABLE sw_moved (warehouse_id bigint, sku_id bigint, first_day date)"
    )
    if not slide:
        return
    cursor.execute("INSERT INTO sw_moved SELECT warehouse_id, sku_id, first_day FROM sw_touched")
    cursor.execute(
        "INSERT INTO sw_moved SELECT DISTINCT r.warehouse_id, r.sku_id, CAST(NULL AS DATE) "
        "FROM sw_seg_rows r WHERE r.seg = 'E' AND NOT EXISTS (SELECT 1 FROM sw_touched t "
        "WHERE t.warehouse_id = r.warehouse_id AND t.sku_id = r.sku_id)"
    )
    cursor.execute("CREATE INDEX sw_moved_pair ON sw_moved (warehouse_id, sku_id)")
    if connection.vendor == "postgresql":
        cursor.execute("ANALYZE sw_moved")


def _consume_touched(cursor, previous: date | None, keep_marks: bool = False) -> bool:
    """Take the days marked by postings since the last run into `sw_touched` (pair, earliest
    day) and clear their marks. Marks a concurrent posting sets after this statement stay for
    the next run. Returns whether any touched day is on or before `previous` (needs a rebuild).

    `keep_marks` (PostgreSQL): read the marks without clearing them; the marked rows and their
    row versions stay in TOUCHED_ROWS for `window_write`, which clears them.
    """
    cursor.execute(
        "CREATE TEMP TABLE sw_touched (warehouse_id bigint, sku_id bigint, first_day date)"
    )
    if keep_marks:
        cursor.execute(
            f"CREATE TEMP TABLE {TOUCHED_ROWS} AS SELECT warehouse_id, sku_id, day, "  # noqa: S608
            "CAST(CAST(xmin AS TEXT) AS BIGINT) AS version "
            "FROM inventory_dailystock WHERE touched"
        )
        cursor.execute(
            f"INSERT INTO sw_touched SELECT warehouse_id, sku_id, MIN(day) FROM {TOUCHED_ROWS} "  # noqa: S608
            "GROUP BY warehouse_id, sku_id"
        )
    elif connection.vendor == "postgresql":
        cursor.execute(
            "WITH t AS (UPDATE inventory_dailystock SET touched = FALSE WHERE touched "
            "RETURNING warehouse_id, sku_id, day) "
            "INSERT INTO sw_touched SELECT warehouse_id, sku_id, MIN(day) FROM t "
            "GROUP BY warehouse_id, sku_id"
        )
    else:  # SQLite: one writer at a time, so read-then-clear cannot miss a mark
        cursor.execute(
            "INSERT INTO sw_touched SELECT warehouse_id, sku_id, MIN(day) "
            "FROM inventory_dailystock WHERE touched GROUP BY warehouse_id, sku_id"
        )
        cursor.execute("UPDATE inventory_dailystock SET touched = FALSE WHERE touched")
    if connection.vendor == "postgresql":
        cursor.execute("ANALYZE sw_touched")
    if previous is None:
        return False
    cursor.execute(
        "SELECT EXISTS (SELECT 1 FROM sw_touched WHERE first_day <= %s)",
        [connection.ops.adapt_datefield_value(previous)],
    )
    return bool(cursor.fetchone()[0])


def _seg_bounds(cursor, bounds: list[tuple[str, int, int]]) -> None:
    cursor.execute("CREATE TEMP TABLE sw_seg_bounds (seg varchar(2), lo integer, hi integer)")
    for seg, lo, hi in bounds:
        cursor.execute("INSERT INTO sw_seg_bounds VALUES (%s, %s, %s)", [seg, lo, hi])


def _slide(cursor, w: Window, previous: date, now: datetime, *, write: bool = True) -> None:
    """Move every pair's state from `previous` (P) to `w.as_of` (D)."""
    k = (w.as_of - previous).days
    p_end = day_number(previous)
    leave_lo, leave_hi = p_end - w.days + 1, w.end - w.days  # P-W+1 … D-W
    enter_lo, enter_hi = p_end + 1, w.end  # P+1 … D
    slow_lo, slow_hi = p_end - w.slow_days + 1, w.end - w.slow_days  # leaves the slow window
    daynum = _DAYNUM[connection.vendor]
    _seg_bounds(cursor, [("L", leave_lo, leave_hi), ("E", enter_lo, enter_hi)])
    if k:
        cursor.execute(
            f"""
            CREATE TEMP TABLE sw_seg_rows AS
            SELECT d.warehouse_id, d.sku_id,
                   CASE WHEN d.day >= %(enter_from)s THEN 'E' ELSE 'L' END AS seg,
                   {daynum} AS day, d.sold, d.returned, d.inflow - d.outflow AS net,
                   d.cogs_e4 AS cogs,
                   CASE WHEN d.day >= %(enter_from)s THEN f.window_closing
                        ELSE f.window_opening END AS start
            FROM inventory_dailystock d
            JOIN inventory_skufacts f ON f.warehouse_id = d.warehouse_id AND f.sku_id = d.sku_id
            WHERE (d.day >= %(leave_from)s AND d.day <= %(leave_to)s)
               OR (d.day >= %(enter_from)s AND d.day <= %(enter_to)s)
            """,  # noqa: S608 - fixed fragments
            {
                "leave_from": _day(leave_lo),
                "leave_to": _day(leave_hi),
                "enter_from": _day(enter_lo),
                "enter_to": _day(enter_hi),
            },
        )
    else:
        cursor.execute(
            "CREATE TEMP TABLE sw_seg_rows (warehouse_id bigint, sku_id bigint, seg varchar(2), "
            "day integer, sold integer, returned integer, net integer, cogs bigint, start integer)"
        )
    cursor.execute(_WALK_SQL.format(out="sw_seg"))
    if connection.vendor == "postgresql":
        cursor.execute("ANALYZE sw_seg")
    # Sales leaving the slow-mover window (which is shorter than the demand window).
    cursor.execute(
        """
        CREATE TEMP TABLE sw_slow_leave AS
        SELECT d.warehouse_id, d.sku_id, SUM(d.sold) AS sold
        FROM inventory_dailystock d
        WHERE d.day >= %s AND d.day <= %s AND d.sold <> 0
        GROUP BY d.warehouse_id, d.sku_id
        """,  # noqa: S608
        [_day(slow_lo), _day(slow_hi)],
    )
    stock_days_at_p = stock_days_at("f", previous)
    cursor.execute(
        f"""
        CREATE TEMP TABLE sw_slid AS
        SELECT f.id, f.warehouse_id, f.sku_id,
               f.available_days
                 - COALESCE(l.n, CASE WHEN f.window_opening > 0 THEN {k} ELSE 0 END)
                 + COALESCE(e.n, CASE WHEN f.window_closing > 0 THEN {k} ELSE 0 END) AS n,
               f.demand_s1 - COALESCE(l.s1, 0) + COALESCE(e.s1, 0) AS s1,
               f.demand_s2 - COALESCE(l.s2, 0) + COALESCE(e.s2, 0) AS s2,
               f.units_sold_window - COALESCE(l.sold, 0) + COALESCE(e.sold, 0) AS sold,
               f.cogs_window_e4 - COALESCE(l.cogs, 0) + COALESCE(e.cogs, 0) AS cogs,
               f.units_sold_slow_window - COALESCE(sl.sold, 0) + COALESCE(e.sold, 0) AS sold30,
               f.window_opening + COALESCE(l.net, 0) AS opening,
               f.window_closing + COALESCE(e.net, 0) AS closing,
               {stock_days_at_p}
                 - COALESCE(l.stock_days, CAST(f.window_opening AS BIGINT) * {k})
                 + COALESCE(e.stock_days, CAST(f.window_closing AS BIGINT) * {k}) AS stock_days
        FROM inventory_skufacts f
        LEFT JOIN sw_seg l ON l.seg = 'L' AND l.warehouse_id = f.warehouse_id
                          AND l.sku_id = f.sku_id
        LEFT JOIN sw_seg e ON e.seg = 'E' AND e.warehouse_id = f.warehouse_id
                          AND e.sku_id = f.sku_id
        LEFT JOIN sw_slow_leave sl ON sl.warehouse_id = f.warehouse_id AND sl.sku_id = f.sku_id
        WHERE l.sku_id IS NOT NULL OR e.sku_id IS NOT NULL OR sl.sku_id IS NOT NULL
           OR (CASE WHEN f.window_opening > 0 THEN 1 ELSE 0 END)
              <> (CASE WHEN f.window_closing > 0 THEN 1 ELSE 0 END)
        """  # noqa: S608 - ints and a literal date
    )
    _write_or_keep(cursor, w, now, write)
    cursor.execute("DROP TABLE sw_slow_leave")


def _rebuild(
    cursor, w: Window, now: datetime, *, touched_until: date | None = None, write: bool = True
) -> None:
    """Rebuild the state of every pair (or, with `touched_until`, of the pairs touched on or
    before that day) from the rollup: the sparse walk over the window from the opening stock."""
    cursor.execute("DROP TABLE IF EXISTS sw_rebuild_pairs")
    if touched_until:
        cursor.execute(
            "CREATE TEMP TABLE sw_rebuild_pairs AS SELECT f.id, f.warehouse_id, f.sku_id "
            "FROM inventory_skufacts f JOIN sw_touched t "
            "ON t.warehouse_id = f.warehouse_id AND t.sku_id = f.sku_id "
            "WHERE t.first_day <= %s",
            [connection.ops.adapt_datefield_value(touched_until)],
        )
    else:
        cursor.execute(
            "CREATE TEMP TABLE sw_rebuild_pairs AS "
            "SELECT id, warehouse_id, sku_id FROM inventory_skufacts"
        )
    daynum = _DAYNUM[connection.vendor]
    params = {"start": _day(w.start), "end": _day(w.end)}
    # Closing the day before the window and on D, from the balance (= ledger sum, proven by
    # check_ledger) minus what moved since: only rows from the window start on are read.
    cursor.execute(
        """
        CREATE TEMP TABLE sw_rebuild_base AS
        SELECT p.id, p.warehouse_id, p.sku_id,
               COALESCE(b.on_hand, 0) - COALESCE(t.since_start, 0) AS opening,
               COALESCE(b.on_hand, 0) - COALESCE(t.after_end, 0) AS closing
        FROM sw_rebuild_pairs p
        LEFT JOIN inventory_stockbalance b
               ON b.warehouse_id = p.warehouse_id AND b.sku_id = p.sku_id
        LEFT JOIN (
            SELECT d.warehouse_id, d.sku_id, SUM(d.inflow - d.outflow) AS since_start,
                   SUM(CASE WHEN d.day > %(end)s THEN d.inflow - d.outflow ELSE 0 END)
                       AS after_end
            FROM inventory_dailystock d
            JOIN sw_rebuild_pairs p ON p.warehouse_id = d.warehouse_id AND p.sku_id = d.sku_id
            WHERE d.day >= %(start)s
            GROUP BY d.warehouse_id, d.sku_id
        ) t ON t.warehouse_id = p.warehouse_id AND t.sku_id = p.sku_id
        """,  # noqa: S608
        params,
    )
    cursor.execute("DROP TABLE IF EXISTS sw_seg_rows")
    cursor.execute("DROP TABLE IF EXISTS sw_seg_bounds")
    cursor.execute("DROP TABLE IF EXISTS sw_seg")
    _seg_bounds(cursor, [("W", w.start, w.end)])
    cursor.execute(
        f"""
        CREATE TEMP TABLE sw_seg_rows AS
        SELECT d.warehouse_id, d.sku_id, 'W' AS seg, {daynum} AS day, d.sold, d.returned,
               d.inflow - d.outflow AS net, d.cogs_e4 AS cogs, b.opening AS start
        FROM inventory_dailystock d
        JOIN sw_rebuild_base b ON b.warehouse_id = d.warehouse_id AND b.sku_id = d.sku_id
        WHERE d.day >= %(start)s AND d.day <= %(end)s
        """,  # noqa: S608
        params,
    )
    if connection.vendor == "postgresql":
        cursor.execute("ANALYZE sw_seg_rows")
    cursor.execute(_WALK_SQL.format(out="sw_seg"))
    cursor.execute(
        f"""
        CREATE TEMP TABLE sw_slid AS
        SELECT b.id, b.warehouse_id, b.sku_id,
               COALESCE(s.n, CASE WHEN b.opening > 0 THEN {w.days} ELSE 0 END) AS n,
               COALESCE(s.s1, 0) AS s1,
               COALESCE(s.s2, 0) AS s2,
               COALESCE(s.sold, 0) AS sold,
               COALESCE(s.cogs, 0) AS cogs,
               COALESCE(slow.sold, 0) AS sold30,
               b.opening,
               b.closing,
               COALESCE(s.stock_days, CAST(b.opening AS BIGINT) * {w.days}) AS stock_days
        FROM sw_rebuild_base b
        LEFT JOIN sw_seg s ON s.warehouse_id = b.warehouse_id AND s.sku_id = b.sku_id
        LEFT JOIN (
            SELECT warehouse_id, sku_id, SUM(sold) AS sold FROM sw_seg_rows
            WHERE day >= {w.slow_start} GROUP BY warehouse_id, sku_id
        ) slow ON slow.warehouse_id = b.warehouse_id AND slow.sku_id = b.sku_id
        """  # noqa: S608 - ints only
    )
    _write_or_keep(cursor, w, now, write)
    cursor.execute("DROP TABLE sw_rebuild_base")


def _write_or_keep(cursor, w: Window, now: datetime, write: bool) -> None:
    """Write `sw_slid` now, or keep it in DEMAND_ROWS (with d̄ and σ_d) for `window_write`;
    the rows of a later call (the late postings' rebuild) replace an earlier call's."""
    if write:
        _write(cursor, "sw_slid", w, now)
    elif temp_table_exists(DEMAND_ROWS):
        cursor.execute(f"DELETE FROM {DEMAND_ROWS} WHERE id IN (SELECT id FROM sw_slid)")  # noqa: S608
        cursor.execute(
            f"INSERT INTO {DEMAND_ROWS} SELECT t.*, {_D_SQL}, {_SD_SQL} FROM sw_slid t"  # noqa: S608
        )
    else:
        cursor.execute(
            f"CREATE TEMP TABLE {DEMAND_ROWS} AS "  # noqa: S608 - fixed fragments
            f"SELECT t.*, {_D_SQL} AS d, {_SD_SQL} AS sd FROM sw_slid t"
        )
        cursor.execute(f"CREATE INDEX {DEMAND_ROWS}_id ON {DEMAND_ROWS} (id)")
    cursor.execute("DROP TABLE sw_slid")


def _write(cursor, source: str, w: Window, now: datetime) -> None:
    """Write the new state and the demand figures derived from it; stamp the rows changed."""
    adapt = connection.ops
    cursor.execute(
        f"""
        UPDATE inventory_skufacts SET
            available_days = t.n,
            demand_s1 = t.s1,
            demand_s2 = t.s2,
            avg_daily_demand = {_D_SQL},
            demand_std = {_SD_SQL},
            units_sold_window = t.sold,
            cogs_window_e4 = t.cogs,
            cogs_window = t.cogs / 10000.0,
            units_sold_slow_window = t.sold30,
            window_opening = t.opening,
            window_closing = t.closing,
            stock_days = t.stock_days,
            as_of = %s,
            computed_at = %s
        FROM {source} t
        WHERE inventory_skufacts.id = t.id
        """,  # noqa: S608 - a temp table name
        [adapt.adapt_datefield_value(w.as_of), adapt.adapt_datetimefield_value(now)],
    )


def recent_peak_read(as_of: date) -> None:
    """Nightly step BEFORE the demand step: into RECENT_ROWS, the highest daily sales of the
    last 7 days of the pairs that may have another one.

    It reads only the rollup (and, on a rebuild, the facts rows' pairs), so on the night's
    second connection it runs while the demand step keeps the first one busy (issue 9: the
    second connection was idle for the whole demand step). It decides from the state as the
    last run left it: when that run committed every step, its peaks were right as of its
    day P, and only the pairs with a rollup row from P − 6 on can have another peak now
    (a late posting into those days adds a row there too): one pass over those days' rows,
    grouped per pair. Otherwise every facts row's pair, 0 for those without a sale."""
    state = FactsState.objects.filter(pk=1).first()
    previous = None
    if (
        state is not None
        and state.as_of is not None
        and state.as_of <= as_of
        and _completed(state, state.run_started_at)
    ):
        previous = state.as_of
    w = _window(as_of)
    lo, hi = _day(w.end - RECENT_DAYS + 1), _day(w.end)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {RECENT_ROWS}")
        if previous is None:
            cursor.execute(
                f"""
                CREATE TEMP TABLE {RECENT_ROWS} AS
                SELECT f.warehouse_id, f.sku_id, COALESCE(r.top, 0) AS top
                FROM inventory_skufacts f
                LEFT JOIN (
                    SELECT d.warehouse_id, d.sku_id, MAX(d.sold) AS top
                    FROM inventory_dailystock d
                    WHERE d.day >= %s AND d.day <= %s
                    GROUP BY d.warehouse_id, d.sku_id
                ) r ON r.warehouse_id = f.warehouse_id AND r.sku_id = f.sku_id
                """,  # noqa: S608 - a fixed temp table name
                [lo, hi],
            )
            cursor.execute(
                f"CREATE INDEX {RECENT_ROWS}_pair ON {RECENT_ROWS} (warehouse_id, sku_id)"
            )
            if connection.vendor == "postgresql":
                cursor.execute(f"ANALYZE {RECENT_ROWS}")
            return
        p_lo = _day(min(day_number(previous), w.end) - RECENT_DAYS + 1)
        cursor.execute(
            f"""
            CREATE TEMP TABLE {RECENT_ROWS} AS
            SELECT d.warehouse_id, d.sku_id,
                   MAX(CASE WHEN d.day >= %s THEN d.sold ELSE 0 END) AS top
            FROM inventory_dailystock d
            WHERE d.day >= %s AND d.day <= %s
            GROUP BY d.warehouse_id, d.sku_id
            """,  # noqa: S608 - a fixed temp table name
            [lo, p_lo, hi],
        )


def recent_peak_write(as_of: date) -> None:
    """Nightly step after the demand write: write the peaks `recent_peak_read` left (on
    this connection), only where they change."""
    if not temp_table_exists(RECENT_ROWS):
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE inventory_skufacts SET max_daily_sales_recent = r.top
            FROM {RECENT_ROWS} r
            WHERE r.warehouse_id = inventory_skufacts.warehouse_id
              AND r.sku_id = inventory_skufacts.sku_id
              AND inventory_skufacts.max_daily_sales_recent <> r.top
            """  # noqa: S608 - a fixed temp table name
        )
        cursor.execute(f"DROP TABLE {RECENT_ROWS}")
