from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from inventory.ageing import ageing_facts_update
from inventory.demand import demand_facts_update
from inventory.facts import facts_ensure_rows
from inventory.models import MovementKind
from inventory.services import movement_post
from tests.factories import CategoryFactory, SKUFactory


def post(warehouse, sku, kind, qty, *, days_ago=0, **kw):
    return movement_post(
        warehouse=warehouse,
        sku=sku,
        kind=kind,
        quantity=qty,
        occurred_at=timezone.now() - timedelta(days=days_ago),
        **kw,
    ).movement


@pytest.fixture
def category(db):
    return CategoryFactory(name="Toys")


@pytest.fixture
def make_slow(db, category):
    """A SKU received `age` days ago with no sale since: a slow mover after `recompute()`."""

    def make(warehouse, *, age=60, qty=10, cost="4.00", price="9.90", seller_sku=None, **kw):
        if seller_sku:
            kw["seller_sku"] = seller_sku
        kw.setdefault("category", category)
        sku = SKUFactory(unit_cost=Decimal(cost), unit_price=Decimal(price), **kw)
        post(warehouse, sku, MovementKind.RECEIPT, qty, days_ago=age)
        return sku

    return make


@pytest.fixture
def run_recompute(db):
    """The nightly facts steps (rows, demand: the day the facts are as of, ageing) for today,
    without the proposal step."""

    def run():
        today = timezone.localdate()
        facts_ensure_rows(today)
        demand_facts_update(today)
        ageing_facts_update(today)

    return run
