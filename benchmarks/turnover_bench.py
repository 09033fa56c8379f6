"""Benchmark (not a test): a 365-day turnover for every SKU vs one plain GROUP BY scan.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sw_turnover \\
        python -m benchmarks.turnover_bench --build --skus 100000 --days 365

`--build` replaces the ledger of the database with a synthetic one shaped like the ledger of
PERFORMANCE-NOTES.md (long-tailed daily orders: the top SKU sells ~520 orders a day, the tail a
few a year; a receipt every 28 days; rows stored in time order; two warehouses, one UTC and one
in Asia/Bangkok). PostgreSQL only: the ledger is generated in SQL with generate_series.
Without `--build` it times whatever ledger is there. Reports medians of `--runs` runs.
"""

import argparse
import os
import statistics
import sys
import time
from datetime import timedelta

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")


def build(skus: int, days: int, end) -> None:
    from django.db import connection, transaction

    start = end - timedelta(days=days - 1)
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            "TRUNCATE inventory_stockmovement, inventory_stockbalance, inventory_skufacts "
            "RESTART IDENTITY CASCADE"
        )
        cur.execute("DELETE FROM inventory_sku WHERE seller_sku LIKE 'BENCH-%%'")
        cur.execute(
            "INSERT INTO inventory_warehouse (code, name, timezone, allow_negative_stock) "
            "VALUES ('BENCH-US', 'Bench US', 'UTC', TRUE), "
            "('BENCH-TH', 'Bench TH', 'Asia/Bangkok', TRUE) ON CONFLICT (code) DO NOTHING"
        )
        cur.execute(
            "INSERT INTO inventory_category (name, external_id) "
            "SELECT 'Bench ' || g, '' FROM generate_series(1, 8) g ON CONFLICT DO NOTHING"
        )
        cur.execute(
            """
            INSERT INTO inventory_sku (seller_sku, tiktok_sku_id, barcode, name, category_id,
                unit_cost, unit_price, moq, case_pack, active, created_at, updated_at)
            SELECT 'BENCH-' || lpad(i::text, 6, '0'), '', '', 'Bench ' || i,
                (SELECT id FROM inventory_category WHERE name = 'Bench ' || (1 + i %% 8)),
                1 + (i %% 25), 3 + (i %% 25) * 2.5, 0, 1, TRUE, now(), now()
            FROM generate_series(1, %s) i
            """,
            [skus],
        )
        # rank i -> orders a day 520 / i^0.8 (+ a random part), one unit each; the opening stock
        # and a receipt every 28 days cover them. Sorted by time like a real ledger.
        cur.execute(
            """
            WITH s AS (
                SELECT id, row_number() OVER (ORDER BY id) AS i FROM inventory_sku
                WHERE seller_sku LIKE 'BENCH-%%'
            ), r AS (
                SELECT s.id, s.i, 520.0 / power(s.i, 0.8) AS rate,
                    (SELECT id FROM inventory_warehouse
                     WHERE code = CASE WHEN s.i %% 5 = 0 THEN 'BENCH-TH' ELSE 'BENCH-US' END) AS wh
                FROM s
            ), rows AS (
                SELECT r.wh, r.id AS sku, 'RECEIPT' AS kind,
                       ceil(r.rate * 40)::int + 5 AS qty,
                       %(start)s::timestamptz - interval '1 day' AS at
                FROM r
                UNION ALL
                SELECT r.wh, r.id, 'RECEIPT', ceil(r.rate * 28)::int + 1,
                       %(start)s::timestamptz + (d || ' days')::interval + interval '8 hours'
                FROM r, generate_series((r.i %% 28)::int, %(days)s - 1, 28) d
                UNION ALL
                SELECT r.wh, r.id, 'SALE', -1,
                       %(start)s::timestamptz + (d || ' days')::interval
                           + (n * 37 %% 50000 || ' seconds')::interval + interval '9 hours'
                FROM r, generate_series(0, %(days)s - 1) d,
                     generate_series(1, floor(r.rate + random())::int) n
            )
            INSERT INTO inventory_stockmovement (warehouse_id, sku_id, kind, quantity,
                occurred_at, unit_cost, source, external_ref, user_id, note, created_at)
            SELECT rows.wh, rows.sku, rows.kind, rows.qty, rows.at, sk.unit_cost, 'bench',
                   NULL, NULL, '', now()
            FROM rows JOIN inventory_sku sk ON sk.id = rows.sku
            ORDER BY rows.at
            """,
            {"start": start, "days": days},
        )
        cur.execute(
            "INSERT INTO inventory_stockbalance (warehouse_id, sku_id, on_hand, updated_at) "
            "SELECT warehouse_id, sku_id, SUM(quantity), now() FROM inventory_stockmovement "
            "GROUP BY warehouse_id, sku_id"
        )
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE inventory_stockmovement")
        cur.execute("VACUUM ANALYZE inventory_stockbalance")
        cur.execute("ANALYZE inventory_sku")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", action="store_true", help="replace the ledger first")
    parser.add_argument("--skus", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    django.setup()

    from django.db import connection
    from django.utils import timezone

    from inventory.models import Warehouse
    from inventory.turnover import (
        Grouping,
        Period,
        turnover_rows,
        turnover_series,
        turnover_trend,
    )

    if connection.vendor != "postgresql":
        print("PostgreSQL only: set DATABASE_URL=postgres://…", file=sys.stderr)
        return 2
    end = timezone.localdate()
    if args.build:
        started = time.perf_counter()
        build(args.skus, args.days, end)
        print(f"built the ledger in {time.perf_counter() - started:.1f} s")
    with connection.cursor() as cur:
        cur.execute("SELECT count(*), count(DISTINCT sku_id) FROM inventory_stockmovement")
        movements, skus = cur.fetchone()
    print(f"ledger: {movements:,} movements, {skus:,} SKUs")
    warehouses = list(Warehouse.objects.all())
    period = Period.trailing(args.days, end)
    start_at = min(period.bounds(w.timezone)[0] for w in warehouses)

    def plain_scan():
        with connection.cursor() as cur:
            cur.execute(
                "SELECT sku_id, SUM(quantity) FROM inventory_stockmovement "
                "WHERE occurred_at >= %s GROUP BY sku_id",
                [start_at],
            )
            return len(cur.fetchall())

    trailing = Period.trailing(90, end)
    before = Period.trailing(90, trailing.start - timedelta(days=1))

    def dashboard_figures():
        # What the landing page computes for a user of every warehouse (inventory's tiles).
        from django.db.models import F, Sum

        from inventory.models import StockBalance

        StockBalance.objects.aggregate(Sum("on_hand"), v=Sum(F("on_hand") * F("sku__unit_cost")))
        turnover_series(warehouses=warehouses, periods=[before, trailing])
        return 2

    cases = {
        "plain scan": plain_scan,
        **{
            f"turnover by {g.value}": (
                lambda g=g: len(turnover_rows(warehouses=warehouses, period=period, grouping=g))
            )
            for g in (Grouping.SKU, Grouping.CATEGORY, Grouping.BUSINESS)
        },
        "12-month trend": lambda: len(turnover_trend(warehouses=warehouses, end=end)),
        "dashboard figures": dashboard_figures,
    }
    # Interleaved rounds, so that a burst of load on the shared machine hits every case alike.
    times: dict[str, list[float]] = {name: [] for name in cases}
    rows: dict[str, int] = {}
    for _round in range(args.runs):
        for name, func in cases.items():
            started = time.perf_counter()
            rows[name] = func()
            times[name].append(time.perf_counter() - started)
    results = {name: (statistics.median(t), rows[name]) for name, t in times.items()}
    base = results["plain scan"][0]
    print(f"{'what':<24} {'seconds':>8} {'× scan':>7} {'rows':>8}")
    for name, (seconds, n_rows) in results.items():
        print(f"{name:<24} {seconds:8.2f} {seconds / base:7.2f} {n_rows:8}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
