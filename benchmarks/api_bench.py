"""Benchmark (not a test): movement POSTs through the API by 20 concurrent clients.

20 client threads POST receipts and sales (token auth, an external_ref each) on a handful of
SKUs of the BENCH sandbox warehouse, so that many posts contend for the same balance rows,
against a real gunicorn on loopback. Afterwards every balance must equal its starting value
plus what the 201 answers say was posted, and equal its ledger sum: no lost update.
Baseline: the same 20 clients on the cheapest authenticated API request (GET
/api/v1/warehouses/), the framework's request ceiling on this machine.
A second figure: the same clients posting batches (a JSON list of `--batch` movements per
POST, all-or-nothing), counted in movements/s; the same no-lost-update check covers both.
A Celery worker runs throughout, as in production (the hot SKUs have planning figures, so
every real-time check does its work); after the single POSTs the benchmark waits until the
worker has caught up with the checks they scheduled, and reports how long after the last POST
that was and how many check tasks it ran.

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
from pathlib import Path

from benchmarks.common import Figure, Http, celery_worker, cpu_use, emit, gunicorn, plan_row

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
JSON = {"Content-Type": "application/json"}
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
    parser.add_argument("--batch", type=int, default=20, help="movements per batch POST")
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
    for sku in skus:
        plan_row(warehouse, sku)
    start_balance = dict(
        StockBalance.objects.filter(warehouse=warehouse).values_list("sku__seller_sku", "on_hand")
    )
    posted = defaultdict(int)
    errors: list[str] = []
    lock = threading.Lock()

    def movement(sku: str, n: int) -> dict:
        kind, qty = ("RECEIPT", 3) if n % 3 == 0 else ("SALE", -1)
        return {
            "warehouse": warehouse.code,
            "sku": sku,
            "kind": kind,
            "quantity": qty,
            "external_ref": f"bench-{uuid.uuid4()}",
        }

    def post(http: Http, index: int, n: int) -> None:
        sku = skus[(index + n) % len(skus)].seller_sku
        body = movement(sku, n)
        status, data, _s = http.request(
            "POST", "/api/v1/movements/", json.dumps(body).encode(), JSON
        )
        with lock:
            if status == 201:
                posted[sku] += body["quantity"]
            else:
                errors.append(f"{status} {data[:200]!r}")

    def post_batch(http: Http, index: int, n: int) -> None:
        items = [
            movement(skus[(index + n + k) % len(skus)].seller_sku, n + k) for k in range(args.batch)
        ]
        status, data, _s = http.request(
            "POST", "/api/v1/movements/", json.dumps(items).encode(), JSON
        )
        with lock:
            if status == 201:
                for item in items:
                    posted[item["sku"]] += item["quantity"]
            else:
                errors.append(f"{status} {data[:200]!r}")

    def get(http: Http, index: int, n: int) -> None:
        status, data, _s = http.request("GET", "/api/v1/warehouses/")
        if status != 200:
            with lock:
                errors.append(f"{status} {data[:200]!r}")

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "benchmarks.settings",
        "BENCH_BROKER_DIR": os.environ["BENCH_BROKER_DIR"],
    }
    worker_log_path = Path(os.environ["BENCH_BROKER_DIR"]) / "worker.log"
    try:
        with (
            celery_worker(env, worker_log_path, loglevel="INFO") as worker,
            gunicorn(env={"BENCH_BROKER_DIR": os.environ["BENCH_BROKER_DIR"]}) as server,
        ):
            if not _wait(lambda: "ready." in worker_log_path.read_text(), 60):
                raise SystemExit("the worker did not start within 60 s")
            run_clients(server.port, token, get, 5)  # warm-up
            parts = {"web": server.process.pid, "worker": worker.pid}
            with cpu_use(parts) as get_cpu:
                base_wall = run_clients(server.port, token, get, args.posts)
            checks_before = _checks(worker_log_path)
            with cpu_use(parts) as post_cpu:
                wall = run_clients(server.port, token, post, args.posts)
            last_post = time.perf_counter()
            caught_up = _wait(lambda: _checks_settled(worker_log_path), 600)
            catch_up_s = time.perf_counter() - last_post if caught_up else float("inf")
            checks = _checks(worker_log_path)[0] - checks_before[0]
            batches = max(1, args.posts // 4)
            batch_wall = run_clients(server.port, token, post_batch, batches)
        total = CLIENTS * args.posts
        rate, base_rate = total / wall, total / base_wall
        batch_total = CLIENTS * batches * args.batch
        batch_rate = batch_total / batch_wall
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
    # The clients run on the same two cores: how the CPU split says what the server alone
    # would serve there (the worker's checks of these POSTs run partly after the phase).
    cores = os.cpu_count() or 1
    per_post_ms = 1000 * post_cpu.server_s / total
    client_post_ms = 1000 * post_cpu.clients_s / total
    per_get_ms = 1000 * get_cpu.server_s / total
    print(
        f"CPU per request: POST {per_post_ms:.2f} ms server + "
        f"{client_post_ms:.2f} ms clients, GET {per_get_ms:.2f} ms server + "
        f"{1000 * get_cpu.clients_s / total:.2f} ms clients; the server alone on {cores} cores: "
        f"≈ {cores * 1000 / per_post_ms:,.0f} POSTs/s, {cores * 1000 / per_get_ms:,.0f} GETs/s"
    )
    for label, use in (("POST", post_cpu), ("GET", get_cpu)):
        split = ", ".join(f"{k} {1000 * v / total:.2f}" for k, v in use.parts_s.items())
        print(f"  a {label}'s server CPU by part (ms): {split}")
    print(
        f"the worker ran {checks:,} real-time check tasks for them and had caught up "
        f"{catch_up_s:.1f} s after the last POST"
    )
    print(
        f"{batch_total:,} movements in {CLIENTS * batches:,} batch POSTs of {args.batch} in "
        f"{batch_wall:.2f} s = {batch_rate:,.0f} movements/s"
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
                {
                    "posts": total,
                    "errors": len(errors),
                    "lost_updates": len(lost),
                    "check_tasks": checks,
                    "checks_caught_up_s": round(catch_up_s, 2),
                    "server_cpu_ms_per_post": round(per_post_ms, 3),
                    "client_cpu_ms_per_post": round(client_post_ms, 3),
                    "server_cpu_ms_per_get": round(per_get_ms, 3),
                    "server_cpu_ms_per_post_by_part": {
                        k: round(1000 * v / total, 3) for k, v in post_cpu.parts_s.items()
                    },
                    "server_cpu_ms_per_get_by_part": {
                        k: round(1000 * v / total, 3) for k, v in get_cpu.parts_s.items()
                    },
                },
            ),
            Figure(
                f"movements via batch POSTs of {args.batch}, {CLIENTS} clients",
                batch_rate,
                base_rate,
                "movements/s",
                f"≥ {TARGET_RATE}/s, no lost update",
                batch_rate >= TARGET_RATE and not lost and not errors,
                "ours / GET /api/v1/warehouses/ rate",
                {"movements": batch_total, "batch": args.batch},
            ),
        ],
        args.json_out,
    )


def _checks(log: Path) -> tuple[int, int]:
    """(received, finished) real-time check tasks in the worker's log."""
    lines = [line for line in log.read_text().splitlines() if "recheck" in line]
    received = sum(1 for line in lines if "received" in line.lower())
    finished = sum(1 for line in lines if "succeeded" in line or "raised" in line)
    return received, finished


def _checks_settled(log: Path) -> bool:
    """The broker holds no task and every check task the worker took has finished."""
    received, finished = _checks(log)
    return _broker_queue_length() == 0 and received == finished


def _broker_queue_length() -> int:
    from django.conf import settings

    if settings.REDIS_URL:
        import redis

        return redis.Redis.from_url(settings.REDIS_URL).llen("celery")
    return sum(1 for _ in (Path(os.environ["BENCH_BROKER_DIR"]) / "queue").glob("*.msg"))


def _wait(condition, timeout: float) -> bool:
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


if __name__ == "__main__":
    main()
