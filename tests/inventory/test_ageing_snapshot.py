"""The nightly job keeps each pair's FIFO age profile (units per age bucket) as the ageing
report's snapshot. A night writes only pairs that moved or whose layers passed a bucket edge, so
a pair that does not move must still see its units change bucket on the right night."""

from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from inventory.ageing import BUCKET_KEYS, ageing_rows
from inventory.facts import FullProof, recompute
from inventory.models import FactsState, MovementKind, SkuFacts
from inventory.services import MovementLine, movements_post
from tests.factories import SKUFactory, WarehouseFactory

pytestmark = pytest.mark.django_db


def _post(warehouse, sku, kind, quantity, day):
    movements_post(
        lines=[
            MovementLine(
                warehouse=warehouse,
                sku=sku,
                kind=kind,
                quantity=quantity,
                occurred_at=datetime.combine(day, time(12), ZoneInfo(warehouse.timezone)),
                unit_cost=Decimal("2.0000"),
            )
        ]
    )


def _profile(warehouse, sku):
    facts = SkuFacts.objects.get(warehouse=warehouse, sku=sku)
    return {key: getattr(facts, f"units_{key}") for key in BUCKET_KEYS}


def test_units_change_bucket_on_the_night_their_layer_passes_an_edge():
    warehouse = WarehouseFactory(code="AGE", timezone="Asia/Bangkok")
    sku = SKUFactory()
    _post(warehouse, sku, MovementKind.RECEIPT, 10, date(2026, 1, 1))
    _post(warehouse, sku, MovementKind.RECEIPT, 5, date(2026, 2, 1))
    _post(warehouse, sku, MovementKind.RECEIPT, 3, date(2026, 3, 10))
    _post(warehouse, sku, MovementKind.SALE, -4, date(2026, 3, 15))  # FIFO: from Jan 1
    nights = [date(2026, 3, 31)] + [date(2026, 4, d) for d in (1, 2, 3, 5, 8, 10, 11)]
    for night in nights:
        recompute(night)
        ledger = ageing_rows([warehouse], night)[0].units
        assert _profile(warehouse, sku) == ledger, night
    assert FactsState.objects.get().incremental is True
    # Hand-worked on 11 April: 6 units of 1 Jan (100 days old), 5 of 1 Feb (69), 3 of 10 Mar (32).
    assert _profile(warehouse, sku) == {
        "0_30": 0,
        "31_60": 3,
        "61_90": 5,
        "91_180": 6,
        "over_180": 0,
    }
    proof = FullProof()
    recompute(nights[-1], full=True, proof=proof)
    assert proof.pairs_different == []


def test_a_sale_after_the_snapshot_moves_units_out_of_the_oldest_bucket():
    warehouse = WarehouseFactory(code="AGF", timezone="UTC")
    sku = SKUFactory()
    _post(warehouse, sku, MovementKind.RECEIPT, 8, date(2026, 1, 1))
    _post(warehouse, sku, MovementKind.RECEIPT, 2, date(2026, 3, 25))
    recompute(date(2026, 4, 1))
    assert _profile(warehouse, sku)["61_90"] == 8
    _post(warehouse, sku, MovementKind.SALE, -5, date(2026, 4, 2))
    recompute(date(2026, 4, 2))
    assert _profile(warehouse, sku) == {
        "0_30": 2,
        "31_60": 0,
        "61_90": 0,
        "91_180": 3,  # 1 Jan is 91 days old on 2 April
        "over_180": 0,
    }
    assert ageing_rows([warehouse], date(2026, 4, 2))[0].units == _profile(warehouse, sku)
