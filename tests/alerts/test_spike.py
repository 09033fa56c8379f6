"""The spike-aware method's base level, level drift, censored spikes and fill-rate reorder point
(alerts/spike.py, points 3 and 4), on hand-worked numbers. The capping and the catalog profile
are in test_simulation.py."""

import math

import pytest

from alerts import spike


def test_week_weights_halve_by_whole_weeks():
    """14 days, half-life 7: the older week (ages 13..7) weighs 0.5, this week (6..0) 1."""
    assert spike.week_weights(14, half_life=7) == (0.5,) * 7 + (1.0,) * 7
    assert spike.week_weights(3, half_life=0) == (1.0, 1.0, 1.0)
    # The default half-life, 21 days: the week 3 weeks back (ages 21..27) weighs half; the oldest
    # day of 90 (age 89, week 12) 0.5^(84 / 21) = 1/16.
    w = spike.week_weights(90)
    assert w[-1] == 1 and w[-21] == pytest.approx(0.5 ** (14 / 21))
    assert w[-22] == pytest.approx(0.5) and w[0] == pytest.approx(1 / 16)


def test_the_base_level_weighs_recent_weeks_more():
    """A week of 10 then a week of 20 (no spike: d 15, sigma 5.19, cap 30.6), half-life 7:
    level (0.5 x 70 + 140) / (0.5 x 7 + 7) = 175 / 10.5 = 16.67 (the flat mean says 15);
    mean age (0.5 x (7 + ... + 13) + (0 + ... + 6)) / 10.5 = 56 / 10.5 = 5.33 days;
    7-day parts: 10 and 20."""
    q = [10] * 7 + [20] * 7
    stats = spike.capped_demand_stats(q, [True] * 14, half_life=7, span=7)
    assert stats.d == 15
    assert stats.level == pytest.approx(175 / 10.5)
    assert stats.base == stats.level
    assert stats.age == pytest.approx(56 / 10.5)
    assert stats.parts == (10, 20)
    # A day out of stock weighs nothing and leaves its part with the other days.
    cut = spike.capped_demand_stats(q, [True] * 13 + [False], half_life=7, span=7)
    assert cut.level == pytest.approx((35 + 120) / 9.5)
    assert cut.parts == (10, 20)
    # Without a level (hand-made stats), the plan uses d.
    assert spike.CappedStats(d=3, sigma=1, cap=6, n=90).base == 3


def test_level_drift_pools_the_catalog_with_the_noise_taken_out():
    """SKU A: d 10, sigma 2, 30-day parts 9, 11, 10. Noise of a difference of two 30-day means:
    2 x 4 / 30 = 0.2667. Pairs: (4 - 0.2667) / 10 = 0.3733 and (1 - 0.2667) / 10 = 0.0733,
    weight 10 each: drift = sqrt(0.4467 / 20) = 0.1494. SKU B sells 0.5 a day: left out."""
    a = spike.CappedStats(d=10, sigma=2, cap=16, n=90, parts=(9.0, 11.0, 10.0))
    b = spike.CappedStats(d=0.5, sigma=1, cap=3.5, n=90, parts=(0.0, 3.0, 0.0))
    assert spike.level_drift([a, b]) == pytest.approx(math.sqrt((3.7333 + 0.7333) / 200), 1e-4)
    assert spike.level_drift([a, b]) == pytest.approx(0.1494, abs=1e-4)
    # A part with no available day is skipped; no pair at all gives 0.
    c = spike.CappedStats(d=10, sigma=2, cap=16, n=60, parts=(None, 11.0, 10.0))
    assert spike.level_drift([c]) == pytest.approx(math.sqrt(0.0733 / 10), 1e-3)
    assert spike.level_drift([b]) == 0.0


def test_level_drift_widens_the_lead_time_demand():
    """d_b 10, sigma_c 0, L 10, sigma_L 0, drift 0.1, level age 20 days, R 7, 95 %, no spikes:
    sigma^2 = (0.1 x 10 x 10)^2 x (20 + 10 / 2) / 30 = 83.33, sigma 9.129; allowed lost 0.5 a
    day = E d / (70 + E) -> E = 3.6842. Lognormal lead-time demand of mean 100:
    s^2 = ln(1 + 83.33 / 100^2) = 0.0082988, s = 0.091098; at x = 99.894,
    d2 = (ln(100 / 99.894) - s^2 / 2) / s = -0.033907,
    E = 100 Phi(d2 + s) - x Phi(d2) = 52.2803 - 99.894 x 0.486476 = 3.6843 (numerical
    integration: E(99.8) = 3.7303, E(99.9) = 3.6814): SS = -0.106 (the level's drift alone asks
    for no safety stock; a normal lead-time demand gave -0.084)."""
    stats = spike.CappedStats(d=10, sigma=0, cap=10, n=90, level=10, age=20)
    plan = spike.spike_aware_plan(
        stats,
        spike.SpikeProfile(),
        lead_time=10,
        lead_std=0,
        service_level=0.95,
        review_days=7,
        drift=0.1,
    )
    assert plan.safety_stock == pytest.approx(-0.106, abs=0.002)
    # No drift, no noise: nothing can be lost, SS 0.
    flat = spike.spike_aware_plan(
        stats, spike.SpikeProfile(), lead_time=10, lead_std=0, service_level=0.95, review_days=7
    )
    assert flat.safety_stock == 0


