"""The ageing report sorted by units over 180 days (what is stuck longest) walks an index
instead of sorting every pair in stock for each page (30 ms at 100k pairs; docs/performance.md,
ninth session)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from inventory.models import SKU, FactsState, SkuFacts
from tests.factories import CategoryFactory, SKUFactory, SupplierFactory
from tests.plans import explain, scanned_relations, statements_of

pytestmark = pytest.mark.postgres

PAIRS = 3000


@pytest.fixture
def aged_stock(warehouse, other_warehouse):
    """Last night's age profiles of 3,000 pairs in stock (most of them mine), ties included."""
    today, now = timezone.localdate(), timezone.now()
    supplier, category = SupplierFactory(), CategoryFactory()
    skus = SKU.objects.bulk_create(
        [
            SKUFactory.build(seller_sku=f"A-{i:05d}", supplier=supplier, category=category)
            for i in range(PAIRS)
        ]
    )
    SkuFacts.objects.bulk_create(
        [
            SkuFacts(
                warehouse=other_warehouse if i % 5 == 0 else warehouse,
                sku=sku,
                as_of=today,
                computed_at=now,
                window_closing=500,
                oldest_unit_date=today - timedelta(days=200 + i % 90),
                units_over_180=(i * 37) % 400,
                units_91_180=500 - (i * 37) % 400,
            )
            for i, sku in enumerate(skus)
        ]
    )
    FactsState.objects.update_or_create(pk=1, defaults={"as_of": today, "run_started_at": now})
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE inventory_skufacts")
    return list(SkuFacts.objects.select_related("sku"))


@pytest.mark.parametrize("one_warehouse", [False, True])
def test_sorted_by_units_over_180_page_is_read_along_the_index(
    client, manager, warehouse, aged_stock, one_warehouse
):
    client.force_login(manager)
    params = {"sort": "-units_over_180", "page": 5}
    if one_warehouse:
        params["warehouse"] = warehouse.code
    url = reverse("clearance:ageing_report")
    statements = statements_of(lambda: client.get(url, params))
    (page_sql,) = [s for s in statements if '"units_over_180" DESC' in s]
    scans = scanned_relations(explain(page_sql, None))
    assert "Index Scan using facts_units_over_180" in scans["inventory_skufacts"], scans
    assert "Seq Scan" not in scans["inventory_skufacts"], scans

    # Only my warehouse's pairs (the manager is a member of it alone), most over 180 days
    # first, ties by id: page 5 of that order.
    mine = sorted(
        (f for f in aged_stock if f.warehouse_id == warehouse.pk),
        key=lambda f: (-f.units_over_180, f.pk),
    )
    table = client.get(url, params).context["table"]
    assert [row.record.seller_sku for row in table.page] == [
        f.sku.seller_sku for f in mine[200:250]
    ]
