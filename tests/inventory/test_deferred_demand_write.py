"""With a second connection the demand step only computes and the "demand write" step writes
the facts, clears the marks the demand step read and moves the state, in one transaction on
the side line (inventory/window.py). Committed transactions on PostgreSQL, as at night."""

import threading
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from alerts.models import PlanningFigures
from inventory import hooks, window
from inventory.facts import FullProof, recompute
from inventory.models import DailyStock, FactsState, MovementKind, SkuFacts
from tests.factories import SKUFactory, WarehouseFactory
from tests.inventory import test_demand, turnover_helpers

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

START = date(2026, 3, 1)
NIGHT = START + timedelta(days=29)


@pytest.fixture
def shop(settings):
    settings.STOCKWISE = {
        **settings.STOCKWISE,
        "DEMAND_WINDOW_DAYS": 20,
        "SLOW_MOVER_SALES_DAYS": 10,
        "SLOW_MOVER_AGE_DAYS": 6,
    }
    warehouse = WarehouseFactory(code="DW", timezone="UTC")
    skus = [SKUFactory() for _ in range(3)]
    for sku in skus:
        post(warehouse, sku, START, MovementKind.RECEIPT, 500)
    for n in range(1, 29):
        for k, sku in enumerate(skus):
            post(warehouse, sku, START + timedelta(days=n), MovementKind.SALE, -(k + 1 + n % 3))
    recompute(NIGHT - timedelta(days=1))
    return warehouse, skus


def post(warehouse, sku, day, kind, quantity):
    turnover_helpers.post(
        warehouse, sku, kind, quantity, datetime.combine(day, time(12), ZoneInfo("UTC")), "2.0000"
    )


def touched(warehouse, sku, day) -> bool:
    return DailyStock.objects.get(warehouse=warehouse, sku=sku, day=day).touched


def facts_and_plans():
    facts = sorted(
        SkuFacts.objects.values_list(
            "sku_id", "available_days", "demand_s1", "avg_daily_demand", "window_closing"
        )
    )
    plans = sorted(PlanningFigures.objects.values_list("sku_id", "avg_daily_demand", "status"))
    return facts, plans


def test_a_mark_set_again_between_the_demand_step_and_its_write_stays(shop, monkeypatch):
    warehouse, (a, b, _c) = shop
    late = NIGHT - timedelta(days=5)
    post(warehouse, a, NIGHT, MovementKind.SALE, -2)
    post(warehouse, a, late, MovementKind.SALE, -1)  # a late posting: a rebuild of its pair
    post(warehouse, b, late, MovementKind.SALE, -1)
    seen = {}

    def write_after_a_posting(day):
        # After the demand step read the marks, a posting (its own connection, committed)
        # changes a marked rollup row again.
        seen["state before the write"] = FactsState.objects.get().as_of
        poster = threading.Thread(target=post_and_close, args=(warehouse, b, late))
        poster.start()
        poster.join()
        seen["written"] = window.window_write(day)

    steps = [
        s._replace(func=write_after_a_posting) if s.name == "demand write" else s
        for s in hooks.nightly_steps
    ]
    monkeypatch.setattr(hooks, "nightly_steps", steps)
    recompute(NIGHT)
    assert seen == {"state before the write": NIGHT - timedelta(days=1), "written": True}
    assert FactsState.objects.get().as_of == NIGHT
    assert not touched(warehouse, a, late)
    assert not touched(warehouse, a, NIGHT)
    assert touched(warehouse, b, late)  # read before its last posting: for the next night
    monkeypatch.undo()
    # The next night takes it, and its figures equal a rebuild from the ledger.
    recompute(NIGHT + timedelta(days=1))
    assert not touched(warehouse, b, late)
    proof = FullProof()
    recompute(NIGHT + timedelta(days=1), full=True, proof=proof)
    assert proof.pairs_compared == 3
    assert proof.pairs_different == []


def post_and_close(warehouse, sku, day):
    try:
        post(warehouse, sku, day, MovementKind.SALE, -1)
    finally:
        connection.close()


