"""`SS_METHOD = "spike"` in the nightly recompute: the figures the pages show are the spike-aware
method's (alerts/spike.py), computed on the ledger's days the way DOMAIN.md counts them."""

import random
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from alerts import formulas, spike
from alerts.models import PlanningFigures
from alerts.spike_planning import window_days
from inventory.facts import recompute
from inventory.models import MovementKind, SkuFacts
from inventory.services import MovementLine, movements_post
from tests.factories import SKUFactory, WarehouseFactory

pytestmark = pytest.mark.django_db

R, S, T = MovementKind.RECEIPT, MovementKind.SALE, MovementKind.RETURN
AS_OF = date(2026, 6, 30)
FIGURES = (
    "avg_daily_demand",
    "demand_std",
    "safety_stock",
    "reorder_point",
    "safety_stock_units",
    "reorder_point_units",
    "order_up_to",
    "suggested_order_qty",
    "days_of_cover",
    "status",
    "ad_advice",
)


@pytest.fixture
def spike_method(settings):
    settings.STOCKWISE = {**settings.STOCKWISE, "SS_METHOD": "spike"}


def test_the_window_days_follow_domain_availability():
    """Opening stock 2 before day 100. Day 100: no row, stock -> available, q 0. Day 101: sold 2
    -> q 2, closes at 0. Days 102-103: no row, empty -> not available. Day 104: a receipt of 5,
    nothing sold, opened empty -> not available. Day 105: sold 1, returned 2 -> q 0 (floored),
    available (opened with 5)."""
    rows = [(101, 2, 0, -2), (104, 0, 0, 5), (105, 1, 2, 1)]
    q, available = window_days(2, rows, 100, 6)
    assert q == [0, 2, 0, 0, 0, 0]
    assert available == [True, True, False, False, False, True]


def test_the_window_days_of_a_pair_without_movements():
    assert window_days(3, [], 10, 4) == ([0, 0, 0, 0], [True] * 4)
    assert window_days(0, [], 10, 4) == ([0, 0, 0, 0], [False] * 4)


def _in_utc(warehouse, settings) -> None:
    """Server and warehouse in UTC: a movement's local day is its UTC day."""
    settings.TIME_ZONE = "UTC"
    warehouse.timezone = "UTC"
    warehouse.save()


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), ZoneInfo("UTC"))


def _live_stream_ledger(warehouse, settings):
    """5,000 received, then 90 days selling 10 a day but 100 on day 61 (a live stream)."""
    _in_utc(warehouse, settings)
    sku = SKUFactory(lead_time_days=10, logistics_days=0, service_level="0.95")
    first = AS_OF - timedelta(days=89)
    receipt = _at(first - timedelta(days=1), 9)
    lines = [MovementLine(warehouse=warehouse, sku=sku, kind=R, quantity=5000, occurred_at=receipt)]
    lines += [
        MovementLine(
            warehouse=warehouse,
            sku=sku,
            kind=S,
            quantity=-(100 if n == 60 else 10),
            occurred_at=_at(first + timedelta(days=n), 12),
        )
        for n in range(90)
    ]
    movements_post(lines=lines)
    return sku


def test_a_live_stream_day_does_not_inflate_the_demand_shown(warehouse, settings, spike_method):
    """89 days selling 10 and one live-stream day selling 100, stock always on hand.

    DOMAIN.md's formula would show d = 990 / 90 = 11 and sigma_d 9.49 (the spike day in it for
    90 days); the spike-aware method caps q_t at d + 3 sigma (three passes: caps 39.5, then
    lower, finally 13.16), so the 100 is a spike episode, and the base is the other 89 days:
    10, sigma 0 (it showed 10.04 and 0.33 while the capped day stayed in the base at 13.16);
    it plans for the catalog's spike risk in the reorder point instead, above the 100 units of
    base demand in 10 days."""
    sku = _live_stream_ledger(warehouse, settings)
    recompute(AS_OF)
    row = PlanningFigures.objects.get(warehouse=warehouse, sku=sku)
    assert row.avg_daily_demand == pytest.approx(10)
    assert row.demand_std == pytest.approx(0)
    assert row.reorder_point > 100
    assert row.reorder_point_units == formulas.ceil_units(row.reorder_point)
    assert row.safety_stock == pytest.approx(row.reorder_point - row.avg_daily_demand * 10)
    assert row.order_up_to == pytest.approx(row.reorder_point + row.avg_daily_demand * 7)
    # 5000 - 990 = 4010 on hand: 401 days of cover, more than 120: overstock, nothing to order.
    assert (row.on_hand, row.status, row.suggested_order_qty) == (4010, "OVERSTOCK", 0)
    assert row.days_of_cover == pytest.approx(4010 / row.avg_daily_demand)


