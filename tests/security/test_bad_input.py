"""Bad input everywhere: the API and the forms refuse negative or absurd quantities, unknown SKUs,
dates in the far future and wrong types with a message that names the problem, and write
nothing at all (every table a write could touch is compared before and after)."""

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from alerts.models import Alert
from clearance.models import BatchStatus, ClearanceBatch, ClearanceLine
from counting.models import CountEntry, CountLine, CountSession
from inventory.models import (
    SKU,
    AuditEntry,
    ImportJob,
    PurchaseOrder,
    PurchaseOrderLine,
    StockBalance,
    StockMovement,
    Supplier,
    Warehouse,
)
from inventory.purchasing.services import purchase_order_send
from tests.factories import UserFactory
from tests.security.world import build_side

pytestmark = pytest.mark.django_db

FAR_FUTURE = "2999-01-01T00:00:00Z"
NEXT_WEEK = (timezone.now() + timedelta(days=7)).isoformat()


def snapshot():
    """Every row a refused write could have touched."""
    return {
        "movements": list(StockMovement.objects.order_by("id").values_list("id", flat=True)),
        "balances": list(StockBalance.objects.order_by("id").values_list("id", "on_hand")),
        "orders": list(PurchaseOrder.objects.order_by("id").values_list("id", "status")),
        "order lines": list(
            PurchaseOrderLine.objects.order_by("id").values_list("id", "received_quantity")
        ),
        "count entries": CountEntry.objects.count(),
        "count lines": list(CountLine.objects.order_by("id").values_list("id", "counted_qty")),
        "sessions": list(CountSession.objects.order_by("id").values_list("id", "status")),
        "clearance": list(
            ClearanceLine.objects.order_by("id").values_list("id", "quantity", "discount")
        ),
        "skus": list(SKU.objects.order_by("id").values()),
        "suppliers": list(Supplier.objects.order_by("id").values()),
        "warehouses": Warehouse.objects.count(),
        "imports": ImportJob.objects.count(),
        "alerts": Alert.objects.count(),
        "audit": AuditEntry.objects.count(),
    }


@pytest.fixture
def side(db):
    side = build_side("wha")
    purchase_order_send(purchase_order=PurchaseOrder.objects.get(number=side.po_number), user=None)
    ClearanceBatch.objects.filter(pk=side.batch_pk).update(status=BatchStatus.PROPOSED)
    return side


@pytest.fixture
def api(side):
    client = APIClient()
    client.force_authenticate(
        UserFactory(username="api_admin", role="admin", warehouses=[side.warehouse])
    )
    return client


def po_line(side):
    return PurchaseOrderLine.objects.get(purchase_order__number=side.po_number)


def movement(side, **changes):
    body = {"warehouse": "wha", "sku": side.sku.seller_sku, "kind": "RECEIPT", "quantity": 3}
    return {**body, **changes}


