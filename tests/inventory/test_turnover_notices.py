"""The nightly "turnover band" step and the weekly manager summary."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from config.celery_app import app as celery_app
from inventory import hooks
from inventory.facts import recompute
from inventory.models import TurnoverNotice
from inventory.turnover_notices import notices_for, turnover_band_check, turnover_digest_send
from tests.factories import CategoryFactory, SKUFactory
from tests.inventory.turnover_helpers import at, receive, sell

pytestmark = pytest.mark.django_db

AS_OF = date(2025, 3, 31)  # trailing 90 days: 1 January .. 31 March


def churn(warehouse, sku, units, day):
    """Sell `units` and receive them back the same day: COGS without changing any closing."""
    receive(warehouse, sku, units, at(day, 8))
    sell(warehouse, sku, units, at(day, 18))


@pytest.fixture
def toys(db):
    return CategoryFactory(name="Toys")


@pytest.fixture
def idle_toy(warehouse, toys):
    sku = SKUFactory(seller_sku="TOY-IDLE", unit_cost=Decimal("1.00"), category=toys)
    receive(warehouse, sku, 100, at(date(2024, 12, 1)))
    return sku


def open_notices():
    return {
        (n.warehouse.code, n.category.name if n.category else None): n.band
        for n in TurnoverNotice.objects.filter(closed_on__isnull=True)
    }


def test_idle_stock_opens_notices_for_the_warehouse_and_its_category(idle_toy):
    result = turnover_band_check(AS_OF)

    assert open_notices() == {("A", None): "below", ("A", "Toys"): "below"}
    assert (result.opened, result.closed, result.open_now) == (2, 0, 2)
    notice = TurnoverNotice.objects.get(category__isnull=True)
    assert (notice.annualised_turnover, notice.average_inventory_value) == (0, Decimal("100"))
    assert (notice.opened_on, notice.checked_on, notice.period_days) == (AS_OF, AS_OF, 90)


def test_running_twice_keeps_one_open_notice_per_subject(idle_toy):
    turnover_band_check(AS_OF)
    second = turnover_band_check(AS_OF + timedelta(days=1))

    assert TurnoverNotice.objects.count() == 2
    assert (second.opened, second.closed) == (0, 0)
    assert set(TurnoverNotice.objects.values_list("checked_on", flat=True)) == {
        AS_OF + timedelta(days=1)
    }


def test_notice_closes_when_turnover_is_back_in_the_band(warehouse, idle_toy):
    turnover_band_check(AS_OF)
    # 180 units of COGS on an average of 100 over 90 days: 1.8 turns, 7.3 a year.
    churn(warehouse, idle_toy, 180, date(2025, 3, 20))

    result = turnover_band_check(AS_OF)

    assert open_notices() == {}
    assert result.closed == 2
    assert set(TurnoverNotice.objects.values_list("closed_on", flat=True)) == {AS_OF}


def test_a_category_above_the_band_while_the_warehouse_is_in_it(warehouse, toys, idle_toy):
    # Warehouse: 100 idle toys + 1,000 snacks; snacks churn 2,000: (2,000 / 1,100) × 365/90 = 7.4
    snacks = CategoryFactory(name="Snacks")
    chips = SKUFactory(seller_sku="CHIPS", unit_cost=Decimal("1.00"), category=snacks)
    receive(warehouse, chips, 1000, at(date(2024, 12, 1)))
    churn(warehouse, chips, 2000, date(2025, 2, 1))

    turnover_band_check(AS_OF)

    # Snacks alone: 2,000 / 1,000 × 365 / 90 = 8.1 (in); toys idle (below).
    assert open_notices() == {("A", "Toys"): "below"}
    snacks.turnover_max = Decimal("6")
    snacks.save()
    turnover_band_check(AS_OF)
    assert open_notices() == {("A", "Toys"): "below", ("A", "Snacks"): "above"}


def test_a_flip_from_below_to_above_closes_one_notice_and_opens_another(warehouse, idle_toy):
    turnover_band_check(AS_OF)
    churn(warehouse, idle_toy, 5000, date(2025, 3, 30))  # 50 turns in 90 days

    result = turnover_band_check(AS_OF)

    assert open_notices() == {("A", None): "above", ("A", "Toys"): "above"}
    assert (result.opened, result.closed) == (2, 2)
    assert TurnoverNotice.objects.filter(closed_on=AS_OF, band="below").count() == 2


def test_the_step_runs_in_the_nightly_job(idle_toy):
    assert any(
        name == "turnover band" and order == 40 for order, name, *_rest in hooks.nightly_steps
    )

    recompute(AS_OF)

    assert open_notices() == {("A", None): "below", ("A", "Toys"): "below"}


def test_managers_see_only_their_warehouses_notices_and_staff_none(
    idle_toy, other_warehouse, manager, staff, make_user
):
    receive(other_warehouse, SKUFactory(), 5, at(date(2024, 12, 1)))
    turnover_band_check(AS_OF)
    manager_b = make_user("manager", other_warehouse)

    assert {n.warehouse.code for n in notices_for(manager)} == {"A"}
    assert {n.warehouse.code for n in notices_for(manager_b)} == {"B"}
    assert list(notices_for(staff)) == []


def test_weekly_summary_emails_each_manager_their_own_notices(
    idle_toy, manager, staff, make_user, other_warehouse, mailoutbox
):
    make_user("manager", other_warehouse)  # B has no notice: no email
    turnover_band_check(AS_OF)

    sent = turnover_digest_send(AS_OF)

    assert sent == 1
    [mail] = mailoutbox
    assert mail.to == [manager.email]
    assert "turnover notices" in mail.subject
    assert "A / Toys: 0.000 (below 4.00–12.00)" in mail.body
    assert "/turnover/" in mail.body


def test_weekly_summary_reports_notices_closed_this_week_then_stops(
    warehouse, idle_toy, manager, mailoutbox
):
    turnover_band_check(AS_OF - timedelta(days=3))
    churn(warehouse, idle_toy, 180, date(2025, 3, 20))
    turnover_band_check(AS_OF)

    assert turnover_digest_send(AS_OF) == 1
    assert "Back in the band this week" in mailoutbox[0].body
    assert turnover_digest_send(AS_OF + timedelta(days=10)) == 0


def test_weekly_summary_is_scheduled_in_celery_beat():
    entry = celery_app.conf.beat_schedule["turnover-digest-weekly"]
    assert entry["task"] == "inventory.tasks.turnover_digest_task"
    assert entry["schedule"].day_of_week == {1}


def test_skus_without_a_category_count_for_the_warehouse_only(warehouse, idle_toy):
    loose = SKUFactory(seller_sku="LOOSE", unit_cost=Decimal("4.00"), category=None)
    receive(warehouse, loose, 5, at(date(2024, 12, 1)))
    churn(warehouse, idle_toy, 180, date(2025, 3, 20))

    turnover_band_check(AS_OF)

    # Warehouse: COGS 180 on 100 + 20 → 1.5 turns, 6.1 a year: in band. No "uncategorised"
    # notice is mistaken for the warehouse's own.
    assert open_notices() == {}
