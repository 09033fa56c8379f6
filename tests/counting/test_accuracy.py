"""IRA per session, per warehouse and class over time; last counted date per (warehouse, SKU)."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from counting.models import CountKind, CountLine, CountSession, SessionStatus
from counting.selectors import (
    accuracy_by_month,
    last_counted_by_key,
    last_counted_subquery,
    session_accuracy,
)
from counting.services import session_approve, session_reject, session_submit
from inventory.models import StockBalance
from tests.counting.helpers import enter, new_session, receive
from tests.factories import SKUFactory

pytestmark = pytest.mark.django_db
UTC = ZoneInfo("UTC")


def run_count(warehouse, user, book_and_first: dict[str, tuple[int, int, str]]):
    """SKU name -> (book, first count, class); out-of-tolerance lines are recounted right."""
    skus = []
    for name, (book, _first, _cls) in book_and_first.items():
        sku = SKUFactory._meta.model.objects.filter(seller_sku=name).first() or SKUFactory(
            seller_sku=name
        )
        if book:
            receive(warehouse, sku, book)
        skus.append(sku)
    session = new_session(warehouse, skus)
    for sku, (_book, first, cls) in zip(skus, book_and_first.values(), strict=True):
        CountLine.objects.filter(session=session, sku=sku).update(abc_class=cls)
        enter(session, sku, first, user)
    result = session_submit(session=session, user=user)
    for line in CountLine.objects.filter(session=session, recount_required=True).select_related(
        "sku"
    ):
        enter(session, line.sku, line.expected_qty, user)
    if not result.submitted:
        assert session_submit(session=session, user=user).submitted
    return session


def test_session_ira_is_first_count_hits_over_lines_counted(warehouse, manager):
    session = run_count(
        warehouse,
        manager,
        {"A1": (10, 10, "A"), "A2": (10, 9, "A"), "B1": (100, 98, "B"), "C1": (20, 21, "C")},
    )
    accuracy = session_accuracy(session)
    # A2 is 1 off (A allows 0); B1 2 off of 100 (2 %) is within; C1 1 off (floor 1) within.
    assert (accuracy.lines_counted, accuracy.within_first, accuracy.ira) == (4, 3, 0.75)


def test_ira_by_month_warehouse_and_class_over_approved_counts(
    warehouse, other_warehouse, make_user
):
    boss = make_user("manager", warehouse, other_warehouse)
    jan = run_count(warehouse, boss, {"X": (10, 10, "A"), "Y": (10, 5, "B")})
    feb = run_count(warehouse, boss, {"W": (0, 1, "A"), "Z": (10, 10, "C")})
    other = run_count(other_warehouse, boss, {"X": (5, 5, "A")})
    dropped = run_count(warehouse, boss, {"Q": (10, 1, "C")})
    for session in (jan, feb, other):
        session_approve(session=session, user=boss)
    session_reject(session=dropped, user=boss)  # rejected counts do not count
    CountSession.objects.filter(pk=jan.pk).update(approved_at=datetime(2026, 1, 15, tzinfo=UTC))
    CountSession.objects.filter(pk__in=[feb.pk, other.pk]).update(
        approved_at=datetime(2026, 2, 3, tzinfo=UTC)
    )
    rows = [
        (r["month"].strftime("%Y-%m"), r["warehouse_code"], r["abc_class"], r["lines"], r["within"])
        for r in accuracy_by_month(boss)
    ]
    assert rows == [
        ("2026-01", "A", "A", 1, 1),
        ("2026-01", "A", "B", 1, 0),
        ("2026-02", "A", "A", 1, 0),
        ("2026-02", "A", "C", 1, 1),
        ("2026-02", "B", "A", 1, 1),
    ]
    only_b = accuracy_by_month(boss, warehouse=other_warehouse)
    assert [(r["warehouse_code"], r["lines"]) for r in only_b] == [("B", 1)]


def test_ira_is_scoped_to_the_users_warehouses(warehouse, other_warehouse, make_user):
    boss_b = make_user("manager", other_warehouse)
    session = run_count(other_warehouse, boss_b, {"X": (5, 5, "A")})
    session_approve(session=session, user=boss_b)
    assert accuracy_by_month(make_user("manager", warehouse)) == []


def test_last_counted_per_warehouse_and_sku_uses_approved_counts_only(warehouse, other_warehouse):
    sku = SKUFactory(seller_sku="LC")
    older = CountSession.objects.create(
        warehouse=warehouse, kind=CountKind.CYCLE, status=SessionStatus.APPROVED
    )
    newer_rejected = CountSession.objects.create(
        warehouse=warehouse, kind=CountKind.CYCLE, status=SessionStatus.REJECTED
    )
    newer = CountSession.objects.create(
        warehouse=warehouse, kind=CountKind.CYCLE, status=SessionStatus.APPROVED
    )
    elsewhere = CountSession.objects.create(
        warehouse=other_warehouse, kind=CountKind.FULL, status=SessionStatus.APPROVED
    )
    stamps = {
        older: datetime(2026, 1, 1, tzinfo=UTC),
        newer: datetime(2026, 2, 1, tzinfo=UTC),
        newer_rejected: datetime(2026, 3, 1, tzinfo=UTC),
        elsewhere: datetime(2026, 1, 20, tzinfo=UTC),
    }
    for session, when in stamps.items():
        CountLine.objects.create(session=session, sku=sku, counted_qty=1, counted_at=when)
    assert last_counted_by_key(sku_ids=[sku.pk]) == {
        (warehouse.pk, sku.pk): stamps[newer],
        (other_warehouse.pk, sku.pk): stamps[elsewhere],
    }
    receive(warehouse, sku, 1)
    receive(other_warehouse, sku, 1)
    annotated = dict(
        StockBalance.objects.filter(sku=sku)
        .annotate(last=last_counted_subquery())
        .values_list("warehouse__code", "last")
    )
    assert annotated == {"A": stamps[newer], "B": stamps[elsewhere]}
