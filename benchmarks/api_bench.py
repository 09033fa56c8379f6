"""Benchmark (not a test): movement POSTs through the API by 20 concurrent clients.

20 client threads POST receipts and sales (token auth, an external_ref each) on a handful of
SKUs of the BENCH sandbox warehouse, so that many posts contend for the same balance rows,
against a real gunicorn on loopback. Afterwards every balance must equal its starting value
plus what the 201 answers say was posted, and equal its ledger sum: no lost update.
Baseline: the same 20 clients on the cheapest authenticated API request (GET
/api/v1/warehouses/), the framework's request ceiling on this machine.

    DATABASE_URL=postgres://…/sw_x python -m benchmarks.api_bench [--posts 100]
"""

import argparse
import json
import os
import shutil
import tempfile
import threading
import time
import uuid
from collections import defaultdict

from benchmarks.common import Figure, Http, emit, gunicorn

_broker = tempfile.mkdtemp(prefix="sw-bench-broker-")
os.environ.setdefault("BENCH_BROKER_DIR", _broker)

import django  # noqa: E402

django.setup()

from django.db.models import Sum  # noqa: E402

from benchmarks.common import (  # noqa: E402
    api_token,
    bench_cleanup,
    bench_user,
    bench_warehouse,
)
from inventory.models import SKU, MovementKind, StockBalance, StockMovement  # noqa: E402
from inventory.services import MovementLine, movements_post  # noqa: E402

CLIENTS = 20
HOT_SKUS = 10
TARGET_RATE = 500


def run_clients(port: int, token: str, job, per_client: int):
    """CLIENTS threads, each calling job(http, index, n) per_client times; returns wall s."""
    barrier = threading.Barrier(CLIENTS + 1)

    def client(index: int) -> None:
        http = Http(port, token=token)
        barrier.wait()
        for n in range(per_client):
            job(http, index, n)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    for t in threads:
        t.start()
    barrier.wait()
    started = time.perf_counter()
    for t in threads:
        t.join()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=100, help="POSTs per client")
    parser.add_argument("--json-out")
    args = parser.parse_args()

    bench_cleanup()
    warehouse = bench_warehouse()
    user = bench_user("bench-api", "manager", warehouse)
    token = api_token(user)
    skus = list(SKU.objects.order_by("id")[:HOT_SKUS])
    movements_post(
        lines=[
            MovementLine(warehouse=warehouse, sku=s, kind=MovementKind.RECEIPT, quantity=10_000)
            for s in skus
        ],
        source="bench",
    )
    start_balance = dict(
        StockBalance.objects.filter(warehouse=warehouse).values_list("sku__seller_sku", "on_hand")
    )
    posted = defaultdict(int)
    errors: list[str] = []
    lock = threading.Lock()

    def post(http: Http, index: int, n: int) -> None:
        sku = skus[(index + n) % len(skus)].seller_sku
        kind, qty = ("RECEIPT", 3) if n % 3 == 0 else ("SALE", -1)
        body = json.dumps(
            {
                "warehouse": warehouse.code,
                "sku": sku,
                "kind": kind,
                "quantity": qty,
                "external_ref": f"bench-{uuid.uuid4()}",
            }
        ).encode()
        status, data, _s = http.request(
            "POST", "/api/v1/movements/", body, {"Content-Type": "application/json"}
        )
        with lock:
            if status == 201:
                posted[sku] += qty
            else:
                errors.append(f"{status} {data[:200]!r}")

    def get(http: Http, index: int, n: int) -> None:
        status, data, _s = http.request("GET", "/api/v1/warehouses/")
        if status != 200:
            with lock:
                errors.append(f"{status} {data[:200]!r}")

    try:
        with gunicorn(env={"BENCH_BROKER_DIR": os.environ["BENCH_BROKER_DIR"]}) as server:
            run_clients(server.port, token, get, 5)  # warm-up
            base_wall = run_clients(server.port, token, get, args.posts)
            wall = run_clients(server.port, token, post, args.posts)
        total = CLIENTS * args.posts
        rate, base_rate = total / wall, total / base_wall
        end_balance = dict(
            StockBalance.objects.filter(warehouse=warehouse).values_list(
                "sku__seller_sku", "on_hand"
            )
        )
        ledger = dict(
            StockMovement.objects.filter(warehouse=warehouse)
            .values("sku__seller_sku")
            .annotate(total=Sum("quantity"))
            .values_list("sku__seller_sku", "total")
        )
        lost = {
            sku: (start_balance[sku] + posted[sku], end_balance[sku], ledger[sku])
            for sku in start_balance
            if not start_balance[sku] + posted[sku] == end_balance[sku] == ledger[sku]
        }
    finally:
        bench_cleanup()
        shutil.rmtree(_broker, ignore_errors=True)
    print(
        f"{total:,} POSTs by {CLIENTS} clients in {wall:.2f} s = {rate:,.0f}/s; "
        f"baseline GET {base_rate:,.0f}/s; {len(errors)} errors; lost updates: {lost or 'none'}"
    )
    if errors:
        print("  e.g.", errors[:3])
    emit(
        [
            Figure(
                f"movement POST via API, {CLIENTS} clients",
                rate,
                base_rate,
                "movements/s",
                f"≥ {TARGET_RATE}/s, no lost update",
                rate >= TARGET_RATE and not lost and not errors,
                "ours / GET /api/v1/warehouses/ rate",
                {"posts": total, "errors": len(errors), "lost_updates": len(lost)},
            )
        ],
        args.json_out,
    )


if __name__ == "__main__":
    main()
