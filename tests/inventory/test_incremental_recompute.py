"""The nightly job slides the window from the daily rollup; `recompute --full` rebuilds from the
ledger and proves both agree. Random ledgers over many nights, with late (backdated) postings,
skipped nights and reruns, must give exactly the figures of a rebuild."""

import random
import threading
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import F

from alerts.models import PlanningFigures
from inventory import hooks
from inventory.daily import daily_stock_mismatches
from inventory.facts import PROOF_COLUMNS, FullProof, recompute
from inventory.models import DailyStock, FactsState, MovementKind, SkuFacts
from inventory.night_runner import side_line_available
from inventory.services import MovementLine, PostingError, movements_post
from inventory.turnover import Grouping, Period, turnover_rows
from inventory.turnover_facts import band_rows_from_facts, turnover_rows_from_facts
from tests.factories import SKUFactory, WarehouseFactory

pytestmark = pytest.mark.django_db

R, S, T, A = (
    MovementKind.RECEIPT,
    MovementKind.SALE,
    MovementKind.RETURN,
    MovementKind.ADJUSTMENT,
)
PLANNING_COLUMNS = (
    "on_hand",
    "on_order",
    "safety_stock_units",
    "reorder_point_units",
    "suggested_order_qty",
    "status",
    "ad_advice",
)


@pytest.fixture
def short_windows(settings):
    settings.STOCKWISE = {
        **settings.STOCKWISE,
        "DEMAND_WINDOW_DAYS": 20,
        "SLOW_MOVER_SALES_DAYS": 10,
        "SLOW_MOVER_AGE_DAYS": 6,
        "TURNOVER_TRAILING_DAYS": 20,
    }


def at(day: date, hour: int, tz: str) -> datetime:
    return datetime.combine(day, time(hour, 30), ZoneInfo(tz))


def post_day(rng, warehouse, skus, day, stock):
    """A day of random trade for every SKU (receipts, sales, returns, adjustments)."""
    lines = []
    for sku in skus:
        for _ in range(rng.choice([0, 0, 1, 2, 4])):
            roll = rng.random()
            key = sku.pk
            if roll < 0.18 or (stock[key] == 0 and roll < 0.35):
                kind, qty = R, rng.randint(1, 20)
            elif roll < 0.26:
                kind, qty = T, rng.randint(1, 3)
            elif roll < 0.3:
                kind, qty = A, rng.choice([-1, 1, 2])
                if stock[key] + qty < 0:
                    continue
            elif stock[key] > 0:
                kind, qty = S, -rng.randint(1, min(stock[key], 6))
            else:
                continue
            stock[key] += qty
            lines.append(
                MovementLine(
                    warehouse=warehouse,
                    sku=sku,
                    kind=kind,
                    quantity=qty,
                    occurred_at=at(day, rng.randint(0, 23), warehouse.timezone),
                    unit_cost=Decimal(rng.choice(["1.2500", "3.0000", "7.3333"])),
                )
            )
    if lines:
        movements_post(lines=lines)


def snapshot(day):
    facts = {
        (f.warehouse_id, f.sku_id): tuple(
            # kept as of the row's own day while nothing moves at the window's edges
            f.stock_days + (day - f.as_of).days * (f.window_closing - f.window_opening)
            if c == "stock_days"
            else getattr(f, c)
            for c in PROOF_COLUMNS
        )
        for f in SkuFacts.objects.all()
    }
    plans = {
        (p.warehouse_id, p.sku_id): tuple(getattr(p, c) for c in PLANNING_COLUMNS)
        for p in PlanningFigures.objects.all()
    }
    return facts, plans


def assert_same(before, after):
    facts_before, plans_before = before
    facts_after, plans_after = after
    assert facts_before.keys() == facts_after.keys()
    for key, values in facts_before.items():
        for name, a, b in zip(PROOF_COLUMNS, values, facts_after[key], strict=True):
            if isinstance(a, float):
                assert a == pytest.approx(b, rel=1e-9, abs=1e-9), (key, name)
            else:
                assert a == b, (key, name)
    assert plans_before == plans_after


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_incremental_nights_equal_a_full_rebuild_on_random_ledgers(seed, short_windows):
    random_nights_equal_a_full_rebuild(seed)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_committed_nights_with_the_side_line_equal_a_full_rebuild(short_windows, monkeypatch):
    """As production runs them: each step commits; the demand step computes and its write,
    ageing, ABC, the turnover band and the ad advice run on the second connection while
    planning (from the demand step's figures) and the alerts run on the first."""
    threads, results = set(), []
    steps = [step._replace(func=_recording(step, threads, results)) for step in hooks.nightly_steps]
    monkeypatch.setattr(hooks, "nightly_steps", steps)
    assert side_line_available()
    random_nights_equal_a_full_rebuild(4)
    assert {name.split("_")[0] for name in threads} == {"MainThread", "night-side"}
    # Every slide but the first night's rebuild and the proof's left its write to the side.
    writes = [result for name, result in results if name == "demand write"]
    assert writes.count(True) == 12 and writes.count(False) == 2