def test_a_low_fill_target_gives_a_negative_safety_stock():
    """d 10, sigma_c 3, L 10, R 7, 80 %: allowed lost 2 a day = E d / (70 + E), sigma 9.487:
    E = 17.5. Lognormal lead-time demand of mean 100 (s = 0.094656 as in test_simulation's
    95 % case): at x = 82.57, d2 = (ln(100 / 82.57) - s^2 / 2) / s = 1.976040,
    E = 100 Phi(d2 + s) - x Phi(d2) = 98.0806 - 82.57 x 0.975925 = 17.4985 (numerical
    integration: E(82.5) = 17.5669, E(82.6) = 17.4693, so x = 82.57 to 0.01): SS = -17.43,
    ROP 82.57 (each 7-day order covers the rest). A normal lead-time demand: G(-a) = a + G(a)
    = 17.5 / 9.487 = 1.8447 at a = 1.8315 (1.8 + G(1.8) = 1.8143, 1.85 + G(1.85) = 1.8626),
    SS = -17.37: the right-skewed demand lies more below its mean."""
    stats = spike.CappedStats(d=10, sigma=3, cap=19, n=90)
    plan = spike.spike_aware_plan(
        stats, spike.SpikeProfile(), lead_time=10, lead_std=0, service_level=0.80, review_days=7
    )
    assert plan.safety_stock == pytest.approx(-17.43, abs=0.01)
    assert plan.reorder_point == pytest.approx(100 + plan.safety_stock)
    assert spike.normal_loss(-1.8315) == pytest.approx(17.5 / math.sqrt(90), abs=1e-3)


def test_a_spike_that_emptied_the_shelf_counts_as_at_least_its_sales():
    """Base 10 (sigma about 1): a spike of 80, 40 then out of stock (the next day left out):
    its episode is censored; one of 60, 30 that ended in stock is not."""
    base = [9, 11] * 35
    q = base + [80, 40, 0, 0] + [10] * 6 + [60, 30, 10, 10] + [10] * 6
    ok = [True] * 72 + [False, False] + [True] * 16
    stats = spike.capped_demand_stats(q, ok)
    assert len(stats.episodes) == 2
    assert stats.censored == (True, False)
    assert stats.episodes[0] == pytest.approx(120 - 2 * stats.d)


def test_censored_spike_volumes_by_kaplan_meier():
    """One SKU (d 1): episodes of 2, 4 (censored) and 6 base days. Kaplan-Meier: 2 takes 1/3;
    4 is only 'more than 4'; 6 takes the remaining 2/3. Three equal bins: 2, 6, 6, mean 4.67
    (the plain mean 4 would take the cut spike at its sales)."""
    s = spike.CappedStats(
        d=1, sigma=1, cap=4, n=100, episodes=(2.0, 4.0, 6.0), censored=(False, True, False)
    )
    profile = spike.spike_profile([s], bins=3)
    assert profile.rate == pytest.approx(3 / 100)
    assert profile.volumes == (pytest.approx(2), pytest.approx(6), pytest.approx(6))
    assert profile.mean_volume == pytest.approx(14 / 3)
    # The largest censored: its remaining weight stays on it.
    top = spike.CappedStats(d=1, sigma=1, cap=4, n=100, episodes=(2.0, 8.0), censored=(False, True))
    assert spike.spike_profile([top], bins=2).volumes == (pytest.approx(2), pytest.approx(8))


def test_a_lead_time_of_zero_days_plans_without_failing():
    """Supplier and logistics days may both be 0: the lead-time demand then has no mean, and
    with a lead-time spread its lognormal had none to scale by (a ZeroDivisionError at night)."""
    stats = spike.CappedStats(d=10, sigma=3, cap=19, n=90)
    profile = spike.SpikeProfile(rate=0.01, volumes=(2.0, 5.0))
    plan = spike.spike_aware_plan(
        stats, profile, lead_time=0, lead_std=1.5, service_level=0.95, review_days=7
    )
    assert plan.reorder_point >= 0 and math.isfinite(plan.safety_stock)
    assert plan.order_up_to == pytest.approx(plan.reorder_point + 70)