def _random_ledger(rng, warehouse, skus, start, days):
    """Per SKU, per day: receipts when low, sales around a base with live-stream spikes, some
    returns; stock-outs happen. Returns {sku: [(day, kind, qty), ...]}."""
    kept = {}
    for sku in skus:
        base = rng.choice([0.3, 2, 8, 25])
        cover = rng.choice([5, 20, 60])  # days of base demand kept on hand: out, tight, plenty
        stock, lines, rows = rng.randint(0, 60), [], []
        lines.append(
            MovementLine(
                warehouse=warehouse,
                sku=sku,
                kind=R,
                quantity=stock + 1,
                occurred_at=_at(start - timedelta(days=1), 8),
            )
        )
        rows.append((start - timedelta(days=1), R, stock + 1))
        stock += 1
        spike_left = 0
        for n in range(days):
            day = start + timedelta(days=n)
            if rng.random() < 0.15 and stock < base * cover:
                qty = int(base * cover * rng.uniform(0.5, 1.5)) + 1
                lines.append(
                    MovementLine(
                        warehouse=warehouse, sku=sku, kind=R, quantity=qty, occurred_at=_at(day, 7)
                    )
                )
                rows.append((day, R, qty))
                stock += qty
            if spike_left == 0 and rng.random() < 1 / 30:
                spike_left = rng.randint(2, 4)
            want = rng.randint(0, int(base * 2) + 1) * (rng.randint(4, 8) if spike_left else 1)
            spike_left = max(0, spike_left - 1)
            sold = min(want, stock)
            if sold:
                lines.append(
                    MovementLine(
                        warehouse=warehouse,
                        sku=sku,
                        kind=S,
                        quantity=-sold,
                        occurred_at=_at(day, 13),
                    )
                )
                rows.append((day, S, -sold))
                stock -= sold
            if sold and rng.random() < 0.05:
                lines.append(
                    MovementLine(
                        warehouse=warehouse, sku=sku, kind=T, quantity=1, occurred_at=_at(day, 18)
                    )
                )
                rows.append((day, T, 1))
                stock += 1
        movements_post(lines=lines)
        kept[sku] = rows
    return kept


def _dense(rows, first, days):
    """Day by day, as DOMAIN.md words it: q_t and available."""
    closing = sum(q for d, _k, q in rows if d < first)
    q_all, avail = [], []
    for n in range(days):
        day = first + timedelta(days=n)
        sold = sum(-q for d, k, q in rows if d == day and k == S)
        returned = sum(q for d, k, q in rows if d == day and k == T)
        q_t = max(0, sold - returned)
        q_all.append(q_t)
        avail.append(closing > 0 or q_t > 0)
        closing += sum(q for d, _k, q in rows if d == day)
    return q_all, avail


@pytest.mark.parametrize("slid", [False, True])
@pytest.mark.parametrize("seed", [1, 2])
def test_the_nightly_figures_are_the_methods_on_the_ledger_days(seed, slid, settings, spike_method):
    """A random ledger (spikes, stock-outs, returns) of 16 SKUs in two warehouses: every planning
    row holds what alerts/spike.py gives on the q_t and available days counted here day by day,
    with the profile and drift pooled over all 16 pairs; on a first night (the window built) and
    on a steady night (the window slid by a day from the night before)."""
    settings.TIME_ZONE = "UTC"
    rng = random.Random(seed)
    warehouses = [WarehouseFactory(code=f"S{seed}{n}", timezone="UTC") for n in range(2)]
    skus = [
        SKUFactory(
            lead_time_days=rng.randint(3, 25),
            logistics_days=rng.randint(0, 5),
            lead_time_std_days=str(rng.choice([0, 1.5, 4])),
            service_level=rng.choice([None, "0.90", "0.97"]),
            case_pack=rng.choice([1, 6]),
            moq=rng.choice([0, 20]),
        )
        for _ in range(8)
    ]
    start = AS_OF - timedelta(days=119)
    ledgers = {
        (wh.pk, sku.pk): rows
        for wh in warehouses
        for sku, rows in _random_ledger(rng, wh, skus, start, 120).items()
    }
    if slid:
        recompute(AS_OF - timedelta(days=1))
    recompute(AS_OF)
    days = settings.STOCKWISE["DEMAND_WINDOW_DAYS"]
    first = AS_OF - timedelta(days=days - 1)
    stats = {
        key: spike.capped_demand_stats(*_dense(rows, first, days)) for key, rows in ledgers.items()
    }
    profile = spike.spike_profile(stats.values())
    drift = spike.level_drift(stats.values())
    assert profile.rate > 0 and drift > 0  # the ledger has spikes and level moves to pool
    rows = {(r.warehouse_id, r.sku_id): r for r in PlanningFigures.objects.select_related("sku")}
    slow = set(SkuFacts.objects.filter(slow_mover=True).values_list("warehouse_id", "sku_id"))
    assert rows.keys() == ledgers.keys()
    statuses = set()
    for key, row in rows.items():
        plan = spike.spike_aware_plan(
            stats[key],
            profile,
            lead_time=row.lead_time_days,
            lead_std=row.lead_time_std_days,
            service_level=row.service_level,
            review_days=settings.STOCKWISE["REVIEW_PERIOD_DAYS"],
            drift=drift,
        )
        ss = max(plan.safety_stock, 0.0)
        live = formulas.stock_figures(
            d=plan.d,
            ss_units=formulas.ceil_units(ss),
            rop_units=formulas.ceil_units(plan.reorder_point),
            order_up_to=plan.order_up_to,
            case_pack=row.sku.case_pack,
            moq=row.sku.moq,
            lead_time=row.lead_time_days,
            on_hand=row.on_hand,
            on_order=row.on_order,
            slow_mover=key in slow,
            overstock_days=settings.STOCKWISE["OVERSTOCK_DAYS"],
        )
        want = {
            "avg_daily_demand": plan.d,
            "demand_std": plan.sigma,
            "safety_stock": ss,
            "reorder_point": plan.reorder_point,
            "safety_stock_units": formulas.ceil_units(ss),
            "reorder_point_units": formulas.ceil_units(plan.reorder_point),
            "order_up_to": plan.order_up_to,
            **{k: live[k] for k in ("suggested_order_qty", "days_of_cover", "status", "ad_advice")},
        }
        for name in FIGURES:
            got = getattr(row, name)
            if isinstance(want[name], float):
                assert got == pytest.approx(want[name], rel=1e-9, abs=1e-9), (key, name)
            else:
                assert got == want[name], (key, name)
        assert row.ss_method == "spike"
        statuses.add(row.status)
    assert len(statuses) >= 3, statuses