def _recording(step, threads, results):
    def func(day):
        threads.add(threading.current_thread().name)
        result = step.func(day)
        results.append((step.name, result))
        return result

    return func


def random_nights_equal_a_full_rebuild(seed):
    rng = random.Random(seed)
    tz = ["UTC", "Asia/Bangkok", "America/Los_Angeles"][seed % 3]
    warehouses = [WarehouseFactory(code=f"I{seed}", timezone=tz), WarehouseFactory(code="U")]
    skus = [SKUFactory() for _ in range(8)]
    stock = {(w.pk, s.pk): 0 for w in warehouses for s in skus}
    start = date(2026, 1, 1)
    for n in range(40):  # history before the first night
        for w in warehouses:
            post_day(rng, w, skus, start + timedelta(days=n), _view(stock, w))
    day = start + timedelta(days=39)
    recompute(day)  # the first night builds the state
    assert FactsState.objects.get().incremental is False
    for night in range(12):
        step = rng.choice([1, 1, 1, 2, 0])  # mostly one night; sometimes two, or a rerun
        for n in range(step):
            for w in warehouses:
                post_day(rng, w, skus, day + timedelta(days=n + 1), _view(stock, w))
        if night % 3 == 1:  # a late import: movements dated days before the last run
            for w in warehouses:
                post_day(rng, w, skus, day - timedelta(days=rng.randint(0, 25)), _view(stock, w))
        day += timedelta(days=step)
        recompute(day)
        assert FactsState.objects.get().incremental is True
    incremental = snapshot(day)
    period = Period.trailing(20, day)
    for grouping in (Grouping.SKU, Grouping.WAREHOUSE, Grouping.WAREHOUSE_CATEGORY):
        from_facts = turnover_rows_from_facts(
            warehouses=warehouses, period=period, grouping=grouping
        )
        from_ledger = turnover_rows(warehouses=warehouses, period=period, grouping=grouping)
        assert [(r.key, r.cogs, r.band) for r in from_facts] == [
            (r.key, r.cogs, r.band) for r in from_ledger
        ]
        for a, b in zip(from_facts, from_ledger, strict=True):
            assert float(a.average_inventory_value) == pytest.approx(
                float(b.average_inventory_value), rel=1e-9
            )
    # The nightly band check reads both groupings in one pass (PostgreSQL; SQLite takes the
    # two queries): the same rows.
    both = band_rows_from_facts(warehouses=warehouses, period=period)
    assert (both is None) == (connection.vendor != "postgresql")
    for grouping in (Grouping.WAREHOUSE, Grouping.WAREHOUSE_CATEGORY) if both else ():
        one = turnover_rows_from_facts(warehouses=warehouses, period=period, grouping=grouping)
        assert [(r.key, r.label, r.detail, r.cogs, r.band, r.band_min) for r in both[grouping]] == [
            (r.key, r.label, r.detail, r.cogs, r.band, r.band_min) for r in one
        ]
        assert [r.average_inventory_value for r in both[grouping]] == [
            r.average_inventory_value for r in one
        ]
    proof = FullProof()
    recompute(day, full=True, proof=proof)
    assert proof.rollup_rows_wrong == 0
    assert proof.pairs_compared == len(incremental[0])
    assert proof.pairs_different == []
    assert_same(incremental, snapshot(day))


class _view(dict):
    """Stock per SKU of one warehouse, written through to the (warehouse, SKU) dict."""

    def __init__(self, stock, warehouse):
        super().__init__({s: q for (w, s), q in stock.items() if w == warehouse.pk})
        self.stock, self.warehouse = stock, warehouse

    def __setitem__(self, key, value):
        super().__setitem__(key, value)
        self.stock[(self.warehouse.pk, key)] = value


