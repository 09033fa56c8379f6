"""Goods receipts from a CSV: RECEIPT movements, local times, refusals and idempotency."""

import io
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from inventory.imports.base import ImportRefused
from inventory.imports.receipts import receipts_import
from inventory.models import StockMovement
from inventory.selectors import on_hand
from tests.factories import SKUFactory

pytestmark = pytest.mark.django_db

GOOD = (
    "seller_sku,quantity,unit_cost,received_at\n"
    "TEE-RED-M,24,3.10,2025-12-01\n"
    "MUG-BLK,12,,2025-12-02 14:30\n"
    "TEE-RED-M,24,3.10,2025-12-01\n"  # a second identical delivery on the same day
)


@pytest.fixture
def bangkok(warehouse):
    warehouse.timezone = "Asia/Bangkok"
    warehouse.save()
    return warehouse


@pytest.fixture
def skus(db):
    return SKUFactory(seller_sku="TEE-RED-M"), SKUFactory(
        seller_sku="MUG-BLK", unit_cost=Decimal("2.5")
    )


def csv(text: str) -> io.BytesIO:
    return io.BytesIO(text.encode())


def test_receipts_post_with_cost_and_local_time(bangkok, skus):
    tee, mug = skus
    summary = receipts_import(source=csv(GOOD), warehouse=bangkok)

    assert summary.as_dict() == {"lines_read": 3, "posted": 3, "already_present": 0}
    rows = StockMovement.objects.filter(source="receipts").order_by("occurred_at", "id")
    # Bangkok is UTC+7: 2025-12-01 (start of the day) -> 2025-11-30 17:00 UTC.
    assert [(m.sku.seller_sku, m.kind, m.quantity, m.unit_cost, m.occurred_at) for m in rows] == [
        ("TEE-RED-M", "RECEIPT", 24, Decimal("3.1000"), datetime(2025, 11, 30, 17, tzinfo=UTC)),
        ("TEE-RED-M", "RECEIPT", 24, Decimal("3.1000"), datetime(2025, 11, 30, 17, tzinfo=UTC)),
        ("MUG-BLK", "RECEIPT", 12, Decimal("2.5000"), datetime(2025, 12, 2, 7, 30, tzinfo=UTC)),
    ]
    assert on_hand(warehouse=bangkok, sku=tee) == 48


def test_reimporting_receipts_changes_nothing(bangkok, skus):
    receipts_import(source=csv(GOOD), warehouse=bangkok)
    again = receipts_import(source=csv(GOOD), warehouse=bangkok)
    assert (again.posted, again.already_present) == (0, 3)
    assert on_hand(warehouse=bangkok, sku=skus[0]) == 48


def test_a_reference_column_names_the_receipt(bangkok, skus):
    text = "seller_sku,quantity,unit_cost,received_at,reference\nMUG-BLK,5,2,2025-12-03,DN-77\n"
    receipts_import(source=csv(text), warehouse=bangkok)
    assert StockMovement.objects.get(source="receipts").external_ref == "DN-77:MUG-BLK"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("NOPE,1,1,2025-12-01", "Row 3: Unknown SKU “NOPE”."),
        ("MUG-BLK,-4,1,2025-12-01", "Row 3: quantity: -4 is less than 1."),
        ("MUG-BLK,4,cheap,2025-12-01", "Row 3: unit_cost: “cheap” is not an amount."),
        ("MUG-BLK,4,1,2025-13-01", "Row 3: received_at: “2025-13-01” is not a date and time."),
        ("MUG-BLK,4,1,2030-01-01", "Row 3: The movement is dated in the future (2030-01-01T00:00:00+07:00)."),  # noqa: E501
    ],
)  # fmt: skip
def test_a_bad_receipt_row_refuses_the_file(bangkok, skus, line, expected):
    text = f"seller_sku,quantity,unit_cost,received_at\nTEE-RED-M,1,1,2025-12-01\n{line}\n"
    with pytest.raises(ImportRefused) as err:
        receipts_import(source=csv(text), warehouse=bangkok)
    assert [str(e) for e in err.value.errors] == [expected]
    assert not StockMovement.objects.exists()


def test_import_receipts_command(bangkok, skus, tmp_path):
    path = tmp_path / "receipts.csv"
    path.write_text(GOOD)
    out = io.StringIO()
    call_command("import_receipts", str(path), warehouse="A", stdout=out)
    assert "Receipts posted: 3" in out.getvalue()

    path.write_text("seller_sku,quantity,received_at\nTEE-RED-M,1,2025-12-01\n")
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_receipts", str(path), warehouse="A", stderr=err)
    assert "Row 1: Missing column “unit_cost”." in err.getvalue()
