"""The ageing report reads last night's age profiles (sorted and paginated in SQL) and agrees
with the FIFO layers computed from the ledger for the same day; any other day is computed from
the ledger."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from inventory.ageing import BUCKET_KEYS, ageing_rows, bucket_totals
from inventory.facts import recompute
from inventory.models import MovementKind
from tests.clearance.conftest import post
from tests.factories import CategoryFactory

pytestmark = pytest.mark.django_db
FIGURES = ("on_hand", *(f"units_{k}" for k in BUCKET_KEYS), *(f"value_{k}" for k in BUCKET_KEYS))


@pytest.fixture
def stocked(warehouse, other_warehouse, make_slow):
    """Four SKUs of mine with different age profiles, one of another warehouse, and a night."""
    pets = CategoryFactory(name="Pets")
    make_slow(warehouse, age=200, qty=5, cost="6.00", seller_sku="OLD")
    mixed = make_slow(warehouse, age=100, qty=10, cost="1.25", seller_sku="MIXED")
    post(warehouse, mixed, MovementKind.RECEIPT, 4, days_ago=40)
    post(warehouse, mixed, MovementKind.SALE, -6, days_ago=5)  # FIFO: from the 100-day layer
    make_slow(warehouse, age=10, qty=2, cost="4.00", seller_sku="FRESH", category=pets)
    make_slow(warehouse, age=65, qty=3, cost="0.335", seller_sku="HALF-CENT", category=pets)
    make_slow(other_warehouse, age=100, qty=7, seller_sku="THEIRS")
    recompute(timezone.localdate())
    return pets


def page(client, **params):
    return client.get(reverse("clearance:ageing_report"), params)


def test_snapshot_equals_the_ledger_computation_for_its_day(client, manager, warehouse, stocked):
    client.force_login(manager)
    response = page(client)
    assert response.context["snapshot"] is True
    assert response.context["as_of"] == timezone.localdate()
    shown = {r.seller_sku: r for r in response.context["table"].paginated_rows.data}
    ledger = {r.seller_sku: r.as_record() for r in ageing_rows([warehouse], timezone.localdate())}
    assert set(shown) == set(ledger) == {"OLD", "MIXED", "FRESH", "HALF-CENT"}
    for sku, row in ledger.items():
        assert [getattr(shown[sku], f) for f in FIGURES] == [getattr(row, f) for f in FIGURES]
        assert shown[sku].value == row.value
        assert shown[sku].oldest_unit_age_days == row.oldest_unit_age_days
    # Hand-worked: MIXED keeps 4 of its 100-day layer and the 4 received 40 days ago.
    mixed = shown["MIXED"]
    assert (mixed.on_hand, mixed.units_31_60, mixed.units_91_180) == (8, 4, 4)
    assert (mixed.value_31_60, mixed.value, mixed.oldest_unit_age_days) == (5, 10, 100)
    # 3 × 0.335 = 1.005 rounds half up to 1.01, as money does.
    assert shown["HALF-CENT"].value_61_90 == Decimal("1.01")
    assert ">1.01<" in response.content.decode()
    chart = response.context["chart"]
    ledger_rows = ageing_rows([warehouse], timezone.localdate())
    expected = bucket_totals(ledger_rows, "category")
    assert chart["by_category"]["labels"] == [t.label or "No category" for t in expected]
    assert chart["by_category"]["values"] == [
        [float(t.values[k]) for t in expected] for k in BUCKET_KEYS
    ]


def test_snapshot_sorts_filters_and_paginates_in_sql(client, manager, stocked):
    client.force_login(manager)
    oldest_first = [r.seller_sku for r in page(client).context["table"].paginated_rows.data]
    assert oldest_first == ["OLD", "MIXED", "HALF-CENT", "FRESH"]
    by_value = page(client, sort="-value")
    assert [r.record.seller_sku for r in by_value.context["table"].paginated_rows] == [
        "OLD",
        "MIXED",
        "FRESH",
        "HALF-CENT",
    ]
    second = page(client, per_page=2, page=2).context["table"]
    assert [r.record.seller_sku for r in second.paginated_rows] == ["HALF-CENT", "FRESH"]
    assert second.paginator.count == 4
    pets = page(client, category=stocked.pk).context["table"].paginated_rows.data
    assert sorted(r.seller_sku for r in pets) == ["FRESH", "HALF-CENT"]
    assert [r.seller_sku for r in page(client, q="mix").context["table"].paginated_rows.data] == [
        "MIXED"
    ]
    assert (
        len(page(client, warehouse="B").context["table"].paginated_rows.data) == 0
    )  # not my warehouse


@pytest.mark.parametrize("ids_max", [2000, 1])
def test_a_search_finds_the_same_rows_whether_few_or_many_skus_match(
    client, manager, stocked, monkeypatch, ids_max, django_assert_max_num_queries
):
    """Few matching SKUs are looked up first and passed as ids; many stay a subquery."""
    from clearance import selectors

    monkeypatch.setattr(selectors, "SEARCH_IDS_MAX", ids_max)
    client.force_login(manager)
    with django_assert_max_num_queries(8):
        found = (
            page(client, q="l", sort="seller_sku").context["table"].paginated_rows.data
        )  # OLD, HALF-CENT
    assert [r.seller_sku for r in found] == ["HALF-CENT", "OLD"]
    assert [
        r.seller_sku for r in page(client, q="THEIRS").context["table"].paginated_rows.data
    ] == []
    assert len(page(client, q="nothing-like-it").context["table"].paginated_rows.data) == 0


def test_snapshot_page_needs_few_queries_and_caches_counts_until_the_next_night(
    client, manager, warehouse, make_slow, stocked, django_assert_max_num_queries
):
    client.force_login(manager)
    with django_assert_max_num_queries(8):
        first = page(client, per_page=100)
    assert first.context["table"].paginator.count == 4
    with django_assert_max_num_queries(7):  # the count and chart totals come from the cache
        page(client, per_page=100)
    make_slow(warehouse, age=50, qty=1, seller_sku="NEW")
    assert page(client).context["table"].paginator.count == 4  # still last night's
    recompute(timezone.localdate())
    again = page(client)
    assert again.context["table"].paginator.count == 5
    assert "NEW" in {r.seller_sku for r in again.context["table"].paginated_rows.data}


def test_another_day_is_computed_from_the_ledger(client, manager, stocked):
    client.force_login(manager)
    earlier = timezone.localdate() - timedelta(days=30)
    response = page(client, as_of=earlier)
    assert response.context["snapshot"] is False
    rows = {
        r.seller_sku: r.oldest_unit_age_days for r in response.context["table"].paginated_rows.data
    }
    assert rows == {"OLD": 170, "MIXED": 70, "HALF-CENT": 35}
    sorted_rows = page(client, as_of=earlier, sort="oldest_unit_age_days").context["table"]
    assert [r.record.seller_sku for r in sorted_rows.paginated_rows] == [
        "HALF-CENT",
        "MIXED",
        "OLD",
    ]


@pytest.mark.parametrize("sort", ["-value", "units_over_180", "warehouse", "-oldest_unit_age_days"])
def test_pages_of_one_row_add_up_to_the_whole_sorted_list(client, manager, stocked, sort):
    """A page sorts and cuts ids, then reads its rows by id: the same rows in the same order."""
    client.force_login(manager)
    whole = [r.seller_sku for r in page(client, sort=sort).context["table"].paginated_rows.data]
    assert len(whole) == 4
    one_by_one = []
    for number in range(1, 5):
        table = page(client, sort=sort, per_page=1, page=number).context["table"]
        one_by_one += [r.seller_sku for r in table.paginated_rows.data]
    assert one_by_one == whole
