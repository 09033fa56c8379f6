"""Demand facts (DOMAIN.md "Demand"): hand-worked windows, stock-out days left out, time zones,
as-of dates, and the sparse SQL against a dense day-by-day reference on random ledgers."""

import random
import statistics
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from inventory import hooks
from inventory.demand import demand_facts, demand_facts_update
from inventory.facts import facts_ensure_rows, recompute
from inventory.models import FactsState, MovementKind, SkuFacts
from inventory.services import MovementLine, movements_post
from inventory.window import recent_peak_read, recent_peak_write
from tests.factories import SKUFactory, WarehouseFactory

pytestmark = pytest.mark.django_db

BKK = "Asia/Bangkok"
AS_OF = date(2026, 3, 10)


@pytest.fixture
def window_10_days(settings):
    settings.STOCKWISE = {**settings.STOCKWISE, "DEMAND_WINDOW_DAYS": 10}


def at(day: date, hour: int, minute: int = 0, tz: str = BKK) -> datetime:
    return datetime.combine(day, time(hour, minute), ZoneInfo(tz))


def post(warehouse, sku, rows):
    """rows: (occurred_at, kind, signed quantity)."""
    lines = [
        MovementLine(warehouse=warehouse, sku=sku, kind=kind, quantity=qty, occurred_at=when)
        for when, kind, qty in sorted(rows, key=lambda r: r[0])
    ]
    movements_post(lines=lines)


def run(as_of=AS_OF):
    """The night's steps that make the demand facts, in the night's order."""
    facts_ensure_rows(as_of)
    recent_peak_read(as_of)
    demand_facts_update(as_of)
    recent_peak_write(as_of)


def facts(warehouse, sku) -> SkuFacts:
    return SkuFacts.objects.get(warehouse=warehouse, sku=sku)


R, S, T = MovementKind.RECEIPT, MovementKind.SALE, MovementKind.RETURN


def test_stock_out_days_are_left_out_of_demand(window_10_days):
    """Hand-worked: 10-day window 1-10 March, out of stock on the 4th and 5th.

    available days 1,2,3,6,7,8,9,10 with q = 4,0,6,5,0,3,0,2 -> n 8, mean 20/8 = 2.5,
    squared deviations sum 40 -> sigma^2 = 40/7.
    """
    wh = WarehouseFactory(code="BKK", timezone=BKK)
    sku = SKUFactory()
    d = lambda n: date(2026, 3, n)  # noqa: E731
    post(
        wh,
        sku,
        [
            (at(date(2026, 2, 27), 9), R, 10),
            (at(d(1), 12), S, -4),
            (at(d(3), 12), S, -6),  # closes at 0: the 4th and 5th are stock-out days
            (at(d(6), 9), R, 20),
            (at(d(6), 15), S, -5),
            (at(d(7), 10), S, -1),
            (at(d(7), 11), T, 2),  # more returned than sold: q = 0, not -1
            (at(d(8), 10), S, -3),
            (at(d(10), 23, 30), S, -2),  # 23:30 in Bangkok is still the 10th (16:30 UTC)
            (at(d(11), 0, 30), S, -5),  # 00:30 on the 11th (17:30 UTC on the 10th): after D
        ],
    )
    run()
    f = facts(wh, sku)
    assert f.available_days == 8
    assert f.avg_daily_demand == pytest.approx(2.5)
    assert f.demand_std == pytest.approx((40 / 7) ** 0.5)
    assert f.units_sold_window == 21
    assert f.max_daily_sales_recent == 5  # the 6th
    assert f.as_of == AS_OF


def test_nightly_slides_keep_the_highest_sale_of_the_last_7_days(window_10_days):
    """Hand-worked, one night at a time: 9 sold on the 1st, 4 on the 3rd, nothing after. The
    7-day maximum is 9 until the 1st leaves the last 7 days (the night of the 8th: days 2–8),
    then 4, then 0 from the night of the 10th: nights on which nothing else of the pair
    changes (its 10-day window drops and takes in days without a movement, in stock at both
    ends)."""
    wh, sku = peaks_night_after_night(run)
    assert facts(wh, sku).units_sold_window == 4  # the 1st left the 10-day window on the 11th


def march(n: int) -> date:
    return date(2026, 3, n)


def sold_in_march(*sales):
    """A SKU in stock since before every window (at both its edges), sold (day, units)."""
    wh = WarehouseFactory(code="MAIN", timezone=BKK)
    sku = SKUFactory()
    rows = [(at(date(2026, 2, 20), 8), R, 50)]
    post(wh, sku, rows + [(at(march(day), 12), S, -units) for day, units in sales])
    return wh, sku


