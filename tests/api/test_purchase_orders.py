"""purchase-orders/: create, read, send, receive, cancel; roles, scoping, 400 / 409."""

from decimal import Decimal

import pytest

from inventory.models import PurchaseOrder, PurchaseOrderStatus, StockMovement
from inventory.purchasing.services import OrderLine, purchase_order_create, purchase_order_send
from inventory.selectors import on_hand, on_order_by_key
from tests.factories import SKUFactory, SupplierFactory

pytestmark = pytest.mark.django_db

PO_FIELDS = {
    "number",
    "warehouse",
    "supplier",
    "status",
    "ordered_at",
    "note",
    "lines",
    "created_by",
    "created_at",
}
LINE_FIELDS = {
    "sku",
    "quantity",
    "received_quantity",
    "open_quantity",
    "unit_cost",
    "expected_date",
    "first_received_at",
    "actual_lead_time_days",
}


@pytest.fixture
def supplier():
    return SupplierFactory(name="Acme")


@pytest.fixture
def tee(supplier):
    return SKUFactory(seller_sku="TEE", supplier=supplier, unit_cost=Decimal("4"))


@pytest.fixture
def mug(supplier):
    return SKUFactory(seller_sku="MUG", supplier=supplier, unit_cost=Decimal("2"))


def sent_order(warehouse, supplier, *lines):
    order = purchase_order_create(
        supplier=supplier,
        warehouse=warehouse,
        lines=[OrderLine(sku=sku, quantity=qty) for sku, qty in lines],
    )
    return purchase_order_send(purchase_order=order)


def test_a_purchaser_creates_sends_and_receives_an_order(as_user, purchaser, warehouse, tee, mug):
    api = as_user(purchaser)
    body = {
        "warehouse": "A",
        "supplier": "Acme",
        "note": "restock",
        "lines": [
            {"sku": "TEE", "quantity": 10, "unit_cost": "3.5", "expected_date": "2026-04-01"},
            {"sku": "MUG", "quantity": 4},
        ],
    }
    created = api.post("/api/v1/purchase-orders/", body, format="json")
    assert created.status_code == 201, created.json()
    order = created.json()
    assert set(order) == PO_FIELDS
    assert all(set(line) == LINE_FIELDS for line in order["lines"])
    assert (order["status"], order["warehouse"], order["supplier"]) == ("draft", "A", "Acme")
    assert order["lines"][1]["unit_cost"] == "2.0000"  # the SKU's unit cost
    number = order["number"]

    sent = api.post(f"/api/v1/purchase-orders/{number}/send/")
    assert sent.status_code == 200
    assert sent.json()["status"] == "sent" and sent.json()["ordered_at"]

    receipt = {"lines": [{"sku": "TEE", "quantity": 6}], "external_ref": "DN-1"}
    first = api.post(f"/api/v1/purchase-orders/{number}/receive/", receipt, format="json")
    assert first.status_code == 201
    tee_line = first.json()["lines"][0]
    assert (tee_line["received_quantity"], tee_line["open_quantity"]) == (6, 4)
    assert tee_line["actual_lead_time_days"] == 0
    assert first.json()["status"] == "partly_received"
    again = api.post(f"/api/v1/purchase-orders/{number}/receive/", receipt, format="json")
    assert again.status_code == 200
    assert on_hand(warehouse=warehouse, sku=tee) == 6
    assert StockMovement.objects.get().unit_cost == Decimal("3.5")

    stock = api.get("/api/v1/stock/", {"sku": "TEE"}).json()["results"][0]
    assert (stock["on_hand"], stock["on_order"]) == (6, 4)


def test_receiving_more_than_open_is_409_and_writes_nothing(
    as_user, purchaser, warehouse, supplier, tee
):
    order = sent_order(warehouse, supplier, (tee, 10))
    response = as_user(purchaser).post(
        f"/api/v1/purchase-orders/{order.number}/receive/",
        {"lines": [{"sku": "TEE", "quantity": 11}]},
        format="json",
    )
    assert response.status_code == 409
    assert "only 10 of 10 are still open" in response.json()["detail"]
    assert not StockMovement.objects.exists()


def test_receiving_a_draft_and_sending_twice_are_409(as_user, purchaser, warehouse, supplier, tee):
    draft = purchase_order_create(
        supplier=supplier, warehouse=warehouse, lines=[OrderLine(sku=tee, quantity=3)]
    )
    api = as_user(purchaser)
    response = api.post(
        f"/api/v1/purchase-orders/{draft.number}/receive/",
        {"lines": [{"sku": "TEE", "quantity": 1}]},
        format="json",
    )
    assert response.status_code == 409
    assert "still a draft" in response.json()["detail"]
    assert api.post(f"/api/v1/purchase-orders/{draft.number}/send/").status_code == 200
    assert api.post(f"/api/v1/purchase-orders/{draft.number}/send/").status_code == 409


