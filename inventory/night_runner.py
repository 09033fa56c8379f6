"""Running the nightly steps: each in its own transaction, in the order they were registered.

On PostgreSQL, when the night commits step by step (not inside a caller's transaction), a step
registered with `side=True` runs on a second connection, in a second thread, beside the main
line: a night's statements keep one core busy and the machine has two (issue 9). A step
waits for the steps it `needs` (None: every earlier step, the side line's included), so a
step the others do not read (ABC, the turnover band check) or one whose few dependants say so
(ageing, which only the ad advice reads) runs while planning does; a side step waits for the
side steps it needs on the side line, never holding up the main line. A step may also leave
work to a side step when the run has one (`side_line_active`): the demand step computes and
the "demand write" step writes, while planning computes from what the demand step left on the
main connection and writes only after the demand write has committed. Side steps run one after
another in one thread: two of them never write the same rows at once, which would wait on
each other's row locks (ABC and ageing both update SkuFacts). The temporary tables of the run
a side step reads (`handoff`) are copied to its connection first: temporary tables belong to
the session that made them.

Inside a transaction (the tests' default, a rolled-back benchmark night) and on SQLite every
step runs in order on the caller's connection, as before.
"""

import logging
import re
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait

from django.conf import settings
from django.db import DatabaseError, connection, connections, transaction

from inventory.hooks import NightlyStep

logger = logging.getLogger(__name__)

# Each nightly step's transaction on PostgreSQL (inventory.facts._tune_session says why).
NIGHT_TUNING = (
    "SET LOCAL jit = off",
    "SET LOCAL work_mem = '32MB'",
    "SET LOCAL default_statistics_target = 10",
)


def side_line_available() -> bool:
    """A second connection helps only when each step commits and the database is a server."""
    return (
        connection.vendor == "postgresql"
        and not connection.in_atomic_block
        and settings.STOCKWISE.get("NIGHT_SIDE_CONNECTION", True)
    )


_side_line_running = False


def side_line_active() -> bool:
    """Inside a step: whether this run has a second connection (a step may then leave work
    to a side step, as the demand step leaves its write)."""
    return _side_line_running


def run_steps(steps: list[NightlyStep], run: Callable[[NightlyStep], None]) -> None:
    """Run every step with `run(step)` (which opens the step's transaction on the calling
    thread's connection), side steps on a second connection when it is available."""
    global _side_line_running
    _check_needs(steps)
    if not side_line_available() or not any(step.side for step in steps):
        for step in steps:
            run(step)
        return
    futures: dict[str, Future] = {}
    carried: list[_TableDump] = []
    through_server = may_create_tables()
    if through_server:
        sweep_carriers()
    _side_line_running = True
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="night-side") as side_line:
        try:
            for step in steps:
                if step.side:
                    # Its needs are main steps that have run, or side steps ahead of it in the
                    # side line's queue: it waits for those there, not the main line.
                    tables = [
                        _TableDump(name, through_server=through_server) for name in step.handoff
                    ]
                    carried += tables
                    needed = _needed(step, futures)
                    futures[step.name] = side_line.submit(_run_on_side, run, step, tables, needed)
                else:
                    _wait_for(_needed(step, futures))
                    run(step)
            for future in futures.values():
                future.result()
        finally:
            _side_line_running = False
            # The side line's one connection (and its temporary tables) lives until here; a
            # side step still running after an error on the main line is waited for.
            side_line.submit(connections.close_all)
            wait(futures.values())
            for table in carried:
                table.discard()


def _check_needs(steps: list[NightlyStep]) -> None:
    """A step can only read steps that run before it: naming a later one (or a misspelt one)
    would let it start too early without a word."""
    earlier: set[str] = set()
    for step in steps:
        unknown = set(step.needs or ()) - earlier
        if unknown:
            raise ValueError(
                f"nightly step {step.name!r} needs {sorted(unknown)}, which do not run before it"
            )
        earlier.add(step.name)


def _needed(step: NightlyStep, futures: dict[str, Future]) -> list[Future]:
    """The side steps submitted so far that `step` reads (all of them when needs is None)."""
    if step.needs is None:
        return list(futures.values())
    return [futures[name] for name in step.needs if name in futures]


def _wait_for(needed: list[Future]) -> None:
    """Block until these side steps have committed (re-raising their error)."""
    for future in needed:
        future.result()


_this_thread = threading.local()


def on_side_line() -> bool:
    """Whether the calling code runs on the night's second connection (a side step)."""
    return getattr(_this_thread, "side", False)


