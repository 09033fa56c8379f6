"""seed_demo: a long-tailed, replenished ledger whose balances prove out (check_ledger)."""

import io
import statistics
from collections import Counter
from datetime import date

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Count, Min

from inventory.demo import seed_demo, writers
from inventory.demo.simulate import SALE, SkuPlan, popularity, simulate
from inventory.models import SKU, StockBalance, StockMovement

pytestmark = pytest.mark.django_db

END = date(2026, 6, 30)


def test_seeded_ledger_passes_check_ledger_and_never_goes_negative():
    result = seed_demo(skus=40, days=60, seed=3, end=END)

    assert (result.skus, result.movements) == (40, StockMovement.objects.count())
    call_command("check_ledger", stdout=io.StringIO())  # raises (exit 1) on any mismatch
    assert StockBalance.objects.count() == 40
    assert StockBalance.objects.aggregate(low=Min("on_hand"))["low"] >= 0
    kinds = set(StockMovement.objects.values_list("kind", flat=True))
    assert {"RECEIPT", "SALE", "RETURN"} <= kinds


def test_sales_are_long_tailed_one_row_per_order():
    seed_demo(skus=60, days=90, seed=5, end=END)
    per_sku = sorted(
        StockMovement.objects.filter(kind="SALE")
        .values("sku")
        .annotate(n=Count("id"))
        .values_list("n", flat=True)
    )
    assert per_sku[-1] > 10 * statistics.median(per_sku)
    assert StockMovement.objects.filter(kind="SALE", quantity__lt=-3).count() == 0


def test_seed_demo_command_adds_to_an_existing_catalog():
    call_command("seed_demo", skus=10, days=20, seed=1, stdout=io.StringIO())
    out = io.StringIO()
    call_command("seed_demo", skus=5, days=20, seed=2, stdout=out)
    assert "Seeded 5 SKUs" in out.getvalue()
    assert SKU.objects.count() == 15
    call_command("check_ledger", stdout=io.StringIO())


def _plans(n: int) -> list[SkuPlan]:
    return [
        SkuPlan(popularity(rank, n), 10, 3, rank % 4 == 0, 6, 50, None if rank % 9 else 30)
        for rank in range(n)
    ]


def test_simulation_is_reproducible_and_replenishes():
    first = list(simulate(_plans(30), 120, date(2026, 1, 1), seed=7))
    second = list(simulate(_plans(30), 120, date(2026, 1, 1), seed=7))
    assert first == second
    kinds = Counter(row[1] for _d, rows in first for row in rows)
    receipts_after_day_0 = sum(1 for d, rows in first if d > 0 for row in rows if row[1] == 0)
    assert kinds[SALE] > 1000 and receipts_after_day_0 > 0


def test_dead_stock_stops_selling():
    plans = _plans(9)  # rank 0 is dead from day 30
    days = list(simulate(plans, 90, date(2026, 1, 1), seed=1))
    late_sales = [row for d, rows in days if d >= 30 for row in rows if row[0] == 0]
    assert [row for row in late_sales if row[1] == SALE] == []


@pytest.mark.postgres
def test_big_load_on_postgresql_rebuilds_indexes_and_foreign_keys(monkeypatch):
    def definitions():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT indexdef FROM pg_indexes WHERE tablename = 'inventory_stockmovement' "
                "UNION ALL SELECT pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = 'inventory_stockmovement'::regclass ORDER BY 1"
            )
            return [row[0] for row in cursor.fetchall()]

    before = definitions()
    monkeypatch.setattr(writers, "REBUILD_MIN_ROWS", 100)
    seed_demo(skus=30, days=40, seed=2, end=END)

    assert definitions() == before
    call_command("check_ledger", stdout=io.StringIO())
    assert StockMovement.objects.filter(source="seed").exists()
