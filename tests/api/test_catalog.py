"""warehouses/, suppliers/, skus/: fields by DOMAIN.md, natural keys, roles, scoping, 400s."""

from decimal import Decimal

import pytest

from inventory.models import SKU, Category, Supplier, Warehouse
from tests.factories import CategoryFactory, SKUFactory, SupplierFactory, WarehouseFactory

pytestmark = pytest.mark.django_db

WAREHOUSE_FIELDS = {"code", "name", "timezone", "allow_negative_stock"}
SUPPLIER_FIELDS = {"name", "email", "lead_time_days", "logistics_days", "lead_time_std_days"}
SKU_FIELDS = {
    "seller_sku",
    "tiktok_sku_id",
    "name",
    "category",
    "unit_cost",
    "unit_price",
    "supplier",
    "lead_time_days",
    "logistics_days",
    "lead_time_std_days",
    "service_level",
    "moq",
    "case_pack",
    "active",
}


# --- warehouses ---------------------------------------------------------------------------


def test_warehouse_rows_have_exactly_the_domain_fields(as_user, staff, warehouse):
    row = as_user(staff).get("/api/v1/warehouses/A/").json()
    assert set(row) == WAREHOUSE_FIELDS
    assert row == {
        "code": "A",
        "name": "Warehouse A",
        "timezone": "UTC",
        "allow_negative_stock": False,
    }


def test_another_warehouse_is_absent_from_the_list_and_404(as_user, staff, other_warehouse):
    api = as_user(staff)
    assert [w["code"] for w in api.get("/api/v1/warehouses/").json()["results"]] == ["A"]
    assert api.get("/api/v1/warehouses/B/").status_code == 404
    assert api.patch("/api/v1/warehouses/B/", {"name": "x"}, format="json").status_code in (
        403,
        404,
    )


def test_only_an_admin_creates_a_warehouse_and_becomes_its_member(as_user, make_user, warehouse):
    body = {"code": "BKK", "name": "Bangkok", "timezone": "Asia/Bangkok"}
    for role in ("staff", "purchaser", "manager"):
        assert (
            as_user(make_user(role, warehouse))
            .post("/api/v1/warehouses/", body, format="json")
            .status_code
            == 403
        )
    assert not Warehouse.objects.filter(code="BKK").exists()
    admin = make_user("admin", warehouse)
    api = as_user(admin)
    response = api.post("/api/v1/warehouses/", body, format="json")
    assert response.status_code == 201
    assert response.json() == {**body, "allow_negative_stock": False}
    assert api.get("/api/v1/warehouses/BKK/").status_code == 200


def test_a_warehouse_with_an_unknown_time_zone_or_taken_code_is_400(as_user, make_user, warehouse):
    api = as_user(make_user("admin", warehouse))
    response = api.post(
        "/api/v1/warehouses/", {"code": "X", "name": "X", "timezone": "Mars/Base"}, format="json"
    )
    assert response.status_code == 400
    assert "timezone" in response.json()
    response = api.post("/api/v1/warehouses/", {"code": "A", "name": "Again"}, format="json")
    assert response.status_code == 400
    assert "code" in response.json()


def test_an_admin_updates_a_warehouse_but_not_its_code(as_user, make_user, warehouse):
    api = as_user(make_user("admin", warehouse))
    response = api.patch("/api/v1/warehouses/A/", {"allow_negative_stock": True}, format="json")
    assert response.status_code == 200
    warehouse.refresh_from_db()
    assert warehouse.allow_negative_stock is True
    response = api.patch("/api/v1/warehouses/A/", {"code": "Z"}, format="json")
    assert response.status_code == 400
    assert "code" in response.json()
    assert Warehouse.objects.filter(code="A").exists()


# --- suppliers ----------------------------------------------------------------------------


def test_supplier_rows_have_exactly_the_domain_fields_and_are_read_by_name(as_user, staff):
    SupplierFactory(name="Acme Co", email="a@acme.test", lead_time_days=12, logistics_days=3)
    row = as_user(staff).get("/api/v1/suppliers/Acme Co/").json()
    assert set(row) == SUPPLIER_FIELDS
    assert row["lead_time_days"] == 12 and row["logistics_days"] == 3


@pytest.mark.parametrize(
    ("role", "expected"), [("staff", 403), ("purchaser", 403), ("manager", 201)]
)
def test_managers_create_suppliers(as_user, make_user, warehouse, role, expected):
    body = {"name": "Zeta", "email": "z@zeta.test", "lead_time_days": 20}
    response = as_user(make_user(role, warehouse)).post("/api/v1/suppliers/", body, format="json")
    assert response.status_code == expected
    assert Supplier.objects.filter(name="Zeta").exists() == (expected == 201)


def test_a_duplicate_supplier_name_or_bad_email_is_400(as_user, manager):
    SupplierFactory(name="Acme")
    api = as_user(manager)
    assert "name" in api.post("/api/v1/suppliers/", {"name": "Acme"}, format="json").json()
    response = api.post("/api/v1/suppliers/", {"name": "New", "email": "nope"}, format="json")
    assert response.status_code == 400
    assert "email" in response.json()


