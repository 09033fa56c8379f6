"""Offline counts: the XLSX sheet out, the filled sheet in (all rows or none)."""

import io

import pytest
from django.core.exceptions import ValidationError
from openpyxl import Workbook, load_workbook

from counting.models import CountEntry, CountKind, CountLine
from counting.services import sheet_import, sheet_xlsx
from tests.counting.helpers import new_session, receive
from tests.factories import SKUFactory

pytestmark = pytest.mark.django_db


def filled(session, counts: dict, extra_rows=()):
    """The session's own sheet with the `counted` column filled by seller_sku."""
    workbook = load_workbook(io.BytesIO(sheet_xlsx(session)))
    sheet = workbook.active
    for row in sheet.iter_rows(min_row=2):
        if row[1].value in counts:
            row[6].value = counts[row[1].value]
    for extra in extra_rows:
        sheet.append(extra)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


@pytest.fixture
def counted_session(warehouse):
    skus = [SKUFactory(seller_sku=n, name=f"Item {n}") for n in ("P1", "P2", "P3")]
    for sku in skus:
        receive(warehouse, sku, 73917)
    return new_session(warehouse, skus)


def test_sheet_lists_the_lines_without_expected_quantities(counted_session):
    sheet = load_workbook(io.BytesIO(sheet_xlsx(counted_session))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("line", "seller_sku", "tiktok_sku_id", "barcode", "name", "bin", "counted")
    assert [r[1] for r in rows[1:]] == ["P1", "P2", "P3"]
    assert all(r[6] is None for r in rows[1:])
    assert all(73917 not in r for r in rows)
    assert isinstance(rows[1][2], str)  # 19-digit TikTok IDs stay text


def test_filled_sheet_records_counts_and_reimport_adds_nothing(counted_session, staff):
    data = filled(counted_session, {"P1": 5, "P3": "7"})  # P2 left blank: not counted
    result = sheet_import(session=counted_session, data=data, user=staff)
    assert (result.entries, result.already_imported) == (2, 0)
    counts = dict(CountLine.objects.values_list("sku__seller_sku", "counted_qty"))
    assert counts == {"P1": 5, "P2": None, "P3": 7}
    again = sheet_import(session=counted_session, data=data, user=staff)
    assert (again.entries, again.already_imported) == (0, 2)
    assert CountEntry.objects.count() == 2
    assert set(CountEntry.objects.values_list("source", flat=True)) == {"sheet"}


def test_bad_rows_refuse_the_whole_file_with_row_numbers(counted_session, staff):
    data = filled(
        counted_session,
        {"P1": 5, "P2": -1, "P3": "lots"},
        extra_rows=[
            (None, "NO-SUCH-SKU", None, None, None, None, 2),
            (999999, "", "", "", "", "", 1),
        ],
    )
    with pytest.raises(ValidationError) as err:
        sheet_import(session=counted_session, data=data, user=staff)
    messages = err.value.messages
    assert messages[0].startswith("Nothing was imported.")
    assert any(m.startswith("Row 3: counted “-1”") for m in messages)
    assert any(m.startswith("Row 4: counted “lots”") for m in messages)
    assert "Row 5: unknown Seller SKU “NO-SUCH-SKU”." in messages
    assert any(m.startswith("Row 6: line 999999 is not part of count") for m in messages)
    assert not CountEntry.objects.exists()  # P1's good row was not written either
    assert CountLine.objects.filter(counted_qty__isnull=False).count() == 0


def test_line_and_sku_that_disagree_are_refused(counted_session, staff):
    p1 = CountLine.objects.get(sku__seller_sku="P1")
    data = filled(counted_session, {}, extra_rows=[(p1.pk, "P2", None, None, None, None, 3)])
    with pytest.raises(ValidationError, match=f"line {p1.pk} is P1, not P2"):
        sheet_import(session=counted_session, data=data, user=staff)


def test_not_an_xlsx_file_is_refused(counted_session, staff):
    with pytest.raises(ValidationError, match="not an XLSX file"):
        sheet_import(session=counted_session, data=b"seller_sku,counted\nP1,3\n", user=staff)


def test_sheet_without_the_counted_column_is_refused(counted_session, staff):
    workbook = Workbook()
    workbook.active.append(["seller_sku", "qty"])
    workbook.active.append(["P1", 3])
    out = io.BytesIO()
    workbook.save(out)
    with pytest.raises(ValidationError, match="“counted”"):
        sheet_import(session=counted_session, data=out.getvalue(), user=staff)


def test_full_count_sheet_may_add_skus_found(warehouse, staff):
    listed = SKUFactory(seller_sku="LISTED")
    receive(warehouse, listed, 1)
    found = SKUFactory(seller_sku="FOUND")
    session = new_session(warehouse, [], kind=CountKind.FULL)
    data = filled(session, {"LISTED": 1}, extra_rows=[(None, "FOUND", None, None, None, None, 4)])
    sheet_import(session=session, data=data, user=staff)
    assert CountLine.objects.get(sku=found).counted_qty == 4


def test_formula_like_names_are_neutralised_in_the_sheet(warehouse):
    sku = SKUFactory(seller_sku="EVIL", name='=HYPERLINK("http://x")')
    session = new_session(warehouse, [sku])
    sheet = load_workbook(io.BytesIO(sheet_xlsx(session))).active
    assert sheet.cell(row=2, column=5).value.startswith("'=")
