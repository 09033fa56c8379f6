"""`field__any_of=<subquery>` selects what `field__in=<subquery>` selects, on either database
(PostgreSQL evaluates the subquery once as an array; others run the plain IN)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from inventory.models import MovementKind, StockBalance, Warehouse
from inventory.selectors import warehouses_for
from inventory.services import movement_post
from tests.factories import SKUFactory, WarehouseFactory

pytestmark = pytest.mark.django_db


def test_any_of_keeps_the_rows_of_the_subquery_and_no_others(make_user):
    mine, also_mine, theirs = (WarehouseFactory(code=c) for c in ("M1", "M2", "T1"))
    for warehouse in (mine, also_mine, theirs):
        for sku in SKUFactory.create_batch(3):
            movement_post(warehouse=warehouse, sku=sku, kind=MovementKind.RECEIPT, quantity=2)
    user = make_user("manager", mine, also_mine)
    scope = warehouses_for(user).values("pk")

    with CaptureQueriesContext(connection) as queries:
        rows = list(StockBalance.objects.filter(warehouse_id__any_of=scope))
    assert len(queries) == 1  # the subquery runs inside the statement
    assert sorted(b.warehouse.code for b in rows) == ["M1"] * 3 + ["M2"] * 3
    assert {b.pk for b in rows} == {
        b.pk for b in StockBalance.objects.filter(warehouse_id__in=scope)
    }
    # On a foreign key by its name too, and an empty scope selects nothing.
    assert StockBalance.objects.filter(warehouse__any_of=scope).count() == 6
    assert not StockBalance.objects.filter(warehouse_id__any_of=Warehouse.objects.none()).exists()
    other = make_user("staff", theirs)
    assert (
        StockBalance.objects.filter(warehouse_id__any_of=warehouses_for(other).values("pk")).count()
        == 3
    )


def test_any_of_a_list_selects_what_in_selects():
    warehouse = WarehouseFactory(code="L1")
    skus = SKUFactory.create_batch(5)
    for sku in skus:
        movement_post(warehouse=warehouse, sku=sku, kind=MovementKind.RECEIPT, quantity=1)
    wanted = [skus[0].pk, skus[3].pk, 999_999]

    with CaptureQueriesContext(connection) as queries:
        found = set(
            StockBalance.objects.filter(sku_id__any_of=wanted).values_list("sku_id", flat=True)
        )
    assert found == {skus[0].pk, skus[3].pk}
    if connection.vendor == "postgresql":  # one array parameter, not one per id
        assert "= ANY(" in queries[0]["sql"]
    assert not StockBalance.objects.filter(sku_id__any_of=[]).exists()
    assert StockBalance.objects.exclude(sku_id__any_of=wanted).count() == 3
