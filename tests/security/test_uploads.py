"""Hostile uploads: too large, zip bombs and XML entity bombs (billion laughs) are refused with a
clear message before they cost memory, on every page and command that reads a spreadsheet."""

import io
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from counting.models import CountEntry
from counting.services import sheet_import
from inventory.imports.base import ImportRefused
from inventory.imports.catalog import catalog_import
from inventory.imports.receipts import receipts_import
from inventory.models import ImportJob, StockMovement
from tests.counting.helpers import new_session, receive

pytestmark = pytest.mark.django_db

LAUGHS = (
    '<?xml version="1.0"?>\n'
    '<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
        for i in range(1, 10)
    )
    + "]>\n"
)


def xlsx(rows) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def with_entity_bomb(data: bytes, part: str) -> bytes:
    """The same workbook with a billion-laughs DOCTYPE in one of its XML parts."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == part:
                body = content.decode().split("?>", 1)[-1]
                body = body.replace("<sheetData>", "<sheetData>&lol9;", 1)
                content = (LAUGHS + body).encode()
            target.writestr(item, content)
    return out.getvalue()


def zip_bomb() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (20 * 1024 * 1024))
    return out.getvalue()


ENTITIES = "The workbook declares XML entities, which spreadsheets never need; refused."
RECEIPTS = [
    ("seller_sku", "quantity", "unit_cost", "received_at"),
    ("TEE-RED-M", 5, 4, "2026-01-05"),
]


@pytest.mark.parametrize(
    "part", ["[Content_Types].xml", "xl/workbook.xml", "xl/worksheets/sheet1.xml"]
)
def test_a_billion_laughs_workbook_is_refused_by_the_imports(warehouse, sku, part):
    bomb = with_entity_bomb(xlsx(RECEIPTS), part)
    with pytest.raises(ImportRefused) as refused:
        receipts_import(source=io.BytesIO(bomb), warehouse=warehouse)
    assert refused.value.as_json() == [{"row": None, "message": ENTITIES}]
    assert not StockMovement.objects.exists()
    with pytest.raises(ImportRefused) as refused:
        catalog_import(source=io.BytesIO(bomb))
    assert refused.value.as_json() == [{"row": None, "message": ENTITIES}]


def test_the_same_workbook_without_the_bomb_imports(warehouse, sku):
    """The control: the refusal above is the entity bomb, not the workbook."""
    summary = receipts_import(source=io.BytesIO(xlsx(RECEIPTS)), warehouse=warehouse)
    assert summary.posted == 1


@pytest.fixture
def counting(warehouse, sku, staff):
    receive(warehouse, sku, 10)
    return new_session(warehouse, [sku])


COUNT_SHEET = [("line", "seller_sku", "counted"), (None, "TEE-RED-M", 9)]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (lambda: zip_bomb(), "compressed suspiciously well"),
        (lambda: with_entity_bomb(xlsx(COUNT_SHEET), "xl/worksheets/sheet1.xml"), "xml entities"),
        (lambda: with_entity_bomb(xlsx(COUNT_SHEET), "xl/workbook.xml"), "xml entities"),
    ],
    ids=["zip-bomb", "laughs-in-sheet", "laughs-in-workbook"],
)
def test_a_hostile_count_sheet_is_refused_and_records_nothing(counting, staff, data, message):
    with pytest.raises(ValidationError) as refused:
        sheet_import(session=counting, data=data(), user=staff)
    assert message in " ".join(refused.value.messages).lower()
    assert not CountEntry.objects.exists()
    sheet_import(session=counting, data=xlsx(COUNT_SHEET), user=staff)  # the control
    assert CountEntry.objects.count() == 1


def test_a_count_sheet_over_5_mb_is_refused_on_the_page(client, staff, counting):
    client.force_login(staff)
    big = SimpleUploadedFile("sheet.xlsx", b"PK" + b"\0" * (5 * 1024 * 1024 + 1))
    response = client.post(f"/counts/{counting.pk}/import/", {"file": big})
    assert response.status_code == 200
    assert "The file is larger than 5 MB." in response.content.decode()
    assert not CountEntry.objects.exists()


def test_an_import_over_the_upload_limit_is_refused_on_the_page(client, manager, settings):
    settings.STOCKWISE = {**settings.STOCKWISE, "IMPORT_MAX_UPLOAD_MB": 1}
    client.force_login(manager)
    big = SimpleUploadedFile("orders.csv", b"x" * (1024 * 1024 + 1))
    response = client.post("/imports/", {"kind": "receipts", "warehouse": "A", "file": big})
    assert "The file is larger than 1 MB." in response.content.decode()
    assert not ImportJob.objects.exists()


def test_a_request_body_far_over_every_limit_is_refused_before_it_is_read(
    client, manager, settings
):
    settings.STOCKWISE = {**settings.STOCKWISE, "IMPORT_MAX_UPLOAD_MB": 1}
    client.force_login(manager)
    big = SimpleUploadedFile("orders.csv", b"x" * (3 * 1024 * 1024))
    response = client.post("/imports/", {"kind": "receipts", "warehouse": "A", "file": big})
    assert response.status_code == 413
    assert response.content.decode() == "The request is too large: 2 MB at most."
    assert not ImportJob.objects.exists()


def test_a_huge_form_post_is_refused(client, manager):
    client.force_login(manager)
    response = client.post("/movements/new/", {"note": "x" * (6 * 1024 * 1024)})
    assert response.status_code in (400, 413)
