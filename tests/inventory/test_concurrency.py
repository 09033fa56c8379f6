"""Concurrent posting on real PostgreSQL: no lost update, no oversell, no deadlock for users.

Threads share one process but each has its own database connection, so PostgreSQL sees real
concurrent transactions. The load tests set `synchronous_commit = off` on their connections:
COMMIT then returns before the WAL reaches the disk, which makes them several times faster on a
slow disk and changes nothing they prove (row locks, visibility and ordering are the same; only
durability across a server crash differs). The after-posting hooks (the alert check) are
switched off here: they are not under test and would flood the broker with 10,000 tasks.
"""

import logging
import random
import threading

import pytest
from django.db import connection, connections

from inventory import hooks
from inventory.models import MovementKind, StockBalance, StockMovement
from inventory.selectors import ledger_mismatches
from inventory.services import PostingError, movement_post, transfer_post
from tests.factories import SKUFactory, WarehouseFactory

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def no_hooks(monkeypatch):
    monkeypatch.setattr(hooks, "after_movements_posted", [])


def fast_commit():
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit = off")


def run_threads(count, target, timeout=120):
    barrier = threading.Barrier(count)
    errors = []

    def worker(index):
        try:
            fast_commit()
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
        t.join(timeout=timeout)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    return errors


def replay_never_negative(warehouse, sku) -> int:
    """Replay the ledger in commit order (id): the running on-hand never dips below zero."""
    running, lowest = 0, 0
    rows = StockMovement.objects.filter(warehouse=warehouse, sku=sku).order_by("id")
    for qty in rows.values_list("quantity", flat=True):
        running += qty
        lowest = min(lowest, running)
    assert lowest >= 0
    return running


def test_20_threads_x_500_movements_lose_nothing_and_never_go_negative():
    warehouse = WarehouseFactory(code="HOT")
    sku = SKUFactory(seller_sku="VIRAL-1")
    movement_post(warehouse=warehouse, sku=sku, kind=MovementKind.RECEIPT, quantity=50)
    accepted = [0] * 20
    refused = [0] * 20

    def work(index):
        rng = random.Random(index)
        for n in range(500):
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
                refused[index] += 1  # not enough stock: a clean refusal, not an error

    assert run_threads(20, work) == []
    assert sum(accepted) + sum(refused) == 10_000
    assert StockMovement.objects.filter(source="load").count() == sum(accepted)
    balance = StockBalance.objects.get(warehouse=warehouse, sku=sku).on_hand
    assert balance == replay_never_negative(warehouse, sku) >= 0
    assert ledger_mismatches() == []


class RoundRobin:
    """`size` threads with their own connections, reused for many rounds (one barrier each)."""

    def __init__(self, size):
        self.size = size
        self.start = threading.Barrier(size + 1)
        self.done = threading.Barrier(size + 1)
        self.job = None
        self.errors = []
        self.threads = [threading.Thread(target=self._loop, args=(i,)) for i in range(size)]
        for t in self.threads:
            t.start()

    def _loop(self, index):
        fast_commit()
        try:
            while True:
                self.start.wait(timeout=60)
                if self.job is None:
                    return
                try:
                    self.job(index)
                except Exception as exc:  # noqa: BLE001
                    self.errors.append(repr(exc))
                self.done.wait(timeout=60)
        finally:
            connections.close_all()

    def run(self, job):
        self.job = job
        self.start.wait(timeout=60)
        self.done.wait(timeout=60)

    def close(self):
        self.job = None
        self.start.wait(timeout=60)
        for t in self.threads:
            t.join(timeout=60)


def test_stock_10_and_20_concurrent_withdrawals_of_1_exactly_10_succeed_100_times():
    warehouse = WarehouseFactory(code="RUSH")
    skus = [SKUFactory() for _ in range(100)]
    pool = RoundRobin(20)
    try:
        for round_, sku in enumerate(skus):
            movement_post(warehouse=warehouse, sku=sku, kind=MovementKind.RECEIPT, quantity=10)
            outcomes = []

            def withdraw(index, sku=sku, outcomes=outcomes):
                try:
                    movement_post(warehouse=warehouse, sku=sku, kind=MovementKind.SALE, quantity=-1)
                    outcomes.append("ok")
                except PostingError:
                    outcomes.append("refused")

            pool.run(withdraw)
            assert pool.errors == [], f"round {round_}"
            assert (outcomes.count("ok"), outcomes.count("refused")) == (10, 10), round_
            assert StockBalance.objects.get(warehouse=warehouse, sku=sku).on_hand == 0
    finally:
        pool.close()
    assert StockMovement.objects.filter(kind=MovementKind.SALE).count() == 1000
    assert ledger_mismatches() == []


