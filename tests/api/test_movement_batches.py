"""movements/ with a JSON list: a batch of movements posted all-or-nothing, each named by its
external_ref, so an integration can send many in one request and retry it safely."""

import pytest
from django.db import connection
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext

from inventory.models import MovementKind, StockMovement
from inventory.selectors import on_hand
from inventory.services import movement_post
from tests.factories import SKUFactory

pytestmark = pytest.mark.django_db


def batch(api, items):
    return api.post("/api/v1/movements/", items, format="json")


def line(sku, kind, quantity, ref, warehouse="A"):
    return {
        "warehouse": warehouse,
        "sku": sku.seller_sku,
        "kind": kind,
        "quantity": quantity,
        "external_ref": ref,
    }


def test_a_batch_posts_every_movement_and_answers_them_in_order(as_user, manager, warehouse, sku):
    other = SKUFactory(seller_sku="MUG-BLUE")
    response = batch(
        as_user(manager),
        [
            line(sku, "RECEIPT", 10, "grn-1"),
            line(other, "RECEIPT", 4, "grn-2"),
            line(sku, "SALE", -3, "order-1"),
        ],
    )
    assert response.status_code == 201, response.json()
    rows = response.json()
    assert [(r["sku"], r["quantity"], r["external_ref"]) for r in rows] == [
        (sku.seller_sku, 10, "grn-1"),
        ("MUG-BLUE", 4, "grn-2"),
        (sku.seller_sku, -3, "order-1"),
    ]
    assert all(r["source"] == "api" and r["user"] == manager.username for r in rows)
    assert on_hand(warehouse=warehouse, sku=sku) == 7
    assert on_hand(warehouse=warehouse, sku=other) == 4


def test_a_batch_with_one_oversold_line_is_409_naming_it_and_writes_nothing(
    as_user, manager, warehouse, sku
):
    movement_post(warehouse=warehouse, sku=sku, kind=MovementKind.RECEIPT, quantity=2)
    response = batch(
        as_user(manager),
        [line(sku, "RECEIPT", 1, "grn-1"), line(sku, "SALE", -5, "order-1")],
    )
    assert response.status_code == 409
    body = response.json()
    assert body["errors"] == [
        {"index": 1, "detail": "Not enough stock of TEE-RED-M in A: 3 on hand, 5 needed."}
    ]
    assert StockMovement.objects.count() == 1
    assert on_hand(warehouse=warehouse, sku=sku) == 2


def test_a_retried_batch_posts_nothing_twice(as_user, manager, warehouse, sku):
    api = as_user(manager)
    items = [line(sku, "RECEIPT", 10, "grn-1"), line(sku, "SALE", -4, "order-1")]
    first = batch(api, items)
    again = batch(api, items)
    assert (first.status_code, again.status_code) == (201, 200)
    assert [r["id"] for r in again.json()] == [r["id"] for r in first.json()]
    # One new line among repeats: 201, and only the new one is added.
    third = batch(api, [*items, line(sku, "SALE", -1, "order-2")])
    assert third.status_code == 201
    assert StockMovement.objects.count() == 3
    assert on_hand(warehouse=warehouse, sku=sku) == 5


def test_every_line_of_a_batch_needs_an_external_ref(as_user, manager, warehouse, sku):
    items = [line(sku, "RECEIPT", 10, "grn-1"), line(sku, "RECEIPT", 1, None)]
    response = batch(as_user(manager), items)
    assert response.status_code == 400
    # Errors are keyed by the position of the line in the list.
    assert response.json() == {"1": {"external_ref": ["This field is required."]}}
    assert not StockMovement.objects.exists()


def test_an_empty_or_too_long_batch_is_400(as_user, manager, warehouse, sku):
    api = as_user(manager)
    assert batch(api, []).status_code == 400
    too_many = [line(sku, "RECEIPT", 1, f"grn-{n}") for n in range(1001)]
    assert batch(api, too_many).status_code == 400
    assert not StockMovement.objects.exists()


def test_a_batch_naming_a_warehouse_of_someone_else_is_404(
    as_user, manager, warehouse, other_warehouse, sku
):
    items = [line(sku, "RECEIPT", 1, "grn-1"), line(sku, "RECEIPT", 1, "grn-2", "B")]
    assert batch(as_user(manager), items).status_code == 404
    assert not StockMovement.objects.exists()


def test_a_purchaser_batch_with_a_sale_is_403(as_user, purchaser, warehouse, sku):
    movement_post(warehouse=warehouse, sku=sku, kind=MovementKind.RECEIPT, quantity=5)
    items = [line(sku, "RECEIPT", 1, "grn-1"), line(sku, "SALE", -1, "order-1")]
    assert batch(as_user(purchaser), items).status_code == 403
    assert batch(as_user(purchaser), items[:1]).status_code == 201


def test_a_batch_costs_the_same_queries_for_two_lines_or_fifty(as_user, manager, warehouse, sku):
    api = as_user(manager)
    skus = [SKUFactory(seller_sku=f"S-{n}") for n in range(50)]
    batch(api, [line(s, "RECEIPT", 1, f"warm-{s.pk}") for s in skus])  # balance rows exist
    with CaptureQueriesContext(connection) as two:
        assert batch(api, [line(s, "RECEIPT", 1, f"a-{s.pk}") for s in skus[:2]]).status_code == 201
    with CaptureQueriesContext(connection) as fifty:
        assert batch(api, [line(s, "RECEIPT", 1, f"b-{s.pk}") for s in skus]).status_code == 201
    assert len(fifty) == len(two)
    total = StockMovement.objects.aggregate(t=Sum("quantity"))["t"]
    assert total == 50 + 2 + 50
