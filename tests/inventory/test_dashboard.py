"""The landing page: every app's tiles, inventory's own figures, scoping and query counts."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from inventory import hooks
from inventory.models import TurnoverNotice
from inventory.turnover_notices import turnover_band_check
from tests.factories import SKUFactory, UserFactory, WarehouseFactory
from tests.inventory.turnover_helpers import at, receive, sell

pytestmark = pytest.mark.django_db

HOME = reverse("home")


def days_ago(n):
    return timezone.localdate() - timedelta(days=n)


@pytest.fixture
def ledger(warehouse, other_warehouse):
    """Within the trailing 90 days: A sells a little of a lot; B (someone else's) sells much."""
    a1 = SKUFactory(seller_sku="A-ONE", unit_cost=Decimal("2.50"))
    receive(warehouse, a1, 200, at(days_ago(120)))
    sell(warehouse, a1, 30, at(days_ago(40)))
    receive(warehouse, a1, 50, at(days_ago(20)))
    sell(warehouse, a1, 12, at(days_ago(3)))
    a2 = SKUFactory(seller_sku="A-GONE", unit_cost=Decimal("4.00"))
    receive(warehouse, a2, 5, at(days_ago(60)))
    sell(warehouse, a2, 5, at(days_ago(30)))  # out of stock now
    b1 = SKUFactory(seller_sku="B-ONE", unit_cost=Decimal("9.00"))
    receive(other_warehouse, b1, 1000, at(days_ago(100)))
    sell(other_warehouse, b1, 777, at(days_ago(10)))
    return a1, a2, b1


def tiles_by_title(response):
    return {t["title"]: t for t in response.context["tiles"]}


def test_login_lands_on_the_dashboard(client, staff, ledger):
    response = client.post(
        reverse("login"), {"username": staff.username, "password": "pw-for-tests-1"}, follow=True
    )
    assert response.redirect_chain[-1][0] == HOME
    assert "Stock value" in tiles_by_title(response)


def test_inventory_tiles_show_the_users_stock(client, manager, ledger):
    client.force_login(manager)

    tiles = tiles_by_title(client.get(HOME))

    assert tiles["Stock value"]["value"] == "520.00"  # (200 − 30 + 50 − 12) × 2.50
    assert tiles["Units on hand"]["value"] == "208"
    assert tiles["SKUs out of stock"]["value"] == "1"
    assert tiles["SKUs out of stock"]["severity"] == "danger"
    assert "Annualised turnover, last 90 days" in tiles
    assert "Days of inventory (DIO)" in tiles
    # Ordered as registered by `order`; every tile links to its page.
    orders = [t["order"] for t in client.get(HOME).context["tiles"]]
    assert orders == sorted(orders)
    assert all(t["url"] for t in tiles.values())


def test_dashboard_turnover_equals_the_turnover_page(client, manager, ledger):
    client.force_login(manager)
    tiles = tiles_by_title(client.get(HOME))
    turnover_tile = tiles["Annualised turnover, last 90 days"]
    dio_tile = tiles["Days of inventory (DIO)"]

    page = client.get(turnover_tile["url"])  # the tile's own link: the last 90 days
    figures = dict(re.findall(r'data-figure="(\w+)">([^<]*)<', page.content.decode()))

    assert turnover_tile["value"] == figures["annualised_turnover"]
    assert dio_tile["value"] == figures["dio"]
    total = page.context["total"]
    # A: COGS 30 × 2.5 + 12 × 2.5 + 5 × 4 = 125 in the window
    assert total.cogs == Decimal("125")
    assert Decimal(turnover_tile["value"]) == total.annualised_turnover.quantize(Decimal("0.01"))
    assert Decimal(dio_tile["value"]) == total.dio
    for group in ("sku", "category", "warehouse", "business"):
        other = client.get(reverse("inventory:turnover"), {"period": "90", "group": group})
        assert other.context["total"].annualised_turnover == total.annualised_turnover, group


def test_another_warehouses_figures_never_appear(
    client, manager, make_user, warehouse, other_warehouse, ledger
):
    client.force_login(manager)  # A only
    response = client.get(HOME)
    tiles = tiles_by_title(response)

    assert "B-ONE" not in response.content.decode()
    assert tiles["Units on hand"]["value"] == "208"
    assert tiles["Stock value"]["value"] == "520.00"
    client.force_login(make_user("manager", warehouse, other_warehouse))
    both = tiles_by_title(client.get(HOME))
    assert both["Units on hand"]["value"] == "431"  # 208 + (1000 − 777)
    assert both["Stock value"]["value"] == "2,527.00"  # 520 + 223 × 9


def test_out_of_stock_tile_links_to_the_same_skus(client, staff, ledger):
    client.force_login(staff)
    tile = tiles_by_title(client.get(HOME))["SKUs out of stock"]

    listed = client.get(tile["url"]).context["table"].data.data

    assert [s.seller_sku for s in listed] == ["A-GONE"]


def test_query_count_is_bounded_whatever_the_skus_and_warehouses(client, make_user):
    warehouses = [WarehouseFactory(code=f"W{i}") for i in range(3)]
    user = make_user("manager", *warehouses)
    client.force_login(user)

    def dashboard_queries(n_skus):
        for i in range(n_skus):
            sku = SKUFactory(unit_cost=Decimal("1.00"))
            wh = warehouses[i % 3]
            receive(wh, sku, 10, at(days_ago(50)))
            sell(wh, sku, 1 + i % 3, at(days_ago(5)))
        cache.clear()  # the first load of the day: the turnover figures are not kept yet
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(HOME).status_code == 200
        return len(ctx.captured_queries)

    few, many = dashboard_queries(2), dashboard_queries(45)

    assert few == many
    # Session, user, warehouses, inventory tiles (4) and one query per app tile (6).
    assert many <= 16, many


def test_tiles_from_other_apps_render_with_their_links(client, staff, ledger, monkeypatch):
    def alerts_tile(request):
        return {
            "title": "Open alerts",
            "value": 3,
            "detail": "2 stock-outs",
            "url": "/alerts/",
            "order": 5,
            "severity": "danger",
        }

    def not_for_staff(request):
        return None

    monkeypatch.setattr(hooks, "dashboard_tiles", [*hooks.dashboard_tiles])
    hooks.register_dashboard_tile(alerts_tile)
    hooks.register_dashboard_tile(alerts_tile)  # registering twice shows it once
    hooks.register_dashboard_tile(not_for_staff)
    client.force_login(staff)

    response = client.get(HOME)

    tiles = response.context["tiles"]
    assert tiles[0]["title"] == "Open alerts"
    assert [t["title"] for t in tiles].count("Open alerts") == 1
    assert 'href="/alerts/"' in response.content.decode()


def test_a_failing_tile_does_not_take_the_dashboard_down(client, staff, ledger, monkeypatch):
    def broken_tile(request):
        raise RuntimeError("boom")

    monkeypatch.setattr(hooks, "dashboard_tiles", [*hooks.dashboard_tiles, broken_tile])
    client.force_login(staff)

    response = client.get(HOME)

    assert response.status_code == 200
    assert "Unavailable right now." in response.content.decode()
    assert "Stock value" in tiles_by_title(response)


def test_turnover_notices_show_for_managers_only(client, manager, staff, warehouse):
    receive(warehouse, SKUFactory(), 100, at(days_ago(200)))  # idle: below the band
    turnover_band_check(timezone.localdate())
    assert TurnoverNotice.objects.filter(closed_on__isnull=True).exists()

    client.force_login(manager)
    as_manager = client.get(HOME)
    client.force_login(staff)
    as_staff = client.get(HOME)

    # The warehouse, and the idle SKU's category within it.
    assert tiles_by_title(as_manager)["Turnover notices"]["value"] == "2"
    assert 'id="notices"' in as_manager.content.decode()
    assert "Turnover notices" not in tiles_by_title(as_staff)
    assert 'id="notices"' not in as_staff.content.decode()


def test_user_without_a_warehouse_is_told_so(client, db):
    client.force_login(UserFactory(role="staff"))

    response = client.get(HOME)

    assert "do not belong to any warehouse" in response.content.decode()
    assert response.context["tiles"] == []


def test_dashboard_keeps_its_turnover_for_minutes_and_stock_figures_live(
    client, manager, warehouse, ledger
):
    """The 90-day turnover reads months of ledger: the landing page keeps it for
    TURNOVER_CACHE_SECONDS; the stock tiles stay live."""
    from inventory.dashboard import TURNOVER_CACHE_SECONDS

    client.force_login(manager)
    before = tiles_by_title(client.get(HOME))
    a1 = SKUFactory._meta.model.objects.get(seller_sku="A-ONE")
    sell(warehouse, a1, 100, at(days_ago(1)))
    kept = tiles_by_title(client.get(HOME))
    turnover = "Annualised turnover, last 90 days"
    assert kept[turnover]["value"] == before[turnover]["value"]
    assert kept["Units on hand"]["value"] != before["Units on hand"]["value"]
    cache.clear()  # what TURNOVER_CACHE_SECONDS later brings
    fresh = tiles_by_title(client.get(HOME))
    assert Decimal(fresh[turnover]["value"]) > Decimal(before[turnover]["value"])
    assert 60 <= TURNOVER_CACHE_SECONDS <= 900
