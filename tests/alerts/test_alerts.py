"""Alerts: opened once when a posting crosses a line, escalated, resolved by themselves, never
duplicated (also under concurrent sales on PostgreSQL)."""

import threading

import pytest
from django.db import connections
from django.utils import timezone

from alerts import apps as alerts_apps
from alerts.models import Alert, OutboxEmail, OutboxStatus, PlanningFigures
from alerts.services import alert_acknowledge, alerts_sync
from inventory.facts import recompute
from tests.alerts.conftest import plan, receive, sell
from tests.factories import SKUFactory, SupplierFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def planned(warehouse, purchaser):
    """L = 15 days, d = 5 a day, no variability: SS 0, ROP 75, S = 5 * 22 = 110. On hand 100."""
    sku = SKUFactory(
        seller_sku="LIP-01", supplier=SupplierFactory(lead_time_days=10, logistics_days=5)
    )
    receive(warehouse, sku, 100)
    plan(warehouse, sku, 5)
    row = PlanningFigures.objects.get(warehouse=warehouse, sku=sku)
    assert (row.status, row.reorder_point_units, row.safety_stock_units) == ("OK", 75, 0)
    return sku


def post_and_commit(capture, func, *args, **kwargs):
    with capture(execute=True):
        return func(*args, **kwargs)


def test_sale_that_crosses_the_reorder_point_opens_one_alert(
    warehouse, planned, eager, django_capture_on_commit_callbacks
):
    post_and_commit(django_capture_on_commit_callbacks, sell, warehouse, planned, 20)  # 80: OK
    assert not Alert.objects.exists()
    post_and_commit(django_capture_on_commit_callbacks, sell, warehouse, planned, 6)  # 74
    alert = Alert.objects.get()
    assert (alert.status, alert.severity, alert.trigger) == ("REORDER", "medium", "posting")
    assert (alert.on_hand_at_open, alert.reorder_point_units) == (74, 75)
    row = PlanningFigures.objects.get(warehouse=warehouse, sku=planned)
    assert (row.on_hand, row.status, row.suggested_order_qty) == (74, "REORDER", 36)
    assert OutboxEmail.objects.filter(kind="alert_open").count() == 1
    # Still below: no second alert, no second email.
    post_and_commit(django_capture_on_commit_callbacks, sell, warehouse, planned, 4)
    assert Alert.objects.count() == 1
    assert OutboxEmail.objects.filter(kind="alert_open").count() == 1


def test_an_open_alert_escalates_to_stockout_without_a_second_email(
    warehouse, planned, eager, django_capture_on_commit_callbacks
):
    post_and_commit(django_capture_on_commit_callbacks, sell, warehouse, planned, 30)
    post_and_commit(django_capture_on_commit_callbacks, sell, warehouse, planned, 70)  # 0 left
    alert = Alert.objects.get()
    assert (alert.opened_status, alert.status, alert.severity) == (
        "REORDER",
        "STOCKOUT",
        "critical",
    )
    assert alert.urgency == 0
    assert OutboxEmail.objects.count() == 1


def test_the_alert_resolves_by_itself_when_stock_recovers_and_reopens_later(
    warehouse, planned, eager, django_capture_on_commit_callbacks
):
    post_and_commit(django_capture_on_commit_callbacks, sell, warehouse, planned, 30)  # 70
    post_and_commit(django_capture_on_commit_callbacks, receive, warehouse, planned, 100)  # 170
    alert = Alert.objects.get()
    assert alert.resolved_at is not None
    assert alert.resolved_by is None  # automatic
    assert alert.resolved_status == "OK"
    post_and_commit(django_capture_on_commit_callbacks, sell, warehouse, planned, 100)  # 70
    assert Alert.objects.count() == 2
    assert Alert.objects.filter(resolved_at__isnull=True).count() == 1
    assert OutboxEmail.objects.count() == 2  # one per opening


def test_the_nightly_run_opens_and_resolves_alerts(warehouse, planned):
    PlanningFigures.objects.filter(sku=planned).update(on_hand=0, status="STOCKOUT", urgency=0)
    assert len(alerts_sync()) == 1
    assert Alert.objects.get().severity == "critical"
    assert alerts_sync() == []  # still open: nothing new
    PlanningFigures.objects.filter(sku=planned).update(status="OVERSTOCK", urgency=3)
    alerts_sync()
    assert Alert.objects.get().resolved_status == "OVERSTOCK"


def test_nightly_recompute_follows_the_ledger(warehouse, purchaser):
    """No demand facts needed by hand: a SKU that sold its stock is a STOCKOUT after the job."""
    sku = SKUFactory()
    receive(warehouse, sku, 5, occurred_at=timezone.now() - timezone.timedelta(days=3))
    sell(warehouse, sku, 5, occurred_at=timezone.now() - timezone.timedelta(days=2))
    recompute()
    alert = Alert.objects.get(sku=sku)
    assert (alert.status, alert.trigger) == ("STOCKOUT", "nightly")


def test_a_sku_never_recomputed_is_left_to_the_nightly_run(
    warehouse, eager, django_capture_on_commit_callbacks
):
    sku = SKUFactory()
    post_and_commit(django_capture_on_commit_callbacks, receive, warehouse, sku, 1)
    post_and_commit(django_capture_on_commit_callbacks, sell, warehouse, sku, 1)
    assert not Alert.objects.exists()


