"""FIFO stock age: hand-worked vectors, time zones, negative stock, nightly slow-mover facts."""

import random
from collections import deque
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from inventory.ageing import BUCKET_KEYS, ageing_rows, bucket_totals
from inventory.ages import oldest_unit_age
from inventory.facts import recompute
from inventory.models import MovementKind, SkuFacts
from inventory.services import movement_post
from tests.factories import CategoryFactory, SKUFactory, WarehouseFactory

pytestmark = pytest.mark.django_db

D = date(2025, 3, 31)
K = MovementKind


def post(warehouse, sku, kind, qty, day, hour=12):
    at = datetime.combine(day, time(hour), ZoneInfo(warehouse.timezone))
    return movement_post(warehouse=warehouse, sku=sku, kind=kind, quantity=qty, occurred_at=at)


def ago(days):
    return D - timedelta(days=days)


def only_row(warehouse, sku, as_of=D):
    rows = [r for r in ageing_rows([warehouse], as_of) if r.sku_id == sku.pk]
    assert len(rows) <= 1
    return rows[0] if rows else None


def units(row):
    return {key: row.units[key] for key in BUCKET_KEYS if row.units[key]}


def test_sale_consumes_the_oldest_layer_first(warehouse, sku):
    # +30 on day 1, +20 on day 2, -10 on day 3 -> 20 left from day 1 and 20 from day 2.
    post(warehouse, sku, K.RECEIPT, 30, ago(100))
    post(warehouse, sku, K.RECEIPT, 20, ago(45))
    post(warehouse, sku, K.SALE, -10, ago(10))
    row = only_row(warehouse, sku)
    assert units(row) == {"91_180": 20, "31_60": 20}
    assert row.on_hand == 40
    assert row.oldest_unit_age_days == 100
    # value = units x the SKU's unit cost (4.00)
    assert row.values["91_180"] == Decimal("80.00")
    assert row.values["31_60"] == Decimal("80.00")
    assert row.value == Decimal("160.00")


def test_outbound_larger_than_the_first_layer_eats_into_the_second(warehouse, sku):
    # +50, +20, -60 -> only 10 of the second layer survive.
    post(warehouse, sku, K.RECEIPT, 50, ago(70))
    post(warehouse, sku, K.RECEIPT, 20, ago(40))
    post(warehouse, sku, K.SALE, -60, ago(5))
    row = only_row(warehouse, sku)
    assert units(row) == {"31_60": 10}
    assert row.oldest_unit_age_days == 40


def test_a_return_adds_a_new_layer_dated_by_its_own_day(warehouse, sku):
    post(warehouse, sku, K.RECEIPT, 10, ago(200))
    post(warehouse, sku, K.SALE, -10, ago(100))
    post(warehouse, sku, K.RETURN, 2, ago(5))
    row = only_row(warehouse, sku)
    assert units(row) == {"0_30": 2}
    assert row.oldest_unit_age_days == 5


def test_adjustments_add_or_consume_layers_by_their_sign(warehouse, sku):
    post(warehouse, sku, K.RECEIPT, 10, ago(95))
    post(warehouse, sku, K.COUNT_ADJUSTMENT, 3, ago(65))
    post(warehouse, sku, K.ADJUSTMENT, -8, ago(20))
    post(warehouse, sku, K.TRANSFER_IN, 4, ago(1))
    row = only_row(warehouse, sku)
    assert units(row) == {"91_180": 2, "61_90": 3, "0_30": 4}


def test_as_of_date_ignores_later_movements(warehouse, sku):
    post(warehouse, sku, K.RECEIPT, 10, ago(50))
    post(warehouse, sku, K.RECEIPT, 5, D + timedelta(days=1))
    post(warehouse, sku, K.SALE, -12, D + timedelta(days=2))
    row = only_row(warehouse, sku)
    assert units(row) == {"31_60": 10}
    # Two days later the sale took the old layer and 2 of the new one.
    later = only_row(warehouse, sku, as_of=D + timedelta(days=2))
    assert units(later) == {"0_30": 3}
    assert later.oldest_unit_age_days == 1
    # Before the first receipt there is nothing to age.
    assert only_row(warehouse, sku, as_of=ago(51)) is None


def test_bucket_edges_are_inclusive_of_the_upper_age(warehouse):
    ages = {30: "0_30", 31: "31_60", 60: "31_60", 61: "61_90", 90: "61_90", 91: "91_180",
            180: "91_180", 181: "over_180"}  # fmt: skip
    skus = {}
    for age in ages:
        skus[age] = SKUFactory()
        post(warehouse, skus[age], K.RECEIPT, 1, ago(age))
    rows = {r.sku_id: r for r in ageing_rows([warehouse], D)}
    for age, bucket in ages.items():
        row = rows[skus[age].pk]
        assert units(row) == {bucket: 1}, age
        assert row.oldest_unit_age_days == age


