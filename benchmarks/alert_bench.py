"""Benchmark (not a test): a sale that crosses the reorder point, until the email arrives.

A real gunicorn, a real Celery worker (prefork, 2 processes, as the Procfile runs it) and an
aiosmtpd sink on loopback. A SKU of the BENCH sandbox warehouse has stored planning figures (ROP
60 units) and 100 on hand; a sale of 50 is POSTed through the API; the clock stops when the
purchaser's alert email is in the sink. Broker: Redis when REDIS_URL is set, else the
filesystem broker of `make run` in a private folder (it polls once a second).
Baseline: an email written straight to the outbox and handed to the same worker (broker +
worker + SMTP, without the stock check), so the ratio is the cost of the check itself.

    DATABASE_URL=postgres://…/sw_x python -m benchmarks.alert_bench [--trials 5]
"""

import argparse
import json
import os
import shutil
import statistics
import tempfile
import threading
import time
from pathlib import Path

from benchmarks.common import Figure, Http, celery_worker, emit, free_port, gunicorn, plan_row

_broker = tempfile.mkdtemp(prefix="sw-bench-broker-")
os.environ.setdefault("BENCH_BROKER_DIR", _broker)
SMTP_PORT = free_port()
os.environ["EMAIL_URL"] = f"smtp://127.0.0.1:{SMTP_PORT}"

import django  # noqa: E402

django.setup()

from aiosmtpd.controller import Controller  # noqa: E402
from django.db import transaction  # noqa: E402

from alerts.emails import outbox_dispatch  # noqa: E402
from alerts.models import OutboxEmail  # noqa: E402
from benchmarks.common import (  # noqa: E402
    api_token,
    bench_cleanup,
    bench_user,
    bench_warehouse,
)
from inventory.models import SKU, MovementKind  # noqa: E402
from inventory.services import MovementLine, movements_post  # noqa: E402

TARGET_S = 5.0


class Sink:
    """aiosmtpd handler: remembers when each message arrived, by subject."""

    def __init__(self):
        self.arrived: list[tuple[float, str]] = []
        self.event = threading.Condition()

    async def handle_DATA(self, server, session, envelope):
        text = envelope.content.decode("utf-8", "replace")
        with self.event:
            self.arrived.append((time.perf_counter(), text))
            self.event.notify_all()
        return "250 OK"

    def wait_for(self, needle: str, timeout: float = 30) -> float | None:
        deadline = time.perf_counter() + timeout
        with self.event:
            while True:
                for when, text in self.arrived:
                    if needle in text:
                        return when
                left = deadline - time.perf_counter()
                if left <= 0:
                    return None
                self.event.wait(left)


def baseline_email(n: int) -> str:
    """An outbox row handed to the worker the way alert emails are; returns its marker."""
    marker = f"bench-baseline-{n}-{time.time_ns()}"
    with transaction.atomic():
        OutboxEmail.objects.create(
            dedup_key=marker,
            kind="bench",
            language="en",
            to=["bench-purchaser@bench.invalid"],
            subject=marker,
            body_text=marker,
            body_html=f"<p>{marker}</p>",
        )
        transaction.on_commit(lambda: outbox_dispatch([marker]))
    return marker


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=5)
    parser.add_argument("--json-out")
    args = parser.parse_args()

    bench_cleanup()
    warehouse = bench_warehouse()
    manager = bench_user("bench-alert-manager", "manager", warehouse)
    bench_user("bench-purchaser", "purchaser", warehouse, email="bench-purchaser@bench.invalid")
    token = api_token(manager)
    skus = list(SKU.objects.order_by("id")[: args.trials + 1])
    movements_post(
        lines=[
            MovementLine(warehouse=warehouse, sku=s, kind=MovementKind.RECEIPT, quantity=100)
            for s in skus
        ],
        source="bench",
    )
    for sku in skus:
        plan_row(warehouse, sku)
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=SMTP_PORT)
    controller.start()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "benchmarks.settings",
        "BENCH_BROKER_DIR": os.environ["BENCH_BROKER_DIR"],
        "EMAIL_URL": os.environ["EMAIL_URL"],
    }
    worker_log = Path(os.environ["BENCH_BROKER_DIR"]) / "worker.log"
    latencies, baselines, missing = [], [], 0
    try:
        with celery_worker(env, worker_log), gunicorn(env=env) as server:
            http = Http(server.port, token=token)
            # Warm-up: the worker is up when the first baseline email arrives.
            if sink.wait_for(baseline_email(0), timeout=90) is None:
                raise SystemExit("the worker did not send the warm-up email within 90 s")
            for n in range(1, args.trials + 1):
                started = time.perf_counter()
                arrived = sink.wait_for(baseline_email(n))
                baselines.append(arrived - started if arrived else float("inf"))
            for sku in skus[1:]:
                body = json.dumps(
                    {
                        "warehouse": warehouse.code,
                        "sku": sku.seller_sku,
                        "kind": "SALE",
                        "quantity": -50,
                    }
                ).encode()
                started = time.perf_counter()
                status, data, _s = http.request(
                    "POST", "/api/v1/movements/", body, {"Content-Type": "application/json"}
                )
                if status != 201:
                    raise SystemExit(f"sale refused: {status} {data[:300]!r}")
                arrived = sink.wait_for(sku.seller_sku, timeout=30)
                if arrived is None:
                    missing += 1
                    latencies.append(float("inf"))
                else:
                    latencies.append(arrived - started)
    finally:
        controller.stop()
        bench_cleanup()
        OutboxEmail.objects.filter(dedup_key__startswith="bench-baseline-").delete()
        shutil.rmtree(_broker, ignore_errors=True)
    broker = "redis" if os.environ.get("REDIS_URL") else "filesystem (1 s polling)"
    worst, median = max(latencies), statistics.median(latencies)
    base = statistics.median(baselines)
    print(
        f"alert email after the POST: median {median:.2f} s, worst {worst:.2f} s over "
        f"{len(latencies)} sales ({missing} never arrived); baseline outbox email "
        f"{base:.2f} s; broker {broker}"
    )
    emit(
        [
            Figure(
                "sale crossing ROP → alert email (worst)",
                worst,
                base,
                "s",
                f"≤ {TARGET_S:g} s",
                worst <= TARGET_S,
                "ours / plain outbox email",
                {"latencies_s": latencies, "baseline_s": baselines, "broker": broker},
            )
        ],
        args.json_out,
    )


if __name__ == "__main__":
    main()