# (case id, method, url(side), body(side), field or "detail", words the message must contain)
API_CASES = [
    ("negative receipt", "post", lambda s: "/api/v1/movements/",
     lambda s: movement(s, quantity=-5), "quantity", "positive"),
    ("positive sale", "post", lambda s: "/api/v1/movements/",
     lambda s: movement(s, kind="SALE", quantity=5), "quantity", "negative"),
    ("zero", "post", lambda s: "/api/v1/movements/",
     lambda s: movement(s, quantity=0), "quantity", "zero"),
    ("absurd quantity", "post", lambda s: "/api/v1/movements/",
     lambda s: movement(s, quantity=10**12), "quantity", "less than or equal"),
    ("text quantity", "post", lambda s: "/api/v1/movements/",
     lambda s: movement(s, quantity="three"), "quantity", "valid integer"),
    ("fractional quantity", "post", lambda s: "/api/v1/movements/",
     lambda s: movement(s, quantity=1.5), "quantity", "valid integer"),
    ("boolean quantity", "post", lambda s: "/api/v1/movements/",
     lambda s: movement(s, quantity=True), "quantity", "valid integer"),
    ("list for a quantity", "post", lambda s: "/api/v1/movements/",
     lambda s: movement(s, quantity=[1, 2]), "quantity", "valid integer"),
    ("unknown sku", "post", lambda s: "/api/v1/movements/",
     lambda s: movement(s, sku="NO-SUCH-SKU"), "sku", "NO-SUCH-SKU"),
    ("unknown kind", "post", lambda s: "/api/v1/movements/",
     lambda s: movement(s, kind="GIFT"), "kind", "not a valid choice"),
    ("far future", "post", lambda s: "/api/v1/movements/",
     lambda s: movement(s, occurred_at=FAR_FUTURE), "occurred_at", "future"),
    ("next week", "post", lambda s: "/api/v1/movements/",
     lambda s: movement(s, occurred_at=NEXT_WEEK), "occurred_at", "future"),
    ("not a date", "post", lambda s: "/api/v1/movements/",
     lambda s: movement(s, occurred_at="next tuesday"), "occurred_at", "format"),
    ("negative cost", "post", lambda s: "/api/v1/movements/",
     lambda s: movement(s, unit_cost="-1"), "unit_cost", "greater than or equal"),
    ("text cost", "post", lambda s: "/api/v1/movements/",
     lambda s: movement(s, unit_cost="cheap"), "unit_cost", "valid number"),
    ("order of minus one", "post", lambda s: "/api/v1/purchase-orders/",
     lambda s: {"supplier": s.sku.supplier.name, "warehouse": "wha",
                "lines": [{"sku": s.sku.seller_sku, "quantity": -1}]}, "lines", "greater than"),
    ("absurd order", "post", lambda s: "/api/v1/purchase-orders/",
     lambda s: {"supplier": s.sku.supplier.name, "warehouse": "wha",
                "lines": [{"sku": s.sku.seller_sku, "quantity": 10**9}]}, "lines", "less than"),
    ("order of an unknown sku", "post", lambda s: "/api/v1/purchase-orders/",
     lambda s: {"supplier": s.sku.supplier.name, "warehouse": "wha",
                "lines": [{"sku": "NO-SUCH-SKU", "quantity": 2}]}, "lines", "NO-SUCH-SKU"),
    ("expected in 2999", "post", lambda s: "/api/v1/purchase-orders/",
     lambda s: {"supplier": s.sku.supplier.name, "warehouse": "wha",
                "lines": [{"sku": s.sku.seller_sku, "quantity": 2,
                           "expected_date": "2999-01-01"}]}, "non_field_errors", "future"),
    ("receive minus two", "post", lambda s: f"/api/v1/purchase-orders/{s.po_number}/receive/",
     lambda s: {"lines": [{"sku": s.sku.seller_sku, "quantity": -2}]}, "lines", "greater than"),
    ("receive in the future", "post",
     lambda s: f"/api/v1/purchase-orders/{s.po_number}/receive/",
     lambda s: {"lines": [{"sku": s.sku.seller_sku, "quantity": 2}],
                "received_at": FAR_FUTURE}, "non_field_errors", "future"),
    ("receive more than ordered", "post",
     lambda s: f"/api/v1/purchase-orders/{s.po_number}/receive/",
     lambda s: {"lines": [{"sku": s.sku.seller_sku, "quantity": 13}]}, "detail", "12"),
    ("count minus one", "post", lambda s: f"/api/v1/count-sessions/{s.count_pk}/lines/",
     lambda s: {"sku": s.sku.seller_sku, "counted": -1}, "counted", "greater than"),
    ("count a billion", "post", lambda s: f"/api/v1/count-sessions/{s.count_pk}/lines/",
     lambda s: {"sku": s.sku.seller_sku, "counted": 10**9}, "counted", "less than"),
    ("count text", "post", lambda s: f"/api/v1/count-sessions/{s.count_pk}/lines/",
     lambda s: {"sku": s.sku.seller_sku, "counted": "lots"}, "counted", "valid integer"),
    ("count an unknown sku", "post", lambda s: f"/api/v1/count-sessions/{s.count_pk}/lines/",
     lambda s: {"sku": "NO-SUCH-SKU", "counted": 3}, "detail", "NO-SUCH-SKU"),
    ("case pack 0", "patch", lambda s: f"/api/v1/skus/{s.sku.seller_sku}/",
     lambda s: {"case_pack": 0, "moq": 12}, "case_pack", "greater than or equal to 1"),
    ("negative moq", "patch", lambda s: f"/api/v1/skus/{s.sku.seller_sku}/",
     lambda s: {"moq": -5}, "moq", "greater than or equal to 0"),
    ("lead time of 100,000 days", "patch", lambda s: f"/api/v1/skus/{s.sku.seller_sku}/",
     lambda s: {"lead_time_days": 100000}, "lead_time_days", "365"),
    ("service level 2", "patch", lambda s: f"/api/v1/skus/{s.sku.seller_sku}/",
     lambda s: {"service_level": "2"}, "service_level", "0.9999"),
    ("text cost on a sku", "patch", lambda s: f"/api/v1/skus/{s.sku.seller_sku}/",
     lambda s: {"unit_cost": "free"}, "unit_cost", "valid number"),
    ("supplier lead time of 10,000 days", "post", lambda s: "/api/v1/suppliers/",
     lambda s: {"name": "Slow boat", "lead_time_days": 10000}, "lead_time_days", "365"),
    ("clearance quantity 0", "patch",
     lambda s: f"/api/v1/clearance-batches/{s.batch_pk}/lines/{s.line_pk}/",
     lambda s: {"quantity": 0}, "quantity", "greater than or equal to 1"),
    ("clearance quantity above stock", "patch",
     lambda s: f"/api/v1/clearance-batches/{s.batch_pk}/lines/{s.line_pk}/",
     lambda s: {"quantity": 41}, "detail", "1 to 40"),
    ("clearance discount 200 %", "patch",
     lambda s: f"/api/v1/clearance-batches/{s.batch_pk}/lines/{s.line_pk}/",
     lambda s: {"discount": "200"}, "discount", "95"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("method", "url", "body", "field", "words"),
    [case[1:] for case in API_CASES],
    ids=[case[0] for case in API_CASES],
)
def test_the_api_refuses_bad_input_with_a_clear_message_and_writes_nothing(
    api, side, method, url, body, field, words
):
    before = snapshot()
    response = getattr(api, method)(url(side), body(side), format="json")
    assert response.status_code in (400, 409), (response.status_code, response.content)
    errors = response.json()
    assert field in errors, errors
    assert words.lower() in json.dumps(errors[field], ensure_ascii=False).lower(), errors
    assert snapshot() == before


def test_the_api_refuses_a_body_that_is_not_json(api, side):
    before = snapshot()
    response = api.generic(
        "POST", "/api/v1/movements/", "{not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert "JSON parse error" in response.json()["detail"]
    response = api.post("/api/v1/movements/", [movement(side)], format="json")
    assert response.status_code == 400
    assert snapshot() == before


@pytest.mark.parametrize(
    ("url", "params", "words"),
    [
        ("/api/v1/turnover/", {"start": "2026-13-01", "end": "2026-12-31"}, "start"),
        ("/api/v1/turnover/", {"group": "planet"}, "group"),
        ("/api/v1/ageing/", {"as_of": "yesterday"}, "as_of"),
        ("/api/v1/alerts/", {"status": "maybe"}, "status"),
        ("/api/v1/clearance-batches/", {"status": "lost"}, "status"),
    ],
)
def test_the_api_refuses_bad_query_parameters(api, side, url, params, words):
    response = api.get(url, params)
    assert response.status_code == 400, response.content
    assert words in response.content.decode()


# (case id, url(side), form data(side), words the page must show)
FORM_CASES = [
    ("text quantity", lambda s: "/movements/new/",
     lambda s: {"action": "receipt", "warehouse": "wha", "sku": s.sku.seller_sku,
                "quantity": "three"}, "Enter a whole number"),
    ("absurd quantity", lambda s: "/movements/new/",
     lambda s: {"action": "adjustment", "warehouse": "wha", "sku": s.sku.seller_sku,
                "quantity": "99999999"}, "less than or equal to 1000000"),
    ("negative receipt", lambda s: "/movements/new/",
     lambda s: {"action": "receipt", "warehouse": "wha", "sku": s.sku.seller_sku,
                "quantity": "-4"}, "greater than zero"),
    ("unknown sku", lambda s: "/movements/new/",
     lambda s: {"action": "receipt", "warehouse": "wha", "sku": "NO-SUCH-SKU",
                "quantity": "4"}, "No SKU with seller SKU “NO-SUCH-SKU”"),
    ("oversell", lambda s: "/movements/new/",
     lambda s: {"action": "adjustment", "warehouse": "wha", "sku": s.sku.seller_sku,
                "quantity": "-41"}, "Not enough stock"),
    ("negative cost", lambda s: "/movements/new/",
     lambda s: {"action": "receipt", "warehouse": "wha", "sku": s.sku.seller_sku,
                "quantity": "4", "unit_cost": "-2"}, "greater than or equal to 0"),
    ("count minus one", lambda s: f"/counts/{s.count_pk}/enter/",
     lambda s: {"code": s.sku.seller_sku, "quantity": "-1"}, "greater than or equal to 0"),
    ("count text", lambda s: f"/counts/{s.count_pk}/enter/",
     lambda s: {"code": s.sku.seller_sku, "quantity": "many"}, "Enter a whole number"),
    ("count an unknown code", lambda s: f"/counts/{s.count_pk}/enter/",
     lambda s: {"code": "NO-SUCH-SKU", "quantity": "2"}, "NO-SUCH-SKU"),
    ("receive minus two", lambda s: f"/purchase-orders/{s.po_number}/receive/",
     lambda s: {"receipt_ref": "r1", f"line_{po_line(s).pk}": "-2"}, "greater than or equal to 0"),
    ("receive in 2999", lambda s: f"/purchase-orders/{s.po_number}/receive/",
     lambda s: {"receipt_ref": "r2", f"line_{po_line(s).pk}": "2", "received_on": "2999-01-01"},
     "cannot be in the future"),
    ("order expected in 2999", lambda s: "/purchase-orders/new/",
     lambda s: {"supplier": s.sku.supplier.pk, "warehouse": "wha", "lines-TOTAL_FORMS": "1",
                "lines-INITIAL_FORMS": "0", "lines-0-sku": s.sku.seller_sku,
                "lines-0-quantity": "3", "lines-0-expected_date": "2999-01-01"},
     "too far in the future"),
    ("order of a negative quantity", lambda s: "/purchase-orders/new/",
     lambda s: {"supplier": s.sku.supplier.pk, "warehouse": "wha", "lines-TOTAL_FORMS": "1",
                "lines-INITIAL_FORMS": "0", "lines-0-sku": s.sku.seller_sku,
                "lines-0-quantity": "-3"}, "greater than or equal to 1"),
    ("sku lead time 5000 days", lambda s: f"/skus/{s.sku.pk}/edit/",
     lambda s: {"lead_time_days": "5000", "moq": "0", "case_pack": "1", "unit_cost": "4",
                "unit_price": "9"}, "less than or equal to 365"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("url", "data", "words"),
    [case[1:] for case in FORM_CASES],
    ids=[case[0] for case in FORM_CASES],
)
def test_the_forms_refuse_bad_input_with_a_clear_message_and_write_nothing(side, url, data, words):
    client = Client()
    client.force_login(UserFactory(username="boss", role="admin", warehouses=[side.warehouse]))
    before = snapshot()
    response = client.post(url(side), data(side))
    assert response.status_code in (200, 400), response.status_code  # the form, with errors
    assert words in response.content.decode()
    assert snapshot() == before
