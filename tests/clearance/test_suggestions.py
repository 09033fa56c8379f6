"""Which clearance strategy a slow mover gets, with hand-worked discounts."""

from decimal import Decimal

import pytest

from clearance.models import ReasonCode, Strategy
from clearance.services import cost_recovering_discount, suggest_strategy, target_discount


@pytest.mark.parametrize(
    ("cost", "price", "expected"),
    [
        ("4.00", "9.90", 59),  # 1 - 4/9.9 = 0.5959… -> 59 % (9.90 x 0.41 = 4.06 >= 4.00)
        ("9.50", "10.00", 5),  # exactly 5 %: 10.00 x 0.95 = 9.50
        ("10.00", "10.00", 0),  # no margin
        ("12.00", "10.00", 0),  # sold at a loss already
        ("1.00", "0.00", 0),  # no price
        ("0.00", "10.00", 95),  # free stock: capped at 95 %
    ],
)
def test_cost_recovering_discount(cost, price, expected):
    assert cost_recovering_discount(Decimal(cost), Decimal(price)) == Decimal(expected)


@pytest.mark.parametrize(
    ("age", "percent"),
    [(31, 20), (60, 20), (61, 30), (90, 30), (91, 40), (180, 40), (181, 50), (365, 50)],
)
def test_target_discount_grows_with_age(age, percent):
    assert target_discount(age) == Decimal(percent)


def suggest(age, cost, price, best=None):
    return suggest_strategy(
        age_days=age, unit_cost=Decimal(cost), unit_price=Decimal(price), best_seller_id=best
    )


def test_stock_older_than_a_year_is_written_off():
    assert suggest(366, "4.00", "9.90").strategy == Strategy.WRITE_OFF
    assert suggest(365, "4.00", "9.90").strategy == Strategy.PROMOTION


def test_promotion_at_the_age_band_discount_when_it_still_recovers_cost():
    s = suggest(45, "4.00", "9.90", best=7)
    assert (s.strategy, s.discount, s.reason_code) == (
        Strategy.PROMOTION,
        Decimal(20),
        ReasonCode.PROMOTION,
    )


def test_bundle_with_best_seller_when_the_discount_would_lose_money():
    # 200 days old wants 50 %; 1 - 6/10 = 40 % is all that recovers cost.
    s = suggest(200, "6.00", "10.00", best=7)
    assert (s.strategy, s.bundle_with_id, s.discount) == (Strategy.BUNDLE, 7, None)


def test_deepest_cost_recovering_discount_without_a_best_seller():
    s = suggest(200, "6.00", "10.00")
    assert (s.strategy, s.discount, s.reason_code) == (
        Strategy.PROMOTION,
        Decimal(40),
        ReasonCode.PROMOTION_CAPPED,
    )


def test_channel_transfer_when_no_discount_worth_having_recovers_cost():
    s = suggest(100, "9.50", "10.00")  # 5 % < the 10 % minimum
    assert s.strategy == Strategy.CHANNEL_TRANSFER
    assert s.discount is None
