"""Benchmark (not a test): list pages under 10 concurrent clients, and their query counts.

The SKU list, the replenishment list and (once the clearance app provides it) the ageing report,
each filtered, sorted and paginated several ways, requested by 10 client threads against a real
gunicorn on loopback. Server time is gunicorn's own (access log), so queueing for a worker is
not counted; client time is printed too. Baseline: the same clients on the cheapest
authenticated request (`/api/v1/warehouses/`), the framework's floor on this machine.
Query counts come from the Django test client in this process, at 10, 50 and 100 rows a page.

    DATABASE_URL=postgres://…/sw_x python -m benchmarks.pages_bench [--rounds 10]
"""

import argparse
import random
import statistics
import threading
import time

import django  # noqa: E402, I001

from benchmarks.common import (
    Figure,
    Http,
    emit,
    gunicorn,
    percentile,
    session_cookie,
)

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import NoReverseMatch, reverse  # noqa: E402

from benchmarks.common import BENCH_WAREHOUSE, bench_user  # noqa: E402
from inventory.models import SKU, Category, Supplier, Warehouse  # noqa: E402

CLIENTS = 10
TARGET_P95_MS = 100
TARGET_QUERIES = 8
BASELINE_PATH = "/api/v1/warehouses/"


def page_urls() -> dict[str, list[str]]:
    """Per page kind, the filtered / sorted / paginated variants the clients request."""
    category = Category.objects.order_by("id").values_list("id", flat=True).first()
    supplier = Supplier.objects.order_by("id").values_list("id", flat=True).first()
    prefix = SKU.objects.order_by("seller_sku").values_list("seller_sku", flat=True).first() or ""
    prefix = prefix[:6]
    urls = {
        "SKU list": [
            "/skus/",
            f"/skus/?q={prefix}&sort=-on_hand",
            f"/skus/?category={category}&sort=-on_hand&page=40",
            f"/skus/?supplier={supplier}&active=true&sort=name&page=3&per_page=100",
            "/skus/?sort=-unit_cost&page=200",
        ],
        "replenishment list": [
            "/replenishment/",
            "/replenishment/?status=REORDER&sort=-suggested_order_qty",
            "/replenishment/?warehouse=MAIN&abc=A&page=20",
            f"/replenishment/?supplier={supplier}&q={prefix}&per_page=100&sort=days_of_cover",
            "/replenishment/?ad_advice=PUSH&sort=-on_hand&page=5",
        ],
    }
    for name in ("clearance:ageing", "clearance:ageing_report", "inventory:ageing"):
        try:
            base = reverse(name)
        except NoReverseMatch:
            continue
        urls["ageing report"] = [
            base,
            f"{base}?warehouse=MAIN&sort=-units_over_180",
            f"{base}?page=30",
            f"{base}?q={prefix}&per_page=100",
        ]
        break
    return urls


SLOW_SINGLE_S = 2.0  # a page slower than this alone is timed alone, not hammered


def single_request_seconds(user, url: str, timeout_s: int = 120) -> float:
    """One request of `url` in this process (statement timeout `timeout_s`); inf on timeout."""
    client = Client()
    client.force_login(user)
    with connection.cursor() as cursor:
        cursor.execute(f"SET statement_timeout = {int(timeout_s * 1000)}")
    started = time.perf_counter()
    try:
        response = client.get(url)
    except Exception:  # noqa: BLE001 - the statement timeout
        return float("inf")
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET statement_timeout = 0")
    seconds = time.perf_counter() - started
    return seconds if response.status_code == 200 else float("inf")


def query_counts(user, urls: dict[str, list[str]]) -> dict[str, int]:
    """Most SQL queries any variant of each page needs, at 10, 50 and 100 rows a page."""
    client = Client()
    client.force_login(user)
    worst = {}
    for kind, variants in urls.items():
        most = 0
        for url in variants:
            for per_page in (10, 50, 100):
                joiner = "&" if "?" in url else "?"
                with CaptureQueriesContext(connection) as queries:
                    response = client.get(f"{url}{joiner}per_page={per_page}")
                assert response.status_code == 200, (url, response.status_code)
                most = max(most, len(queries))
        worst[kind] = most
    return worst


