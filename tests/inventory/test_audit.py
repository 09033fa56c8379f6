"""Audit history: every SKU parameter edit (page, API, admin, catalog import) and every approval
leaves who, when, before and after; the history shows on the SKU page and cannot be rewritten."""

import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from clearance import services as clearance_services
from counting.services import session_approve, session_reject, session_submit
from inventory import audit
from inventory.imports.catalog import catalog_import
from inventory.models import AuditEntry
from tests.clearance.conftest import category, make_slow, run_recompute  # noqa: F401 - fixtures
from tests.counting.helpers import enter, new_session, receive
from tests.factories import SKUFactory, SupplierFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def lipstick(db):
    return SKUFactory(
        seller_sku="LIP-01",
        moq=0,
        case_pack=1,
        unit_cost=Decimal("4.00"),
        supplier=SupplierFactory(name="Beauty Lab"),
    )


def entries(obj):
    return list(audit.history_for(obj))


def test_a_manager_edits_sku_parameters_on_the_page_and_the_history_shows_it(
    client, manager, lipstick
):
    client.force_login(manager)
    page = client.get(f"/skus/{lipstick.pk}/edit/")
    assert page.status_code == 200
    response = client.post(
        f"/skus/{lipstick.pk}/edit/",
        {
            "lead_time_days": "12",
            "logistics_days": "6",
            "lead_time_std_days": "2.5",
            "service_level": "0.98",
            "moq": "48",
            "case_pack": "12",
            "unit_cost": "4.00",
            "unit_price": "9.90",
        },
    )
    assert response.status_code == 302
    lipstick.refresh_from_db()
    assert (lipstick.lead_time_days, lipstick.moq, lipstick.case_pack) == (12, 48, 12)
    (entry,) = entries(lipstick)
    assert (entry.user, entry.action, entry.source) == (manager, "sku.update", "web")
    # Only what changed, before and after (the unchanged cost and price are not listed).
    assert entry.before == {
        "lead_time_days": None,
        "logistics_days": None,
        "lead_time_std_days": None,
        "service_level": None,
        "moq": 0,
        "case_pack": 1,
    }
    assert entry.after == {
        "lead_time_days": 12,
        "logistics_days": 6,
        "lead_time_std_days": "2.50",
        "service_level": "0.9800",
        "moq": 48,
        "case_pack": 12,
    }
    detail = client.get(f"/skus/{lipstick.pk}/").content.decode()
    assert "<title>LIP-01 · Stockwise</title>" in detail
    assert 'data-audit="sku.update"' in detail
    assert manager.username in detail
    assert "Minimum order quantity:</span> 0 → 48" in detail


def test_saving_unchanged_parameters_records_nothing(client, manager, lipstick):
    client.force_login(manager)
    client.post(
        f"/skus/{lipstick.pk}/edit/",
        {"moq": "0", "case_pack": "1", "unit_cost": "4.0000", "unit_price": "9.90"},
    )
    assert entries(lipstick) == []


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("case_pack", "0", "greater than or equal to 1"),
        ("moq", "-5", "greater than or equal to 0"),
        ("lead_time_days", "5000", "less than or equal to 365"),
        ("service_level", "1.5", "less than or equal to 0.9999"),
        ("unit_cost", "abc", "Enter a number"),
    ],
)
def test_bad_parameters_are_refused_on_the_page_and_nothing_is_written(
    client, manager, lipstick, field, value, message
):
    client.force_login(manager)
    data = {"moq": "0", "case_pack": "1", "unit_cost": "4", "unit_price": "9.90", field: value}
    data["moq"] = data["moq"] if field == "moq" else "7"  # a valid change alongside the bad one
    response = client.post(f"/skus/{lipstick.pk}/edit/", data)
    assert response.status_code == 200
    assert message in response.content.decode()
    lipstick.refresh_from_db()
    assert lipstick.moq == 0
    assert entries(lipstick) == []


@pytest.mark.parametrize("role", ["staff", "purchaser"])
def test_only_managers_and_admins_edit_sku_parameters(client, make_user, warehouse, lipstick, role):
    client.force_login(make_user(role, warehouse))
    assert client.get(f"/skus/{lipstick.pk}/edit/").status_code == 403
    assert client.post(f"/skus/{lipstick.pk}/edit/", {"moq": "5"}).status_code == 403
    assert "Edit parameters" not in client.get(f"/skus/{lipstick.pk}/").content.decode()


