"""Two managers approving the same count at the same moment post its adjustments once."""

import threading

import pytest
from django.db import connections

from counting.models import CountLine, CountSession, SessionStatus
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
