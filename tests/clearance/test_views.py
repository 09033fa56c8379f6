"""Pages: who may see and decide, warehouse scoping, the approval page, exports, query counts."""

import csv
import io
from decimal import Decimal

import pytest
from django.urls import reverse

from clearance import services
from clearance.models import BatchStatus, ClearanceBatch, ClearanceLine, LineDecision, Strategy
from inventory.models import MovementKind, SkuFacts, StockMovement
from tests.clearance.conftest import post
from tests.factories import CategoryFactory, SKUFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def batch(warehouse, make_slow, run_recompute):
    make_slow(warehouse, age=60, qty=10, seller_sku="OLD-A")
    make_slow(warehouse, age=200, qty=5, cost="6.00", price="10.00", seller_sku="OLD-B")
    run_recompute()
    return services.batch_propose(warehouse=warehouse)


@pytest.fixture
def other_batch(other_warehouse, make_slow, run_recompute):
    make_slow(other_warehouse, seller_sku="FAR-1")
    run_recompute()
    return services.batch_propose(warehouse=other_warehouse)


def line_of(batch, seller_sku):
    return batch.lines.get(sku__seller_sku=seller_sku)


def lines_post_data(batch, **per_sku):
    data = {}
    for line in batch.lines.select_related("sku"):
        values = {
            "decision": line.decision,
            "strategy": line.strategy,
            "quantity": line.quantity,
            "discount": "" if line.discount is None else line.discount,
            **per_sku.get(line.sku.seller_sku, {}),
        }
        for field, value in values.items():
            data[f"line-{line.pk}-{field}"] = value
    return data


