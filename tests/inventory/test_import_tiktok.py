"""TikTok Shop order exports: every layout, every refusal, idempotency, time zones, zip bombs."""

import io
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from inventory.imports.base import ImportRefused
from inventory.imports.tiktok import tiktok_orders_import
from inventory.models import MovementKind, StockMovement
from inventory.selectors import on_hand
from inventory.services import movement_post
from tests.factories import SKUFactory
from tests.inventory.data.make_samples import ID_HEADER, US_HEADER, US_ROWS, _csv

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent / "data"


TEE, MUG, CAP = "1729382256910270001", "1729382256910270002", "1729382256910270003"


def utc(*args):
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def la(warehouse):
    warehouse.timezone = "America/Los_Angeles"
    warehouse.save()
    return warehouse


@pytest.fixture
def catalog(db):
    return {
        "tee": SKUFactory(seller_sku="TEE-RED-M", tiktok_sku_id="1729382256910270001"),
        "mug": SKUFactory(seller_sku="MUG-BLK", tiktok_sku_id="1729382256910270002"),
        "cap": SKUFactory(seller_sku="CAP-NVY", tiktok_sku_id="1729382256910270003"),
    }


@pytest.fixture
def stocked(la, catalog):
    for sku in catalog.values():
        movement_post(warehouse=la, sku=sku, kind=MovementKind.RECEIPT, quantity=20)
    return catalog


def imported(warehouse):
    """(seller SKU, kind, quantity, occurred_at, external_ref) of every TikTok movement."""
    rows = StockMovement.objects.filter(source="tiktok", warehouse=warehouse).order_by(
        "occurred_at", "id"
    )
    return [(m.sku.seller_sku, m.kind, m.quantity, m.occurred_at, m.external_ref) for m in rows]


def us_csv(rows=US_ROWS, header=US_HEADER) -> io.BytesIO:
    return io.BytesIO(_csv(header, rows, bom=True))


def with_changes(rows, index, **changes):
    changed = [dict(r) for r in rows]
    changed[index].update({k.replace("_", " "): v for k, v in changes.items()})
    return changed


def refusal(source, warehouse) -> list[str]:
    with pytest.raises(ImportRefused) as err:
        tiktok_orders_import(source=source, warehouse=warehouse)
    return [str(e) for e in err.value.errors]


def test_us_csv_with_bom_tabs_and_description_row_posts_shipped_lines_in_utc(la, stocked):
    summary = tiktok_orders_import(source=DATA / "tiktok_us.csv", warehouse=la)

    # By hand: Los Angeles is UTC-8 in December. 12/15/2025 9:30:33 AM -> 17:30:33 UTC;
    # 12:05:00 PM -> 20:05:00; 12:00:01 AM is just after midnight -> 08:00:01 UTC.
    assert imported(la) == [
        ("TEE-RED-M", "SALE", -2, utc(2025, 12, 15, 17, 30, 33), "576461413038785752:" + TEE),
        ("MUG-BLK", "SALE", -1, utc(2025, 12, 15, 17, 30, 33), "576461413038785752:" + MUG),
        ("TEE-RED-M", "SALE", -1, utc(2025, 12, 16, 8, 0, 1), "576461413038785756:" + TEE),
        ("CAP-NVY", "SALE", -3, utc(2025, 12, 16, 20, 5, 0), "576461413038785755:" + CAP),
        ("CAP-NVY", "RETURN", 1, utc(2025, 12, 18, 23, 15, 42), f"576461413038785755:{CAP}:return"),
    ]  # fmt: skip
    assert summary.as_dict() == {
        "lines_read": 6,
        "posted": 5,
        "sales": 4,
        "returns": 1,
        "reversals": 0,
        "already_present": 0,
        "skipped_cancelled": 1,
        "skipped_unshipped": 1,
    }
    assert on_hand(warehouse=la, sku=stocked["tee"]) == 20 - 2 - 1
    assert on_hand(warehouse=la, sku=stocked["cap"]) == 20 - 3 + 1


