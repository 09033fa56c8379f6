"""The decision-quality simulation (benchmarks/simulate.py) and the pure functions it runs:
demand statistics equal to the nightly SQL, the spike-aware method, every baseline's trigger,
lost sales and the fill/inventory accounting, on hand-worked cases."""

import math
from datetime import date, datetime, time
from statistics import NormalDist
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from alerts import formulas as f
from alerts import spike
from benchmarks import simulation as sim
from inventory.demand import demand_facts_update
from inventory.facts import facts_ensure_rows
from inventory.models import MovementKind, SkuFacts
from inventory.services import MovementLine, movements_post
from tests.factories import SKUFactory, WarehouseFactory

# ---------------------------------------------------------------------------------------------
# demand_stats: the pure twin of inventory/demand.py
# ---------------------------------------------------------------------------------------------


def test_demand_stats_leave_out_stock_out_days():
    """q 4,0,6,[0,0 out of stock],5,0,3,0,2: n 8, mean 20/8 = 2.5, squared deviations 40."""
    q = [4, 0, 6, 0, 0, 5, 0, 3, 0, 2]
    closing_before = [10, 6, 6, 0, 0, 0, 15, 16, 13, 13]
    available = [f.day_available(x, c) for x, c in zip(q, closing_before, strict=True)]
    assert available == [True, True, True, False, False, True, True, True, True, True]
    d, sd = f.demand_stats(q, available)
    assert d == 2.5
    assert sd == pytest.approx(math.sqrt(40 / 7))


def test_demand_stats_with_no_or_one_available_day():
    assert f.demand_stats([0, 0], [False, False]) == (0.0, 0.0)
    assert f.demand_stats([3, 0], [True, False]) == (3.0, 0.0)
    with pytest.raises(ValueError):
        f.demand_stats([1, 2], [True])


@pytest.mark.django_db
def test_demand_stats_equal_the_nightly_sql_on_a_small_ledger(settings):
    """The same 10-day story through the ledger and the SQL: the same doubles."""
    settings.STOCKWISE = {**settings.STOCKWISE, "DEMAND_WINDOW_DAYS": 10}
    tz = ZoneInfo("Asia/Bangkok")
    wh = WarehouseFactory(code="BKK", timezone="Asia/Bangkok")
    sku = SKUFactory()
    R, S, T = MovementKind.RECEIPT, MovementKind.SALE, MovementKind.RETURN
    rows = [
        (date(2026, 2, 27), R, 10),
        (date(2026, 3, 1), S, -4),
        (date(2026, 3, 3), S, -6),
        (date(2026, 3, 6), R, 20),
        (date(2026, 3, 6), S, -5),
        (date(2026, 3, 7), S, -1),
        (date(2026, 3, 7), T, 2),
        (date(2026, 3, 8), S, -3),
        (date(2026, 3, 10), S, -2),
    ]
    movements_post(
        lines=[
            MovementLine(
                warehouse=wh,
                sku=sku,
                kind=kind,
                quantity=qty,
                occurred_at=datetime.combine(day, time(9 + n % 5), tz),
            )
            for n, (day, kind, qty) in enumerate(rows)
        ]
    )
    facts_ensure_rows(date(2026, 3, 10))
    demand_facts_update(date(2026, 3, 10))
    facts = SkuFacts.objects.get(warehouse=wh, sku=sku)
    q = [4, 0, 6, 0, 0, 5, 0, 3, 0, 2]
    closing_before = [10, 6, 6, 0, 0, 0, 15, 16, 13, 13]
    d, sd = f.demand_stats(
        q, [f.day_available(x, c) for x, c in zip(q, closing_before, strict=True)]
    )
    assert (facts.avg_daily_demand, facts.demand_std) == (d, pytest.approx(sd, rel=1e-12))


# ---------------------------------------------------------------------------------------------
# The spike-aware method
# ---------------------------------------------------------------------------------------------


