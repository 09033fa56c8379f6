"""The turnover page: figures, scoping, exports, errors and query counts."""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from inventory.turnover import TurnoverRow
from tests.factories import SKUFactory, UserFactory
from tests.inventory.turnover_helpers import at, receive, sell

pytestmark = pytest.mark.django_db

URL = reverse("inventory:turnover")
MARCH = {"period": "custom", "start": "2025-03-01", "end": "2025-03-10"}


@pytest.fixture
def ledger(warehouse, other_warehouse):
    """A: the hand-worked mid-period receipt (avg 33.60, COGS 8). B: a big seller of its own."""
    mine = SKUFactory(seller_sku="MINE-1", unit_cost=Decimal("2.00"))
    receive(warehouse, mine, 10, at(date(2025, 2, 20)))
    sell(warehouse, mine, 4, at(date(2025, 3, 3)))
    receive(warehouse, mine, 20, at(date(2025, 3, 6)))
    theirs = SKUFactory(seller_sku="THEIRS-ONLY", unit_cost=Decimal("7.00"))
    receive(other_warehouse, theirs, 5000, at(date(2025, 2, 20)))
    sell(other_warehouse, theirs, 4321, at(date(2025, 3, 4)))
    return mine, theirs


def test_page_needs_login(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_user_without_a_role_is_refused(client, warehouse):
    client.force_login(UserFactory(warehouses=[warehouse]))
    assert client.get(URL).status_code == 403


def test_page_shows_the_hand_worked_figures(client, staff, ledger):
    client.force_login(staff)

    response = client.get(URL, MARCH)

    total = response.context["total"]
    assert (total.cogs, total.average_inventory_value) == (Decimal("8"), Decimal("33.6"))
    assert (total.turnover, total.annualised_turnover, total.dio) == (
        Decimal("0.238"),
        Decimal("8.690"),
        Decimal("42.0"),
    )
    html = response.content.decode()
    assert "33.60" in html and "0.238" in html and "42.0" in html


def test_another_warehouses_figures_never_appear(client, manager, ledger, other_warehouse):
    client.force_login(manager)  # member of A only

    for group in ("sku", "category", "warehouse", "business"):
        response = client.get(URL, {**MARCH, "group": group})
        html = response.content.decode()
        assert "THEIRS-ONLY" not in html
        assert "4,321" not in html and "30,247" not in html  # B's units and COGS
        assert response.context["total"].cogs == Decimal("8"), group

    assert client.get(URL, {**MARCH, "warehouse": other_warehouse.code}).status_code == 404
    assert client.get(URL, {**MARCH, "warehouse": "NOPE"}).status_code == 404


def test_a_member_of_both_warehouses_sees_both(
    client, make_user, warehouse, other_warehouse, ledger
):
    client.force_login(make_user("manager", warehouse, other_warehouse))

    both = client.get(URL, MARCH).context["total"]
    only_b = client.get(URL, {**MARCH, "warehouse": "B"}).context["total"]

    assert both.cogs == Decimal("8") + 4321 * 7
    assert only_b.cogs == 4321 * 7


def test_sku_rows_link_to_their_sku_pages(client, staff, ledger):
    mine, _theirs = ledger
    client.force_login(staff)

    html = client.get(URL, MARCH).content.decode()

    assert f'href="{mine.get_absolute_url()}"' in html


def test_a_column_header_sorts_the_sku_rows(client, make_user, warehouse, other_warehouse, ledger):
    """Clicking COGS sorts by it: THEIRS-ONLY (30,247) above MINE-1 (8), and back."""
    client.force_login(make_user("manager", warehouse, other_warehouse))

    def order(sort):
        table = client.get(URL, {**MARCH, "sort": sort}).context["table"]
        return [row.record.label for row in table.paginated_rows]

    assert order("-cogs") == ["THEIRS-ONLY", "MINE-1"]
    assert order("cogs") == ["MINE-1", "THEIRS-ONLY"]


def test_csv_export_has_raw_numbers_and_every_row(client, staff, ledger):
    client.force_login(staff)

    response = client.get(URL, {**MARCH, "_export": "csv"})

    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:3] == ["SKU", "Name", "COGS"]
    assert rows[1][0] == "MINE-1"
    assert rows[1][2:8] == ["8.00", "33.60", "52.00", "0.238", "8.690", "42.0"]
    assert rows[1][8] == "in"
    assert len(rows) == 2


