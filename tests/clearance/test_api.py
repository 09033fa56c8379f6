"""REST API: ageing/ and clearance-batches/ (DOMAIN.md "Interfaces")."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from clearance import services
from clearance.models import BatchStatus, ClearanceLine, LineDecision, Strategy
from inventory.models import MovementKind
from tests.clearance.conftest import post

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def batch(warehouse, make_slow, run_recompute):
    make_slow(warehouse, age=60, qty=10, seller_sku="OLD-A")
    make_slow(warehouse, age=200, qty=5, cost="6.00", price="10.00", seller_sku="OLD-B")
    run_recompute()
    return services.batch_propose(warehouse=warehouse)


def test_ageing_returns_buckets_in_units_and_value_per_sku(api, manager, warehouse, sku):
    post(warehouse, sku, MovementKind.RECEIPT, 30, days_ago=100)
    post(warehouse, sku, MovementKind.RECEIPT, 20, days_ago=45)
    post(warehouse, sku, MovementKind.SALE, -10, days_ago=10)
    api.force_authenticate(manager)
    response = api.get("/api/v1/ageing/", {"warehouse": "A"})
    assert response.status_code == 200
    (row,) = response.json()["results"]
    assert row == {
        "warehouse": "A",
        "sku": "TEE-RED-M",
        "name": sku.name,
        "category": sku.category.name,
        "on_hand": 40,
        "units_0_30": 0,
        "units_31_60": 20,
        "units_61_90": 0,
        "units_91_180": 20,
        "units_over_180": 0,
        "value_0_30": "0.00",
        "value_31_60": "80.00",
        "value_61_90": "0.00",
        "value_91_180": "80.00",
        "value_over_180": "0.00",
        "value": "160.00",
        "oldest_unit_age_days": 100,
        "as_of": timezone.localdate().isoformat(),
    }
    earlier = (timezone.localdate() - timedelta(days=50)).isoformat()
    (old,) = api.get("/api/v1/ageing/", {"warehouse": "A", "as_of": earlier}).json()["results"]
    assert (old["on_hand"], old["units_31_60"], old["oldest_unit_age_days"]) == (30, 30, 50)


def test_ageing_of_another_warehouse_is_404_and_a_bad_date_is_400(api, manager, other_warehouse):
    api.force_authenticate(manager)
    assert api.get("/api/v1/ageing/", {"warehouse": "B"}).status_code == 404
    response = api.get("/api/v1/ageing/", {"as_of": "31/12/2025"})
    assert response.status_code == 400
    assert response.json() == {"as_of": ["Use the date format YYYY-MM-DD, not 31/12/2025."]}


def test_ageing_needs_authentication(api):
    assert api.get("/api/v1/ageing/").status_code in (401, 403)


def test_batches_list_and_read_are_scoped(
    api, manager, batch, other_warehouse, make_slow, run_recompute
):
    make_slow(other_warehouse, seller_sku="FAR")
    run_recompute()
    far = services.batch_propose(warehouse=other_warehouse)
    api.force_authenticate(manager)
    listed = api.get("/api/v1/clearance-batches/").json()
    assert [b["id"] for b in listed["results"]] == [batch.pk]
    assert listed["results"][0]["total_capital"] == "70.00"
    assert api.get(f"/api/v1/clearance-batches/{far.pk}/").status_code == 404
    detail = api.get(f"/api/v1/clearance-batches/{batch.pk}/").json()
    assert (detail["warehouse"], detail["status"]) == ("A", "proposed")
    line = {item["sku"]: item for item in detail["lines"]}["OLD-A"]
    assert (line["suggested_strategy"], line["suggested_discount"], line["capital"]) == (
        "PROMOTION",
        "20.00",
        "40.00",
    )


def test_manager_patches_a_line_then_approves(api, manager, batch):
    line = ClearanceLine.objects.get(sku__seller_sku="OLD-B")
    api.force_authenticate(manager)
    url = f"/api/v1/clearance-batches/{batch.pk}/lines/{line.pk}/"
    response = api.patch(
        url, {"decision": "approved", "strategy": "WRITE_OFF", "quantity": 3}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert (response.json()["strategy"], response.json()["quantity"]) == ("WRITE_OFF", 3)
    line.refresh_from_db()
    assert (line.decision, line.strategy, line.discount, line.decided_by) == (
        LineDecision.APPROVED,
        Strategy.WRITE_OFF,
        None,
        manager,
    )
    response = api.post(f"/api/v1/clearance-batches/{batch.pk}/approve/", {"comment": "ok"})
    assert response.json()["status"] == "approved"
    assert response.json()["decided_by"] == manager.username
    done = api.post(f"/api/v1/clearance-batches/{batch.pk}/lines/{line.pk}/done/")
    assert done.json()["movement"] == f"clearance:{batch.pk}:{line.pk}"
    assert done.json()["units_cleared"] == 3


def test_bad_line_patch_is_400_with_the_reason(api, manager, batch):
    line = ClearanceLine.objects.get(sku__seller_sku="OLD-A")
    api.force_authenticate(manager)
    url = f"/api/v1/clearance-batches/{batch.pk}/lines/{line.pk}/"
    response = api.patch(url, {"quantity": 50}, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "detail": ["OLD-A: The quantity must be a whole number from 1 to 10."]
    }
    assert api.patch(url, {"discount": None}, format="json").status_code == 400
    line.refresh_from_db()
    assert (line.quantity, line.discount) == (10, Decimal("20.00"))


def test_staff_may_read_but_not_decide(api, staff, batch):
    line = batch.lines.first()
    api.force_authenticate(staff)
    assert api.get(f"/api/v1/clearance-batches/{batch.pk}/").status_code == 200
    assert api.post(f"/api/v1/clearance-batches/{batch.pk}/approve/").status_code == 403
    assert api.post(f"/api/v1/clearance-batches/{batch.pk}/reject/").status_code == 403
    url = f"/api/v1/clearance-batches/{batch.pk}/lines/{line.pk}/"
    assert api.get(url).status_code == 200
    assert api.patch(url, {"decision": "approved"}, format="json").status_code == 403
    batch.refresh_from_db()
    assert batch.status == BatchStatus.PROPOSED


def test_reject_records_the_comment_and_a_second_decision_is_refused(api, manager, batch):
    api.force_authenticate(manager)
    response = api.post(f"/api/v1/clearance-batches/{batch.pk}/reject/", {"comment": "no"})
    assert (response.json()["status"], response.json()["decision_comment"]) == ("rejected", "no")
    again = api.post(f"/api/v1/clearance-batches/{batch.pk}/approve/")
    assert again.status_code == 400
    assert again.json() == {"detail": ["Only a proposed batch can be approved."]}


def test_batch_list_api_query_count_is_flat(
    api, manager, warehouse, make_slow, run_recompute, django_assert_max_num_queries
):
    for _n in range(5):
        make_slow(warehouse)
        run_recompute()
        services.batch_approve(batch=services.batch_propose(warehouse=warehouse), user=manager)
    api.force_authenticate(manager)
    with django_assert_max_num_queries(5):
        response = api.get("/api/v1/clearance-batches/")
    assert response.json()["count"] == 5
