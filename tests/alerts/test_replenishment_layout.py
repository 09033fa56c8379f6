"""The replenishment list fits a laptop screen; its exports keep every column."""

import csv
import io

import pytest
from django.urls import reverse

from tests.alerts.conftest import plan, receive
from tests.factories import SKUFactory

pytestmark = pytest.mark.django_db


def test_name_sits_under_the_sku_and_the_recompute_time_is_stated_once(
    client, purchaser, warehouse
):
    for code in ("LOW", "LOWER"):
        sku = SKUFactory(seller_sku=code, name=f"{code.title()} tee")
        receive(warehouse, sku, 5)
        plan(warehouse, sku, 5)
    client.force_login(purchaser)

    page = client.get(reverse("alerts:replenishment"))

    html = page.content.decode()
    headers = [column.header for column in page.context["table"].columns]
    assert "Name" not in headers and "Computed at" not in headers
    assert '>LOW</a><div class="small text-muted">Low tee</div>' in html
    assert html.count("from the recompute of") == 1

    export = client.get(reverse("alerts:replenishment"), {"_export": "csv"})
    rows = list(csv.DictReader(io.StringIO(export.content.decode())))
    assert {row["SKU"]: row["Name"] for row in rows} == {"LOW": "Low tee", "LOWER": "Lower tee"}
    assert all(row["Computed at"] for row in rows)


def test_no_recompute_time_without_rows(client, purchaser, warehouse):
    client.force_login(purchaser)
    html = client.get(reverse("alerts:replenishment")).content.decode()
    assert "from the recompute of" not in html
    assert "No planning figures yet" in html