def test_a_spike_day_is_capped_out_of_the_base_demand():
    """89 days of 9/11/10 and one live-stream day of 100 in the middle.

    Plain: d = 990 / 90 = 11, sigma^2 = (18988 - 990^2/90) / 89 = 8098 / 89 -> sigma 9.54.
    Capped (to find the spike): the cap falls below 20, so the 100 starts an episode, and the
    10 after it (below d + sigma) ends it. The base is the 89 other days: d_c = 890 / 89 = 10,
    sigma_c^2 = (44 x 1 + 44 x 1 + 0) / 88 = 1; the episode is 100 - 10 = 90 units.
    """
    q = [9, 11] * 22 + [100, 10] + [9, 11] * 22
    available = [True] * 90
    d, sd = f.demand_stats(q, available)
    assert d == 11
    assert sd == pytest.approx(math.sqrt(8098 / 89))
    capped = spike.capped_demand_stats(q, available)
    assert capped.cap < 20  # the spike no longer sets its own cap
    assert capped.d == pytest.approx(10) and capped.sigma == pytest.approx(1)  # vs 11 and 9.5
    # The 30-day parts leave the spike day out too: (140 + 10 + 140) / 29 = 10 in the middle.
    assert capped.n == 90 and capped.parts == (10, 10, 10)
    assert capped.episodes == (pytest.approx(90),)


def test_a_spike_episode_runs_while_sales_stay_above_base_plus_sigma():
    """Base 10 (sigma about 1, cap about 14): 80, 40, 20 then 12 and back to 10: one episode of
    (80 - d) + (40 - d) + (20 - d) + (12 - d) units. A day left out (out of stock) ends an
    episode; 20 is above the cap, so it starts the next one."""
    base = [9, 11] * 40
    capped = spike.capped_demand_stats(base + [80, 40, 20, 12, 10, 10, 10, 10, 10, 10], [True] * 90)
    assert len(capped.episodes) == 1
    assert capped.episodes[0] == pytest.approx(152 - 4 * capped.d)
    q = base + [80, 40, 20, 12, 10] + [10] * 5
    cut = spike.capped_demand_stats(q, [True] * 81 + [False] + [True] * 8)
    assert cut.episodes == (pytest.approx(80 - cut.d), pytest.approx(32 - 2 * cut.d))


def test_normal_loss_function():
    """G(0) = 1/sqrt(2 pi) = 0.39894; G(1) = 0.24197 - 0.15866 = 0.08332 (textbook table);
    far below the mean G(z) = -z (every unit of the gap is short)."""
    assert spike.normal_loss(0) == pytest.approx(0.398942, abs=1e-6)
    assert spike.normal_loss(1) == pytest.approx(0.083315, abs=1e-6)
    assert spike.normal_loss(-8) == pytest.approx(8, abs=1e-9)


def test_without_spikes_the_service_level_is_a_fill_rate():
    """d_c 10, sigma_c 3, L 10, sigma_L 0, R 7, 95 %, no spikes: lead-time demand of mean 100
    and sigma sqrt(90) = 9.487, lognormal; allowed lost 0.05 x 10 = 0.5 a day = E d / (Q + E),
    Q = 70 (lost sales lengthen the cycle) -> E = 35 / 9.5 = 3.6842. Lognormal:
    s^2 = ln(1 + 90 / 100^2) = 0.0089597, s = 0.094656; at x = 100.19,
    d2 = (ln(100 / 100.19) - s^2 / 2) / s = -0.067382, E = 100 Phi(d2 + s) - x Phi(d2)
    = 100 x 0.510880 - 100.19 x 0.473139 = 3.6842 (numerical integration of the lognormal:
    E(100.1) = 3.7269, E(100.2) = 3.6794, so x = 100.1 + 0.1 x 0.0427 / 0.0475 = 100.190):
    SS = 0.190 units, ROP 100.190, S 170.19 (a normal lead-time demand gave 0.203: the skew
    hardly matters this close to the mean, and the tolerance below tells the two apart).
    (DOMAIN.md's z = 1.6449 gives SS 15.6: a 95 % chance of no stock-out per cycle.)"""
    stats = spike.CappedStats(d=10, sigma=3, cap=19, n=90)
    plan = spike.spike_aware_plan(
        stats, spike.SpikeProfile(), lead_time=10, lead_std=0, service_level=0.95, review_days=7
    )
    assert plan.safety_stock == pytest.approx(0.190, abs=0.002)
    assert plan.reorder_point == pytest.approx(100.190, abs=0.002)
    assert plan.order_up_to == pytest.approx(plan.reorder_point + 70)


