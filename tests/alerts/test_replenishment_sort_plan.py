"""The replenishment list sorted by on hand walks an index, at any depth and any filter:
it used to sort every planning row for each page (30 ms at 100k SKUs, the slowest page of the
benchmark under ten clients; docs/performance.md, ninth session)."""

import pytest
from django.db import connection
from django.urls import reverse

from alerts.models import PlanningFigures
from inventory.models import SKU
from tests.factories import (
    CategoryFactory,
    PlanningFiguresFactory,
    SKUFactory,
    SupplierFactory,
)
from tests.plans import explain, scanned_relations, statements_of

pytestmark = pytest.mark.postgres

ROWS = 3000


@pytest.fixture
def planned_catalogue(warehouse):
    supplier, category = SupplierFactory(), CategoryFactory()
    skus = SKU.objects.bulk_create(
        [
            SKUFactory.build(seller_sku=f"P-{i:05d}", supplier=supplier, category=category)
            for i in range(ROWS)
        ]
    )
    PlanningFigures.objects.bulk_create(
        [
            PlanningFiguresFactory.build(
                warehouse=warehouse,
                sku=sku,
                on_hand=(i * 37) % 400,  # ties: about 7 SKUs share each quantity
                suggested_order_qty=0,
                days_of_cover=30.0,
                status="OVERSTOCK" if i % 2 else "OK",
                urgency=4,
                ad_advice="PUSH" if i % 2 else "KEEP",
            )
            for i, sku in enumerate(skus)
        ]
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE alerts_planningfigures")
    return list(PlanningFigures.objects.select_related("sku"))


def test_push_list_sorted_by_on_hand_reads_page_five_along_the_index(
    client, purchaser, planned_catalogue
):
    client.force_login(purchaser)
    params = {"ad_advice": "PUSH", "sort": "-on_hand", "page": 5}
    url = reverse("alerts:replenishment")
    statements = statements_of(lambda: client.get(url, params))
    (page_sql,) = [s for s in statements if 'ORDER BY "alerts_planningfigures"."on_hand" DESC' in s]
    scans = scanned_relations(explain(page_sql, None))
    assert scans["alerts_planningfigures"] == {"Index Scan using planning_on_hand"}, scans

    # The rows are the page of the order the seller asked for: most on hand first, ties by id.
    pushed = sorted(
        (f for f in planned_catalogue if f.ad_advice == "PUSH"), key=lambda f: (-f.on_hand, f.pk)
    )
    shown = [row.record.sku.seller_sku for row in client.get(url, params).context["table"].page]
    assert shown == [f.sku.seller_sku for f in pushed[200:250]]
    ascending = client.get(url, {**params, "sort": "on_hand"}).context["table"].page
    pushed_up = sorted(pushed, key=lambda f: (f.on_hand, f.pk))
    assert [row.record.sku.seller_sku for row in ascending] == [
        f.sku.seller_sku for f in pushed_up[200:250]
    ]


def test_a_skus_planning_rows_are_read_by_index_without_one_of_their_own(planned_catalogue):
    """The unique (SKU, warehouse) index serves a SKU's rows (its page, its deletion): the
    planning table keeps four indexes, each one written again for every row a night changes."""
    sku = planned_catalogue[1234].sku
    sql, params = PlanningFigures.objects.filter(sku=sku).query.sql_with_params()
    nodes = explain(sql, params)
    conditions = [n.get("Index Cond", "") for n in nodes if n.get("Index Name")]
    assert any("sku_id" in condition for condition in conditions), nodes
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_indexes WHERE tablename = 'alerts_planningfigures'")
        assert cursor.fetchone()[0] == 4
