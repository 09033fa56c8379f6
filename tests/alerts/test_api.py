"""API: alerts/?status=open|resolved, ad-advice/?warehouse=, and the planning_rows selector
that stock/ reads."""

import pytest
from rest_framework.test import APIClient

from alerts.models import Alert, PlanningFigures
from alerts.selectors import planning_rows
from alerts.services import alerts_sync
from tests.alerts.conftest import plan, receive
from tests.factories import SKUFactory, SupplierFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def data(warehouse, other_warehouse):
    supplier = SupplierFactory(lead_time_days=10, logistics_days=5)
    made = {}
    for code, wh, qty in (
        ("LOW", warehouse, 50),
        ("FINE", warehouse, 100),
        ("B-LOW", other_warehouse, 50),
    ):
        sku = SKUFactory(seller_sku=code, supplier=supplier)
        receive(wh, sku, qty)
        plan(wh, sku, 5)
        made[code] = sku
    alerts_sync()
    return made


def test_open_alerts_of_my_warehouses(api, purchaser, data):
    api.force_authenticate(purchaser)
    body = api.get("/api/v1/alerts/?status=open").json()
    assert [(r["warehouse"], r["sku"], r["state"], r["status"]) for r in body["results"]] == [
        ("A", "LOW", "open", "REORDER")
    ]
    assert body["results"][0]["reorder_point_units"] == 75


def test_resolved_alerts(api, purchaser, data, warehouse):
    PlanningFigures.objects.filter(sku=data["LOW"]).update(status="OK", urgency=4)
    alerts_sync()
    api.force_authenticate(purchaser)
    assert api.get("/api/v1/alerts/?status=open").json()["results"] == []
    [row] = api.get("/api/v1/alerts/?status=resolved").json()["results"]
    assert (row["sku"], row["resolved_status"], row["state"]) == ("LOW", "OK", "resolved")


def test_a_bad_status_is_a_clear_400(api, purchaser, data):
    api.force_authenticate(purchaser)
    response = api.get("/api/v1/alerts/?status=closed")
    assert response.status_code == 400 and "status" in response.json()


def test_acknowledge_through_the_api(api, purchaser, data):
    api.force_authenticate(purchaser)
    alert = Alert.objects.get(sku=data["LOW"])
    response = api.post(f"/api/v1/alerts/{alert.pk}/acknowledge/")
    assert response.status_code == 200 and response.json()["acknowledged_by"] == "purchaser_A"
    other = Alert.objects.get(sku=data["B-LOW"])
    assert api.post(f"/api/v1/alerts/{other.pk}/acknowledge/").status_code == 404


def test_ad_advice_by_warehouse(api, purchaser, data):
    api.force_authenticate(purchaser)
    body = api.get("/api/v1/ad-advice/?warehouse=A").json()
    assert [(r["sku"], r["ad_advice"]) for r in body["results"]] == [
        ("LOW", "REDUCE"),  # 10 days of cover < 15 days of lead time
        ("FINE", "KEEP"),
    ]
    assert api.get("/api/v1/ad-advice/?warehouse=B").status_code == 404


def test_roles_and_authentication(api, staff, data):
    assert api.get("/api/v1/alerts/").status_code in (401, 403)
    api.force_authenticate(staff)
    assert api.get("/api/v1/alerts/").status_code == 403
    assert api.get("/api/v1/ad-advice/").status_code == 403


def test_planning_rows_for_the_stock_endpoint(purchaser, data, django_assert_num_queries):
    with django_assert_num_queries(1):
        rows = {r.sku.seller_sku: r for r in planning_rows(user=purchaser)}
    assert set(rows) == {"LOW", "FINE"}
    low = rows["LOW"]
    assert (low.safety_stock_units, low.reorder_point_units, low.status) == (0, 75, "REORDER")
    assert low.abc_class == "" and low.slow_mover is False
    assert low.warehouse.code == "A" and low.sku.supplier.name


def test_stock_endpoint_shows_the_planning_figures_of_the_last_recompute(
    api, purchaser, data, django_assert_max_num_queries
):
    api.force_authenticate(purchaser)
    with django_assert_max_num_queries(6):
        body = api.get("/api/v1/stock/?warehouse=A").json()
    rows = {r["sku"]: r for r in body["results"]}
    assert set(rows) == {"LOW", "FINE"}
    low = rows["LOW"]
    figures = PlanningFigures.objects.get(sku=data["LOW"])
    assert (low["on_hand"], low["safety_stock"], low["reorder_point"], low["status"]) == (
        50,
        figures.safety_stock_units,
        75,
        "REORDER",
    )
    assert low["suggested_order_qty"] == figures.suggested_order_qty
    assert low["ad_advice"] == figures.ad_advice
    assert low["days_of_cover"] == pytest.approx(figures.days_of_cover)


def test_alert_pages_add_up_to_the_list_in_its_order(api, purchaser, data, warehouse):
    """Pages are cut from the sorted keys, then filled by key: same rows, same order."""
    from datetime import timedelta

    from django.utils import timezone

    from alerts.models import Alert

    template = Alert.objects.first()
    for n in range(6):  # more alerts, urgencies and openings in a mixed order
        Alert.objects.create(
            **{
                f.attname: getattr(template, f.attname)
                for f in Alert._meta.concrete_fields
                if f.attname != "id"
            }
            | {
                "sku_id": SKUFactory(seller_sku=f"EXTRA-{n}").pk,
                "urgency": (n * 5) % 4,
                "opened_at": timezone.now() - timedelta(hours=(n * 7) % 6),
            }
        )
    api.force_authenticate(purchaser)
    whole = [a["id"] for a in api.get("/api/v1/alerts/").json()["results"]]
    assert len(whole) == Alert.objects.filter(warehouse__members=purchaser).count() >= 7
    pages = []
    for offset in range(len(whole)):
        page = api.get("/api/v1/alerts/", {"limit": 1, "offset": offset}).json()
        assert page["count"] == len(whole)
        pages += [a["id"] for a in page["results"]]
    assert pages == whole