def test_spike_risk_raises_the_reorder_point_to_cover_the_lost_spike_units():
    """The same SKU in a catalog where a spike of 10 base days (100 units) starts on 1 day in
    100: demanded a day 10 x (1 + 0.01 x 10) = 11, allowed lost 0.55. With x far above the base
    (100) the ordinary cycles lose nothing. A spike alone in the lead time adds (200 - x); one
    that follows another in the same lead time (chance p = 1 - exp(-0.01 x 10) = 0.0951626)
    adds (300 - x) - (200 - x) = 100: 0.01 ((1 - p)(200 - x) + 100 p) = 0.55
    -> 200 - x = (55 - 9.51626) / 0.9048374 = 50.2673, x = 149.733, SS = 49.733.
    (Charged alone and whole, as in session 2: 0.01 (200 - x) = 0.55, x = 145.)"""
    stats = spike.CappedStats(d=10, sigma=3, cap=19, n=90)
    plan = spike.spike_aware_plan(
        stats,
        spike.SpikeProfile(rate=0.01, volumes=(10.0,)),
        lead_time=10,
        lead_std=0,
        service_level=0.95,
        review_days=7,
    )
    assert plan.reorder_point == pytest.approx(149.733, abs=0.01)
    assert plan.safety_stock == pytest.approx(49.733, abs=0.01)
    with pytest.raises(ValueError):
        spike.spike_aware_plan(
            stats, spike.SpikeProfile(), lead_time=10, lead_std=0, service_level=1, review_days=7
        )


def test_the_catalog_spike_profile_weighs_skus_by_base_volume():
    """Fast (d 10, 90 days, episodes 50 and 150 units = 5 and 15 base days) and slow (d 0.1,
    90 days, one episode of 2 units = 20 base days). Weights 10, 10, 0.1:
    rate = (10 x 2 + 0.1 x 1) / (10 x 90 + 0.1 x 90) = 20.1 / 909."""
    fast = spike.CappedStats(d=10, sigma=3, cap=19, n=90, episodes=(50.0, 150.0))
    slow = spike.CappedStats(d=0.1, sigma=0.3, cap=1, n=90, episodes=(2.0,))
    profile = spike.spike_profile([fast, slow], bins=2)
    assert profile.rate == pytest.approx(20.1 / 909)
    # Two bins of 10.05 each, filled in order of volume: 5 (10) with 0.05 of 15, then 9.95 of 15
    # with 0.1 of 20: (50 + 0.75) / 10.05 and (149.25 + 2) / 10.05.
    assert profile.volumes == (pytest.approx(50.75 / 10.05), pytest.approx(151.25 / 10.05))
    assert spike.spike_profile([]) == spike.SpikeProfile()


# ---------------------------------------------------------------------------------------------
# The simulator
# ---------------------------------------------------------------------------------------------


def _scenario(demand, *, lead=2, lead_std=0.0, cost=2.0, warmup=2) -> sim.Scenario:
    demand = np.array([demand], dtype=np.int64)
    return sim.Scenario(
        demand=demand,
        lead_draw=np.full(demand.shape, lead, dtype=np.int64),
        lead_time=np.array([lead]),
        lead_std=np.array([lead_std]),
        unit_cost=np.array([cost]),
        spike_days=np.zeros(demand.shape, dtype=bool),
        warmup=warmup,
    )


class Fixed(sim.Policy):
    """Order up to `target` when IP <= `trigger` (and start the year at `target`)."""

    name = "fixed"

    def __init__(self, trigger, target):
        super().__init__(trigger)
        self.trigger, self.target = trigger, target

    def levels(self, t, scn, hist):
        return np.array([self.trigger], dtype=float), np.array([self.target], dtype=float)