def test_1000_opposing_transfers_never_deadlock_for_the_user():
    a, b = WarehouseFactory(code="TA"), WarehouseFactory(code="TB")
    skus = [SKUFactory() for _ in range(3)]
    for s in skus:
        for w in (a, b):
            movement_post(warehouse=w, sku=s, kind=MovementKind.RECEIPT, quantity=1000)

    def shuffle(index):
        rng = random.Random(index)
        for n in range(100):
            src, dst = (a, b) if (index + n) % 2 else (b, a)
            transfer_post(from_warehouse=src, to_warehouse=dst, sku=rng.choice(skus), quantity=1)

    assert run_threads(10, shuffle) == []
    assert StockMovement.objects.filter(kind=MovementKind.TRANSFER_OUT).count() == 1000
    assert StockMovement.objects.filter(kind=MovementKind.TRANSFER_IN).count() == 1000
    total = sum(StockBalance.objects.filter(sku__in=skus).values_list("on_hand", flat=True))
    assert total == 6000  # transfers move stock, never create or lose it
    assert ledger_mismatches() == []


def test_a_deadlock_with_another_writer_is_retried_and_never_reaches_the_user(caplog):
    """Another code path locks B then A while a transfer locks A then B: PostgreSQL kills one
    side (the transfer, which waited first); the posting service retries it and succeeds."""
    a, b = WarehouseFactory(code="DA"), WarehouseFactory(code="DB")
    sku = SKUFactory()
    for w in (a, b):
        movement_post(warehouse=w, sku=sku, kind=MovementKind.RECEIPT, quantity=10)
    row_a = StockBalance.objects.get(warehouse=a, sku=sku).pk
    row_b = StockBalance.objects.get(warehouse=b, sku=sku).pk
    holding_b = threading.Event()
    transfer_waits = threading.Event()
    results = []

    def rogue():
        try:
            with connection.cursor() as cursor:
                cursor.execute("BEGIN")
                cursor.execute(
                    "SELECT 1 FROM inventory_stockbalance WHERE id = %s FOR UPDATE", [row_b]
                )
                holding_b.set()
                transfer_waits.wait(timeout=20)
                cursor.execute(
                    "SELECT 1 FROM inventory_stockbalance WHERE id = %s FOR UPDATE", [row_a]
                )
                cursor.execute("COMMIT")
                results.append("rogue committed")
        finally:
            connections.close_all()

    def transfer():
        try:
            holding_b.wait(timeout=20)
            transfer_post(from_warehouse=a, to_warehouse=b, sku=sku, quantity=4)
            results.append("transfer posted")
        except Exception as exc:  # noqa: BLE001
            results.append(repr(exc))
        finally:
            connections.close_all()

    def watch():
        # The transfer is waiting for B once PostgreSQL shows a lock wait on the balances.
        with connection.cursor() as cursor:
            for _ in range(400):
                cursor.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                    "AND datname = current_database()"
                )
                if cursor.fetchone()[0]:
                    break
                threading.Event().wait(0.025)
        transfer_waits.set()

    caplog.set_level(logging.INFO, logger="inventory.services")
    threads = [threading.Thread(target=f) for f in (rogue, transfer)]
    for t in threads:
        t.start()
    holding_b.wait(timeout=20)
    watch()
    for t in threads:
        t.join(timeout=30)
    assert sorted(results) == ["rogue committed", "transfer posted"]
    assert "posting retried after 40P01" in caplog.text
    assert StockBalance.objects.get(pk=row_a).on_hand == 6
    assert StockBalance.objects.get(pk=row_b).on_hand == 14
    assert ledger_mismatches() == []


def test_first_postings_of_new_pairs_at_the_same_moment_lose_nothing():
    """Balance rows are created by the first posting of a (warehouse, SKU): 12 threads posting
    at once to pairs that have none yet, in overlapping orders, all succeed and add up."""
    warehouse = WarehouseFactory(code="NEW")
    for round_ in range(5):
        skus = [SKUFactory(seller_sku=f"NEW-{round_}-{n}") for n in range(4)]

        def post(index, skus=skus):
            picked = skus[index % 4 :] + skus[: index % 4]
            for sku in picked[:3]:
                movement_post(
                    warehouse=warehouse, sku=sku, kind=MovementKind.RECEIPT, quantity=index + 1
                )

        assert run_threads(12, post) == []
        for n, sku in enumerate(skus):
            # Thread i posts i + 1 to the SKUs at positions i % 4, i % 4 + 1, i % 4 + 2.
            expected = sum(i + 1 for i in range(12) if (n - i % 4) % 4 in (0, 1, 2))
            balance = StockBalance.objects.get(warehouse=warehouse, sku=sku)
            assert balance.on_hand == expected
    assert ledger_mismatches() == []
