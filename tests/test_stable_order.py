"""Sorted lists page through every row once: ties are broken by the primary key."""

import importlib
import re

import django_tables2 as tables
import pytest
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from alerts.models import Alert, PlanningFigures
from inventory.models import SKU
from inventory.stable_order import StableTable, stable_order
from tests.factories import (
    CategoryFactory,
    PlanningFiguresFactory,
    SKUFactory,
    SupplierFactory,
)

pytestmark = pytest.mark.django_db

ROWS = 260  # six pages of 50: page 1 alone is a top-N sort of a bigger set than the others'


def _tied_planning_rows(warehouse, n=ROWS):
    """`n` replenishment rows that tie on every figure but the SKU."""
    supplier, category = SupplierFactory(), CategoryFactory()
    skus = SKU.objects.bulk_create(
        [
            SKUFactory.build(seller_sku=f"TIE-{i:04d}", supplier=supplier, category=category)
            for i in range(n)
        ]
    )
    PlanningFigures.objects.bulk_create(
        [PlanningFiguresFactory.build(warehouse=warehouse, sku=sku) for sku in skus]
    )
    return skus


def _seller_skus(html: str) -> list[str]:
    return re.findall(r">(TIE-\d{4})<", html)


@pytest.mark.parametrize("sort", ["-suggested_order_qty", "status", "-on_hand"])
def test_paging_a_list_sorted_by_a_tied_column_shows_every_row_once(
    client, purchaser, warehouse, sort
):
    skus = _tied_planning_rows(warehouse)
    client.force_login(purchaser)
    seen = []
    for page in range(1, ROWS // 50 + 2):
        response = client.get(reverse("alerts:replenishment"), {"sort": sort, "page": page})
        assert response.status_code == 200
        seen += _seller_skus(response.content.decode())
    assert len(seen) == len(set(seen)) == len(skus)


def test_an_integration_paging_alerts_of_one_night_gets_each_once(purchaser, warehouse):
    """Alerts opened by the same nightly run share their urgency and opening time."""
    skus = _tied_planning_rows(warehouse)
    now = timezone.now()
    Alert.objects.bulk_create(
        Alert(
            warehouse=warehouse,
            sku=sku,
            status="REORDER",
            opened_status="REORDER",
            severity="medium",
            urgency=2,
            on_hand_at_open=10,
            on_order_at_open=0,
            safety_stock_units=3,
            reorder_point_units=13,
            trigger="nightly",
            opened_at=now,
        )
        for sku in skus
    )
    api = APIClient()
    api.force_authenticate(purchaser)
    seen = []
    for offset in range(0, ROWS, 50):
        page = api.get("/api/v1/alerts/", {"limit": 50, "offset": offset}).json()
        seen += [row["id"] for row in page["results"]]
    assert len(seen) == len(set(seen)) == len(skus)


def test_the_key_is_added_only_where_the_order_has_ties(warehouse):
    rows = PlanningFigures.objects.all()

    def sql_order(queryset):
        return str(queryset.query).rsplit("ORDER BY", 1)[1]

    assert sql_order(stable_order(rows.order_by("-suggested_order_qty"))).endswith('"id" ASC')
    # Warehouse and SKU are unique together: nothing to add (the list's index serves the sort).
    listed = stable_order(rows.order_by("urgency", "days_of_cover", "warehouse", "sku"))
    assert '"id"' not in sql_order(listed)
    assert '"id"' not in sql_order(stable_order(SKU.objects.order_by("seller_sku")))
    assert sql_order(stable_order(SKU.objects.order_by("-pk"))).count('"id"') == 1
    # A grouped query's rows are not the model's: left alone.
    grouped = rows.values("status").annotate(n=Count("pk")).order_by("status")
    assert stable_order(grouped) is grouped
    distinct_values = rows.values_list("status", flat=True).distinct().order_by("status")
    assert stable_order(distinct_values) is distinct_values


def test_every_table_of_the_product_keeps_a_total_order():
    for module in (
        "inventory.tables",
        "inventory.turnover_views",
        "inventory.purchasing.tables",
        "alerts.tables",
        "clearance.tables",
        "counting.tables",
    ):
        importlib.import_module(module)

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    ours = [
        table
        for table in subclasses(tables.Table)
        if table.__module__.split(".")[0] in {"inventory", "alerts", "clearance", "counting"}
    ]
    assert len(ours) >= 15
    assert [t.__name__ for t in ours if not issubclass(t, StableTable)] == []


@pytest.mark.parametrize("asked, shown", [("-5", 25), ("0", 25), ("abc", 50), ("100000", 260)])
def test_a_hand_typed_page_size_shows_a_page_not_an_error(
    client, purchaser, warehouse, asked, shown
):
    """Below 1 the paginator failed (a 500); above 500 a page would hold a whole catalogue."""
    _tied_planning_rows(warehouse)
    client.force_login(purchaser)
    response = client.get(reverse("alerts:replenishment"), {"per_page": asked})
    assert response.status_code == 200
    assert len(_seller_skus(response.content.decode())) == shown


def test_a_page_holds_at_most_500_rows(client, purchaser, warehouse):
    _tied_planning_rows(warehouse, n=520)
    client.force_login(purchaser)
    response = client.get(reverse("alerts:replenishment"), {"per_page": 100000, "page": 2})
    assert len(_seller_skus(response.content.decode())) == 20
