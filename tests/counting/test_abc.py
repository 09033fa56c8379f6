"""ABC classes by COGS value over the demand window (DOMAIN.md "Counts"), hand-worked vectors."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from inventory import hooks
from inventory.abc import abc_classify
from inventory.facts import facts_ensure_rows, recompute
from inventory.models import MovementKind, SkuFacts
from inventory.services import movement_post
from tests.factories import SKUFactory, WarehouseFactory

pytestmark = pytest.mark.django_db

AS_OF = date(2026, 3, 31)
NOON = datetime(2026, 3, 20, 12, 0, tzinfo=ZoneInfo("UTC"))


def sell(warehouse, sku, units, *, cost, at=NOON):
    """Receive then sell `units` at `cost` (the receipt is not COGS)."""
    movement_post(
        warehouse=warehouse,
        sku=sku,
        kind=MovementKind.RECEIPT,
        quantity=units,
        occurred_at=datetime(2025, 1, 1, tzinfo=ZoneInfo("UTC")),
    )
    movement_post(
        warehouse=warehouse,
        sku=sku,
        kind=MovementKind.SALE,
        quantity=-units,
        occurred_at=at,
        unit_cost=Decimal(cost),
    )


def classes(warehouse):
    facts_ensure_rows(AS_OF)
    abc_classify(AS_OF)
    rows = SkuFacts.objects.filter(warehouse=warehouse).select_related("sku")
    return {f.sku.seller_sku: (f.abc_class, f.cogs_window) for f in rows}


def test_abc_step_is_registered_in_the_nightly_job():
    assert (20, "abc") in [(order, name) for order, name, *_rest in hooks.nightly_steps]


def test_values_50_30_10_6_4_give_a_a_b_b_c(warehouse):
    # total 100: cumulative 50 % A, 80 % A (<= 80), 90 % B (before 80 < 95),
    # 96 % B (before 90 < 95), 100 % C (before 96 >= 95).
    for name, value in [("P1", 50), ("P2", 30), ("P3", 10), ("P4", 6), ("P5", 4)]:
        sell(warehouse, SKUFactory(seller_sku=name), value, cost="1")
    got = classes(warehouse)
    assert {k: v[0] for k, v in got.items()} == {
        "P1": "A",
        "P2": "A",
        "P3": "B",
        "P4": "B",
        "P5": "C",
    }
    assert got["P1"][1] == Decimal("50.0000")


def test_top_sku_is_always_a_even_above_80_percent(warehouse):
    # 90 of 100 alone is 90 % > 80 %, still A; the next one starts at 90 % < 95 % -> B.
    sell(warehouse, SKUFactory(seller_sku="BIG"), 9, cost="10")
    sell(warehouse, SKUFactory(seller_sku="SMALL"), 10, cost="1")
    assert {k: v[0] for k, v in classes(warehouse).items()} == {"BIG": "A", "SMALL": "B"}


def test_ties_keep_seller_sku_order(warehouse):
    # 45 + 45 + 10: "AAA" 45 % A, "BBB" 90 % > 80 % -> B although its value equals AAA's.
    sell(warehouse, SKUFactory(seller_sku="BBB"), 45, cost="1")
    sell(warehouse, SKUFactory(seller_sku="AAA"), 45, cost="1")
    sell(warehouse, SKUFactory(seller_sku="CCC"), 10, cost="1")
    assert {k: v[0] for k, v in classes(warehouse).items()} == {
        "AAA": "A",
        "BBB": "B",
        "CCC": "B",
    }


def test_zero_and_negative_value_are_c_and_returns_subtract_at_their_own_cost(warehouse):
    seller = SKUFactory(seller_sku="SELLER")
    sell(warehouse, seller, 10, cost="2.5")  # 25.00
    movement_post(
        warehouse=warehouse,
        sku=seller,
        kind=MovementKind.RETURN,
        quantity=2,
        occurred_at=NOON,
        unit_cost=Decimal("2.5"),
    )  # 25 - 5 = 20
    idle = SKUFactory(seller_sku="IDLE")
    movement_post(warehouse=warehouse, sku=idle, kind=MovementKind.RECEIPT, quantity=5)
    returned = SKUFactory(seller_sku="RETURNED")
    movement_post(
        warehouse=warehouse,
        sku=returned,
        kind=MovementKind.RETURN,
        quantity=3,
        occurred_at=NOON,
        unit_cost=Decimal("1"),
    )
    got = classes(warehouse)
    assert got["SELLER"] == ("A", Decimal("20.0000"))
    assert got["IDLE"] == ("C", Decimal("0"))
    assert got["RETURNED"] == ("C", Decimal("-3.0000"))


def test_cost_at_posting_counts_not_todays_cost(warehouse):
    sku = SKUFactory(seller_sku="REPRICED", unit_cost=Decimal("4"))
    sell(warehouse, sku, 3, cost="1.2345")
    sku.unit_cost = Decimal("99")
    sku.save()
    assert classes(warehouse)["REPRICED"][1] == Decimal("3.7035")


def test_window_is_90_local_days_of_the_warehouse(db):
    bkk = WarehouseFactory(code="BKK", timezone="Asia/Bangkok")  # UTC+7
    tz = ZoneInfo("Asia/Bangkok")
    # Window for 2026-03-31: 2026-01-01 00:00 ... 2026-03-31 23:59:59 Bangkok time.
    first_minute = SKUFactory(seller_sku="IN-FIRST")
    sell(bkk, first_minute, 1, cost="7", at=datetime(2026, 1, 1, 0, 30, tzinfo=tz))
    last_minute = SKUFactory(seller_sku="IN-LAST")
    sell(bkk, last_minute, 1, cost="5", at=datetime(2026, 3, 31, 23, 30, tzinfo=tz))
    before = SKUFactory(seller_sku="OUT-BEFORE")
    sell(bkk, before, 1, cost="9", at=datetime(2025, 12, 31, 23, 30, tzinfo=tz))
    after = SKUFactory(seller_sku="OUT-AFTER")
    # 2026-04-01 00:30 Bangkok is still 2026-03-31 in UTC: outside the local window.
    sell(bkk, after, 1, cost="9", at=datetime(2026, 4, 1, 0, 30, tzinfo=tz))
    got = classes(bkk)
    assert got["IN-FIRST"] == ("A", Decimal("7.0000"))
    assert got["IN-LAST"] == ("B", Decimal("5.0000"))
    assert got["OUT-BEFORE"][1] == Decimal("0") and got["OUT-BEFORE"][0] == "C"
    assert got["OUT-AFTER"][1] == Decimal("0") and got["OUT-AFTER"][0] == "C"


def test_each_warehouse_is_ranked_on_its_own(warehouse, other_warehouse):
    sku_x, sku_y = SKUFactory(seller_sku="X"), SKUFactory(seller_sku="Y")
    sell(warehouse, sku_x, 90, cost="1")
    sell(warehouse, sku_y, 10, cost="1")
    sell(other_warehouse, sku_x, 10, cost="1")
    sell(other_warehouse, sku_y, 90, cost="1")
    assert {k: v[0] for k, v in classes(warehouse).items()} == {"X": "A", "Y": "B"}
    assert {k: v[0] for k, v in classes(other_warehouse).items()} == {"X": "B", "Y": "A"}


def test_recompute_runs_abc_and_a_rerun_reclassifies(warehouse):
    sku_x, sku_y = SKUFactory(seller_sku="X"), SKUFactory(seller_sku="Y")
    sell(warehouse, sku_x, 10, cost="1")
    movement_post(warehouse=warehouse, sku=sku_y, kind=MovementKind.RECEIPT, quantity=1)
    recompute(AS_OF)
    assert SkuFacts.objects.get(sku=sku_x).abc_class == "A"
    assert SkuFacts.objects.get(sku=sku_y).abc_class == "C"
    sell(warehouse, sku_y, 100, cost="1")
    recompute(AS_OF)
    assert SkuFacts.objects.get(sku=sku_y).abc_class == "A"
    assert SkuFacts.objects.get(sku=sku_x).abc_class == "B"
