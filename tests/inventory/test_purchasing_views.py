"""Purchase-order pages: roles, warehouse scoping, forms, receipts, exports, query counts."""

import csv
import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from inventory.models import PurchaseOrder, PurchaseOrderLine, PurchaseOrderStatus, StockMovement
from inventory.purchasing.services import (
    OrderLine,
    purchase_order_create,
    purchase_order_send,
)
from inventory.selectors import on_hand
from tests.factories import SKUFactory, SupplierFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def supplier():
    return SupplierFactory(name="Acme")


@pytest.fixture
def tee(supplier):
    return SKUFactory(seller_sku="TEE", supplier=supplier, unit_cost=Decimal("4"))


@pytest.fixture
def mug(supplier):
    return SKUFactory(seller_sku="MUG", supplier=supplier, unit_cost=Decimal("2"))


def make_order(warehouse, supplier, *lines, send=True):
    order = purchase_order_create(
        supplier=supplier,
        warehouse=warehouse,
        lines=[OrderLine(sku=sku, quantity=qty) for sku, qty in lines],
    )
    return purchase_order_send(purchase_order=order) if send else order


def url(name, order=None):
    return reverse(f"inventory:{name}", args=[order.number] if order else [])


# --- roles and scoping --------------------------------------------------------------------


def test_staff_may_not_open_purchase_order_pages(client, staff, warehouse, supplier, tee):
    order = make_order(warehouse, supplier, (tee, 5))
    client.force_login(staff)
    for name in ("po_list", "po_create"):
        assert client.get(url(name)).status_code == 403
    assert client.get(url("po_detail", order)).status_code == 403
    assert client.post(url("po_cancel", order)).status_code == 403
    order.refresh_from_db()
    assert order.status == PurchaseOrderStatus.SENT


@pytest.mark.parametrize("role", ["purchaser", "manager", "admin"])
def test_purchasers_managers_and_admins_see_the_pages(client, make_user, warehouse, role):
    client.force_login(make_user(role, warehouse))
    assert client.get(url("po_list")).status_code == 200
    assert client.get(url("po_create")).status_code == 200