@pytest.mark.parametrize(
    "url",
    ["/clearance/ageing/", "/clearance/slow-movers/", "/clearance/at-risk/", "/clearance/batches/"],
)
def test_every_clearance_page_needs_login(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_staff_sees_the_batch_but_may_not_decide_anything(client, staff, batch):
    client.force_login(staff)
    assert client.get(batch.get_absolute_url()).status_code == 200
    line = batch.lines.first()
    for name, args in [
        ("clearance:batch_approve", [batch.pk]),
        ("clearance:batch_reject", [batch.pk]),
        ("clearance:batch_close", [batch.pk]),
        ("clearance:batch_lines_save", [batch.pk]),
        ("clearance:line_done", [batch.pk, line.pk]),
        ("clearance:batch_propose", []),
    ]:
        assert client.post(reverse(name, args=args), {"warehouse": "A"}).status_code == 403, name
    batch.refresh_from_db()
    assert batch.status == BatchStatus.PROPOSED
    page = client.get(batch.get_absolute_url()).content.decode()
    assert "Approve the batch" not in page


def test_purchaser_may_not_approve(client, purchaser, batch):
    client.force_login(purchaser)
    assert client.post(reverse("clearance:batch_approve", args=[batch.pk])).status_code == 403


def test_another_warehouses_batch_answers_404(client, manager, batch, other_batch):
    client.force_login(manager)
    line = other_batch.lines.first()
    assert client.get(other_batch.get_absolute_url()).status_code == 404
    assert client.post(reverse("clearance:batch_approve", args=[other_batch.pk])).status_code == 404
    assert (
        client.post(reverse("clearance:line_done", args=[other_batch.pk, line.pk])).status_code
        == 404
    )
    assert (
        client.get(reverse("clearance:batch_promotions_csv", args=[other_batch.pk])).status_code
        == 404
    )
    # A line of batch B addressed through batch A is not found either.
    assert client.post(reverse("clearance:line_done", args=[batch.pk, line.pk])).status_code == 404
    assert client.post(reverse("clearance:batch_propose"), {"warehouse": "B"}).status_code == 302
    assert ClearanceBatch.objects.filter(warehouse__code="B").count() == 1
    listed = client.get(reverse("clearance:batch_list")).context["table"].data
    assert [b.pk for b in listed] == [batch.pk]


def test_manager_decides_lines_and_approves_from_the_page(client, manager, batch):
    client.force_login(manager)
    page = client.get(batch.get_absolute_url())
    assert "A 20% discount on 9.90 still recovers the unit cost 4.00." in page.content.decode()
    data = lines_post_data(
        batch,
        **{
            "OLD-A": {"decision": "approved", "discount": "25", "quantity": 8},
            "OLD-B": {"decision": "rejected"},
        },
    )
    response = client.post(reverse("clearance:batch_lines_save", args=[batch.pk]), data)
    assert response.status_code == 302
    response = client.post(
        reverse("clearance:batch_approve", args=[batch.pk]), {"comment": "go"}, follow=True
    )
    assert "Batch approved." in response.content.decode()
    batch.refresh_from_db()
    assert (batch.status, batch.decided_by, batch.decision_comment) == (
        BatchStatus.APPROVED,
        manager,
        "go",
    )
    a = line_of(batch, "OLD-A")
    assert (a.decision, a.discount, a.quantity, a.decided_by) == (
        LineDecision.APPROVED,
        Decimal("25"),
        8,
        manager,
    )
    assert line_of(batch, "OLD-B").decision == LineDecision.REJECTED


def test_bad_quantity_on_the_approval_page_is_shown_and_nothing_is_saved(client, manager, batch):
    client.force_login(manager)
    data = lines_post_data(batch, **{"OLD-A": {"quantity": 99, "decision": "approved"}})
    response = client.post(reverse("clearance:batch_lines_save", args=[batch.pk]), data)
    assert response.status_code == 400
    assert "Ensure this value is less than or equal to 10." in response.content.decode()
    assert line_of(batch, "OLD-A").decision == LineDecision.PENDING


def test_mark_done_from_the_page_posts_the_write_off_once(client, manager, batch, warehouse):
    services.lines_update(
        batch=batch,
        user=manager,
        edits=[
            services.LineEdit(
                line_id=line_of(batch, "OLD-B").pk,
                decision="approved",
                strategy=Strategy.WRITE_OFF,
                quantity=5,
                discount=None,
            )
        ],
    )
    services.batch_approve(batch=batch, user=manager)
    client.force_login(manager)
    url = reverse("clearance:line_done", args=[batch.pk, line_of(batch, "OLD-B").pk])
    first = client.post(url, follow=True).content.decode()
    assert "OLD-B done: 5 units posted as Write-off." in first
    second = client.post(url, follow=True).content.decode()
    assert "OLD-B was already done." in second
    assert StockMovement.objects.filter(kind=MovementKind.WRITE_OFF).count() == 1


def test_promotion_file_lists_approved_promotions_with_formula_cells_neutralised(
    client, manager, warehouse, make_slow, run_recompute
):
    make_slow(warehouse, age=45, seller_sku="=HYPERLINK(1)", tiktok_sku_id="1729382256910270001")
    make_slow(warehouse, age=45, seller_sku="PLAIN")
    run_recompute()
    batch = services.batch_propose(warehouse=warehouse)
    plain = line_of(batch, "PLAIN")
    services.lines_update(
        batch=batch,
        user=manager,
        edits=[
            services.LineEdit(plain.pk, "rejected", plain.strategy, plain.quantity, plain.discount)
        ],
    )
    services.batch_approve(batch=batch, user=manager)
    client.force_login(manager)
    response = client.get(reverse("clearance:batch_promotions_csv", args=[batch.pk]))
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows == [
        ["seller_sku", "sku_id", "price", "discount_percent", "deal_price", "quantity"],
        ["'=HYPERLINK(1)", "1729382256910270001", "9.90", "20", "7.92", "10"],
    ]


def test_promotion_file_is_empty_before_approval(client, manager, batch):
    client.force_login(manager)
    response = client.get(reverse("clearance:batch_promotions_csv", args=[batch.pk]))
    assert response.content.decode("utf-8-sig").strip().count("\n") == 0


def test_propose_button_creates_a_batch_for_the_chosen_warehouse(
    client, manager, warehouse, make_slow, run_recompute
):
    make_slow(warehouse)
    run_recompute()
    client.force_login(manager)
    response = client.post(reverse("clearance:batch_propose"), {"warehouse": "A"})
    batch = ClearanceBatch.objects.get()
    assert response["Location"] == batch.get_absolute_url()
    assert batch.proposed_by == manager
    again = client.post(reverse("clearance:batch_propose"), {"warehouse": "A"}, follow=True)
    assert "No slow mover in A that is not already in an open batch." in again.content.decode()


def test_batch_list_shows_progress_without_a_query_per_batch(
    client, manager, warehouse, make_slow, run_recompute, django_assert_max_num_queries
):
    for _n in range(6):
        sku = make_slow(warehouse)
        run_recompute()
        batch = services.batch_propose(warehouse=warehouse)
        services.batch_approve(batch=batch, user=manager)
        post(warehouse, sku, MovementKind.SALE, -4)
    client.force_login(manager)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("clearance:batch_list"))
    page = response.content.decode()
    assert page.count("4 / 10 (40 %)") == 6