def hammer(port: int, cookie: str, paths: list[str], rounds: int) -> list[tuple[str, float]]:
    """CLIENTS threads each requesting every path `rounds` times in a shuffled order."""
    samples: list[tuple[str, float]] = []
    failures: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(CLIENTS)

    def client(index: int) -> None:
        http = Http(port, session=cookie)
        order = paths * rounds
        random.Random(index).shuffle(order)
        barrier.wait()
        for path in order:
            status, _body, seconds = http.request("GET", path)
            with lock:
                if status != 200:
                    failures.append(f"{path}: {status}")
                samples.append((path, seconds * 1000))

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failures:
        raise SystemExit(f"{len(failures)} failed requests, e.g. {failures[:3]}")
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=8, help="requests per client per URL")
    parser.add_argument("--json-out")
    args = parser.parse_args()

    warehouses = list(Warehouse.objects.exclude(code=BENCH_WAREHOUSE))
    user = bench_user("bench-manager", "manager", *warehouses)
    urls = page_urls()
    # A page that takes seconds alone would only measure the queue under 10 clients: time it
    # alone (its first variant) and report that, failed, instead of hammering it.
    alone = {}
    for kind, variants in list(urls.items()):
        seconds = single_request_seconds(user, variants[0])
        if seconds > SLOW_SINGLE_S:
            alone[kind] = seconds
            print(f"{kind}: one request alone took {seconds:.1f} s; not hammered")
            del urls[kind]
    counts = query_counts(user, urls)
    cookie = session_cookie(user)
    figures = []
    with gunicorn() as server:
        every = [u for variants in urls.values() for u in variants]
        hammer(server.port, cookie, every, 1)  # warm-up: caches, connections, plans
        mark = server.mark()
        started = time.perf_counter()
        client_samples = hammer(server.port, cookie, every, args.rounds)
        wall = time.perf_counter() - started
        logged = server.since(mark)
        base_mark = server.mark()
        base_client = hammer(server.port, cookie, [BASELINE_PATH], args.rounds * 4)
        base_logged = [ms for _m, _p, _s, ms in server.since(base_mark)]
    base_p95 = percentile(base_logged, 95)
    print(
        f"{len(logged)} page requests by {CLIENTS} clients in {wall:.1f} s; baseline "
        f"{BASELINE_PATH} p95 {base_p95:.1f} ms server, "
        f"{percentile([ms for _p, ms in base_client], 95):.1f} ms client"
    )
    for kind, variants in urls.items():
        server_ms = [ms for _m, path, _s, ms in logged if path in variants]
        client_ms = [ms for path, ms in client_samples if path in variants]
        p95 = percentile(server_ms, 95)
        per_url = {
            url: round(percentile([ms for _m, p, _s, ms in logged if p == url], 95), 1)
            for url in variants
        }
        for url, ms in per_url.items():
            print(f"  {kind:<20} p95 {ms:7.1f} ms  {url}")
        print(
            f"{kind}: p95 {p95:.1f} ms server ({percentile(client_ms, 95):.1f} ms client), "
            f"median {statistics.median(server_ms):.1f} ms, at most {counts[kind]} queries"
        )
        figures.append(
            Figure(
                f"{kind} p95, {CLIENTS} clients",
                p95,
                base_p95,
                "ms",
                f"≤ {TARGET_P95_MS} ms",
                p95 <= TARGET_P95_MS,
                f"ours / {BASELINE_PATH} p95",
                {"per_url_p95_ms": per_url, "client_p95_ms": percentile(client_ms, 95)},
            )
        )
        figures.append(
            Figure(
                f"{kind} SQL queries (any page size)",
                counts[kind],
                TARGET_QUERIES,
                "queries",
                f"≤ {TARGET_QUERIES}",
                counts[kind] <= TARGET_QUERIES,
                "ours / target",
            )
        )
    for kind, seconds in alone.items():
        figures.append(
            Figure(
                f"{kind}, one request alone",
                seconds * 1000,
                base_p95,
                "ms",
                f"p95 ≤ {TARGET_P95_MS} ms under {CLIENTS} clients",
                False,
                f"ours / {BASELINE_PATH} p95",
                {"note": "too slow alone to hammer; see docs/performance.md"},
            )
        )
    emit(figures, args.json_out)


if __name__ == "__main__":
    main()