def test_cancelling_an_open_order_takes_it_off_order(as_user, purchaser, warehouse, supplier, tee):
    order = sent_order(warehouse, supplier, (tee, 10))
    api = as_user(purchaser)
    response = api.post(f"/api/v1/purchase-orders/{order.number}/cancel/")
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert on_order_by_key() == {}
    assert api.post(f"/api/v1/purchase-orders/{order.number}/cancel/").status_code == 409


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"lines": []}, "lines"),
        ({"lines": [{"sku": "NOPE", "quantity": 1}]}, "lines"),
        ({"lines": [{"sku": "TEE", "quantity": 0}]}, "lines"),
        ({"lines": [{"sku": "TEE", "quantity": 1}], "supplier": "Nobody"}, "supplier"),
        (
            {"lines": [{"sku": "TEE", "quantity": 1}, {"sku": "TEE", "quantity": 2}]},
            "non_field_errors",
        ),
    ],
)
def test_bad_order_input_is_400_with_the_field_named(
    as_user, purchaser, warehouse, tee, body, field
):
    payload = {"warehouse": "A", "supplier": "Acme", **body}
    response = as_user(purchaser).post("/api/v1/purchase-orders/", payload, format="json")
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert not PurchaseOrder.objects.exists()


def test_bad_receipt_input_is_400(as_user, purchaser, warehouse, supplier, tee, mug):
    order = sent_order(warehouse, supplier, (tee, 10))
    api = as_user(purchaser)
    path = f"/api/v1/purchase-orders/{order.number}/receive/"
    assert "lines" in api.post(path, {"lines": []}, format="json").json()
    response = api.post(path, {"lines": [{"sku": "MUG", "quantity": 1}]}, format="json")
    assert response.status_code == 400
    assert "MUG is not on" in str(response.json())
    assert not StockMovement.objects.exists()


def test_another_warehouses_order_is_404_and_absent_from_the_list(
    as_user, purchaser, warehouse, other_warehouse, supplier, tee
):
    mine = sent_order(warehouse, supplier, (tee, 1))
    theirs = sent_order(other_warehouse, supplier, (tee, 1))
    api = as_user(purchaser)
    numbers = [o["number"] for o in api.get("/api/v1/purchase-orders/").json()["results"]]
    assert numbers == [mine.number]
    assert api.get(f"/api/v1/purchase-orders/{theirs.number}/").status_code == 404
    for action in ("send", "cancel", "receive"):
        assert api.post(f"/api/v1/purchase-orders/{theirs.number}/{action}/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == PurchaseOrderStatus.SENT
    created = api.post(
        "/api/v1/purchase-orders/",
        {"warehouse": "B", "supplier": "Acme", "lines": [{"sku": "TEE", "quantity": 1}]},
        format="json",
    )
    assert created.status_code == 404


def test_staff_may_not_read_or_raise_purchase_orders(as_user, staff, warehouse, supplier, tee):
    order = sent_order(warehouse, supplier, (tee, 1))
    api = as_user(staff)
    assert api.get("/api/v1/purchase-orders/").status_code == 403
    assert api.get(f"/api/v1/purchase-orders/{order.number}/").status_code == 403
    body = {"warehouse": "A", "supplier": "Acme", "lines": [{"sku": "TEE", "quantity": 1}]}
    assert api.post("/api/v1/purchase-orders/", body, format="json").status_code == 403


def test_the_order_list_filters_and_costs_fixed_queries(
    as_user, purchaser, warehouse, supplier, tee, mug, django_assert_max_num_queries
):
    for _ in range(20):
        sent_order(warehouse, supplier, (tee, 2), (mug, 3))
    purchase_order_create(
        supplier=supplier, warehouse=warehouse, lines=[OrderLine(sku=tee, quantity=1)]
    )
    api = as_user(purchaser)
    with django_assert_max_num_queries(6):
        page = api.get("/api/v1/purchase-orders/").json()
    assert page["count"] == 21
    assert all(len(o["lines"]) in (1, 2) for o in page["results"])
    assert api.get("/api/v1/purchase-orders/", {"status": "draft"}).json()["count"] == 1
    assert (
        api.get("/api/v1/purchase-orders/", {"supplier": "Acme", "warehouse": "A"}).json()["count"]
        == 21
    )