def test_a_second_night_on_the_same_ledger_rewrites_nothing(warehouse, settings, spike_method):
    _in_utc(warehouse, settings)
    rng = random.Random(5)
    skus = [SKUFactory(lead_time_days=7) for _ in range(4)]
    _random_ledger(rng, warehouse, skus, AS_OF - timedelta(days=99), 100)
    recompute(AS_OF)
    before = {r.pk: (r.computed_at, r.reorder_point) for r in PlanningFigures.objects.all()}
    recompute(AS_OF)
    after = {r.pk: (r.computed_at, r.reorder_point) for r in PlanningFigures.objects.all()}
    assert after == before
    assert len(before) == 4


def test_the_normal_method_is_untouched_by_the_setting(warehouse, settings):
    """The default: DOMAIN.md's figures (d over available days, including the spike day)."""
    sku = _live_stream_ledger(warehouse, settings)
    recompute(AS_OF)
    row = PlanningFigures.objects.get(warehouse=warehouse, sku=sku)
    assert row.avg_daily_demand == pytest.approx(11.0)


def test_switching_back_to_the_formula_rewrites_the_idle_skus_too(warehouse, settings):
    """A SKU in stock since long before its window that sold 5 a day for 30 days, 70 to 41 days
    ago, and nothing since (a slow mover on both nights), planned by the spike-aware method one
    night. The next night, with DOMAIN.md's formula set again, its window's two edges were quiet
    in-stock days (its demand facts did not change: it is in no other way "in scope" of a steady
    night), yet its row holds the formula's figures again."""
    _in_utc(warehouse, settings)
    sku = SKUFactory(lead_time_days=10, logistics_days=0, lead_time_std_days="2")
    start = AS_OF - timedelta(days=70)
    received = _at(AS_OF - timedelta(days=120), 8)
    lines = [
        MovementLine(warehouse=warehouse, sku=sku, kind=R, quantity=1000, occurred_at=received)
    ]
    lines += [
        MovementLine(
            warehouse=warehouse,
            sku=sku,
            kind=S,
            quantity=-5,
            occurred_at=_at(start + timedelta(days=n), 12),
        )
        for n in range(30)
    ]
    movements_post(lines=lines)
    settings.STOCKWISE = {**settings.STOCKWISE, "SS_METHOD": "spike"}
    recompute(AS_OF - timedelta(days=1))
    spiky = PlanningFigures.objects.get(warehouse=warehouse, sku=sku)
    facts = SkuFacts.objects.get(warehouse=warehouse, sku=sku)
    computed = facts.computed_at
    domain_ss = formulas.safety_stock(
        facts.avg_daily_demand, facts.demand_std, 10, 2.0, formulas.z_for(0.95)
    )
    assert spiky.ss_method == "spike"
    assert spiky.safety_stock != pytest.approx(domain_ss)

    settings.STOCKWISE = {**settings.STOCKWISE, "SS_METHOD": "normal"}
    recompute(AS_OF)

    assert SkuFacts.objects.get(pk=facts.pk).computed_at == computed  # the facts stood still
    row = PlanningFigures.objects.get(warehouse=warehouse, sku=sku)
    assert row.ss_method == "normal"
    assert row.avg_daily_demand == pytest.approx(facts.avg_daily_demand)
    assert row.safety_stock == pytest.approx(domain_ss)
