"""Lists that sort, filter and export; empty states that say what to do next; job progress."""

import csv
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from inventory.facts import recompute
from inventory.models import MovementKind
from inventory.services import movement_post
from tests.factories import SKUFactory

pytestmark = pytest.mark.django_db


def csv_rows(response):
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_warehouse_list_sorts_filters_and_exports_only_my_warehouses(
    client, make_user, warehouse, other_warehouse, django_assert_max_num_queries
):
    third = type(warehouse).objects.create(code="C", name="Chiang Mai", timezone="Asia/Bangkok")
    sku = SKUFactory(unit_cost=Decimal("2.50"))
    movement_post(warehouse=warehouse, sku=sku, kind=MovementKind.RECEIPT, quantity=400)
    movement_post(warehouse=other_warehouse, sku=sku, kind=MovementKind.RECEIPT, quantity=9)
    client.force_login(make_user("manager", warehouse, third))
    url = reverse("inventory:warehouse_list")

    with django_assert_max_num_queries(8):
        page = client.get(url, {"sort": "-code"})
    assert [w.code for w in page.context["table"].data] == ["C", "A"]
    assert "1,000.00" in page.content.decode()
    assert client.get(url, {"q": "chiang"}).context["table"].data[0].code == "C"
    assert len(client.get(url, {"q": "chiang"}).context["table"].data) == 1

    rows = csv_rows(client.get(url, {"_export": "csv"}))
    assert rows == [
        ["Code", "Name", "Time zone", "Units on hand", "Stock value"],
        ["A", "Warehouse A", "UTC", "400", "1000.00"],
        ["C", "Chiang Mai", "Asia/Bangkok", "0", "0.00"],
    ]


def test_an_empty_filtered_list_offers_to_clear_the_filter(client, purchaser):
    client.force_login(purchaser)
    url = reverse("inventory:po_list")
    unfiltered = client.get(url).content.decode()
    assert "No purchase order matches." in unfiltered
    assert "Nothing matches this filter." not in unfiltered

    filtered = client.get(url, {"status": "sent", "sort": "number"}).content.decode()
    assert "Nothing matches this filter." in filtered
    assert f'<a href="{url}">Clear the filter</a>' in filtered
    # Sorting or paging alone is not a filter.
    assert (
        "Nothing matches this filter." not in client.get(url, {"sort": "number"}).content.decode()
    )


def test_dashboard_guides_a_new_install_until_the_first_movement(
    client, manager, staff, warehouse, sku
):
    client.force_login(manager)
    page = client.get("/").content.decode()
    assert "Getting started" in page
    assert "manage.py import_catalog" in page and reverse("inventory:import_list") in page
    assert "Upload the TikTok Shop order export" in page

    client.force_login(staff)
    page = client.get("/").content.decode()
    assert "Getting started" in page and "manage.py import_catalog" not in page
    assert "your counts will then appear under Counts" in page

    movement_post(warehouse=warehouse, sku=sku, kind=MovementKind.RECEIPT, quantity=1)
    assert "Getting started" not in client.get("/").content.decode()


def test_recompute_prints_each_step_before_and_after_it_runs(warehouse):
    out = io.StringIO()
    call_command("recompute", stdout=out)
    lines = out.getvalue().splitlines()
    steps = [line for line in lines if line.startswith("[")]
    total = len(steps) // 2
    assert total >= 5
    assert steps[0] == f"[1/{total}] facts rows…"
    assert steps[1].startswith(f"[1/{total}] facts rows: ") and steps[1].endswith(" s")
    assert steps[-1].startswith(f"[{total}/{total}] ")


def test_a_long_list_counts_its_rows_once_a_minute_and_a_short_one_every_time(
    client, make_user, warehouse, other_warehouse, settings, django_assert_max_num_queries
):
    """The page links of a long list come from a count kept a minute (a COUNT over 100k pairs
    costs more than the page); the rows are always fresh, and a short list is always exact."""
    from django.core.cache import cache

    skus = SKUFactory.create_batch(4)
    for sku in skus:
        movement_post(warehouse=warehouse, sku=sku, kind=MovementKind.RECEIPT, quantity=1)
    client.force_login(make_user("manager", warehouse))
    url = reverse("inventory:sku_list")

    def pages(**params):
        response = client.get(url, {"per_page": 1, **params})
        return response.context["table"].paginator.num_pages, response

    assert pages()[0] == 4  # 4 SKUs, 1 a page: counted, not kept
    SKUFactory()
    assert pages()[0] == 5  # a short list: the new SKU counts at once

    settings.STOCKWISE = {**settings.STOCKWISE, "LIST_COUNT_CACHE_ROWS": 5}
    assert pages()[0] == 5  # 5 rows: counted and kept
    newest = SKUFactory(seller_sku="ZZ-NEWEST")
    with django_assert_max_num_queries(8):
        num_pages, response = pages(sort="-seller_sku")
    assert num_pages == 5  # the kept count: the page links are up to a minute old ...
    assert response.context["table"].page.object_list.data[0].pk == newest.pk  # ... rows are not
    assert pages(q="ZZ-")[0] == 1  # another filter is another count
    cache.clear()  # as when LIST_COUNT_CACHE_SECONDS pass
    assert pages()[0] == 6


def test_with_the_cache_unreachable_pages_compute_their_figures_afresh(
    client, make_user, warehouse, settings
):
    """Redis down: kept counts and totals read as misses and the pages still answer, exact."""
    from tests.realworker import free_port

    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
        }
    }
    settings.STOCKWISE = {**settings.STOCKWISE, "LIST_COUNT_CACHE_ROWS": 1}
    SKUFactory.create_batch(3)
    client.force_login(make_user("manager", warehouse))
    response = client.get(reverse("inventory:sku_list"), {"per_page": 1})
    assert response.status_code == 200
    assert response.context["table"].paginator.num_pages == 3
    # The other figures kept in the cache: the dashboard's turnover, the ageing charts.
    recompute(timezone.localdate())
    for url in ("/", reverse("clearance:ageing_report"), reverse("alerts:replenishment")):
        assert client.get(url).status_code == 200, url
