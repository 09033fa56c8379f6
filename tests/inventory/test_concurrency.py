"""Concurrent posting on real PostgreSQL: no lost update, no oversell, no deadlock for users."""

import random
import threading

import pytest
from django.db import connection, connections

from inventory.models import MovementKind, StockBalance, StockMovement
from inventory.selectors import ledger_mismatches
from inventory.services import PostingError, movement_post, transfer_post
from tests.factories import SKUFactory, WarehouseFactory

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def run_threads(count, target):
    barrier = threading.Barrier(count)
    errors = []

    def worker(index):
        try:
            barrier.wait()
            target(index)
        except Exception as exc:  # noqa: BLE001 - every unexpected error fails the test
            errors.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    return errors


def test_20_threads_x_200_movements_lose_nothing_and_never_go_negative():
    warehouse = WarehouseFactory(code="HOT")
    sku = SKUFactory(seller_sku="VIRAL-1")
    movement_post(warehouse=warehouse, sku=sku, kind=MovementKind.RECEIPT, quantity=50)
    accepted = [0] * 20
    refused = [0] * 20

    def work(index):
        rng = random.Random(index)
        for n in range(200):
            if rng.random() < 0.45:
                kind, qty = MovementKind.RECEIPT, rng.randint(1, 3)
            else:
                kind, qty = MovementKind.SALE, -rng.randint(1, 3)
            try:
                movement_post(
                    warehouse=warehouse,
                    sku=sku,
                    kind=kind,
                    quantity=qty,
                    source="load",
                    external_ref=f"t{index}-{n}",
                )
                accepted[index] += 1
            except PostingError:
                refused[index] += 1

    errors = run_threads(20, work)
    assert errors == []
    assert sum(accepted) + sum(refused) == 4000
    assert StockMovement.objects.filter(source="load").count() == sum(accepted)
    balance = StockBalance.objects.get(warehouse=warehouse, sku=sku).on_hand
    ledger = sum(StockMovement.objects.filter(sku=sku).values_list("quantity", flat=True))
    assert balance == ledger >= 0
    assert ledger_mismatches() == []
    # Never negative at any point: replaying the ledger in commit (id) order stays >= 0.
    running = 0
    for qty in StockMovement.objects.order_by("id").values_list("quantity", flat=True):
        running += qty
        assert running >= 0


@pytest.mark.parametrize("round_", range(5))
def test_stock_10_and_20_concurrent_withdrawals_of_1_exactly_10_succeed(round_):
    warehouse = WarehouseFactory(code=f"R{round_}")
    sku = SKUFactory()
    movement_post(warehouse=warehouse, sku=sku, kind=MovementKind.RECEIPT, quantity=10)
    outcomes = []

    def withdraw(index):
        try:
            movement_post(warehouse=warehouse, sku=sku, kind=MovementKind.SALE, quantity=-1)
            outcomes.append("ok")
        except PostingError:
            outcomes.append("refused")

    assert run_threads(20, withdraw) == []
    assert outcomes.count("ok") == 10 and outcomes.count("refused") == 10
    assert StockBalance.objects.get(warehouse=warehouse, sku=sku).on_hand == 0


def test_opposing_transfers_never_deadlock_for_the_user():
    a, b = WarehouseFactory(code="TA"), WarehouseFactory(code="TB")
    skus = [SKUFactory() for _ in range(3)]
    for s in skus:
        for w in (a, b):
            movement_post(warehouse=w, sku=s, kind=MovementKind.RECEIPT, quantity=1000)

    def shuffle(index):
        rng = random.Random(index)
        for _ in range(25):
            src, dst = (a, b) if index % 2 else (b, a)
            transfer_post(from_warehouse=src, to_warehouse=dst, sku=rng.choice(skus), quantity=1)

    assert run_threads(10, shuffle) == []
    assert StockMovement.objects.filter(kind=MovementKind.TRANSFER_OUT).count() == 250
    assert ledger_mismatches() == []
    assert connection.vendor == "postgresql"
