"""The replenishment arithmetic against hand-worked numbers (DOMAIN.md)."""

import math

import pytest

from alerts import formulas as f


def test_z_of_the_default_service_level_is_1_6449():
    assert f.z_for(0.95) == pytest.approx(1.6449, abs=1e-4)
    assert f.z_for(0.90) == pytest.approx(1.2816, abs=1e-4)
    assert f.z_for(0.5) == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("bad", [0, 1, 1.2, -0.1])
def test_service_level_outside_0_1_is_refused(bad):
    with pytest.raises(ValueError):
        f.z_for(bad)


def test_textbook_case_safety_stock_129_1_and_reorder_point_429_1():
    """d 50, sigma_d 5, L 6, sigma_L 2, 90 %:
    SS = 1.2816 * sqrt(6*25 + 2500*4) = 1.2816 * 100.747 = 129.11; ROP = 300 + 129.11."""
    z = f.z_for(0.90)
    ss = f.safety_stock(50, 5, 6, 2, z)
    assert ss == pytest.approx(129.1, abs=0.05)
    assert f.reorder_point(50, 6, ss) == pytest.approx(429.1, abs=0.05)
    assert f.ceil_units(ss) == 130
    assert f.ceil_units(f.reorder_point(50, 6, ss)) == 430


def test_no_lead_time_variability_leaves_only_demand_variability():
    """d 10, sigma_d 4, L 9, sigma_L 0, 95 %: SS = 1.6449 * sqrt(9*16) = 1.6449 * 12 = 19.74."""
    ss = f.safety_stock(10, 4, 9, 0, f.z_for(0.95))
    assert ss == pytest.approx(19.74, abs=0.01)
    assert f.ceil_units(ss) == 20
    assert f.ceil_units(f.reorder_point(10, 9, ss)) == 110  # 90 + 19.74


def test_whole_units_ignore_floating_point_noise_but_not_real_fractions():
    assert f.ceil_units(300.00000000000006) == 300
    assert f.ceil_units(300.001) == 301
    assert f.ceil_units(0) == 0


def test_order_up_to_and_suggestion_rounded_up_to_case_pack_and_raised_to_moq():
    """d 10, L 14, R 7, SS 20: S = 10 * 21 + 20 = 230. IP 95: short 135 -> 12 a case: 144."""
    s = f.order_up_to(10, 14, 7, 20)
    assert s == 230
    assert f.suggested_order(s, 95, case_pack=12, moq=0) == 144
    assert f.suggested_order(s, 95, case_pack=1, moq=0) == 135
    assert f.suggested_order(s, 225, case_pack=1, moq=50) == 50  # 5 raised to the MOQ
    assert f.suggested_order(s, 230, case_pack=12, moq=50) == 0  # nothing short: no MOQ
    assert f.suggested_order(s, 500, case_pack=12, moq=50) == 0
    assert f.suggested_order(229.5, 229, case_pack=1, moq=0) == 1  # half a unit short: 1


def test_days_of_cover_is_infinite_without_demand():
    assert f.days_of_cover(30, 2.5) == 12
    assert f.days_of_cover(30, 0) is None


@pytest.mark.parametrize(
    ("on_hand", "on_order", "cover", "expected"),
    [
        (0, 500, 0, f.STOCKOUT),  # on order does not help what is on the shelf
        (-2, 0, None, f.STOCKOUT),
        (20, 500, 2, f.BELOW_SAFETY),  # SS 20: at the line counts
        (21, 0, 2.1, f.REORDER),  # IP 21 <= ROP 110
        (60, 50, 6, f.REORDER),  # IP 110 = ROP
        (60, 51, 6, f.OK),
        (1300, 0, 130, f.OVERSTOCK),  # > 120 days
        (1200, 0, 120, f.OK),  # exactly 120 is not over
        (500, 0, None, f.OVERSTOCK),  # no demand at all
    ],
)
def test_status_takes_the_first_line_that_applies(on_hand, on_order, cover, expected):
    got = f.status(
        on_hand=on_hand,
        on_order=on_order,
        ss_units=20,
        rop_units=110,
        cover=cover,
        overstock_days=120,
    )
    assert got == expected


def test_urgency_orders_statuses_by_severity():
    assert [f.urgency(s) for s in f.STATUSES] == [0, 1, 2, 3, 4]


@pytest.mark.parametrize(
    ("status", "cover", "slow", "expected"),
    [
        (f.STOCKOUT, 0, False, f.PAUSE),
        (f.BELOW_SAFETY, 1, True, f.PAUSE),
        (f.REORDER, 10, False, f.REDUCE),  # 10 days of cover, lead time 15
        (f.OK, 14.9, True, f.REDUCE),  # running out wins over slow mover
        (f.OK, 40, True, f.PUSH),
        (f.OVERSTOCK, None, False, f.PUSH),
        (f.REORDER, 20, False, f.KEEP),
        (f.OK, 15, False, f.KEEP),  # exactly the lead time: not less
    ],
)
def test_ad_advice(status, cover, slow, expected):
    assert f.ad_advice(stock_status=status, cover=cover, lead_time=15, slow_mover=slow) == expected


def test_lead_time_std_is_learned_from_three_receipts_or_more():
    assert f.lead_time_std_learned([10, 12]) is None
    assert f.lead_time_std_learned([10, 12, 14]) == pytest.approx(2.0)
    assert f.lead_time_std_learned([20, 20, 20, 20]) == 0
    assert math.isclose(f.lead_time_std_learned([7, 9, 14, 10]), 2.943920288775949)
