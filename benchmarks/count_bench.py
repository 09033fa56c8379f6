"""Benchmark (not a test): count entry by 20 concurrent counters.

A full count of the BENCH sandbox warehouse (as many lines as the biggest seeded warehouse has
SKUs, up to 20,000), 20 staff users scanning different SKUs into the same session at once, each
scan the htmx POST the entry page sends (code, quantity, idempotency key), against a real
gunicorn on loopback. Entries of one session are serialised by its row lock, so this is the
hard case. Server time per scanned line from gunicorn's access log; client time printed too.
Baseline: the same 20 clients on the cheapest authenticated request (GET /api/v1/warehouses/).

    DATABASE_URL=postgres://…/sw_x python -m benchmarks.count_bench [--scans 25]
"""

import argparse
import os
import shutil
import tempfile
import threading
import uuid
from urllib.parse import urlencode

from benchmarks.common import Figure, Http, emit, gunicorn, percentile

_broker = tempfile.mkdtemp(prefix="sw-bench-broker-")
os.environ.setdefault("BENCH_BROKER_DIR", _broker)

import django  # noqa: E402

django.setup()

from django.db.models import Count  # noqa: E402

from benchmarks.common import (  # noqa: E402
    bench_cleanup,
    bench_user,
    bench_warehouse,
    session_cookie,
)
from counting.models import CountKind  # noqa: E402
from counting.services import session_create  # noqa: E402
from inventory.models import SKU, MovementKind, StockBalance  # noqa: E402
from inventory.services import MovementLine, movements_post  # noqa: E402

COUNTERS = 20
TARGET_P95_MS = 50
MAX_LINES = 20_000
BASELINE_PATH = "/api/v1/warehouses/"


def lines_wanted() -> int:
    """As many lines as the biggest seeded warehouse has pairs (a realistic full count)."""
    biggest = (
        StockBalance.objects.values("warehouse")
        .annotate(n=Count("id"))
        .order_by("-n")
        .values_list("n", flat=True)
        .first()
    )
    return max(100, min(MAX_LINES, biggest or 0))


def analyze_sandbox() -> None:
    """Statistics for the rows the setup just wrote, as autovacuum would gather within a
    minute: without them PostgreSQL believes the new warehouse has no balances and reads a
    scan's on-hand through the warehouse index (20,000 entries, 2 ms) instead of the pair's."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE inventory_stockbalance, counting_countline")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scans", type=int, default=25, help="scans per counter")
    parser.add_argument("--json-out")
    args = parser.parse_args()

    bench_cleanup()
    warehouse = bench_warehouse()
    skus = list(SKU.objects.order_by("id")[: lines_wanted()])
    movements_post(
        lines=[
            MovementLine(warehouse=warehouse, sku=s, kind=MovementKind.RECEIPT, quantity=20)
            for s in skus
        ],
        source="bench",
    )
    manager = bench_user("bench-count-manager", "manager", warehouse)
    counters = [bench_user(f"bench-counter-{i}", "staff", warehouse) for i in range(COUNTERS)]
    session = session_create(warehouse=warehouse, kind=CountKind.FULL, user=manager)
    cookies = [session_cookie(u) for u in counters]
    analyze_sandbox()
    codes = [s.seller_sku for s in skus]
    entry_path = f"/counts/{session.pk}/enter/"
    errors: list[str] = []
    lock = threading.Lock()

    def counter(index: int, barrier: threading.Barrier, scans: int, base: bool) -> None:
        http = Http(server.port, session=cookies[index])
        http.request("GET", entry_path)  # the page sets the CSRF cookie
        barrier.wait()
        for n in range(scans):
            if base:
                status, data, _s = http.request("GET", BASELINE_PATH)
            else:
                code = codes[(index * scans + n) % len(codes)]
                body = urlencode({"code": code, "quantity": 1 + n % 7, "key": str(uuid.uuid4())})
                status, data, _s = http.request(
                    "POST",
                    entry_path,
                    body.encode(),
                    {"Content-Type": "application/x-www-form-urlencoded", "HX-Request": "true"},
                )
                if status == 200 and b"alert-danger" in data:
                    status = 422  # refused on the page (an unknown code, a closed line…)
            if status != 200:
                with lock:
                    errors.append(f"{status} {data[:300]!r}")

    def run(scans: int, base: bool = False) -> None:
        barrier = threading.Barrier(COUNTERS)
        threads = [
            threading.Thread(target=counter, args=(i, barrier, scans, base))
            for i in range(COUNTERS)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    try:
        with gunicorn(env={"BENCH_BROKER_DIR": os.environ["BENCH_BROKER_DIR"]}) as server:
            run(2, base=True)  # warm-up
            mark = server.mark()
            run(args.scans, base=True)
            base_ms = [ms for m, _p, _s, ms in server.since(mark) if m == "GET"]
            mark = server.mark()
            run(args.scans)
            scan_ms = [ms for m, p, _s, ms in server.since(mark) if m == "POST"]
    finally:
        bench_cleanup()
        shutil.rmtree(_broker, ignore_errors=True)
    p95, base_p95 = percentile(scan_ms, 95), percentile(base_ms, 95)
    print(
        f"{len(scan_ms)} scans by {COUNTERS} counters into one full count of {len(skus):,} "
        f"lines: p95 {p95:.1f} ms, median {percentile(scan_ms, 50):.1f} ms server; "
        f"baseline p95 {base_p95:.1f} ms; {len(errors)} errors"
    )
    if errors:
        print("  e.g.", errors[:2])
    emit(
        [
            Figure(
                f"count entry p95, {COUNTERS} counters",
                p95,
                base_p95,
                "ms",
                f"≤ {TARGET_P95_MS} ms",
                p95 <= TARGET_P95_MS and not errors,
                f"ours / {BASELINE_PATH} p95",
                {"lines": len(skus), "scans": len(scan_ms), "errors": len(errors)},
            )
        ],
        args.json_out,
    )


if __name__ == "__main__":
    main()