def test_sales_are_lost_when_out_of_stock():
    """10 units, 4 wanted a day, never reordered: sold 4, 4, 2, 0, 0 of 20 wanted."""
    scn = _scenario([4] * 7, cost=2.5)
    r = sim.simulate(scn, Fixed(-1, 10))
    assert (r.demanded, r.served) == (20, 10)
    assert r.fill_rate == 0.5
    assert r.stockout_sku_days == 3  # closed at 0 on the last three days
    assert r.avg_inventory_value == pytest.approx((6 + 2 + 0 + 0 + 0) / 5 * 2.5)
    assert r.orders == 0


def test_fill_rate_and_inventory_accounting_on_a_hand_checked_year():
    """Trigger 3, up to 10, lead time 2, 3 wanted a day, from 10 units:
    day 1: 10 -> 7; 2: 7 -> 4; 3: 4 -> 1, IP 1 <= 3: order 9 (due day 5);
    4: sells 1 of 3 -> 0 (IP 9); 5: +9, 9 -> 6; 6: 6 -> 3, IP 3 <= 3: order 7.
    Served 16 of 18; closings 7, 4, 1, 0, 6, 3: mean 3.5 units x 2 = 7.0; 2 orders in 6 days."""
    scn = _scenario([3] * 8, lead=2, cost=2.0)
    r = sim.simulate(scn, Fixed(3, 10))
    assert (r.demanded, r.served) == (18, 16)
    assert r.avg_inventory_value == pytest.approx(7.0)
    assert r.stockout_sku_days == 1
    assert r.orders == 2
    assert r.orders_per_sku_year == pytest.approx(2 * 365 / 6)


def test_the_simulator_is_deterministic_per_seed():
    a, b, c = (sim.make_scenario(s, skus=15, year=40) for s in (7, 7, 8))
    assert np.array_equal(a.demand, b.demand) and np.array_equal(a.lead_draw, b.lead_draw)
    assert not np.array_equal(a.demand, c.demand)
    first, again = (sim.simulate(x, sim.Ours(0.95), seed=7) for x in (a, b))
    assert first == again
    spiky = sim.simulate(a, sim.OursSpike(0.95), seed=7)
    assert spiky == sim.simulate(b, sim.OursSpike(0.95), seed=7)


def _history(sold, closing=None, t=89):
    sold = np.array([sold], dtype=np.int64)
    closing = np.ones_like(sold) if closing is None else np.array([closing], dtype=np.int64)
    available = np.ones(sold.shape, dtype=bool)
    available[:, 1:] = (closing[:, :-1] > 0) | (sold[:, 1:] > 0)
    return sim.History(sold, closing, available), t


def _levels(policy, hist_t, lead=10, lead_std=0.0):
    hist, t = hist_t
    scn = _scenario([0] * hist.sold.shape[1], lead=lead, lead_std=lead_std)
    trigger, target = policy.levels(t, scn, hist)
    return float(trigger[0]), float(target[0])


def test_buffer_days_trigger_on_the_30_day_average():
    """60 units in the last 30 days (and 600 before, ignored): avg 2; L 10, 5 safety days:
    trigger (10 + 5) x 2 = 30, order up to (7 + 10 + 5) x 2 = 44."""
    sold = [10] * 60 + [2] * 30
    assert _levels(sim.BufferDays(5), _history(sold)) == (30, 44)


def test_erpnext_reorder_level_uses_calendar_days_stock_outs_included():
    """180 units over 90 calendar days (30 of them out of stock): ADC 2; L 10, 4 SS days:
    level 4 x 2 + 2 x 10 = 28, up to 28 + 2 x 7 = 42."""
    sold = [3] * 60 + [0] * 30
    closing = [5] * 59 + [0] * 31
    assert _levels(sim.ErpNext(4), _history(sold, closing)) == (28, 42)


def test_linnworks_uses_the_in_stock_average():
    """The same history: 180 units over the 60 in-stock days: 3 a day; L 10 x 1.5:
    ROP 45, up to 45 + 3 x 7 = 66."""
    sold = [3] * 60 + [0] * 30
    closing = [5] * 59 + [0] * 31
    assert _levels(sim.Linnworks(1.5), _history(sold, closing)) == (45, 66)


