"""A realistic small TikTok seller, generated: catalog, suppliers, a year of movements.

Writes the ledger in bulk (not through the posting service, which locks per line) and then
builds every balance from the ledger sum with one INSERT … SELECT, so `check_ledger` holds.
"""

import math
import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.utils import timezone

from inventory.models import (
    SKU,
    Category,
    MovementKind,
    StockBalance,
    StockMovement,
    Supplier,
    Warehouse,
)

CATEGORIES = [
    "Beauty & Personal Care",
    "Phones & Electronics",
    "Home Supplies",
    "Womenswear",
    "Sports & Outdoor",
    "Toys & Hobbies",
    "Pet Supplies",
    "Kitchenware",
]
# (name, production days, sea/air days, std of the whole lead time)
SUPPLIERS = [
    ("Shenzhen Bright Electronics", 10, 25, 5),
    ("Yiwu Daily Goods", 7, 30, 7),
    ("Guangzhou Beauty Lab", 14, 8, 2),
    ("Dongguan Sports Co", 12, 28, 6),
    ("Ningbo Home & Kitchen", 9, 32, 8),
]
WAREHOUSES = [
    ("MAIN", "Los Angeles main warehouse", "America/Los_Angeles"),
    ("BKK", "Bangkok warehouse", "Asia/Bangkok"),
]


@dataclass
class SeedResult:
    skus: int
    movements: int


def seed_demo(
    *, skus: int = 200, days: int = 120, seed: int = 1, progress=None, end: date | None = None
) -> SeedResult:
    """Create warehouses, suppliers, categories, `skus` SKUs and `days` of movements to `end`."""
    rng = random.Random(seed)
    end = end or timezone.localdate()
    with transaction.atomic():
        warehouses = [
            Warehouse.objects.get_or_create(code=c, defaults={"name": n, "timezone": tz})[0]
            for c, n, tz in WAREHOUSES
        ]
        categories = [Category.objects.get_or_create(name=n)[0] for n in CATEGORIES]
        suppliers = [
            Supplier.objects.get_or_create(
                name=n,
                defaults={
                    "email": f"orders@{n.split()[0].lower()}.example.com",
                    "lead_time_days": p,
                    "logistics_days": t,
                    "lead_time_std_days": Decimal(s),
                },
            )[0]
            for n, p, t, s in SUPPLIERS
        ]
        start_index = SKU.objects.count()
        new_skus = []
        for i in range(start_index, start_index + skus):
            cost = Decimal(rng.choice([1.2, 2.5, 3.8, 4.5, 6.9, 9.5, 12.0, 18.0, 25.0]))
            new_skus.append(
                SKU(
                    seller_sku=f"SW-{i + 1:06d}",
                    tiktok_sku_id=str(1729_000_000_000_000_000 + i * 7919),
                    barcode=f"69{i + 1:011d}",
                    name=f"Demo product {i + 1}",
                    category=rng.choice(categories),
                    supplier=rng.choice(suppliers),
                    unit_cost=cost.quantize(Decimal("0.01")),
                    unit_price=(cost * Decimal("2.6")).quantize(Decimal("0.01")),
                    case_pack=rng.choice([1, 1, 6, 12, 24]),
                    moq=rng.choice([0, 0, 50, 100]),
                )
            )
        SKU.objects.bulk_create(new_skus, batch_size=2000)
        created = list(SKU.objects.order_by("id")[start_index:])
        total = 0
        for n, sku in enumerate(created):
            rows = _sku_history(rng, sku, warehouses[0] if n % 5 else warehouses[1], n, days, end)
            StockMovement.objects.bulk_create(rows, batch_size=5000)
            total += len(rows)
            if progress and (n + 1) % 100 == 0:
                progress(n + 1, len(created))
        _rebuild_balances()
    return SeedResult(skus=len(created), movements=total)


def _sku_history(rng, sku, warehouse, rank, days, end):
    """Daily demand with a long-tail rate, weekly seasonality, live-stream spikes and stock-outs."""
    tz = ZoneInfo(warehouse.timezone)
    base = 30.0 / (rank + 1) ** 0.8 + 0.05
    dead = rng.random() < 0.06  # stops selling: clearance material
    lead = sku.supplier.lead_time_days + sku.supplier.logistics_days
    stock = int(base * (lead + 20)) + 10
    rows = [_row(sku, warehouse, MovementKind.RECEIPT, stock, end - timedelta(days=days), tz, 9)]
    pipeline: dict[int, int] = {}
    spike_until = -1
    for d in range(days):
        day = end - timedelta(days=days - 1 - d)
        if d in pipeline:
            qty = pipeline.pop(d)
            stock += qty
            rows.append(_row(sku, warehouse, MovementKind.RECEIPT, qty, day, tz, 10))
        if rng.random() < 0.01:
            spike_until = d + rng.randint(2, 5)
        rate = 0.0 if dead and d > days // 3 else base
        rate *= 1.3 if day.weekday() >= 5 else 1.0
        rate *= rng.uniform(3, 8) if d <= spike_until else 1.0
        demand = _poisson(rng, rate)
        sold = min(demand, stock)
        if sold:
            stock -= sold
            rows.append(_row(sku, warehouse, MovementKind.SALE, -sold, day, tz, 14))
            if sold >= 5 and rng.random() < 0.15:
                back = max(1, sold // 20)
                stock += back
                rows.append(_row(sku, warehouse, MovementKind.RETURN, back, day, tz, 17))
        if not dead and not pipeline and stock <= base * (lead + 7):
            eta = d + max(1, int(rng.gauss(lead, float(sku.supplier.lead_time_std_days))))
            pipeline[eta] = max(int(base * 45), sku.moq or 1, 1)
    return rows


def _row(sku, warehouse, kind, qty, day, tz, hour):
    return StockMovement(
        warehouse=warehouse,
        sku=sku,
        kind=kind,
        quantity=qty,
        unit_cost=sku.unit_cost,
        occurred_at=datetime.combine(day, time(hour), tz),
        source="seed",
    )


def _poisson(rng, lam):
    if lam > 30:
        return max(0, int(rng.gauss(lam, math.sqrt(lam)) + 0.5))
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def _rebuild_balances():
    """Balances from the ledger sum, one statement (the invariant check_ledger proves)."""
    StockBalance.objects.all().delete()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO inventory_stockbalance (warehouse_id, sku_id, on_hand, updated_at) "
            "SELECT warehouse_id, sku_id, SUM(quantity), %s FROM inventory_stockmovement "
            "GROUP BY warehouse_id, sku_id",
            [timezone.now()],
        )
