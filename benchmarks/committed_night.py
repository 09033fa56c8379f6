"""The steady night as production runs it: committed, step by step, on a copy of the database.

A night rolled back inside one transaction (recompute_bench's other figures) cannot show two
things production has: the second connection (inventory/night_runner.py: a second connection
cannot see uncommitted work, so inside a transaction every step runs on one), and the cost of
committing after a checkpoint (the first change of each page after a checkpoint writes the
whole page to the WAL; a warm-up night followed by rolled-back repeats pays that once, a real
night pays it every night). So each run copies the database (`CREATE DATABASE … TEMPLATE`,
PostgreSQL's file copy: about 20 s for 3.7 GB here), checkpoints, measures the plain scan on
the copy (the baseline, in the same minute) and runs the night committed there; the copy is
dropped afterwards and the benchmarked database is never written.
"""

import contextlib
import statistics
import time
from dataclasses import dataclass, field
from datetime import date

import psycopg
from django.conf import settings
from django.db import connection, connections

from inventory.facts import recompute


@dataclass
class CommittedNight:
    side_line: bool
    seconds: float
    scan_seconds: float
    steps: dict[str, float]
    wal_mib: float
    # Each step as (name, on the second connection, started (s from the run's start), seconds).
    timeline: list[tuple[str, bool, float, float]] = field(default_factory=list)


def _admin_connection() -> psycopg.Connection:
    params = connection.settings_dict
    return psycopg.connect(
        host=params["HOST"] or None,
        port=params["PORT"] or None,
        user=params["USER"] or None,
        password=params["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    )


@contextlib.contextmanager
def database_copy(suffix: str = "night"):
    """A throwaway copy of the current database, which Django uses inside the block (every
    thread's new connections included)."""
    source = connection.settings_dict["NAME"]
    copy = f"{source}_{suffix}"
    connections.close_all()  # the template may have no other session
    with _admin_connection() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{copy}"')
        admin.execute(f'CREATE DATABASE "{copy}" TEMPLATE "{source}" STRATEGY FILE_COPY')
    try:
        with _admin_connection() as admin:
            admin.execute("CHECKPOINT")  # superuser or pg_checkpoint
        connections.settings["default"]["NAME"] = copy
        yield copy
    finally:
        connections.close_all()
        connections.settings["default"]["NAME"] = source
        with _admin_connection() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{copy}"')


def _wal_lsn() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()")
        return cursor.fetchone()[0]


def _wal_mib_since(lsn: str) -> float:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), %s) / 1048576.0", [lsn])
        return float(cursor.fetchone()[0])


def committed_night(as_of: date, *, side_line: bool, plain_scan) -> CommittedNight:
    """One steady night as of `as_of`, committed on a fresh copy (see the module's docstring)."""
    stockwise = settings.STOCKWISE
    with database_copy():
        plain_scan(as_of)  # reads the window into memory, as the rolled-back runs' warm-up did
        scans = []
        for _ in range(3):
            started = time.perf_counter()
            plain_scan(as_of)
            scans.append(time.perf_counter() - started)
        settings.STOCKWISE = {**stockwise, "NIGHT_SIDE_CONNECTION": side_line}
        try:
            lsn = _wal_lsn()
            started = time.perf_counter()
            timings = recompute(as_of)
            seconds = time.perf_counter() - started
            wal = _wal_mib_since(lsn)
        finally:
            settings.STOCKWISE = stockwise
    steps = {t.name: t.seconds for t in timings}
    timeline = [(t.name, t.side, t.started, t.seconds) for t in timings]
    return CommittedNight(side_line, seconds, statistics.median(scans), steps, wal, timeline)


def timeline_lines(night: CommittedNight) -> list[str]:
    """The night's steps in the order they started, on which connection and when, and how
    long each connection was busy: where the night waited, and what it waited for."""
    lines = []
    for name, side, started, seconds in sorted(night.timeline, key=lambda step: step[2]):
        line = "side" if side else "main"
        lines.append(f"{line} {name:<20} {started:6.3f} → {started + seconds:6.3f} s")
    side_busy = sum(seconds for _n, side, _s, seconds in night.timeline if side)
    main_busy = sum(seconds for _n, _side, _s, seconds in night.timeline) - side_busy
    lines.append(
        f"busy: main connection {main_busy:.3f} s, second connection {side_busy:.3f} s "
        f"of the night's {night.seconds:.3f} s"
    )
    return lines
