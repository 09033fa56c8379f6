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

import re
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait

from django.conf import settings
from django.db import connection, connections, transaction

from inventory.hooks import NightlyStep

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
    _side_line_running = True
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="night-side") as side_line:
        try:
            for step in steps:
                if step.side:
                    # Its needs are main steps that have run, or side steps ahead of it in the
                    # side line's queue: it waits for those there, not the main line.
                    tables = [_TableDump(name) for name in step.handoff]
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


def _run_on_side(run, step: NightlyStep, tables: list["_TableDump"], needed) -> None:
    _wait_for(needed)  # a side step that failed fails the ones that read it
    for table in tables:
        table.restore()
    run(step)


class _TableDump:
    """One temporary table of the main connection, to recreate on the side connection: its
    columns, its rows (binary COPY: a night's hand-offs are tens of thousands of pairs, about
    a megabyte), its indexes and statistics."""

    def __init__(self, name: str):
        self.name = name
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a "
                "WHERE a.attrelid = to_regclass(%s) AND a.attnum > 0 AND NOT a.attisdropped "
                "ORDER BY a.attnum",
                [f"pg_temp.{name}"],
            )
            self.columns = cursor.fetchall()
            if not self.columns:  # not made by this run (a step that did not need it)
                self.indexes, self.rows = [], b""
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
            self.rows = bytearray()
            with cursor.copy(f"COPY {name} TO STDOUT (FORMAT BINARY)") as copy:
                for chunk in copy:
                    self.rows += chunk

    def restore(self) -> None:
        if not self.columns:
            return
        columns = ", ".join(f'"{column}" {type_}' for column, type_ in self.columns)
        with transaction.atomic(), connection.cursor() as cursor:
            for statement in NIGHT_TUNING:
                cursor.execute(statement)
            cursor.execute(f"DROP TABLE IF EXISTS {self.name}")
            cursor.execute(f"CREATE TEMP TABLE {self.name} ({columns})")
            with cursor.copy(f"COPY {self.name} FROM STDIN (FORMAT BINARY)") as copy:
                copy.write(self.rows)
            for definition in self.indexes:
                cursor.execute(definition)
            cursor.execute(f"ANALYZE {self.name}")