def test_a_broker_outage_never_fails_a_committed_sale(
    warehouse, planned, monkeypatch, django_capture_on_commit_callbacks
):
    from alerts import tasks

    def down(*args, **kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr(tasks.recheck_pending_task, "apply_async", down)
    monkeypatch.setattr(tasks.send_outbox_email_task, "delay", down)
    posted = post_and_commit(django_capture_on_commit_callbacks, sell, warehouse, planned, 30)
    assert posted.created
    # The check ran in-process instead: the alert is open and its email waits in the outbox for
    # the sweep (tests/alerts/test_worker_faults.py sends it after the broker is back).
    assert Alert.objects.filter(resolved_at=None).count() == 1
    assert OutboxEmail.objects.get().status == OutboxStatus.PENDING
    assert alerts_apps.enqueue_recheck in __import__("inventory").hooks.after_movements_posted


def test_a_failing_in_process_check_never_fails_a_committed_sale(
    warehouse, planned, monkeypatch, django_capture_on_commit_callbacks
):
    from alerts import services, tasks

    def down(*args, **kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr(tasks.recheck_pending_task, "apply_async", down)
    monkeypatch.setattr(services, "recheck_pairs", down)
    posted = post_and_commit(django_capture_on_commit_callbacks, sell, warehouse, planned, 30)
    assert posted.created and not Alert.objects.exists()  # the nightly run will catch up


def test_acknowledging_records_who_and_when_once(warehouse, planned, purchaser, manager):
    PlanningFigures.objects.filter(sku=planned).update(status="REORDER", urgency=2)
    alerts_sync()
    alert = Alert.objects.get()
    alert_acknowledge(alert=alert, user=purchaser)
    alert_acknowledge(alert=alert, user=manager)  # the first acknowledgement stands
    alert.refresh_from_db()
    assert alert.acknowledged_by == purchaser and alert.acknowledged_at is not None


def _threads(count, target):
    barrier = threading.Barrier(count)
    errors = []

    def work(i):
        try:
            barrier.wait()
            target(i)
        except Exception as exc:  # noqa: BLE001 - any error fails the test
            errors.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return errors


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_", range(4))
def test_concurrent_sales_crossing_the_line_open_one_alert_and_one_email(
    warehouse, purchaser, eager, round_
):
    sku = SKUFactory(supplier=SupplierFactory(lead_time_days=10, logistics_days=5))
    receive(warehouse, sku, 100)
    plan(warehouse, sku, 5)  # ROP 75

    # 16 sales of 3 from 100: the line (75) is crossed at the 9th; checks of earlier sales that
    # read 80-odd units must not resolve the alert a later check opened.
    errors = _threads(16, lambda i: sell(warehouse, sku, 3, external_ref=f"o-{i}", source="t"))
    assert errors == []
    assert Alert.objects.filter(sku=sku).count() == 1
    assert Alert.objects.get(sku=sku).resolved_at is None
    assert OutboxEmail.objects.filter(kind="alert_open").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_", range(3))
def test_concurrent_checks_of_the_same_sku_never_duplicate_an_open_alert(
    warehouse, purchaser, round_
):
    sku = SKUFactory()
    receive(warehouse, sku, 10)
    plan(warehouse, sku, 5)
    row = PlanningFigures.objects.get(sku=sku)
    PlanningFigures.objects.filter(pk=row.pk).update(status="BELOW_SAFETY", urgency=1)
    opened = []
    errors = _threads(16, lambda i: opened.extend(alerts_sync(planning_ids=[row.pk])))
    assert errors == []
    assert len(opened) == 1
    assert Alert.objects.filter(sku=sku, resolved_at__isnull=True).count() == 1
    assert OutboxEmail.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_check_that_read_stale_stock_cannot_resolve_an_alert_a_later_check_opened(
    warehouse, purchaser, monkeypatch
):
    """Forced interleaving: check A reads 80 units and stalls; a sale brings stock to 73 and
    check B runs. B must wait for A; without the row lock A would resolve B's alert."""
    from alerts import planning
    from alerts.services import recheck_pairs
    from inventory import hooks

    monkeypatch.setattr(hooks, "after_movements_posted", [])
    sku = SKUFactory(supplier=SupplierFactory(lead_time_days=10, logistics_days=5))
    receive(warehouse, sku, 100)
    plan(warehouse, sku, 5)  # ROP 75
    sell(warehouse, sku, 20)  # 80: still OK
    a_has_read, go = threading.Event(), threading.Event()
    real_on_order = planning.on_order_by_key

    def stalling_on_order(**kwargs):
        result = real_on_order(**kwargs)
        if threading.current_thread().name == "A":
            a_has_read.set()
            go.wait(10)
        return result

    monkeypatch.setattr(planning, "on_order_by_key", stalling_on_order)
    errors = []

    def check(name):
        try:
            recheck_pairs({(warehouse.pk, sku.pk)})
        except Exception as exc:  # noqa: BLE001
            errors.append(repr(exc))
        finally:
            connections.close_all()

    a = threading.Thread(target=check, args=("A",), name="A")
    a.start()
    assert a_has_read.wait(10)
    sell(warehouse, sku, 7)  # 73: crosses the reorder point
    b = threading.Thread(target=check, args=("B",), name="B")
    b.start()
    b.join(1.0)  # with the lock, B is waiting for A here
    go.set()
    a.join(10)
    b.join(10)
    assert errors == []
    alert = Alert.objects.get(sku=sku)
    assert (alert.status, alert.resolved_at) == ("REORDER", None)
    assert PlanningFigures.objects.get(sku=sku).on_hand == 73
