"""Once a week the nightly job rebuilds every figure from the ledger and proves the
incremental ones: drift is repaired and an admin is told; other nights stay incremental."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from inventory.daily import daily_stock_mismatches
from inventory.models import AdminNotice, DailyStock, MovementKind, SkuFacts
from inventory.notices import RECOMPUTE_PROOF
from inventory.services import MovementLine, movements_post
from inventory.tasks import nightly_recompute_task
from tests.factories import SKUFactory, WarehouseFactory

pytestmark = pytest.mark.django_db
SUNDAY, MONDAY, NEXT_SUNDAY = "2026-03-08", "2026-03-09", "2026-03-15"


@pytest.fixture
def drifted(settings):
    """A receipt of 5 whose daily rollup row says 4: what a fault in the posting path would do."""
    settings.STOCKWISE = {**settings.STOCKWISE, "FULL_RECOMPUTE_WEEKDAY": 6}  # Sunday
    warehouse, sku = WarehouseFactory(code="MAIN"), SKUFactory()
    when = datetime(2026, 3, 1, 9, tzinfo=ZoneInfo("UTC"))
    movements_post(
        lines=[
            MovementLine(
                warehouse=warehouse,
                sku=sku,
                kind=MovementKind.RECEIPT,
                quantity=5,
                occurred_at=when,
            )
        ]
    )
    DailyStock.objects.filter(warehouse=warehouse).update(inflow=4)
    return warehouse, sku


def open_notice():
    return AdminNotice.objects.filter(kind=RECOMPUTE_PROOF, resolved_at=None).first()


def test_other_nights_stay_incremental_and_silent(drifted):
    nightly_recompute_task(as_of=MONDAY)
    assert daily_stock_mismatches() == 1  # not looked at on a Monday
    assert open_notice() is None


def test_the_weekly_night_repairs_drift_and_tells_an_admin_until_a_clean_week(drifted):
    warehouse, sku = drifted
    nightly_recompute_task(as_of=SUNDAY)
    assert daily_stock_mismatches() == 0
    assert SkuFacts.objects.get(warehouse=warehouse, sku=sku).window_closing == 5
    notice = open_notice()
    assert notice is not None
    assert "1 daily rollup rows" in notice.title
    assert notice.data["rollup_rows_wrong"] == 1
    nightly_recompute_task(as_of=NEXT_SUNDAY)  # nothing differs any more
    assert open_notice() is None
    assert AdminNotice.objects.get(kind=RECOMPUTE_PROOF).resolved_at is not None
