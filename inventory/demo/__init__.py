"""A realistic TikTok seller, generated: catalog, suppliers and a year of movements.

`seed_demo(skus=100_000, days=365)` writes ≈ 10M movements in minutes: the simulation
(`simulate.py`) runs day by day, rows are streamed to PostgreSQL with COPY (bulk_create on
SQLite) without going through the posting service (which locks per line), and every balance is
then built from the ledger sum with one INSERT … SELECT, so `check_ledger` holds.
"""

import logging
import random
import time
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from inventory.daily import daily_stock_build
from inventory.demo.simulate import SkuPlan, popularity, simulate
from inventory.demo.writers import bulk_load, make_writer
from inventory.facts import facts_state_reset
from inventory.models import SKU, Category, Supplier, Warehouse

logger = logging.getLogger(__name__)

CATEGORIES = [
    ("Beauty & Personal Care", "601450"),
    ("Phones & Electronics", "601739"),
    ("Home Supplies", "600001"),
    ("Womenswear", "601152"),
    ("Sports & Outdoor", "603014"),
    ("Toys & Hobbies", "604579"),
    ("Pet Supplies", "602118"),
    ("Kitchenware", "600024"),
]
# (name, production days, production std, share of SKUs shipped by air)
SUPPLIERS = [
    ("Shenzhen Bright Electronics", 10, 3, 0.35),
    ("Yiwu Daily Goods", 7, 2, 0.05),
    ("Guangzhou Beauty Lab", 14, 4, 0.3),
    ("Dongguan Sports Co", 12, 3, 0.1),
    ("Ningbo Home & Kitchen", 9, 3, 0.05),
]
SEA_DAYS, SEA_STD, AIR_DAYS = 31, 3, 7
WAREHOUSES = [
    ("MAIN", "Los Angeles main warehouse", "America/Los_Angeles"),
    ("BKK", "Bangkok warehouse", "Asia/Bangkok"),
]
COSTS = [1.2, 2.5, 3.8, 4.5, 6.9, 9.5, 12.0, 18.0, 25.0]


@dataclass
class SeedResult:
    skus: int
    movements: int
    seconds: float = 0.0


def seed_demo(
    *, skus: int = 200, days: int = 120, seed: int = 1, progress=None, end: date | None = None
) -> SeedResult:
    """Create warehouses, suppliers, categories, `skus` SKUs and `days` of movements to `end`.

    `progress(message)` is called as the work goes. Everything is one transaction.
    """
    started = time.perf_counter()
    rng = random.Random(seed)
    # Up to yesterday: today's hours have not all happened yet.
    end = end or timezone.localdate() - timedelta(days=1)
    start = end - timedelta(days=days - 1)
    say = progress or (lambda message: None)
    with transaction.atomic():
        warehouses = _warehouses()
        suppliers = _suppliers()
        categories = [
            Category.objects.get_or_create(name=n, defaults={"external_id": i})[0]
            for n, i in CATEGORIES
        ]
        created = _create_skus(rng, skus, categories, suppliers)
        say(f"{len(created)} SKUs created")
        plans = _plans(rng, created, suppliers, days)
        # One warehouse per SKU: four in five in Los Angeles, the rest in Bangkok.
        homes = [warehouses[0] if n % 5 else warehouses[1] for n in range(len(created))]
        total = 0
        with make_writer(created, homes, start, days) as write:
            for d, rows in simulate(plans, days, start, seed):
                total += write(d, rows)
                if (d + 1) % 30 == 0 or d + 1 == days:
                    elapsed = time.perf_counter() - started
                    say(f"day {d + 1}/{days}: {total:,} movements ({elapsed:.0f} s)")
            say(f"ledger written; rebuilding indexes ({time.perf_counter() - started:.0f} s)")
        say(f"building balances ({time.perf_counter() - started:.0f} s)")
        if created:
            _build_balances(created[0].pk, created[-1].pk)
            say(f"building the daily rollup ({time.perf_counter() - started:.0f} s)")
            # What the posting service keeps per day, in one GROUP BY; the next nightly run
            # rebuilds every pair's window state from it.
            daily_stock_build(
                where="WHERE m.sku_id BETWEEN %s AND %s", params=[created[0].pk, created[-1].pk]
            )
            facts_state_reset()
        if connection.vendor == "postgresql":
            # Fresh statistics, so the first queries after a big seed get sensible plans.
            with connection.cursor() as cursor:
                cursor.execute(
                    "ANALYZE inventory_stockmovement, inventory_stockbalance, inventory_dailystock"
                )
    seconds = time.perf_counter() - started
    return SeedResult(skus=len(created), movements=total, seconds=seconds)


