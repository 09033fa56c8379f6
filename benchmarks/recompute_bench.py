"""Benchmark (not a test): the nightly recompute against one plain GROUP BY scan.

PERFORMANCE-NOTES.md measures everything as a multiple of one plain scan, `SUM(quantity) GROUP BY
sku` over the demand window. This prints that ratio for the nightly job as registered in this
code base (facts rows, demand, planning, alerts, and whatever else apps register), on whatever
database DATABASE_URL points at:

    DATABASE_URL=postgres://…/sw_x python manage.py seed_demo --skus 20000 --days 365
    DATABASE_URL=postgres://…/sw_x python -m benchmarks.recompute_bench [--runs 3] [--date D]

Each run is two nightly recomputes inside a transaction that is rolled back: a "first night"
(every alert opens, its email is rendered into the outbox, nothing is sent) and a "steady night"
right after it; the data stay as seeded. Medians of --runs after one warm-up run; peak memory is
the Python heap (tracemalloc) during one run, plus the process's peak RSS. Run with DEBUG=0 to
get the cached template loader of production.
"""

import argparse
import os
import resource
import statistics
import time
import tracemalloc
from datetime import date, datetime, timedelta
from datetime import time as clock

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import Max  # noqa: E402
from django.utils import timezone  # noqa: E402

from inventory.facts import recompute  # noqa: E402
from inventory.models import StockMovement  # noqa: E402


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


def recompute_rolled_back(as_of: date) -> list[tuple[float, dict[str, float]]]:
    """Two nights in a row, rolled back: the first opens every alert (and renders its email),
    the second is a steady night where little changes."""
    nights = []
    try:
        with transaction.atomic():
            for _night in range(2):
                started = time.perf_counter()
                steps = {t.name: t.seconds for t in recompute(as_of)}
                nights.append((time.perf_counter() - started, steps))
            raise _Rollback
    except _Rollback:
        pass
    return nights


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--date", help="as of (YYYY-MM-DD); default: the last movement's day")
    args = parser.parse_args()

    movements = StockMovement.objects.count()
    if not movements:
        raise SystemExit("No movements: run `manage.py seed_demo --skus N --days D` first.")
    last = StockMovement.objects.aggregate(last=Max("occurred_at"))["last"]
    as_of = date.fromisoformat(args.date) if args.date else timezone.localdate(last)
    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}")
    window = settings.STOCKWISE["DEMAND_WINDOW_DAYS"]
    print(f"movements: {movements:,}; as of {as_of}; window {window} days")

    plain_scan(as_of)
    scans = []
    for _ in range(args.runs):
        started = time.perf_counter()
        groups = plain_scan(as_of)
        scans.append(time.perf_counter() - started)
    scan = statistics.median(scans)
    print(f"plain scan: {scan:.3f} s ({groups:,} SKU groups)")

    recompute_rolled_back(as_of)  # warm-up
    runs = [recompute_rolled_back(as_of) for _ in range(args.runs)]
    tracemalloc.start()
    recompute_rolled_back(as_of)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    for night, label in ((0, "first night (all alerts open)"), (1, "steady night")):
        print(f"{label}:")
        for name in runs[0][night][1]:
            median = statistics.median(run[night][1][name] for run in runs)
            print(f"  step {name:<12} {median:7.3f} s  {median / scan:6.2f} x scan")
        total = statistics.median(run[night][0] for run in runs)
        print(f"  recompute    {total:7.3f} s  {total / scan:6.2f} x one plain scan")
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    heap = peak / 2**20
    print(f"peak memory: Python heap {heap:.1f} MiB (two nights), process RSS {rss_mb:.0f} MiB")


if __name__ == "__main__":
    main()