def test_days_are_counted_in_the_warehouse_time_zone(sku):
    bangkok = WarehouseFactory(code="BKK", timezone="Asia/Bangkok")  # UTC+7
    utc = ZoneInfo("UTC")
    # 20:00 UTC on Mar 1 is 03:00 on Mar 2 in Bangkok: a layer of Mar 2, 29 days old on Mar 31.
    movement_post(
        warehouse=bangkok,
        sku=sku,
        kind=K.RECEIPT,
        quantity=4,
        occurred_at=datetime(2025, 3, 1, 20, tzinfo=utc),
    )
    # 18:00 UTC on Mar 31 is already Apr 1 in Bangkok: not in stock "as of Mar 31".
    movement_post(
        warehouse=bangkok,
        sku=sku,
        kind=K.RECEIPT,
        quantity=6,
        occurred_at=datetime(2025, 3, 31, 18, tzinfo=utc),
    )
    row = only_row(bangkok, sku)
    assert row.on_hand == 4
    assert row.oldest_unit_age_days == 29


def test_warehouses_age_separately(warehouse, other_warehouse, sku):
    post(warehouse, sku, K.RECEIPT, 3, ago(10))
    post(other_warehouse, sku, K.RECEIPT, 7, ago(100))
    rows = ageing_rows([warehouse, other_warehouse], D)
    assert [(r.warehouse_code, r.on_hand, r.oldest_unit_age_days) for r in rows] == [
        ("A", 3, 10),
        ("B", 7, 100),
    ]
    assert [r.warehouse_code for r in ageing_rows([other_warehouse], D)] == ["B"]


def test_sold_out_sku_has_no_layers_and_no_age(warehouse, sku):
    post(warehouse, sku, K.RECEIPT, 5, ago(60))
    post(warehouse, sku, K.SALE, -5, ago(3))
    assert only_row(warehouse, sku) is None


def test_oversold_sku_has_no_layers(sku):
    loose = WarehouseFactory(code="LOOSE", allow_negative_stock=True)
    post(loose, sku, K.RECEIPT, 5, ago(60))
    post(loose, sku, K.SALE, -8, ago(3))
    assert only_row(loose, sku) is None


def test_oversold_units_are_taken_from_the_next_receipt(sku):
    loose = WarehouseFactory(code="LOOSE", allow_negative_stock=True)
    post(loose, sku, K.SALE, -10, ago(70))
    post(loose, sku, K.RECEIPT, 30, ago(50))
    row = only_row(loose, sku)
    assert units(row) == {"31_60": 20}
    assert row.oldest_unit_age_days == 50


def test_category_filter_and_bucket_totals(warehouse, other_warehouse):
    toys, pets = CategoryFactory(name="Toys"), CategoryFactory(name="Pets")
    ball, bone = SKUFactory(category=toys), SKUFactory(category=pets, unit_cost=Decimal("2.50"))
    post(warehouse, ball, K.RECEIPT, 10, ago(40))
    post(other_warehouse, ball, K.RECEIPT, 1, ago(200))
    post(warehouse, bone, K.RECEIPT, 4, ago(2))
    assert [r.seller_sku for r in ageing_rows([warehouse], D, category=pets)] == [bone.seller_sku]
    rows = ageing_rows([warehouse, other_warehouse], D)
    by_category = {t.label: t for t in bucket_totals(rows, "category")}
    assert by_category["Toys"].units == {
        "0_30": 0, "31_60": 10, "61_90": 0, "91_180": 0, "over_180": 1
    }  # fmt: skip
    assert by_category["Pets"].values["0_30"] == Decimal("10.00")
    by_warehouse = {t.label: t for t in bucket_totals(rows, "warehouse")}
    assert by_warehouse["A"].units["0_30"] == 4
    assert by_warehouse["B"].values["over_180"] == Decimal("4.00")


def _replay(moves, as_of):
    """Reference FIFO replay in Python (tests only): moves of (day, qty) in posting order."""
    layers: deque = deque()
    backlog = 0
    for day, qty in moves:
        if day > as_of:
            continue
        if qty > 0:
            take = min(backlog, qty)
            backlog -= take
            if qty - take:
                layers.append([day, qty - take])
        else:
            need = -qty
            while need and layers:
                take = min(need, layers[0][1])
                layers[0][1] -= take
                need -= take
                if not layers[0][1]:
                    layers.popleft()
            backlog += need
    return [(as_of - day).days for day, qty in layers for _ in range(qty)]


