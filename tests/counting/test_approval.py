"""Approval posts one relative COUNT_ADJUSTMENT per line with a variance, once."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from counting.models import CountLine, SessionStatus
from counting.services import session_approve, session_reject, session_submit
from inventory.models import MovementKind, StockMovement
from inventory.selectors import ledger_mismatches, on_hand
from tests.counting.helpers import enter, new_session, receive, sell
from tests.factories import SKUFactory, WarehouseFactory

pytestmark = pytest.mark.django_db


def counted_and_submitted(warehouse, staff, counts: dict):
    """SKU -> (book, counted); returns the submitted session."""
    skus = []
    for name, (book, _counted) in counts.items():
        sku = SKUFactory(seller_sku=name)
        if book:
            receive(warehouse, sku, book)
        skus.append(sku)
    session = new_session(warehouse, skus)
    for sku, (_book, counted) in zip(skus, counts.values(), strict=True):
        enter(session, sku, counted, staff)
    result = session_submit(session=session, user=staff)
    assert result.submitted, result.recount_skus
    return session


def test_approval_posts_relative_adjustments_and_keeps_later_movements_right(
    warehouse, staff, manager
):
    # C class: 100 -> 97 is within 5 %, 10 -> 11 within 1 unit, 8 -> 8 no variance.
    session = counted_and_submitted(
        warehouse, staff, {"SHORT": (100, 97), "OVER": (10, 11), "EXACT": (8, 8)}
    )
    short = SKUFactory._meta.model.objects.get(seller_sku="SHORT")
    sell(warehouse, short, 5)  # ships after the count, before the approval
    result = session_approve(session=session, user=manager, comment="ok")
    assert (result.created, result.posted) == (True, 2)
    adjustments = StockMovement.objects.filter(kind=MovementKind.COUNT_ADJUSTMENT)
    assert sorted(adjustments.values_list("sku__seller_sku", "quantity")) == [
        ("OVER", 1),
        ("SHORT", -3),
    ]
    line = CountLine.objects.get(sku=short)
    assert line.adjustment.external_ref == f"count:{session.pk}:{line.pk}"
    assert line.adjustment.source == "count" and line.adjustment.user == manager
    # 100 - 5 sold - 3 missing = 92: the sale after the count is not undone.
    assert on_hand(warehouse=warehouse, sku=short) == 92
    session.refresh_from_db()
    assert (session.status, session.approved_by, session.comment) == (
        SessionStatus.APPROVED,
        manager,
        "ok",
    )
    assert session.approved_at is not None
    assert ledger_mismatches() == []


def test_second_approval_posts_nothing(warehouse, staff, manager):
    session = counted_and_submitted(warehouse, staff, {"X": (10, 9)})
    session_approve(session=session, user=manager)
    again = session_approve(session=session, user=manager)
    assert (again.created, again.posted) == (False, 0)
    assert StockMovement.objects.filter(kind=MovementKind.COUNT_ADJUSTMENT).count() == 1


def test_only_managers_approve(warehouse, staff):
    session = counted_and_submitted(warehouse, staff, {"X": (10, 9)})
    with pytest.raises(PermissionDenied):
        session_approve(session=session, user=staff)
    assert not StockMovement.objects.filter(kind=MovementKind.COUNT_ADJUSTMENT).exists()


def test_a_count_in_progress_cannot_be_approved(warehouse, sku, staff, manager):
    session = new_session(warehouse, [sku])
    enter(session, sku, 1, staff)
    with pytest.raises(ValidationError, match="only a submitted count can be approved"):
        session_approve(session=session, user=manager)


def test_rejection_posts_nothing(warehouse, staff, manager):
    session = counted_and_submitted(warehouse, staff, {"X": (10, 9)})
    session_reject(session=session, user=manager, comment="recount next week")
    session.refresh_from_db()
    assert (session.status, session.rejected_by) == (SessionStatus.REJECTED, manager)
    assert not StockMovement.objects.filter(kind=MovementKind.COUNT_ADJUSTMENT).exists()
    with pytest.raises(ValidationError, match="only a submitted count can be approved"):
        session_approve(session=session, user=manager)


def test_adjustment_that_would_go_negative_is_refused_whole(staff, manager):
    warehouse = WarehouseFactory(code="A")
    session = counted_and_submitted(warehouse, staff, {"P": (10, 10), "Q": (3, 2)})
    q = SKUFactory._meta.model.objects.get(seller_sku="Q")
    sell(warehouse, q, 3)  # the book is 0 now; -1 would make it negative
    with pytest.raises(ValidationError, match="Not approved: Not enough stock of Q in A"):
        session_approve(session=session, user=manager)
    session.refresh_from_db()
    assert session.status == SessionStatus.SUBMITTED
    assert not StockMovement.objects.filter(kind=MovementKind.COUNT_ADJUSTMENT).exists()
