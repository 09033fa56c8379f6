"""Big imports: chunked posting in one transaction and the bulk paths of the posting service."""

import io
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command

from inventory.imports.base import ImportRefused
from inventory.imports.tiktok import tiktok_orders_import
from inventory.models import MovementKind, StockBalance, StockMovement
from inventory.selectors import on_hand
from inventory.services import MovementLine, PostingError, movements_post
from tests.factories import SKUFactory
from tests.inventory.data.make_samples import US_HEADER, _csv

pytestmark = pytest.mark.django_db


@pytest.fixture
def skus(warehouse):
    skus = [SKUFactory(seller_sku=f"BULK-{n:03d}", tiktok_sku_id=f"17{n:017d}") for n in range(80)]
    movements_post(
        lines=[
            MovementLine(warehouse=warehouse, sku=sku, kind=MovementKind.RECEIPT, quantity=10)
            for sku in skus
        ]
    )
    return skus


def export(skus, lines: int, *, oversell_row: int | None = None) -> io.BytesIO:
    """`lines` shipped lines of 1 unit spread over the SKUs (rows 3 … lines + 2)."""
    start = datetime(2025, 12, 1, 9)
    rows = []
    for n in range(lines):
        sku = skus[n % len(skus)]
        when = start + timedelta(minutes=n)
        rows.append(
            {
                "Order ID": f"{600000000000000000 + n}",
                "Order Status": "Shipped",
                "SKU ID": sku.tiktok_sku_id,
                "Seller SKU": sku.seller_sku,
                "Quantity": "50" if n + 3 == oversell_row else "1",
                "Sku Quantity of return": "0",
                "Shipped Time": f"{when.month}/{when.day}/{when.year} {when:%I:%M:%S %p}".lstrip(
                    "0"
                ),
                "Warehouse Name": "A",
            }
        )
    return io.BytesIO(_csv(US_HEADER, rows, bom=True))


def test_a_chunked_import_posts_everything_in_time_order(warehouse, skus, settings):
    settings.STOCKWISE = {**settings.STOCKWISE, "IMPORT_CHUNK_SIZE": 100}
    summary = tiktok_orders_import(source=export(skus, 320), warehouse=warehouse)

    assert (summary.sales, summary.already_present) == (320, 0)
    assert on_hand(warehouse=warehouse, sku=skus[0]) == 10 - 4  # rows 0, 80, 160, 240
    call_command("check_ledger", stdout=io.StringIO())
    again = tiktok_orders_import(source=export(skus, 330), warehouse=warehouse)
    assert (again.sales, again.already_present) == (10, 320)


def test_an_oversell_in_a_later_chunk_names_its_row_and_writes_nothing(warehouse, skus, settings):
    settings.STOCKWISE = {**settings.STOCKWISE, "IMPORT_CHUNK_SIZE": 100}
    before = StockMovement.objects.count()
    with pytest.raises(ImportRefused) as err:
        tiktok_orders_import(source=export(skus, 320, oversell_row=250), warehouse=warehouse)
    sku = skus[(250 - 3) % 80].seller_sku
    assert [str(e) for e in err.value.errors] == [
        f"Row 250: Not enough stock of {sku} in A: 7 on hand, 50 needed."
    ]
    assert StockMovement.objects.count() == before
    assert on_hand(warehouse=warehouse, sku=skus[0]) == 10


def test_bulk_posting_writes_balances_and_is_idempotent(warehouse, other_warehouse, skus):
    when = datetime(2025, 12, 1, tzinfo=UTC)
    lines = [
        MovementLine(
            warehouse=warehouse if n % 2 else other_warehouse,
            sku=skus[n % 80],
            kind=MovementKind.RECEIPT,
            quantity=n + 1,
            occurred_at=when,
            external_ref=f"bulk-{n}",
        )
        for n in range(200)
    ]
    first = movements_post(lines=lines, source="test")
    again = movements_post(lines=lines, source="test")

    assert all(p.created for p in first) and not any(p.created for p in again)
    assert [p.movement.pk for p in first] == [p.movement.pk for p in again]
    assert first[7].movement.quantity == 8 and first[7].movement.sku == skus[7]
    expected_b = sum(n + 1 for n in range(200) if n % 80 == 3 and n % 2 == 0)
    assert on_hand(warehouse=other_warehouse, sku=skus[3]) == expected_b
    call_command("check_ledger", stdout=io.StringIO())
    assert StockBalance.objects.filter(warehouse=other_warehouse).count() == 40


def test_bulk_posting_refuses_an_oversell_by_line_index(warehouse, skus):
    lines = [
        MovementLine(warehouse=warehouse, sku=sku, kind=MovementKind.SALE, quantity=-1)
        for sku in skus
    ] + [MovementLine(warehouse=warehouse, sku=skus[5], kind=MovementKind.SALE, quantity=-10)]
    with pytest.raises(PostingError) as err:
        movements_post(lines=lines)
    assert err.value.line_errors == [
        (80, "Not enough stock of BULK-005 in A: 9 on hand, 10 needed.")
    ]
    assert on_hand(warehouse=warehouse, sku=skus[5]) == 10
