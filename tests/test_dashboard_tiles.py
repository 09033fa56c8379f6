"""The landing page shows each app's tile with figures that match the app's own pages."""

from datetime import date

import pytest
from django.urls import reverse

from alerts.models import Alert
from alerts.services import alerts_sync
from counting.models import CountSession
from tests.alerts.conftest import plan, receive
from tests.factories import SKUFactory, SupplierFactory

pytestmark = pytest.mark.django_db


def tiles(client):
    return {t["title"]: t for t in client.get(reverse("home")).context["tiles"]}


def test_purchaser_sees_open_alerts_and_reorder_value_matching_the_lists(
    client, purchaser, warehouse, other_warehouse
):
    supplier = SupplierFactory(lead_time_days=10, logistics_days=5)
    for code, wh in (("LOW-A", warehouse), ("LOW-B", other_warehouse)):
        sku = SKUFactory(seller_sku=code, supplier=supplier)
        receive(wh, sku, 50)
        plan(wh, sku, 5)
    alerts_sync()
    client.force_login(purchaser)
    shown = tiles(client)
    open_in_a = Alert.objects.filter(resolved_at__isnull=True, warehouse=warehouse).count()
    assert shown["Open stock alerts"]["value"] == str(open_in_a) == "1"
    listed = client.get(reverse("alerts:replenishment")).context["table"].data
    to_reorder = [r for r in listed if r.status in ("STOCKOUT", "BELOW_SAFETY", "REORDER")]
    assert shown["To reorder today"]["value"] == str(len(to_reorder))
    assert "Counts in progress" not in shown  # purchasers do not count


def test_staff_sees_count_progress_but_no_alerts(client, staff, warehouse, sku):
    CountSession.objects.create(warehouse=warehouse, kind="cycle", status="counting")
    client.force_login(staff)
    shown = tiles(client)
    assert shown["Counts in progress"]["value"] == "1"
    assert "Open stock alerts" not in shown and "To reorder today" not in shown
    assert shown["Inventory record accuracy"]["value"] == "—"


def test_slow_mover_capital_tile_equals_the_slow_mover_list(client, manager, warehouse):
    from inventory.models import SkuFacts

    sku = SKUFactory(seller_sku="DUSTY", unit_cost="2.50")
    receive(warehouse, sku, 40)
    SkuFacts.objects.create(
        warehouse=warehouse,
        sku=sku,
        as_of="2026-11-01",
        slow_mover=True,
        oldest_unit_date=date(2026, 1, 1),
        computed_at="2026-11-01T00:00Z",
    )
    client.force_login(manager)
    shown = tiles(client)
    assert shown["Capital in slow movers"]["value"] == "100.00"
    listed = client.get(reverse("clearance:slow_movers")).context["table"].data
    assert [r.sku.seller_sku for r in listed] == ["DUSTY"]
    assert shown["Capital in open clearance batches"]["value"] == "0.00"
