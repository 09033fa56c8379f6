"""Benchmark (not a test): the nightly recompute against one plain GROUP BY scan.

PERFORMANCE-NOTES.md measures everything as a multiple of one plain scan, `SUM(quantity) GROUP BY
sku` over the demand window. This prints that ratio for the nightly job as registered in this
code base (facts rows, demand, ABC, planning, alerts, and whatever else apps register), on
whatever database DATABASE_URL points at:

    DATABASE_URL=postgres://…/sw_x python manage.py seed_demo --skus 20000 --days 365
    DATABASE_URL=postgres://…/sw_x python -m benchmarks.recompute_bench [--runs 3] [--date D]

Each run is, inside one transaction that is rolled back (the data stay as seeded):
- a "first night" as of D-1: every figure built, every alert opens (its email is rendered into
  the outbox, nothing is sent);
- a "steady night" as of D right after it: the window slides by one day, the alerts move a
  little. This is the nightly job the target is about.
Medians of --runs after one warm-up run. Peak RSS is this process's (run it alone: the harness
starts it as its own process), the Python heap is traced during one extra run.
"""

import argparse
import resource
import statistics
import time
import tracemalloc
from datetime import date, datetime, timedelta
from datetime import time as clock

import django  # noqa: E402, I001

from benchmarks.common import Figure, data_size, emit

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import Max  # noqa: E402
from django.utils import timezone  # noqa: E402

from inventory.facts import recompute  # noqa: E402
from inventory.models import StockMovement  # noqa: E402

TARGET_RATIO = 2.0
TARGET_RSS_MB = 300


class _Rollback(Exception):
    pass


def plain_scan(as_of: date) -> int:
    """The yardstick: one GROUP BY over the window's movements, rows fetched."""
    days = settings.STOCKWISE["DEMAND_WINDOW_DAYS"]
    tz = timezone.get_default_timezone()
    start = datetime.combine(as_of - timedelta(days=days - 1), clock.min, tz)
    end = datetime.combine(as_of + timedelta(days=1), clock.min, tz)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT sku_id, SUM(quantity) FROM inventory_stockmovement "
            "WHERE occurred_at >= %s AND occurred_at < %s GROUP BY sku_id",
            [
                connection.ops.adapt_datetimefield_value(start),
                connection.ops.adapt_datetimefield_value(end),
            ],
        )
        return len(cursor.fetchall())


def two_nights(as_of: date, **options) -> list[tuple[float, dict[str, float]]]:
    """The night before `as_of`, then `as_of` itself, rolled back."""
    nights = []
    try:
        with transaction.atomic():
            for day in (as_of - timedelta(days=1), as_of):
                started = time.perf_counter()
                steps = {t.name: t.seconds for t in recompute(day, **options)}
                nights.append((time.perf_counter() - started, steps))
            raise _Rollback
    except _Rollback:
        pass
    return nights


def full_rebuild(as_of: date) -> float:
    """`recompute --full` (everything from the raw ledger), rolled back."""
    try:
        with transaction.atomic():
            started = time.perf_counter()
            try:
                recompute(as_of, full=True)
            except TypeError:  # a code base without the incremental path: every run is full
                recompute(as_of)
            seconds = time.perf_counter() - started
            raise _Rollback
    except _Rollback:
        pass
    return seconds


def measure(as_of: date, runs: int) -> dict:
    plain_scan(as_of)
    scans = []
    for _ in range(max(runs, 3)):
        started = time.perf_counter()
        groups = plain_scan(as_of)
        scans.append(time.perf_counter() - started)
    two_nights(as_of)  # warm-up
    measured = [two_nights(as_of) for _ in range(runs)]
    full = statistics.median(full_rebuild(as_of) for _ in range(runs))
    tracemalloc.start()
    two_nights(as_of)
    _current, heap = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    result = {
        "scan_s": statistics.median(scans),
        "scan_groups": groups,
        "full_rebuild_s": full,
        "heap_mib": heap / 2**20,
        "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    for night, label in ((0, "first"), (1, "steady")):
        result[f"{label}_s"] = statistics.median(run[night][0] for run in measured)
        result[f"{label}_steps"] = {
            name: statistics.median(run[night][1][name] for run in measured)
            for name in measured[0][night][1]
        }
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--date", help="as of (YYYY-MM-DD); default: the last movement's day")
    parser.add_argument("--json-out", help="write the figures as JSON (for `make bench`)")
    args = parser.parse_args()

    movements = StockMovement.objects.count()
    if not movements:
        raise SystemExit("No movements: run `manage.py seed_demo --skus N --days D` first.")
    last = StockMovement.objects.aggregate(last=Max("occurred_at"))["last"]
    as_of = date.fromisoformat(args.date) if args.date else timezone.localdate(last)
    window = settings.STOCKWISE["DEMAND_WINDOW_DAYS"]
    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}")
    print(f"movements: {movements:,}; as of {as_of}; window {window} days")
    r = measure(as_of, args.runs)
    scan = r["scan_s"]
    print(f"plain scan: {scan:.3f} s ({r['scan_groups']:,} SKU groups)")
    for label, title in (("first", "first night (all alerts open)"), ("steady", "steady night")):
        print(f"{title}:")
        for name, seconds in r[f"{label}_steps"].items():
            print(f"  step {name:<14} {seconds:7.3f} s  {seconds / scan:6.2f} x scan")
        total = r[f"{label}_s"]
        print(f"  recompute      {total:7.3f} s  {total / scan:6.2f} x one plain scan")
    print(
        f"recompute --full: {r['full_rebuild_s']:.3f} s = {r['full_rebuild_s'] / scan:.2f} x scan"
    )
    print(f"peak memory: Python heap {r['heap_mib']:.1f} MiB, process RSS {r['rss_mib']:.0f} MiB")
    size = data_size()
    details = {**r, **size, "as_of": as_of.isoformat()}
    figures = [
        Figure(
            "nightly recompute (steady night)",
            r["steady_s"],
            scan,
            "s",
            f"≤ {TARGET_RATIO:g} × scan",
            r["steady_s"] <= TARGET_RATIO * scan,
            "ours / plain scan",
            details,
        ),
        Figure(
            "recompute --full (rebuild from ledger)",
            r["full_rebuild_s"],
            scan,
            "s",
            "(no target)",
            True,
            "ours / plain scan",
        ),
        Figure(
            "recompute peak RSS",
            r["rss_mib"],
            TARGET_RSS_MB,
            "MiB",
            f"≤ {TARGET_RSS_MB} MiB",
            r["rss_mib"] <= TARGET_RSS_MB,
            "ours / target",
        ),
    ]
    emit(figures, args.json_out)


if __name__ == "__main__":
    main()