def test_set_based_ageing_equals_a_fifo_replay_on_random_histories(warehouse):
    rng = random.Random(7)
    expected = {}
    for _n in range(25):
        sku = SKUFactory()
        stock, moves = 0, []
        for offset in sorted(rng.sample(range(400), rng.randint(1, 14)), reverse=True):
            day = ago(offset)
            if stock and rng.random() < 0.5:
                qty = -rng.randint(1, stock)
                kind = K.SALE
            else:
                qty = rng.randint(1, 30)
                kind = rng.choice([K.RECEIPT, K.RETURN, K.ADJUSTMENT])
            stock += qty
            post(warehouse, sku, kind, qty, day)
            moves.append((day, qty))
        as_of = ago(rng.randint(0, 200))
        expected[sku.pk] = (as_of, _replay(moves, as_of))
    for sku_id, (as_of, ages) in expected.items():
        rows = ageing_rows([warehouse], as_of, sku_ids=[sku_id])
        if not ages:
            assert rows == []
            continue
        (row,) = rows
        assert row.on_hand == len(ages)
        assert row.oldest_unit_age_days == max(ages)
        for key, low, high in (
            ("0_30", 0, 30),
            ("31_60", 31, 60),
            ("61_90", 61, 90),
            ("91_180", 91, 180),
            ("over_180", 181, 10**6),
        ):
            assert row.units[key] == sum(1 for a in ages if low <= a <= high), (sku_id, key)


def test_ageing_of_many_skus_is_one_query(warehouse, django_assert_num_queries):
    for _n in range(30):
        sku = SKUFactory()
        post(warehouse, sku, K.RECEIPT, 5, ago(90))
        post(warehouse, sku, K.SALE, -1, ago(3))
    with django_assert_num_queries(1):
        rows = ageing_rows([warehouse], D)
    assert len(rows) == 30


# --- the nightly step: oldest age, sales in the slow-mover window, the slow-mover flag ---


def facts(warehouse, sku):
    """The pair's facts with the oldest unit's age as every page and the API read it."""
    return SkuFacts.objects.annotate(oldest_unit_age_days=oldest_unit_age()).get(
        warehouse=warehouse, sku=sku
    )


def test_exactly_30_days_old_is_not_a_slow_mover_but_31_is(warehouse):
    thirty, thirty_one = SKUFactory(), SKUFactory()
    post(warehouse, thirty, K.RECEIPT, 5, ago(30))
    post(warehouse, thirty_one, K.RECEIPT, 5, ago(31))
    recompute(D)
    assert (facts(warehouse, thirty).oldest_unit_age_days, facts(warehouse, thirty).slow_mover) == (
        30,
        False,
    )
    assert facts(warehouse, thirty_one).oldest_unit_age_days == 31
    assert facts(warehouse, thirty_one).slow_mover is True


def test_one_sale_inside_the_window_keeps_a_sku_off_the_slow_list(warehouse):
    sold_in_window, sold_before = SKUFactory(), SKUFactory()
    for sku in (sold_in_window, sold_before):
        post(warehouse, sku, K.RECEIPT, 5, ago(100))
    post(warehouse, sold_in_window, K.SALE, -1, ago(29))  # D-29: first day of the window
    post(warehouse, sold_before, K.SALE, -1, ago(30))  # the day before the window
    recompute(D)
    inside = facts(warehouse, sold_in_window)
    assert (inside.units_sold_slow_window, inside.slow_mover) == (1, False)
    before = facts(warehouse, sold_before)
    assert (before.units_sold_slow_window, before.slow_mover) == (0, True)
    assert before.oldest_unit_age_days == 100


def test_max_sales_setting_allows_a_few_sales(warehouse, sku, settings):
    settings.STOCKWISE = {**settings.STOCKWISE, "SLOW_MOVER_MAX_SALES": 2}
    post(warehouse, sku, K.RECEIPT, 5, ago(60))
    post(warehouse, sku, K.SALE, -2, ago(3))
    recompute(D)
    assert facts(warehouse, sku).slow_mover is True


def test_sold_out_sku_gets_no_age_and_is_not_slow(warehouse, sku):
    post(warehouse, sku, K.RECEIPT, 5, ago(60))
    post(warehouse, sku, K.SALE, -5, ago(40))
    recompute(D)
    row = facts(warehouse, sku)
    assert (row.oldest_unit_age_days, row.slow_mover, row.units_sold_slow_window) == (
        None,
        False,
        0,
    )


def test_nightly_step_clears_a_flag_that_no_longer_holds(warehouse, sku):
    post(warehouse, sku, K.RECEIPT, 5, ago(60))
    recompute(D)
    assert facts(warehouse, sku).slow_mover is True
    post(warehouse, sku, K.SALE, -1, D)
    recompute(D)
    assert facts(warehouse, sku).slow_mover is False
    assert facts(warehouse, sku).units_sold_slow_window == 1


def test_recompute_for_a_day_before_the_first_movement_clears_the_facts(warehouse, sku):
    post(warehouse, sku, K.RECEIPT, 5, ago(60))
    recompute(D)
    assert facts(warehouse, sku).slow_mover is True
    recompute(ago(61))
    row = facts(warehouse, sku)
    assert (row.oldest_unit_age_days, row.slow_mover, row.units_sold_slow_window) == (
        None,
        False,
        0,
    )