def test_an_api_update_is_audited_with_the_token_user(manager, lipstick):
    client = APIClient()
    client.force_authenticate(manager)
    response = client.patch("/api/v1/skus/LIP-01/", {"moq": 24, "supplier": None}, format="json")
    assert response.status_code == 200, response.json()
    (entry,) = entries(lipstick)
    assert (entry.user, entry.source) == (manager, "api")
    assert entry.before == {"moq": 0, "supplier": "Beauty Lab"}
    assert entry.after == {"moq": 24, "supplier": None}


def test_an_api_create_is_audited(manager):
    client = APIClient()
    client.force_authenticate(manager)
    response = client.post(
        "/api/v1/skus/", {"seller_sku": "NEW-1", "name": "New", "moq": 6}, format="json"
    )
    assert response.status_code == 201, response.json()
    entry = AuditEntry.objects.get(action="sku.create")
    assert entry.object_repr == "NEW-1" and entry.after["moq"] == 6 and entry.user == manager


def test_an_admin_edit_is_audited(admin_client, admin_user, lipstick):
    page = admin_client.get(f"/admin/inventory/sku/{lipstick.pk}/change/")
    form = page.context["adminform"].form
    data = {k: ("" if v is None else v) for k, v in form.initial.items()}
    data.update(
        {
            "category": lipstick.category_id,
            "supplier": lipstick.supplier_id,
            "case_pack": 6,
            "active": "on",
        }
    )
    response = admin_client.post(f"/admin/inventory/sku/{lipstick.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    (entry,) = entries(lipstick)
    assert (entry.user, entry.source) == (admin_user, "admin")
    assert (entry.before, entry.after) == ({"case_pack": 1}, {"case_pack": 6})


def test_a_catalog_import_records_what_it_changed(lipstick):
    csv = (
        "seller_sku,sku_id,product_name,category,price,moq,case_pack\n"
        f"LIP-01,{lipstick.tiktok_sku_id},{lipstick.name},{lipstick.category.name},9.90,12,1\n"
    )
    catalog_import(source=io.BytesIO(csv.encode()))
    (entry,) = entries(lipstick)
    assert (entry.user, entry.source) == (None, "import")
    assert (entry.before, entry.after) == ({"moq": 0}, {"moq": 12})


def test_count_approval_and_rejection_are_audited(warehouse, staff, manager):
    sku = SKUFactory(seller_sku="CNT-1")
    receive(warehouse, sku, 10)
    session = new_session(warehouse, [sku])
    enter(session, sku, 9, staff)
    assert session_submit(session=session, user=staff).submitted
    session_approve(session=session, user=manager, comment="shelf checked")
    (entry,) = entries(session)
    assert (entry.user, entry.action) == (manager, "count.approve")
    assert entry.before == {"status": "submitted"}
    assert entry.after == {
        "status": "approved",
        "comment": "shelf checked",
        "adjustments": [{"sku": "CNT-1", "variance": -1}],
    }
    assert entry.at is not None

    other = new_session(warehouse, [sku])
    session_reject(session=other, user=manager, comment="wrong list")
    (rejected,) = entries(other)
    assert (rejected.action, rejected.before, rejected.after["status"]) == (
        "count.reject",
        {"status": "draft"},
        "rejected",
    )


def test_clearance_decisions_are_audited(warehouse, manager, make_slow, run_recompute):  # noqa: F811
    make_slow(warehouse, age=90, qty=8, seller_sku="OLD-1")
    run_recompute()
    batch = clearance_services.batch_propose(warehouse=warehouse)
    clearance_services.batch_approve(batch=batch, user=manager, comment="go")
    (entry,) = entries(batch)
    assert (entry.user, entry.action, entry.before) == (
        manager,
        "clearance.approve",
        {"status": "proposed"},
    )
    assert entry.after["status"] == "approved" and entry.after["comment"] == "go"
    assert [line["sku"] for line in entry.after["lines"]] == ["OLD-1"]
    assert entry.after["lines"][0]["decision"] == "approved"


def test_audit_history_cannot_be_rewritten(manager, lipstick):
    entry = audit.record(user=manager, action="sku.update", obj=lipstick, after={"moq": 1})
    entry.after = {"moq": 2}
    with pytest.raises(ValidationError):
        entry.save()
    with pytest.raises(ValidationError):
        entry.delete()
    with pytest.raises(ValidationError):
        AuditEntry.objects.filter(pk=entry.pk).update(after={})
    with pytest.raises(ValidationError):
        AuditEntry.objects.all().delete()


def test_a_rolled_back_edit_leaves_no_history(manager, lipstick):
    from inventory.catalog import sku_update

    with pytest.raises(ValidationError):
        sku_update(sku=lipstick, user=manager, moq=5, case_pack=0)
    assert entries(lipstick) == []
