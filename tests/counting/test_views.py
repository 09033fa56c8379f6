"""Pages: the blind entry page (htmx), permissions and scoping, review, lists and query counts."""

import io
import json
import uuid
from datetime import UTC
from decimal import Decimal

import pytest
from django.urls import reverse

from counting.models import CountEntry, CountKind, CountLine, SessionStatus
from counting.services import session_approve, session_submit
from inventory.models import MovementKind, StockMovement
from tests.counting.helpers import enter, new_session, receive, shows_number
from tests.factories import SKUFactory

pytestmark = pytest.mark.django_db

BOOK = 73917  # a distinctive on-hand that must never reach a counter's screen


@pytest.fixture
def session_a(warehouse, sku):
    receive(warehouse, sku, BOOK)
    return new_session(warehouse, [sku])


def post_entry(client, session, code, qty, key=None, htmx=True):
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    return client.post(
        reverse("counting:entry", args=[session.pk]),
        {"code": code, "quantity": qty, "key": str(key or uuid.uuid4())},
        **headers,
    )


def test_counter_never_sees_the_expected_quantity(client, staff, session_a, sku):
    client.force_login(staff)
    pages = [
        client.get(reverse("counting:entry", args=[session_a.pk])),
        post_entry(client, session_a, sku.seller_sku, 5),
        post_entry(client, session_a, sku.seller_sku, 3, htmx=False),
        client.get(reverse("counting:session_detail", args=[session_a.pk])),
        client.get(reverse("counting:sheet", args=[session_a.pk])),
        client.get(reverse("counting:session_list")),
        client.get(reverse("counting:sku_history", args=[sku.seller_sku])),
    ]
    session_submit(session=session_a, user=staff)  # 8 vs 73917: a recount is asked
    pages.append(client.get(reverse("counting:entry", args=[session_a.pk])))
    pages.append(client.get(reverse("counting:session_detail", args=[session_a.pk])))
    for response in pages:
        assert response.status_code == 200
        html = response.content.decode()
        assert not shows_number(html, BOOK), response.request["PATH_INFO"]
        assert not shows_number(html, BOOK - 8)  # nor the variance
    assert "Recount requested" in pages[-1].content.decode()


def test_entry_by_htmx_answers_with_the_panel_and_feedback(client, staff, session_a, sku):
    client.force_login(staff)
    response = post_entry(client, session_a, sku.seller_sku, 3)
    html = response.content.decode()
    assert html.startswith('<div id="entry-panel">') and "<html" not in html
    assert "TEE-RED-M" in html and "+3 → counted 3" in html
    again = post_entry(client, session_a, sku.tiktok_sku_id, 2).content.decode()
    assert "+2 → counted 5" in again  # repeated scans add up
    assert 'name="code"' in again and "autofocus" in again


def test_whole_page_fits_a_phone(client, staff, session_a):
    client.force_login(staff)
    html = client.get(reverse("counting:entry", args=[session_a.pk])).content.decode()
    assert 'name="viewport" content="width=device-width' in html
    assert 'inputmode="numeric"' in html and "hx-post" in html and "js/count_entry.js" in html


def test_double_submitted_entry_counts_once(client, staff, session_a, sku):
    client.force_login(staff)
    key = uuid.uuid4()
    post_entry(client, session_a, sku.seller_sku, 4, key=key)
    second = post_entry(client, session_a, sku.seller_sku, 4, key=key).content.decode()
    assert "Already recorded" in second
    assert CountLine.objects.get().counted_qty == 4
    assert CountEntry.objects.count() == 1


def test_unknown_code_is_explained_and_the_typed_values_stay(client, staff, session_a):
    client.force_login(staff)
    html = post_entry(client, session_a, "NOPE-42", 6).content.decode()
    assert "Unknown code “NOPE-42”" in html and "Nothing was recorded." in html
    assert 'value="NOPE-42"' in html and 'value="6"' in html
    assert not CountEntry.objects.exists()


def test_undo_button_takes_back_the_last_entry(client, staff, session_a, sku):
    client.force_login(staff)
    post_entry(client, session_a, sku.seller_sku, 4)
    html = post_entry(client, session_a, sku.seller_sku, 40).content.decode()
    last = CountEntry.objects.order_by("-id").first()
    assert f'name="entry" value="{last.pk}"' in html
    response = client.post(
        reverse("counting:undo", args=[session_a.pk]), {"entry": last.pk}, HTTP_HX_REQUEST="true"
    )
    assert "Undone: TEE-RED-M +40." in response.content.decode()
    assert CountLine.objects.get().counted_qty == 4