def _run_on_side(run, step: NightlyStep, tables: list["_TableDump"], needed) -> None:
    _wait_for(needed)  # a side step that failed fails the ones that read it
    for table in tables:
        table.restore()
    _this_thread.side = True
    try:
        run(step)
    finally:
        _this_thread.side = False


class _TableDump:
    """One temporary table of the main connection, to recreate on the side connection: its
    rows, its indexes and statistics.

    The rows travel through an unlogged table on the server (`CREATE UNLOGGED TABLE … AS`,
    committed at once: the main line runs between steps in autocommit), which the side
    connection copies into its own temporary table and drops. A night's hand-offs are tens
    of thousands of pairs: through the client (binary COPY out and in) the demand step's
    40k rows took 58 ms of Python on the main line, one row at a time, and 35 ms more on the
    side line before the demand write could start. The carrier's name holds the main
    session's process id, so two nights at once never share one; `sweep_carriers` drops
    those a crashed night left behind. A database user that may not create tables (an app
    role apart from the one that migrates) hands off through the client instead."""

    def __init__(self, name: str, *, through_server: bool):
        self.name = name
        self.carrier = None
        self.indexes = []
        self.rows = b""
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a "
                "WHERE a.attrelid = to_regclass(%s) AND a.attnum > 0 AND NOT a.attisdropped "
                "ORDER BY a.attnum",
                [f"pg_temp.{name}"],
            )
            self.columns = cursor.fetchall()
            if not self.columns:  # not made by this run (a step that did not need it)
                return
            cursor.execute(
                "SELECT indexdef FROM pg_indexes WHERE tablename = %s "
                "AND schemaname = (SELECT nspname FROM pg_namespace "
                "WHERE oid = pg_my_temp_schema())",
                [name],
            )
            self.indexes = [
                re.sub(r" ON pg_temp_\d+\.", " ON pg_temp.", row[0]) for row in cursor.fetchall()
            ]
            if through_server:
                self.carrier = f"{CARRIER_PREFIX}{connection.connection.info.backend_pid}_{name}"
                cursor.execute(f"DROP TABLE IF EXISTS {self.carrier}")
                cursor.execute(f"CREATE UNLOGGED TABLE {self.carrier} AS TABLE pg_temp.{name}")
                return
            rows = bytearray()
            with cursor.copy(f"COPY {name} TO STDOUT (FORMAT BINARY)") as copy:
                for chunk in copy:
                    rows += chunk
            self.rows = bytes(rows)

    def restore(self) -> None:
        if not self.columns:
            return
        with transaction.atomic(), connection.cursor() as cursor:
            for statement in NIGHT_TUNING:
                cursor.execute(statement)
            cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{self.name}")
            if self.carrier is not None:
                cursor.execute(f"CREATE TEMP TABLE {self.name} AS TABLE {self.carrier}")
                cursor.execute(f"DROP TABLE {self.carrier}")
            else:
                columns = ", ".join(f'"{column}" {type_}' for column, type_ in self.columns)
                cursor.execute(f"CREATE TEMP TABLE {self.name} ({columns})")
                with cursor.copy(f"COPY {self.name} FROM STDIN (FORMAT BINARY)") as copy:
                    copy.write(self.rows)
            for definition in self.indexes:
                cursor.execute(definition)
            cursor.execute(f"ANALYZE {self.name}")

    def discard(self) -> None:
        """Drop the carrier if the side line never took it (a step it needed failed)."""
        if self.carrier is None:
            return
        try:
            with connection.cursor() as cursor:
                cursor.execute(f"DROP TABLE IF EXISTS {self.carrier}")
        except DatabaseError:  # the night's own error is the one to report; the next sweeps it
            logger.warning("could not drop the hand-off table %s", self.carrier, exc_info=True)


# Unlogged tables that carry a hand-off between the night's two connections.
CARRIER_PREFIX = "sw_handoff_"


def may_create_tables() -> bool:
    """Whether this database user may create tables in its schema (for the carriers)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT has_schema_privilege(current_schema(), 'CREATE')")
        return bool(cursor.fetchone()[0])


def sweep_carriers() -> None:
    """Drop the hand-off tables of nights whose session is gone (a night killed midway)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_class c "
            "WHERE c.relkind = 'r' AND c.relpersistence = 'u' "
            # By name: a cast to regnamespace would fold an unquoted mixed-case schema name.
            "AND c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema()) "
            "AND starts_with(c.relname, %s) AND NOT EXISTS ("
            "SELECT 1 FROM pg_stat_activity a "
            "WHERE starts_with(c.relname, %s || a.pid || '_'))",
            [CARRIER_PREFIX, CARRIER_PREFIX],
        )
        for (name,) in cursor.fetchall():
            cursor.execute(f'DROP TABLE IF EXISTS "{name}"')
