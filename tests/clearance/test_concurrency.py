"""Concurrent clicks on real PostgreSQL: a disposal is posted once, a SKU joins one open batch."""

import pytest

from clearance import services
from clearance.models import ClearanceBatch, ClearanceLine, Strategy
from inventory.models import MovementKind, StockMovement
from tests.inventory.test_concurrency import run_threads

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_eight_simultaneous_done_clicks_post_one_write_off(
    warehouse, make_slow, run_recompute, manager
):
    make_slow(warehouse, qty=10, seller_sku="RACE-1")
    run_recompute()
    batch = services.batch_propose(warehouse=warehouse)
    line = batch.lines.get()
    services.lines_update(
        batch=batch,
        user=manager,
        edits=[services.LineEdit(line.pk, "approved", Strategy.WRITE_OFF, 10, None)],
    )
    services.batch_approve(batch=batch, user=manager)

    errors = run_threads(8, lambda _i: services.line_mark_done(line=line, user=manager))

    assert errors == []
    assert StockMovement.objects.filter(kind=MovementKind.WRITE_OFF).count() == 1
    assert ClearanceLine.objects.get(pk=line.pk).done


def test_simultaneous_proposals_never_put_a_sku_in_two_open_batches(
    warehouse, make_slow, run_recompute
):
    for n in range(5):
        make_slow(warehouse, seller_sku=f"RACE-{n}")
    run_recompute()

    errors = run_threads(6, lambda _i: services.batch_propose(warehouse=warehouse))

    assert errors == []
    assert ClearanceBatch.objects.count() == 1
    assert ClearanceLine.objects.count() == 5
