"""TikTok order import throughput on the current DATABASE_URL (not a test).

    DATABASE_URL=postgres://… python -m benchmarks.import_bench [--lines 100000] [--keep]

Writes a US-layout order export (58 columns, description row, trailing tabs, AM/PM times) of
`--lines` lines for SKUs that have stock in the first warehouse (seed them first with
`manage.py seed_demo`; a small catalog is seeded when there is none), then times a first import
and a no-op re-import of the same file. Both run inside one transaction that is rolled back at
the end (unless --keep), so the benchmark can be repeated on the same database.
Targets on PostgreSQL: ≥ 5,000 lines/s first import, ≥ 20,000 lines/s no-op re-import.
Baseline, measured in the same run: reading the same file with `csv.reader` and nothing else
(the floor any importer pays), so the ratio says how far above bare parsing the import runs.
"""

import argparse
import csv
import random
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import django  # noqa: E402

from benchmarks.common import Figure, emit  # noqa: E402  (picks the benchmark settings)

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from inventory.demo import seed_demo  # noqa: E402
from inventory.imports.tiktok import tiktok_orders_import  # noqa: E402
from inventory.models import SKU, StockBalance, Warehouse  # noqa: E402

US_HEADER = (  # noqa: SIM905 - as the export spells it
    "Order ID,Order Status,Order Substatus,Cancelation/Return Type,Normal or Pre-order,SKU ID,"
    "Seller SKU,Product Name,Variation,Quantity,Sku Quantity of return,SKU Unit Original Price,"
    "SKU Subtotal Before Discount,SKU Platform Discount,SKU Seller Discount,"
    "SKU Subtotal After Discount,Shipping Fee After Discount,Original Shipping Fee,"
    "Shipping Fee Seller Discount,Shipping Fee Platform Discount,Payment platform discount,Taxes,"
    "Small Order Fee,Order Amount,Order Refund Amount,Created Time,Paid Time,RTS Time,"
    "Shipped Time,Delivered Time,Cancelled Time,Cancel By,Cancel Reason,Fulfillment Type,"
    "Warehouse Name,Tracking ID,Delivery Option,Shipping Provider Name,Buyer Message,"
    "Buyer Username,Recipient,Phone #,Zipcode,Country,State,County,City,Districts,Street Name,"
    "House Name or Number,Address Line 2,Delivery Instruction,Payment Method,Weight(kg),"
    "Product Category,Package ID,Seller Note,Checked Status"
).split(",")


class Rollback(Exception):  # noqa: N818
    pass


def us_time(when: datetime) -> str:
    hour = when.hour % 12 or 12
    half = "AM" if when.hour < 12 else "PM"
    return f"{when.month}/{when.day}/{when.year} {hour}:{when:%M:%S} {half}"