def test_batch_detail_query_count_does_not_grow_with_lines(
    client, manager, warehouse, make_slow, run_recompute, django_assert_max_num_queries
):
    for _n in range(12):
        make_slow(warehouse)
    run_recompute()
    batch = services.batch_propose(warehouse=warehouse)
    client.force_login(manager)
    with django_assert_max_num_queries(10):
        response = client.get(batch.get_absolute_url())
    assert response.content.decode().count('name="line-') == 12 * 4
    services.batch_approve(batch=batch, user=manager)
    with django_assert_max_num_queries(10):
        client.get(batch.get_absolute_url())


# --- ageing report and slow-mover lists ----------------------------------------------------


def test_ageing_report_shows_only_my_warehouses_filters_and_exports(
    client, manager, warehouse, other_warehouse, make_slow
):
    pets = CategoryFactory(name="Pets")
    make_slow(warehouse, age=100, qty=3, seller_sku="MINE-TOY")
    make_slow(warehouse, age=10, qty=2, seller_sku="MINE-PET", category=pets)
    make_slow(other_warehouse, age=100, qty=7, seller_sku="THEIRS")
    client.force_login(manager)
    response = client.get(reverse("clearance:ageing_report"))
    rows = response.context["table"].data
    assert sorted(r.seller_sku for r in rows) == ["MINE-PET", "MINE-TOY"]
    chart = response.context["chart"]
    assert chart["by_warehouse"]["labels"] == ["A"]
    assert chart["by_category"]["labels"] == ["Pets", "Toys"]
    # Pets: 2 units x 4.00 in 0-30 days; Toys: 3 x 4.00 in 91-180 days.
    assert chart["by_category"]["values"][0] == [8.0, 0.0]
    assert chart["by_category"]["values"][3] == [0.0, 12.0]
    assert "chart.umd.min.js" in response.content.decode()
    filtered = client.get(reverse("clearance:ageing_report"), {"category": pets.pk})
    assert [r.seller_sku for r in filtered.context["table"].data] == ["MINE-PET"]
    not_mine = client.get(reverse("clearance:ageing_report"), {"warehouse": "B"})
    assert len(not_mine.context["table"].data) == 0
    export = client.get(reverse("clearance:ageing_report"), {"_export": "csv"})
    lines = export.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Warehouse,Seller SKU,Name,Category,On hand,0–30 d")
    assert len(lines) == 3
    xlsx = client.get(reverse("clearance:ageing_report"), {"_export": "xlsx"})
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"