def test_staff_count_only_in_their_warehouses(client, staff, other_warehouse, sku):
    elsewhere = new_session(other_warehouse, [sku])
    client.force_login(staff)
    for name in ("session_detail", "entry", "sheet", "sheet_xlsx", "sheet_import"):
        assert client.get(reverse(f"counting:{name}", args=[elsewhere.pk])).status_code == 404
    assert post_entry(client, elsewhere, sku.seller_sku, 1).status_code == 404
    assert not CountEntry.objects.exists()
    listed = client.get(reverse("counting:session_list")).context["table"].data
    assert list(listed) == []
    form = client.post(reverse("counting:session_create"), {"warehouse": "B", "kind": "full"})
    assert "warehouse" in form.context["form"].errors


def test_manager_of_another_warehouse_gets_404(client, make_user, other_warehouse, session_a):
    client.force_login(make_user("manager", other_warehouse))
    assert client.get(reverse("counting:review", args=[session_a.pk])).status_code == 404
    response = client.post(reverse("counting:session_approve", args=[session_a.pk]))
    assert response.status_code == 404


def test_only_managers_review_and_approve(client, staff, manager, session_a, sku):
    enter(session_a, sku, BOOK - 1, staff)
    session_submit(session=session_a, user=staff)
    client.force_login(staff)
    assert client.get(reverse("counting:review", args=[session_a.pk])).status_code == 403
    assert client.post(reverse("counting:session_approve", args=[session_a.pk])).status_code == 403
    assert client.get(reverse("counting:accuracy")).status_code == 403
    assert not StockMovement.objects.filter(kind=MovementKind.COUNT_ADJUSTMENT).exists()
    client.force_login(manager)
    client.post(reverse("counting:session_approve", args=[session_a.pk]), {"comment": "fine"})
    adjustment = StockMovement.objects.get(kind=MovementKind.COUNT_ADJUSTMENT)
    assert adjustment.quantity == -1
    session_a.refresh_from_db()
    assert session_a.status == SessionStatus.APPROVED


def test_purchaser_has_no_count_pages_and_no_nav_link(client, purchaser, staff, session_a):
    client.force_login(purchaser)
    assert client.get(reverse("counting:session_list")).status_code == 403
    assert client.get(reverse("counting:entry", args=[session_a.pk])).status_code == 403
    assert ">Counts<" not in client.get("/").content.decode()
    client.force_login(staff)
    assert ">Counts<" in client.get("/").content.decode()


def test_review_shows_both_counts_and_the_variance_in_units_and_value(
    client, warehouse, staff, manager
):
    bob = SKUFactory(seller_sku="BOLT", unit_cost=Decimal("2.50"))
    receive(warehouse, bob, 40)
    from tests.factories import UserFactory

    other = UserFactory(username="other", role="staff", warehouses=[warehouse])
    session = new_session(warehouse, [bob], counters=[staff, other])
    enter(session, bob, 30, staff)
    session_submit(session=session, user=staff)
    enter(session, bob, 36, other)
    assert session_submit(session=session, user=other).submitted
    client.force_login(manager)
    response = client.get(reverse("counting:review", args=[session.pk]))
    row = response.context["table"].rows[0]
    assert row.get_cell_value("counted_qty") == 30
    assert row.get_cell_value("expected_qty") == 40
    assert row.get_cell_value("recount_qty") == 36
    html = response.content.decode()
    assert "-4" in html and "-10.00" in html  # 4 units x 2.50
    assert "staff_A / other" in html


def test_create_page_starts_a_full_count(client, manager, warehouse, sku):
    receive(warehouse, sku, 2)
    client.force_login(manager)
    page = client.get(reverse("counting:session_create"), {"kind": "full", "warehouse": "A"})
    assert page.context["form"].initial["kind"] == "full"
    response = client.post(reverse("counting:session_create"), {"warehouse": "A", "kind": "full"})
    line = CountLine.objects.get()
    assert response.status_code == 302 and line.session.kind == CountKind.FULL


def test_create_page_reports_unknown_skus(client, manager, warehouse):
    client.force_login(manager)
    response = client.post(
        reverse("counting:session_create"),
        {"warehouse": "A", "kind": "cycle", "skus": "NOPE-1\nNOPE-2, B-01"},
    )
    assert (
        "Unknown Seller SKU(s): NOPE-1, NOPE-2. Nothing was created." in response.content.decode()
    )


