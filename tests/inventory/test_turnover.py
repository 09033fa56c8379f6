"""Turnover figures (DOMAIN.md "Turnover") against hand-worked numbers."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from inventory.models import MovementKind
from inventory.services import transfer_post
from inventory.turnover import (
    Band,
    Grouping,
    Period,
    combine_rows,
    month_periods,
    turnover_rows,
    turnover_series,
    turnover_total,
    turnover_trend,
)
from tests.factories import CategoryFactory, SKUFactory, WarehouseFactory
from tests.inventory.turnover_helpers import at, give_back, post, receive, sell

pytestmark = pytest.mark.django_db

MARCH_1_10 = Period(date(2025, 3, 1), date(2025, 3, 10))


def only_row(warehouse, period=MARCH_1_10, grouping=Grouping.SKU):
    rows = turnover_rows(warehouses=[warehouse], period=period, grouping=grouping)
    assert len(rows) == 1
    return rows[0]


def test_constant_stock_gives_cogs_over_units_times_cost(warehouse):
    # 100 units at 5.00 every night of March 1-10; on the 4th 30 are sold and 30 received.
    sku = SKUFactory(unit_cost=Decimal("5.00"))
    receive(warehouse, sku, 100, at(date(2025, 2, 20)))
    sell(warehouse, sku, 30, at(date(2025, 3, 4), 10))
    receive(warehouse, sku, 30, at(date(2025, 3, 4), 15))

    row = only_row(warehouse)

    assert row.cogs == Decimal("150")  # 30 × 5
    assert row.average_inventory_value == Decimal("500")  # 100 × 5
    assert row.turnover == Decimal("0.300")  # 150 / 500
    assert row.annualised_turnover == Decimal("10.950")  # 0.3 × 365 / 10
    assert row.dio == Decimal("33.3")  # 10 / 0.3
    assert row.band == Band.IN


def test_receipt_mid_period_averages_the_daily_closings(warehouse):
    # Closings: 1st-2nd 10, 3rd-5th 6 (4 sold on the 3rd), 6th-10th 26 (20 received on the 6th).
    # Σ = 2×10 + 3×6 + 5×26 = 168 unit-days → 16.8 units × 2.00 = 33.60.
    # The same by the formula: opening 10 × 10 days + (−4) × 8 days left + 20 × 5 days left.
    sku = SKUFactory(unit_cost=Decimal("2.00"))
    receive(warehouse, sku, 10, at(date(2025, 2, 20)))
    sell(warehouse, sku, 4, at(date(2025, 3, 3)))
    receive(warehouse, sku, 20, at(date(2025, 3, 6)))

    row = only_row(warehouse)

    assert row.average_inventory_value == Decimal("33.6")
    assert row.cogs == Decimal("8")
    assert row.turnover == Decimal("0.238")  # 8 / 33.6 = 0.23810
    assert row.annualised_turnover == Decimal("8.690")  # 0.23810 × 36.5
    assert row.dio == Decimal("42.0")  # 10 / 0.23810


def test_walmart_style_cogs_and_average_inventory_give_8_077_turns(warehouse):
    # Walmart FY: COGS 358,069 over an average inventory of 44,330.5 → 8.077 turns.
    # Built at 1.00 a unit over two days: closings 44,330 and 44,331, sales 358,069 units.
    sku = SKUFactory(unit_cost=Decimal("1.00"))
    day1, day2 = date(2025, 1, 30), date(2025, 1, 31)
    receive(warehouse, sku, 44_330, at(day1 - timedelta(days=1)))
    receive(warehouse, sku, 179_034, at(day1, 8))
    sell(warehouse, sku, 179_034, at(day1, 18))
    receive(warehouse, sku, 179_036, at(day2, 8))
    sell(warehouse, sku, 179_035, at(day2, 18))

    row = only_row(warehouse, Period(day1, day2))

    assert row.cogs == Decimal("358069")
    assert row.average_inventory_value == Decimal("44330.5")
    assert row.turnover == Decimal("8.077")
    assert row.dio == Decimal("0.2")  # 2 days / 8.077
    assert row.band == Band.ABOVE


def test_returns_reduce_cogs_at_their_posting_cost(warehouse):
    sku = SKUFactory(unit_cost=Decimal("3.00"))
    receive(warehouse, sku, 50, at(date(2025, 2, 1)))
    sell(warehouse, sku, 10, at(date(2025, 3, 2)))
    give_back(warehouse, sku, 2, at(date(2025, 3, 5)), cost="2.50")

    row = only_row(warehouse)

    assert row.cogs == Decimal("25")  # 10 × 3.00 − 2 × 2.50


def test_cogs_uses_cost_at_posting_and_average_inventory_the_current_cost(warehouse):
    sku = SKUFactory(unit_cost=Decimal("4.00"))
    receive(warehouse, sku, 10, at(date(2025, 2, 1)))
    sell(warehouse, sku, 5, at(date(2025, 3, 1), 1))  # closing 5 every day of the period
    sku.unit_cost = Decimal("6.00")
    sku.save()

    row = only_row(warehouse)

    assert row.cogs == Decimal("20")  # 5 × 4.00, the cost when sold
    assert row.average_inventory_value == Decimal("30")  # 5 × 6.00, the SKU's cost now


def test_adjustments_and_write_offs_move_stock_but_not_cogs(warehouse):
    sku = SKUFactory(unit_cost=Decimal("1.00"))
    receive(warehouse, sku, 20, at(date(2025, 2, 1)))
    post(warehouse, sku, MovementKind.WRITE_OFF, -10, at(date(2025, 3, 6)))
    post(warehouse, sku, MovementKind.ADJUSTMENT, 5, at(date(2025, 3, 9)))

    row = only_row(warehouse)

    assert row.cogs == 0
    # 5 days × 20 + 3 days × 10 + 2 days × 15 = 160 → 16.0
    assert row.average_inventory_value == Decimal("16")


def test_no_stock_held_gives_no_turnover(warehouse):
    # Received and sold within the day: every closing is 0, so turnover is undefined.
    sku = SKUFactory(unit_cost=Decimal("2.00"))
    receive(warehouse, sku, 5, at(date(2025, 3, 2), 8))
    sell(warehouse, sku, 5, at(date(2025, 3, 2), 9))

    row = only_row(warehouse)

    assert (row.cogs, row.average_inventory_value) == (Decimal("10"), Decimal("0"))
    assert (row.turnover, row.annualised_turnover, row.dio, row.band) == (None, None, None, None)


def test_stock_without_sales_gives_zero_turnover_infinite_dio_below_band(warehouse):
    sku = SKUFactory(unit_cost=Decimal("2.00"))
    receive(warehouse, sku, 5, at(date(2025, 2, 2)))

    row = only_row(warehouse)

    assert (row.turnover, row.annualised_turnover, row.dio) == (0, 0, None)
    assert row.band == Band.BELOW


def test_a_sku_with_neither_stock_nor_sales_in_the_period_is_left_out(warehouse):
    gone = SKUFactory()
    receive(warehouse, gone, 3, at(date(2025, 1, 2)))
    sell(warehouse, gone, 3, at(date(2025, 1, 3)))
    kept = SKUFactory()
    receive(warehouse, kept, 3, at(date(2025, 1, 2)))

    rows = turnover_rows(warehouses=[warehouse], period=MARCH_1_10)

    assert [r.label for r in rows] == [kept.seller_sku]


def test_movements_after_the_period_do_not_change_it(warehouse):
    sku = SKUFactory(unit_cost=Decimal("1.00"))
    receive(warehouse, sku, 10, at(date(2025, 2, 1)))
    sell(warehouse, sku, 2, at(date(2025, 3, 5)))
    before = only_row(warehouse)

    sell(warehouse, sku, 5, at(date(2025, 3, 11), 0))
    receive(warehouse, sku, 100, at(date(2025, 4, 1)))
    after = only_row(warehouse)

    assert (after.cogs, after.average_inventory_value) == (
        before.cogs,
        before.average_inventory_value,
    )
    assert after.average_inventory_value == Decimal("8.8")  # 4 × 10 + 6 × 8 = 88 / 10


def test_day_boundaries_follow_the_warehouse_time_zone():
    bangkok = WarehouseFactory(code="BKK", timezone="Asia/Bangkok")
    sku = SKUFactory(unit_cost=Decimal("1.00"))
    receive(bangkok, sku, 10, datetime(2025, 2, 1, tzinfo=ZoneInfo("UTC")))
    # 2025-03-31 20:00 UTC is 1 April 03:00 in Bangkok: an April sale there.
    sell(bangkok, sku, 4, datetime(2025, 3, 31, 20, 0, tzinfo=ZoneInfo("UTC")))
    # 2025-03-31 16:59 UTC is 31 March 23:59 in Bangkok: still March.
    sell(bangkok, sku, 1, datetime(2025, 3, 31, 16, 59, tzinfo=ZoneInfo("UTC")))

    march = only_row(bangkok, Period(date(2025, 3, 1), date(2025, 3, 31)))
    april_1 = only_row(bangkok, Period(date(2025, 4, 1), date(2025, 4, 1)))

    assert march.cogs == Decimal("1")
    assert april_1.cogs == Decimal("4")
    # On 31 March the Bangkok closing is 9 (not 5): 30 days × 10 + 1 × 9 = 309 / 31
    assert march.average_inventory_value == Decimal(309) / 31
    assert april_1.average_inventory_value == Decimal("5")


def test_daylight_saving_day_is_one_calendar_day(db):
    la = WarehouseFactory(code="LA", timezone="America/Los_Angeles")
    sku = SKUFactory(unit_cost=Decimal("1.00"))
    receive(la, sku, 10, at(date(2025, 3, 1), tz="America/Los_Angeles"))
    # 9 March 2025 has 23 hours in Los Angeles; 23:30 local is still the 9th.
    sell(la, sku, 4, datetime(2025, 3, 9, 23, 30, tzinfo=ZoneInfo("America/Los_Angeles")))

    row = only_row(la, Period(date(2025, 3, 9), date(2025, 3, 10)))

    assert row.cogs == Decimal("4")
    assert row.average_inventory_value == Decimal("6")  # closings 6 and 6


def test_category_band_replaces_the_global_band_where_set(warehouse):
    # Each SKU: 100 units at 1.00, 10 sold late on the 10th → closings 9 × 100 + 90 = 990 → 99;
    # turnover 10 / 99 = 0.10101, annualised × 36.5 = 3.687: below the global band 4-12.
    furniture = CategoryFactory(name="Furniture", turnover_min=Decimal("1"), turnover_max=4)
    snacks = CategoryFactory(name="Snacks", turnover_min=Decimal("3"))  # max stays 12
    gadgets = CategoryFactory(name="Gadgets", turnover_min=Decimal("1"), turnover_max=2)
    toys = CategoryFactory(name="Toys")
    for category in (furniture, snacks, gadgets, toys):
        sku = SKUFactory(unit_cost=Decimal("1.00"), category=category)
        receive(warehouse, sku, 100, at(date(2025, 2, 1)))
        sell(warehouse, sku, 10, at(date(2025, 3, 10), 23))

    by_category = {
        r.label: r
        for r in turnover_rows(warehouses=[warehouse], period=MARCH_1_10, grouping="category")
    }
    by_sku = turnover_rows(warehouses=[warehouse], period=MARCH_1_10, grouping="sku")

    assert {r.annualised_turnover for r in by_category.values()} == {Decimal("3.687")}
    assert {name: r.band for name, r in by_category.items()} == {
        "Furniture": Band.IN,
        "Snacks": Band.IN,
        "Gadgets": Band.ABOVE,
        "Toys": Band.BELOW,
    }
    assert (by_category["Snacks"].band_min, by_category["Snacks"].band_max) == (3, 12)
    # A SKU takes its category's band too.
    assert sorted(r.band for r in by_sku) == sorted(r.band for r in by_category.values())


def test_groupings_add_up_to_the_whole_business(warehouse, other_warehouse):
    toys, pets = CategoryFactory(name="Toys"), CategoryFactory(name="Pets")
    a = SKUFactory(unit_cost=Decimal("2.50"), category=toys)
    b = SKUFactory(unit_cost=Decimal("4.00"), category=pets)
    c = SKUFactory(unit_cost=Decimal("1.00"), category=None)
    for wh, sku, qty, sold in (
        (warehouse, a, 40, 7),
        (warehouse, b, 15, 3),
        (other_warehouse, a, 8, 8),
        (other_warehouse, c, 30, 1),
    ):
        receive(wh, sku, qty, at(date(2025, 2, 27)))
        sell(wh, sku, sold, at(date(2025, 3, 4)))
    both = [warehouse, other_warehouse]

    total = turnover_total(warehouses=both, period=MARCH_1_10)
    for grouping in ("sku", "category", "warehouse"):
        rows = turnover_rows(warehouses=both, period=MARCH_1_10, grouping=grouping)
        combined = combine_rows(rows, MARCH_1_10)
        assert (combined.cogs, combined.average_inventory_value) == (
            total.cogs,
            total.average_inventory_value,
        ), grouping
        assert combined.turnover == total.turnover

    categories = turnover_rows(warehouses=both, period=MARCH_1_10, grouping="category")
    assert sorted(r.label for r in categories) == ["Pets", "Toys", "Uncategorised"]
    # COGS = 7 × 2.5 + 3 × 4 + 8 × 2.5 + 1 × 1
    assert total.cogs == Decimal("50.5")


def test_transfers_move_stock_between_warehouses_without_cogs(warehouse, other_warehouse):
    sku = SKUFactory(unit_cost=Decimal("1.00"))
    receive(warehouse, sku, 10, at(date(2025, 2, 1)))
    transfer_post(
        from_warehouse=warehouse,
        to_warehouse=other_warehouse,
        sku=sku,
        quantity=4,
        occurred_at=at(date(2025, 3, 6)),
    )

    rows = {
        r.label: r
        for r in turnover_rows(
            warehouses=[warehouse, other_warehouse], period=MARCH_1_10, grouping="warehouse"
        )
    }
    total = turnover_total(warehouses=[warehouse, other_warehouse], period=MARCH_1_10)

    assert rows["A"].average_inventory_value == Decimal("8")  # 5 × 10 + 5 × 6
    assert rows["B"].average_inventory_value == Decimal("2")  # 5 × 4 / 10
    assert total.average_inventory_value == Decimal("10")
    assert total.cogs == 0


def test_only_the_given_warehouses_count(warehouse, other_warehouse):
    sku = SKUFactory(unit_cost=Decimal("1.00"))
    receive(warehouse, sku, 10, at(date(2025, 2, 1)))
    receive(other_warehouse, sku, 1000, at(date(2025, 2, 1)))
    sell(other_warehouse, sku, 500, at(date(2025, 3, 2)))

    row = only_row(warehouse)

    assert (row.cogs, row.average_inventory_value) == (0, Decimal("10"))
    assert turnover_rows(warehouses=[], period=MARCH_1_10) == []


def test_worst_offenders_come_first(warehouse):
    idle_big = SKUFactory(seller_sku="IDLE-BIG", unit_cost=Decimal("10.00"))
    idle_small = SKUFactory(seller_sku="IDLE-SMALL", unit_cost=Decimal("1.00"))
    healthy = SKUFactory(seller_sku="HEALTHY", unit_cost=Decimal("1.00"))
    hot = SKUFactory(seller_sku="HOT", unit_cost=Decimal("1.00"))
    receive(warehouse, idle_big, 100, at(date(2025, 2, 1)))
    receive(warehouse, idle_small, 100, at(date(2025, 2, 1)))
    receive(warehouse, healthy, 100, at(date(2025, 2, 1)))
    sell(warehouse, healthy, 20, at(date(2025, 3, 10), 23))  # 20 / 98 × 36.5 = 7.4: in band
    receive(warehouse, hot, 10, at(date(2025, 2, 1)))
    sell(warehouse, hot, 9, at(date(2025, 3, 10), 23))  # 9 / 9.1 × 36.5 = 36.1: above

    rows = turnover_rows(warehouses=[warehouse], period=MARCH_1_10)

    assert [r.label for r in rows] == ["IDLE-BIG", "IDLE-SMALL", "HOT", "HEALTHY"]


def test_monthly_trend_has_one_point_per_calendar_month(warehouse):
    sku = SKUFactory(unit_cost=Decimal("1.00"))
    receive(warehouse, sku, 31, at(date(2025, 1, 15)))
    sell(warehouse, sku, 10, at(date(2025, 2, 10)))  # Feb closings: 9 × 31 + 19 × 21
    receive(warehouse, sku, 10, at(date(2025, 3, 1)))

    trend = turnover_trend(warehouses=[warehouse], end=date(2025, 3, 20), months=3)

    assert [(r.start, r.end) for r in trend] == [
        (date(2025, 1, 1), date(2025, 1, 31)),
        (date(2025, 2, 1), date(2025, 2, 28)),
        (date(2025, 3, 1), date(2025, 3, 20)),
    ]
    assert trend[0].average_inventory_value == Decimal(17 * 31) / 31  # 15th-31st
    assert trend[1].average_inventory_value == Decimal(9 * 31 + 19 * 21) / 28
    assert trend[1].cogs == Decimal("10")
    assert trend[2].average_inventory_value == Decimal("31")
    # Each month equals the same period asked on its own.
    for point in trend:
        alone = turnover_total(warehouses=[warehouse], period=Period(point.start, point.end))
        assert (alone.cogs, alone.average_inventory_value) == (
            point.cogs,
            point.average_inventory_value,
        )


def test_month_periods_cross_the_year():
    periods = month_periods(date(2025, 2, 14), 3)
    assert [(p.start, p.end) for p in periods] == [
        (date(2024, 12, 1), date(2024, 12, 31)),
        (date(2025, 1, 1), date(2025, 1, 31)),
        (date(2025, 2, 1), date(2025, 2, 14)),
    ]


def test_a_period_must_be_forward_and_at_most_three_years():
    with pytest.raises(ValidationError, match="start on or before"):
        Period(date(2025, 3, 2), date(2025, 3, 1))
    with pytest.raises(ValidationError, match="at most 1096 days"):
        Period(date(2020, 1, 1), date(2025, 1, 1))
    assert Period.trailing(30, date(2025, 3, 30)) == Period(date(2025, 3, 1), date(2025, 3, 30))


def test_global_band_comes_from_settings(warehouse, settings):
    settings.STOCKWISE = {**settings.STOCKWISE, "TURNOVER_MIN": 1, "TURNOVER_MAX": 2}
    sku = SKUFactory(unit_cost=Decimal("1.00"))
    receive(warehouse, sku, 100, at(date(2025, 2, 1)))
    sell(warehouse, sku, 10, at(date(2025, 3, 10), 23))  # annualised 3.687

    assert only_row(warehouse).band == Band.ABOVE


def test_consecutive_periods_only_for_a_series(warehouse):
    with pytest.raises(ValueError, match="without gaps"):
        turnover_series(
            warehouses=[warehouse],
            periods=[Period(date(2025, 1, 1), date(2025, 1, 5)), MARCH_1_10],
        )


def brute_force(movements, skus, warehouses, period):
    """Average inventory value and COGS by walking every day of the period in Python."""
    cogs, unit_days = Decimal(0), Decimal(0)
    for wh in warehouses:
        tz = ZoneInfo(wh.timezone)
        for sku in skus:
            mine = [m for m in movements if m.warehouse_id == wh.pk and m.sku_id == sku.pk]
            for offset in range(period.days):
                day = period.start + timedelta(days=offset)
                closing = sum(
                    m.quantity for m in mine if m.occurred_at.astimezone(tz).date() <= day
                )
                unit_days += closing * sku.unit_cost
            for m in mine:
                if (
                    m.kind in ("SALE", "RETURN")
                    and period.start <= m.occurred_at.astimezone(tz).date() <= period.end
                ):
                    cogs -= m.quantity * m.unit_cost
    return cogs, unit_days / period.days


def test_figures_match_a_day_by_day_walk_of_a_random_ledger():
    import random

    from inventory.models import StockMovement

    rng = random.Random(7)
    warehouses = [
        WarehouseFactory(code="UTC1", timezone="UTC"),
        WarehouseFactory(code="LA1", timezone="America/Los_Angeles"),
        WarehouseFactory(code="BKK1", timezone="Asia/Bangkok"),
    ]
    skus = [SKUFactory(unit_cost=Decimal(c)) for c in ("1.25", "3.00", "7.10")]
    start = datetime(2025, 2, 20, tzinfo=ZoneInfo("UTC"))
    for wh in warehouses:
        for sku in skus:
            receive(wh, sku, 200, start)
    for _i in range(90):
        wh, sku = rng.choice(warehouses), rng.choice(skus)
        when = start + timedelta(hours=rng.randint(1, 24 * 40))
        kind = rng.choice(["SALE", "SALE", "RETURN", "RECEIPT"])
        qty = rng.randint(1, 6)
        post(wh, sku, kind, -qty if kind == "SALE" else qty, when, rng.choice([None, "2.20"]))
    movements = list(StockMovement.objects.all())

    for period in (
        Period(date(2025, 3, 1), date(2025, 3, 1)),
        Period(date(2025, 3, 5), date(2025, 3, 14)),  # across the US daylight-saving change
        Period(date(2025, 2, 25), date(2025, 4, 2)),
    ):
        expected_cogs, expected_avg = brute_force(movements, skus, warehouses, period)
        for grouping in ("sku", "category", "warehouse", "business"):
            rows = turnover_rows(warehouses=warehouses, period=period, grouping=grouping)
            total = combine_rows(rows, period)
            assert total.cogs == expected_cogs, (period, grouping)
            assert abs(total.average_inventory_value - expected_avg) < Decimal("1e-9")
        [series] = turnover_series(warehouses=warehouses, periods=[period])
        assert series.cogs == expected_cogs
        assert abs(series.average_inventory_value - expected_avg) < Decimal("1e-9")
        one_sku = turnover_rows(warehouses=warehouses[1:2], period=period)
        sku_cogs, sku_avg = brute_force(movements, skus, warehouses[1:2], period)
        assert sum(r.cogs for r in one_sku) == sku_cogs
        assert abs(sum(r.average_inventory_value for r in one_sku) - sku_avg) < Decimal("1e-9")