def test_ours_runs_the_domain_formulas():
    """q 8/12 alternating: d 10, sigma^2 = 90 x 4 / 89; L 9, 95 %: SS = 1.6449 sqrt(9 sigma^2)
    = 9.925; ROP 99.925 -> 100 units; S = 10 x 16 + SS = 169.925. Stock-out days left out."""
    ss = f.z_for(0.95) * math.sqrt(9 * 360 / 89)
    assert ss == pytest.approx(9.925, abs=0.001)
    sold = [8, 12] * 45
    assert _levels(sim.Ours(0.95), _history(sold), lead=9) == (100, pytest.approx(160 + ss))
    # Ten days out of stock (closing 0, nothing sold) change nothing:
    sold_out = [8, 12] * 40 + [0] * 10
    closing = [5] * 79 + [0] * 11
    trigger, target = _levels(sim.Ours(0.95), _history(sold_out, closing), lead=9)
    assert trigger == 100
    assert target == pytest.approx(160 + f.z_for(0.95) * math.sqrt(9 * 320 / 79))


def test_interpolation_at_a_fill_rate():
    pts = [
        sim.Point("p", 1, 0.90, 100.0, 0, 10, 0, 0),
        sim.Point("p", 2, 0.96, 160.0, 0, 12, 0, 0),
    ]
    assert sim.at_fill(pts, 0.95) == pytest.approx(150.0)
    assert sim.at_fill(pts, 0.95, "orders_per_sku_year") == pytest.approx(11 + 2 / 3)
    assert math.isnan(sim.at_fill(pts, 0.97))


@pytest.mark.parametrize(("method", "ids"), [("normal", []), ("spike", []), ("x", ["alerts.E001"])])
def test_the_ss_method_setting_is_checked(settings, method, ids):
    from alerts.checks import ss_method_check

    settings.STOCKWISE = {**settings.STOCKWISE, "SS_METHOD": method}
    assert [m.id for m in ss_method_check(None)] == ids


def test_the_reorder_point_solves_the_loss_equation_with_overlapping_spikes():
    """A case where spikes overlap the ordinary lead-time demand (d 5, sigma_c 2, L 20,
    sigma_L 2, 97 %; spikes of 3 and 12 base days, 1 start in 50 days): the reorder point the
    solver returns loses, by the module's equation written out again here (the lognormal loss
    through the standard library's normal distribution), what the level allows; a unit less
    loses more, a unit more loses less."""
    stats = spike.CappedStats(d=5, sigma=2, cap=11, n=90)
    profile = spike.SpikeProfile(rate=0.02, volumes=(3.0, 12.0))
    plan = spike.spike_aware_plan(
        stats, profile, lead_time=20, lead_std=2, service_level=0.97, review_days=7
    )
    mu, sigma = 100.0, math.sqrt(20 * 4 + 25 * 4)
    shifts = [15.0, 60.0]
    mean_s = sum(shifts) / 2
    sigma_o = math.sqrt(sigma**2 + sum(s * s for s in shifts) / 2 - mean_s**2)
    p = 1 - math.exp(-0.02 * 20)

    def short(y, m, s):
        """E[(D - y)^+] of a lognormal D with mean m and std s."""
        s2 = math.log(1 + (s / m) ** 2)
        d2 = (math.log(m / y) - s2 / 2) / math.sqrt(s2)
        return m * NormalDist().cdf(d2 + math.sqrt(s2)) - y * NormalDist().cdf(d2)

    def lost(x):
        lost_in_cycle = short(x, mu, sigma)
        # Q = 35 units = 7 days of base demand; a cycle lasts until Q + E units were asked for.
        cycles = lost_in_cycle * 5 / (35 + lost_in_cycle)
        added = sum(
            (1 - p) * (short(x - s, mu, sigma) - short(x, mu, sigma))
            + p * (short(x - s, mu + mean_s, sigma_o) - short(x, mu + mean_s, sigma_o))
            for s in shifts
        )
        return cycles + 0.02 / 2 * added

    allowed = 0.03 * 5 * (1 + 0.02 * 7.5)
    x = plan.reorder_point
    assert lost(x) == pytest.approx(allowed, rel=1e-6)
    assert lost(x - 1) > allowed > lost(x + 1)
    assert plan.safety_stock == pytest.approx(x - 100)