def test_a_failing_demand_write_leaves_facts_state_marks_and_planning_as_they_were(
    shop, monkeypatch
):
    warehouse, (a, _b, _c) = shop
    late = NIGHT - timedelta(days=5)
    post(warehouse, a, NIGHT, MovementKind.SALE, -3)
    post(warehouse, a, late, MovementKind.SALE, -1)
    before = facts_and_plans()

    def broken_write(*args):
        raise RuntimeError("the disk is full")

    started = []

    def recorded(step):
        def func(day):
            started.append(step.name)
            return step.func(day)

        return step._replace(func=func)

    monkeypatch.setattr(window, "_write", broken_write)
    monkeypatch.setattr(hooks, "nightly_steps", [recorded(s) for s in hooks.nightly_steps])
    with pytest.raises(RuntimeError, match="the disk is full"):
        recompute(NIGHT)
    # The write failed on the side line; planning had computed from the demand step's figures
    # meanwhile, and never wrote them.
    assert {"demand", "demand write", "planning"} <= set(started)
    assert "planning write" not in started and "alerts" not in started
    assert FactsState.objects.get().as_of == NIGHT - timedelta(days=1)
    assert touched(warehouse, a, late) and touched(warehouse, a, NIGHT)
    assert facts_and_plans() == before  # planning never wrote what it computed
    monkeypatch.undo()
    recompute(NIGHT)
    assert facts_and_plans() != before
    proof = FullProof()
    recompute(NIGHT, full=True, proof=proof)
    assert proof.pairs_different == []


def test_after_a_night_stopped_midway_the_next_night_redoes_every_pair(shop, monkeypatch):
    """The demand write committed, then the night stopped (here: planning's write failed):
    the pairs that night changed are not in the next night's slide, so planning, the alerts,
    ageing and the 7-day peak redo every pair, and the figures equal a rebuild's."""
    warehouse, _skus = shop
    a = SKUFactory()  # stock since the first day, one sale on NIGHT: no row the next night
    post(warehouse, a, START, MovementKind.RECEIPT, 50)
    recompute(NIGHT - timedelta(days=1))
    post(warehouse, a, NIGHT, MovementKind.SALE, -40)
    before = PlanningFigures.objects.get(sku=a).avg_daily_demand

    def stopped(day):
        raise RuntimeError("the worker was stopped")

    steps = [
        s._replace(func=stopped) if s.name == "planning write" else s for s in hooks.nightly_steps
    ]
    monkeypatch.setattr(hooks, "nightly_steps", steps)
    with pytest.raises(RuntimeError, match="stopped"):
        recompute(NIGHT)
    monkeypatch.undo()
    assert FactsState.objects.get().as_of == NIGHT  # the demand write had committed
    assert PlanningFigures.objects.get(sku=a).avg_daily_demand == before  # stale
    recompute(NIGHT + timedelta(days=1))
    after = facts_and_plans()
    assert PlanningFigures.objects.get(sku=a).avg_daily_demand != before
    proof = FullProof()
    recompute(NIGHT + timedelta(days=1), full=True, proof=proof)
    assert proof.pairs_different == []
    assert facts_and_plans() == after


def test_the_7_day_peak_is_read_beside_the_demand_step_and_kept_night_after_night(
    settings, monkeypatch
):
    """Committed, with the second connection: the peak read runs there during the demand step;
    the hand-worked nights of tests/inventory/test_demand.py give the same peaks, a night
    stopped before its peak write included."""
    settings.STOCKWISE = {**settings.STOCKWISE, "DEMAND_WINDOW_DAYS": 10}
    threads = {}
    steps = [s._replace(func=_on_thread(s, threads)) for s in hooks.nightly_steps]
    monkeypatch.setattr(hooks, "nightly_steps", steps)
    test_demand.peaks_night_after_night()
    assert threads["7-day peak read"] == threads["7-day peak"] != threads["demand"]
    test_demand.peak_after_a_stopped_night(monkeypatch)


def _on_thread(step, threads):
    def func(day):
        threads[step.name] = threading.current_thread().name.split("_")[0]
        return step.func(day)

    return func