def peaks_night_after_night(nightly=recompute):
    """The case above, one night at a time, by `nightly` (the real nightly job by default: the
    peak is read before the demand step and written after it, from the last run's day on)."""
    wh, sku = sold_in_march((1, 9), (3, 4))
    expected = {5: 9, 6: 9, 7: 9, 8: 4, 9: 4, 10: 0, 11: 0}
    seen = {}
    for day in expected:
        nightly(march(day))
        seen[day] = facts(wh, sku).max_daily_sales_recent
    assert seen == expected
    return wh, sku


def peak_after_a_stopped_night(monkeypatch):
    """9 sold on the 1st, nothing after. The night of the 8th stops before its peak is written
    (its demand write has committed, so the state is on the 8th): the stored 9 is right as of
    the 7th, not the 8th, so the night of the 9th must not take the 8th as its starting point
    (from there only days 2-9 would be read, none of them with a sale) but redo every pair."""
    wh, sku = sold_in_march((1, 9))
    for day in (5, 6, 7):
        recompute(march(day))
    assert facts(wh, sku).max_daily_sales_recent == 9

    def stopped(day):
        raise RuntimeError("the worker was stopped")

    steps = [s._replace(func=stopped) if s.name == "7-day peak" else s for s in hooks.nightly_steps]
    monkeypatch.setattr(hooks, "nightly_steps", steps)
    with pytest.raises(RuntimeError, match="stopped"):
        recompute(march(8))
    monkeypatch.undo()
    assert FactsState.objects.get().as_of == march(8)
    assert facts(wh, sku).max_daily_sales_recent == 9  # as of the 7th
    recompute(march(9))
    assert facts(wh, sku).max_daily_sales_recent == 0


def test_the_nightly_job_keeps_the_7_day_peak_night_after_night(window_10_days):
    peaks_night_after_night()


def test_after_a_night_stopped_before_its_peak_was_written_every_peak_is_redone(
    window_10_days, monkeypatch
):
    peak_after_a_stopped_night(monkeypatch)


def test_a_sku_that_sold_out_does_not_look_unpopular(window_10_days):
    """Sold 5 a day for 4 days, then out of stock for 6: demand is 5 a day, not 2."""
    wh = WarehouseFactory(code="MAIN", timezone="UTC")
    sku = SKUFactory()
    rows = [(at(date(2026, 2, 28), 9, tz="UTC"), R, 20)]
    rows += [(at(date(2026, 3, n), 12, tz="UTC"), S, -5) for n in range(1, 5)]
    post(wh, sku, rows)
    run()
    f = facts(wh, sku)
    assert (f.available_days, f.avg_daily_demand, f.demand_std) == (4, 5.0, 0.0)


def test_stock_without_movements_in_the_window_counts_every_day_at_zero(window_10_days):
    wh = WarehouseFactory(code="MAIN", timezone="UTC")
    stocked, empty = SKUFactory(), SKUFactory()
    post(wh, stocked, [(at(date(2026, 1, 5), 9, tz="UTC"), R, 7)])
    post(
        wh,
        empty,
        [(at(date(2026, 1, 5), 9, tz="UTC"), R, 7), (at(date(2026, 1, 6), 9, tz="UTC"), S, -7)],
    )
    run()
    assert (facts(wh, stocked).available_days, facts(wh, stocked).avg_daily_demand) == (10, 0)
    assert (facts(wh, empty).available_days, facts(wh, empty).avg_daily_demand) == (0, 0)
    assert facts(wh, empty).demand_std == 0


def test_one_available_day_has_no_deviation(window_10_days):
    wh = WarehouseFactory(code="MAIN", timezone="UTC")
    sku = SKUFactory()
    post(
        wh,
        sku,
        [(at(date(2026, 3, 10), 8, tz="UTC"), R, 3), (at(date(2026, 3, 10), 9, tz="UTC"), S, -3)],
    )
    run()
    f = facts(wh, sku)
    assert (f.available_days, f.avg_daily_demand, f.demand_std) == (1, 3.0, 0.0)


