"""The turnover table by SKU reads one page at a time on PostgreSQL (sorted, counted and totalled
in SQL; inventory/turnover_page.py) and shows exactly what building every row in Python shows:
the same rows on every page, in every order, with the same figures and the same total."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from tests.factories import CategoryFactory, SKUFactory
from tests.inventory.turnover_helpers import at, give_back, receive, sell

pytestmark = pytest.mark.postgres

URL = reverse("inventory:turnover")
MARCH = {"period": "custom", "start": "2025-03-01", "end": "2025-03-10"}
PER_PAGE = 7
SORTS = [
    "",
    "label",
    "-label",
    "detail",
    "-detail",
    "cogs",
    "-cogs",
    "average_inventory_value",
    "-average_inventory_value",
    "stock_value_now",
    "-stock_value_now",
    "turnover",
    "-turnover",
    "annualised_turnover",
    "-annualised_turnover",
    "dio",
    "-dio",
    "band",
    "-band",
]
FIGURES = (
    "label",
    "detail",
    "cogs",
    "average_inventory_value",
    "stock_value_now",
    "turnover",
    "annualised_turnover",
    "dio",
    "band",
    "band_min",
    "band_max",
)


@pytest.fixture
def catalogue(warehouse):
    """40 rows: SKUs below, in and above the band and on its bounds, with ties, no sales,
    more returned than sold, nothing held (negative stock), stock that arrives after the period
    (no row), a category with its own band, and labels whose order differs between code points
    and a language's collation (the keys compare by code point, as Python does; this server's
    databases collate C.UTF-8, so that part holds here either way)."""
    warehouse.allow_negative_stock = True
    warehouse.save()
    strict = CategoryFactory(
        name="Strict band", turnover_min=Decimal("8"), turnover_max=Decimal("9")
    )
    prefixes = ["a-", "B-", "É", "z_", "Z ", "b."]
    costs = ["1.00", "2.50", "0.35", "7.00", "1.10"]
    for i in range(30):
        sku = SKUFactory(
            seller_sku=f"{prefixes[i % 6]}{i:02d}",
            name=f"Product {'AbC'[i % 3]}",  # ties on the name
            unit_cost=Decimal(costs[i % 5]),
            **({"category": strict} if i % 4 == 0 else {}),
        )
        received = 20 + (i * 7) % 50
        receive(warehouse, sku, received, at(date(2025, 2, 20)))
        if i % 5 and (i * 13) % received:
            sell(warehouse, sku, (i * 13) % received, at(date(2025, 3, 1) + timedelta(i % 10)))
    for i in range(3):  # identical histories: equal on every figure, ordered by label
        sku = SKUFactory(seller_sku=f"TIE-{2 - i}", name="Tie", unit_cost=Decimal("3.00"))
        receive(warehouse, sku, 30, at(date(2025, 2, 25)))
        sell(warehouse, sku, 6, at(date(2025, 3, 5)))
    # Annualised exactly on the band's bounds (4 and 12): 365 × 40 / (10 × 369 − 40) = 4 and
    # 365 × 120 / (10 × 377 − 120) = 12, both in the band.
    for label, received, sold in (("AT-MIN", 369, 40), ("AT-MAX", 377, 120)):
        sku = SKUFactory(seller_sku=label, unit_cost=Decimal("1.00"))
        receive(warehouse, sku, received, at(date(2025, 2, 20)))
        sell(warehouse, sku, sold, at(date(2025, 3, 10)))
    returned = SKUFactory(seller_sku="RETURNED", unit_cost=Decimal("2.00"))
    receive(warehouse, returned, 10, at(date(2025, 2, 1)))
    sell(warehouse, returned, 2, at(date(2025, 2, 27)))
    give_back(warehouse, returned, 2, at(date(2025, 3, 4)))
    give_back(warehouse, returned, 1, at(date(2025, 3, 4)))  # one more than sold in March
    oversold = SKUFactory(seller_sku="OVERSOLD", unit_cost=Decimal("4.00"))
    sell(warehouse, oversold, 5, at(date(2025, 3, 2)))  # held nothing: figures undefined
    later = SKUFactory(seller_sku="LATER", unit_cost=Decimal("5.00"))
    receive(warehouse, later, 9, at(date(2025, 3, 20)))  # no stock, no COGS in March: no row
    for i in range(3):
        sku = SKUFactory(seller_sku=f"IDLE-{i}", unit_cost=Decimal("1.00"))
        receive(warehouse, sku, 5 + i, at(date(2025, 1, 10)))  # held, never sold


def _pages(client, sort: str) -> tuple[list[list[dict]], object]:
    """Every page of the table in `sort` order: each row's figures, and the page's total."""
    pages, number, total = [], 1, None
    while True:
        params = {**MARCH, "per_page": PER_PAGE, "page": number}
        if sort:
            params["sort"] = sort
        context = client.get(URL, params).context
        table = context["table"]
        pages.append([{f: getattr(row.record, f) for f in FIGURES} for row in table.page])
        total = context["total"]
        if not table.page.has_next():
            return pages, total
        number += 1


@pytest.mark.parametrize("sort", SORTS)
def test_every_page_in_every_order_matches_the_rows_built_in_python(
    client, staff, catalogue, monkeypatch, sort
):
    client.force_login(staff)
    in_sql, total_sql = _pages(client, sort)
    monkeypatch.setattr("inventory.turnover_views.pages_in_sql", lambda grouping: False)
    in_python, total_python = _pages(client, sort)

    assert sum(len(page) for page in in_python) == 40  # LATER has no row
    assert in_sql == in_python
    for name in ("cogs", "turnover", "annualised_turnover", "dio", "band"):
        assert getattr(total_sql, name) == getattr(total_python, name), name
    for name in ("average_inventory_value", "stock_value_now"):
        assert abs(getattr(total_sql, name) - getattr(total_python, name)) < Decimal("1e-20")


def test_the_default_order_is_worst_first_with_undefined_figures_last(client, staff, catalogue):
    client.force_login(staff)
    rows = [row for page in _pages(client, "")[0] for row in page]
    bands = [row["band"] for row in rows]
    assert bands == sorted(bands, key=["below", "above", "in", None].index)
    assert rows[-1]["label"] == "OVERSOLD" and rows[-1]["turnover"] is None
    ties = [row["label"] for row in rows if row["label"].startswith("TIE-")]
    assert ties == ["TIE-0", "TIE-1", "TIE-2"]
    on_bounds = {row["label"]: row for row in rows if row["label"].startswith("AT-")}
    assert on_bounds["AT-MIN"]["annualised_turnover"] == Decimal("4.000")
    assert on_bounds["AT-MAX"]["annualised_turnover"] == Decimal("12.000")
    assert {row["band"] for row in on_bounds.values()} == {"in"}


def test_a_page_reads_only_its_rows_in_one_statement(client, staff, catalogue):
    client.force_login(staff)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(URL, {**MARCH, "per_page": PER_PAGE, "page": 3, "sort": "-cogs"})
    statements = [q["sql"] for q in queries.captured_queries if "buckets(bucket" in q["sql"]]
    table = response.context["table"]
    assert len(statements) == 2  # the table's page and the twelve-month trend
    assert "LIMIT 7 OFFSET 14" in statements[0]
    assert table.paginator.count == 40 and len(table.page) == PER_PAGE


def test_a_page_past_the_end_shows_the_last_page(client, staff, catalogue):
    client.force_login(staff)
    last = client.get(URL, {**MARCH, "per_page": PER_PAGE, "page": 6}).context["table"]
    past = client.get(URL, {**MARCH, "per_page": PER_PAGE, "page": 99}).context["table"]
    assert past.page.number == last.page.number == 6
    assert [r.record.label for r in past.page] == [r.record.label for r in last.page]
    assert len(past.page) == 40 - 5 * PER_PAGE


def test_the_api_pages_sku_rows_the_same_way(staff, catalogue, monkeypatch):
    api = APIClient()
    api.force_authenticate(staff)
    api_url = "/api/v1/turnover/"

    def every_page():
        pages, offset = [], 0
        while True:
            params = {"start": "2025-03-01", "end": "2025-03-10", "limit": 9, "offset": offset}
            body = api.get(api_url, params).json()
            pages.append(body["results"])
            offset += 9
            if not body["next"]:
                return body["count"], pages

    count, in_sql = every_page()
    monkeypatch.setattr("inventory.turnover_api.pages_in_sql", lambda grouping: False)
    assert every_page() == (count, in_sql)
    assert count == 40 and sum(len(page) for page in in_sql) == 40
    period = {"start": "2025-03-01", "end": "2025-03-10"}
    past_the_end = api.get(api_url, {**period, "limit": 9, "offset": 400}).json()
    assert past_the_end["count"] == 40 and past_the_end["results"] == []


@pytest.mark.parametrize("asked, shown", [("-5", 25), ("0", 25), ("abc", 40), ("100000", 40)])
def test_a_hand_typed_page_size_reads_one_statement(client, staff, catalogue, asked, shown):
    client.force_login(staff)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(URL, {**MARCH, "per_page": asked})
    statements = [q["sql"] for q in queries.captured_queries if "buckets(bucket" in q["sql"]]
    assert response.status_code == 200
    assert len(response.context["table"].page) == shown
    assert len(statements) == 2  # the page (with its count and totals) and the trend