def test_indonesian_layout_reads_24_hour_times_day_first(warehouse, catalog):
    warehouse.timezone = "Asia/Jakarta"  # UTC+7, no daylight saving
    warehouse.save()
    for sku in catalog.values():
        movement_post(warehouse=warehouse, sku=sku, kind=MovementKind.RECEIPT, quantity=10)

    summary = tiktok_orders_import(source=DATA / "tiktok_id.csv", warehouse=warehouse)

    # 25/12/2025 13:03:57 -> 06:03:57 UTC; 03/01/2026 08:15:00 is the 3rd of January.
    assert imported(warehouse) == [
        ("TEE-RED-M", "SALE", -4, utc(2025, 12, 25, 6, 3, 57), "580012345678901234:" + TEE),
        ("MUG-BLK", "SALE", -1, utc(2026, 1, 3, 1, 15, 0), "580012345678901235:" + MUG),
    ]  # fmt: skip
    assert (summary.lines_read, summary.skipped_cancelled) == (3, 1)
    assert len(ID_HEADER) == 65


def test_xlsx_with_excel_dates_and_serial_numbers(la, stocked):
    summary = tiktok_orders_import(source=DATA / "tiktok_us.xlsx", warehouse=la)

    assert imported(la) == [
        ("TEE-RED-M", "SALE", -2, utc(2025, 12, 15, 17, 30, 33), "576461413038785801:" + TEE),
        ("MUG-BLK", "SALE", -1, utc(2025, 12, 16, 22, 45, 10), "576461413038785802:" + MUG),
    ]  # fmt: skip
    assert (summary.lines_read, summary.skipped_unshipped) == (3, 1)


def test_xlsx_zip_bomb_is_refused_before_parsing(la, stocked):
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (20 * 1024 * 1024))
    errors = refusal(bomb, la)
    assert errors == ["The workbook is compressed suspiciously well (over 100:1); refused."]
    assert not StockMovement.objects.filter(source="tiktok").exists()


def test_xlsx_over_the_unpacked_size_limit_is_refused(la, stocked, settings):
    settings.STOCKWISE = {**settings.STOCKWISE, "XLSX_MAX_UNCOMPRESSED_MB": 0}
    errors = refusal(DATA / "tiktok_us.xlsx", la)
    assert errors == ["The workbook unpacks to 0 MB, more than the 0 MB allowed."]


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"index": 1, "Seller SKU": "MUG-GONE", "SKU ID": "1729382256900000000"},
            "Row 4: Unknown SKU: seller SKU “MUG-GONE”, SKU ID “1729382256900000000”.",
        ),
        ({"index": 0, "Quantity": "two"}, "Row 3: Quantity: “two” is not a whole number."),
        ({"index": 0, "Quantity": "1.5"}, "Row 3: Quantity: “1.5” is not a whole number."),
        (
            {"index": 5, "Shipped Time": "12/32/2025 9:30:33 AM"},
            "Row 8: Shipped Time: “12/32/2025 9:30:33 AM” is not a date and time.",
        ),
        (
            {"index": 4, "Sku Quantity of return": "5"},
            "Row 7: 5 returned is more than the 3 sold.",
        ),
    ],
)
def test_a_bad_row_refuses_the_file_naming_the_row_and_writes_nothing(
    la, stocked, changes, expected
):
    index = changes.pop("index")
    rows = [dict(r) for r in US_ROWS]
    rows[index].update(changes)
    before = StockMovement.objects.count()

    assert refusal(us_csv(rows), la) == [expected]
    assert StockMovement.objects.count() == before


def test_a_missing_column_refuses_the_file(la, stocked):
    header = [name for name in US_HEADER if name != "Shipped Time"]
    assert refusal(us_csv(header=header), la) == ["Row 1: Missing column “Shipped Time”."]


def test_an_oversell_names_its_row_and_writes_nothing(la, catalog):
    movement_post(warehouse=la, sku=catalog["tee"], kind=MovementKind.RECEIPT, quantity=20)
    movement_post(warehouse=la, sku=catalog["cap"], kind=MovementKind.RECEIPT, quantity=20)
    movement_post(warehouse=la, sku=catalog["mug"], kind=MovementKind.RECEIPT, quantity=1)
    rows = with_changes(US_ROWS, 1, Quantity="3")  # row 4: 3 mugs, 1 on hand

    assert refusal(us_csv(rows), la) == [
        "Row 4: Not enough stock of MUG-BLK in A: 1 on hand, 3 needed."
    ]
    assert not StockMovement.objects.filter(source="tiktok").exists()
    assert on_hand(warehouse=la, sku=catalog["tee"]) == 20


def test_every_bad_row_is_listed_at_once(la, stocked):
    rows = with_changes(US_ROWS, 0, Quantity="")
    rows = with_changes(rows, 3, Order_Status="Shipped", Shipped_Time="12/16/2025 1:00:00 PM")
    errors = refusal(us_csv(rows), la)
    assert [e.split(":")[0] for e in errors] == ["Row 3", "Row 6"]


