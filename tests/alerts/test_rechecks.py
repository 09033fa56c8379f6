"""The real-time check's queue (alerts.rechecks): a burst of postings schedules one check,
which opens the alerts of every pair the burst touched; nothing queued is lost."""

import threading
from datetime import timedelta

import pytest
from django.db import connections, transaction
from django.utils import timezone

from alerts import rechecks, services, tasks
from alerts.models import Alert, PendingRecheck, RecheckFlag
from tests.alerts.conftest import plan, receive, sell
from tests.factories import SKUFactory, SupplierFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(monkeypatch):
    """The check tasks the postings published (the broker is not needed to count them)."""
    calls = []
    monkeypatch.setattr(
        tasks.recheck_pending_task, "apply_async", lambda *a, **kw: calls.append(kw)
    )
    return calls


def _planned_sku(warehouse, seller_sku):
    """On hand 100, reorder point 75 (d = 5 a day, lead time 10 + 5 days)."""
    sku = SKUFactory(
        seller_sku=seller_sku, supplier=SupplierFactory(lead_time_days=10, logistics_days=5)
    )
    receive(warehouse, sku, 100)
    plan(warehouse, sku, 5)
    return sku


def _committed(capture, func, *args):
    with capture(execute=True):
        return func(*args)


def test_a_burst_of_sales_schedules_one_check_that_opens_every_alert(
    warehouse, purchaser, published, django_capture_on_commit_callbacks
):
    skus = [_planned_sku(warehouse, f"LIP-{n:02}") for n in range(3)]
    rechecks.recheck_pending()  # the receipts' pairs: nothing to open
    published.clear()
    for sku in skus:
        _committed(django_capture_on_commit_callbacks, sell, warehouse, sku, 30)  # 70 < ROP 75
        _committed(django_capture_on_commit_callbacks, sell, warehouse, sku, 1)  # same pair
    assert published == [{"countdown": rechecks.WINDOW_SECONDS}]
    assert PendingRecheck.objects.count() == 3  # one row a pair, however many sales
    assert not Alert.objects.exists()  # nothing is checked before the task runs

    opened = tasks.recheck_pending_task()  # what the worker runs WINDOW_SECONDS later
    assert opened == 3
    assert sorted(Alert.objects.values_list("sku__seller_sku", "on_hand_at_open")) == [
        ("LIP-00", 69),
        ("LIP-01", 69),
        ("LIP-02", 69),
    ]
    assert not PendingRecheck.objects.exists() and not RecheckFlag.objects.exists()
    # The flag is free again: the next sale schedules the next check.
    _committed(django_capture_on_commit_callbacks, sell, warehouse, skus[0], 1)
    assert len(published) == 2


def test_a_flag_whose_check_was_lost_is_taken_over_by_a_later_posting(
    warehouse, purchaser, published, django_capture_on_commit_callbacks
):
    sku = _planned_sku(warehouse, "LIP-01")
    RecheckFlag.objects.update_or_create(
        pk=1, defaults={"taken_at": timezone.now() - rechecks.STALE_AFTER / 2}
    )
    published.clear()
    _committed(django_capture_on_commit_callbacks, sell, warehouse, sku, 30)
    assert published == []  # a check scheduled a moment ago may still be on its way
    RecheckFlag.objects.update(
        taken_at=timezone.now() - rechecks.STALE_AFTER - timedelta(seconds=1)
    )
    _committed(django_capture_on_commit_callbacks, sell, warehouse, sku, 1)
    assert len(published) == 1
    tasks.recheck_pending_task()
    assert Alert.objects.get().on_hand_at_open == 69


def test_a_check_that_fails_puts_its_pairs_back_for_the_next(
    warehouse, purchaser, published, monkeypatch, django_capture_on_commit_callbacks
):
    sku = _planned_sku(warehouse, "LIP-01")
    rechecks.recheck_pending()
    _committed(django_capture_on_commit_callbacks, sell, warehouse, sku, 30)
    real = services.recheck_pairs

    def failing(pairs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(services, "recheck_pairs", failing)
    with pytest.raises(RuntimeError):
        rechecks.recheck_pending()
    assert list(PendingRecheck.objects.values_list("sku_id", flat=True)) == [sku.pk]
    monkeypatch.setattr(services, "recheck_pairs", real)
    assert tasks.recheck_pending_task() == 1  # e.g. the beat's minute sweep
    assert Alert.objects.get().sku == sku


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_posting_that_finds_the_flag_while_the_check_starts_is_still_checked(
    warehouse, purchaser, published
):
    """Forced interleaving: a posting's hook finds the flag and has not committed when the
    scheduled check starts. The check must wait for it and then take its pair; without the
    lock on the flag (or with the queue read in the flag's statement) the pair would stay
    queued with no check scheduled."""
    sku = _planned_sku(warehouse, "LIP-01")
    rechecks.recheck_pending()
    RecheckFlag.objects.create(pk=1, taken_at=timezone.now())  # a check is scheduled
    movement = sell(warehouse, sku, 30).movement  # its own hook ran too (flag held: queued)
    PendingRecheck.objects.all().delete()
    hook_ran, commit = threading.Event(), threading.Event()

    def posting_hook():
        try:
            with transaction.atomic():
                assert rechecks.queue_after_posting([movement.pk]) is False  # found the flag
                hook_ran.set()
                commit.wait(10)
        finally:
            connections.close_all()

    hook = threading.Thread(target=posting_hook)
    hook.start()
    assert hook_ran.wait(10)
    taken = []
    check = threading.Thread(
        target=lambda: (taken.append(rechecks.take_pending()), connections.close_all())
    )
    check.start()
    check.join(0.5)
    assert check.is_alive()  # waiting for the posting's lock on the flag
    commit.set()
    hook.join(10)
    check.join(10)
    assert taken == [{(warehouse.pk, sku.pk)}]
    assert not RecheckFlag.objects.exists()


def test_queueing_works_with_every_query_logged_as_under_make_run(
    warehouse, purchaser, published, django_capture_on_commit_callbacks
):
    """`make run` has DEBUG on: Django then renders every statement with its parameters (on
    SQLite by binding them again), so the hook must not pass any it does not use."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    sku = _planned_sku(warehouse, "LIP-01")
    with CaptureQueriesContext(connection):
        _committed(django_capture_on_commit_callbacks, sell, warehouse, sku, 30)
    assert len(published) == 1
    assert list(PendingRecheck.objects.values_list("sku_id", flat=True)) == [sku.pk]


def test_when_the_queue_cannot_be_written_the_sale_is_checked_in_process(
    warehouse, purchaser, published, monkeypatch, django_capture_on_commit_callbacks
):
    sku = _planned_sku(warehouse, "LIP-01")

    def broken(movement_ids):
        raise RuntimeError("the queue's table is locked")

    monkeypatch.setattr(rechecks, "queue_after_posting", broken)
    posted = _committed(django_capture_on_commit_callbacks, sell, warehouse, sku, 30)
    assert posted.created
    assert Alert.objects.get().on_hand_at_open == 70
    assert published == []


def test_a_check_task_queued_by_the_previous_release_still_opens_its_alert(warehouse, purchaser):
    """An upgrade with the old per-posting tasks still in the broker: they are checked."""
    sku = _planned_sku(warehouse, "LIP-01")
    sale = sell(warehouse, sku, 30).movement  # no hook ran (the test's transaction never commits)
    assert tasks.recheck_movements_task([sale.pk]) == 1
    assert Alert.objects.get().on_hand_at_open == 70
    assert not PendingRecheck.objects.exists()
