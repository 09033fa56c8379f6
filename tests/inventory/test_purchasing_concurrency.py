"""Concurrent receipts of one purchase-order line on real PostgreSQL: never over-received."""

import threading

import pytest
from django.db import connections

from inventory.models import PurchaseOrderLine, StockMovement
from inventory.purchasing.receipts import ReceiptLine, purchase_order_receive
from inventory.purchasing.services import (
    OrderLine,
    PurchaseOrderConflict,
    purchase_order_create,
    purchase_order_send,
)
from inventory.selectors import ledger_mismatches, on_hand
from tests.factories import SKUFactory, SupplierFactory, WarehouseFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_threads(count, target):
    barrier = threading.Barrier(count)
    errors = []

    def worker(index):
        try:
            barrier.wait()
            target(index)
        except Exception as exc:  # noqa: BLE001 - every unexpected error fails the test
            errors.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return errors


@pytest.fixture
def order_of_ten():
    warehouse = WarehouseFactory(code="RCV")
    sku = SKUFactory(seller_sku="RACE-1", supplier=SupplierFactory())
    order = purchase_order_create(
        supplier=sku.supplier, warehouse=warehouse, lines=[OrderLine(sku=sku, quantity=10)]
    )
    return purchase_order_send(purchase_order=order), warehouse, sku


def test_two_simultaneous_receipts_of_one_line_do_not_over_receive(order_of_ten):
    order, warehouse, sku = order_of_ten
    outcomes = []

    def work(index):
        try:
            purchase_order_receive(
                purchase_order=order,
                lines=[ReceiptLine(sku=sku, quantity=6)],
                receipt_ref=f"dock-{index}",
            )
            outcomes.append("received")
        except PurchaseOrderConflict:
            outcomes.append("refused")

    assert run_threads(2, work) == []
    assert sorted(outcomes) == ["received", "refused"]
    line = PurchaseOrderLine.objects.get(purchase_order=order)
    assert line.received_quantity == 6
    assert on_hand(warehouse=warehouse, sku=sku) == 6
    assert StockMovement.objects.filter(source="po").count() == 1


def test_eight_docks_receiving_three_each_stop_at_the_ordered_ten(order_of_ten):
    order, warehouse, sku = order_of_ten
    outcomes = []

    def work(index):
        try:
            purchase_order_receive(
                purchase_order=order,
                lines=[ReceiptLine(sku=sku, quantity=3)],
                receipt_ref=f"dock-{index}",
            )
            outcomes.append("received")
        except PurchaseOrderConflict:
            outcomes.append("refused")

    assert run_threads(8, work) == []
    assert outcomes.count("received") == 3  # 3 x 3 = 9; a fourth would make 12 > 10
    line = PurchaseOrderLine.objects.get(purchase_order=order)
    assert line.received_quantity == 9 == on_hand(warehouse=warehouse, sku=sku)
    assert ledger_mismatches() == []


def test_the_same_receipt_sent_twice_at_once_is_received_once(order_of_ten):
    order, warehouse, sku = order_of_ten
    results = []

    def work(index):
        receipt = purchase_order_receive(
            purchase_order=order, lines=[ReceiptLine(sku=sku, quantity=4)], receipt_ref="DN-42"
        )
        results.append(receipt.created)

    assert run_threads(4, work) == []
    assert sorted(results) == [False, False, False, True]
    assert PurchaseOrderLine.objects.get(purchase_order=order).received_quantity == 4
    assert on_hand(warehouse=warehouse, sku=sku) == 4
