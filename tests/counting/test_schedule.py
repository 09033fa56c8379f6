"""The daily schedule: due by class, post-promotion spikes, negative balances, capacity."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.utils import timezone

from config.celery_app import app as celery_app
from counting.models import (
    CountKind,
    CountLine,
    CountSession,
    FullCountReminder,
    LineReason,
    SessionStatus,
)
from counting.services import (
    cycle_count_candidates,
    cycle_count_propose,
    full_count_due,
    full_count_remind,
    session_create,
)
from counting.services.schedule import daily_capacity, local_today
from counting.tasks import daily_count_schedule_task
from inventory.facts import facts_ensure_rows
from inventory.models import SkuFacts
from tests.counting.helpers import receive, sell
from tests.factories import SKUFactory, UserFactory, WarehouseFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def capacity(settings):
    def set_capacity(lines_per_counter, counters=None):
        settings.STOCKWISE = {
            **settings.STOCKWISE,
            "COUNT_LINES_PER_COUNTER_PER_DAY": lines_per_counter,
            "COUNT_COUNTERS_PER_WAREHOUSE": counters,
        }

    return set_capacity


def stocked(warehouse, name, *, cls="", avg=0.0, peak=0):
    sku = SKUFactory(seller_sku=name)
    receive(warehouse, sku, 5)
    facts_ensure_rows(timezone.localdate())
    SkuFacts.objects.filter(warehouse=warehouse, sku=sku).update(
        abc_class=cls, avg_daily_demand=avg, max_daily_sales_recent=peak
    )
    return sku


def counted_days_ago(warehouse, sku, days):
    """An approved count of `sku` on local day today - days."""
    tz = ZoneInfo(warehouse.timezone)
    when = datetime.combine(local_today(warehouse) - timedelta(days=days), time(15, 0), tzinfo=tz)
    session = CountSession.objects.create(
        warehouse=warehouse, kind=CountKind.CYCLE, status=SessionStatus.APPROVED, approved_at=when
    )
    CountLine.objects.create(
        session=session, sku=sku, counted_qty=5, expected_qty=5, counted_at=when
    )


def proposed(warehouse, **kwargs):
    return {row.sku.seller_sku: row.reason for row in cycle_count_candidates(warehouse, **kwargs)}


def test_due_by_class_frequency(warehouse):
    cases = {
        ("A-8", "A", 7): True,  # A every 7 days: counted 7 days ago -> due
        ("A-6", "A", 6): False,
        ("B-30", "B", 30): True,
        ("B-29", "B", 29): False,
        ("C-90", "C", 90): True,
        ("C-89", "C", 89): False,
        ("NONE-90", "", 90): True,  # no class counts as C
        ("NONE-60", "", 60): False,
    }
    for (name, cls, days), _due in cases.items():
        counted_days_ago(warehouse, stocked(warehouse, name, cls=cls), days)
    never = stocked(warehouse, "NEVER", cls="C")
    got = proposed(warehouse)
    assert set(got) == {name for (name, _c, _d), due in cases.items() if due} | {never.seller_sku}
    assert set(got.values()) == {LineReason.DUE}


def test_capacity_is_lines_per_counter_times_staff_counters(warehouse, capacity):
    capacity(2)
    for name in ("bob", "eve"):
        UserFactory(username=name, role="staff", warehouses=[warehouse])
    UserFactory(username="boss", role="manager", warehouses=[warehouse])  # not a counter
    assert daily_capacity(warehouse) == 4
    capacity(2, counters=3)
    assert daily_capacity(warehouse) == 6


def test_oldest_counted_first_within_capacity(warehouse, capacity):
    capacity(3, counters=1)
    for name, days in [("B-40", 40), ("B-100", 100), ("B-35", 35), ("B-60", 60)]:
        counted_days_ago(warehouse, stocked(warehouse, name, cls="B"), days)
    stocked(warehouse, "NEW", cls="C")  # never counted: first of all
    session = cycle_count_propose(warehouse=warehouse)
    lines = CountLine.objects.filter(session=session).values_list("sku__seller_sku", flat=True)
    assert sorted(lines) == ["B-100", "B-60", "NEW"]


def test_never_counted_class_a_goes_before_c(warehouse, capacity):
    capacity(1, counters=1)
    stocked(warehouse, "AAA-C", cls="C")
    stocked(warehouse, "ZZZ-A", cls="A")
    assert list(proposed(warehouse)) == ["ZZZ-A"]


def test_sales_spike_after_a_promotion_triggers_a_count(warehouse):
    # B counted 10 days ago is not due (30 days) ... unless a day's sales exceeded 3 x d-bar.
    spike = stocked(warehouse, "PROMO", cls="B", avg=2.0, peak=7)
    counted_days_ago(warehouse, spike, 10)
    at_limit = stocked(warehouse, "AT-LIMIT", cls="B", avg=2.0, peak=6)  # 6 = 3 x 2: not more
    counted_days_ago(warehouse, at_limit, 10)
    recent = stocked(warehouse, "JUST-COUNTED", cls="B", avg=2.0, peak=20)
    counted_days_ago(warehouse, recent, 2)  # counted after the spike: not again
    assert proposed(warehouse) == {"PROMO": LineReason.SPIKE}


def test_negative_balance_is_counted_first(capacity):
    capacity(1, counters=1)
    loose = WarehouseFactory(code="LOOSE", allow_negative_stock=True)
    stocked(loose, "NEVER-COUNTED", cls="A")
    oversold = stocked(loose, "OVERSOLD", cls="C")
    counted_days_ago(loose, oversold, 1)
    sell(loose, oversold, 7)  # 5 - 7 = -2
    assert proposed(loose) == {"OVERSOLD": LineReason.NEGATIVE}


def test_skus_on_an_open_count_are_not_proposed_again(warehouse, manager):
    listed = stocked(warehouse, "LISTED")
    stocked(warehouse, "FREE")
    session_create(warehouse=warehouse, kind=CountKind.CYCLE, skus=[listed.seller_sku])
    assert set(proposed(warehouse)) == {"FREE"}


def test_inactive_sku_without_stock_is_not_proposed(warehouse):
    gone = stocked(warehouse, "GONE")
    sell(warehouse, gone, 5)
    gone.active = False
    gone.save()
    assert proposed(warehouse) == {}


def test_proposal_is_made_once_per_day_and_none_when_nothing_is_due(warehouse):
    stocked(warehouse, "ONE")
    first = cycle_count_propose(warehouse=warehouse)
    again = cycle_count_propose(warehouse=warehouse)
    assert first.pk == again.pk and first.status == SessionStatus.DRAFT
    assert first.scheduled_for == local_today(warehouse)
    empty = WarehouseFactory(code="EMPTY")
    assert cycle_count_propose(warehouse=empty) is None


def test_yesterdays_unstarted_proposal_is_replaced(warehouse):
    stocked(warehouse, "ONE")
    today = local_today(warehouse)
    yesterday = cycle_count_propose(warehouse=warehouse, today=today - timedelta(days=1))
    fresh = cycle_count_propose(warehouse=warehouse, today=today)
    yesterday.refresh_from_db()
    assert yesterday.status == SessionStatus.REJECTED and "Not started" in yesterday.comment
    assert list(fresh.lines.values_list("sku__seller_sku", flat=True)) == ["ONE"]


def test_cycle_count_without_skus_takes_todays_proposal(warehouse, manager):
    stocked(warehouse, "DUE-1")
    session = session_create(warehouse=warehouse, kind=CountKind.CYCLE, user=manager)
    assert list(session.lines.values_list("reason", flat=True)) == [LineReason.DUE]
    assert session.scheduled_for is None


def test_daily_task_proposes_per_warehouse_and_is_in_the_beat_schedule(warehouse, other_warehouse):
    stocked(warehouse, "IN-A")
    stocked(other_warehouse, "IN-B")
    assert daily_count_schedule_task() == 2
    assert daily_count_schedule_task() == 2  # same sessions, nothing new
    assert CountSession.objects.count() == 2
    tasks = {entry["task"] for entry in celery_app.conf.beat_schedule.values()}
    assert "counting.tasks.daily_count_schedule_task" in tasks


def test_full_count_lists_every_sku_with_stock(warehouse, manager):
    stocked(warehouse, "ONE")
    stocked(warehouse, "TWO")
    session = session_create(warehouse=warehouse, kind=CountKind.FULL, user=manager)
    assert sorted(session.lines.values_list("reason", flat=True)) == [LineReason.FULL] * 2


def test_full_count_reminder_is_mailed_to_the_warehouse_managers_once(
    warehouse, django_capture_on_commit_callbacks
):
    UserFactory(username="boss", role="manager", warehouses=[warehouse], email="boss@shop.test")
    UserFactory(username="elsewhere", role="manager", warehouses=[], email="no@shop.test")
    UserFactory(username="counter", role="staff", warehouses=[warehouse], email="c@shop.test")
    assert full_count_due(warehouse)
    with django_capture_on_commit_callbacks(execute=True):
        assert full_count_remind(warehouse=warehouse) is True
    with django_capture_on_commit_callbacks(execute=True):
        assert full_count_remind(warehouse=warehouse) is False
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["boss@shop.test"]
    assert message.subject == "Full count due in warehouse A"
    assert "/counts/new/?kind=full&warehouse=A" in message.body
    assert FullCountReminder.objects.count() == 1


def test_full_count_is_due_again_90_days_after_the_last_approved_one(warehouse):
    last = CountSession.objects.create(
        warehouse=warehouse, kind=CountKind.FULL, status=SessionStatus.APPROVED
    )
    today = local_today(warehouse)
    for days, due in [(89, False), (90, True)]:
        when = datetime.combine(today - timedelta(days=days), time(12), tzinfo=ZoneInfo("UTC"))
        CountSession.objects.filter(pk=last.pk).update(approved_at=when)
        assert full_count_due(warehouse) is due
    CountSession.objects.create(warehouse=warehouse, kind=CountKind.FULL)  # one in progress
    assert full_count_due(warehouse) is False