def test_submit_and_xlsx_export_from_the_pages(client, staff, session_a, sku):
    client.force_login(staff)
    post_entry(client, session_a, sku.seller_sku, BOOK)
    client.post(reverse("counting:session_submit", args=[session_a.pk]))
    session_a.refresh_from_db()
    assert session_a.status == SessionStatus.SUBMITTED
    sheet = client.get(reverse("counting:sheet_xlsx", args=[session_a.pk]))
    assert sheet.content[:2] == b"PK"
    export = client.get(reverse("counting:session_list"), {"_export": "csv"})
    assert (
        export["Content-Type"].startswith("text/csv") and ",Submitted," in export.content.decode()
    )


@pytest.mark.parametrize("count", [5, 30])
def test_session_list_query_count_does_not_grow(
    client, manager, warehouse, django_assert_max_num_queries, count
):
    skus = SKUFactory.create_batch(3)
    for _i in range(count):
        new_session(warehouse, skus, user=manager)
    client.force_login(manager)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("counting:session_list"), {"per_page": 50})
    assert len(response.context["table"].page.object_list) == count


@pytest.mark.parametrize("lines", [5, 60])
def test_detail_review_and_entry_pages_query_counts_are_bounded(
    client, manager, warehouse, django_assert_max_num_queries, lines
):
    skus = SKUFactory.create_batch(lines)
    for s in skus:
        receive(warehouse, s, 3)
    session = new_session(warehouse, skus)
    for s in skus:
        enter(session, s, 1, manager)  # 2 short of 3: out of tolerance, recount
    session_submit(session=session, user=manager)
    for s in skus:
        enter(session, s, 3, manager)
    session_submit(session=session, user=manager)
    client.force_login(manager)
    for name, limit in [("session_detail", 9), ("review", 9), ("entry", 10)]:
        with django_assert_max_num_queries(limit):
            response = client.get(reverse(f"counting:{name}", args=[session.pk]), {"all": "1"})
        assert response.status_code == 200
    with django_assert_max_num_queries(7):
        client.get(reverse("counting:sku_history", args=[skus[0].seller_sku]))
    with django_assert_max_num_queries(6):
        client.get(reverse("counting:accuracy"))


def test_accuracy_page_charts_ira_by_class(client, manager, warehouse):
    a_sku, c_sku = SKUFactory(seller_sku="AA"), SKUFactory(seller_sku="CC")
    receive(warehouse, a_sku, 10)
    receive(warehouse, c_sku, 10)
    session = new_session(warehouse, [a_sku, c_sku])
    CountLine.objects.filter(sku=a_sku).update(abc_class="A")
    enter(session, a_sku, 10, manager)
    enter(session, c_sku, 1, manager)  # out of tolerance
    session_submit(session=session, user=manager)
    enter(session, c_sku, 10, manager)
    session_submit(session=session, user=manager)
    session_approve(session=session, user=manager)
    client.force_login(manager)
    response = client.get(reverse("counting:accuracy"))
    report = response.context["report"]
    assert report["series"]["A"][-1] == 100.0
    assert report["series"]["C"][-1] == 0.0
    assert report["series"]["all"][-1] == 50.0
    assert report["table"][0]["warehouse"] == "A"
    html = response.content.decode()
    assert (
        "chart.umd.min.js" in html
        and json.loads(
            html.split('id="ira-data" type="application/json">')[1].split("</script>")[0]
        )["labels"]
    )


def test_sku_history_hides_expected_from_staff(client, staff, manager, session_a, sku):
    enter(session_a, sku, BOOK, staff)
    session_submit(session=session_a, user=staff)
    client.force_login(staff)
    table = client.get(reverse("counting:sku_history", args=[sku.seller_sku])).context["table"]
    assert "expected_qty" not in [c.name for c in table.columns]
    client.force_login(manager)
    table = client.get(reverse("counting:sku_history", args=[sku.seller_sku])).context["table"]
    assert table.rows[0].get_cell_value("expected_qty") == BOOK


def test_sheet_upload_page_lists_bad_rows_and_records_nothing(client, staff, session_a, sku):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from openpyxl import Workbook

    def upload(rows):
        workbook = Workbook()
        workbook.active.append(["seller_sku", "counted"])
        for row in rows:
            workbook.active.append(row)
        out = io.BytesIO()
        workbook.save(out)
        return client.post(
            reverse("counting:sheet_import", args=[session_a.pk]),
            {"file": SimpleUploadedFile("count.xlsx", out.getvalue())},
        )

    client.force_login(staff)
    bad = upload([[sku.seller_sku, 3], ["GHOST", 1], [sku.seller_sku, "x"]])
    html = bad.content.decode()
    assert "Row 3: unknown Seller SKU “GHOST”." in html and "Row 4: counted “x”" in html
    assert not CountEntry.objects.exists()
    good = upload([[sku.seller_sku, 3], [sku.seller_sku, 2]])
    assert good.status_code == 302
    assert CountLine.objects.get().counted_qty == 5


