"""Catalog import: creates and updates SKUs, `name (id)` categories, never touches stock."""

import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from openpyxl import Workbook

from inventory.imports.base import ImportRefused
from inventory.imports.catalog import catalog_import
from inventory.models import SKU, Category, MovementKind, StockMovement, Supplier
from inventory.selectors import on_hand
from inventory.services import movement_post
from tests.factories import SKUFactory

pytestmark = pytest.mark.django_db

CSV = (
    "seller_sku,sku_id,product_name,category,price,unit_cost,supplier\n"
    "TEE-RED-M,1729382256910270001,Tee red M,Womenswear (601152),19.90,4.20,Yiwu Daily Goods\n"
    "MUG-BLK,1729382256910270002,Mug black,Kitchenware,12,,\n"
)


def csv(text: str) -> io.BytesIO:
    return io.BytesIO(text.encode())


def seller_center_xlsx(rows) -> io.BytesIO:
    """Keys in row 1, four rows of labels and instructions, data from row 6."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["category", "product_name", "sku_id", "seller_sku", "price", "quantity"])
    sheet.append(["Category", "Product name", "SKU ID", "Seller SKU", "Retail price", "Quantity"])
    sheet.append(["Mandatory", "Mandatory", "Optional", "Optional", "Mandatory", "Mandatory"])
    sheet.append(["Pick a category", "Up to 255 characters", "", "", "Local currency", "Stock"])
    sheet.append(["", "", "", "", "", ""])
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    return buffer


def test_csv_creates_skus_with_categories_and_suppliers():
    summary = catalog_import(source=csv(CSV))

    assert (summary.created, summary.updated, summary.categories_created) == (2, 0, 2)
    tee = SKU.objects.select_related("category", "supplier").get(seller_sku="TEE-RED-M")
    assert (tee.tiktok_sku_id, tee.name, tee.unit_price, tee.unit_cost) == (
        "1729382256910270001",
        "Tee red M",
        Decimal("19.90"),
        Decimal("4.2000"),
    )
    assert (tee.category.name, tee.category.external_id) == ("Womenswear", "601152")
    assert tee.supplier == Supplier.objects.get(name="Yiwu Daily Goods")
    mug = SKU.objects.get(seller_sku="MUG-BLK")
    assert (mug.category.name, mug.category.external_id, mug.unit_cost) == (
        "Kitchenware",
        "",
        Decimal("0"),
    )


def test_csv_updates_existing_skus_and_blank_cells_keep_values():
    SKUFactory(seller_sku="MUG-BLK", name="Old mug", unit_cost=Decimal("2.75"))
    summary = catalog_import(source=csv(CSV))
    assert (summary.created, summary.updated) == (1, 1)
    mug = SKU.objects.get(seller_sku="MUG-BLK")
    assert (mug.name, mug.unit_price, mug.unit_cost) == (
        "Mug black",
        Decimal("12.00"),
        Decimal("2.75"),
    )


def test_seller_center_xlsx_reads_data_from_row_6_and_never_touches_stock(warehouse):
    tee = SKUFactory(seller_sku="TEE-RED-M", tiktok_sku_id="1729382256910270001")
    movement_post(warehouse=warehouse, sku=tee, kind=MovementKind.RECEIPT, quantity=7)
    Category.objects.create(name="Womenswear")
    source = seller_center_xlsx(
        [
            ["Womenswear (601152)", "Tee red M v2", "1729382256910270001", "TEE-RED-M", 21.5, 0],
            ["Home Supplies (600001)", "Vase", "1729382256910270009", "VASE-01", "8.00", 40],
        ]
    )
    summary = catalog_import(source=source)

    assert (summary.lines_read, summary.created, summary.updated) == (2, 1, 1)
    tee.refresh_from_db()
    assert (tee.name, tee.unit_price, tee.category.external_id) == (
        "Tee red M v2",
        Decimal("21.50"),
        "601152",
    )
    assert Category.objects.get(external_id="601152").name == "Womenswear"  # the same category
    assert on_hand(warehouse=warehouse, sku=tee) == 7  # quantity 0 in the file: stock unchanged
    assert StockMovement.objects.count() == 1
    vase = SKU.objects.get(seller_sku="VASE-01")
    assert on_hand(warehouse=warehouse, sku=vase) == 0


def test_a_catalog_without_a_quantity_column_does_not_zero_stock(warehouse):
    tee = SKUFactory(seller_sku="TEE-RED-M", tiktok_sku_id="1729382256910270001")
    movement_post(warehouse=warehouse, sku=tee, kind=MovementKind.RECEIPT, quantity=9)
    catalog_import(source=csv(CSV))
    assert on_hand(warehouse=warehouse, sku=tee) == 9


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (",1729382256910270005,Thing,Toys,3", "Row 3: seller_sku is blank."),
        ("CUP,1729382256910270005,Cup,Toys,cheap", "Row 3: price: “cheap” is not an amount."),
        ("CUP,17293822569102x,Cup,Toys,3", "Row 3: sku_id “17293822569102x” is not a TikTok SKU ID."),  # noqa: E501
        ("CUP,,,Toys,3", "Row 3: product_name is blank for a new SKU."),
        ("TEE-RED-M,1729382256910270007,Tee,Toys,3", "Row 3: seller SKU “TEE-RED-M” is already on row 2."),  # noqa: E501
    ],
)  # fmt: skip
def test_a_bad_catalog_row_refuses_the_file(line, expected):
    text = (
        "seller_sku,sku_id,product_name,category,price\n"
        f"TEE-RED-M,1729382256910270001,Tee,Womenswear,19\n{line}\n"
    )
    with pytest.raises(ImportRefused) as err:
        catalog_import(source=csv(text))
    assert [str(e) for e in err.value.errors] == [expected]
    assert not SKU.objects.exists()
    assert not Category.objects.exists()


def test_a_sku_id_owned_by_another_sku_is_refused():
    SKUFactory(seller_sku="OTHER", tiktok_sku_id="1729382256910270001")
    with pytest.raises(ImportRefused) as err:
        catalog_import(source=csv(CSV))
    assert [str(e) for e in err.value.errors] == [
        "Row 2: sku_id 1729382256910270001 already belongs to SKU “OTHER”."
    ]


def test_import_catalog_command(tmp_path):
    path = tmp_path / "catalog.csv"
    path.write_text(CSV)
    out = io.StringIO()
    call_command("import_catalog", str(path), stdout=out)
    assert "SKUs created: 2" in out.getvalue()