def test_anonymous_users_are_sent_to_login(client):
    response = client.get(url("po_list"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_another_warehouses_order_answers_404_everywhere(
    client, purchaser, other_warehouse, supplier, tee
):
    order = make_order(other_warehouse, supplier, (tee, 5))
    client.force_login(purchaser)
    assert client.get(url("po_detail", order)).status_code == 404
    for name in ("po_send", "po_cancel", "po_receive"):
        assert client.post(url(name, order), {"line_1": 1}).status_code == 404
    order.refresh_from_db()
    assert order.status == PurchaseOrderStatus.SENT
    assert not StockMovement.objects.exists()


def test_the_list_shows_only_my_warehouses_and_filters(
    client, purchaser, warehouse, other_warehouse, supplier, tee
):
    mine_sent = make_order(warehouse, supplier, (tee, 5))
    mine_draft = make_order(warehouse, supplier, (tee, 2), send=False)
    theirs = make_order(other_warehouse, supplier, (tee, 9))
    client.force_login(purchaser)
    body = client.get(url("po_list")).content.decode()
    assert mine_sent.number in body and mine_draft.number in body
    assert theirs.number not in body
    body = client.get(url("po_list"), {"status": "draft"}).content.decode()
    assert mine_draft.number in body and mine_sent.number not in body


def test_the_list_exports_csv_of_my_orders_only(
    client, purchaser, warehouse, other_warehouse, supplier, tee
):
    mine = make_order(warehouse, supplier, (tee, 5))
    theirs = make_order(other_warehouse, supplier, (tee, 9))
    client.force_login(purchaser)
    response = client.get(url("po_list"), {"_export": "csv"})
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    numbers = [row[0] for row in rows[1:]]
    assert numbers == [mine.number]
    assert theirs.number not in response.content.decode()
    assert client.get(url("po_list"), {"_export": "xlsx"}).status_code == 200


def test_the_list_costs_the_same_queries_for_30_orders(
    client, purchaser, warehouse, supplier, tee, mug, django_assert_max_num_queries
):
    for _ in range(30):
        make_order(warehouse, supplier, (tee, 5), (mug, 3))
    client.force_login(purchaser)
    with django_assert_max_num_queries(8):
        response = client.get(url("po_list"))
    assert response.status_code == 200
    assert response.content.decode().count("PO-") >= 30


def test_the_nav_links_purchase_orders_for_purchasers_only(client, purchaser, staff):
    client.force_login(purchaser)
    assert url("po_list") in client.get(reverse("home")).content.decode()
    client.force_login(staff)
    assert url("po_list") not in client.get(reverse("home")).content.decode()


# --- create -------------------------------------------------------------------------------


def _create_payload(warehouse, supplier, lines):
    data = {
        "warehouse": warehouse.code,
        "supplier": supplier.pk,
        "note": "",
        "lines-TOTAL_FORMS": "5",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "200",
    }
    for index, (sku, qty, cost) in enumerate(lines):
        data[f"lines-{index}-sku"] = sku
        data[f"lines-{index}-quantity"] = qty
        data[f"lines-{index}-unit_cost"] = cost
    return data


def test_creating_an_order_from_the_form_makes_a_draft(client, purchaser, warehouse, supplier, tee):
    client.force_login(purchaser)
    payload = _create_payload(warehouse, supplier, [("TEE", "12", "3.5")])
    response = client.post(url("po_create"), payload)
    order = PurchaseOrder.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("po_detail", order)
    assert order.status == PurchaseOrderStatus.DRAFT
    assert order.created_by == purchaser
    line = order.lines.get()
    assert (line.sku, line.quantity, line.unit_cost) == (tee, 12, Decimal("3.5"))


def test_the_create_form_names_an_unknown_sku_and_writes_nothing(
    client, purchaser, warehouse, supplier, tee
):
    client.force_login(purchaser)
    payload = _create_payload(warehouse, supplier, [("TEE", "1", ""), ("NOPE", "2", "")])
    response = client.post(url("po_create"), payload)
    assert response.status_code == 200
    assert "No SKU with seller SKU “NOPE”" in response.content.decode()
    assert not PurchaseOrder.objects.exists()


def test_the_create_form_refuses_a_repeated_sku_and_an_empty_order(
    client, purchaser, warehouse, supplier, tee
):
    client.force_login(purchaser)
    twice = _create_payload(warehouse, supplier, [("TEE", "1", ""), ("TEE", "2", "")])
    assert "already on another line" in client.post(url("po_create"), twice).content.decode()
    empty = _create_payload(warehouse, supplier, [])
    assert "Enter at least one line" in client.post(url("po_create"), empty).content.decode()
    assert not PurchaseOrder.objects.exists()


def test_the_create_form_refuses_a_warehouse_i_do_not_belong_to(
    client, purchaser, other_warehouse, supplier, tee
):
    client.force_login(purchaser)
    payload = _create_payload(other_warehouse, supplier, [("TEE", "1", "")])
    response = client.post(url("po_create"), payload)
    assert response.status_code == 200
    assert not PurchaseOrder.objects.exists()


# --- detail, send, cancel, receive --------------------------------------------------------


def test_send_and_cancel_are_post_buttons(client, purchaser, warehouse, supplier, tee):
    order = make_order(warehouse, supplier, (tee, 5), send=False)
    client.force_login(purchaser)
    body = client.get(url("po_detail", order)).content.decode()
    assert url("po_send", order) in body and "csrfmiddlewaretoken" in body
    assert client.get(url("po_send", order)).status_code == 405
    client.post(url("po_send", order))
    order.refresh_from_db()
    assert order.status == PurchaseOrderStatus.SENT
    client.post(url("po_cancel", order))
    order.refresh_from_db()
    assert order.status == PurchaseOrderStatus.CANCELLED


def test_sending_twice_shows_the_reason(client, purchaser, warehouse, supplier, tee):
    order = make_order(warehouse, supplier, (tee, 5))
    client.force_login(purchaser)
    response = client.post(url("po_send", order), follow=True)
    assert "only a draft can be sent" in response.content.decode()


def _receive_payload(client, order):
    """The receipt form as the page renders it (with its one-time receipt token)."""
    form = client.get(url("po_detail", order)).context["receive_form"]
    return {"receipt_ref": form.initial["receipt_ref"], "received_on": ""}


def test_receiving_part_of_an_order_from_the_page(client, purchaser, warehouse, supplier, tee, mug):
    order = make_order(warehouse, supplier, (tee, 10), (mug, 4))
    client.force_login(purchaser)
    tee_line = PurchaseOrderLine.objects.get(purchase_order=order, sku=tee)
    payload = {**_receive_payload(client, order), f"line_{tee_line.pk}": "6"}
    response = client.post(url("po_receive", order), payload)
    assert response.status_code == 302
    assert on_hand(warehouse=warehouse, sku=tee) == 6
    order.refresh_from_db()
    assert order.status == PurchaseOrderStatus.PARTLY_RECEIVED
    # Submitting the same page again (double click, back button) receives nothing more.
    response = client.post(url("po_receive", order), payload, follow=True)
    assert "already recorded" in response.content.decode()
    assert on_hand(warehouse=warehouse, sku=tee) == 6
    # A fresh page is a new receipt.
    payload = {**_receive_payload(client, order), f"line_{tee_line.pk}": "4"}
    client.post(url("po_receive", order), payload)
    assert on_hand(warehouse=warehouse, sku=tee) == 10


def test_receiving_more_than_open_on_the_page_is_an_error_and_writes_nothing(
    client, purchaser, warehouse, supplier, tee
):
    order = make_order(warehouse, supplier, (tee, 10))
    client.force_login(purchaser)
    line = order.lines.get()
    payload = {**_receive_payload(client, order), f"line_{line.pk}": "11"}
    response = client.post(url("po_receive", order), payload)
    assert response.status_code == 400
    assert "TEE: only 10 of 10 are still open; 11 cannot be received" in response.content.decode()
    assert not StockMovement.objects.exists()


def test_receiving_with_no_quantities_asks_for_one(client, purchaser, warehouse, supplier, tee):
    order = make_order(warehouse, supplier, (tee, 10))
    client.force_login(purchaser)
    response = client.post(url("po_receive", order), _receive_payload(client, order))
    assert response.status_code == 400
    assert "at least one line" in response.content.decode()


def test_a_draft_has_no_receive_form_and_posting_one_is_refused(
    client, purchaser, warehouse, supplier, tee
):
    order = make_order(warehouse, supplier, (tee, 10), send=False)
    client.force_login(purchaser)
    body = client.get(url("po_detail", order)).content.decode()
    assert "Receive goods" not in body
    line = order.lines.get()
    payload = {**_receive_payload(client, order), f"line_{line.pk}": "1"}
    response = client.post(url("po_receive", order), payload)
    assert response.status_code == 400
    assert "still a draft" in response.content.decode()
    assert not StockMovement.objects.exists()


def test_the_detail_page_costs_the_same_queries_for_40_lines(
    client, purchaser, warehouse, supplier, django_assert_max_num_queries
):
    skus = [SKUFactory(supplier=supplier) for _ in range(40)]
    order = make_order(warehouse, supplier, *[(sku, 3) for sku in skus])
    client.force_login(purchaser)
    with django_assert_max_num_queries(8):
        response = client.get(url("po_detail", order))
    assert response.status_code == 200
    assert response.content.decode().count('name="line_') == 40
    # Past-dated receipts: the date field is there, and the hidden one-time token.
    assert 'name="received_on"' in response.content.decode()
    assert 'name="receipt_ref"' in response.content.decode()


def test_a_past_receipt_date_is_the_end_of_that_day_and_sets_the_lead_time(
    client, purchaser, warehouse, supplier, tee
):
    draft = make_order(warehouse, supplier, (tee, 10), send=False)
    five_days_ago = timezone.now() - timedelta(days=5)
    order = purchase_order_send(purchase_order=draft, ordered_at=five_days_ago)
    day = timezone.localdate() - timedelta(days=2)
    client.force_login(purchaser)
    line = order.lines.get()
    payload = {
        **_receive_payload(client, order),
        "received_on": day.isoformat(),
        f"line_{line.pk}": "10",
    }
    assert client.post(url("po_receive", order), payload).status_code == 302
    movement = StockMovement.objects.get()
    assert movement.occurred_at == datetime(day.year, day.month, day.day, 23, 59, 59, tzinfo=UTC)
    line.refresh_from_db()
    assert line.actual_lead_time_days == 3


def test_a_future_receipt_date_is_refused_on_the_page(client, purchaser, warehouse, supplier, tee):
    order = make_order(warehouse, supplier, (tee, 10))
    client.force_login(purchaser)
    line = order.lines.get()
    payload = {
        **_receive_payload(client, order),
        "received_on": (timezone.localdate() + timedelta(days=1)).isoformat(),
        f"line_{line.pk}": "1",
    }
    response = client.post(url("po_receive", order), payload)
    assert response.status_code == 400
    assert "cannot be in the future" in response.content.decode()
    assert not StockMovement.objects.exists()
