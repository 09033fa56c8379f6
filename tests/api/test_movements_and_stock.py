"""movements/ and stock/: signed quantities, roles, scoping, 400 / 409, idempotent refs."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from inventory.models import FactsState, MovementKind, SkuFacts, StockMovement
from inventory.purchasing.services import OrderLine, purchase_order_create, purchase_order_send
from inventory.selectors import on_hand
from inventory.services import movement_post
from tests.factories import SKUFactory, SupplierFactory

pytestmark = pytest.mark.django_db

MOVEMENT_DOMAIN_FIELDS = {
    "warehouse",
    "sku",
    "kind",
    "quantity",
    "occurred_at",
    "unit_cost",
    "external_ref",
}
STOCK_FIELDS = {
    "warehouse",
    "sku",
    "on_hand",
    "on_order",
    "avg_daily_demand",
    "demand_std",
    "lead_time_days",
    "safety_stock",
    "reorder_point",
    "status",
    "days_of_cover",
    "suggested_order_qty",
    "ad_advice",
    "abc_class",
    "oldest_unit_age_days",
    "slow_mover",
    "computed_at",
}


def receipt(warehouse, sku, qty, **kwargs):
    return movement_post(
        warehouse=warehouse, sku=sku, kind=MovementKind.RECEIPT, quantity=qty, **kwargs
    )


def post(api, **body):
    return api.post("/api/v1/movements/", body, format="json")


# --- movements: posting -------------------------------------------------------------------


def test_a_manager_posts_a_sale_as_a_negative_quantity(as_user, manager, warehouse, sku):
    receipt(warehouse, sku, 10)
    response = post(
        as_user(manager),
        warehouse="A",
        sku=sku.seller_sku,
        kind="SALE",
        quantity=-3,
        occurred_at="2026-03-01T10:00:00Z",
        unit_cost="4.2",
        external_ref="order-1",
    )
    assert response.status_code == 201, response.json()
    row = response.json()
    # DOMAIN.md's seven names, plus the ledger's own id, source, note, user and posting time.
    assert set(row) == MOVEMENT_DOMAIN_FIELDS | {"id", "source", "note", "user", "created_at"}
    assert {k: row[k] for k in MOVEMENT_DOMAIN_FIELDS} == {
        "warehouse": "A",
        "sku": sku.seller_sku,
        "kind": "SALE",
        "quantity": -3,
        "occurred_at": "2026-03-01T10:00:00Z",
        "unit_cost": "4.2000",
        "external_ref": "order-1",
    }
    assert row["source"] == "api" and row["user"] == manager.username
    assert on_hand(warehouse=warehouse, sku=sku) == 7


def test_a_repeated_external_ref_answers_200_with_the_first_movement(
    as_user, manager, warehouse, sku
):
    api = as_user(manager)
    body = {"warehouse": "A", "sku": sku.seller_sku, "kind": "RECEIPT", "quantity": 5}
    first = post(api, **body, external_ref="dn-1")
    again = post(api, **body, external_ref="dn-1")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert StockMovement.objects.count() == 1
    assert on_hand(warehouse=warehouse, sku=sku) == 5
    # Without an external_ref every post is new.
    assert post(api, **body).status_code == 201
    assert post(api, **body).status_code == 201
    assert on_hand(warehouse=warehouse, sku=sku) == 15


def test_a_sale_that_would_oversell_is_409_with_the_reason_and_writes_nothing(
    as_user, manager, warehouse, sku
):
    receipt(warehouse, sku, 2)
    response = post(as_user(manager), warehouse="A", sku=sku.seller_sku, kind="SALE", quantity=-3)
    assert response.status_code == 409
    assert "Not enough stock of TEE-RED-M in A: 2 on hand, 3 needed." in response.json()["detail"]
    assert StockMovement.objects.count() == 1
    assert on_hand(warehouse=warehouse, sku=sku) == 2


def test_a_warehouse_that_allows_negative_stock_takes_the_sale(as_user, manager, warehouse, sku):
    warehouse.allow_negative_stock = True
    warehouse.save()
    response = post(as_user(manager), warehouse="A", sku=sku.seller_sku, kind="SALE", quantity=-3)
    assert response.status_code == 201
    assert on_hand(warehouse=warehouse, sku=sku) == -3


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "SALE", "quantity": 3}, "quantity"),
        ({"kind": "RECEIPT", "quantity": -3}, "quantity"),
        ({"kind": "ADJUSTMENT", "quantity": 0}, "quantity"),
        ({"kind": "THEFT", "quantity": -1}, "kind"),
        ({"kind": "RECEIPT", "quantity": "many"}, "quantity"),
        ({"kind": "RECEIPT", "quantity": 1, "sku": "NOPE"}, "sku"),
        ({"kind": "RECEIPT", "quantity": 1, "unit_cost": "-2"}, "unit_cost"),
        ({"kind": "RECEIPT", "quantity": 1, "occurred_at": "yesterday"}, "occurred_at"),
        ({"kind": "RECEIPT", "quantity": 1, "external_ref": ""}, "external_ref"),
        ({"quantity": 1}, "kind"),
    ],
)
def test_bad_movement_input_is_400_with_the_field_named(
    as_user, manager, warehouse, sku, body, field
):
    response = post(as_user(manager), **{"warehouse": "A", "sku": sku.seller_sku, **body})
    assert response.status_code == 400
    assert field in response.json()
    assert not StockMovement.objects.exists()


def test_a_movement_dated_in_the_future_is_400(as_user, manager, warehouse, sku):
    later = (timezone.now() + timedelta(days=3)).isoformat()
    response = post(
        as_user(manager),
        warehouse="A",
        sku=sku.seller_sku,
        kind="RECEIPT",
        quantity=1,
        occurred_at=later,
    )
    assert response.status_code == 400
    assert "occurred_at" in response.json()


def test_posting_to_a_warehouse_i_do_not_belong_to_is_404(as_user, manager, other_warehouse, sku):
    for code in ("B", "NOWHERE"):
        response = post(
            as_user(manager), warehouse=code, sku=sku.seller_sku, kind="RECEIPT", quantity=1
        )
        assert response.status_code == 404
    assert not StockMovement.objects.exists()


def test_purchasers_post_receipts_only_and_staff_nothing(as_user, make_user, warehouse, sku):
    purchaser = as_user(make_user("purchaser", warehouse))
    assert (
        post(purchaser, warehouse="A", sku=sku.seller_sku, kind="RECEIPT", quantity=4).status_code
        == 201
    )
    for kind, qty in (("SALE", -1), ("ADJUSTMENT", 1), ("WRITE_OFF", -1)):
        response = post(purchaser, warehouse="A", sku=sku.seller_sku, kind=kind, quantity=qty)
        assert response.status_code == 403, kind
    staff = as_user(make_user("staff", warehouse))
    assert (
        post(staff, warehouse="A", sku=sku.seller_sku, kind="RECEIPT", quantity=1).status_code
        == 403
    )
    assert on_hand(warehouse=warehouse, sku=sku) == 4


def test_an_admin_posts_any_kind(as_user, make_user, warehouse, sku):
    api = as_user(make_user("admin", warehouse))
    assert (
        post(api, warehouse="A", sku=sku.seller_sku, kind="ADJUSTMENT", quantity=5).status_code
        == 201
    )
    assert (
        post(api, warehouse="A", sku=sku.seller_sku, kind="WRITE_OFF", quantity=-2).status_code
        == 201
    )
    assert on_hand(warehouse=warehouse, sku=sku) == 3


def test_an_external_ref_of_another_warehouse_is_not_revealed(
    as_user, make_user, warehouse, other_warehouse, sku
):
    receipt(other_warehouse, sku, 5, source="api", external_ref="shared-ref")
    api = as_user(make_user("manager", warehouse))
    response = post(
        api,
        warehouse="A",
        sku=sku.seller_sku,
        kind="RECEIPT",
        quantity=5,
        external_ref="shared-ref",
    )
    assert response.status_code == 409
    assert "B" not in str(response.json())
    assert on_hand(warehouse=warehouse, sku=sku) == 0


# --- movements: list ----------------------------------------------------------------------


def test_the_movement_list_shows_my_warehouses_and_filters_by_code_and_sku(
    as_user, staff, warehouse, other_warehouse, sku
):
    mug = SKUFactory(seller_sku="MUG")
    receipt(warehouse, sku, 3)
    receipt(warehouse, mug, 4)
    receipt(other_warehouse, sku, 9)
    api = as_user(staff)
    rows = api.get("/api/v1/movements/").json()["results"]
    assert sorted((r["warehouse"], r["sku"], r["quantity"]) for r in rows) == [
        ("A", "MUG", 4),
        ("A", "TEE-RED-M", 3),
    ]
    rows = api.get("/api/v1/movements/", {"sku": "MUG"}).json()["results"]
    assert [r["quantity"] for r in rows] == [4]
    assert api.get("/api/v1/movements/", {"warehouse": "B"}).json()["results"] == []


def test_the_movement_list_pages_by_cursor_without_counting_and_without_shifting(
    as_user, staff, warehouse, sku, django_assert_max_num_queries
):
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for n in range(40):
        receipt(warehouse, sku, 1, occurred_at=start + timedelta(hours=n))
    api = as_user(staff)
    with django_assert_max_num_queries(4) as captured:
        first = api.get("/api/v1/movements/", {"limit": 25}).json()
    assert not any("COUNT(" in q["sql"] for q in captured.captured_queries)
    assert "count" not in first and first["previous"] is None
    assert len(first["results"]) == 25
    assert first["results"][0]["occurred_at"] == "2026-01-02T15:00:00Z"  # newest first

    # A movement arriving while an integration reads the ledger does not shift the next page.
    receipt(warehouse, sku, 1, occurred_at=start + timedelta(days=5))
    second = api.get(first["next"]).json()
    assert second["next"] is None
    seen = [r["id"] for r in first["results"] + second["results"]]
    assert len(seen) == len(set(seen)) == 40
    assert second["results"][-1]["occurred_at"] == "2026-01-01T00:00:00Z"  # the oldest, once


# --- stock --------------------------------------------------------------------------------


def test_stock_rows_have_exactly_the_domain_fields_with_live_on_hand_and_on_order(
    as_user, staff, warehouse, other_warehouse
):
    supplier = SupplierFactory(name="Acme", lead_time_days=10, logistics_days=4)
    tee = SKUFactory(seller_sku="TEE", supplier=supplier)
    mug = SKUFactory(seller_sku="MUG", supplier=supplier, lead_time_days=3)
    receipt(warehouse, tee, 7)
    receipt(other_warehouse, tee, 50)
    for sku, qty in ((tee, 20), (mug, 12)):
        order = purchase_order_create(
            supplier=supplier, warehouse=warehouse, lines=[OrderLine(sku=sku, quantity=qty)]
        )
        purchase_order_send(purchase_order=order)
    # A draft is not on order.
    purchase_order_create(
        supplier=supplier, warehouse=warehouse, lines=[OrderLine(sku=tee, quantity=99)]
    )

    rows = as_user(staff).get("/api/v1/stock/").json()["results"]
    assert [(r["warehouse"], r["sku"]) for r in rows] == [("A", "MUG"), ("A", "TEE")]
    assert all(set(r) == STOCK_FIELDS for r in rows)
    mug_row, tee_row = rows
    assert (tee_row["on_hand"], tee_row["on_order"]) == (7, 20)
    assert (mug_row["on_hand"], mug_row["on_order"]) == (0, 12)
    # L = procurement + logistics days: TEE the supplier's 10 + 4; MUG its own 3 + 4.
    assert (tee_row["lead_time_days"], mug_row["lead_time_days"]) == (14, 7)
    for field in ("safety_stock", "reorder_point", "status", "suggested_order_qty", "ad_advice"):
        assert tee_row[field] is None
    assert tee_row["computed_at"] is None


def test_stock_shows_the_facts_of_the_last_recompute(
    as_user, staff, warehouse, other_warehouse, sku
):
    receipt(warehouse, sku, 7)
    receipt(other_warehouse, sku, 1)
    computed = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    SkuFacts.objects.create(
        warehouse=warehouse,
        sku=sku,
        as_of=computed.date(),
        avg_daily_demand=1.5,
        demand_std=0.5,
        abc_class="A",
        oldest_unit_date=date(2026, 2, 18),  # 12 days before the night the facts are as of
        slow_mover=False,
        computed_at=computed,
    )
    FactsState.objects.update_or_create(pk=1, defaults={"as_of": computed.date()})
    SkuFacts.objects.create(
        warehouse=other_warehouse,
        sku=sku,
        as_of=computed.date(),
        avg_daily_demand=99,
        abc_class="C",
        computed_at=computed,
    )
    row = as_user(staff).get("/api/v1/stock/", {"sku": sku.seller_sku}).json()["results"]
    assert len(row) == 1
    assert {
        k: row[0][k]
        for k in (
            "avg_daily_demand",
            "demand_std",
            "abc_class",
            "oldest_unit_age_days",
            "slow_mover",
            "computed_at",
        )
    } == {
        "avg_daily_demand": 1.5,
        "demand_std": 0.5,
        "abc_class": "A",
        "oldest_unit_age_days": 12,
        "slow_mover": False,
        "computed_at": "2026-03-02T01:00:00Z",
    }


def test_stock_filters_by_warehouse_and_sku_within_my_warehouses(
    as_user, make_user, warehouse, other_warehouse, sku
):
    mug = SKUFactory(seller_sku="MUG")
    receipt(warehouse, sku, 1)
    receipt(warehouse, mug, 2)
    receipt(other_warehouse, sku, 3)
    api = as_user(make_user("staff", warehouse))
    assert api.get("/api/v1/stock/", {"warehouse": "B"}).json()["count"] == 0
    rows = api.get("/api/v1/stock/", {"warehouse": "A", "sku": "MUG"}).json()["results"]
    assert [(r["sku"], r["on_hand"]) for r in rows] == [("MUG", 2)]
    both = as_user(make_user("staff", warehouse, other_warehouse))
    rows = both.get("/api/v1/stock/", {"sku": sku.seller_sku}).json()["results"]
    assert [(r["warehouse"], r["on_hand"]) for r in rows] == [("A", 1), ("B", 3)]


def test_stock_is_read_only(as_user, manager, warehouse):
    assert as_user(manager).post("/api/v1/stock/", {}, format="json").status_code in (403, 405)


def test_the_stock_list_costs_a_fixed_number_of_queries(
    as_user, staff, warehouse, django_assert_max_num_queries
):
    supplier = SupplierFactory()
    for _ in range(30):
        sku = SKUFactory(supplier=supplier, unit_cost=Decimal("1"))
        receipt(warehouse, sku, 2)
    api = as_user(staff)
    with django_assert_max_num_queries(5):
        page = api.get("/api/v1/stock/").json()
    assert page["count"] == 30


def test_stock_pages_follow_warehouse_then_seller_sku_with_the_full_row_of_each_key(
    as_user, manager, warehouse, other_warehouse, django_assert_max_num_queries
):
    """The keys are sorted and paged alone, then the page's rows are read by key: the pages
    still add up to the whole list in order, each row with its own figures."""
    expected = []
    for n in range(12):
        sku = SKUFactory(seller_sku=f"SKU-{(n * 7) % 12:02d}", unit_cost=Decimal("1"))
        for wh, qty in ((warehouse, n + 1), (other_warehouse, 100 + n)):
            receipt(wh, sku, qty)
            expected.append((wh.code, sku.seller_sku, qty))
    expected.sort()
    manager.warehouses.add(other_warehouse)
    api = as_user(manager)
    rows = []
    for offset in range(0, 24, 7):
        with django_assert_max_num_queries(5):
            page = api.get("/api/v1/stock/", {"limit": 7, "offset": offset}).json()
        assert page["count"] == 24
        rows += [(r["warehouse"], r["sku"], r["on_hand"]) for r in page["results"]]
    assert rows == expected


def test_a_movement_without_warehouse_or_with_a_list_body_is_400(as_user, manager, warehouse, sku):
    api = as_user(manager)
    response = post(api, sku=sku.seller_sku, kind="RECEIPT", quantity=1)
    assert response.status_code == 400
    assert "warehouse" in response.json()
    response = api.post("/api/v1/movements/", [{"warehouse": "A"}], format="json")
    assert response.status_code == 400
    assert not StockMovement.objects.exists()
