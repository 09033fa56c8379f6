"""Purchase orders: lifecycle, every refusal, partial receipts, on_order and actual lead times."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from inventory.models import (
    MovementKind,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderStatus,
    StockBalance,
    StockMovement,
)
from inventory.purchasing.receipts import ReceiptLine, purchase_order_receive
from inventory.purchasing.selectors import actual_lead_times
from inventory.purchasing.services import (
    OrderLine,
    PurchaseOrderConflict,
    purchase_order_cancel,
    purchase_order_create,
    purchase_order_send,
    purchase_orders_create_for_skus,
)
from inventory.selectors import on_hand, on_order_by_key
from tests.factories import SKUFactory, SupplierFactory, WarehouseFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def supplier():
    return SupplierFactory(name="Acme", lead_time_days=10, logistics_days=5)


@pytest.fixture
def tee(supplier):
    return SKUFactory(seller_sku="TEE", supplier=supplier, unit_cost=Decimal("4.00"))


@pytest.fixture
def mug(supplier):
    return SKUFactory(seller_sku="MUG", supplier=supplier, unit_cost=Decimal("2.50"))


def draft(warehouse, supplier, *lines, user=None):
    return purchase_order_create(
        supplier=supplier,
        warehouse=warehouse,
        lines=[OrderLine(sku=sku, quantity=qty) for sku, qty in lines],
        user=user,
    )


def sent(warehouse, supplier, *lines, ordered_at=None):
    order = draft(warehouse, supplier, *lines)
    return purchase_order_send(purchase_order=order, ordered_at=ordered_at)


def receive(order, *lines, **kwargs):
    return purchase_order_receive(
        purchase_order=order,
        lines=[ReceiptLine(sku=sku, quantity=qty) for sku, qty in lines],
        **kwargs,
    )


def on_order(warehouse, sku):
    return on_order_by_key(warehouse_ids=[warehouse.pk]).get((warehouse.pk, sku.pk), 0)


def line_of(order, sku):
    return PurchaseOrderLine.objects.get(purchase_order=order, sku=sku)


def nothing_written(order_status_before, order):
    order.refresh_from_db()
    return (
        order.status == order_status_before
        and not StockMovement.objects.filter(source="po").exists()
        and all(line.received_quantity == 0 for line in order.lines.all())
    )


# --- create -------------------------------------------------------------------------------


def test_create_makes_a_numbered_draft_with_the_skus_unit_cost_by_default(
    warehouse, supplier, tee, mug, purchaser
):
    order = purchase_order_create(
        supplier=supplier,
        warehouse=warehouse,
        lines=[
            OrderLine(sku=tee, quantity=10),
            OrderLine(
                sku=mug, quantity=5, unit_cost=Decimal("2.10"), expected_date=date(2026, 4, 1)
            ),
        ],
        user=purchaser,
        note="spring restock",
    )
    assert order.number == f"PO-{order.pk:06d}"
    assert order.status == PurchaseOrderStatus.DRAFT
    assert order.created_by == purchaser
    assert order.ordered_at is None
    costs = {line.sku.seller_sku: line.unit_cost for line in order.lines.all()}
    assert costs == {"TEE": Decimal("4.0000"), "MUG": Decimal("2.1000")}
    second = draft(warehouse, supplier, (tee, 1))
    assert second.number != order.number


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ([], "at least one line"),
        ([("tee", 0)], "greater than zero"),
        ([("tee", -3)], "greater than zero"),
        ([("tee", 2), ("tee", 3)], "appears twice"),
    ],
)
def test_create_refuses_bad_lines_and_writes_nothing(warehouse, supplier, tee, lines, message):
    skus = {"tee": tee}
    with pytest.raises(ValidationError, match=message):
        purchase_order_create(
            supplier=supplier,
            warehouse=warehouse,
            lines=[OrderLine(sku=skus[name], quantity=qty) for name, qty in lines],
        )
    assert PurchaseOrder.objects.count() == 0
    assert PurchaseOrderLine.objects.count() == 0


def test_create_refuses_a_negative_unit_cost(warehouse, supplier, tee):
    with pytest.raises(ValidationError, match="unit cost must not be negative"):
        purchase_order_create(
            supplier=supplier,
            warehouse=warehouse,
            lines=[OrderLine(sku=tee, quantity=1, unit_cost=Decimal("-1"))],
        )
    assert PurchaseOrder.objects.count() == 0


# --- send, on order -----------------------------------------------------------------------


def test_a_draft_is_not_on_order_and_sending_puts_it_on_order(warehouse, supplier, tee, mug):
    order = draft(warehouse, supplier, (tee, 10), (mug, 4))
    assert on_order(warehouse, tee) == 0
    purchase_order_send(purchase_order=order)
    order.refresh_from_db()
    assert order.status == PurchaseOrderStatus.SENT
    assert order.ordered_at is not None
    assert on_order(warehouse, tee) == 10
    assert on_order(warehouse, mug) == 4


def test_sending_creates_zero_balance_rows_so_the_pair_shows_in_stock(warehouse, supplier, tee):
    sent(warehouse, supplier, (tee, 10))
    balance = StockBalance.objects.get(warehouse=warehouse, sku=tee)
    assert balance.on_hand == 0


def test_sending_twice_is_refused(warehouse, supplier, tee):
    order = sent(warehouse, supplier, (tee, 10))
    with pytest.raises(PurchaseOrderConflict, match="only a draft can be sent"):
        purchase_order_send(purchase_order=order)


def test_sending_in_the_future_is_refused(warehouse, supplier, tee):
    order = draft(warehouse, supplier, (tee, 10))
    with pytest.raises(ValidationError, match="future"):
        purchase_order_send(purchase_order=order, ordered_at=timezone.now() + timedelta(days=2))
    order.refresh_from_db()
    assert order.status == PurchaseOrderStatus.DRAFT


# --- receive ------------------------------------------------------------------------------


def test_partial_then_full_receipt_moves_stock_on_order_and_status(
    warehouse, supplier, tee, mug, purchaser
):
    order = sent(warehouse, supplier, (tee, 10), (mug, 4))

    first = receive(order, (tee, 6), user=purchaser)
    order.refresh_from_db()
    assert first.created
    assert order.status == PurchaseOrderStatus.PARTLY_RECEIVED
    assert line_of(order, tee).received_quantity == 6
    assert on_hand(warehouse=warehouse, sku=tee) == 6
    assert on_order(warehouse, tee) == 4
    assert on_order(warehouse, mug) == 4

    receive(order, (tee, 4), (mug, 4))
    order.refresh_from_db()
    assert order.status == PurchaseOrderStatus.RECEIVED
    assert on_hand(warehouse=warehouse, sku=tee) == 10
    assert on_hand(warehouse=warehouse, sku=mug) == 4
    assert on_order(warehouse, tee) == 0
    assert on_order(warehouse, mug) == 0


def test_a_receipt_posts_receipt_movements_at_the_order_price(warehouse, supplier, tee, purchaser):
    order = purchase_order_create(
        supplier=supplier,
        warehouse=warehouse,
        lines=[OrderLine(sku=tee, quantity=10, unit_cost=Decimal("3.75"))],
    )
    purchase_order_send(purchase_order=order)
    receipt = receive(order, (tee, 7), user=purchaser, receipt_ref="DN-1")
    movement = StockMovement.objects.get()
    assert receipt.movements[0].movement == movement
    assert movement.kind == MovementKind.RECEIPT
    assert movement.quantity == 7
    assert movement.unit_cost == Decimal("3.75")
    assert movement.source == "po"
    assert movement.external_ref == f"{order.number}:L{line_of(order, tee).pk}:DN-1"
    assert movement.user == purchaser
    assert order.number in movement.note


def test_receiving_a_draft_is_refused(warehouse, supplier, tee):
    order = draft(warehouse, supplier, (tee, 10))
    with pytest.raises(PurchaseOrderConflict, match="still a draft"):
        receive(order, (tee, 1))
    assert nothing_written(PurchaseOrderStatus.DRAFT, order)


def test_receiving_a_cancelled_order_is_refused(warehouse, supplier, tee):
    order = sent(warehouse, supplier, (tee, 10))
    purchase_order_cancel(purchase_order=order)
    with pytest.raises(PurchaseOrderConflict, match="cancelled"):
        receive(order, (tee, 1))
    assert nothing_written(PurchaseOrderStatus.CANCELLED, order)


def test_receiving_a_fully_received_order_is_refused(warehouse, supplier, tee):
    order = sent(warehouse, supplier, (tee, 2))
    receive(order, (tee, 2))
    with pytest.raises(PurchaseOrderConflict, match="already fully received"):
        receive(order, (tee, 1))
    assert StockMovement.objects.count() == 1


def test_receiving_more_than_open_is_refused_for_the_whole_receipt(warehouse, supplier, tee, mug):
    order = sent(warehouse, supplier, (tee, 10), (mug, 4))
    receive(order, (tee, 8))
    with pytest.raises(PurchaseOrderConflict, match="TEE: only 2 of 10 are still open; 3"):
        receive(order, (mug, 4), (tee, 3))
    # The good mug line was not posted either.
    assert on_hand(warehouse=warehouse, sku=mug) == 0
    assert line_of(order, mug).received_quantity == 0
    assert line_of(order, tee).received_quantity == 8
    order.refresh_from_db()
    assert order.status == PurchaseOrderStatus.PARTLY_RECEIVED


def test_receiving_a_sku_that_is_not_on_the_order_is_refused(warehouse, supplier, tee, mug):
    order = sent(warehouse, supplier, (tee, 10))
    with pytest.raises(ValidationError, match="MUG is not on"):
        receive(order, (tee, 1), (mug, 1))
    assert nothing_written(PurchaseOrderStatus.SENT, order)


@pytest.mark.parametrize("qty", [0, -2])
def test_receiving_zero_or_negative_units_is_refused(warehouse, supplier, tee, qty):
    order = sent(warehouse, supplier, (tee, 10))
    with pytest.raises(ValidationError, match="greater than zero"):
        receive(order, (tee, qty))
    assert nothing_written(PurchaseOrderStatus.SENT, order)


def test_receiving_nothing_is_refused(warehouse, supplier, tee):
    order = sent(warehouse, supplier, (tee, 10))
    with pytest.raises(ValidationError, match="at least one line"):
        receive(order)


def test_a_receipt_dated_before_the_order_was_sent_is_refused(warehouse, supplier, tee):
    order = sent(warehouse, supplier, (tee, 10), ordered_at=datetime(2026, 3, 10, tzinfo=UTC))
    with pytest.raises(ValidationError, match="cannot have arrived before"):
        receive(order, (tee, 1), received_at=datetime(2026, 3, 9, tzinfo=UTC))
    assert nothing_written(PurchaseOrderStatus.SENT, order)


def test_a_receipt_dated_in_the_future_is_refused_and_writes_nothing(warehouse, supplier, tee):
    order = sent(warehouse, supplier, (tee, 10))
    with pytest.raises(ValidationError, match="future"):
        receive(order, (tee, 1), received_at=timezone.now() + timedelta(days=5))
    assert nothing_written(PurchaseOrderStatus.SENT, order)


def test_the_same_receipt_twice_receives_once(warehouse, supplier, tee):
    order = sent(warehouse, supplier, (tee, 10))
    first = receive(order, (tee, 4), receipt_ref="DN-7")
    again = receive(order, (tee, 4), receipt_ref="DN-7")
    assert first.created and not again.created
    assert again.movements[0].movement == first.movements[0].movement
    assert line_of(order, tee).received_quantity == 4
    assert on_hand(warehouse=warehouse, sku=tee) == 4


def test_repeating_the_receipt_that_completed_the_order_is_not_an_error(warehouse, supplier, tee):
    order = sent(warehouse, supplier, (tee, 10))
    receive(order, (tee, 10), receipt_ref="DN-9")
    again = receive(order, (tee, 10), receipt_ref="DN-9")
    assert not again.created
    assert on_hand(warehouse=warehouse, sku=tee) == 10


def test_a_new_receipt_ref_is_a_new_receipt(warehouse, supplier, tee):
    order = sent(warehouse, supplier, (tee, 10))
    receive(order, (tee, 4), receipt_ref="DN-1")
    receive(order, (tee, 4), receipt_ref="DN-2")
    assert line_of(order, tee).received_quantity == 8


def test_a_blank_receipt_ref_is_refused(warehouse, supplier, tee):
    order = sent(warehouse, supplier, (tee, 10))
    with pytest.raises(ValidationError, match="must not be blank"):
        receive(order, (tee, 1), receipt_ref="  ")


# --- actual lead time ---------------------------------------------------------------------


def test_actual_lead_time_counts_days_in_the_warehouse_time_zone_on_first_receipt(supplier, tee):
    bangkok = WarehouseFactory(code="BKK", timezone="Asia/Bangkok")  # UTC+7
    # Ordered 1 Mar 20:00 UTC = 2 Mar 03:00 in Bangkok; first goods 11 Mar 10:00 UTC =
    # 11 Mar 17:00 in Bangkok: 11 - 2 = 9 days (UTC dates would say 10).
    order = sent(bangkok, supplier, (tee, 10), ordered_at=datetime(2026, 3, 1, 20, tzinfo=UTC))
    first = datetime(2026, 3, 11, 10, tzinfo=UTC)
    receive(order, (tee, 4), received_at=first)
    line = line_of(order, tee)
    assert line.actual_lead_time_days == 9
    assert line.first_received_at == first
    # A later receipt does not move it.
    receive(order, (tee, 6), received_at=datetime(2026, 3, 20, 10, tzinfo=UTC))
    line.refresh_from_db()
    assert line.actual_lead_time_days == 9
    assert line.first_received_at == first


def test_actual_lead_times_per_sku_and_supplier_mean_and_sample_std(warehouse, supplier, tee):
    other = SupplierFactory(name="Other")
    ordered = datetime(2026, 1, 1, 9, tzinfo=UTC)
    # Lead times 9, 11, 13 days from Acme: mean 11, sample std sqrt((4+0+4)/2) = 2.
    for days in (9, 11, 13):
        order = sent(warehouse, supplier, (tee, 1), ordered_at=ordered)
        receive(order, (tee, 1), received_at=ordered + timedelta(days=days))
    order = sent(warehouse, other, (tee, 1), ordered_at=ordered)
    receive(order, (tee, 1), received_at=ordered + timedelta(days=20))
    # A sent order not yet received does not count.
    sent(warehouse, supplier, (tee, 1), ordered_at=ordered)

    rows = {(r.sku_id, r.supplier_id): r for r in actual_lead_times(sku_ids=[tee.pk])}
    acme = rows[(tee.pk, supplier.pk)]
    assert (acme.receipts, acme.mean_days, acme.std_days) == (3, 11, pytest.approx(2.0))
    single = rows[(tee.pk, other.pk)]
    assert (single.receipts, single.mean_days, single.std_days) == (1, 20, None)
    assert [r.supplier_id for r in actual_lead_times(supplier_ids=[other.pk])] == [other.pk]


# --- cancel -------------------------------------------------------------------------------


def test_cancelling_a_sent_order_takes_it_off_order(warehouse, supplier, tee):
    order = sent(warehouse, supplier, (tee, 10))
    purchase_order_cancel(purchase_order=order)
    order.refresh_from_db()
    assert order.status == PurchaseOrderStatus.CANCELLED
    assert on_order(warehouse, tee) == 0


def test_cancelling_a_partly_received_order_keeps_what_arrived(warehouse, supplier, tee):
    order = sent(warehouse, supplier, (tee, 10))
    receive(order, (tee, 3))
    purchase_order_cancel(purchase_order=order)
    assert on_order(warehouse, tee) == 0
    assert on_hand(warehouse=warehouse, sku=tee) == 3
    assert line_of(order, tee).received_quantity == 3


def test_a_draft_can_be_cancelled(warehouse, supplier, tee):
    order = draft(warehouse, supplier, (tee, 10))
    purchase_order_cancel(purchase_order=order)
    order.refresh_from_db()
    assert order.status == PurchaseOrderStatus.CANCELLED


@pytest.mark.parametrize("final", ["received", "cancelled"])
def test_a_closed_order_cannot_be_cancelled(warehouse, supplier, tee, final):
    order = sent(warehouse, supplier, (tee, 2))
    if final == "received":
        receive(order, (tee, 2))
    else:
        purchase_order_cancel(purchase_order=order)
    with pytest.raises(PurchaseOrderConflict, match="cannot be cancelled"):
        purchase_order_cancel(purchase_order=order)
    order.refresh_from_db()
    assert order.status == final


# --- create for SKUs (replenishment list) -------------------------------------------------


def test_create_for_skus_makes_one_draft_per_supplier(warehouse, purchaser):
    acme = SupplierFactory(name="Acme", lead_time_days=10, logistics_days=5)
    zeta = SupplierFactory(name="Zeta", lead_time_days=20, logistics_days=0)
    tee = SKUFactory(seller_sku="TEE", supplier=acme, unit_cost=Decimal("4"))
    cap = SKUFactory(seller_sku="CAP", supplier=acme, unit_cost=Decimal("3"), lead_time_days=2)
    mug = SKUFactory(seller_sku="MUG", supplier=zeta, unit_cost=Decimal("1.5"))

    orders = purchase_orders_create_for_skus(
        warehouse=warehouse, quantities={mug: 12, tee: 30, cap: 6}, user=purchaser
    )

    assert [o.supplier.name for o in orders] == ["Acme", "Zeta"]
    assert all(o.status == PurchaseOrderStatus.DRAFT and o.warehouse == warehouse for o in orders)
    assert all(o.created_by == purchaser for o in orders)
    today = timezone.localdate()
    acme_lines = {
        line.sku.seller_sku: (line.quantity, line.unit_cost, line.expected_date)
        for line in orders[0].lines.all()
    }
    assert acme_lines == {
        # TEE: supplier's 10 + 5 days; CAP: its own 2 procurement days + supplier's 5 logistics.
        "TEE": (30, Decimal("4.0000"), today + timedelta(days=15)),
        "CAP": (6, Decimal("3.0000"), today + timedelta(days=7)),
    }
    zeta_lines = [(line.sku.seller_sku, line.quantity) for line in orders[1].lines.all()]
    assert zeta_lines == [("MUG", 12)]


def test_create_for_skus_refuses_a_sku_without_supplier_and_writes_nothing(warehouse, tee):
    orphan = SKUFactory(seller_sku="ORPHAN", supplier=None)
    with pytest.raises(ValidationError, match="ORPHAN has no supplier"):
        purchase_orders_create_for_skus(
            warehouse=warehouse, quantities={tee: 5, orphan: 5}, user=None
        )
    assert PurchaseOrder.objects.count() == 0


def test_create_for_skus_refuses_zero_quantities_and_empty_selection(warehouse, tee):
    with pytest.raises(ValidationError, match="greater than zero"):
        purchase_orders_create_for_skus(warehouse=warehouse, quantities={tee: 0}, user=None)
    with pytest.raises(ValidationError, match="at least one SKU"):
        purchase_orders_create_for_skus(warehouse=warehouse, quantities={}, user=None)
    assert PurchaseOrder.objects.count() == 0
