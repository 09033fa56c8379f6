"""Two managers approving the same count at the same moment post its adjustments once;
counters scanning into one count at the same moment lose nothing and count nothing twice."""

import threading
import uuid

import pytest
from django.db import connections

from counting.models import CountEntry, CountLine, CountSession, SessionStatus
from counting.services import session_approve, session_submit
from inventory.models import MovementKind, StockMovement
from inventory.selectors import ledger_mismatches, on_hand
from tests.counting.helpers import enter, new_session, receive
from tests.factories import SKUFactory, UserFactory, WarehouseFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_threads(count, target):
    barrier = threading.Barrier(count)
    errors, results = [], []

    def worker(index):
        try:
            barrier.wait()
            results.append(target(index))
        except Exception as exc:  # noqa: BLE001 - every unexpected error fails the test
            errors.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return errors, results


@pytest.mark.parametrize("round_", range(3))
def test_concurrent_double_approval_posts_once(round_):
    warehouse = WarehouseFactory(code=f"C{round_}")
    staff = UserFactory(username=f"counter{round_}", role="staff", warehouses=[warehouse])
    managers = [
        UserFactory(username=f"boss{round_}_{i}", role="manager", warehouses=[warehouse])
        for i in range(4)
    ]
    skus = [SKUFactory() for _ in range(3)]
    for sku in skus:
        receive(warehouse, sku, 100)
    session = new_session(warehouse, skus)
    for sku, counted in zip(skus, (97, 98, 100), strict=True):
        enter(session, sku, counted, staff)
    assert session_submit(session=session, user=staff).submitted

    def approve(index):
        fresh = CountSession.objects.get(pk=session.pk)
        return session_approve(session=fresh, user=managers[index])

    errors, results = run_threads(4, approve)
    assert errors == []
    assert sorted(r.created for r in results) == [False, False, False, True]
    adjustments = StockMovement.objects.filter(kind=MovementKind.COUNT_ADJUSTMENT)
    assert sorted(adjustments.values_list("quantity", flat=True)) == [-3, -2]
    assert [on_hand(warehouse=warehouse, sku=s) for s in skus] == [97, 98, 100]
    assert CountSession.objects.get(pk=session.pk).status == SessionStatus.APPROVED
    winner = next(r for r in results if r.created)
    assert CountSession.objects.get(pk=session.pk).approved_by == winner.session.approved_by
    assert CountLine.objects.filter(adjustment__isnull=False).count() == 2
    assert ledger_mismatches() == []


@pytest.mark.parametrize("round_", range(2))
def test_concurrent_scans_add_up_and_a_raced_double_submit_counts_once(round_):
    """Scans of one session run side by side (a shared session lock, one lock per line): every
    scan is counted once, and two submits of one key at the same moment make one entry."""
    warehouse = WarehouseFactory(code=f"S{round_}")
    counters = [
        UserFactory(username=f"scan{round_}_{i}", role="staff", warehouses=[warehouse])
        for i in range(6)
    ]
    skus = [SKUFactory() for _ in range(3)]
    for sku in skus:
        receive(warehouse, sku, 50)
    session = new_session(warehouse, skus)
    enter(session, skus[0], 1, counters[0])  # the first entry starts the count
    twice = uuid.uuid4()

    def scan(index):
        fresh = CountSession.objects.get(pk=session.pk)
        if index >= 4:  # the same key, sent by two requests at once
            return enter(fresh, skus[0], 5, counters[index], key=twice)
        results = []
        for n in range(5):
            results.append(enter(fresh, skus[(index + n) % 3], 1, counters[index]))
        return results

    errors, results = run_threads(6, scan)
    assert errors == []
    raced = [r for r in results if not isinstance(r, list)]
    assert sorted(r.created for r in raced) == [False, True]
    assert CountEntry.objects.filter(idempotency_key=twice).count() == 1
    lines = {line.sku_id: line for line in CountLine.objects.filter(session=session)}
    # 1 before + 4 counters × 5 scans of 1 + one entry of 5 = 26 units over the three lines.
    assert sum(line.counted_qty or 0 for line in lines.values()) == 26
    for sku in skus:
        entries = CountEntry.objects.filter(line=lines[sku.pk], undone_at__isnull=True)
        assert lines[sku.pk].counted_qty == sum(e.quantity for e in entries)