def test_a_manager_updates_a_suppliers_lead_time(as_user, manager):
    SupplierFactory(name="Acme", lead_time_days=10)
    response = as_user(manager).patch(
        "/api/v1/suppliers/Acme/",
        {"lead_time_days": 21, "lead_time_std_days": "2.5"},
        format="json",
    )
    assert response.status_code == 200
    supplier = Supplier.objects.get(name="Acme")
    assert (supplier.lead_time_days, supplier.lead_time_std_days) == (21, Decimal("2.5"))


# --- SKUs ---------------------------------------------------------------------------------


def test_sku_rows_have_exactly_the_domain_fields_with_names_for_supplier_and_category(
    as_user, staff
):
    SKUFactory(
        seller_sku="TEE.RED-M",  # a dot: the lookup accepts it
        supplier=SupplierFactory(name="Acme"),
        category=CategoryFactory(name="Shirts"),
        tiktok_sku_id="1729382256910270001",
    )
    row = as_user(staff).get("/api/v1/skus/TEE.RED-M/").json()
    assert set(row) == SKU_FIELDS
    assert row["supplier"] == "Acme"
    assert row["category"] == "Shirts"
    assert row["tiktok_sku_id"] == "1729382256910270001"
    assert row["lead_time_days"] is None  # null = the supplier's


def test_a_manager_creates_a_sku_naming_supplier_and_a_new_category(as_user, manager):
    SupplierFactory(name="Acme")
    body = {
        "seller_sku": "MUG-1",
        "tiktok_sku_id": "1729382256910279999",
        "name": "Mug",
        "category": "Kitchen",
        "unit_cost": "2.50",
        "unit_price": "6.99",
        "supplier": "Acme",
        "moq": 24,
        "case_pack": 12,
    }
    response = as_user(manager).post("/api/v1/skus/", body, format="json")
    assert response.status_code == 201, response.json()
    sku = SKU.objects.select_related("supplier", "category").get(seller_sku="MUG-1")
    assert (sku.supplier.name, sku.category.name, sku.case_pack) == ("Acme", "Kitchen", 12)
    assert Category.objects.filter(name="Kitchen").count() == 1


@pytest.mark.parametrize("role", ["staff", "purchaser"])
def test_staff_and_purchasers_may_not_create_or_edit_skus(as_user, make_user, warehouse, role):
    SKUFactory(seller_sku="TEE")
    api = as_user(make_user(role, warehouse))
    assert (
        api.post("/api/v1/skus/", {"seller_sku": "X", "name": "X"}, format="json").status_code
        == 403
    )
    assert api.patch("/api/v1/skus/TEE/", {"moq": 5}, format="json").status_code == 403


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"seller_sku": "X", "name": "X", "supplier": "Nobody"}, "supplier"),
        ({"seller_sku": "X", "name": "X", "unit_cost": "-1"}, "unit_cost"),
        ({"seller_sku": "X", "name": "X", "service_level": "1.5"}, "service_level"),
        ({"seller_sku": "X", "name": "X", "case_pack": 0}, "case_pack"),
        ({"name": "X"}, "seller_sku"),
        ({"seller_sku": "TEE", "name": "dup"}, "seller_sku"),
    ],
)
def test_bad_sku_input_is_400_with_the_field_named(as_user, manager, body, field):
    SKUFactory(seller_sku="TEE")
    response = as_user(manager).post("/api/v1/skus/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not SKU.objects.filter(seller_sku="X").exists()


def test_a_manager_edits_sku_parameters_and_clears_the_category(as_user, manager):
    SKUFactory(seller_sku="TEE", category=CategoryFactory(name="Shirts"))
    api = as_user(manager)
    response = api.patch(
        "/api/v1/skus/TEE/", {"lead_time_days": 5, "category": None}, format="json"
    )
    assert response.status_code == 200
    sku = SKU.objects.get(seller_sku="TEE")
    assert (sku.lead_time_days, sku.category) == (5, None)
    assert api.patch("/api/v1/skus/TEE/", {"seller_sku": "T2"}, format="json").status_code == 400


def test_catalog_lists_cost_a_fixed_number_of_queries(
    as_user, staff, django_assert_max_num_queries
):
    for _ in range(30):
        SKUFactory()
        WarehouseFactory().members.add(staff)
    api = as_user(staff)
    for path in ("/api/v1/skus/", "/api/v1/suppliers/", "/api/v1/warehouses/"):
        with django_assert_max_num_queries(6):
            response = api.get(path)
        assert response.json()["count"] >= 30, path


def test_a_list_page_holds_at_most_1000_rows(as_user, staff):
    SKU.objects.bulk_create(SKUFactory.build_batch(1005, supplier=None, category=None))
    body = as_user(staff).get("/api/v1/skus/", {"limit": 100000}).json()
    assert body["count"] == 1005
    assert len(body["results"]) == 1000 and "offset=1000" in body["next"]
