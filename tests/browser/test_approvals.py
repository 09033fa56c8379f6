"""A manager approves a count (its adjustments post once) and a clearance batch."""

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from clearance.models import BatchStatus, LineDecision
from clearance.services import batch_propose
from counting.models import SessionStatus
from counting.services import count_entry_add, session_create, session_submit
from inventory.ageing import ageing_facts_update
from inventory.facts import facts_ensure_rows
from inventory.models import MovementKind, StockBalance, StockMovement
from inventory.services import movement_post
from tests.browser.helpers import double_click, posts_of
from tests.factories import CategoryFactory, SKUFactory

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def on_hand(warehouse, seller_sku):
    return StockBalance.objects.get(warehouse=warehouse, sku__seller_sku=seller_sku).on_hand


@pytest.fixture
def submitted_count(warehouse, sku, staff):
    """TEE-RED-M: 10 in the book, 9 on the shelf; MUG-BLK: 4 in the book, 5 on the shelf (both
    within class C tolerance of 1 unit). Two TEE-RED-M ship after the count."""
    mug = SKUFactory(seller_sku="MUG-BLK")
    movement_post(warehouse=warehouse, sku=sku, kind=MovementKind.RECEIPT, quantity=10)
    movement_post(warehouse=warehouse, sku=mug, kind=MovementKind.RECEIPT, quantity=4)
    session = session_create(warehouse=warehouse, kind="cycle", skus=["TEE-RED-M", "MUG-BLK"])
    for code, qty in (("TEE-RED-M", 9), ("MUG-BLK", 5)):
        count_entry_add(
            session=session, code=code, quantity=qty, user=staff, idempotency_key=uuid.uuid4()
        )
    assert session_submit(session=session, user=staff).submitted
    movement_post(warehouse=warehouse, sku=sku, kind=MovementKind.SALE, quantity=-2)
    return session


def test_manager_reviews_and_approves_a_count_and_the_adjustments_post_once(
    page, login, manager, warehouse, submitted_count
):
    login(manager.username)
    page.goto(page.base_url + f"/counts/{submitted_count.pk}/review/")
    rows = page.locator("main table tbody tr")
    assert rows.count() == 2
    assert "TEE-RED-M" in rows.nth(0).inner_text() + rows.nth(1).inner_text()
    assert "+0 / " in page.locator("main").inner_text()  # net variance −1 + 1 units

    page.fill("#id_comment", "Shelf B3 recounted by Lin")
    posts = posts_of(page)
    double_click(page, "main button[type=submit]:has-text('Approve and post adjustments')")

    page.wait_for_selector(".alert-success")
    assert page.locator(".alert-success").first.inner_text() == (
        f"Count #{submitted_count.pk} approved: 2 count adjustments posted."
    )
    assert posts == [f"/counts/{submitted_count.pk}/approve/"]
    assert f"Approved by {manager.username}" in page.locator("main").inner_text()
    adjustments = StockMovement.objects.filter(kind=MovementKind.COUNT_ADJUSTMENT)
    assert sorted(adjustments.values_list("sku__seller_sku", "quantity")) == [
        ("MUG-BLK", 1),
        ("TEE-RED-M", -1),
    ]
    # Relative adjustments: the sale during the count stays counted (10 − 2 − 1).
    assert on_hand(warehouse, "TEE-RED-M") == 7 and on_hand(warehouse, "MUG-BLK") == 5
    submitted_count.refresh_from_db()
    assert (submitted_count.status, submitted_count.approved_by, submitted_count.comment) == (
        SessionStatus.APPROVED,
        manager,
        "Shelf B3 recounted by Lin",
    )


@pytest.fixture
def proposed_batch(warehouse):
    """Two SKUs received long ago and never sold: slow movers, proposed as a clearance batch."""
    toys = CategoryFactory(name="Toys")
    for code, age, qty, cost in (("OLD-A", 60, 10, "4.00"), ("OLD-B", 200, 5, "6.00")):
        sku = SKUFactory(seller_sku=code, category=toys, unit_cost=Decimal(cost))
        movement_post(
            warehouse=warehouse,
            sku=sku,
            kind=MovementKind.RECEIPT,
            quantity=qty,
            occurred_at=timezone.now() - timedelta(days=age),
        )
    today = timezone.localdate()
    facts_ensure_rows(today)
    ageing_facts_update(today)
    return batch_propose(warehouse=warehouse)


def test_manager_decides_the_lines_and_approves_a_clearance_batch_once(
    page, login, manager, proposed_batch
):
    line_b = proposed_batch.lines.get(sku__seller_sku="OLD-B")
    login(manager.username)
    page.goto(page.base_url + f"/clearance/batches/{proposed_batch.pk}/")
    assert "70.00 capital tied up" in page.locator("main").inner_text()  # 10 × 4 + 5 × 6

    page.select_option(f"select[name='line-{line_b.pk}-decision']", "rejected")
    page.click("main button[type=submit]:has-text('Save decisions')")
    page.wait_for_selector(".alert-success:has-text('Decisions saved.')")
    page.fill("#approve-comment", "Bundle OLD-A with the best seller")
    posts = posts_of(page)
    double_click(page, "main button[type=submit]:has-text('Approve the batch')")

    page.wait_for_selector(".alert-success:has-text('Batch approved.')")
    assert not page.locator(".alert-danger").count()
    assert posts == [f"/clearance/batches/{proposed_batch.pk}/approve/"]
    assert "Approved" in page.locator("main h1").inner_text()
    proposed_batch.refresh_from_db()
    assert (proposed_batch.status, proposed_batch.decided_by) == (BatchStatus.APPROVED, manager)
    assert proposed_batch.decision_comment == "Bundle OLD-A with the best seller"
    decisions = dict(proposed_batch.lines.values_list("sku__seller_sku", "decision"))
    assert decisions == {"OLD-A": LineDecision.APPROVED, "OLD-B": LineDecision.REJECTED}