def write_export(path: Path, warehouse: Warehouse, lines: int, rng: random.Random) -> int:
    """A US export of `lines` lines for SKUs with stock; returns the number of shippable units."""
    balances = list(
        StockBalance.objects.filter(warehouse=warehouse, on_hand__gt=0)
        .select_related("sku")
        .order_by("-on_hand")
        .values_list("sku__seller_sku", "sku__tiktok_sku_id", "on_hand")
    )
    if not balances:
        raise SystemExit(f"No stock in {warehouse.code}: seed first (manage.py seed_demo).")
    tz = ZoneInfo(warehouse.timezone)
    now = timezone.now().astimezone(tz).replace(tzinfo=None)
    column = {name: i for i, name in enumerate(US_HEADER)}
    remaining = {seller: on_hand for seller, _id, on_hand in balances}
    weights = [on_hand for _s, _i, on_hand in balances]
    base = rng.randrange(10**17, 9 * 10**17)
    units = 0
    with open(path, "w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        writer.writerow(US_HEADER)
        writer.writerow(["Platform unique order ID."] + [""] * (len(US_HEADER) - 1))
        picks = rng.choices(balances, weights=weights, k=lines)
        for n, (seller, sku_id, _on_hand) in enumerate(picks):
            row = [""] * len(US_HEADER)
            created = now - timedelta(days=rng.uniform(1, 30))
            shipped = created + timedelta(hours=rng.uniform(2, 20))
            state = rng.random()
            row[column["Order ID"]] = f"{base + n // 2}\t"  # two lines per order
            row[column["SKU ID"]] = f"{sku_id}\t"
            row[column["Seller SKU"]] = seller if rng.random() > 0.05 else ""
            row[column["Quantity"]] = "1"
            row[column["Sku Quantity of return"]] = "0"
            row[column["Created Time"]] = f"{us_time(created)}\t"
            row[column["Warehouse Name"]] = warehouse.name
            row[column["Package ID"]] = f"{base + n}\t"
            row[column["Delivered Time"]] = "\t"
            row[column["Cancelled Time"]] = "\t"
            row[column["Shipped Time"]] = "\t"
            if state < 0.04:
                row[column["Order Status"]] = "Cancelled"
                row[column["Cancelled Time"]] = f"{us_time(created + timedelta(hours=1))}\t"
            elif state < 0.08 or remaining[seller] <= 0:
                row[column["Order Status"]] = "Awaiting shipment"
            else:
                remaining[seller] -= 1
                units += 1
                row[column["Order Status"]] = "Delivered"
                row[column["Shipped Time"]] = f"{us_time(shipped)}\t"
                if rng.random() < 0.02:
                    row[column["Sku Quantity of return"]] = "1"
                    delivered = shipped + timedelta(days=2)
                    row[column["Delivered Time"]] = f"{us_time(min(delivered, now))}\t"
            writer.writerow(row)
    return units


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="commit the imported movements")
    parser.add_argument("--json-out", help="write the figures as JSON (for `make bench`)")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    if not SKU.objects.exists():
        print("No SKUs: seeding 10,000 SKUs × 60 days first …")
        seed_demo(skus=10_000, days=60, seed=args.seed)
    warehouse = Warehouse.objects.order_by("id").first()
    print(
        f"database: {connection.vendor} · warehouse {warehouse.code} · {SKU.objects.count():,} SKUs"
    )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "tiktok_orders.csv"
        started = time.perf_counter()
        write_export(path, warehouse, args.lines, rng)
        print(
            f"export written: {args.lines:,} lines, {path.stat().st_size / 1e6:.1f} MB "
            f"in {time.perf_counter() - started:.1f} s"
        )
        parse_s = min(csv_floor(path) for _ in range(3))
        try:
            with transaction.atomic():
                first_s, first = timed(path, warehouse)
                again_s, again = timed(path, warehouse)
                if not args.keep:
                    raise Rollback
        except Rollback:
            pass
    first_rate, again_rate = first.lines_read / first_s, again.lines_read / again_s
    print(
        f"first import : {first.lines_read:,} lines in {first_s:.2f} s = {first_rate:,.0f} lines/s "
        f"({first.posted:,} movements posted, {first.skipped_cancelled:,} cancelled, "
        f"{first.skipped_unshipped:,} not shipped)"
    )
    print(
        f"re-import    : {again.lines_read:,} lines in {again_s:.2f} s = {again_rate:,.0f} lines/s "
        f"({again.posted:,} posted, {again.already_present:,} already present)"
    )
    print(f"ratio re-import / first: {again_rate / first_rate:.1f}×")
    print("targets (PostgreSQL): ≥ 5,000 lines/s first, ≥ 20,000 lines/s re-import")
    floor_rate = first.lines_read / parse_s
    print(f"baseline: csv.reader alone {floor_rate:,.0f} lines/s")
    details = {
        "lines": first.lines_read,
        "posted": first.posted,
        "first_s": first_s,
        "again_s": again_s,
        "csv_reader_s": parse_s,
    }
    emit(
        [
            Figure(
                "TikTok import, first",
                first_rate,
                floor_rate,
                "lines/s",
                "≥ 5,000 lines/s",
                first_rate >= 5000,
                "ours / csv.reader alone",
                details,
            ),
            Figure(
                "TikTok import, no-op re-import",
                again_rate,
                floor_rate,
                "lines/s",
                "≥ 20,000 lines/s",
                again_rate >= 20000,
                "ours / csv.reader alone",
            ),
        ],
        args.json_out,
    )


def csv_floor(path: Path) -> float:
    """Seconds to read every row of the file with csv.reader and do nothing with them."""
    started = time.perf_counter()
    with open(path, newline="", encoding="utf-8-sig") as handle:
        for _row in csv.reader(handle):
            pass
    return time.perf_counter() - started


def timed(path, warehouse):
    started = time.perf_counter()
    summary = tiktok_orders_import(source=path, warehouse=warehouse)
    return time.perf_counter() - started, summary


if __name__ == "__main__":
    main()