def test_the_posting_service_keeps_the_day_rows(short_windows):
    """Hand-worked: 23:30 in Bangkok is still the 10th there; a refused posting writes none."""
    wh = WarehouseFactory(code="BKK", timezone="Asia/Bangkok")
    sku = SKUFactory(unit_cost=Decimal("2.5000"))
    tz = ZoneInfo("Asia/Bangkok")
    movements_post(
        lines=[
            MovementLine(
                warehouse=wh,
                sku=sku,
                kind=R,
                quantity=10,
                occurred_at=datetime(2026, 3, 10, 8, tzinfo=tz),
            ),
            MovementLine(
                warehouse=wh,
                sku=sku,
                kind=S,
                quantity=-3,
                occurred_at=datetime(2026, 3, 10, 23, 30, tzinfo=tz),
            ),
            MovementLine(
                warehouse=wh,
                sku=sku,
                kind=S,
                quantity=-2,
                occurred_at=datetime(2026, 3, 11, 0, 30, tzinfo=tz),
            ),
        ]
    )
    movements_post(
        lines=[
            MovementLine(
                warehouse=wh,
                sku=sku,
                kind=T,
                quantity=1,
                occurred_at=datetime(2026, 3, 10, 12, tzinfo=tz),
            )
        ]
    )
    with pytest.raises(PostingError):
        movements_post(
            lines=[
                MovementLine(
                    warehouse=wh,
                    sku=sku,
                    kind=S,
                    quantity=-50,
                    occurred_at=datetime(2026, 3, 10, 13, tzinfo=tz),
                )
            ]
        )
    rows = {
        r.day: (r.sold, r.returned, r.inflow, r.outflow, r.cogs_e4)
        for r in DailyStock.objects.filter(warehouse=wh, sku=sku)
    }
    assert rows == {
        date(2026, 3, 10): (3, 1, 11, 3, 50_000),  # (3 sold - 1 returned) x 2.5 = 5.0000
        date(2026, 3, 11): (2, 0, 0, 2, 50_000),
    }
    assert daily_stock_mismatches() == 0


def test_full_rebuild_names_the_pairs_whose_kept_facts_were_wrong(short_windows):
    wh = WarehouseFactory(code="MAIN")
    right, wrong = SKUFactory(), SKUFactory()
    when = datetime(2026, 3, 1, 9, tzinfo=ZoneInfo("UTC"))
    lines = [
        MovementLine(warehouse=wh, sku=sku, kind=kind, quantity=qty, occurred_at=when)
        for sku in (right, wrong)
        for kind, qty in ((R, 10), (S, -3))
    ]
    movements_post(lines=lines)
    recompute(date(2026, 3, 5))
    # A slide that went wrong would look like this: d̄ off by a little more than rounding.
    SkuFacts.objects.filter(warehouse=wh, sku=wrong).update(
        avg_daily_demand=F("avg_daily_demand") * (1 + 1e-6)
    )
    SkuFacts.objects.filter(warehouse=wh, sku=right).update(  # rounding: not a difference
        avg_daily_demand=F("avg_daily_demand") * (1 + 1e-12)
    )
    proof = FullProof()
    recompute(date(2026, 3, 5), full=True, proof=proof)
    assert proof.pairs_compared == 2
    assert proof.pairs_different == [(wh.pk, wrong.pk, "avg_daily_demand")]


def test_full_rebuild_repairs_and_reports_a_wrong_rollup(short_windows):
    wh = WarehouseFactory(code="MAIN")
    sku = SKUFactory()
    when = datetime(2026, 3, 1, 9, tzinfo=ZoneInfo("UTC"))
    movements_post(
        lines=[MovementLine(warehouse=wh, sku=sku, kind=R, quantity=5, occurred_at=when)]
    )
    DailyStock.objects.filter(warehouse=wh).update(inflow=4)  # a bug would look like this
    with pytest.raises(CommandError, match="1 rollup rows"):
        call_command("recompute", "--date", "2026-03-05", "--full", stdout=_Null())
    assert daily_stock_mismatches() == 0
    assert SkuFacts.objects.get(warehouse=wh, sku=sku).window_closing == 5


class _Null:
    def write(self, text):
        pass

    def flush(self):
        pass