def test_as_of_an_earlier_day_ignores_later_movements(window_10_days):
    wh = WarehouseFactory(code="MAIN", timezone="UTC")
    sku = SKUFactory()
    rows = [(at(date(2026, 2, 1), 9, tz="UTC"), R, 100)]
    rows += [(at(date(2026, 2, 1) + timedelta(days=n), 12, tz="UTC"), S, -2) for n in range(1, 30)]
    rows += [(at(date(2026, 2, 20), 13, tz="UTC"), S, -8)]
    post(wh, sku, rows)
    run(date(2026, 2, 15))  # Feb 6..15: 2 a day
    f = facts(wh, sku)
    assert (f.available_days, f.avg_daily_demand, f.units_sold_window) == (10, 2.0, 20)
    run(date(2026, 2, 20))  # Feb 11..20: nine days of 2 and one of 10
    f = facts(wh, sku)
    assert f.avg_daily_demand == pytest.approx(2.8)
    assert f.demand_std == pytest.approx(statistics.stdev([2] * 9 + [10]))


def test_each_warehouse_counts_days_in_its_own_time_zone(window_10_days):
    """The same instant, 2026-03-10 20:00 UTC, is the 10th in LA, the 11th in Bangkok."""
    la = WarehouseFactory(code="LA", timezone="America/Los_Angeles")
    bkk = WarehouseFactory(code="BKK", timezone=BKK)
    sku = SKUFactory()
    instant = datetime(2026, 3, 10, 20, 0, tzinfo=ZoneInfo("UTC"))
    for wh in (la, bkk):
        post(wh, sku, [(instant - timedelta(days=20), R, 10), (instant, S, -4)])
    run()
    assert facts(la, sku).units_sold_window == 4
    assert facts(bkk, sku).units_sold_window == 0


def test_the_selector_reads_the_facts_of_the_given_warehouses(window_10_days):
    a, b = WarehouseFactory(code="A"), WarehouseFactory(code="B")
    sku = SKUFactory()
    for wh in (a, b):
        post(wh, sku, [(at(date(2026, 3, 1), 9, tz="UTC"), R, 5)])
    run()
    rows = list(demand_facts(warehouse_ids=[a.pk]))
    assert [(r.warehouse.code, r.sku.seller_sku, r.available_days) for r in rows] == [
        ("A", sku.seller_sku, 9)  # the 1st opened empty and sold nothing
    ]


def dense_reference(movements, as_of, days, tz):
    """Day by day, the way DOMAIN.md words it: (available days, mean, sample std)."""
    first = as_of - timedelta(days=days - 1)
    local = [(m.occurred_at.astimezone(ZoneInfo(tz)).date(), m.kind, m.quantity) for m in movements]
    closing = sum(q for d, _k, q in local if d < first)
    qs = []
    for n in range(days):
        day = first + timedelta(days=n)
        sold = sum(-q for d, k, q in local if d == day and k == S)
        returned = sum(q for d, k, q in local if d == day and k == T)
        q_t = max(0, sold - returned)
        if closing > 0 or q_t > 0:
            qs.append(q_t)
        closing += sum(q for d, _k, q in local if d == day)
    if not qs:
        return 0, 0.0, 0.0
    return len(qs), statistics.fmean(qs), statistics.stdev(qs) if len(qs) > 1 else 0.0


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_sparse_sql_equals_a_dense_day_by_day_count_on_random_ledgers(seed, settings):
    settings.STOCKWISE = {**settings.STOCKWISE, "DEMAND_WINDOW_DAYS": 30}
    rng = random.Random(seed)
    tz = rng.choice(["UTC", BKK, "America/Los_Angeles"])
    wh = WarehouseFactory(code=f"W{seed}", timezone=tz)
    skus = [SKUFactory() for _ in range(12)]
    start = datetime(2026, 1, 20, tzinfo=ZoneInfo("UTC"))
    for sku in skus:
        stock, lines = 0, []
        for hour in range(0, 24 * 60, rng.choice([5, 9, 17, 31])):
            when = start + timedelta(hours=hour, minutes=rng.randint(0, 59))
            roll = rng.random()
            if roll < 0.15 or stock == 0 and roll < 0.3:
                kind, qty = R, rng.randint(1, 15)
            elif roll < 0.25:
                kind, qty = T, rng.randint(1, 3)
            elif stock > 0:
                kind, qty = S, -rng.randint(1, stock)
            else:
                continue
            stock += qty
            lines.append(
                MovementLine(warehouse=wh, sku=sku, kind=kind, quantity=qty, occurred_at=when)
            )
        movements_post(lines=lines)
    as_of = date(2026, 3, 5)
    run(as_of)
    for sku in skus:
        f = facts(wh, sku)
        n, mean, std = dense_reference(sku.movements.all(), as_of, 30, tz)
        assert f.available_days == n, sku
        assert f.avg_daily_demand == pytest.approx(mean, abs=1e-9)
        assert f.demand_std == pytest.approx(std, rel=1e-9, abs=1e-9)
