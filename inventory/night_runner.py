"""Running the nightly steps: each in its own transaction, in the order they were registered.

On PostgreSQL, when the night commits step by step (not inside a caller's transaction), a step
registered with `side=True` runs on a second connection, in a second thread, beside the main
line: a night's statements keep one core busy and the machine has two (issue 9). A step
waits for the steps it `needs` (None: every earlier step, the side line's included), so a
step the others do not read (ABC, the turnover band check) or one whose few dependants say so
(ageing, which only the ad advice reads) runs while planning does. Side steps run one after
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


def run_steps(steps: list[NightlyStep], run: Callable[[NightlyStep], None]) -> None:
    """Run every step with `run(step)` (which opens the step's transaction on the calling
    thread's connection), side steps on a second connection when it is available."""
    _check_needs(steps)
    if not side_line_available() or not any(step.side for step in steps):
        for step in steps:
            run(step)
        return
    futures: dict[str, Future] = {}
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="night-side") as side_line:
        try:
            for step in steps:
                _wait_for(step, futures)
                if step.side:
                    tables = [_TableDump(name) for name in step.handoff]
                    futures[step.name] = side_line.submit(_run_on_side, run, step, tables)
                else:
                    run(step)
            for future in futures.values():
                future.result()
        finally:
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


def _wait_for(step: NightlyStep, futures: dict[str, Future]) -> None:
    """Block until the side steps `step` reads have committed (re-raising their error)."""
    if step.needs is None:
        needed = list(futures.values())
    else:
        needed = [futures[name] for name in step.needs if name in futures]
    for future in needed:
        future.result()


def _run_on_side(run, step: NightlyStep, tables: list["_TableDump"]) -> None:
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
