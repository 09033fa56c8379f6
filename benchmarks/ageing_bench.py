"""Benchmark (not a test): FIFO ageing of every SKU against one plain GROUP BY scan.

PERFORMANCE-NOTES.md measures everything as a multiple of one plain scan, `SUM(quantity) GROUP BY
sku` over the 90-day window. This prints the same ratio for this project's ageing, on whatever
database DATABASE_URL points at:

    DATABASE_URL=postgres://…/sw_x python manage.py seed_demo --skus 5000 --days 365
    DATABASE_URL=postgres://…/sw_x python -m benchmarks.ageing_bench [--runs 3] [--date D]

Timed, median of --runs after one warm-up run each:
- plain scan: the 90-day GROUP BY, rows fetched;
- ageing read: the set-based FIFO read alone (the WITH clause both callers share), no rows out;
- ageing report: `ageing_rows` for all warehouses, rows fetched into Python;
- nightly step: `ageing_facts_update` (temp table + UPDATE … FROM) alone, in a transaction
  that is rolled back (nothing is left written), after creating the SkuFacts rows it fills.
"""

import argparse
import os
import statistics
import time
from datetime import date, timedelta

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
django.setup()

from django.db import connection, transaction  # noqa: E402
from django.db.models import Max  # noqa: E402

from inventory import ageing  # noqa: E402
from inventory.ageing import ageing_facts_update, ageing_rows, day_start  # noqa: E402
from inventory.facts import facts_ensure_rows  # noqa: E402
from inventory.models import StockMovement, Warehouse  # noqa: E402


class _Rollback(Exception):
    pass


def plain_scan(as_of: date) -> int:
    start = day_start(as_of - timedelta(days=89), "UTC")
    end = day_start(as_of + timedelta(days=1), "UTC")
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


def ageing_read(as_of: date) -> int:
    """The set-based read alone: layers, buckets and the slow-mover sales, one count back."""
    windows = ageing._windows(Warehouse.objects.values_list("pk", "timezone"), as_of)
    cte, params = ageing._layers_cte(windows, as_of, category_id=None, sku_ids=None)
    sql = f"{cte} SELECT COUNT(*), SUM(a.units_0_30), SUM(t.sold_recent) FROM aged a "
    sql += "JOIN totals t ON t.warehouse_id = a.warehouse_id AND t.sku_id = a.sku_id"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def ageing_report(as_of: date) -> int:
    return len(ageing_rows(list(Warehouse.objects.all()), as_of))


def nightly_step(as_of: date) -> tuple[float, int]:
    """The ageing step alone, timed inside a transaction that is rolled back; the SkuFacts rows
    it writes are created first in the same transaction (the nightly job's first step)."""
    elapsed, written = 0.0, 0
    try:
        with transaction.atomic():
            facts_ensure_rows(as_of)
            started = time.perf_counter()
            written = ageing_facts_update(as_of)
            elapsed = time.perf_counter() - started
            raise _Rollback
    except _Rollback:
        pass
    return elapsed, written


def _clock(func):
    """Wrap a plain function so that it returns (seconds, result) like nightly_step."""

    def clocked(as_of: date) -> tuple[float, int]:
        started = time.perf_counter()
        result = func(as_of)
        return time.perf_counter() - started, result

    return clocked


def timed(func, as_of: date, runs: int) -> tuple[float, int]:
    """Median seconds of `runs` calls after one warm-up call (caches, plans)."""
    _seconds, result = func(as_of)
    seconds = []
    for _n in range(runs):
        elapsed, result = func(as_of)
        seconds.append(elapsed)
    return statistics.median(seconds), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--date", help="as of (YYYY-MM-DD); default: the last movement's day")
    args = parser.parse_args()
    last = StockMovement.objects.aggregate(last=Max("occurred_at"))["last"]
    if last is None:
        raise SystemExit("No movements: run `manage.py seed_demo` first.")
    as_of = date.fromisoformat(args.date) if args.date else last.date()
    movements = StockMovement.objects.count()
    print(
        f"{connection.vendor}: {movements} movements, as of {as_of}, "
        f"median of {args.runs} runs after a warm-up"
    )
    base, groups = timed(_clock(plain_scan), as_of, args.runs)
    print(f"  plain 90-day GROUP BY scan   {base:7.3f} s   1.0 x   ({groups} SKUs)")
    for name, func in (
        ("ageing read only (SQL)", _clock(ageing_read)),
        ("ageing, all SKUs (report)", _clock(ageing_report)),
        ("ageing nightly step", nightly_step),
    ):
        seconds, rows = timed(func, as_of, args.runs)
        print(f"  {name:<28} {seconds:7.3f} s  {seconds / base:4.1f} x   ({rows} rows)")


if __name__ == "__main__":
    main()
