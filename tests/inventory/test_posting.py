"""The posting service: every stock change, its refusals, idempotency and atomicity."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from inventory import hooks
from inventory.models import MovementKind, StockBalance, StockMovement
from inventory.selectors import on_hand
from inventory.services import (
    MovementLine,
    PostingError,
    movement_post,
    movements_post,
    transfer_post,
)
from tests.factories import WarehouseFactory

pytestmark = pytest.mark.django_db


def receive(warehouse, sku, qty, **kw):
    return movement_post(
        warehouse=warehouse, sku=sku, kind=MovementKind.RECEIPT, quantity=qty, **kw
    )


def test_receipt_adds_stock_and_records_cost_and_user(warehouse, sku, manager):
    posted = receive(warehouse, sku, 12, user=manager, note="PO 7")
    assert posted.created
    assert on_hand(warehouse=warehouse, sku=sku) == 12
    movement = StockMovement.objects.get()
    assert (movement.quantity, movement.unit_cost, movement.user, movement.note) == (
        12,
        Decimal("4.0000"),
        manager,
        "PO 7",
    )


def test_explicit_unit_cost_is_kept_on_the_movement(warehouse, sku):
    receive(warehouse, sku, 5, unit_cost=Decimal("3.25"))
    assert StockMovement.objects.get().unit_cost == Decimal("3.25")


def test_sale_beyond_stock_is_refused_with_reason_and_writes_nothing(warehouse, sku):
    receive(warehouse, sku, 3)
    with pytest.raises(PostingError) as err:
        movement_post(warehouse=warehouse, sku=sku, kind=MovementKind.SALE, quantity=-5)
    assert "Not enough stock of TEE-RED-M in A: 3 on hand, 5 needed." in err.value.messages
    assert StockMovement.objects.count() == 1
    assert on_hand(warehouse=warehouse, sku=sku) == 3


def test_warehouse_that_allows_negative_stock_accepts_oversell(sku):
    loose = WarehouseFactory(code="LOOSE", allow_negative_stock=True)
    movement_post(warehouse=loose, sku=sku, kind=MovementKind.SALE, quantity=-2)
    assert on_hand(warehouse=loose, sku=sku) == -2


@pytest.mark.parametrize(
    ("kind", "qty", "message"),
    [
        (MovementKind.SALE, 3, "A Sale removes stock: its quantity must be negative."),
        (MovementKind.RECEIPT, -3, "A Receipt adds stock: its quantity must be positive."),
        (MovementKind.ADJUSTMENT, 0, "The quantity must not be zero."),
        ("TELEPORT", 1, "Unknown movement kind TELEPORT."),
        (MovementKind.RECEIPT, 50_000_000, "The quantity 50000000 is not plausible."),
    ],
)
def test_bad_movements_are_refused_with_a_clear_message(warehouse, sku, kind, qty, message):
    with pytest.raises(PostingError) as err:
        movement_post(warehouse=warehouse, sku=sku, kind=kind, quantity=qty)
    assert err.value.messages == [message]
    assert not StockMovement.objects.exists()


def test_movement_dated_in_the_far_future_is_refused(warehouse, sku):
    with pytest.raises(PostingError, match="dated in the future"):
        receive(warehouse, sku, 1, occurred_at=timezone.now() + timedelta(days=30))
    assert not StockMovement.objects.exists()


def test_backdated_movement_keeps_its_date(warehouse, sku):
    when = timezone.now() - timedelta(days=40)
    receive(warehouse, sku, 1, occurred_at=when)
    assert StockMovement.objects.get().occurred_at == when


def test_repeated_external_ref_returns_the_existing_movement(warehouse, sku):
    first = receive(warehouse, sku, 4, source="po", external_ref="PO-1:L1")
    again = receive(warehouse, sku, 4, source="po", external_ref="PO-1:L1")
    assert first.created and not again.created
    assert again.movement.pk == first.movement.pk
    assert on_hand(warehouse=warehouse, sku=sku) == 4
    # The same reference from another source is another movement.
    other = receive(warehouse, sku, 4, source="manual", external_ref="PO-1:L1")
    assert other.created and on_hand(warehouse=warehouse, sku=sku) == 8


def test_batch_with_one_refused_line_writes_nothing_and_names_the_line(warehouse, sku):
    lines = [
        MovementLine(warehouse=warehouse, sku=sku, kind=MovementKind.RECEIPT, quantity=5),
        MovementLine(warehouse=warehouse, sku=sku, kind=MovementKind.SALE, quantity=-4),
        MovementLine(warehouse=warehouse, sku=sku, kind=MovementKind.SALE, quantity=-4),
    ]
    with pytest.raises(PostingError) as err:
        movements_post(lines=lines)
    assert [index for index, _ in err.value.line_errors] == [2]
    assert "1 on hand, 4 needed" in err.value.line_errors[0][1]
    assert not StockMovement.objects.exists()
    assert on_hand(warehouse=warehouse, sku=sku) == 0


def test_batch_repeating_a_reference_posts_it_once(warehouse, sku):
    line = MovementLine(
        warehouse=warehouse, sku=sku, kind=MovementKind.RECEIPT, quantity=2, external_ref="R1"
    )
    posted = movements_post(lines=[line, line], source="import")
    assert [p.created for p in posted] == [True, False]
    assert posted[0].movement.pk == posted[1].movement.pk
    assert on_hand(warehouse=warehouse, sku=sku) == 2


def test_transfer_moves_stock_between_warehouses(warehouse, other_warehouse, sku):
    receive(warehouse, sku, 10)
    out, into = transfer_post(
        from_warehouse=warehouse, to_warehouse=other_warehouse, sku=sku, quantity=4
    )
    assert (out.movement.kind, out.movement.quantity) == (MovementKind.TRANSFER_OUT, -4)
    assert (into.movement.kind, into.movement.quantity) == (MovementKind.TRANSFER_IN, 4)
    assert on_hand(warehouse=warehouse, sku=sku) == 6
    assert on_hand(warehouse=other_warehouse, sku=sku) == 4


def test_refused_transfer_writes_neither_side(warehouse, other_warehouse, sku):
    receive(warehouse, sku, 2)
    with pytest.raises(PostingError):
        transfer_post(from_warehouse=warehouse, to_warehouse=other_warehouse, sku=sku, quantity=3)
    assert StockMovement.objects.count() == 1
    assert on_hand(warehouse=other_warehouse, sku=sku) == 0
    assert not StockBalance.objects.filter(warehouse=other_warehouse, on_hand__gt=0).exists()


def test_transfer_to_the_same_warehouse_is_refused(warehouse, sku):
    with pytest.raises(PostingError, match="two different warehouses"):
        transfer_post(from_warehouse=warehouse, to_warehouse=warehouse, sku=sku, quantity=1)


def test_side_effects_run_only_after_commit(warehouse, sku, django_capture_on_commit_callbacks):
    seen = []
    hooks.after_movements_posted.append(seen.extend)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            posted = receive(warehouse, sku, 3)
        assert seen == [posted.movement.pk]
        seen.clear()
        with (
            django_capture_on_commit_callbacks(execute=True) as callbacks,
            pytest.raises(RuntimeError),
            transaction.atomic(),
        ):
            receive(warehouse, sku, 3)
            raise RuntimeError("rolled back")
        assert callbacks == [] and seen == []
    finally:
        hooks.after_movements_posted.remove(seen.extend)


def test_ledger_rows_cannot_be_changed_or_deleted_through_django(warehouse, sku):
    movement = receive(warehouse, sku, 3).movement
    movement.quantity = 300
    with pytest.raises(ValidationError):
        movement.save()
    with pytest.raises(ValidationError):
        movement.delete()
    with pytest.raises(ValidationError):
        StockMovement.objects.filter(pk=movement.pk).update(quantity=1)
    with pytest.raises(ValidationError):
        StockMovement.objects.all().delete()
    assert StockMovement.objects.get().quantity == 3


@pytest.mark.postgres
def test_database_refuses_ledger_update_and_delete_even_in_raw_sql(warehouse, sku):
    movement = receive(warehouse, sku, 3).movement
    for sql in (
        "UPDATE inventory_stockmovement SET quantity = 99 WHERE id = %s",
        "DELETE FROM inventory_stockmovement WHERE id = %s",
    ):
        with (
            pytest.raises(IntegrityError, match="immutable"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [movement.pk])
    assert StockMovement.objects.get().quantity == 3
