"""The nightly "ad advice" step: on PostgreSQL the ageing step runs beside planning
(inventory/night_runner.py), so planning may read a slow-mover flag that ageing flips a moment
later. The step settles PUSH / KEEP by the night's flags, whichever step finished first."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from alerts.models import PlanningFigures
from alerts.planning import ad_advice_nightly
from inventory import hooks
from inventory.facts import recompute
from inventory.models import MovementKind, SkuFacts
from inventory.services import MovementLine, movements_post
from tests.factories import SKUFactory, WarehouseFactory

pytestmark = pytest.mark.django_db

START = date(2026, 9, 1)
# The stock received on day 20 turns 31 days old on day 51 with no sale since day 9: the SKU
# becomes a slow mover that night (DOMAIN.md: older than 30 days, no sales in 30 days).
FLIP_NIGHT = START + timedelta(days=51)


def at(day: date) -> datetime:
    return datetime.combine(day, time(12), ZoneInfo("UTC"))


@pytest.fixture
def quiet_sku():
    """Sold 10 a day for ten days, restocked with 200 on day 20, not sold since: cover about
    80 days at the learned rate, so the status is OK and the advice is KEEP until the stock
    turns slow (then PUSH)."""
    warehouse = WarehouseFactory(code="ADV", timezone="UTC")
    sku = SKUFactory(lead_time_days=10, logistics_days=0, lead_time_std_days=Decimal("0"))
    lines = [MovementLine(warehouse, sku, MovementKind.RECEIPT, 100, at(START), Decimal("2"))]
    lines += [
        MovementLine(warehouse, sku, MovementKind.SALE, -10, at(START + timedelta(days=n)))
        for n in range(1, 11)
    ]
    lines.append(
        MovementLine(
            warehouse, sku, MovementKind.RECEIPT, 200, at(START + timedelta(days=20)), Decimal("2")
        )
    )
    movements_post(lines=lines)
    return warehouse, sku


def advice(warehouse, sku) -> str:
    return PlanningFigures.objects.get(warehouse=warehouse, sku=sku).ad_advice


def slow(warehouse, sku) -> bool:
    return SkuFacts.objects.get(warehouse=warehouse, sku=sku).slow_mover


def test_in_the_usual_order_the_advice_turns_push_the_night_the_stock_turns_slow(quiet_sku):
    warehouse, sku = quiet_sku
    recompute(FLIP_NIGHT - timedelta(days=1))
    assert (slow(warehouse, sku), advice(warehouse, sku)) == (False, "KEEP")
    plan = PlanningFigures.objects.get(warehouse=warehouse, sku=sku)
    assert plan.status == "OK"
    recompute(FLIP_NIGHT)
    assert (slow(warehouse, sku), advice(warehouse, sku)) == (True, "PUSH")


@pytest.mark.parametrize("flipped_pairs_kept", [True, False])
def test_planning_before_ageing_is_settled_by_the_ad_advice_step(
    quiet_sku, monkeypatch, flipped_pairs_kept
):
    warehouse, sku = quiet_sku
    recompute(FLIP_NIGHT - timedelta(days=1))
    # The side line's worst case: planning reads the facts before ageing flips the flag.
    by_name = {step.name: step for step in hooks.nightly_steps}
    adverse = [
        by_name[name]
        for name in ("facts rows", "demand", "demand write", "planning", "planning write", "ageing")
    ]
    monkeypatch.setattr(hooks, "nightly_steps", adverse)
    with connection.cursor() as cursor:  # recompute drops the run's tables when it ends
        recompute(FLIP_NIGHT)
        assert (slow(warehouse, sku), advice(warehouse, sku)) == (True, "KEEP")  # stale
        if flipped_pairs_kept and connection.vendor == "postgresql":
            # What the ageing step leaves on its connection: the pairs whose flag flipped.
            cursor.execute("CREATE TEMP TABLE sw_slow_flipped (warehouse_id bigint, sku_id bigint)")
            cursor.execute("INSERT INTO sw_slow_flipped VALUES (%s, %s)", [warehouse.pk, sku.pk])
        try:
            assert ad_advice_nightly(FLIP_NIGHT) == 1
        finally:
            cursor.execute("DROP TABLE IF EXISTS sw_slow_flipped")
    assert advice(warehouse, sku) == "PUSH"
    assert PlanningFigures.objects.get(warehouse=warehouse, sku=sku).as_of == FLIP_NIGHT
    assert ad_advice_nightly(FLIP_NIGHT) == 0  # nothing left to settle


@pytest.mark.postgres
def test_the_ageing_step_leaves_the_pairs_whose_flag_it_flipped(quiet_sku):
    warehouse, sku = quiet_sku
    recompute(FLIP_NIGHT - timedelta(days=1))
    by_name = {step.name: step for step in hooks.nightly_steps}
    from django.db import transaction

    with transaction.atomic():
        for name in ("facts rows", "demand", "demand write", "ageing"):
            by_name[name].func(FLIP_NIGHT)
        with connection.cursor() as cursor:
            cursor.execute("SELECT warehouse_id, sku_id FROM sw_slow_flipped")
            assert cursor.fetchall() == [(warehouse.pk, sku.pk)]
            cursor.execute("DROP TABLE sw_slow_flipped")
