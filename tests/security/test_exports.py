"""Exports (CSV and XLSX of every list page, the clearance promotions CSV, the count sheet, the
digest attachment) never hand a spreadsheet a formula: a text cell starting with = + - @ tab or
CR is prefixed with a quote; plain numbers stay numbers."""

import csv
import io
from datetime import timedelta

import pytest
from django.urls import get_resolver
from django.utils import timezone
from django_tables2.export.views import ExportMixin
from openpyxl import load_workbook

from counting.services import sheet_xlsx
from inventory.exports import SafeTableExport, neutralise_cell
from inventory.facts import recompute
from inventory.models import MovementKind
from inventory.services import movement_post
from tests.factories import CategoryFactory, SKUFactory, SupplierFactory, UserFactory
from tests.security.registry import walk
from tests.security.world import build_side

pytestmark = pytest.mark.django_db

PREFIXES = ("=", "+", "-", "@", "\t", "\r")
POISON = {
    "seller_sku": '=HYPERLINK("http://evil")',
    "name": "+cmd|' /C calc'!A0",
    "category": "@SUM(1+1)*cmd|' /C calc'!A0",
    "supplier": "-2+3+cmd|' /C calc'!A0",
    "note": "\t=1+1",
    "bin": "\r=1+1",
}


def dangerous(value) -> bool:
    return isinstance(value, str) and value.startswith(PREFIXES) and neutralise_cell(value) != value


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+1+1", "'+1+1"),
        ("-1+1", "'-1+1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("\t5", "'\t5"),  # float() would read it as 5; a spreadsheet may not
        ("-inf", "'-inf"),
        ("-3", "-3"),
        ("+1.5", "+1.5"),
        ("-0.25", "-0.25"),
        ("plain", "plain"),
        (7, 7),
        (None, None),
    ],
)
def test_neutralise_cell(value, expected):
    assert neutralise_cell(value) == expected


def export_views():
    for route, name, pattern in walk(get_resolver().url_patterns):
        view = getattr(pattern.callback, "view_class", None)
        if view and issubclass(view, ExportMixin):
            yield "/" + route, name, view


def test_every_exporting_list_uses_the_safe_export():
    views = list(export_views())
    assert len(views) >= 10
    unsafe = [
        name for _r, name, view in views if not issubclass(view.export_class, SafeTableExport)
    ]
    assert unsafe == []


@pytest.fixture
def poisoned(db):
    side = build_side("wha")
    manager = UserFactory(username="exporter", role="manager", warehouses=[side.warehouse])
    sku = SKUFactory(
        seller_sku=POISON["seller_sku"],
        name=POISON["name"],
        category=CategoryFactory(name=POISON["category"]),
        supplier=SupplierFactory(name=POISON["supplier"]),
    )
    old = timezone.now() - timedelta(days=120)
    movement_post(
        warehouse=side.warehouse,
        sku=sku,
        kind=MovementKind.RECEIPT,
        quantity=30,
        occurred_at=old,
        note=POISON["note"],
    )
    movement_post(
        warehouse=side.warehouse,
        sku=sku,
        kind=MovementKind.SALE,
        quantity=-2,
        occurred_at=old + timedelta(days=1),
    )
    recompute(timezone.localdate())  # facts, planning, alerts, ageing: every list has rows
    return side, manager


def _cells_csv(content: bytes) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(content.decode("utf-8-sig"))) for cell in row]


def _cells_xlsx(content: bytes) -> list:
    sheet = load_workbook(io.BytesIO(content)).active
    return [cell.value for row in sheet.iter_rows() for cell in row]


def test_no_export_of_any_list_page_carries_a_formula(client, poisoned):
    _side, manager = poisoned
    client.force_login(manager)
    neutralised = set()
    for url, name, _view in export_views():
        for fmt, cells in (("csv", _cells_csv), ("xlsx", _cells_xlsx)):
            response = client.get(url, {"_export": fmt})
            assert response.status_code == 200, (name, fmt)
            values = cells(response.content)
            assert [v for v in values if dangerous(v)] == [], (name, fmt)
            neutralised |= {v for v in values if isinstance(v, str) and v.startswith("'")}
    # The poisoned names really went through the exports (the test is not vacuous).
    assert "'" + POISON["seller_sku"] in neutralised
    assert "'" + POISON["name"] in neutralised
    assert "'" + POISON["note"] in neutralised


def test_the_count_sheet_and_the_promotions_csv_carry_no_formula(client, poisoned):
    side, manager = poisoned
    from counting.models import CountSession

    session = CountSession.objects.get(pk=side.count_pk)
    values = _cells_xlsx(sheet_xlsx(session))
    assert [v for v in values if dangerous(v)] == []
    client.force_login(manager)
    response = client.get(f"/clearance/batches/{side.batch_pk}/promotions.csv")
    assert response.status_code == 200
    assert [v for v in _cells_csv(response.content) if dangerous(v)] == []