def test_sku_list_shows_the_last_approved_count_of_my_warehouses(
    client, manager, warehouse, other_warehouse
):
    from datetime import datetime

    from counting.models import CountLine, CountSession
    from tests.factories import SKUFactory

    sku = SKUFactory(seller_sku="COUNTED-1")
    SKUFactory(seller_sku="NEVER-1")
    when_a = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    when_b = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    for wh, when in ((warehouse, when_a), (other_warehouse, when_b)):
        session = CountSession.objects.create(warehouse=wh, kind="cycle", status="approved")
        CountLine.objects.create(session=session, sku=sku, counted_qty=3, counted_at=when)
    client.force_login(manager)
    table = client.get("/skus/").context["table"]
    rows = {row.record.seller_sku: row.record for row in table.paginated_rows}
    # Warehouse B's later count is not the manager's to see.
    assert rows["COUNTED-1"].last_counted == when_a
    assert rows["NEVER-1"].last_counted is None
    assert "Last counted" in client.get("/skus/").content.decode()
    # Sorted by it, the column comes from the query itself: the same figures.
    by_count = client.get("/skus/", {"sort": "-last_counted"}).context["table"]
    assert {r.record.seller_sku: r.record.last_counted for r in by_count.paginated_rows} == {
        "COUNTED-1": when_a,
        "NEVER-1": None,
    }


def test_a_scan_costs_a_bounded_number_of_queries(
    client, staff, session_a, sku, django_assert_max_num_queries
):
    """The scan is the hot path of a full count (20 counters at once): session, user, role,
    count and counter checks, the locked write and the panel; the key lookup only on a repeat
    (18 before: the lookup, a session re-read, the role, the counters twice, the progress)."""
    client.force_login(staff)
    post_entry(client, session_a, sku.seller_sku, 1)  # the first entry starts the count
    with django_assert_max_num_queries(14):
        response = post_entry(client, session_a, sku.seller_sku, 2)
    assert "+2 → counted 3" in response.content.decode()


def test_progress_of_a_big_count_is_cached_briefly_and_of_a_small_one_is_exact(
    client, staff, warehouse, settings
):
    from django.core.cache import cache

    skus = SKUFactory.create_batch(3)
    session = new_session(warehouse, skus)
    client.force_login(staff)
    html = post_entry(client, session, skus[0].seller_sku, 1).content.decode()
    assert "1 of 3 lines counted" in html
    html = post_entry(client, session, skus[1].seller_sku, 1).content.decode()
    assert "2 of 3 lines counted" in html  # small counts: exact on every scan

    settings.STOCKWISE = {**settings.STOCKWISE, "COUNT_PROGRESS_CACHE_LINES": 3}
    html = post_entry(client, session, skus[2].seller_sku, 1).content.decode()
    assert "3 of 3 lines counted" in html  # read once, then kept for a few seconds
    undo = CountEntry.objects.filter(line__sku=skus[2]).get()
    client.post(reverse("counting:undo", args=[session.pk]), {"entry": undo.pk})
    html = client.get(reverse("counting:entry", args=[session.pk])).content.decode()
    assert "3 of 3 lines counted" in html  # the cached figure, not yet re-read
    cache.delete(f"count-progress:{session.pk}")  # as when COUNT_PROGRESS_SECONDS pass
    html = client.get(reverse("counting:entry", args=[session.pk])).content.decode()
    assert "2 of 3 lines counted" in html


def test_only_assigned_counters_scan_into_a_count_that_has_them(client, warehouse, sku, manager):
    """The counter check is read with the session (one query less a scan): the assigned
    counter scans, another staff member is refused with nothing written, a manager may."""
    from tests.factories import UserFactory

    alice = UserFactory(username="alice", role="staff", warehouses=[warehouse])
    bob = UserFactory(username="bob", role="staff", warehouses=[warehouse])
    session = new_session(warehouse, [sku], counters=[alice])
    client.force_login(bob)
    assert client.get(reverse("counting:entry", args=[session.pk])).status_code == 403
    assert post_entry(client, session, sku.seller_sku, 2).status_code == 403
    client.force_login(alice)
    assert "+2 → counted 2" in post_entry(client, session, sku.seller_sku, 2).content.decode()
    client.force_login(manager)
    assert "+1 → counted 3" in post_entry(client, session, sku.seller_sku, 1).content.decode()
    assert CountEntry.objects.filter(user=bob).count() == 0

    session.counters.set([bob])  # reassigned: the check follows at once
    client.force_login(alice)
    assert post_entry(client, session, sku.seller_sku, 1).status_code == 403