def test_reimporting_the_same_export_changes_nothing(la, stocked):
    tiktok_orders_import(source=DATA / "tiktok_us.csv", warehouse=la)
    ledger = imported(la)

    again = tiktok_orders_import(source=DATA / "tiktok_us.csv", warehouse=la)

    assert imported(la) == ledger
    assert (again.posted, again.already_present, again.lines_read) == (0, 5, 6)


def test_an_overlapping_export_adds_only_the_new_lines(la, stocked):
    tiktok_orders_import(source=us_csv(US_ROWS[:2]), warehouse=la)
    later = US_ROWS[1:3] + [
        {
            **US_ROWS[0],
            "Order ID": "576461413038785799",
            "Quantity": "5",
            "Shipped Time": "12/17/2025 4:00:00 PM",
        }
    ]
    summary = tiktok_orders_import(source=us_csv(later), warehouse=la)
    assert (summary.sales, summary.already_present, summary.skipped_cancelled) == (1, 1, 1)
    assert on_hand(warehouse=la, sku=stocked["tee"]) == 20 - 2 - 5


def test_a_sale_cancelled_in_a_later_export_is_reversed_once(la, stocked):
    tiktok_orders_import(source=us_csv(US_ROWS[:1]), warehouse=la)
    cancelled = with_changes(
        US_ROWS[:1], 0, Order_Status="Cancelled", Cancelled_Time="12/20/2025 10:00:00 AM"
    )
    first = tiktok_orders_import(source=us_csv(cancelled), warehouse=la)
    second = tiktok_orders_import(source=us_csv(cancelled), warehouse=la)

    assert (first.reversals, second.reversals, second.already_present) == (1, 0, 1)
    assert on_hand(warehouse=la, sku=stocked["tee"]) == 20
    assert imported(la)[-1][1:3] == ("RETURN", 2)


def test_row_numbers_count_spreadsheet_rows_not_file_lines(la, stocked):
    # Row 7 holds a two-line buyer message; the row after it is still row 8.
    rows = with_changes(US_ROWS, 5, Quantity="-1")
    assert refusal(us_csv(rows), la) == ["Row 8: Quantity: -1 is less than 1."]


def test_a_file_without_the_description_row_reads_row_2_as_data(la, stocked):
    content = _csv(US_HEADER, US_ROWS[:1], bom=False).decode().splitlines(keepends=True)
    del content[1]
    summary = tiktok_orders_import(source=io.BytesIO("".join(content).encode()), warehouse=la)
    assert summary.sales == 1


def test_a_non_utf8_file_is_refused(la, stocked):
    content = _csv(US_HEADER, US_ROWS[:1], bom=False).decode().replace("Tee", "Té")
    assert refusal(io.BytesIO(content.encode("latin-1")), la) == [
        "The file is not UTF-8 text (save it as CSV UTF-8)."
    ]


def test_command_prints_the_summary(la, stocked):
    out = io.StringIO()
    call_command("import_tiktok_orders", str(DATA / "tiktok_us.csv"), warehouse="A", stdout=out)
    assert "Lines read: 6" in out.getvalue()
    assert "Movements posted: 5 (4 sales, 1 returns, 0 cancellation reversals)" in out.getvalue()
    assert "Skipped not shipped: 1" in out.getvalue()


def test_command_exits_non_zero_with_the_row_errors(la, catalog, tmp_path):
    err = io.StringIO()
    with pytest.raises(CommandError) as exc:
        call_command("import_tiktok_orders", str(DATA / "tiktok_us.csv"), warehouse="A", stderr=err)
    assert exc.value.returncode == 1
    assert "Row 3: Not enough stock of TEE-RED-M in A: 0 on hand, 2 needed." in err.getvalue()
    assert not StockMovement.objects.exists()


def test_an_order_id_stored_as_a_float_is_refused(la, stocked):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(US_HEADER)
    row = [None] * len(US_HEADER)
    row[US_HEADER.index("Order ID")] = 5.764614130387858e17
    row[US_HEADER.index("SKU ID")] = "1729382256910270001"
    row[US_HEADER.index("Quantity")] = 1
    row[US_HEADER.index("Shipped Time")] = "12/15/2025 9:30:33 AM"
    sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert refusal(buffer, la) == [
        "Row 2: Order ID was stored as a number and lost its last digits; export it as text."
    ]