def test_ageing_report_as_of_a_past_day_and_rejects_the_future(
    client, manager, warehouse, make_slow
):
    make_slow(warehouse, age=40, seller_sku="AGED")
    client.force_login(manager)
    from datetime import timedelta

    from django.utils import timezone

    past = timezone.localdate() - timedelta(days=30)
    rows = client.get(reverse("clearance:ageing_report"), {"as_of": past}).context["table"].data
    assert [(r.seller_sku, r.oldest_unit_age_days) for r in rows] == [("AGED", 10)]
    future = client.get(
        reverse("clearance:ageing_report"), {"as_of": timezone.localdate() + timedelta(days=2)}
    )
    assert "The report cannot look into the future." in future.content.decode()


def test_ageing_report_query_count_is_flat(
    client, manager, warehouse, make_slow, django_assert_max_num_queries
):
    for _n in range(20):
        make_slow(warehouse)
    client.force_login(manager)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("clearance:ageing_report"))
    assert len(response.context["table"].data) == 20


def test_slow_mover_list_is_scoped_and_marks_skus_in_an_open_batch(
    client, manager, warehouse, other_warehouse, make_slow, run_recompute,
    django_assert_max_num_queries,
):  # fmt: skip
    make_slow(warehouse, seller_sku="SLOW-1")
    make_slow(warehouse, seller_sku="SLOW-2")
    make_slow(other_warehouse, seller_sku="SLOW-B")
    run_recompute()
    batch = services.batch_propose(warehouse=warehouse)
    batch.lines.filter(sku__seller_sku="SLOW-2").delete()
    client.force_login(manager)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("clearance:slow_movers"))
    shown = response.context["table"].paginated_rows  # the page's rows, read whole
    rows = {r.record.sku.seller_sku: r.record for r in shown}
    assert set(rows) == {"SLOW-1", "SLOW-2"}
    assert (rows["SLOW-1"].in_open_batch, rows["SLOW-2"].in_open_batch) == (True, False)
    assert rows["SLOW-1"].value == Decimal("40")
    # Sorted by the flag, the ids are sorted with it (otherwise it is read for the page only).
    for order, first in (("-in_open_batch", "SLOW-1"), ("in_open_batch", "SLOW-2")):
        with django_assert_max_num_queries(10):
            response = client.get(reverse("clearance:slow_movers"), {"sort": order})
        shown = [r.record for r in response.context["table"].paginated_rows]
        assert shown[0].sku.seller_sku == first


def test_at_risk_lists_stock_that_lasts_more_than_90_days_at_average_demand(
    client, manager, warehouse, run_recompute
):
    slow_seller, fine, no_demand = (SKUFactory(seller_sku=s) for s in ("SLOWISH", "FINE", "NONE"))
    for sku in (slow_seller, fine, no_demand):
        post(warehouse, sku, MovementKind.RECEIPT, 100, days_ago=5)
    run_recompute()
    # d̄ is written by the demand step of the nightly job; set here by hand.
    SkuFacts.objects.filter(sku=slow_seller).update(avg_daily_demand=1.0)  # 100 days of stock
    SkuFacts.objects.filter(sku=fine).update(avg_daily_demand=2.0)  # 50 days
    client.force_login(manager)
    rows = [
        r.record for r in client.get(reverse("clearance:at_risk")).context["table"].paginated_rows
    ]
    assert [(r.sku.seller_sku, r.days_to_sell) for r in rows] == [
        ("NONE", None),
        ("SLOWISH", 100.0),
    ]


def test_nav_links_to_the_clearance_pages(client, staff):
    client.force_login(staff)
    page = client.get("/").content.decode()
    for name in ("ageing_report", "slow_movers", "batch_list"):
        assert reverse(f"clearance:{name}") in page


def test_line_outside_the_batch_cannot_be_marked_done(client, manager, batch):
    client.force_login(manager)
    missing = ClearanceLine.objects.order_by("-pk").first().pk + 100
    assert client.post(reverse("clearance:line_done", args=[batch.pk, missing])).status_code == 404
