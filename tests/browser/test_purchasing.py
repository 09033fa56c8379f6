"""A purchaser opens an alert, acknowledges it, and orders from the replenishment list."""

import pytest

from alerts.models import Alert, PlanningFigures
from alerts.services import alerts_sync
from inventory.models import PurchaseOrder, PurchaseOrderStatus
from tests.alerts.conftest import plan, receive, sell
from tests.browser.helpers import double_click, posts_of
from tests.factories import SKUFactory, SupplierFactory

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def alerts(warehouse):
    """Acme delivers in 10 + 5 days. d̄ = 5/day, σ = 0: SS = 0, ROP = 5 × 15 = 75 units;
    order-up-to S = 5 × (15 + 7) = 110. OUT has 0 on hand (stock-out: order 110), LOW 50
    (reorder: order 60), FULL 200 (OK: nothing to order)."""
    acme = SupplierFactory(name="Acme", lead_time_days=10, logistics_days=5)
    for code, on_hand in (("OUT", 0), ("LOW", 50), ("FULL", 200)):
        sku = SKUFactory(seller_sku=code, name=f"{code} tee", supplier=acme, case_pack=1)
        receive(warehouse, sku, on_hand + 1)
        sell(warehouse, sku, 1)
        plan(warehouse, sku, 5)
    alerts_sync()
    return acme


def test_purchaser_acknowledges_an_alert_and_orders_the_suggestions(
    page, login, purchaser, warehouse, alerts
):
    assert dict(PlanningFigures.objects.values_list("sku__seller_sku", "suggested_order_qty")) == {
        "OUT": 110,
        "LOW": 60,
        "FULL": 0,
    }
    login(purchaser.username)
    tile = page.locator("[data-tile='Open stock alerts']")
    assert tile.locator("[data-value]").inner_text() == "2"
    tile.click()

    page.wait_for_url("**/alerts/?state=open")
    rows = page.locator("main table tbody tr")
    assert rows.count() == 2
    low = rows.filter(has_text="LOW")
    assert "Reorder" in low.inner_text() and "75" in low.inner_text()  # status, ROP
    low.locator("button:has-text('Acknowledge')").click()

    page.wait_for_selector(".alert-success:has-text('Alert for LOW acknowledged.')")
    assert purchaser.username in page.locator("main table tbody tr", has_text="LOW").inner_text()
    acknowledged = Alert.objects.get(sku__seller_sku="LOW")
    assert acknowledged.acknowledged_by == purchaser and acknowledged.resolved_at is None
    assert Alert.objects.get(sku__seller_sku="OUT").acknowledged_by is None

    page.goto(page.base_url + "/replenishment/")
    page.locator("main table tbody tr", has_text="OUT").locator("input[name=rows]").check()
    page.locator("main table tbody tr", has_text="LOW").locator("input[name=rows]").check()
    posts = posts_of(page)
    double_click(page, "main button[type=submit]:has-text('Create purchase order')")

    page.wait_for_selector(".alert-success:has-text('Draft purchase orders created')")
    assert posts == ["/replenishment/purchase-orders/"]
    order = PurchaseOrder.objects.get()
    assert (order.supplier, order.warehouse, order.status, order.created_by) == (
        alerts,
        warehouse,
        PurchaseOrderStatus.DRAFT,
        purchaser,
    )
    assert order.number in page.locator(".alert-success").inner_text()
    assert sorted(order.lines.values_list("sku__seller_sku", "quantity")) == [
        ("LOW", 60),
        ("OUT", 110),
    ]
