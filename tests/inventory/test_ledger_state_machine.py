"""A model-based test of the ledger: Hypothesis drives random sequences of receipts, sales,
returns, transfers, counts (create, count, recount when asked, approve) and clearance disposals
(a batch approved, its line done) through the real services, and checks after every step that

- every balance equals the model's on-hand and its own ledger sum,
- no balance is ever negative (refused postings write nothing),
- ledger rows already written never change or disappear.

Each example runs inside a savepoint rolled back at its end; each step in its own savepoint,
as a request would in its own transaction.
"""

import uuid
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from clearance import services as clearance
from clearance.models import BatchStatus, ClearanceBatch, ClearanceLine, LineDecision, Strategy
from counting.models import CountKind
from counting.services import count_entry_add, session_approve, session_create, session_submit
from inventory.models import MovementKind, StockBalance, StockMovement
from inventory.selectors import ledger_mismatches
from inventory.services import PostingError, movement_post, transfer_post
from tests.factories import SKUFactory, UserFactory, WarehouseFactory

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

WAREHOUSES = ("A", "B")
SKUS = ("S1", "S2")
LEDGER_FIELDS = (
    "id",
    "warehouse_id",
    "sku_id",
    "kind",
    "quantity",
    "occurred_at",
    "unit_cost",
    "source",
    "external_ref",
    "user_id",
    "note",
)

warehouses = st.sampled_from(WAREHOUSES)
skus = st.sampled_from(SKUS)


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.example = transaction.atomic()
        self.example.__enter__()
        tag = uuid.uuid4().hex[:6]
        self.w = {code: WarehouseFactory(code=f"{code}{tag}") for code in WAREHOUSES}
        self.s = {code: SKUFactory(seller_sku=f"{code}-{tag}") for code in SKUS}
        members = list(self.w.values())
        self.manager = UserFactory(username=f"m{tag}", role="manager", warehouses=members)
        self.counters = [
            UserFactory(username=f"c{i}{tag}", role="staff", warehouses=members) for i in (1, 2)
        ]
        self.model = {(w, s): 0 for w in WAREHOUSES for s in SKUS}
        self.seen: dict[int, tuple] = {}

    def teardown(self):
        transaction.set_rollback(True)
        self.example.__exit__(None, None, None)

    def _post(self, w, s, kind, qty) -> bool:
        try:
            with transaction.atomic():
                movement_post(warehouse=self.w[w], sku=self.s[s], kind=kind, quantity=qty)
        except PostingError:
            return False
        return True

    @rule(w=warehouses, s=skus, qty=st.integers(1, 40))
    def receive(self, w, s, qty):
        assert self._post(w, s, MovementKind.RECEIPT, qty)
        self.model[(w, s)] += qty

    @rule(w=warehouses, s=skus, qty=st.integers(1, 25))
    def sell(self, w, s, qty):
        ok = self._post(w, s, MovementKind.SALE, -qty)
        event("sale refused" if not ok else "sale posted")
        assert ok == (self.model[(w, s)] >= qty)  # refused exactly when stock is short
        if ok:
            self.model[(w, s)] -= qty

    @rule(w=warehouses, s=skus, qty=st.integers(1, 5))
    def return_(self, w, s, qty):
        assert self._post(w, s, MovementKind.RETURN, qty)
        self.model[(w, s)] += qty

    @rule(src=warehouses, dst=warehouses, s=skus, qty=st.integers(1, 25))
    def transfer(self, src, dst, s, qty):
        try:
            with transaction.atomic():
                transfer_post(
                    from_warehouse=self.w[src],
                    to_warehouse=self.w[dst],
                    sku=self.s[s],
                    quantity=qty,
                )
        except PostingError:
            assert src == dst or self.model[(src, s)] < qty
            event("transfer refused")
            return
        assert src != dst and self.model[(src, s)] >= qty
        self.model[(src, s)] -= qty
        self.model[(dst, s)] += qty

    @rule(w=warehouses, s=skus, counted=st.integers(0, 60))
    def count(self, w, s, counted):
        """A cycle count of one SKU, recounted by a second counter when out of tolerance, then
        approved: the book becomes what was counted."""
        with transaction.atomic():
            session = session_create(
                warehouse=self.w[w],
                kind=CountKind.CYCLE,
                user=self.manager,
                skus=[self.s[s].seller_sku],
            )
            for counter in self.counters:
                count_entry_add(
                    session=session,
                    code=self.s[s].seller_sku,
                    quantity=counted,
                    user=counter,
                    idempotency_key=uuid.uuid4(),
                )
                if session_submit(session=session, user=counter).submitted:
                    event("count settled" if counter is self.counters[0] else "count recounted")
                    break
            else:
                raise AssertionError("the recount did not settle the count")
            session_approve(session=session, user=self.manager)
        self.model[(w, s)] = counted

    @rule(
        w=warehouses,
        s=skus,
        qty=st.integers(1, 30),
        strategy=st.sampled_from([Strategy.WRITE_OFF, Strategy.CHANNEL_TRANSFER]),
    )
    def clearance_disposal(self, w, s, qty, strategy):
        """A manager approves a clearance batch line and marks it done: CLEARANCE_OUT or
        WRITE_OFF through the clearance service, refused when more than on hand."""
        sku = self.s[s]
        with transaction.atomic():
            batch = ClearanceBatch.objects.create(
                warehouse=self.w[w], status=BatchStatus.PROPOSED, facts_as_of=timezone.localdate()
            )
            line = ClearanceLine.objects.create(
                batch=batch,
                sku=sku,
                units=max(self.model[(w, s)], qty),
                age_days=90,
                unit_cost=sku.unit_cost,
                unit_price=sku.unit_price,
                capital=Decimal("1"),
                suggested_strategy=strategy,
                reason_code="too_old",
                decision=LineDecision.PENDING,
                strategy=strategy,
                quantity=qty,
            )
            clearance.batch_approve(batch=batch, user=self.manager)
        try:
            with transaction.atomic():
                clearance.line_mark_done(line=line, user=self.manager)
        except ValidationError:
            assert self.model[(w, s)] < qty
            event("disposal refused")
            return
        event("disposal posted")
        assert self.model[(w, s)] >= qty
        self.model[(w, s)] -= qty

    @invariant()
    def balances_equal_the_model_and_the_ledger(self):
        rows = StockBalance.objects.filter(warehouse__in=self.w.values())
        actual = {(b.warehouse_id, b.sku_id): b.on_hand for b in rows}
        for (w, s), expected in self.model.items():
            on_hand = actual.get((self.w[w].pk, self.s[s].pk), 0)
            assert on_hand == expected, (w, s)
            assert on_hand >= 0
        assert ledger_mismatches() == []

    @invariant()
    def ledger_rows_never_change(self):
        rows = StockMovement.objects.filter(warehouse__in=self.w.values()).values_list(
            *LEDGER_FIELDS
        )
        current = {row[0]: row for row in rows}
        for pk, before in self.seen.items():
            assert current.get(pk) == before, f"ledger row {pk} changed or disappeared"
        self.seen = current


def test_the_ledger_matches_a_model_under_random_sequences_of_every_kind_of_change():
    run_state_machine_as_test(
        LedgerMachine,
        settings=settings(
            max_examples=25,
            stateful_step_count=20,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