def test_xlsx_export(client, staff, ledger):
    client.force_login(staff)
    response = client.get(URL, {**MARCH, "_export": "xlsx", "group": "category"})
    assert response.status_code == 200
    assert "spreadsheetml" in response["Content-Type"]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"period": "custom", "start": "2025-03-10"}, "needs both a start and an end"),
        ({"period": "custom", "start": "2025-03-10", "end": "2025-03-01"}, "start on or before"),
        ({"period": "custom", "start": "2019-01-01", "end": "2025-03-01"}, "at most 1096 days"),
        (
            {"period": "custom", "start": "2025-03-01", "end": "2999-01-01"},
            "cannot end in the future",
        ),
        ({"period": "custom", "start": "yesterday", "end": "2025-03-01"}, "Enter a valid date"),
        ({"group": "planet"}, "Select a valid choice"),
    ],
)
def test_bad_periods_are_explained_not_500(client, staff, params, message):
    client.force_login(staff)

    response = client.get(URL, params)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert "table" not in response.context or not response.context["table"].rows


def test_preset_periods_end_today(client, staff, warehouse):
    sku = SKUFactory(unit_cost=Decimal("1.00"))
    receive(warehouse, sku, 10, at(date(2024, 1, 1)))
    client.force_login(staff)

    response = client.get(URL, {"period": "30"})

    period = response.context["period"]
    assert period.days == 30
    assert response.context["total"].average_inventory_value == Decimal("10")


def test_query_count_does_not_grow_with_skus(
    client, staff, warehouse, django_assert_max_num_queries
):
    client.force_login(staff)

    def page_queries(n_skus):
        for _i in range(n_skus):
            sku = SKUFactory(unit_cost=Decimal("1.00"))
            receive(warehouse, sku, 10, at(date(2025, 2, 1)))
            sell(warehouse, sku, 1, at(date(2025, 3, 2)))
        from django.core.cache import cache
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        cache.clear()  # the trend is kept a few minutes: read it afresh both times
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(URL, MARCH).status_code == 200
        return len(ctx.captured_queries)

    few, many = page_queries(2), page_queries(60)

    assert few == many
    with django_assert_max_num_queries(10):
        client.get(URL, {**MARCH, "group": "category"})


def test_trend_fragment_draws_twelve_months(client, staff, ledger):
    client.force_login(staff)

    response = client.get(reverse("inventory:turnover_trend_chart"))

    assert response.status_code == 200
    assert len(response.context["trend"]["labels"]) == 12
    assert 'id="turnover-trend-data"' in response.content.decode()


def test_the_trend_is_read_once_and_kept_for_the_next_views(client, staff, warehouse):
    """A year of the daily rollup per view is seconds at 100k SKUs: the monthly trend is kept
    a few minutes (the same points), the table is read afresh every time."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(staff)
    sku = SKUFactory(unit_cost=Decimal("2.00"))
    receive(warehouse, sku, 10, at(date(2025, 2, 1)))
    sell(warehouse, sku, 4, at(date(2025, 3, 2)))

    def view():
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(URL, MARCH)
        statements = [q["sql"] for q in ctx.captured_queries if "buckets(bucket" in q["sql"]]
        return response.context["trend"], statements

    first_trend, first = view()
    second_trend, second = view()
    assert len(first) == 2  # the table's period and the twelve months
    assert len(second) == 1  # the table's period only
    assert second_trend == first_trend


def test_sorting_puts_undefined_figures_last_both_ways():
    """Rows whose turnover is undefined ("—": nothing held) come after every figure, whether the
    column sorts up or down; ties keep the order they had (the worst-first order)."""
    from dataclasses import replace

    from inventory.turnover_views import TurnoverRowsData, TurnoverTable

    base = TurnoverRow(
        grouping="sku", key=(1, 0), label="", detail="", start=date(2025, 3, 1),
        end=date(2025, 3, 10), days=10, cogs=Decimal(0), average_inventory_value=Decimal(0),
        stock_value_now=Decimal(0), band_min=Decimal(4), band_max=Decimal(12), turnover=None,
        annualised_turnover=None, dio=None, band=None,
    )  # fmt: skip
    rows = [
        replace(base, label="TWO", turnover=Decimal(2)),
        replace(base, label="NONE-A"),
        replace(base, label="ONE", turnover=Decimal(1)),
        replace(base, label="NONE-B"),
        replace(base, label="ONE-AGAIN", turnover=Decimal(1)),
    ]

    def order(sort):
        table = TurnoverTable(TurnoverRowsData(list(rows)))
        table.order_by = sort
        return [row.record.label for row in table.rows]

    assert order("turnover") == ["ONE", "ONE-AGAIN", "TWO", "NONE-A", "NONE-B"]
    assert order("-turnover") == ["TWO", "ONE", "ONE-AGAIN", "NONE-A", "NONE-B"]
