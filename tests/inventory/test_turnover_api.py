"""GET /api/v1/turnover/: the same figures as the page, scoped, with clear errors."""

from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.factories import CategoryFactory, SKUFactory, UserFactory
from tests.inventory.turnover_helpers import at, give_back, receive, sell

pytestmark = pytest.mark.django_db

URL = "/api/v1/turnover/"
MARCH = {"start": "2025-03-01", "end": "2025-03-10"}


@pytest.fixture
def api(staff):
    client = APIClient()
    client.force_authenticate(staff)
    return client


@pytest.fixture
def ledger(warehouse, other_warehouse):
    toys = CategoryFactory(name="Toys")
    sku = SKUFactory(seller_sku="TOY-1", name="Robot", unit_cost=Decimal("2.00"), category=toys)
    receive(warehouse, sku, 10, at(date(2025, 2, 20)))
    sell(warehouse, sku, 5, at(date(2025, 3, 3)))
    give_back(warehouse, sku, 1, at(date(2025, 3, 4)))
    receive(warehouse, sku, 20, at(date(2025, 3, 6)))
    idle = SKUFactory(seller_sku="IDLE-1", unit_cost=Decimal("1.00"), category=toys)
    receive(warehouse, idle, 50, at(date(2025, 2, 20)))
    theirs = SKUFactory(seller_sku="THEIRS-1", unit_cost=Decimal("9.00"), category=toys)
    receive(other_warehouse, theirs, 100, at(date(2025, 2, 20)))
    sell(other_warehouse, theirs, 60, at(date(2025, 3, 2)))
    return sku


def test_rows_per_sku_with_the_domain_fields(api, ledger):
    response = api.get(URL, {**MARCH, "group": "sku"})

    assert response.status_code == 200
    rows = {r["sku"]: r for r in response.json()["results"]}
    assert set(rows) == {"TOY-1", "IDLE-1"}
    toy = rows["TOY-1"]
    # Closings 10, 10, 5, 6, 6, 26 × 5 = 167 → 16.7 × 2.00; COGS 5 × 2 − 1 × 2 = 8.
    assert toy["cogs"] == "8.00"
    assert toy["average_inventory_value"] == "33.40"
    assert toy["turnover"] == "0.240"
    assert toy["annualised_turnover"] == "8.743"
    assert toy["dio"] == "41.8"  # 10 × 33.4 / 8 = 41.75, rounded half up
    assert toy["band"] == "in"
    assert toy["name"] == "Robot" and toy["warehouse"] is None
    idle = rows["IDLE-1"]
    assert (idle["turnover"], idle["dio"], idle["band"]) == ("0.000", None, "below")
    # Worst offender first.
    assert response.json()["results"][0]["sku"] == "IDLE-1"


def test_category_and_warehouse_groups_are_named_by_natural_key(api, ledger):
    by_category = api.get(URL, {**MARCH, "group": "category"}).json()["results"]
    by_warehouse = api.get(URL, {**MARCH, "group": "warehouse"}).json()["results"]

    assert [r["category"] for r in by_category] == ["Toys"]
    assert [r["warehouse"] for r in by_warehouse] == ["A"]
    assert by_category[0]["cogs"] == by_warehouse[0]["cogs"] == "8.00"
    assert by_category[0]["average_inventory_value"] == "83.40"  # 33.40 + 50 × 1.00


def test_another_warehouse_is_404_and_never_counted(api, ledger):
    assert api.get(URL, {**MARCH, "warehouse": "B"}).status_code == 404
    rows = api.get(URL, {**MARCH, "group": "business"}).json()["results"]
    assert rows[0]["cogs"] == "8.00"


@pytest.mark.parametrize(
    "params",
    [
        {"start": "2025-03-10", "end": "2025-03-01"},
        {"start": "not-a-date"},
        {"group": "planet"},
        {"start": "2019-01-01", "end": "2025-01-01"},
        {"end": "2999-01-01"},
    ],
)
def test_bad_parameters_answer_400(api, ledger, params):
    response = api.get(URL, params)
    assert response.status_code == 400
    assert response.json()


def test_token_auth_and_roles(ledger, staff, warehouse):
    client = APIClient()
    assert client.get(URL, MARCH).status_code in (401, 403)
    token = Token.objects.create(user=staff)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert client.get(URL, MARCH).status_code == 200
    nobody = APIClient()
    nobody.force_authenticate(UserFactory(warehouses=[warehouse]))  # no role
    assert nobody.get(URL, MARCH).status_code == 403


def test_defaults_to_the_trailing_window_ending_today(api, ledger):
    response = api.get(URL, {"group": "business"})
    row = response.json()["results"][0]
    assert row["days"] == 90
    assert row["end"] == timezone.localdate().isoformat()