def _warehouses() -> list[Warehouse]:
    return [
        Warehouse.objects.get_or_create(code=c, defaults={"name": n, "timezone": tz})[0]
        for c, n, tz in WAREHOUSES
    ]


def _suppliers() -> list[tuple[Supplier, int, int, float]]:
    result = []
    for name, production, std, air_share in SUPPLIERS:
        supplier = Supplier.objects.get_or_create(
            name=name,
            defaults={
                "email": f"orders@{name.split()[0].lower()}.example.com",
                "lead_time_days": production,
                "logistics_days": SEA_DAYS,
                "lead_time_std_days": Decimal(round((std**2 + SEA_STD**2) ** 0.5, 2)),
            },
        )[0]
        result.append((supplier, production, std, air_share))
    return result


def _create_skus(rng, count, categories, suppliers) -> list[SKU]:
    first = SKU.objects.count()
    new = []
    for i in range(first, first + count):
        cost = Decimal(str(rng.choice(COSTS)))
        supplier = rng.choice(suppliers)[0]
        new.append(
            SKU(
                seller_sku=f"SW-{i + 1:06d}",
                tiktok_sku_id=str(1729_000_000_000_000_000 + i * 7919),
                barcode=f"69{i + 1:011d}",
                name=f"Demo product {i + 1}",
                category=rng.choice(categories),
                supplier=supplier,
                unit_cost=cost,
                unit_price=(cost * Decimal("2.6")).quantize(Decimal("0.01")),
                case_pack=rng.choice([1, 1, 6, 12, 24]),
                moq=rng.choice([0, 0, 50, 100]),
            )
        )
    bulk_load(SKU, new)
    if any(sku.pk is None for sku in new):  # a backend that cannot return ids from bulk inserts
        return list(SKU.objects.order_by("id")[first:])
    return new


def _plans(rng, skus, suppliers, days) -> list[SkuPlan]:
    """Popularity by a shuffled rank, lead times by supplier, a few dead SKUs."""
    by_supplier = {s.pk: (production, std, air) for s, production, std, air in suppliers}
    ranks = list(range(len(skus)))
    rng.shuffle(ranks)
    plans = []
    for sku, rank in zip(skus, ranks, strict=True):
        production, std, air_share = by_supplier[sku.supplier_id]
        dead = rng.random() < 0.05 and days > 20
        plans.append(
            SkuPlan(
                orders_per_day=popularity(rank, len(skus)),
                production_days=production,
                production_std=std,
                by_air=rng.random() < air_share,
                case_pack=sku.case_pack,
                moq=sku.moq,
                dead_from_day=rng.randrange(days // 4, days // 2) if dead else None,
            )
        )
    return plans


def _build_balances(first_id: int, last_id: int) -> None:
    """Balances of the new SKUs from the ledger sum, one statement (what check_ledger proves)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO inventory_stockbalance (warehouse_id, sku_id, on_hand, updated_at) "
            "SELECT warehouse_id, sku_id, SUM(quantity), %s FROM inventory_stockmovement "
            "WHERE sku_id BETWEEN %s AND %s GROUP BY warehouse_id, sku_id",
            [timezone.now(), first_id, last_id],
        )
